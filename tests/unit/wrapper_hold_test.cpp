// A lock held through the program's own context manager (HeldObject::throughWrapper) is a guess
// the reader makes from the wrapper's source: the analysis counts it only while the lock is
// locked and no other thread holds it too.
#include <gtest/gtest.h>

#include "snapshot_builder.h"

namespace pyhang::test {
namespace {

constexpr uint64_t kDbLock = 0x1000;

FrameB withTransaction(int line) {
  FrameB f = prog("import_rows", line);
  f.f.holds.push_back(HeldObject{kDbLock, "with", 22, /*throughWrapper=*/true});
  return f;
}

Given importerInTransaction(bool locked) {
  Given g;
  g.object(lockObj(kDbLock, "db.lock", locked));
  g.with(thread(101, "importer", {withTransaction(25), FrameB("/srv/app/txn.py", "__enter__", 18).acquires(kDbLock, "acquire()")}));
  return g;
}

TEST(WrapperHold, ASecondTransactionOnTheSameThreadIsASelfDeadlock) {
  // Given a thread inside `with Transaction(db):` whose __enter__ waits for db.lock again
  Given g = importerInTransaction(/*locked=*/true);
  // When analysed, then the wrapper's hold closes the cycle on that one thread
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].kind, "self-deadlock");
  EXPECT_EQ(d.verdict, "deadlock");
}

TEST(WrapperHold, AnUnlockedLockIsNotHeldThroughAWrapper) {
  // Given the same stacks, but db.lock reads as unlocked
  Given g = importerInTransaction(/*locked=*/false);
  // Then the guess is dropped: no self-deadlock
  const Diagnosis& d = g.analyze();
  for (const auto& f : d.findings) EXPECT_NE(f.kind, "self-deadlock");
}

TEST(WrapperHold, TwoThreadsInsideWrappersOfOneLockHoldItUncertainly) {
  // Given two threads each inside a wrapper that manages db.lock, one of them waiting for it
  Given g;
  g.object(lockObj(kDbLock, "db.lock", true));
  g.with(thread(102, "auditor", {withTransaction(40), FrameB("/srv/app/txn.py", "__enter__", 18).acquires(kDbLock, "acquire()")}));
  g.with(thread(101, "importer", {withTransaction(25), FrameB("/srv/app/txn.py", "__enter__", 18).acquires(kDbLock, "acquire()")}));
  // Then neither is taken as its holder: no cycle is built from guesses
  const Diagnosis& d = g.analyze();
  for (const auto& f : d.findings) {
    EXPECT_NE(f.kind, "self-deadlock");
    EXPECT_NE(f.kind, "lock-order");
  }
}

}  // namespace
}  // namespace pyhang::test
