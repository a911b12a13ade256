// Pass 1 of the wait graph: each thread's holds and effective wait (see wait_graph_internal.h).
#include "analysis/wait_graph.h"

#include "analysis/wait_graph_internal.h"
#include "analysis/loop_wait.h"

#include <cstdlib>

#include <algorithm>

namespace pyhang {

using wait_graph_internal::find;
using wait_graph_internal::isPlainLock;

namespace {

// threading.py and queue.py: synchronisation written in Python, which blocks only where a frame
// of theirs is in a recognised wait (Condition.wait's waiter, a lock's acquire, a join).
bool isPurePythonSync(const std::string& file) {
  if (!isStdlib(file)) return false;
  for (std::string_view m : {std::string_view("/threading.py"), std::string_view("/queue.py")}) {
    if (file.size() >= m.size() && file.compare(file.size() - m.size(), m.size(), m) == 0) return true;
  }
  return false;
}

// multiprocessing's BaseProcess._bootstrap: where a child process's own work begins. The frames
// outside it belong to whatever started the child (the parent's code after a fork, the
// forkserver's loop): they are not waiting for anything now.
bool isProcessBootstrap(const Frame& f) {
  const std::string& file = f.location.file;
  return f.location.function == "_bootstrap" && file.size() >= 27 &&
         file.compare(file.size() - 27, 27, "/multiprocessing/process.py") == 0;
}

// The frame running the body of `module` (its `<module>` code), where an import lock is held.
size_t moduleBodyFrame(const Thread& t, const std::string& module) {
  std::string last = module.substr(module.rfind('.') == std::string::npos ? 0 : module.rfind('.') + 1);
  for (size_t i = t.frames.size(); i-- > 0;) {
    const Frame& f = t.frames[i];
    if (f.location.function != "<module>") continue;
    const std::string& file = f.location.file;
    if (file.ends_with("/" + last + ".py") || file.ends_with("/" + last + "/__init__.py") || file == last + ".py") return i;
  }
  return SIZE_MAX;
}

// The program's own innermost Python frame of a thread blocked in a system call (the line that
// called into the library doing it), else its innermost frame.
static size_t programFrame(const Thread& t) {
  if (t.frames.empty()) return 0;
  size_t at = t.frames.size() - 1;
  while (at > 0 && (isLibraryCode(t.frames[at].location.file) || t.frames[at].kind != Frame::Kind::kPython)) --at;
  const bool own = !isLibraryCode(t.frames[at].location.file) && t.frames[at].kind == Frame::Kind::kPython;
  return own ? at : t.frames.size() - 1;
}

}  // namespace

namespace wait_graph_internal {

UnitState unitState(const Snapshot& snap, size_t pi, size_t ti) {
  const Process& p = snap.processes[pi];
  const Thread& t = p.threads[ti];
  UnitState u;
  u.id = {pi, ti};
  for (size_t fi = 0; fi < t.frames.size(); ++fi) {
    for (const auto& h : t.frames[fi].holds) {
      const SyncObject* o = find(p, h.object);
      // Through a program's own context manager: only a lock that is locked now.
      if (h.throughWrapper && (!o || !o->locked.value_or(false))) continue;
      // An acquire() inferred from the source gives way to an RLock's recorded owner: another
      // thread (in a forked child, one that does not exist there), or none.
      if (o && o->kind == ObjectKind::kRLock && h.how.rfind("acquire()", 0) == 0 && o->ownerIdent &&
          ((*o->ownerIdent != 0 && *o->ownerIdent != t.ident) || (o->count && *o->count == 0))) {
        continue;
      }
      // Holding a Semaphore is not holding its lock; it is counted as a holder of the semaphore.
      uint64_t lock = (o && o->kind == ObjectKind::kSemaphore) ? h.object : lockOf(p, h.object);
      u.holds.push_back(Hold{lock, lockKey(snap, pi, lock), h.object, fi, h.how, h.line, h.throughWrapper, h.doubtful});
    }
  }
  // RLocks and SemLocks record their owner thread; tstate locks are held by their thread.
  for (const auto& [addr, o] : p.objects) {
    bool owned = (o.kind == ObjectKind::kRLock || o.kind == ObjectKind::kSemLock || o.kind == ObjectKind::kImportLock ||
                  o.kind == ObjectKind::kIoBuffer) &&
                 o.ownerIdent && *o.ownerIdent == t.ident && o.count.value_or(0) > 0;
    if (owned) {
      bool known = false;
      for (auto& h : u.holds) {
        if (h.lock != addr) continue;
        known = true;
        // The recorded owner confirms what the source suggested.
        if (o.kind == ObjectKind::kRLock && h.how.rfind("acquire()", 0) == 0) h.how = "owner";
      }
      if (!known && o.kind == ObjectKind::kImportLock) {
        size_t body = moduleBodyFrame(t, o.threadName);
        int line = body < t.frames.size() ? t.frames[body].location.line : 0;
        u.holds.push_back(Hold{addr, lockKey(snap, pi, addr), addr, body, "import", line});
      } else if (!known) {
        u.holds.push_back(Hold{addr, lockKey(snap, pi, addr), addr, SIZE_MAX,
                               o.kind == ObjectKind::kRLock ? "owner" : "acquire()", 0});
      }
    }
    if (o.kind == ObjectKind::kLock && o.threadIdent && *o.threadIdent == t.ident) {
      u.holds.push_back(Hold{addr, lockKey(snap, pi, addr), addr, SIZE_MAX, "thread", 0});
    }
  }
  // The effective wait: a real lock acquired by the innermost frame, else the outermost
  // stdlib wait of the innermost run (Queue.get over Condition.wait over a waiter lock).
  if (!t.frames.empty()) {
    size_t last = t.frames.size() - 1;
    size_t notifiedAt = SIZE_MAX;   // a Condition.wait of the run whose waiter was notified
    std::vector<const WaitInfo*> runWaits;  // every stdlib wait of the innermost run
    const Frame& inner = t.frames[last];
    const SyncObject* io = inner.waitsOn ? find(p, inner.waitsOn->object) : nullptr;
    // An idle pool worker queueing for its task queue's read lock (another idle worker holds
    // it while it reads the pipe) waits for work, like that one.
    const bool idleWorker = last >= 2 && t.frames[last - 2].waitsOn && !t.frames[last - 2].waitsOn->object &&
                            t.frames[last - 2].waitsOn->how.rfind("for work", 0) == 0 &&
                            t.frames[last - 1].location.file.ends_with("/multiprocessing/queues.py");
    if (inner.waitsOn && isPlainLock(io) && !io->threadIdent && !idleWorker) {
      u.wait = inner.waitsOn;
      u.waitFrame = last;
      // Re-taking a Condition's lock at the end of Condition.wait() (_acquire_restore, after
      // the waiter was woken): wait() released that lock, so the `with cond:` around the
      // wait does not hold it now, and the thread waits for it like any other.
      for (size_t k = last; k-- > 0;) {
        const Frame& f = t.frames[k];
        if (f.location.function != "wait" || !f.location.file.ends_with("/threading.py")) continue;
        for (const auto& v : f.arguments) {
          const SyncObject* c = v.name == "self" ? find(p, v.address) : nullptr;
          if (!c || c->kind != ObjectKind::kCondition || lockOf(p, v.address) != inner.waitsOn->object) continue;
          u.holds.erase(std::remove_if(u.holds.begin(), u.holds.end(),
                                       [&](const Hold& h) {
                                         return h.lock == inner.waitsOn->object && h.frameIndex < k && h.how != "owner";
                                       }),
                        u.holds.end());
        }
        break;
      }
    } else if (!inner.waitsOn && inner.kind == Frame::Kind::kPython && isPurePythonSync(inner.location.file)) {
      // Running the Python code of threading or queue (notify(), _get(), a finally clause):
      // whatever the outer frames wait for, this thread is not blocked now.
    } else {
      for (size_t k = t.frames.size(); k-- > 0;) {
        const Frame& f = t.frames[k];
        if (f.kind == Frame::Kind::kMarker || isProcessBootstrap(f)) break;
        // A child forked by the forkserver runs (and exits, 3.13+) inside the forkserver's
        // loop, whose `main` frame is not waiting for requests when the child waits inside it.
        if (u.wait && f.location.function == "main" && f.location.file.size() >= 14 &&
            f.location.file.compare(f.location.file.size() - 14, 14, "/forkserver.py") == 0) {
          break;
        }
        if (f.waitsOn) {
          u.wait = f.waitsOn;
          u.waitFrame = k;
          runWaits.push_back(&*f.waitsOn);
          if (f.waitsOn->notified) notifiedAt = k;
        }
        if (!isStdlib(f.location.file)) break;
      }
    }
    // Acquiring a thread's tstate lock (threading._shutdown, 3.8-3.12) waits for it to exit.
    if (u.wait && u.wait->op == WaitOp::kAcquire) {
      const SyncObject* wo = find(p, u.wait->object);
      if (wo && wo->kind == ObjectKind::kLock && wo->threadIdent) u.wait->op = WaitOp::kJoin;
    }
    // Condition.wait() releases the Condition's lock while it waits, and so do the waits
    // built on one (Event, Semaphore, Barrier, Queue): that lock is not held meanwhile.
    // Every such wait of the run counts, not only the outermost one the thread is said to wait
    // for: a pool worker waits "for work" in a Queue.get() whose Condition.wait() released
    // the queue's mutex that get()'s `with self.not_empty:` took.
    auto releasesLock = [&](const WaitInfo& w) {
      return w.op == WaitOp::kWait || w.op == WaitOp::kQueueGet || w.op == WaitOp::kQueuePut ||
             w.op == WaitOp::kQueueJoin || w.op == WaitOp::kFutureResult ||
             (w.op == WaitOp::kAcquire && find(p, w.object) && find(p, w.object)->kind == ObjectKind::kSemaphore);
    };
    if (u.wait) runWaits.push_back(&*u.wait);
    for (const WaitInfo* w : runWaits) {
      if (!releasesLock(*w) || !w->object) continue;
      uint64_t released = lockOf(p, w->object);
      u.holds.erase(std::remove_if(u.holds.begin(), u.holds.end(),
                                   [&](const Hold& h) { return h.lock == released && h.how != "owner"; }),
                    u.holds.end());
    }
    // Notified: the Condition's notify() has already released this thread's waiter, so the
    // wait is over; what is left is re-acquiring the Condition's lock, a wait only while
    // that lock is held (by a thread that may itself be blocked).
    if (u.wait && notifiedAt != SIZE_MAX) {
      const WaitInfo& inner = *t.frames[notifiedAt].waitsOn;
      uint64_t condLock = lockOf(p, inner.object);
      const SyncObject* lo = find(p, condLock);
      if (condLock == inner.object || !lo || !lo->locked.value_or(false)) {
        u.wait.reset();
      } else {
        WaitInfo w;
        w.op = WaitOp::kAcquire;
        w.object = condLock;
        w.how = "wait() (notified, re-acquiring the lock)";
        w.certain = inner.certain;
        u.wait = w;
        u.waitFrame = notifiedAt;
      }
    }
    if (u.wait) {
      // The program's own frame that made the call; the wait frame itself when the whole
      // stack is library code (a pool worker, Thread(target=event.wait)).
      size_t at = u.waitFrame;
      while (at > 0 && !isProcessBootstrap(t.frames[at]) &&
             (isLibraryCode(t.frames[at].location.file) || t.frames[at].kind != Frame::Kind::kPython)) {
        --at;
      }
      if (isLibraryCode(t.frames[at].location.file) || t.frames[at].kind != Frame::Kind::kPython) at = u.waitFrame;
      // A library's own loop (an idle pool worker, a forkserver) waits where it is.
      if (!u.wait->object && u.wait->how.rfind("for ", 0) == 0) at = u.waitFrame;
      u.atFrame = at;
    }
  }
  // Blocked in write(2) on a full pipe (the kernel says so): it waits for a reader. This
  // replaces only a wait the frames could not pin down.
  // A wait the kernel shows, at the thread's innermost frame (the program's own for the words).
  auto kernelShown = [&](WaitOp op, uint64_t object, const std::string& how) {
    WaitInfo w;
    w.op = op;
    w.object = object;
    w.how = how;
    u.wait = w;
    u.waitFrame = t.frames.empty() ? 0 : t.frames.size() - 1;
    u.atFrame = programFrame(t);
  };
  if (t.writingPipe && !t.writingOutsideReader && (!u.wait || u.wait->op == WaitOp::kIo)) {
    kernelShown(WaitOp::kPipeWrite, t.writingPipe, "write()");
  }
  // Blocked reading a pipe or Unix socket whose other end only processes of this report
  // hold (the kernel says so): it waits for one of them to write. Not an asyncio event loop
  // polling its own wake-up socket: an idle loop (run_forever() until a signal or a
  // call_soon_threadsafe()) is the tasks' analysis's to judge.
  const bool loopThread = !t.polledFds.empty() && std::any_of(p.loops.begin(), p.loops.end(), [&](const EventLoop& l) {
                            return l.tid == t.tid;
                          });
  // An idle loop in epoll whose thread reads a pipe (the session marks one watched pipe beside
  // a child's exit: `await proc.stdout.read()`): only when that child alone can write to it.
  const bool epollLoop = t.polledFds.empty() && std::any_of(p.loops.begin(), p.loops.end(), [&](const EventLoop& l) {
                           return l.tid == t.tid;
                         });
  if (t.readingFrom && !t.readingOutsideWriter && !loopThread && (!u.wait || u.wait->op == WaitOp::kIo)) {
    if (!epollLoop) kernelShown(WaitOp::kPipeRead, t.readingFrom, "read()");
    else if (loopWaitsOnlyForChild(snap, p, t)) kernelShown(WaitOp::kPipeRead, t.readingFrom, "asyncio's event loop, for a task");
  }
  // Blocked taking a file lock (flock(), lockf()) that only processes of this report hold
  // (the kernel says so): it waits for one of them to release it.
  if (!t.fileLockKey.empty() && (!u.wait || u.wait->op == WaitOp::kIo)) {
    kernelShown(WaitOp::kFileLock, std::strtoull(t.fileLockKey.substr(t.fileLockKey.rfind(':') + 1).c_str(), nullptr, 10),
                t.fileLockCall.empty() ? "a file lock" : t.fileLockCall);
  }
  // Blocked in os.waitpid(pid, 0) for one child (the kernel says so; Popen.wait() and
  // Process.join() are read from the frames): it waits for that process to exit. In wait4(-1)
  // (os.wait(), a shell): for whichever of its children, all in the report, exits first.
  if (t.waitingForChild != 0 && !u.wait) {
    WaitInfo w;
    w.op = WaitOp::kJoin;
    w.targetPid = t.waitingForChild;
    w.how = t.waitingForChild > 0 ? "os.waitpid()" : p.isPython ? "os.wait()" : "wait()";
    u.wait = w;
    u.waitFrame = u.atFrame = t.frames.empty() ? 0 : t.frames.size() - 1;
  }
  // An event loop that only a child's exit can wake (asyncio's proc.wait() with nothing else
  // to do) waits for that child like os.waitpid().
  if (!u.wait || u.wait->op == WaitOp::kIo) {
    if (int64_t child = loopWaitsOnlyForChild(snap, p, t)) {
      WaitInfo w;
      w.op = WaitOp::kJoin;
      w.targetPid = child;
      w.how = "asyncio's child watcher (the event loop has nothing else to wait for)";
      u.wait = w;
      u.waitFrame = u.atFrame = t.frames.empty() ? 0 : t.frames.size() - 1;
    }
  }
  // A ThreadPoolExecutor worker: concurrent.futures.thread._worker(executor_ref, work_queue, ...),
  // or a multiprocessing.pool.ThreadPool one: multiprocessing.pool.worker(inqueue, ...).
  for (const auto& f : t.frames) {
    if (f.location.function == "worker" && f.location.file.ends_with("/multiprocessing/pool.py")) {
      for (const auto& v : f.arguments) {
        if (v.name == "inqueue") u.poolQueue = v.address;
      }
    }
    if (f.location.function != "_worker" || !f.location.file.ends_with("/concurrent/futures/thread.py")) continue;
    for (const auto* vars : {&f.arguments, &f.locals}) {
      for (const auto& v : *vars) {
        if (v.name == "work_queue") u.poolQueue = v.address;
      }
    }
  }
  // A thread that holds the GIL is running Python code: every wait named here releases the
  // GIL while it blocks, so the thread has just been woken (a lock acquired, its frame not
  // moved on yet) or has not blocked yet. A core, read once, catches this often.
  // The same for a thread whose native stack or registers show it waiting to take the GIL, and
  // for a thread a core caught outside any system call (every wait blocks in the kernel).
  const bool coreRunning = p.source == "core" && t.kernelState == "R";
  if ((t.holdsGil || t.waitingForGil || coreRunning) && u.wait) u.wait.reset();
  // A wait that may be over already (an item handed to a parked getter): live, the second
  // look tells; a core has one moment only.
  if (u.wait && u.wait->mayBeOver && p.source == "core") u.wait.reset();
  return u;
}

}  // namespace wait_graph_internal

}  // namespace pyhang
