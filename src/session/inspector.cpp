#include "session/inspector.h"

#include "process/fd_peers.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cpython/process_reader.h"
#include "cpython/runtime_locator.h"
#include "process/kernel_wait.h"
#include "process/live_process.h"
#include "process/proc_tree.h"
#include "process/thread_stopper.h"
#include "session/file_lock_holders.h"
#include "session/io_buffer_waits.h"
#include "session/loop_peers.h"
#include "session/semaphore_sharers.h"
#include "session/pipe_peers.h"
#include "session/child_waits.h"

namespace pyhang {

namespace {

constexpr int64_t kSysFutex = 202;  // x86_64

// PYHANG_NO_TRIAL=1: read only once the process is stopped (to measure the difference, and a
// way out should the trial read ever be suspected).
bool trialDisabled() {
  const char* v = std::getenv("PYHANG_NO_TRIAL");
  return v && *v && std::string(v) != "0";
}

struct Target {
  pid_t pid = 0;
  bool explicitlyAsked = false;
  std::unique_ptr<LiveProcess> proc;
  std::vector<MappedFile> maps;
  std::optional<cpython::RuntimeLocation> runtime;
  std::unique_ptr<ThreadStopper> stopper;
  Process out;
  std::map<int64_t, ProcThread> kernelThreads;
  std::map<int64_t, KernelWait> kernelWaits;   // threads asleep in a system call other than a futex
  native::NativeCapture native;   // --native
  std::optional<Process> trial;   // read while the process ran, before the stop
  bool trialBegun = false;
  std::string stopRead;           // for PYHANG_STOP_STATS
  double stoppedMs = 0, readMs = 0;   // since the stop began: all threads stopped, read done
};

std::map<int64_t, native::OsThreadInfo> osThreadsOf(const Target& t) {
  std::map<int64_t, native::OsThreadInfo> out;
  for (const auto& [tid, pt] : t.kernelThreads) out[tid] = {pt.comm, std::string(1, pt.state), pt.wchan};
  return out;
}

// A process shown with what /proc says: not Python, or a zombie.
void fillFromProc(Target& t) {
  t.out.isPython = false;
  if (auto ts = t.proc->threads()) {
    for (auto& pt : *ts) {
      Thread th;
      th.tid = pt.tid;
      th.name = pt.comm;
      th.isMain = pt.tid == t.pid;
      th.kernelState = std::string(1, pt.state);
      th.wchan = pt.wchan;
      th.writingPipe = pt.pipeWriteInode;
      th.writingPipeFd = pt.pipeWriteFd;
      th.writingSocket = pt.pipeWriteSocket;
      // Blocked reading (cat reading the stdin its parent never closes): which fd, for the
      // read-cycle search.
      if (pt.state != 'R' && pt.wchan.find("futex") == std::string::npos) {
        KernelWait w = describeKernelWait(t.pid, pt.tid);
        th.readingFd = w.readFd;
        th.waitingForChild = w.anyChild ? -1 : w.childPid;
        th.kernelWaitKind = w.kind == "filelock" ? w.kind : "";
        th.kernelWait = w.kind == "filelock" ? w.text : "";
        th.fileLockKey = w.lockKey;
        th.fileLockPath = w.lockPath;
        th.fileLockCall = w.lockCall;
        th.fileLockFd = w.lockFd;
      }
      t.out.threads.push_back(std::move(th));
    }
  }
}

// A process made by fork() and not replaced by exec() has its parent's address space layout: its
// main stack ends where the parent's does (exec randomizes it). Both are read from /proc.
bool forkedFromParent(const std::vector<MappedFile>& maps, pid_t ppid) {
  auto stackEnd = [](const std::vector<MappedFile>& m) -> uint64_t {
    for (const auto& f : m) {
      if (f.path == "[stack]") return f.end;
    }
    return 0;
  };
  const uint64_t own = stackEnd(maps);
  if (!own || ppid <= 1) return false;
  auto parent = LiveProcess(ppid).maps();
  return parent && stackEnd(*parent) == own;
}

// Status, maps and the runtime, before anything is stopped. An error is fatal only for a process
// the user named; descendants that are not Python are shown with their /proc state.
Result<void> prepare(Target& t) {
  auto status = t.proc->status();
  if (!status) return fail(ErrorKind::kProcessGone, fmt::format("no such process: {}", t.pid));
  Process& out = t.out;
  out.pid = t.pid;
  out.ppid = status->ppid;
  out.source = "live";
  out.kernelState = status->state;
  if (status->state == 'Z') {
    // A main thread that called pthread_exit stays a zombie while the other threads run on:
    // the process lives, read it through one of them.
    if (pid_t live = liveThreadOf(t.pid); live != 0 && live != t.pid) {
      t.proc->readThrough(live);
      out.kernelState = 'S';
      out.warnings.push_back(fmt::format("the main thread ({}) has exited (pthread_exit); the other threads run on",
                                         t.pid));
    }
  }
  out.commandLine = t.proc->commandLine();
  out.executable = t.proc->executable();
  if (out.commandLine.empty()) out.commandLine = "[" + status->comm + "]";
  if (out.kernelState == 'Z' || out.kernelState == 'X') {
    if (t.explicitlyAsked) {
      return fail(ErrorKind::kProcessGone,
                  fmt::format("process {} is a zombie: it has exited and waits for its parent (pid {}) to reap it",
                              t.pid, status->ppid));
    }
    out.isPython = false;
    return {};
  }
  // A process that exits meanwhile refuses access too: that is no permission problem.
  auto goneMeanwhile = [&] {
    return processHasLiveThread(t.pid) ? std::optional<Error>()
                                       : std::optional<Error>(Error{ErrorKind::kProcessGone,
                                                                    fmt::format("process {} exited while pyhang was "
                                                                                "attaching to it", t.pid), 0, ""});
  };
  if (access(fmt::format("/proc/{}/mem", t.proc->ioPid()).c_str(), R_OK) != 0 && errno == EACCES) {
    if (auto gone = goneMeanwhile()) return fail(*gone);
    Error e = ptraceRefusal(t.pid);
    e.message = fmt::format("permission denied reading process {}: {}", t.pid, e.message);
    return fail(e);
  }
  PYHANG_TRY(maps, t.proc->maps());
  t.maps = std::move(maps);
  out.forkOf = forkedFromParent(t.maps, status->ppid) ? status->ppid : 0;
  auto runtime = cpython::locateRuntime(*t.proc, t.maps, out.executable);
  if (!runtime) {
    if (runtime.error().kind == ErrorKind::kNotFound) {
      if (t.explicitlyAsked) {
        return fail(ErrorKind::kNotFound, fmt::format("process {} ({}) is not a Python process: {}", t.pid,
                                                      out.executable, runtime.error().message));
      }
      fillFromProc(t);
      return {};
    }
    if (runtime.error().kind == ErrorKind::kPermission) {
      if (auto gone = goneMeanwhile()) return fail(*gone);
      Error e = ptraceRefusal(t.pid);
      e.message = fmt::format("permission denied reading process {}: {}", t.pid, e.message);
      return fail(e);
    }
    return fail(runtime.error());
  }
  t.runtime = std::move(*runtime);
  out.caughtSignals = t.proc->caughtSignals();
  // Kernel view of each thread (before stopping: a stopped thread reads as 't').
  if (auto ts = t.proc->threads()) {
    for (auto& pt : *ts) {
      t.kernelThreads[pt.tid] = pt;
      // Read before the stop: right after it, a thread is still restarting its call.
      if (pt.state != 'R' && pt.wchan.find("futex") == std::string::npos) {
        t.kernelWaits[pt.tid] = describeKernelWait(t.pid, pt.tid);
      }
    }
  }
  return {};
}

cpython::ReadOptions readOptionsFor(const Target& t, const InspectOptions& options) {
  cpython::ReadOptions ro;
  ro.renderLocals = options.renderLocals;
  ro.limits = options.limits;
  ro.localPath = [pid = t.proc->ioPid()](const std::string& path) {
    if (!path.empty() && path[0] == '/') return fmt::format("/proc/{}/root{}", pid, path);
    return fmt::format("/proc/{}/cwd/{}", pid, path);
  };
  const auto* maps = &t.maps;
  ro.sharedKeyOf = [maps](uint64_t addr) { return sharedMappingKey(*maps, addr); };
  return ro;
}

// A process killed while stopped stays a zombie (pyhang is its tracer) and its pages may still
// be in the read cache: ask the kernel whether it is still alive before trusting the report.
Result<void> checkAlive(const Target& t) {
  auto status = t.proc->status();
  if (!status || !processHasLiveThread(t.pid)) {
    return fail(ErrorKind::kProcessGone, fmt::format("process {} exited while it was being read", t.pid));
  }
  return {};
}

Result<void> readTarget(Target& t, const InspectOptions& options) {
  auto r = cpython::readPythonProcess(*t.proc, *t.runtime, readOptionsFor(t, options), t.out);
  if (auto alive = checkAlive(t); !alive) return alive;
  if (!r) return fail(r.error());
  return {};
}

// The read made while the process still runs (see inspectLive): into a copy of t.out, kept only
// when confirmTrial finds every byte it read unchanged once the process is stopped.
void readTrial(Target& t, const InspectOptions& options) {
  t.proc->beginTrial();
  t.trialBegun = true;
  t.trial = t.out;
  auto r = cpython::readPythonProcess(*t.proc, *t.runtime, readOptionsFor(t, options), *t.trial);
  if (!r) t.trial.reset();
}

void attachKernelView(Target& t) {
  for (auto& c : t.out.children) {
    LiveProcess child(static_cast<pid_t>(c.pid));
    auto st = child.status();
    if (!st) {
      c.state = "exited";
      continue;
    }
    // Its parent is this process, or (multiprocessing's forkserver, the default from 3.14) a
    // process this one started. A pid whose process is not a descendant was reused or its
    // process reparented: whether the child lives is then unknown, never "exited".
    bool descendant = false;
    pid_t up = st->ppid;
    for (int hop = 0; hop < 8 && up > 1 && !descendant; ++hop) {
      if (up == t.pid) descendant = true;
      else if (auto ps = LiveProcess(up).status()) up = ps->ppid;
      else break;
    }
    if (!descendant) c.state = "unknown";
    else c.state = (st->state == 'Z' || st->state == 'X') ? "zombie" : "running";
    // A zombie's exit code, as Python will report it once it reaps the child.
    if (descendant && !c.returncode && st->waitStatus >= 0) {
      const int ws = st->waitStatus;
      c.returncode = (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : -(ws & 0x7f);
    }
  }
  if (!t.runtime) return;  // a process shown from /proc: its threads came from there
  t.out.osThreadCount = static_cast<int64_t>(t.kernelThreads.size());
  for (auto& th : t.out.threads) {
    auto it = t.kernelThreads.find(th.tid);
    if (it == t.kernelThreads.end() && th.tid > 0 &&
        access(fmt::format("/proc/{}/task/{}", t.pid, th.tid).c_str(), F_OK) == 0) {
      // A thread started while pyhang was attaching: real, but the first look missed it.
      if (auto pt = t.proc->threads()) {
        for (auto& k : *pt) t.kernelThreads.emplace(k.tid, k);
      }
      it = t.kernelThreads.find(th.tid);
    }
    if (it == t.kernelThreads.end() && t.out.threads.size() == 1 && t.kernelThreads.size() == 1 &&
        t.kernelThreads.begin()->first == t.pid) {
      // A forked child's one thread, whose recorded id (3.8 to 3.10 keep it in the thread state)
      // is still that of the parent's thread that forked: it is the process's only thread.
      th.tid = t.pid;
      it = t.kernelThreads.begin();
    }
    if (it == t.kernelThreads.end()) {
      // Before 3.11 the tid comes from threading or glibc: accept only a real thread of this process.
      if (th.tid != 0) th.warnings.push_back(fmt::format("thread id {} not found in /proc; shown as 0", th.tid));
      th.tid = 0;
      continue;
    }
    th.kernelState = std::string(1, it->second.state);
    if (t.stopper) {
      const auto& regs = t.stopper->callRegisters();
      if (auto r = regs.find(static_cast<pid_t>(th.tid)); r != regs.end()) {
        th.atStop = callAtStop(r->second.origRax, r->second.rax);
        // A wait with a timeout (ERESTART_RESTARTBLOCK) goes on in restart_syscall (219).
        if (th.atStop == "blocked") th.stopCall = {r->second.rax == -516 ? 219 : r->second.origRax, r->second.arg0};
        if (th.atStop == "blocked" && r->second.origRax == kSysFutex) th.futexAddress = r->second.arg0;
      }
    }
    th.wchan = it->second.wchan;
    th.writingPipe = it->second.pipeWriteInode;
    th.writingPipeFd = it->second.pipeWriteFd;
    th.writingSocket = it->second.pipeWriteSocket;
    th.sleepingInSelect = it->second.sleepingInSelect;
    if (auto w = t.kernelWaits.find(th.tid); w != t.kernelWaits.end()) {
      th.kernelWaitKind = w->second.kind;
      th.kernelWait = w->second.text;
      th.kernelWaitNoTimeout = w->second.noTimeout;
      th.readingFd = w->second.readFd;
      th.waitingForChild = w->second.anyChild ? -1 : w->second.childPid;
      th.fileLockKey = w->second.lockKey;
      th.fileLockPath = w->second.lockPath;
      th.fileLockCall = w->second.lockCall;
      th.fileLockFd = w->second.lockFd;
      th.polledFds = w->second.polledFds;
    }
  }
}

// Without --children, a child that is not Python and holds the other end of a pipe a thread is
// blocked on (or that a thread waits for) is shown from /proc, as --children shows it: the
// subprocess docs' deadlock (stdin written while the child's stdout fills) is then found. Read
// from /proc only; a Python child is left to --children (it would be stopped and read).
void addKernelOnlyPeers(Snapshot& snap) {
  // A round more for what the added ones wait for: a shell running a pipeline waits for its
  // children, which write the pipes (at most 8 processes in all).
  std::set<pid_t> tried;
  for (int round = 0; round < 3; ++round) {
    bool added = false;
    for (pid_t pid : pipePeerChildren(snap)) {
      if (!tried.insert(pid).second) continue;
      Target t;
      t.pid = pid;
      t.proc = std::make_unique<LiveProcess>(pid);
      if (!prepare(t) || t.runtime || t.out.isPython || t.out.kernelState == 'Z' || t.out.kernelState == 'X') continue;
      attachKernelView(t);
      snap.processes.push_back(std::move(t.out));
      added = true;
    }
    if (!added) break;
  }
}

}  // namespace

Result<Snapshot> inspectLive(const std::vector<pid_t>& pids, const InspectOptions& options) {
  std::vector<Target> targets;
  std::set<pid_t> seen;
  std::vector<std::string> notes;
  for (pid_t pid : pids) {
    // A thread id (as top -H or a log shows it) stands for its process.
    std::string status = readProcFile(fmt::format("/proc/{}/status", pid), 4096);
    if (auto at = status.find("\nTgid:"); at != std::string::npos) {
      pid_t tgid = static_cast<pid_t>(std::atol(status.c_str() + at + 6));
      if (tgid > 0 && tgid != pid) {
        notes.push_back(fmt::format("{} is a thread of process {}: reading the whole process", pid, tgid));
        pid = tgid;
      }
    }
    if (!seen.insert(pid).second) continue;
    Target t;
    t.pid = pid;
    t.explicitlyAsked = !options.anyRoot;
    targets.push_back(std::move(t));
  }
  if (options.children) {
    for (pid_t root : pids) {
      for (pid_t child : descendantsOf(root)) {
        if (!seen.insert(child).second) continue;
        Target t;
        t.pid = child;
        targets.push_back(std::move(t));
      }
    }
  }
  Snapshot snap;
  snap.warnings = notes;
  for (auto& t : targets) {
    t.proc = std::make_unique<LiveProcess>(t.pid);
    auto r = prepare(t);
    if (!r) {
      if (targets.size() == 1 || (t.explicitlyAsked && r.error().kind != ErrorKind::kProcessGone)) return fail(r.error());
      snap.warnings.push_back(r.error().message);
      t.runtime.reset();
      t.out.isPython = false;
      if (t.out.pid == 0) t.pid = 0;  // vanished: dropped below
    }
  }
  // Read every Python process once while it runs, then stop them all, so that the snapshot is
  // one moment, and check that read: when every page (and every other range) it read holds the
  // same bytes now, the read is what a read of the stopped process would give, and the process is
  // let go after that check alone. The reader is a function of the bytes it reads (and of files
  // on disk, which the stop does not freeze anyway); a process that changed any of them meanwhile
  // is read again, stopped, starting from the pages as they are now.
  if (options.blocking && !trialDisabled()) {
    for (auto& t : targets) {
      if (t.runtime) readTrial(t, options);
    }
  }
  // Stop every Python process before reading any, so that the snapshot is one moment.
  if (options.blocking) {
    for (auto& t : targets) {
      if (!t.runtime) continue;
      auto s = ThreadStopper::stopAll(t.pid);
      if (!s) {
        if (s.error().kind == ErrorKind::kPermission || targets.size() == 1) {
          for (auto& other : targets) {
            if (other.stopper) other.stopper->resume();
          }
          Error e = s.error();
          if (e.kind == ErrorKind::kPermission) e.message = fmt::format("process {}: {}", t.pid, e.message);
          return fail(e);
        }
        // One process of several is gone (a descendant that exited meanwhile): the others stay
        // stopped, so that their snapshot is still one moment, and are reported.
        snap.warnings.push_back(fmt::format("process {} could not be stopped: {}", t.pid, s.error().message));
        t.runtime.reset();
        if (s.error().kind == ErrorKind::kProcessGone) t.pid = 0;
        continue;
      }
      t.stopper = std::move(*s);
      t.stoppedMs = t.stopper->elapsedMs();
    }
  }
  std::optional<Error> firstError;
  for (auto& t : targets) {
    if (!t.runtime) continue;
    Result<void> r;
    bool confirmed = false;
    if (t.trialBegun) {
      // Always checked when a trial ran, even one that failed: the check also refreshes the
      // cache, which must not keep pages read while the process ran.
      if (t.stopper) confirmed = t.proc->confirmTrial() && t.trial;
      else t.proc->dropCache();
    }
    size_t checkedPages = t.trialBegun ? t.proc->cachedPages() : 0;
    if (confirmed) {
      t.out = std::move(*t.trial);
      r = checkAlive(t);
    } else {
      r = readTarget(t, options);
    }
    if (t.stopper) {
      t.readMs = t.stopper->elapsedMs();
      t.stopRead = confirmed ? fmt::format("{} pages read before the stop found unchanged", checkedPages)
                   : t.trialBegun ? fmt::format("read again: the read before the stop changed ({} pages checked)",
                                                checkedPages)
                                  : "read while stopped";
    }
    t.trial.reset();
    if (!r) {
      if (!firstError) firstError = r.error();
      snap.warnings.push_back(r.error().message);
      t.pid = 0;
    }
  }
  // --- native stacks: unwound while the threads are still stopped ---
  if (options.nativeMode != native::NativeMode::kOff) {
    for (auto& t : targets) {
      if (!t.runtime || t.pid == 0) continue;
      if (t.stopper) {
        t.native = native::captureLive(t.proc->ioPid());
        for (auto& raw : t.native.stacks) {
          const auto& running = t.stopper->leftRunning();
          if (std::find(running.begin(), running.end(), raw.tid) == running.end()) continue;
          raw.frames.clear();
          raw.error = "the thread was not stopped: it is blocked writing into a full pipe or socket, and "
                      "interrupting it would cut that write short";
        }
      }
      else t.native.error = "unwinding needs the threads stopped (not done with --no-block)";
    }
  }
  for (auto& t : targets) {
    if (t.stopper) t.out.stopMilliseconds = t.stopper->resume();
  }
  if (const char* stats = std::getenv("PYHANG_STOP_STATS"); stats && *stats && std::string(stats) != "0") {
    // For the bench: how each process was read while stopped.
    for (const auto& t : targets) {
      if (t.stopper) {
        std::fprintf(stderr, "pyhang: process %d stopped %.3f ms (all stopped at %.3f, read at %.3f): %s\n",
                     static_cast<int>(t.pid), t.out.stopMilliseconds, t.stoppedMs, t.readMs, t.stopRead.c_str());
      }
    }
  }
  if (options.blocking && targetResumedEarly()) {
    snap.warnings.push_back("pyhang was suspended (SIGTSTP, SIGTTIN or SIGTTOU) while it held the target stopped, and "
                            "let the target run first: the snapshot may be inconsistent");
  }
  if (firstError && targets.size() == 1) return fail(*firstError);
  for (auto& t : targets) {
    if (t.pid == 0) continue;
    attachKernelView(t);
    attachIoBufferWaits(t.out);
    if (options.nativeMode != native::NativeMode::kOff && t.runtime) {
      native::attachNativeStacks(t.native, t.out, options.nativeMode, osThreadsOf(t));  // symbolized now the target runs
    }
    snap.processes.push_back(std::move(t.out));
  }
  if (snap.processes.empty()) {
    if (firstError) return fail(*firstError);
    return fail(ErrorKind::kNotFound, "none of the processes could be read");
  }
  markLoopPipeReads(snap);
  if (!options.children) addKernelOnlyPeers(snap);
  confirmAnyChildWaits(snap);
  attachPipeReaders(snap);
  attachReadPeers(snap);
  nameOutsidePipePeers(snap);
  attachOutputPipeWriters(snap);
  attachFileLockHolders(snap);
  attachLoopPeers(snap);
  attachSemaphoreSharers(snap);
  return snap;
}

}  // namespace pyhang
