// Stops every thread of a live process for a consistent snapshot, the harmless way:
// PTRACE_SEIZE + PTRACE_INTERRUPT (if pyhang dies the kernel detaches and the threads run on),
// and PTRACE_DETACH on every path, including SIGINT/SIGTERM/SIGHUP/SIGQUIT delivered to pyhang,
// and before pyhang itself stops on SIGTSTP/SIGTTIN/SIGTTOU.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "common/result.h"

namespace pyhang {

class ThreadStopper {
 public:
  // Seizes and interrupts all threads of `pid` (repeating until no new thread appears).
  static Result<std::unique_ptr<ThreadStopper>> stopAll(pid_t pid);
  ~ThreadStopper();
  ThreadStopper(const ThreadStopper&) = delete;
  ThreadStopper& operator=(const ThreadStopper&) = delete;

  // Detaches every thread; idempotent. Returns how long the target was stopped.
  double resume();
  const std::vector<pid_t>& threads() const { return tids_; }
  // Milliseconds since the stop began (for the bench's statistics).
  double elapsedMs() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stoppedAt_).count();
  }
  // Threads deliberately not stopped: blocked writing into a full pipe or socket.
  const std::vector<pid_t>& leftRunning() const { return leftRunning_; }
  // Each stopped thread's system call registers at its stop (see callAtStop); absent if unread.
  struct CallRegisters {
    int64_t origRax = -1;   // the call's number, -1 outside a call
    int64_t rax = 0;        // its result
    uint64_t arg0 = 0;      // its first argument (rdi): the futex, the descriptor
  };
  const std::map<pid_t, CallRegisters>& callRegisters() const { return callRegisters_; }

 private:
  ThreadStopper() = default;
  std::vector<pid_t> tids_;
  std::vector<pid_t> leftRunning_;
  std::map<pid_t, CallRegisters> callRegisters_;
  std::chrono::steady_clock::time_point stoppedAt_;
  bool resumed_ = false;
  double stoppedMs_ = 0;
};

// Installs handlers that detach any seized thread before pyhang exits on a fatal signal
// (SIGINT, SIGTERM, SIGHUP, SIGQUIT) or stops on a job-control one (SIGTSTP, SIGTTIN, SIGTTOU);
// ignores SIGPIPE (a write error instead).
void installDetachOnSignal();

// Detaches every thread pyhang holds stopped, at once; async-signal-safe (for a signal handler
// that does not end pyhang: `pyhang run` forwards SIGINT/SIGTERM/SIGHUP to its command).
void detachAllFromSignalHandler();

// True once a stop signal made pyhang let the target run before the snapshot was complete.
bool targetResumedEarly();

// Why ptrace (or reading the memory) of `pid` is refused (the reason alone: callers say what was
// refused), as an error with its own hint: another
// tracer (named), a missing capability, or, for root, Yama's ptrace_scope 3 or a security module.
// `tid`: the thread that was refused, 0 if none in particular.
Error ptraceRefusal(pid_t pid, pid_t tid = 0);

}  // namespace pyhang
