#include "analysis/loop_wait.h"

#include <algorithm>
#include <csignal>
#include <set>
#include <vector>

namespace pyhang {

int64_t loopWaitsOnlyForChild(const Snapshot& snap, const Process& p, const Thread& t) {
  // SIGCHLD (the child watcher of 3.6/3.7 handles it) comes only when a child exits.
  if (!p.signalHandlers || std::any_of(p.signalHandlers->begin(), p.signalHandlers->end(),
                                       [](const SignalHandler& h) { return h.signo != SIGCHLD; })) {
    return 0;
  }
  const EventLoop* loop = nullptr;
  for (const auto& l : p.loops) {
    if (l.tid == t.tid) loop = &l;
  }
  if (!loop || !loop->stateRead || loop->stopping || loop->readyCallbacks > 0 || loop->timers > 0) return 0;
  const Frame* inner = nullptr;
  for (auto it = t.frames.rbegin(); it != t.frames.rend() && !inner; ++it) {
    if (it->kind == Frame::Kind::kPython) inner = &*it;
  }
  if (!inner || inner->location.function != "select" || !inner->location.file.ends_with("/selectors.py")) return 0;
  std::set<int64_t> children;
  std::vector<int64_t> pipeFds;
  bool readsPipe = false;
  for (const auto& fd : loop->fds) {
    if (fd.childPid > 0) children.insert(fd.childPid);
    else if (fd.pipeWriteEnd) pipeFds.push_back(fd.fd);
    else if (fd.fd == t.readingFd && t.readingFromPipe && t.readingFrom && !t.readingOutsideWriter) readsPipe = true;
    else if (!fd.wakeup) return 0;
  }
  for (const auto& other : p.threads) {
    if (other.tid == t.tid) continue;
    bool watcher = other.waitingForChild > 0 && std::any_of(other.frames.begin(), other.frames.end(), [](const Frame& f) {
                     return f.location.function == "_do_waitpid" && f.location.file.ends_with("/asyncio/unix_events.py");
                   });
    if (!watcher) return 0;
    children.insert(other.waitingForChild);
  }
  if (children.size() != 1) return 0;
  // A pipe the loop reads (the child's stdout, another stream paused): only when the child is
  // the one process that could write to it, then the read too waits for the child.
  if (readsPipe) {
    for (const auto& q : snap.processes) {
      if (q.writeEnds.count(t.readingFrom) && q.pid != *children.begin()) return 0;
    }
  }
  // The write end of a pipe (the child's stdin) is readable only once its readers have closed
  // it (a pipe, or before 3.12 the socket pair asyncio makes): the child reads it now (the kernel
  // says so), so that too waits for the child.
  for (int64_t fd : pipeFds) {
    uint64_t inode = 0;
    for (const auto& [ino, f] : p.writeEnds) {
      if (f == fd) inode = ino;
    }
    bool childReads = inode && std::any_of(snap.processes.begin(), snap.processes.end(), [&](const Process& q) {
      return q.pid == *children.begin() && std::any_of(q.threads.begin(), q.threads.end(), [&](const Thread& ct) {
               return ct.readingFrom == inode;
             });
    });
    if (!childReads) return 0;
  }
  return *children.begin();
}

}  // namespace pyhang
