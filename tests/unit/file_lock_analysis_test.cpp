// The analysis of threads blocked taking a file lock (flock, lockf), as the session leaves them:
// the lock's file key, the processes the kernel says hold it, and whether one may be outside the
// report. A cycle needs every holder in the report and blocked for good.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report/fix_lines.h"
#include "snapshot_builder.h"

namespace pyhang::test {
namespace {

constexpr int64_t kChild = 4300;

Thread fileLockWaiter(int64_t tid, const std::string& key, const std::string& path, std::vector<int64_t> holders, int line) {
  Thread t = thread(tid, "MainThread", {prog("main", line)});
  t.wchan = "flock_lock_inode_wait";
  t.kernelWaitKind = "filelock";
  t.kernelWait = "waits for an exclusive flock() on " + path + " (fd 5)";
  t.fileLockKey = key;
  t.fileLockPath = path;
  t.fileLockCall = "an exclusive flock()";
  t.fileLockFd = 5;
  t.fileLockHolders = std::move(holders);
  return t;
}

// Process kPid holds a.lock and waits for b.lock; kChild holds b.lock and waits for a.lock.
Given crossedFlocks() {
  Given g;
  Process& child = g.addProcess(kChild);
  child.ppid = kPid;
  g.proc(0).heldFileLocks["fe:00:1"] = 3;
  g.proc(1).heldFileLocks["fe:00:2"] = 4;
  g.with(fileLockWaiter(kPid, "fe:00:2", "/var/spool/b.lock", {kChild}, 20), 0);
  g.with(fileLockWaiter(kChild, "fe:00:1", "/var/spool/a.lock", {kPid}, 30), 1);
  return g;
}

TEST(FileLockAnalysis, TwoProcessesHoldingTheLockTheOtherWantsAreACycle) {
  Given g = crossedFlocks();
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  ASSERT_EQ(f.participants.size(), 2u);
  for (const auto& p : f.participants) {
    ASSERT_TRUE(p.waitsFor.has_value());
    EXPECT_EQ(p.waitsFor->op, WaitOp::kFileLock);
  }
  EXPECT_EQ(fixLine(g.snap, f), "the processes lock /var/spool/b.lock and /var/spool/a.lock in opposite orders (at prog.py:20; prog.py:30): "
                   "take the file locks in one order everywhere (sort the paths), or hold one at a time.");
}

TEST(FileLockAnalysis, AHolderThatStillRunsCanReleaseIt) {
  Given g = crossedFlocks();
  g.proc(1).threads[0] = running(kChild, "MainThread", {prog("compact", 40)});
  EXPECT_TRUE(g.analyze().findings.empty());
}

TEST(FileLockAnalysis, AHolderOutsideTheReportCanReleaseIt) {
  Given g = crossedFlocks();
  g.proc(0).threads[0].fileLockOutsideHolder = true;
  EXPECT_TRUE(g.analyze().findings.empty());
}

TEST(FileLockAnalysis, AWaitWithNoKnownHolderIsNoDeadlock) {
  Given g;
  g.with(fileLockWaiter(kPid, "fe:00:9", "/run/app.lock", {}, 12));
  EXPECT_TRUE(g.analyze().findings.empty());
}

TEST(FileLockAnalysis, TheLockOfAnOpenFileInheritedAcrossForkIsNoSelfDeadlock) {
  // The child inherited the parent's open file of a.lock: the kernel shows both holding it.
  Given g = crossedFlocks();
  g.proc(1).heldFileLocks["fe:00:1"] = 3;
  g.proc(1).threads[0].fileLockHolders = {kPid, kChild};
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].kind, "lock-order-cycle");
}

TEST(FileLockAnalysis, ASecondOpenOfAFileItsOwnProcessLockedIsASelfDeadlock) {
  Given g;
  g.proc(0).heldFileLocks["fe:00:7"] = 3;
  g.with(fileLockWaiter(kPid, "fe:00:7", "/srv/app/settings.json", {kPid}, 22));
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].kind, "self-deadlock");
  std::string fix = fixLine(g.snap, d.findings[0]);
  EXPECT_EQ(fix.rfind("prog.py:22 locks /srv/app/settings.json again through a second open()", 0), 0u) << fix;
}

TEST(FileLockAnalysis, AnotherThreadOfTheHolderCanReleaseIt) {
  // The lock is the process's: a thread of it that still runs may release it.
  Given g;
  g.proc(0).heldFileLocks["fe:00:7"] = 3;
  g.with(running(kPid + 1, "writer", {prog("flush", 50)}));
  g.with(fileLockWaiter(kPid, "fe:00:7", "/srv/app/settings.json", {kPid}, 22));
  EXPECT_TRUE(g.analyze().findings.empty());
}

}  // namespace
}  // namespace pyhang::test
