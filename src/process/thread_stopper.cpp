#include "process/thread_stopper.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "process/live_process.h"

namespace pyhang {

namespace {

// The only global state in pyhang: the signal handler must find the seized threads to detach
// them. Fixed-size, lock-free, async-signal-safe.
constexpr int kMaxSeized = 1 << 16;
std::atomic<pid_t> gSeized[kMaxSeized];
std::atomic<int> gSeizedCount{0};

// Registered before PTRACE_SEIZE, so that no signal can find a seized thread unregistered; a
// failed seize unregisters it (detaching a thread pyhang does not trace is a harmless ESRCH).
int registerSeized(pid_t tid) {
  int i = gSeizedCount.fetch_add(1);
  if (i < kMaxSeized) gSeized[i].store(tid);
  return i;
}

void unregisterSeized(int i) {
  if (i >= 0 && i < kMaxSeized) gSeized[i].store(0);
}

void clearSeized() {
  int n = std::min(gSeizedCount.load(), kMaxSeized);
  for (int i = 0; i < n; ++i) gSeized[i].store(0);
  gSeizedCount.store(0);
}

std::atomic<bool> gResumedEarly{false};

// Detaches every seized thread; returns whether there was one. Async-signal-safe.
bool detachAll() {
  bool any = false;
  int n = std::min(gSeizedCount.load(), kMaxSeized);
  for (int i = 0; i < n; ++i) {
    pid_t tid = gSeized[i].exchange(0);
    if (tid > 0) {
      ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
      any = true;
    }
  }
  return any;
}

void detachAllFromHandler(int sig) {
  detachAll();
  signal(sig, SIG_DFL);
  raise(sig);
}

void stopHandler(int sig);

void installStopHandler(int sig) {
  struct sigaction sa = {};
  sa.sa_handler = stopHandler;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}

// Ctrl-Z (SIGTSTP), or a background pyhang touching the terminal (SIGTTIN, SIGTTOU): pyhang may
// stay suspended for hours, and the target must not stay stopped with it. Let the target go
// first, then stop as the signal asks; once continued, pyhang reads on from a running target
// (the report says so) and the handler is back for the next stop.
void stopHandler(int sig) {
  if (detachAll()) gResumedEarly.store(true);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);  // the handler runs with `sig` blocked
  raise(sig);                                    // stops here until SIGCONT
  installStopHandler(sig);
}

std::vector<pid_t> listTasks(pid_t pid) {
  std::vector<pid_t> out;
  DIR* d = opendir(fmt::format("/proc/{}/task", pid).c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') out.push_back(std::atoi(e->d_name));
  }
  closedir(d);
  return out;
}

}  // namespace

void installDetachOnSignal() {
  struct sigaction sa = {};
  sa.sa_handler = detachAllFromHandler;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
  for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
    // A stop signal ignored by whoever started pyhang stays ignored.
    struct sigaction old = {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    installStopHandler(sig);
  }
  // The report is written after the target runs again; a reader that went away is a write
  // error (EPIPE) that main reports with its exit code, not a signal that kills pyhang.
  signal(SIGPIPE, SIG_IGN);
}

void detachAllFromSignalHandler() { detachAll(); }

bool targetResumedEarly() { return gResumedEarly.load(); }

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The pid of the process tracing `tid` (TracerPid in its status), 0 when none.
pid_t tracerOf(pid_t pid, pid_t tid) {
  std::string status = readProcFile(fmt::format("/proc/{}/task/{}/status", pid, tid));
  auto at = status.find("TracerPid:");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::atol(status.c_str() + at + 10));
}

// The kernel's state letter of one thread, '?' when it is gone.
char taskState(pid_t pid, pid_t tid) {
  std::string stat = readProcFile(fmt::format("/proc/{}/task/{}/stat", pid, tid), 4096);
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return '?';
  return stat[close + 2];
}

}  // namespace

Error ptraceRefusal(pid_t pid, pid_t tid) {
  Error e{ErrorKind::kPermission, "", 0, ""};
  pid_t tracer = tid ? tracerOf(pid, tid) : 0;
  for (pid_t t : listTasks(pid)) {
    if (tracer) break;
    tracer = tracerOf(pid, t);
  }
  if (tracer && tracer != getpid()) {
    std::string comm = trimmed(readProcFile(fmt::format("/proc/{}/comm", tracer), 64));
    e.message = fmt::format("it is already traced by process {} ({})", tracer, comm.empty() ? "gone" : comm);
    e.hint = fmt::format("hint: detach that tracer (a debugger, strace, a profiler) first, or read without stopping "
                         "the target: pyhang remote {} --no-block",
                         pid);
    return e;
  }
  std::string scope = trimmed(readProcFile("/proc/sys/kernel/yama/ptrace_scope", 16));
  if (geteuid() != 0) {
    e.message = fmt::format("pyhang needs CAP_SYS_PTRACE or the target's user (kernel.yama.ptrace_scope is {})",
                            scope.empty() ? "unknown" : scope);
    e.hint = "hint: run pyhang as root (sudo) or give it CAP_SYS_PTRACE; in a container add --cap-add=SYS_PTRACE";
    return e;
  }
  // Root, and still refused: not a missing privilege.
  if (scope == "3") {
    e.message = "kernel.yama.ptrace_scope is 3, which forbids ptrace to every process, root included";
    e.hint = "hint: the setting can only be lowered by a reboot (set kernel.yama.ptrace_scope below 3 at boot)";
    return e;
  }
  e.message = fmt::format("refused to root although kernel.yama.ptrace_scope is {} and no other tracer is attached: "
                          "pyhang lacks CAP_SYS_PTRACE here, or a security module denies ptrace",
                          scope.empty() ? "unknown" : scope);
  e.hint = "hint: in a container add --cap-add=SYS_PTRACE; check SELinux/AppArmor/seccomp policies for ptrace";
  return e;
}

namespace {
// Blocked sending into a full pipe or socket (the kernel's wait channel). Asked of every thread
// right before it is interrupted, while the threads before it are already stopped: one openat
// relative to the task directory and one read (a wait channel is one short word), no allocation.
bool isBlockedInWrite(int taskDir, pid_t pid, pid_t tid) {
  std::string w;
  char path[32];
  int fd = taskDir >= 0 && std::snprintf(path, sizeof(path), "%d/wchan", static_cast<int>(tid)) < int(sizeof(path))
               ? ::openat(taskDir, path, O_RDONLY | O_CLOEXEC)
               : -1;
  if (fd >= 0) {
    char buf[128];
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    if (n > 0) w.assign(buf, static_cast<size_t>(n));
  } else {
    w = readProcFile(fmt::format("/proc/{}/task/{}/wchan", pid, tid), 128);
  }
  for (const char* s : {"pipe_write", "sk_stream_wait_memory", "sock_alloc_send_pskb", "unix_stream_sendmsg",
                        "unix_dgram_sendmsg", "wait_for_unix_gc"}) {
    if (w.find(s) != std::string::npos) return true;
  }
  return false;
}
}  // namespace


Result<std::unique_ptr<ThreadStopper>> ThreadStopper::stopAll(pid_t pid) {
  std::unique_ptr<ThreadStopper> s(new ThreadStopper());
  s->stoppedAt_ = std::chrono::steady_clock::now();
  std::set<pid_t> seized, leftRunning;
  int taskDir = ::open(fmt::format("/proc/{}/task", pid).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct CloseDir {
    int fd;
    ~CloseDir() {
      if (fd >= 0) ::close(fd);
    }
  } closeTaskDir{taskDir};
  // Threads may be created while we seize: repeat until the task list is stable.
  for (int round = 0; round < 100; ++round) {
    bool added = false;
    for (pid_t tid : listTasks(pid)) {
      if (seized.count(tid) || leftRunning.count(tid)) continue;
      if (isBlockedInWrite(taskDir, pid, tid)) {
        // Interrupting a write(2) that has already moved some bytes makes it return early with a
        // short count, which a program may not expect (os.write does not retry). Such a thread
        // holds no GIL and changes nothing while it stays blocked: leave it alone.
        leftRunning.insert(tid);
        s->leftRunning_.push_back(tid);
        continue;
      }
      int slot = registerSeized(tid);
      if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        int err = errno;
        unregisterSeized(slot);
        if (err == ESRCH) continue;  // the thread exited meanwhile
        // The kernel refuses to attach to a thread that is exiting (EPERM): that is no
        // permission problem. A thread that has exited while others run (a main thread that
        // called pthread_exit is a zombie until the last one ends) is simply not stopped.
        if (err == EPERM) {
          char st = taskState(pid, tid);
          if (st == 'Z' || st == 'X' || st == 'x' || st == '?') {
            if (processHasLiveThread(pid)) continue;
            s->resume();
            return fail(ErrorKind::kProcessGone, fmt::format("process {} exited while pyhang was attaching to it", pid));
          }
          s->resume();
          Error e = ptraceRefusal(pid, tid);
          e.message = "cannot attach: " + e.message;
          return fail(e);
        }
        s->resume();
        return fail(ErrorKind::kPermission, fmt::format("cannot attach to thread {}: {}", tid, strerror(err)));
      }
      seized.insert(tid);
      s->tids_.push_back(tid);
      added = true;
      if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) continue;
    }
    if (!added) break;
  }
  if (s->tids_.empty() && s->leftRunning_.empty()) {
    return fail(ErrorKind::kProcessGone, fmt::format("process {} exited while pyhang was attaching to it", pid));
  }
  // Wait for every seized thread to report its stop.
  for (pid_t tid : s->tids_) {
    for (int tries = 0; tries < 1000; ++tries) {
      int status = 0;
      pid_t r = waitpid(tid, &status, __WALL);
      if (r < 0) break;  // gone
      if (WIFEXITED(status) || WIFSIGNALED(status)) break;
      if (WIFSTOPPED(status)) {
        if ((status >> 16) == PTRACE_EVENT_STOP) {  // our interrupt (or a group stop)
          // Whether it waited in the kernel or had just been woken: a thread that looks blocked
          // in its Python frames but is not is about to move.
          user_regs_struct regs{};
          if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0) {
            s->callRegisters_[tid] = {static_cast<int64_t>(regs.orig_rax), static_cast<int64_t>(regs.rax), regs.rdi};
          }
          break;
        }
        // A signal arrived first: re-inject it and wait for the interrupt stop.
        ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(WSTOPSIG(status))));
        ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
      }
    }
  }
  if (const char* hold = std::getenv("PYHANG_TEST_HOLD_STOP_MS")) {
    // Test hook: keep the target stopped so that tests can kill pyhang at this moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(hold)));
  }
  return s;
}

double ThreadStopper::resume() {
  if (resumed_) return stoppedMs_;
  resumed_ = true;
  for (pid_t tid : tids_) ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
  clearSeized();
  if (!tids_.empty()) {
    stoppedMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stoppedAt_).count();
  }
  return stoppedMs_;
}

ThreadStopper::~ThreadStopper() { resume(); }

}  // namespace pyhang
