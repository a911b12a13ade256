// What a core's registers say about one thread (session/gil_waits.h). The register values are
// those gcore recorded for real threads of CPython 3.11 (a thread blocked in lock.acquire(): futex,
// rax -ERESTARTSYS; the main thread in time.sleep(): clock_nanosleep, -ERESTARTNOHAND).
#include "session/gil_waits.h"

#include <gtest/gtest.h>

namespace pyhang {
namespace {

constexpr int kRax = 10, kRdi = 14, kOrigRax = 15;
constexpr uint64_t kGil = 0x7f0000001000;

CoreThread inSyscall(int64_t nr, int64_t rax, uint64_t rdi = 0x55550000) {
  CoreThread t;
  t.regs[kOrigRax] = static_cast<uint64_t>(nr);
  t.regs[kRax] = static_cast<uint64_t>(rax);
  t.regs[kRdi] = rdi;
  return t;
}

TEST(CoreWait, AThreadStillBlockedInASystemCallIsBlocked) {
  EXPECT_EQ(coreWait(inSyscall(202, -512), {kGil}), CoreWait::kBlocked);  // futex, -ERESTARTSYS
  EXPECT_EQ(coreWait(inSyscall(230, -514), {kGil}), CoreWait::kBlocked);  // nanosleep, -ERESTARTNOHAND
  EXPECT_EQ(coreWait(inSyscall(219, -516), {kGil}), CoreWait::kBlocked);  // restart_syscall
  EXPECT_EQ(coreWait(inSyscall(7, -513), {}), CoreWait::kBlocked);        // poll, -ERESTARTNOINTR
  EXPECT_EQ(coreWait(inSyscall(232, -4), {}), CoreWait::kBlocked);         // epoll_wait, -EINTR
  EXPECT_EQ(coreWait(inSyscall(44, 212992), {}), CoreWait::kBlocked);     // sendto into a full socket, cut short
}

TEST(CoreWait, AThreadOutsideAnySystemCallIsRunning) {
  EXPECT_EQ(coreWait(inSyscall(-1, 0x1234), {kGil}), CoreWait::kRunning);
}

TEST(CoreWait, AThreadWhoseSystemCallHadReturnedIsRunning) {
  // A futex woken (0), one whose word had changed (-EAGAIN), one timed out (-ETIMEDOUT), a read
  // that got 17 bytes: each was leaving the kernel. A lock handed to the first looked held by no
  // one while every thread waited for it.
  EXPECT_EQ(coreWait(inSyscall(202, 0), {kGil}), CoreWait::kRunning);
  EXPECT_EQ(coreWait(inSyscall(202, -11), {kGil}), CoreWait::kRunning);
  EXPECT_EQ(coreWait(inSyscall(202, -110), {kGil}), CoreWait::kRunning);
  EXPECT_EQ(coreWait(inSyscall(0, 17), {}), CoreWait::kRunning);
  // Even on the GIL's own futex: it was woken and is about to take the GIL.
  EXPECT_EQ(coreWait(inSyscall(202, 0, kGil + 8), {kGil}), CoreWait::kRunning);
}

TEST(CoreWait, AFutexWaitInsideTheGilStateIsAWaitForTheGil) {
  EXPECT_EQ(coreWait(inSyscall(202, -512, kGil), {kGil}), CoreWait::kGil);
  EXPECT_EQ(coreWait(inSyscall(202, -512, kGil + 215), {kGil}), CoreWait::kGil);
  EXPECT_EQ(coreWait(inSyscall(219, -516, kGil + 48), {kGil}), CoreWait::kGil);
  // Just past the state, or another system call on the same address: not the GIL.
  EXPECT_EQ(coreWait(inSyscall(202, -512, kGil + 216), {kGil}), CoreWait::kBlocked);
  EXPECT_EQ(coreWait(inSyscall(7, -512, kGil), {kGil}), CoreWait::kBlocked);
  EXPECT_EQ(coreWait(inSyscall(202, -512, kGil), {}), CoreWait::kBlocked);
}

}  // namespace
}  // namespace pyhang
