// A buffered stream's C lock (session/io_buffer_waits.h and the analysis of its owner): a thread
// blocked on the lock's futex waits for the stream; a forked child's stream held by a thread of
// its parent is a lock held at fork time, named after that thread.
#include "session/io_buffer_waits.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "analysis/deadlock_analysis.h"
#include "snapshot_builder.h"

namespace pyhang {
namespace {

using namespace pyhang::test;

constexpr uint64_t kStream = 0x6000, kSem = 0x55aa00, kGil = 0x7f00aa000000;

SyncObject heldStream(uint64_t owner, bool mutex = false) {
  SyncObject o = syncObject(kStream, ObjectKind::kIoBuffer, "_io.BufferedWriter", "audit");
  o.locked = true;
  o.ownerIdent = owner;
  o.count = 1;
  o.lockWord = kSem;
  o.attrs["file"] = "/var/log/audit.log";
  if (mutex) {
    o.waiters = 1;
    o.waitersIsABit = true;
  }
  return o;
}

Thread blockedOnFutex(int64_t tid, const std::string& name, uint64_t futex) {
  Thread t = thread(tid, name, {prog("export", 33).source("audit.flush()")});
  t.futexAddress = futex;
  return t;
}

TEST(IoBufferWaits, AThreadOnTheStreamLocksFutexWaitsForTheStream) {
  // Given a writer holding the stream and a thread blocked on the futex of its sem_t
  Given g;
  g.object(heldStream(identOf(101)));
  g.with(blockedOnFutex(100, "MainThread", kSem));
  g.with(thread(101, "writer", {prog("write_batch", 20)}));
  // When the waits are attached
  attachIoBufferWaits(g.proc());
  // Then the main thread's frame waits to acquire the stream; the writer waits for nothing
  const auto& w = g.proc().threads[0].frames.back().waitsOn;
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->op, WaitOp::kAcquire);
  EXPECT_EQ(w->object, kStream);
  EXPECT_FALSE(g.proc().threads[1].frames.back().waitsOn.has_value());
}

TEST(IoBufferWaits, AnotherFutexAThreadItsOwnStreamOrTheGilIsNoStreamWait) {
  Given g;
  g.object(heldStream(identOf(100)));
  g.proc().gilStates = {kGil};
  g.with(blockedOnFutex(100, "MainThread", kSem));         // the owner itself (it never waits for its own stream)
  g.with(blockedOnFutex(101, "other", kSem + 0x40));       // some other futex
  g.with(blockedOnFutex(102, "gil", kGil + 8));            // the GIL
  attachIoBufferWaits(g.proc());
  for (const auto& t : g.proc().threads) EXPECT_FALSE(t.frames.back().waitsOn.has_value()) << t.name;
}

TEST(IoBufferWaits, FromPython315TheOnlyHeldStreamWithAParkedWaiterIsTheOne) {
  // Given a PyMutex stream lock (waiters park on their own futexes) with its parked bit set
  Given g;
  g.object(heldStream(identOf(101), /*mutex=*/true));
  g.with(blockedOnFutex(100, "MainThread", 0x7ffd12340000));
  attachIoBufferWaits(g.proc());
  ASSERT_TRUE(g.proc().threads[0].frames.back().waitsOn.has_value());
  EXPECT_EQ(g.proc().threads[0].frames.back().waitsOn->object, kStream);
  // And with two such streams it cannot tell which: no wait
  Given two;
  two.object(heldStream(identOf(101), true));
  SyncObject other = heldStream(identOf(101), true);
  other.address = kStream + 0x100;
  two.object(other);
  two.with(blockedOnFutex(100, "MainThread", 0x7ffd12340000));
  attachIoBufferWaits(two.proc());
  EXPECT_FALSE(two.proc().threads[0].frames.back().waitsOn.has_value());
}

TEST(IoBufferWaits, AForkedChildsStreamHeldByTheParentsWriterIsHeldAtForkTime) {
  // Given a child (pid 200, forked from 100) whose main thread waits for a stream owned by the
  // ident of the parent's "audit-writer" thread, which the child does not have
  Given g;
  Process& child = g.addProcess(200);
  child.forkOf = kPid;
  g.with(thread(101, "audit-writer", {prog("audit_writer", 23)}), 0);
  g.with(thread(100, "MainThread", {prog("main", 52).source("os.waitpid(pid, 0)")}), 0);
  g.object(heldStream(identOf(101)), 1);
  g.with(blockedOnFutex(100, "MainThread", kSem), 1);
  attachIoBufferWaits(g.proc(1));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the finding names the parent's thread and the stream
  ASSERT_FALSE(d.findings.empty());
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "held-by-dead-thread");
  ASSERT_GE(f.lines.size(), 4u);
  EXPECT_EQ(f.lines[0], "Found a deadlock (lock held at fork time by a thread of the parent):");
  EXPECT_NE(f.lines[1].find("waits for the lock of the buffered stream audit (/var/log/audit.log)"), std::string::npos)
      << f.lines[1];
  EXPECT_EQ(f.lines[3], fmt::format("    which is owned by thread \"audit-writer\" of the parent (pid {}): this process was "
                                    "forked while that thread held it, and no thread of this copy will ever release it.",
                                    kPid));
  EXPECT_NE(f.summary.find("held when this process was forked"), std::string::npos) << f.summary;
  EXPECT_EQ(f.participants[0].heldBy, fmt::format("thread \"audit-writer\" of the parent (pid {}) (held at fork time)", kPid));
}

}  // namespace
}  // namespace pyhang
