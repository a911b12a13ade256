// Tests for describeKernelWait (src/process/kernel_wait.cpp) on real processes this test forks:
// a process blocked in wait4() for any child (as a shell waits for its job) and for one child.
#include "process/kernel_wait.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace pyhang {
namespace {

// A child that forks a grandchild which pauses, then waits in waitpid(`which`): -1 for any
// child, 0 for the grandchild's pid.
struct Waiter {
  explicit Waiter(bool anyChild) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid = fork();
    if (pid == 0) {
      close(fds[0]);
      pid_t grandchild = fork();
      if (grandchild == 0) {
        pause();
        _exit(0);
      }
      (void)!write(fds[1], &grandchild, sizeof grandchild);
      waitpid(anyChild ? -1 : grandchild, nullptr, 0);
      _exit(0);
    }
    close(fds[1]);
    EXPECT_EQ(read(fds[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
    close(fds[0]);
  }
  ~Waiter() {
    kill(grandchild, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  // Until the child sleeps in the kernel's do_wait (at most 5 s).
  bool asleepInWait() const {
    for (int i = 0; i < 500; ++i) {
      std::ifstream wchan("/proc/" + std::to_string(pid) + "/wchan");
      std::string w;
      std::getline(wchan, w);
      if (w == "do_wait") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  pid_t pid = 0;
  pid_t grandchild = 0;
};

TEST(KernelWait, WaitForAnyChildNamesNoPid) {
  Waiter w(true);
  ASSERT_TRUE(w.asleepInWait());
  KernelWait k = describeKernelWait(w.pid, w.pid);
  EXPECT_EQ(k.kind, "child");
  EXPECT_EQ(k.childPid, 0);  // wait4(-1): the pid register reads 0x00000000ffffffff
  EXPECT_TRUE(k.anyChild);
  EXPECT_EQ(k.text, "waits for a child process to exit");
}

TEST(KernelWait, WaitForOneChildNamesIt) {
  Waiter w(false);
  ASSERT_TRUE(w.asleepInWait());
  KernelWait k = describeKernelWait(w.pid, w.pid);
  EXPECT_EQ(k.kind, "child");
  EXPECT_EQ(k.childPid, w.grandchild);
  EXPECT_FALSE(k.anyChild);
  EXPECT_EQ(k.text, "waits for child process " + std::to_string(w.grandchild) + " to exit");
}

}  // namespace
}  // namespace pyhang
