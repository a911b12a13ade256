// What a thread blocked in a system call waits for, in words, from /proc (live processes only):
// the call (from /proc/PID/task/TID/syscall) and, for a file descriptor, what it is (a TCP or
// Unix socket with its addresses, a pipe, a terminal, a file).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pyhang {

struct KernelWait {
  // io, accept, sleep, signal, child, poll, futex, filelock, other; "" when the thread is not in a call
  std::string kind;
  std::string text;   // "reads from TCP socket 127.0.0.1:41234 -> 127.0.0.1:5000 (fd 3)"
  int64_t readFd = -1;  // blocked reading this descriptor (read, recv...), else -1
  int64_t childPid = 0;  // blocked in wait4() for this one child (os.waitpid(pid, 0)), else 0
  bool anyChild = false;  // blocked in wait4(-1) for any of its children (os.wait(), a shell's wait)
  // Blocked taking a file lock (flock(), fcntl(F_SETLKW) as lockf() does, F_OFD_SETLKW): the
  // descriptor, the file as /proc/locks keys it ("fe:00:10953453"), its path and the call.
  int64_t lockFd = -1;
  std::string lockKey;
  std::string lockPath;
  std::string lockCall;  // "an exclusive flock()", "a shared flock()", "a record lock (fcntl F_SETLKW)"
  // Blocked in poll(2)/ppoll(2): the descriptors it polls (at most 64 read), else empty.
  std::vector<int64_t> polledFds;
  bool noTimeout = false;  // in poll, select or epoll_wait with no timeout: only I/O or a signal ends it
};

KernelWait describeKernelWait(pid_t pid, pid_t tid);

// Where a stopped thread was, from its registers (x86_64 orig_rax and rax) as ptrace or a core's
// NT_PRSTATUS gives them (pure: for live threads and cores alike): "blocked" (interrupted in a system call that waits: the call returned
// -ERESTART* or -EINTR, or a send cut short), "returned" (its call had just ended: a woken
// thread not yet back in its code), "running" (not in a system call).
const char* callAtStop(int64_t origRax, int64_t rax);

// "TCP socket 127.0.0.1:41234 -> 127.0.0.1:5000", "pipe:[1234]", "terminal /dev/pts/3",
// "/var/log/app.log"; "" when the descriptor cannot be read.
std::string describeFd(pid_t pid, long fd);

}  // namespace pyhang
