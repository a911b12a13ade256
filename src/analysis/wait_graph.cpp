#include "analysis/wait_graph.h"

#include "analysis/loop_wait.h"
#include "analysis/pool_waits.h"

#include <cstdlib>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace pyhang {

// Could a process other than the waiter's end this wait? Multiprocessing primitives, process
// joins, pipes and sockets, and the library's service loops that wait for worker processes.
bool crossProcessWait(const Process& p, const WaitInfo& w) {
  if (w.op == WaitOp::kIo || w.op == WaitOp::kPipeWrite || w.op == WaitOp::kPipeRead || w.op == WaitOp::kFileLock) return true;
  if (w.op == WaitOp::kJoin && w.targetPid) return true;
  if (!w.object) return true;   // a service loop: "for results from the pool's workers"
  auto it = p.objects.find(w.object);
  if (it == p.objects.end()) return false;
  const SyncObject& o = it->second;
  switch (o.kind) {
    case ObjectKind::kSemLock:
    case ObjectKind::kMpLock:
    case ObjectKind::kProcess:
    case ObjectKind::kManagerLock: return true;
    default: break;
  }
  if (o.type.find("multiprocessing") != std::string::npos) return true;
  auto under = p.objects.find(o.underlyingLock);
  return under != p.objects.end() && under->second.kind == ObjectKind::kSemLock;
}

bool isStdlib(const std::string& file) {
  static const char* kModules[] = {"/threading.py", "/queue.py", "/concurrent/futures/_base.py",
                                   "/concurrent/futures/thread.py", "/subprocess.py", "/selectors.py"};
  if (file.find("python3") == std::string::npos && file.find("Lib/") == std::string::npos) return false;
  if (file.find("/multiprocessing/") != std::string::npos) return true;
  for (const char* m : kModules) {
    std::string_view sv(m);
    if (file.size() >= sv.size() && file.compare(file.size() - sv.size(), sv.size(), sv) == 0) return true;
  }
  return false;
}

bool isLibraryCode(const std::string& file) {
  if (isStdlib(file) || file.rfind("<frozen ", 0) == 0) return true;
  if (file.find("/site-packages/") != std::string::npos || file.find("/dist-packages/") != std::string::npos) return false;
  return file.find("/lib/python3.") != std::string::npos || file.find("/Lib/") != std::string::npos;
}

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

const SyncObject* find(const Process& p, uint64_t addr) {
  auto it = p.objects.find(addr);
  return it == p.objects.end() ? nullptr : &it->second;
}

bool isPlainLock(const SyncObject* o) {
  return o && (o->kind == ObjectKind::kLock || o->kind == ObjectKind::kRLock || o->kind == ObjectKind::kSemLock ||
               o->kind == ObjectKind::kImportLock);
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

}  // namespace

uint64_t lockOf(const Process& p, uint64_t object) {
  const SyncObject* o = find(p, object);
  if (!o) return object;
  if (isPlainLock(o)) return object;
  if (o->underlyingLock) return o->underlyingLock;
  return object;
}

std::string lockKey(const Snapshot& s, size_t process, uint64_t lock) {
  const SyncObject* o = find(s.processes[process], lock);
  if (o && !o->sharedKey.empty()) return "shm:" + o->sharedKey;
  return fmt::format("{}:{:x}", process, lock);
}

const UnitState* WaitGraph::unit(const UnitId& id) const {
  size_t i = indexOf(id);
  return i == SIZE_MAX ? nullptr : &units[i];
}

size_t WaitGraph::indexOf(const UnitId& id) const {
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].id == id) return i;
  }
  return SIZE_MAX;
}

void unifySharedNames(Snapshot& snap) {
  auto isSemlockPath = [](const std::string& n) {
    return n.size() > 9 && n.compare(n.size() - 9, 9, "._semlock") == 0;
  };
  std::map<std::string, std::vector<std::string>> wrapperNames, otherNames;
  auto add = [](std::vector<std::string>& v, const std::string& n) {
    if (std::find(v.begin(), v.end(), n) == v.end() && v.size() < 8) v.push_back(n);
  };
  for (const auto& p : snap.processes) {
    for (const auto& [addr, o] : p.objects) {
      std::string key = o.sharedKey;
      bool wrapper = false;
      if (key.empty() && o.underlyingLock) {
        auto it = p.objects.find(o.underlyingLock);
        if (it != p.objects.end()) key = it->second.sharedKey;
        wrapper = true;
      }
      if (key.empty()) continue;
      for (const auto& n : o.names) {
        // "first_lock._semlock" names the program's first_lock (spawn: no wrapper in view).
        if (!wrapper && isSemlockPath(n)) add(wrapperNames[key], n.substr(0, n.size() - 9));
        else add(wrapperNames[key], n);
      }
    }
  }
  for (auto& p : snap.processes) {
    for (auto& [addr, o] : p.objects) {
      if (o.kind != ObjectKind::kSemLock || o.sharedKey.empty()) continue;
      std::vector<std::string> names = wrapperNames[o.sharedKey];
      if (names.empty()) names = otherNames[o.sharedKey];
      if (!names.empty()) o.names = names;
    }
  }
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

WaitGraph buildWaitGraph(const Snapshot& snap) {
  WaitGraph g;
  // Pass 1: every thread's holds and effective wait.
  for (size_t pi = 0; pi < snap.processes.size(); ++pi) {
    const Process& p = snap.processes[pi];
    for (size_t ti = 0; ti < p.threads.size(); ++ti) {
      const Thread& t = p.threads[ti];
      UnitState u;
      u.id = {pi, ti};
      for (size_t fi = 0; fi < t.frames.size(); ++fi) {
        for (const auto& h : t.frames[fi].holds) {
          const SyncObject* o = find(p, h.object);
          // Through a program's own context manager: only a lock that is locked now.
          if (h.throughWrapper && (!o || !o->locked.value_or(false))) continue;
          // Holding a Semaphore is not holding its lock; it is counted as a holder of the semaphore.
          uint64_t lock = (o && o->kind == ObjectKind::kSemaphore) ? h.object : lockOf(p, h.object);
          u.holds.push_back(Hold{lock, lockKey(snap, pi, lock), h.object, fi, h.how, h.line, h.throughWrapper, h.doubtful});
        }
      }
      // RLocks and SemLocks record their owner thread; tstate locks are held by their thread.
      for (const auto& [addr, o] : p.objects) {
        bool owned = (o.kind == ObjectKind::kRLock || o.kind == ObjectKind::kSemLock || o.kind == ObjectKind::kImportLock) &&
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
        if (u.wait && (u.wait->op == WaitOp::kWait || u.wait->op == WaitOp::kQueueGet ||
                       u.wait->op == WaitOp::kQueuePut || u.wait->op == WaitOp::kQueueJoin ||
                       u.wait->op == WaitOp::kFutureResult ||
                       (u.wait->op == WaitOp::kAcquire && find(p, u.wait->object) &&
                        find(p, u.wait->object)->kind == ObjectKind::kSemaphore))) {
          uint64_t released = lockOf(p, u.wait->object);
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
      if (t.writingPipe && (!u.wait || u.wait->op == WaitOp::kIo)) {
        WaitInfo w;
        w.op = WaitOp::kPipeWrite;
        w.object = t.writingPipe;
        w.how = "write()";
        u.wait = w;
        u.waitFrame = t.frames.empty() ? 0 : t.frames.size() - 1;
        u.atFrame = programFrame(t);
      }
      // Blocked reading a pipe or Unix socket whose other end only processes of this report
      // hold (the kernel says so): it waits for one of them to write. Not an asyncio event loop
      // polling its own wake-up socket: an idle loop (run_forever() until a signal or a
      // call_soon_threadsafe()) is the tasks' analysis's to judge.
      const bool loopThread = !t.polledFds.empty() && std::any_of(p.loops.begin(), p.loops.end(), [&](const EventLoop& l) {
                                return l.tid == t.tid;
                              });
      if (t.readingFrom && !t.readingOutsideWriter && !loopThread && (!u.wait || u.wait->op == WaitOp::kIo)) {
        WaitInfo w;
        w.op = WaitOp::kPipeRead;
        w.object = t.readingFrom;
        w.how = "read()";
        u.wait = w;
        u.waitFrame = t.frames.empty() ? 0 : t.frames.size() - 1;
        u.atFrame = programFrame(t);
      }
      // Blocked taking a file lock (flock(), lockf()) that only processes of this report hold
      // (the kernel says so): it waits for one of them to release it.
      if (!t.fileLockKey.empty() && (!u.wait || u.wait->op == WaitOp::kIo)) {
        WaitInfo w;
        w.op = WaitOp::kFileLock;
        w.object = std::strtoull(t.fileLockKey.substr(t.fileLockKey.rfind(':') + 1).c_str(), nullptr, 10);
        w.how = t.fileLockCall.empty() ? "a file lock" : t.fileLockCall;
        u.wait = w;
        u.waitFrame = t.frames.empty() ? 0 : t.frames.size() - 1;
        u.atFrame = programFrame(t);
      }
      // Blocked in os.waitpid(pid, 0) for one child (the kernel says so; Popen.wait() and
      // Process.join() are read from the frames): it waits for that process to exit.
      if (t.waitingForChild > 0 && !u.wait) {
        WaitInfo w;
        w.op = WaitOp::kJoin;
        w.targetPid = t.waitingForChild;
        w.how = "os.waitpid()";
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
      // A ThreadPoolExecutor worker: concurrent.futures.thread._worker(executor_ref, work_queue, ...).
      for (const auto& f : t.frames) {
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
      // The same for a thread whose native stack shows it waiting to take the GIL.
      if ((t.holdsGil || t.waitingForGil) && u.wait) u.wait.reset();
      // A wait that may be over already (an item handed to a parked getter): live, the second
      // look tells; a core has one moment only.
      if (u.wait && u.wait->mayBeOver && p.source == "core") u.wait.reset();
      g.units.push_back(std::move(u));
    }
  }
  // A lock held through a context manager by more than one thread, or also held in a surer way
  // by another, has no certain holder: drop those guesses.
  {
    std::map<std::string, std::set<size_t>> holders;
    for (size_t ui = 0; ui < g.units.size(); ++ui) {
      for (const auto& h : g.units[ui].holds) holders[h.key].insert(ui);
    }
    for (size_t ui = 0; ui < g.units.size(); ++ui) {
      auto& hs = g.units[ui].holds;
      // The same for an acquire() inferred from the source of a plain Lock, which has one holder.
      const Process& p = snap.processes[g.units[ui].id.process];
      auto guessed = [&](const Hold& h) {
        if (h.throughWrapper) return true;
        const SyncObject* o = find(p, h.lock);
        return h.how.rfind("acquire() (from the source)", 0) == 0 && o && o->kind == ObjectKind::kLock;
      };
      hs.erase(std::remove_if(hs.begin(), hs.end(), [&](const Hold& h) { return guessed(h) && holders[h.key].size() > 1; }),
               hs.end());
    }
  }
  // Waits that only something outside the snapshot can end (a process not inspected, a pipe end
  // no unit holds), known before any edge asks whether a unit waits forever.
  for (auto& u : g.units) {
    if (!u.wait) continue;
    const Process& p = snap.processes[u.id.process];
    const SyncObject* o = find(p, u.wait->object);
    if (u.wait->op == WaitOp::kJoin && ((o && o->kind == ObjectKind::kProcess) || u.wait->targetPid)) {
      int64_t pid = o && o->kind == ObjectKind::kProcess ? o->pid : u.wait->targetPid;
      u.waitPidMissing = std::none_of(snap.processes.begin(), snap.processes.end(),
                                      [&](const Process& q) { return q.pid == pid && !q.threads.empty(); });
    } else if (u.wait->op == WaitOp::kFileLock) {
      const Thread& t = p.threads[u.id.thread];
      u.waitPidMissing = t.fileLockOutsideHolder || t.fileLockHolders.empty();
    } else if (u.wait->op == WaitOp::kPipeWrite || u.wait->op == WaitOp::kPipeRead) {
      // The waiter's own process holding the other end counts as inside even when the waiter
      // is its only thread (a parent that never closed its copy of a child's write end).
      const bool writing = u.wait->op == WaitOp::kPipeWrite;
      u.waitPidMissing = std::none_of(g.units.begin(), g.units.end(), [&](const UnitState& v) {
        const Process& q = snap.processes[v.id.process];
        return (writing ? q.pipeReadEnds : q.writeEnds).count(u.wait->object) > 0;
      });
    }
  }
  // A wait for work still queued in a ThreadPoolExecutor whose every worker is blocked for good
  // (the waiter itself among them, for a task waiting on work it queued behind itself): nothing
  // will ever run it. It waits for all of the workers.
  auto starveOn = [&g](UnitState& u, uint64_t pool) {
    if (!pool) return;
    std::vector<UnitId> workers;
    for (const auto& v : g.units) {
      if (v.id.process != u.id.process || v.poolQueue != pool) continue;
      if (!(v.id == u.id) && !v.blockedForever()) return;
      workers.push_back(v.id);
    }
    if (workers.empty()) return;
    for (const auto& w : workers) u.edges.push_back(Edge{w, u.wait->object, true});
    u.starvedPool = pool;
    u.starvedPoolWorkers = workers.size();
  };
  // Pass 2: edges, across processes for shared semaphores and process joins.
  for (auto& u : g.units) {
    if (!u.wait) continue;
    const size_t pi = u.id.process;
    const Process& p = snap.processes[pi];
    const SyncObject* o = find(p, u.wait->object);
    if (u.wait->op == WaitOp::kJoin) {
      if ((o && o->kind == ObjectKind::kProcess) || u.wait->targetPid) {
        u.waitPid = o && o->kind == ObjectKind::kProcess ? o->pid : u.wait->targetPid;
        u.waitPidMissing = true;
        for (size_t qi = 0; qi < snap.processes.size(); ++qi) {
          const Process& q = snap.processes[qi];
          if (q.pid != u.waitPid || q.threads.empty()) continue;
          u.waitPidMissing = false;
          // A process exits when its main thread does (non-daemon threads are joined by it).
          size_t main = 0;
          for (size_t ti = 0; ti < q.threads.size(); ++ti) {
            if (q.threads[ti].isMain) main = ti;
          }
          u.edges.push_back(Edge{{qi, main}, u.wait->object, true});
        }
        continue;
      }
      std::optional<uint64_t> ident = o ? o->threadIdent : std::nullopt;
      if (ident) {
        for (size_t ti = 0; ti < p.threads.size(); ++ti) {
          if (p.threads[ti].ident == *ident) u.edges.push_back(Edge{{pi, ti}, u.wait->object, true});
        }
      }
      continue;
    }
    if (u.wait->op == WaitOp::kPipeWrite || u.wait->op == WaitOp::kPipeRead) {
      // Any other thread of a process holding the other end (a read end for a full pipe; the
      // write end or socket peer for a read) could end the wait: the thread is stuck only when
      // every one of them waits forever itself; then it waits for all of them.
      const bool writing = u.wait->op == WaitOp::kPipeWrite;
      std::vector<UnitId> others;
      bool allStuck = true;
      for (const auto& v : g.units) {
        const Process& q = snap.processes[v.id.process];
        if (v.id == u.id || !(writing ? q.pipeReadEnds : q.writeEnds).count(u.wait->object)) continue;
        others.push_back(v.id);
        allStuck &= v.blockedForever();
      }
      if (others.empty()) {
        // Only the waiter's own thread holds the other end: nothing else will ever write (or
        // read); a signal handler that might is weighed with the verdict.
        u.waitPidMissing = !(writing ? p.pipeReadEnds : p.writeEnds).count(u.wait->object);
        continue;
      }
      if (allStuck) {
        for (const auto& o : others) u.edges.push_back(Edge{o, u.wait->object, false, true});
      }
      continue;
    }
    if (u.wait->op == WaitOp::kFileLock) {
      // Any thread of a process holding the lock could release it (its own process included: a
      // second open() of a file it already flock()ed): stuck only when every one of them waits
      // forever; then it waits for all of them.
      const std::vector<int64_t>& holders = p.threads[u.id.thread].fileLockHolders;
      std::vector<UnitId> others;
      bool allStuck = !u.waitPidMissing;
      for (const auto& v : g.units) {
        const int64_t vpid = snap.processes[v.id.process].pid;
        if (std::find(holders.begin(), holders.end(), vpid) == holders.end()) continue;
        others.push_back(v.id);
        allStuck &= v.blockedForever();
      }
      if (allStuck) {
        for (const auto& o : others) u.edges.push_back(Edge{o, u.wait->object, false, false, true});
      }
      continue;
    }
    if (u.wait->op == WaitOp::kFutureResult) {
      // A future that a task sets when it finishes (run_coroutine_threadsafe), while the task
      // awaits a function still queued in a ThreadPoolExecutor at its full size: done only once
      // a worker of that pool is free (the loop's thread, idle, cannot help).
      for (size_t k = 0; k < p.tasks.size() && !u.starvedPool; ++k) {
        const auto& fs = p.tasks[k].completesFutures;
        if (std::find(fs.begin(), fs.end(), u.wait->object) == fs.end()) continue;
        starveOn(u, taskStarvedPool(p, p.tasks[k]));
        if (u.starvedPool) u.starvedTask = k;
      }
      if (u.starvedPool) continue;
      // A future of run_coroutine_threadsafe() whose callback still waits in an event loop's
      // ready queue: done only once that loop's thread runs it.
      // Likewise one that a task of a running loop will complete (its coroutine has started).
      int64_t loopTid = 0;
      for (const auto& l : p.loops) {
        const auto& fs = l.threadsafeFutures;
        if (l.tid && std::find(fs.begin(), fs.end(), u.wait->object) != fs.end()) loopTid = l.tid;
      }
      u.loopNotStarted = loopTid != 0;
      for (const auto& task : p.tasks) {
        const auto& fs = task.completesFutures;
        if (task.tid && std::find(fs.begin(), fs.end(), u.wait->object) != fs.end()) {
          loopTid = task.tid;
          u.loopNotStarted = false;
        }
      }
      for (size_t ti = 0; ti < p.threads.size() && loopTid; ++ti) {
        if (p.threads[ti].tid != loopTid) continue;
        u.edges.push_back(Edge{{pi, ti}, u.wait->object, true});
        u.loopThread = UnitId{pi, ti};
        u.hasLoopThread = true;
      }
      if (u.hasLoopThread) continue;
      // A future that an executor worker is computing is done when that worker finishes it.
      if (o && o->kind == ObjectKind::kFuture && o->threadIdent) {
        for (size_t ti = 0; ti < p.threads.size(); ++ti) {
          if (p.threads[ti].ident == *o->threadIdent) u.edges.push_back(Edge{{pi, ti}, u.wait->object, true});
        }
        continue;
      }
      // A multiprocessing Pool job: the worker process whose `worker` loop has it as `job` runs it.
      if (auto job = o ? o->attrs.find("job") : std::map<std::string, std::string>::const_iterator{};
          o && job != o->attrs.end()) {
        for (const auto& v : g.units) {
          if (v.id.process == pi) continue;
          const Thread& wt = snap.processes[v.id.process].threads[v.id.thread];
          for (const auto& f : wt.frames) {
            if (f.location.function != "worker" || !f.location.file.ends_with("/multiprocessing/pool.py")) continue;
            for (const auto& var : f.locals) {
              if (var.name == "job" && var.repr == job->second) {
                u.edges.push_back(Edge{v.id, u.wait->object, true});
                u.poolJobWorker = v.id;
                u.hasPoolJobWorker = true;
              }
            }
          }
        }
        continue;
      }
      // A ProcessPoolExecutor future: the worker process of the waiter's process running its
      // work id computes it.
      if (auto work = o ? o->attrs.find("work_id") : std::map<std::string, std::string>::const_iterator{};
          o && work != o->attrs.end()) {
        for (const auto& v : g.units) {
          const Process& q = snap.processes[v.id.process];
          const Thread& wt = q.threads[v.id.thread];
          if (v.id.process == pi || !descendsFrom(snap, q, p.pid) || wt.poolWorkId < 0 ||
              std::to_string(wt.poolWorkId) != work->second) {
            continue;
          }
          u.edges.push_back(Edge{v.id, u.wait->object, true});
          u.poolJobWorker = v.id;
          u.hasPoolJobWorker = true;
        }
        if (u.hasPoolJobWorker) continue;
      }
      // A future still queued in a ThreadPoolExecutor runs when one of the pool's workers is
      // free; the pool starts no new worker after the submit. When every worker is blocked for
      // good (the waiter itself among them, for a task waiting on work it submitted to its own
      // pool), nothing will ever run it. The pool: the one whose work queue holds the future's
      // work item (a future made elsewhere, by run_coroutine_threadsafe() or by hand, is no
      // pool's to run).
      starveOn(u, queuedFuturePool(o));
      continue;
    }
    if (u.wait->op == WaitOp::kWait) {
      // concurrent.futures.wait() or as_completed() in a pool worker, for futures still queued
      // in its own pool (their _waiters hold the call's waiter): starvation, as for result().
      uint64_t pool = futuresWaitPool(p, p.threads[u.id.thread]);
      if (pool && pool == u.poolQueue) starveOn(u, pool);
      continue;
    }
    if (u.wait->op != WaitOp::kAcquire) continue;
    uint64_t lock = (o && o->kind == ObjectKind::kSemaphore) ? u.wait->object : lockOf(p, u.wait->object);
    // An RLock locked with no owner is changing hands: its owner is written just after the lock
    // is taken and cleared just before it is released (or handed to a waiter). Whoever takes it
    // runs on; a snapshot (a core above all) caught the moment, not a hang.
    if (const SyncObject* l = find(p, lock);
        l && l->kind == ObjectKind::kRLock && l->locked.value_or(false) && l->ownerIdent && *l->ownerIdent == 0) {
      u.wait.reset();
      continue;
    }
    u.waitLock = lock;
    u.waitKey = lockKey(snap, pi, lock);
    bool anyHolder = false;
    bool aHolderCanRelease = false;
    for (const auto& v : g.units) {
      for (const auto& h : v.holds) {
        if (h.key != u.waitKey) continue;
        u.edges.push_back(Edge{v.id, lock, false});
        anyHolder = true;
        aHolderCanRelease |= !v.blockedForever();
        break;
      }
    }
    // A threading lock held across an await: an asyncio task suspended inside `with lock:`
    // holds it, and only its event loop's thread can resume the task to release it.
    for (size_t ti = 0; ti < p.tasks.size() && !anyHolder; ++ti) {
      const Task& task = p.tasks[ti];
      if (!task.tid || task.state != "pending") continue;
      for (size_t fi = 0; fi < task.frames.size() && !anyHolder; ++fi) {
        for (const auto& h : task.frames[fi].holds) {
          if (h.throughWrapper || h.doubtful || (h.object != lock && lockOf(p, h.object) != lock)) continue;
          for (size_t vi = 0; vi < p.threads.size(); ++vi) {
            if (p.threads[vi].tid != task.tid) continue;
            u.edges.push_back(Edge{{pi, vi}, lock, false});
            u.lockTask = ti;
            u.lockTaskFrame = fi;
            u.lockTaskLine = h.line;
            anyHolder = true;
          }
          if (anyHolder) break;
        }
      }
    }
    if (!anyHolder) u.lockHolderUnknown = true;
    // A semaphore has several holders, and any one of them releasing a permit ends the wait:
    // while one of them still runs, the waiter is not part of a cycle.
    if (o && o->kind == ObjectKind::kSemaphore && aHolderCanRelease) u.edges.clear();
  }
  return g;
}

}  // namespace pyhang
