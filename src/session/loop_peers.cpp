#include "session/loop_peers.h"

#include <dirent.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "process/fd_peers.h"

namespace pyhang {

namespace {

// A loop that could be waiting on nothing but its own descriptors: running, idle (no ready
// callbacks, no timers), watching at least one descriptor for reading only.
bool idleWithReads(const EventLoop& l) {
  if (!l.tid || !l.stateRead || l.stopping || l.readyCallbacks > 0 || l.timers > 0) return false;
  bool any = false;
  for (const auto& fd : l.fds) {
    if (fd.wakeup) continue;
    if (fd.write || fd.childPid > 0 || fd.pipeWriteEnd) return false;
    any |= fd.read;
  }
  return any;
}

size_t osThreadCount(int64_t pid) {
  size_t n = 0;
  if (DIR* d = opendir(fmt::format("/proc/{}/task", pid).c_str())) {
    while (dirent* e = readdir(d)) n += e->d_name[0] >= '0' && e->d_name[0] <= '9';
    closedir(d);
  }
  return n;
}

}  // namespace

void attachLoopPeers(Snapshot& snap) {
  std::optional<std::unordered_map<uint64_t, uint64_t>> unixPeers, tcpPeers;
  std::unordered_map<uint64_t, uint32_t> queued;
  for (auto& p : snap.processes) {
    if (p.pid <= 0 || p.source != "live" || p.kernelState == 'Z' || p.kernelState == 'X') continue;
    if (std::none_of(p.loops.begin(), p.loops.end(), idleWithReads)) continue;
    // An OS thread Python does not know (a C library's I/O thread) may write through any end.
    if (osThreadCount(p.pid) != p.threads.size()) continue;
    auto ends = fdEnds(static_cast<pid_t>(p.pid));
    if (!ends) continue;
    std::map<int64_t, FdEnd> byFd;
    for (const auto& e : *ends) byFd[e.fd] = e;
    if (!unixPeers) unixPeers = unixSocketPeers(&queued);
    // Unread bytes this process sent through a Unix socket may carry descriptors (SCM_RIGHTS)
    // to anyone: then no end is known to stay here.
    bool inFlight = false;
    for (const auto& [fd, e] : byFd) {
      if (e.pipe) continue;
      auto peer = unixPeers->find(e.inode);
      inFlight |= peer != unixPeers->end() && queued.count(peer->second) > 0;
    }
    if (inFlight) continue;
    // For each watched descriptor: the inode of the end that writes to it, and that end's fd here.
    struct Watch {
      LoopFd* fd;
      uint64_t other;
      bool pipe;
      int64_t otherFd;
    };
    std::vector<Watch> watches;
    std::set<uint64_t> pipes, sockets;
    for (auto& l : p.loops) {
      if (!idleWithReads(l)) continue;
      for (auto& fd : l.fds) {
        if (fd.wakeup || !fd.read) continue;
        auto e = byFd.find(fd.fd);
        if (e == byFd.end()) continue;
        uint64_t other = 0;
        if (e->second.pipe) {
          if (!e->second.writable) other = e->second.inode;
        } else if (queued.count(e->second.inode)) {
          continue;  // bytes waiting: the loop is about to read them
        } else if (auto u = unixPeers->find(e->second.inode); u != unixPeers->end()) {
          other = u->second;
        } else {
          if (!tcpPeers) tcpPeers = tcpSocketPeers(false);  // leaves out connections with bytes queued
          if (auto t = tcpPeers->find(e->second.inode); t != tcpPeers->end()) other = t->second;
        }
        if (!other) continue;
        int64_t otherFd = -1;
        for (const auto& [n, end] : byFd) {
          if (end.inode == other && end.pipe == e->second.pipe && (!end.pipe || end.writable) && otherFd < 0) otherFd = n;
        }
        if (otherFd < 0) continue;
        watches.push_back({&fd, other, e->second.pipe, otherFd});
        (e->second.pipe ? pipes : sockets).insert(other);
      }
    }
    if (watches.empty()) continue;
    const std::set<uint64_t> elsewhere = heldElsewhere(pipes, sockets, {static_cast<pid_t>(p.pid)});
    for (const auto& w : watches) {
      if (!elsewhere.count(w.other)) w.fd->peerFd = w.otherFd;
    }
  }
}

void markLoopPipeReads(Snapshot& snap) {
  for (auto& p : snap.processes) {
    if (p.pid <= 0 || p.source != "live" || p.kernelState == 'Z' || p.kernelState == 'X') continue;
    for (const auto& l : p.loops) {
      if (!l.tid || !l.stateRead || l.stopping || l.readyCallbacks > 0 || l.timers > 0) continue;
      size_t children = 0;
      std::vector<int64_t> reads;
      bool other = false;
      for (const auto& fd : l.fds) {
        if (fd.wakeup || fd.pipeWriteEnd) continue;
        if (fd.childPid > 0) ++children;
        else if (fd.read && !fd.write) reads.push_back(fd.fd);
        else other = true;
      }
      // Before 3.12 (the thread-based child watcher) a thread waits in waitpid() for the child.
      for (const auto& th : p.threads) {
        children += th.tid != l.tid && th.waitingForChild > 0 && std::any_of(th.frames.begin(), th.frames.end(), [](const Frame& f) {
                      return f.location.function == "_do_waitpid" && f.location.file.ends_with("/asyncio/unix_events.py");
                    });
      }
      if (other || children != 1 || reads.size() != 1) continue;
      auto t = std::find_if(p.threads.begin(), p.threads.end(), [&](const Thread& th) { return th.tid == l.tid; });
      if (t == p.threads.end() || t->readingFd >= 0 || t->kernelWaitKind != "poll") continue;
      auto ends = fdEnds(static_cast<pid_t>(p.pid));
      if (!ends) continue;
      if (std::any_of(ends->begin(), ends->end(), [&](const FdEnd& e) { return e.fd == reads.front() && e.pipe && !e.writable; })) {
        t->readingFd = reads.front();
        t->kernelWait += fmt::format(", for a task that reads a pipe (fd {})", reads.front());
      }
    }
  }
}

}  // namespace pyhang
