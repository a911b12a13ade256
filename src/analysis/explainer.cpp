#include "analysis/explainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "analysis/task_analysis.h"

namespace pyhang::explain {

namespace {

// How to bring a process that is not in the report into it: live, by pid; from a core, by its core.
std::string addItHint(const Process& p) {
  return p.source == "core" ? "take a core of it too and pass all the cores" : "add --children or its pid";
}

}  // namespace

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<std::pair<HeldObject, SourceLocation>> holdsWithSince(const Thread& t, const UnitState& u) {
  std::vector<std::pair<HeldObject, SourceLocation>> out;
  for (const auto& h : u.holds) {
    SourceLocation since;
    if (h.frameIndex < t.frames.size()) {
      since = t.frames[h.frameIndex].location;
      if (h.line) since.line = h.line;
    }
    out.emplace_back(HeldObject{h.via, h.how, h.line}, since);
  }
  return out;
}

std::string libraryPath(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return path;
  std::string base = path.substr(slash + 1);
  if (base != "__init__.py") return base;
  auto parent = path.rfind('/', slash - 1);
  return path.substr(parent == std::string::npos ? 0 : parent + 1);
}

std::string poolName(const Process& p, uint64_t pool) {
  auto it = p.poolNames.find(pool);
  return it != p.poolNames.end() ? it->second : "ThreadPoolExecutor";
}

std::string Explainer::processLabel(const Process& p) const {
  std::string name = p.name;
  if (!p.isPython && name.empty()) {
    // A process shown from /proc (a subprocess child such as a shell): its command's name.
    std::string first = p.commandLine.substr(0, p.commandLine.find(' '));
    name = baseName(first);
  }
  if (name.empty() || name == "MainProcess") {
    if (p.ppid && std::any_of(snap_.processes.begin(), snap_.processes.end(),
                              [&](const Process& q) { return q.pid == p.ppid; })) {
      if (name.empty()) name = "child";
    } else {
      name = name.empty() ? "main" : name;
    }
  }
  return fmt::format("process {} (pid {})", name, p.pid);
}

std::string Explainer::threadLabel(const UnitId& id) const {
  const Thread& t = thread(id);
  if (snap_.processes.size() > 1) {
    return fmt::format("{} thread {}", processLabel(proc(id)),
                       t.name.empty() ? std::to_string(t.tid) : t.name);
  }
  if (t.name.empty()) return fmt::format("Thread {}", t.tid);
  return fmt::format("Thread {} \"{}\"", t.tid, t.name);
}

std::string Explainer::threadShort(const Process& p, uint64_t ident,
                                   const std::string& fallbackName) const {
  for (const auto& t : p.threads) {
    if (t.ident == ident) return t.name.empty() ? fmt::format("thread {}", t.tid) : t.name;
  }
  return fallbackName.empty() ? fmt::format("thread 0x{:x}", ident) : fallbackName;
}

std::string Explainer::where(const Frame& f, int line) const {
  return fmt::format("{}:{} in {}", baseName(f.location.file), line ? line : f.location.line,
                     f.location.function);
}

const SyncObject* Explainer::object(const Process& p, uint64_t addr) const {
  auto it = p.objects.find(addr);
  return it == p.objects.end() ? nullptr : &it->second;
}

std::string Explainer::frameName(const Frame* frame, uint64_t addr) {
  if (!frame) return "";
  for (const auto& [a, n] : frame->objectNames) {
    if (a == addr) return n;
  }
  return "";
}

std::string Explainer::objectLabel(const Process& p, uint64_t addr, const Frame* frame) const {
  const SyncObject* o = object(p, addr);
  std::string global = o && o->globalNameCount > 0 && !o->names.empty() ? o->names.front() : "";
  std::string own = frameName(frame, addr);
  // "second_lock._semlock" is the program's second_lock (a multiprocessing wrapper).
  if (own.size() > 9 && own.compare(own.size() - 9, 9, "._semlock") == 0)
    own.resize(own.size() - 9);
  if (global.empty() && own.empty()) {
    for (const auto& [a, other] : p.objects) {
      if (other.underlyingLock != addr || other.kind == ObjectKind::kMpLock) continue;
      std::string owner = frameName(frame, a);
      if (owner.empty() && !other.names.empty()) owner = other.names.front();
      if (!owner.empty()) {
        own = "lock of " + owner;
        break;
      }
    }
  }
  // A method's "self._lock" is better told by the caller's name for the object when there is
  // one ("auth_tokens._lock (self._lock)").
  std::string caller =
      o && !o->names.empty() && o->names.front().rfind("self.", 0) != 0 ? o->names.front() : "";
  std::string primary = !global.empty()                                 ? global
                        : !caller.empty() && own.rfind("self.", 0) == 0 ? caller
                        : !own.empty()                                  ? own
                                       : (o && !o->names.empty() ? o->names.front() : "");
  std::string type = o ? o->type : "object";
  std::string s;
  if (!primary.empty()) {
    s = primary;
    if (!own.empty() && own != primary) s += fmt::format(" ({})", own);
    s += " ";
  }
  return s + fmt::format("<{} at 0x{:x}>", type, addr);
}

std::string Explainer::waitTarget(const UnitState& u) const {
  const Process& p = proc(u.id);
  const Thread& t = thread(u.id);
  // A library service loop or idle worker (Pool, ProcessPoolExecutor, forkserver): the
  // reader describes the wait itself ("for work (an idle multiprocessing.Pool worker)").
  if (!u.wait->object && u.wait->how.rfind("for ", 0) == 0) return "waits " + u.wait->how;
  if (u.wait->op == WaitOp::kPipeWrite) {
    // A socket: the kernel's words ("waits to write to TCP socket 127.0.0.1:4100 -> ... (fd 4)").
    constexpr std::string_view kWrite = "waits to write to ";
    if (t.writingSocket && t.kernelWait.starts_with(kWrite))
      return "waits for room in a full " + t.kernelWait.substr(kWrite.size());
    std::string s = fmt::format("waits for room in a full pipe (pipe:[{}]", u.wait->object);
    if (t.writingPipeFd >= 0) s += fmt::format(", its fd {}", t.writingPipeFd);
    s += ")";
    if (u.waitPidMissing)
      s += " [no process in this report can read it: add --children or the reader's pid]";
    return s;
  }
  if (u.wait->op == WaitOp::kPipeRead) {
    // The kernel's words ("waits to read from Unix socket (unnamed) (fd 3)").
    return t.kernelWait.empty() ? fmt::format("waits to read from fd {}", t.readingFd)
                                : t.kernelWait;
  }
  if (u.wait->op == WaitOp::kFileLock) {
    // "waits for an exclusive flock() on /tmp/b.lock (fd 7), held by process Process-2 (pid 12)"
    std::string s = t.kernelWait.empty()
                        ? fmt::format("waits for {} (fd {})", u.wait->how, t.fileLockFd)
                        : t.kernelWait;
    std::vector<std::string> holders;
    std::string own;
    for (int64_t pid : t.fileLockHolders) {
      for (const auto& q : snap_.processes) {
        if (q.pid != pid) continue;
        auto fd = q.heldFileLocks.find(t.fileLockKey);
        std::string through =
            fd == q.heldFileLocks.end() ? "" : fmt::format(" through its fd {}", fd->second);
        if (q.pid != p.pid)
          holders.push_back(processLabel(q) + through);
        else if (fd != q.heldFileLocks.end())
          own = fmt::format("fd {}", fd->second);
      }
    }
    if (!own.empty() && !holders.empty()) {
      // Two processes hold one flock(): an open file shared across fork() (or a shared lock).
      const bool fromParent = t.fileLockHolders.size() == 2 &&
                              std::find(t.fileLockHolders.begin(), t.fileLockHolders.end(),
                                        p.ppid) != t.fileLockHolders.end();
      holders.back() +=
          fromParent
              ? fmt::format(
                    " (and by this process through {}, a copy of that open file it inherited "
                    "across fork())",
                    own)
              : fmt::format(" (and by this process through {})", own);
    } else if (!own.empty()) {
      holders.push_back("its own process through its " + own);
    }
    if (!holders.empty()) s += fmt::format(", held by {}", fmt::join(holders, " and "));
    std::vector<std::string> others;
    for (const auto& [pid, command] : t.fileLockOtherHolders)
      others.push_back(fmt::format("pid {} ({})", pid, command));
    if (t.fileLockGone) {
      s += " [the lock changed hands while pyhang looked]";
    } else if (!others.empty()) {
      s += fmt::format("{}held by {} [not in this report]", holders.empty() ? ", " : ", and ",
                       fmt::join(others, " and "));
    } else if (holders.empty()) {
      s += " [the process holding it is not in this report: add --children or its pid]";
    } else if (u.waitPidMissing) {
      s += " [a process outside this report may hold it too]";
    }
    return s;
  }
  const Frame* at = u.atFrame < t.frames.size() ? &t.frames[u.atFrame] : nullptr;
  const Frame* wf = u.waitFrame < t.frames.size() ? &t.frames[u.waitFrame] : nullptr;
  const SyncObject* o = object(p, u.wait->object);
  std::string label = objectLabel(p, u.wait->object, at);
  if (label.rfind("<", 0) == 0) label = objectLabel(p, u.wait->object, wf);
  switch (u.wait->op) {
    case WaitOp::kAcquire: {
      // Entering `with cond:` blocks in threading.Condition.__enter__ on the Condition's lock:
      // name the Condition the program used (the cycle still goes through its lock).
      // Only when the program's own frame entered it (Queue.put's `with self.not_full:` is the
      // queue's business: there the program waits for the queue's mutex).
      if (wf && wf->location.function == "__enter__" && u.waitFrame == u.atFrame + 1) {
        for (const auto& v : wf->arguments) {
          const SyncObject* so = v.name == "self" ? object(p, v.address) : nullptr;
          if (so && so->kind == ObjectKind::kCondition && so->underlyingLock == u.wait->object) {
            std::string cond = objectLabel(p, v.address, at);
            if (cond.rfind("<", 0) == 0) cond = objectLabel(p, v.address, wf);
            return fmt::format("waits to acquire {} (its lock {})", cond,
                               label.substr(label.rfind('<')));
          }
        }
      }
      if (o && o->kind == ObjectKind::kIoBuffer) {
        // The program's name for the stream ("sys.stdout", "log") and its file; else the label.
        std::string stream = o->names.empty() ? label : o->names.front();
        auto file = o->attrs.find("file");
        if (file != o->attrs.end() && !file->second.empty() && stream.find(file->second) == std::string::npos) {
          stream += fmt::format(" ({})", file->second);
        }
        return fmt::format("waits for the lock of the buffered stream {} (taken in C around each write, read and flush)",
                           stream);
      }
      if (o && o->kind == ObjectKind::kImportLock) {
        return fmt::format(
            "waits for the import lock of module {} (another thread is importing it)",
            o->threadName.empty() ? "?" : o->threadName);
      }
      std::string what = o && o->kind == ObjectKind::kSemaphore ? "semaphore " : "";
      if (o && o->kind == ObjectKind::kMpLock) what = "multiprocessing lock ";
      if (o && o->kind == ObjectKind::kSemLock) what = isCountingSemLock(*o) ? "multiprocessing semaphore " : "multiprocessing lock ";
      if (o && o->kind == ObjectKind::kManagerLock) what = "manager lock ";
      return fmt::format("waits to acquire {}{}", what, label);
    }
    case WaitOp::kJoin: {
      if (o && o->kind == ObjectKind::kProcess) {
        std::string name = o->threadName;
        if (name.empty()) {
          // A subprocess.Popen has no name: the command of the process, when it is in the report.
          for (const auto& q : snap_.processes) {
            if (q.pid != o->pid || q.commandLine.empty()) continue;
            std::string first = q.commandLine.substr(0, q.commandLine.find(' '));
            name = baseName(first);
          }
        }
        std::string who = name.empty() ? "process" : fmt::format("process {}", name);
        // communicate() reads the child's output to its end: when the child no longer holds
        // the pipes (it exited) and other processes do, those are what it waits for.
        const auto& writers = t.outputPipeWriters;
        if (!writers.empty() && std::none_of(writers.begin(), writers.end(),
                                             [&](const auto& w) { return w.first == o->pid; })) {
          std::vector<std::string> holders;
          for (const auto& [pid, command] : writers) {
            holders.push_back(command.empty() ? fmt::format("pid {}", pid)
                                              : fmt::format("pid {} ({})", pid, command));
          }
          return fmt::format(
              "waits in communicate() for the output pipes of {} (pid {}) to close: it has exited "
              "or closed "
              "them, but {} still hold{} them open [not in this report]",
              who, o->pid, fmt::join(holders, ", "), writers.size() == 1 ? "s" : "");
        }
        auto role = o->attrs.find("role");
        if (o->pid == p.ppid || (role != o->attrs.end() && role->second == "parent"))
          who = fmt::format("its parent {}", who);
        std::string s = fmt::format("waits for {} (pid {}) to exit", who, o->pid);
        if (u.waitPidMissing)
          s += fmt::format(" [pid {} is not in this report: {}]", o->pid, addItHint(p));
        return s;
      }
      if (!o && u.wait->targetPid == -1) {
        std::vector<std::string> children;
        for (const auto& q : snap_.processes) {
          if (q.ppid == p.pid && q.pid > 0 && !q.threads.empty()) children.push_back(processLabel(q));
        }
        return fmt::format("waits for any of its child processes to exit ({}): {}", u.wait->how,
                           children.empty() ? "none is in this report" : fmt::format("{}", fmt::join(children, ", ")));
      }
      if (!o && u.wait->targetPid) {
        std::string who = "child process";
        for (const auto& q : snap_.processes) {
          if (q.pid == u.wait->targetPid) who = processLabel(q);
        }
        const char* via = u.wait->how.rfind("asyncio", 0) == 0
                              ? "asyncio's child watcher: its event loop waits for nothing else"
                              : "os.waitpid";
        std::string s = fmt::format("waits for {} to exit ({})", who, via);
        if (who == "child process")
          s = fmt::format("waits for child process {} to exit ({})", u.wait->targetPid, via);
        if (u.waitPidMissing)
          s += fmt::format(" [pid {} is not in this report: {}]", u.wait->targetPid, addItHint(p));
        return s;
      }
      std::string name = o ? threadShort(p, o->threadIdent.value_or(0), o->threadName) : "a thread";
      return fmt::format("waits for {} to finish", name);
    }
    case WaitOp::kWait:
      if (u.starvedPool) {
        const bool any = std::any_of(t.frames.begin(), t.frames.end(), [](const Frame& f) {
          return f.location.function == "as_completed" &&
                 f.location.file.ends_with("/concurrent/futures/_base.py");
        });
        return fmt::format(
            "waits in concurrent.futures.{}() for futures still queued in its {}, "
            "whose "
            "{} {} blocked (this one included: it waits for work it queued behind itself)",
            any ? "as_completed" : "wait", poolName(p, u.starvedPool),
            u.starvedPoolWorkers == 1 ? "only worker"
                                      : fmt::format("{} workers", u.starvedPoolWorkers),
            u.starvedPoolWorkers == 1 ? "is" : "are all");
      }
      if (o && o->kind == ObjectKind::kEvent)
        return fmt::format("waits for event {} to be set", label);
      if (o && o->kind == ObjectKind::kBarrier) return fmt::format("waits at barrier {}", label);
      return fmt::format("waits on condition {} for notify()", label);
    case WaitOp::kQueueGet:
      if (wf && wf->location.function == "_worker")
        return "waits for work (an idle ThreadPoolExecutor worker)";
      return fmt::format("waits for an item from queue {}", label);
    case WaitOp::kQueuePut:
      return fmt::format("waits for free space in queue {}", label);
    case WaitOp::kQueueJoin:
      return fmt::format("waits until every item of queue {} is task_done()", label);
    case WaitOp::kFutureResult:
      if (u.hasLoopThread) {
        return fmt::format(
            "waits for the result of future {}, which only the event loop of {} can complete ({})",
            label, u.loopThread == u.id ? "this very thread" : threadLabel(u.loopThread),
            u.loopNotStarted
                ? "run_coroutine_threadsafe() queued its coroutine there, not started yet"
                : "a task of that loop sets it when it finishes");
      }
      if (o && o->threadIdent) {
        return fmt::format("waits for the result of future {}, which {} is computing", label,
                           threadShort(p, *o->threadIdent, o->threadName));
      }
      if (u.hasResultHandler) {
        auto job = o ? o->attrs.find("job") : std::map<std::string, std::string>::const_iterator{};
        if (u.resultHandler == u.id) {
          return fmt::format("waits for the result {} of pool job {}, which only this thread, the pool's result handler, "
                             "would deliver",
                             label, o && job != o->attrs.end() ? job->second : "?");
        }
        return fmt::format(
            "waits for the result {} of pool job {}, which the pool's result handler {} delivers, but that thread is "
            "running a callback",
            label, o && job != o->attrs.end() ? job->second : "?", threadLabel(u.resultHandler));
      }
      if (u.hasPoolJobWorker) {
        auto job = o ? o->attrs.find("job") : std::map<std::string, std::string>::const_iterator{};
        if (auto work = o ? o->attrs.find("work_id") : job;
            o && work != o->attrs.end() && work->first == "work_id") {
          return fmt::format(
              "waits for the result of future {} (ProcessPoolExecutor work item {}), which {} is "
              "running",
              label, work->second, threadLabel(u.poolJobWorker));
        }
        return fmt::format("waits for the result of pool job {}, which {} is running",
                           o && job != o->attrs.end() ? job->second : "?",
                           threadLabel(u.poolJobWorker));
      }
      if (u.starvedPool && u.starvedTask < p.tasks.size()) {
        const Task& task = p.tasks[u.starvedTask];
        const TaskAwait& a = *task.await;
        std::string at = a.frameIndex < task.frames.size() ? " (at " + where(task.frames[a.frameIndex]) + ")" : "";
        return fmt::format(
            "waits for the result of future {}, which {} sets when it finishes; that task{} awaits "
            "a function still queued in {} {}, whose {} {} blocked{}",
            label, taskLabel(task), at, u.poolQueue == u.starvedPool ? "this thread's" : "a", poolName(p, u.starvedPool),
            u.starvedPoolWorkers == 1 ? "only worker"
                                      : fmt::format("{} workers", u.starvedPoolWorkers),
            u.starvedPoolWorkers == 1 ? "is" : "are all",
            u.poolQueue == u.starvedPool ? " (this one included)" : "");
      }
      if (u.starvedPool) {
        // A multiprocessing pool's ApplyResult / MapResult is a pool job, not a future.
        auto job = o ? o->attrs.find("job") : std::map<std::string, std::string>::const_iterator{};
        std::string what = o && job != o->attrs.end() ? fmt::format("the result {} of pool job {}", label, job->second)
                                                      : fmt::format("the result of future {}", label);
        return fmt::format(
            "waits for {}, still queued in its {}, whose {} "
            "{} blocked{}",
            what, poolName(p, u.starvedPool),
            u.starvedPoolWorkers == 1 ? "only worker"
                                      : fmt::format("{} workers", u.starvedPoolWorkers),
            u.starvedPoolWorkers == 1 ? "is" : "are all",
            u.poolQueue == u.starvedPool
                ? " (this one included: it waits for work it queued behind itself)"
                : "");
      }
      return fmt::format("waits for the result of future {}", label);
    default:
      return "waits";
  }
}

std::string Explainer::atPhrase(const UnitState& u) const {
  const Thread& t = thread(u.id);
  if (u.atFrame >= t.frames.size()) {
    // No Python frames: a process shown from /proc.
    const Process& p = proc(u.id);
    std::string s = u.wait && u.wait->op == WaitOp::kPipeWrite ? "in write()" : "in the kernel";
    if (!t.wchan.empty() && t.wchan != "0") s += fmt::format(" (wait channel {})", t.wchan);
    if (!p.isPython && !p.commandLine.empty()) s += fmt::format(", running: {}", p.commandLine);
    return s;
  }
  const Frame& at = t.frames[u.atFrame];
  // The main thread's script has ended: threading._shutdown() joins the non-daemon threads.
  const Frame& outer = t.frames.front();
  if (t.isMain && outer.location.function == "_shutdown" && outer.location.file.ends_with("/threading.py")) {
    return fmt::format("at interpreter exit: the main script has ended and Python waits for its non-daemon threads "
                       "({})", where(at));
  }
  std::string s = "at " + where(at);
  if (!at.sourceLine.empty()) s += fmt::format(" ({})", at.sourceLine);
  // Waiting inside other library code (logging, importlib): where, after the program's line.
  if (u.waitFrame != u.atFrame && u.waitFrame < t.frames.size() &&
      !isStdlib(t.frames[u.waitFrame].location.file)) {
    const Frame& lib = t.frames[u.waitFrame];
    s += fmt::format(", inside {}:{} in {}", libraryPath(lib.location.file), lib.location.line,
                     lib.location.function);
  }
  return s;
}

std::string Explainer::sincePhrase(const UnitId& holder, const Hold& h) const {
  const Thread& t = thread(holder);
  if (h.how == "thread") return "(a thread's own lock, released when it exits)";
  if (h.frameIndex >= t.frames.size()) {
    if (h.how == "owner") return "(it is the RLock's recorded owner)";
    const SyncObject* o = object(proc(holder), h.lock);
    if (o && o->kind == ObjectKind::kSemLock) {
      return "(the semaphore records this thread as its owner: an earlier acquire() that was never "
             "released)";
    }
    return "";
  }
  const Frame& f = t.frames[h.frameIndex];
  std::string s = "since " + where(f, h.line);
  if (h.how == "import")
    return s + " (it is importing the module: this is the module's body running)";
  if (h.how == "owner") s += " (the RLock's recorded owner)";
  if (h.how.rfind("acquire()", 0) == 0)
    s += h.how == "acquire()" ? " (acquire())" : " (acquire(), inferred from the source)";
  if (h.how.rfind("generator ", 0) == 0) {
    s += fmt::format(" (through the generator {}, suspended inside the block that holds it)",
                     h.how.substr(10));
  }
  if (h.via != h.lock) {
    const Process& p = proc(holder);
    std::string label = objectLabel(p, h.via, &f);
    s +=
        fmt::format(" (through {})", label.substr(0, std::min(label.find(" <"), label.find(" ("))));
  }
  return s;
}

const Hold* Explainer::holdOf(const UnitId& holder, const UnitState& waiter) const {
  const UnitState* u = g_.unit(holder);
  if (!u) return nullptr;
  for (const auto& h : u->holds) {
    if (h.key == waiter.waitKey) return &h;
  }
  return nullptr;
}

Participant Explainer::participant(const UnitState& u, bool withHolds) const {
  Participant part;
  const Process& p = proc(u.id);
  const Thread& t = thread(u.id);
  part.pid = p.pid;
  part.process = p.name;
  part.tid = t.tid;
  part.thread = t.name;
  if (u.wait && u.atFrame < t.frames.size()) part.at = t.frames[u.atFrame].location;
  part.waitsFor = u.wait;
  if (withHolds) part.holds = holdsWithSince(t, u);
  if (!u.edges.empty()) part.heldBy = threadLabel(u.edges.front().to);
  if (u.lockTask != SIZE_MAX && u.lockTask < p.tasks.size() &&
      u.lockTaskFrame < p.tasks[u.lockTask].frames.size()) {
    // "task \"flusher\" across an await, since app.py:15": the fix lines key on the prefix.
    const Task& task = p.tasks[u.lockTask];
    const Frame& held = task.frames[u.lockTaskFrame];
    part.heldBy = fmt::format("task \"{}\" across an await, since {}:{}", task.name,
                              baseName(held.location.file),
                              u.lockTaskLine ? u.lockTaskLine : held.location.line);
  }
  return part;
}

std::string lockNoun(const SyncObject* o) {
  if (o && o->kind == ObjectKind::kManagerLock) return "a multiprocessing.Manager Lock";
  if (o && isCountingSemLock(*o)) return "a multiprocessing.Semaphore";
  if (o && (o->kind == ObjectKind::kSemLock || o->kind == ObjectKind::kMpLock))
    return "a multiprocessing.Lock";
  if (o && o->kind == ObjectKind::kSemaphore) return "a Semaphore";
  return "a threading.Lock";
}

std::string signalDisplayName(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("{}", signo);
}

std::string upperFirst(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// What a thread that waits for no Python-level object is doing, from the kernel's view (live
// processes) or from what was read.
std::string kernelActivity(const Thread& t) {
  const std::string& w = t.wchan;
  auto has = [&](const char* s) { return w.find(s) != std::string::npos; };
  if (t.kernelState == "R") return t.holdsGil ? "is running Python code" : "is running";
  if (t.waitingForGil)
    return "waits for the GIL, woken (in take_gil): about to run Python code";
  if (t.kernelState == "D")
    return fmt::format("is in uninterruptible I/O ({})", w.empty() ? "disk or device" : w);
  if (!t.kernelWait.empty() && t.kernelWaitKind != "other") return t.kernelWait;
  if (has("do_signal_stop") || t.kernelState.rfind("T", 0) == 0)
    return "is stopped (SIGSTOP, SIGTSTP or a debugger): it runs again only when continued (SIGCONT)";
  if (has("futex"))
    return "is blocked on a futex in C code (a lock or condition pyhang could not identify)";
  if (has("nanosleep") || has("clock_nanosleep") || t.sleepingInSelect)
    return "is sleeping (time.sleep or similar)";
  if (has("accept")) return "waits for a connection on a listening socket";
  if (has("sk_wait") || has("tcp") || has("unix_stream") || has("sock"))
    return "waits for data on a socket";
  if (has("pipe")) return "waits on a pipe";
  if (has("poll") || has("select")) return "waits in select()/poll() for I/O";
  if (has("do_wait") || has("wait_consider")) return "waits for a child process to exit";
  if (has("wait_for_partner")) return "waits in open() of a FIFO (named pipe) until the other side opens it";
  if (has("wq_sleep")) return "waits on a POSIX message queue (mq_receive or mq_send)";
  if (has("semtimedop")) return "waits on a System V semaphore (semop)";
  if (!w.empty() && w != "0") return fmt::format("is sleeping in the kernel ({})", w);
  if (t.holdsGil) return "holds the GIL (running Python code)";
  return "is not waiting for a Python lock or thread";
}

// One word for what a thread that waits for no Python object does.
std::string threadStateWord(const Thread& t) {
  const std::string& k = t.kernelWaitKind;
  if (t.kernelState == "R" || t.waitingForGil) return "running";
  if (k == "sleep" || t.sleepingInSelect || t.wchan.find("nanosleep") != std::string::npos)
    return "sleeping";
  // A FIFO's open() waiting for the other side, a POSIX message queue: I/O with another program.
  const bool ipc = t.wchan == "wait_for_partner" || t.wchan == "wq_sleep";
  if (k == "io" || k == "accept" || k == "poll" || t.kernelState == "D" || ipc) return "io";
  if (k == "signal") return "signal";
  if (k == "child" || k == "filelock" || t.wchan == "semtimedop") return "waiting";
  if (k == "futex" || t.wchan.find("futex") != std::string::npos) return "native";
  if (t.holdsGil) return "running";
  return "unknown";
}

}  // namespace pyhang::explain
