// Who could write to what a thread is blocked reading: the other end of a pipe (its write ends)
// or of a connected Unix or TCP socket (its peer, from the kernel's socket diagnostics), and which
// processes hold those ends. Live processes only; everything read from /proc and netlink.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace pyhang {

struct FdEnd {
  int64_t fd = -1;
  uint64_t inode = 0;
  bool pipe = false;       // else a socket
  bool writable = false;   // pipes: opened for writing (a write end)
};

// The pipes and sockets among a process's open files (at most `cap` descriptors looked at);
// nullopt when they cannot be listed (not permitted), empty when the process is gone.
std::optional<std::vector<FdEnd>> fdEnds(pid_t pid, size_t cap = 4096);

// Connected Unix sockets of this network namespace: inode -> the peer's inode. With `queued`,
// also the sockets with unread bytes in their receive queue (inode -> bytes).
std::unordered_map<uint64_t, uint64_t> unixSocketPeers(std::unordered_map<uint64_t, uint32_t>* queued = nullptr);

// Established TCP connections with both ends in this network namespace (a program talking to
// itself over loopback, or two local processes): inode -> the other end's inode. Unless
// `withQueuedBytes` (a blocked send: its bytes are queued), connections with bytes queued in
// either direction are left out (a read may still get them).
std::unordered_map<uint64_t, uint64_t> tcpSocketPeers(bool withQueuedBytes = false);

// Established TCP connections whose other end no process holds yet: it waits in the accept
// queue of a listening socket of this network namespace. Inode of the connection's end -> inode
// of that listening socket.
std::unordered_map<uint64_t, uint64_t> tcpPendingAccepts();

// Unix stream connections not accepted yet, as the kernel's socket diagnostics show them: the
// queued end has no inode, so a connected socket's peer reads 0, and a listener says only how
// many connections wait in its queue.
struct UnixAcceptQueues {
  std::set<uint64_t> unaccepted;   // connected stream sockets whose other end waits in some queue
  std::set<uint64_t> listeners;    // listening sockets with connections waiting to be accepted
  bool complete = true;            // false: the dump hit a bound
};
UnixAcceptQueues unixAcceptQueues();

// The processes other than `skip` holding the write end of one of `pipes` (at most 16 per
// pipe), looking at every process in /proc (bounded).
std::map<uint64_t, std::vector<pid_t>> pipeWriters(const std::set<uint64_t>& pipes, const std::set<pid_t>& skip);

// The same for the read ends of `pipes`.
std::map<uint64_t, std::vector<pid_t>> pipeReaders(const std::set<uint64_t>& pipes, const std::set<pid_t>& skip);

// The same for sockets: the processes other than `skip` holding one of `sockets`.
std::map<uint64_t, std::vector<pid_t>> socketHolders(const std::set<uint64_t>& sockets, const std::set<pid_t>& skip);

// Which of `pipes` (their write ends; with `pipeReadEnds`, their read ends) and `sockets` a
// process other than `known` holds, looking at every process in /proc (bounded). A process whose
// descriptors cannot be listed might hold any of them: then all are returned. Only called when a
// verdict depends on it.
std::set<uint64_t> heldElsewhere(const std::set<uint64_t>& pipes, const std::set<uint64_t>& sockets,
                                 const std::set<pid_t>& known, bool pipeReadEnds = false);

}  // namespace pyhang
