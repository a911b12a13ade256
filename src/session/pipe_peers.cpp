#include "session/pipe_peers.h"

#include <dirent.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "process/fd_peers.h"
#include "process/kernel_wait.h"
#include "process/live_process.h"
#include "process/proc_tree.h"

namespace pyhang {

namespace {

// A process with OS threads that have no Python thread state (a C library's I/O thread) may
// read or write through its ends without Python code running: its `ends` count as held
// elsewhere.
template <typename Ends>
void addEndsOfProcessesWithCThreads(const Snapshot& snap, Ends ends, std::set<uint64_t>& elsewhere) {
  for (const auto& p : snap.processes) {
    if (p.pid <= 0 || ends(p).empty()) continue;
    size_t osThreads = 0;
    if (DIR* d = opendir(fmt::format("/proc/{}/task", p.pid).c_str())) {
      while (dirent* e = readdir(d)) osThreads += e->d_name[0] >= '0' && e->d_name[0] <= '9';
      closedir(d);
    }
    if (osThreads <= p.threads.size()) continue;
    for (const auto& [inode, fd] : ends(p)) elsewhere.insert(inode);
  }
}

}  // namespace

// A thread blocked writing into a full pipe waits for whoever can read it: when there is one,
// record which processes of the snapshot hold a read end of some pipe.
void attachPipeReaders(Snapshot& snap) {
  bool anyWriter = false;
  for (const auto& p : snap.processes) {
    for (const auto& t : p.threads) anyWriter |= t.writingPipe != 0;
  }
  if (!anyWriter) return;
  // A blocked send on a Unix or TCP socket waits for whoever holds its peer to read.
  bool anySocket = false;
  for (auto& p : snap.processes) {
    for (auto& t : p.threads) anySocket |= t.writingPipe != 0 && t.writingSocket;
  }
  if (anySocket) {
    std::unordered_map<uint64_t, uint64_t> peers = unixSocketPeers();
    peers.merge(tcpSocketPeers(true));
    for (auto& p : snap.processes) {
      for (auto& t : p.threads) {
        if (!t.writingPipe || !t.writingSocket) continue;
        auto peer = peers.find(t.writingPipe);
        t.writingPipe = peer == peers.end() ? 0 : peer->second;
      }
    }
  }
  for (auto& p : snap.processes) {
    if (p.pid <= 0 || p.kernelState == 'Z' || p.kernelState == 'X') continue;
    for (const auto& fd : LiveProcess(static_cast<pid_t>(p.pid)).pipeFds()) {
      if (fd.read) p.pipeReadEnds.emplace(fd.inode, fd.fd);
    }
    if (!anySocket) continue;
    if (auto ends = fdEnds(static_cast<pid_t>(p.pid))) {
      for (const auto& e : *ends) {
        if (!e.pipe) p.pipeReadEnds.emplace(e.inode, e.fd);
      }
    }
  }
  // A read end that a process outside the snapshot holds too (a child not inspected, given its
  // copy of a Pipe() or of the pipe's read end) may be read at any time: that write is not
  // stuck. Nor is one whose reader has C threads Python does not know.
  std::set<uint64_t> pipes, sockets;
  std::set<pid_t> known;
  for (const auto& p : snap.processes) {
    if (p.pid > 0) known.insert(static_cast<pid_t>(p.pid));
    for (const auto& t : p.threads) {
      if (t.writingPipe) (t.writingSocket ? sockets : pipes).insert(t.writingPipe);
    }
  }
  if (pipes.empty() && sockets.empty()) return;
  std::set<uint64_t> elsewhere = heldElsewhere(pipes, sockets, known, true);
  addEndsOfProcessesWithCThreads(snap, [](const Process& p) -> const std::map<uint64_t, int64_t>& { return p.pipeReadEnds; },
                                 elsewhere);
  for (auto& p : snap.processes) {
    for (auto& t : p.threads) t.writingOutsideReader = t.writingPipe != 0 && elsewhere.count(t.writingPipe) > 0;
  }
}

namespace {

// A socket a thread is blocked reading, and its other end's inode.
struct SocketRead {
  Process* process;
  Thread* thread;
  uint64_t peer;
  bool onlyOutside;  // named only when no process of the snapshot holds it (the graph shows those)
};

// Names who holds the other end of each socket read in its kernel wait ("..., the other end held
// by pid 4321 (python3 slow_server.py)", "..., the other end held by this process (fd 5)"): the
// snapshot's processes first, then every process in /proc for the ends none of them holds.
void nameSocketPeers(Snapshot& snap, const std::vector<SocketRead>& reads, const std::set<pid_t>& known) {
  std::set<uint64_t> outside;
  for (const auto& r : reads) {
    const bool here = std::any_of(snap.processes.begin(), snap.processes.end(),
                                  [&](const Process& q) { return q.writeEnds.count(r.peer) > 0; });
    if (!here) outside.insert(r.peer);
  }
  auto heldHere = [&](uint64_t inode) { return !outside.count(inode); };
  const auto others = outside.empty() ? std::map<uint64_t, std::vector<pid_t>>{} : socketHolders(outside, known);
  for (const auto& r : reads) {
    if (r.thread->kernelWait.empty() || (r.onlyOutside && heldHere(r.peer))) continue;
    std::vector<std::string> names;
    size_t total = 0;
    for (const auto& q : snap.processes) {
      auto fd = q.writeEnds.find(r.peer);
      if (fd == q.writeEnds.end()) continue;
      ++total;
      if (names.size() == 2) continue;
      names.push_back(&q == r.process ? fmt::format("this process (fd {})", fd->second)
                      : q.name.empty()  ? fmt::format("pid {} (fd {})", q.pid, fd->second)
                                        : fmt::format("process {} (pid {}, fd {})", q.name, q.pid, fd->second));
    }
    if (auto h = others.find(r.peer); h != others.end()) {
      for (pid_t pid : h->second) {
        ++total;
        if (names.size() == 2) continue;
        std::string command = LiveProcess(pid).commandLine();
        if (command.size() > 80) command = command.substr(0, 77) + "...";
        names.push_back(command.empty() ? fmt::format("pid {}", pid) : fmt::format("pid {} ({})", pid, command));
      }
    }
    if (names.empty()) continue;
    r.thread->kernelWait += fmt::format(", the other end held by {}{}", fmt::join(names, " and "),
                                        total > names.size() ? fmt::format(" and {} more", total - names.size()) : "");
  }
}

// A read on a TCP connection whose other end no process holds yet: the connection waits in the
// accept queue of a listening socket (a server asked by its own serving thread). Names that
// socket and who holds it: "..., the other end not accepted yet: it waits on this process's TCP
// socket listening on 127.0.0.1:8000 (fd 3)". `reads` carry the reading socket's own inode.
void nameUnacceptedPeers(Snapshot& snap, const std::vector<SocketRead>& reads, const std::set<pid_t>& known) {
  if (reads.empty()) return;
  const std::unordered_map<uint64_t, uint64_t> pending = tcpPendingAccepts();
  for (const auto& r : reads) {
    auto listener = pending.find(r.peer);
    if (r.thread->kernelWait.empty() || listener == pending.end()) continue;
    std::string where;
    for (const auto& q : snap.processes) {
      if (q.pid <= 0 || !where.empty()) continue;
      auto ends = fdEnds(static_cast<pid_t>(q.pid));
      if (!ends) continue;
      for (const auto& e : *ends) {
        if (e.pipe || e.inode != listener->second) continue;
        const std::string what = describeFd(static_cast<pid_t>(q.pid), static_cast<long>(e.fd));
        const std::string socket = what.empty() ? "listening socket" : what;
        where = &q == r.process ? fmt::format("this process's {} (fd {})", socket, e.fd)
                : fmt::format("the {} of process {} (pid {}, fd {})", socket, q.name.empty() ? "?" : q.name, q.pid, e.fd);
        break;
      }
    }
    if (where.empty()) {
      const auto holders = socketHolders({listener->second}, known);
      auto h = holders.find(listener->second);
      if (h == holders.end() || h->second.empty()) continue;
      std::string command = LiveProcess(h->second.front()).commandLine();
      if (command.size() > 80) command = command.substr(0, 77) + "...";
      where = command.empty() ? fmt::format("a listening socket of pid {}", h->second.front())
                              : fmt::format("a listening socket of pid {} ({})", h->second.front(), command);
    }
    r.thread->kernelWait += fmt::format(", the other end not accepted yet: it waits on {}", where);
  }
}

// Reads of Unix stream sockets whose other end waits, not accepted yet, in a listener's queue (a
// service that connects to its own socket before any thread accepts on it). The queued end has
// no inode and the kernel does not say which listener holds it; but when every listener with a
// waiting connection is held by processes of the snapshot, only they can accept it and write to
// it: such a read is linked to them (Thread::kUnacceptedEnd) and named. Takes those reads out
// of `reads`; returns the listeners, which no process outside may hold either.
std::set<uint64_t> linkUnacceptedUnixReads(Snapshot& snap, std::vector<SocketRead>& reads,
                                           const std::vector<std::map<uint64_t, int64_t>>& socketFds, std::set<uint64_t>& sockets) {
  std::set<uint64_t> used;
  if (reads.empty()) return used;
  const UnixAcceptQueues queues = unixAcceptQueues();
  if (queues.unaccepted.empty() || queues.listeners.empty()) return used;
  std::map<uint64_t, std::vector<std::pair<size_t, int64_t>>> holders;  // listener -> (process, fd)
  for (size_t i = 0; i < snap.processes.size() && i < socketFds.size(); ++i) {
    for (uint64_t l : queues.listeners) {
      if (auto fd = socketFds[i].find(l); fd != socketFds[i].end()) holders[l].emplace_back(i, fd->second);
    }
  }
  const bool allHere = queues.complete && holders.size() == queues.listeners.size();
  for (auto it = reads.begin(); it != reads.end();) {
    if (!queues.unaccepted.count(it->peer)) {
      ++it;
      continue;
    }
    Thread& t = *it->thread;
    if (!t.kernelWait.empty() && queues.listeners.size() == 1 && !holders.empty()) {
      const auto [i, fd] = holders.begin()->second.front();
      const Process& h = snap.processes[i];
      std::string what = describeFd(static_cast<pid_t>(h.pid), static_cast<long>(fd));
      if (what.empty()) what = "listening socket";
      t.kernelWait += &h == it->process
                          ? fmt::format(", the other end not accepted yet: it waits in the accept queue of this process's {} (fd {})", what, fd)
                          : fmt::format(", the other end not accepted yet: it waits in the accept queue of the {} of process {} (pid {}, fd {})",
                                        what, h.name.empty() ? "?" : h.name, h.pid, fd);
    } else if (!t.kernelWait.empty()) {
      t.kernelWait += ", the other end not accepted yet: it waits in a listening socket's accept queue";
    }
    if (allHere) {
      const uint64_t key = Thread::kUnacceptedEnd | it->peer;
      t.readingFrom = key;
      sockets.insert(key);
      for (const auto& [listener, hs] : holders) {
        used.insert(listener);
        for (const auto& [i, fd] : hs) snap.processes[i].writeEnds.emplace(key, fd);
      }
    }
    it = reads.erase(it);
  }
  return used;
}

}  // namespace

// A thread blocked reading a pipe or a connected Unix socket waits for whoever holds the other
// end. Record that end, every snapshot process's ends it could write through, and whether a
// process outside the snapshot holds the end too (then the read may well end). A TCP
// connection's other end, and a Unix socket's held outside the snapshot, are only named.
void attachReadPeers(Snapshot& snap) {
  bool anyReader = false;
  for (const auto& p : snap.processes) {
    for (const auto& t : p.threads) anyReader |= t.readingFd >= 0;
  }
  if (!anyReader) return;
  std::unordered_map<uint64_t, uint64_t> peers, tcpPeers;
  bool peersRead = false, tcpPeersRead = false;
  std::vector<SocketRead> socketReads, unacceptedReads;
  std::vector<std::map<uint64_t, int64_t>> socketFds(snap.processes.size());  // per process: socket inode -> fd
  std::set<uint64_t> pipes, sockets;
  std::set<pid_t> known;
  for (auto& p : snap.processes) {
    if (p.pid <= 0 || p.kernelState == 'Z' || p.kernelState == 'X') continue;
    known.insert(static_cast<pid_t>(p.pid));
    auto ends = fdEnds(static_cast<pid_t>(p.pid));
    if (!ends) continue;
    std::map<int64_t, FdEnd> byFd;
    for (const auto& e : *ends) {
      byFd[e.fd] = e;
      if (!e.pipe || e.writable) p.writeEnds.emplace(e.inode, e.fd);
      if (!e.pipe) socketFds[static_cast<size_t>(&p - snap.processes.data())].emplace(e.inode, e.fd);
    }
    for (auto& t : p.threads) {
      auto e = byFd.find(t.readingFd);
      if (t.readingFd < 0 || e == byFd.end()) continue;
      // A read on a pipe's write end cannot block: the descriptor was closed and reused since the
      // thread was seen (a process that opens and closes pipes fast, multiprocessing's forkserver
      // handshake). Nothing is known of what it reads.
      if (e->second.pipe && e->second.writable) continue;
      if (e->second.pipe) {
        t.readingFrom = e->second.inode;
        t.readingFromPipe = true;
        pipes.insert(t.readingFrom);
        continue;
      }
      if (!peersRead) {
        peers = unixSocketPeers();
        peersRead = true;
      }
      if (auto peer = peers.find(e->second.inode); peer != peers.end()) {
        t.readingFrom = peer->second;
        sockets.insert(t.readingFrom);
        socketReads.push_back({&p, &t, peer->second, true});
        continue;
      }
      // Not a Unix socket: perhaps TCP with the other end on this machine. A network read is a
      // wait on the outside world even then (a server that has not answered yet): its other
      // end is only named, never linked into the wait graph.
      if (!tcpPeersRead) {
        tcpPeers = tcpSocketPeers(true);
        tcpPeersRead = true;
      }
      if (auto peer = tcpPeers.find(e->second.inode); peer != tcpPeers.end()) {
        socketReads.push_back({&p, &t, peer->second, false});
      } else {
        unacceptedReads.push_back({&p, &t, e->second.inode, false});
      }
    }
  }
  nameSocketPeers(snap, socketReads, known);
  const std::set<uint64_t> queuedListeners = linkUnacceptedUnixReads(snap, unacceptedReads, socketFds, sockets);
  nameUnacceptedPeers(snap, unacceptedReads, known);
  // Only an end some process of the snapshot could write through can make the read part of a
  // deadlock; the others need no search.
  auto heldHere = [&](uint64_t inode) {
    return std::any_of(snap.processes.begin(), snap.processes.end(), [&](const Process& p) { return p.writeEnds.count(inode) > 0; });
  };
  for (auto* set : {&pipes, &sockets}) {
    for (auto it = set->begin(); it != set->end();) it = heldHere(*it) ? std::next(it) : set->erase(it);
  }
  if (pipes.empty() && sockets.empty()) return;
  std::set<uint64_t> withListeners = sockets;
  withListeners.insert(queuedListeners.begin(), queuedListeners.end());
  std::set<uint64_t> elsewhere = heldElsewhere(pipes, withListeners, known);
  // A connection waiting to be accepted may be accepted by whoever holds a listener.
  if (std::any_of(queuedListeners.begin(), queuedListeners.end(), [&](uint64_t l) { return elsewhere.count(l) > 0; })) {
    for (uint64_t s : sockets) {
      if (s & Thread::kUnacceptedEnd) elsewhere.insert(s);
    }
  }
  // A file passed with SCM_RIGHTS and not received yet is in no process's table: it waits in the
  // receive queue of a Unix socket. Unread bytes sent by a process of the snapshot may carry any
  // of its ends to a process that will write through it: then no read is certain to last.
  std::unordered_map<uint64_t, uint32_t> queued;
  std::unordered_map<uint64_t, uint64_t> allPeers = unixSocketPeers(&queued);
  bool inFlight = false;
  for (const auto& p : snap.processes) {
    for (const auto& [inode, fd] : p.writeEnds) {
      auto peer = allPeers.find(inode);
      inFlight |= peer != allPeers.end() && queued.count(peer->second) > 0;
    }
  }
  if (inFlight) {
    elsewhere.insert(pipes.begin(), pipes.end());
    elsewhere.insert(sockets.begin(), sockets.end());
  }
  addEndsOfProcessesWithCThreads(snap, [](const Process& p) -> const std::map<uint64_t, int64_t>& { return p.writeEnds; },
                                 elsewhere);
  for (auto& p : snap.processes) {
    for (auto& t : p.threads) t.readingOutsideWriter = t.readingFrom != 0 && elsewhere.count(t.readingFrom) > 0;
  }
}

void attachOutputPipeWriters(Snapshot& snap) {
  for (auto& p : snap.processes) {
    if (p.pid <= 0) continue;
    for (auto& t : p.threads) {
      // With two or more pipes, communicate() polls them (_communicate); with stdout or stderr
      // alone and no input, it reads that pipe to its end in communicate() itself.
      std::vector<int64_t> fds;
      if (t.kernelWaitKind == "poll" && !t.polledFds.empty()) {
        if (std::any_of(t.frames.begin(), t.frames.end(), [](const Frame& f) {
              return f.location.function == "_communicate" && f.location.file.ends_with("/subprocess.py");
            }))
          fds = t.polledFds;
      } else if (t.readingFromPipe && t.readingFd >= 0) {
        if (std::any_of(t.frames.begin(), t.frames.end(), [](const Frame& f) {
              return f.location.function == "communicate" && f.location.file.ends_with("/subprocess.py");
            }))
          fds.push_back(t.readingFd);
      }
      if (fds.empty()) continue;
      std::set<uint64_t> pipes;
      for (const auto& fd : LiveProcess(static_cast<pid_t>(p.pid)).pipeFds()) {
        if (fd.read && std::find(fds.begin(), fds.end(), fd.fd) != fds.end()) pipes.insert(fd.inode);
      }
      if (pipes.empty()) continue;
      std::set<pid_t> writers;
      for (const auto& [inode, pids] : pipeWriters(pipes, {static_cast<pid_t>(p.pid)})) writers.insert(pids.begin(), pids.end());
      for (pid_t w : writers) {
        if (t.outputPipeWriters.size() >= 8) break;
        t.outputPipeWriters.emplace_back(w, LiveProcess(w).commandLine());
      }
    }
  }
}

std::vector<pid_t> pipePeerChildren(const Snapshot& snap) {
  constexpr size_t kMax = 8;
  std::set<pid_t> known, waitedFor;
  std::set<uint64_t> pipes;
  size_t added = 0;
  for (const auto& p : snap.processes) {
    if (p.pid <= 0) continue;
    // The peers added before (not Python: a shell, cat) count among those known, and what they
    // wait for is searched too.
    known.insert(static_cast<pid_t>(p.pid));
    added += p.isPython ? 0 : 1;
    std::map<int64_t, FdEnd> byFd;
    bool listed = false;
    bool anyChild = false;
    for (const auto& t : p.threads) {
      if (t.writingPipe && !t.writingSocket) pipes.insert(t.writingPipe);
      if (t.waitingForChild > 0) waitedFor.insert(static_cast<pid_t>(t.waitingForChild));
      anyChild |= t.waitingForChild == -1;
      if (t.readingFd < 0) continue;
      if (!listed) {
        listed = true;
        if (auto ends = fdEnds(static_cast<pid_t>(p.pid))) {
          for (const auto& e : *ends) byFd[e.fd] = e;
        }
      }
      if (auto e = byFd.find(t.readingFd); e != byFd.end() && e->second.pipe && !e->second.writable) pipes.insert(e->second.inode);
    }
    if (anyChild) {
      for (pid_t c : childrenOf(static_cast<pid_t>(p.pid)).value_or(std::vector<pid_t>{})) waitedFor.insert(c);
    }
    // An idle event loop watching a child's exit (asyncio's pidfd child watcher, 3.12's
    // default) waits for that child as a thread in os.waitpid() would.
    for (const auto& l : p.loops) {
      if (!l.tid || !l.stateRead || l.stopping || l.readyCallbacks > 0 || l.timers > 0) continue;
      for (const auto& fd : l.fds) {
        if (fd.childPid > 0) waitedFor.insert(static_cast<pid_t>(fd.childPid));
      }
    }
  }
  std::vector<pid_t> out;
  if (pipes.empty() && waitedFor.empty()) return out;
  for (pid_t root : known) {
    for (pid_t child : descendantsOf(root)) {
      if (out.size() + added >= kMax) return out;
      if (known.count(child) || std::find(out.begin(), out.end(), child) != out.end()) continue;
      bool peer = waitedFor.count(child) > 0;
      if (!peer && !pipes.empty()) {
        if (auto ends = fdEnds(child)) {
          peer = std::any_of(ends->begin(), ends->end(), [&](const FdEnd& e) { return e.pipe && pipes.count(e.inode); });
        }
      }
      if (peer) out.push_back(child);
    }
  }
  return out;
}

void nameOutsidePipePeers(Snapshot& snap) {
  // A read whose pipe no process of the snapshot can write to was not searched further (it is
  // no part of a deadlock): its writers are outside.
  // (Not for an event loop's thread: its read is one of the loop's watches, named by the loop.)
  auto outsideWriter = [&](const Thread& t) {
    return t.readingFrom && t.readingFromPipe && t.kernelWaitKind != "poll" &&
           (t.readingOutsideWriter || std::none_of(snap.processes.begin(), snap.processes.end(), [&](const Process& q) {
              return q.writeEnds.count(t.readingFrom) > 0;
            }));
  };
  std::set<pid_t> known;
  std::set<uint64_t> reads, writes;
  for (const auto& p : snap.processes) {
    if (p.pid > 0) known.insert(static_cast<pid_t>(p.pid));
    for (const auto& t : p.threads) {
      if (t.writingPipe && !t.writingSocket && t.writingOutsideReader) writes.insert(t.writingPipe);
      if (outsideWriter(t)) reads.insert(t.readingFrom);
    }
  }
  if (reads.empty() && writes.empty()) return;
  const auto readers = writes.empty() ? std::map<uint64_t, std::vector<pid_t>>{} : pipeReaders(writes, known);
  const auto writers = reads.empty() ? std::map<uint64_t, std::vector<pid_t>>{} : pipeWriters(reads, known);
  std::set<pid_t> descendants;
  for (pid_t root : known) {
    for (pid_t c : descendantsOf(root)) descendants.insert(c);
  }
  auto phrase = [&](const std::vector<pid_t>& pids) {
    std::vector<std::string> names;
    bool child = false;
    for (pid_t pid : pids) {
      child |= descendants.count(pid) > 0;
      if (names.size() == 2) continue;
      std::string command = LiveProcess(pid).commandLine();
      if (command.size() > 80) command = command.substr(0, 77) + "...";
      names.push_back(command.empty() ? fmt::format("pid {}", pid) : fmt::format("pid {} ({})", pid, command));
    }
    return fmt::format(", the other end held by {}{}{}", fmt::join(names, " and "),
                       pids.size() > names.size() ? fmt::format(" and {} more", pids.size() - names.size()) : "",
                       child ? ", not in this report (add --children to inspect it)" : "");
  };
  for (auto& p : snap.processes) {
    for (auto& t : p.threads) {
      if (t.kernelWait.empty()) continue;
      if (t.writingPipe && !t.writingSocket && t.writingOutsideReader) {
        if (auto r = readers.find(t.writingPipe); r != readers.end() && !r->second.empty()) t.kernelWait += phrase(r->second);
      } else if (outsideWriter(t)) {
        if (auto w = writers.find(t.readingFrom); w != writers.end() && !w->second.empty()) t.kernelWait += phrase(w->second);
      }
    }
  }
}

}  // namespace pyhang
