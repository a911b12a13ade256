#include "watch/command_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "process/proc_tree.h"
#include "process/thread_stopper.h"

namespace pyhang {

namespace {

// For the signal handler: the command and whether it has a group of its own.
std::atomic<pid_t> gCommand{0};
std::atomic<bool> gOwnGroup{true};
std::atomic<int> gForwarded{0};

void forwardHandler(int sig, siginfo_t* info, void*) {
  int saved = errno;
  detachAllFromSignalHandler();
  // The terminal already sent it to the whole foreground group, the command included.
  bool fromTerminal = info && info->si_code == SI_KERNEL;
  pid_t command = gCommand.load();
  if (command > 0 && !(fromTerminal && !gOwnGroup.load())) {
    kill(gOwnGroup.load() ? -command : command, sig);
  }
  gForwarded.store(sig);
  errno = saved;
}

// The signals pyhang changes, back to their defaults for the command (exec keeps an ignored
// SIGPIPE ignored, and the signal mask).
void restoreSignalsForExec() {
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU})
    signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Exited: no such process, or a zombie waiting for its reaper (read from /proc/PID/stat).
bool hasExited(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return true;
  buf[n] = 0;
  const char* paren = strrchr(buf, ')');  // the command name may hold anything, ')' included
  if (!paren || paren[1] != ' ') return true;
  char state = paren[2];
  return state == 'Z' || state == 'X';
}

bool inTerminalForeground() { return isatty(0) == 1 && tcgetpgrp(0) == getpgrp(); }

int shellStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 128;
}

}  // namespace

CommandRunner::Started CommandRunner::start(const std::vector<std::string>& argv) {
  ownGroup_ = !inTerminalForeground();
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // exec's errno comes back through a close-on-exec pipe: nothing read means exec succeeded.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return {0, errno};
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(report[0]);
    close(report[1]);
    return {0, e};
  }
  if (pid == 0) {
    close(report[0]);
    if (ownGroup_) setpgid(0, 0);
    restoreSignalsForExec();
    execvp(cargv[0], cargv.data());
    int e = errno;
    ssize_t ignored = write(report[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(report[1]);
  if (ownGroup_) setpgid(pid, pid);  // both sides: no race with a signal sent to the group
  pid_ = pid;
  int e = 0;
  ssize_t n;
  do n = read(report[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    reap(true);
    pid_ = 0;
    return {0, e};
  }
  gOwnGroup.store(ownGroup_);
  gCommand.store(pid);
  return {pid, 0};
}

void CommandRunner::forwardSignals() {
  struct sigaction sa = {};
  sa.sa_sigaction = forwardHandler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int CommandRunner::forwardedSignal() { return gForwarded.load(); }

std::optional<int> CommandRunner::reap(bool block) {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r;
  do r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = shellStatus(status);
    gCommand.store(0);
  }
  return status_;
}

std::optional<int> CommandRunner::poll() { return reap(false); }

int CommandRunner::wait() { return reap(true).value_or(128); }

int CommandRunner::killTree() {
  std::vector<pid_t> killed;
  if (pid_ > 0 && !status_) {
    // The tree first (a descendant may have left the group), then the group, root included.
    killed = descendantsOf(pid_);
    for (pid_t p : killed) kill(p, SIGKILL);
    if (ownGroup_) kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
  }
  int status = wait();
  // SIGKILL takes effect when the process next runs: on a loaded machine a descendant can still
  // be alive when the root is reaped. Wait (at most 5 s) until each has exited, so that when
  // pyhang returns, the tree is gone.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (pid_t p : killed) {
    while (!hasExited(p) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status;
}

}  // namespace pyhang
