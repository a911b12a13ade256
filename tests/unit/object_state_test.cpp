// The quantities of synchronisation objects and their one-line text: values that are not
// plausible numbers (the target's memory is hostile) are left out, never shown as read.
#include <gtest/gtest.h>

#include "report/fix_lines.h"
#include "report/object_state.h"

namespace pyhang {
namespace {

SyncObject object(ObjectKind kind, std::map<std::string, std::string> attrs, const char* name = "obj") {
  SyncObject s;
  s.address = 0x1000;
  s.kind = kind;
  s.names = {name};
  s.attrs = std::move(attrs);
  return s;
}

TEST(ObjectState, BoundedSemaphore) {
  Process p;
  auto q = quantitiesOf(p, object(ObjectKind::kSemaphore, {{"_value", "0"}, {"_initial_value", "3"}, {"waiters", "1"}}));
  ASSERT_TRUE(q);
  EXPECT_EQ(quantitiesText(*q, ObjectKind::kSemaphore), "0 of 3 permits free, 1 thread waiting");
}

TEST(ObjectState, GarbageValuesAreLeftOut) {
  Process p;
  auto q = quantitiesOf(p, object(ObjectKind::kSemaphore, {{"_value", "<object at 0x10>"}, {"_initial_value", "99999999999999999999"}}));
  EXPECT_FALSE(q);
  q = quantitiesOf(p, object(ObjectKind::kQueue, {{"qsize", "-"}, {"maxsize", "0"}, {"unfinished_tasks", "2x"}}));
  ASSERT_TRUE(q);
  EXPECT_EQ(quantitiesText(*q, ObjectKind::kQueue), "unbounded");
  EXPECT_FALSE(q->unfinished);
}

TEST(ObjectState, BarrierAndEvent) {
  Process p;
  auto b = quantitiesOf(p, object(ObjectKind::kBarrier, {{"_parties", "4"}, {"_count", "3"}, {"_state", "0"}}));
  ASSERT_TRUE(b);
  EXPECT_EQ(quantitiesText(*b, ObjectKind::kBarrier), "3 of 4 parties waiting");
  auto broken = quantitiesOf(p, object(ObjectKind::kBarrier, {{"_parties", "4"}, {"_count", "0"}, {"_state", "-2"}}));
  ASSERT_TRUE(broken);
  EXPECT_EQ(quantitiesText(*broken, ObjectKind::kBarrier), "broken (4 parties)");
  auto e = quantitiesOf(p, object(ObjectKind::kEvent, {{"_flag", "False"}, {"waiters", "2"}}));
  ASSERT_TRUE(e);
  EXPECT_EQ(quantitiesText(*e, ObjectKind::kEvent), "not set, 2 threads waiting");
}

TEST(ObjectState, RLockOwnedByAnExitedThread) {
  Process p;
  p.threads.push_back(Thread{});
  p.threads.back().ident = 7;
  p.exitedThreads[0x42] = "registrar";
  SyncObject r = object(ObjectKind::kRLock, {});
  r.locked = true;
  r.ownerIdent = 0x42;
  r.count = 2;
  auto q = quantitiesOf(p, r);
  ASSERT_TRUE(q);
  EXPECT_EQ(quantitiesText(*q, ObjectKind::kRLock), "held 2 times by thread \"registrar\" (exited)");
  EXPECT_EQ(q->ownerAlive, false);
}

TEST(ObjectState, PyMutexWaitersAreALowerBound) {
  Process p;
  SyncObject l = object(ObjectKind::kLock, {});
  l.locked = true;
  l.waiters = 1;
  l.waitersIsABit = true;   // a PyMutex's "has parked waiters" bit (3.13.1+)
  auto q = quantitiesOf(p, l);
  ASSERT_TRUE(q);
  EXPECT_EQ(quantitiesText(*q, ObjectKind::kLock), "locked, at least 1 thread waiting");
  // sem_t's nwaiters (3.13.0 and before) is a count
  l.waitersIsABit = false;
  q = quantitiesOf(p, l);
  ASSERT_TRUE(q);
  EXPECT_EQ(quantitiesText(*q, ObjectKind::kLock), "locked, 1 thread waiting");
}

TEST(FixLines, LeakedSemaphoreAndBarrier) {
  Snapshot snap;
  snap.processes.emplace_back();
  Process& p = snap.processes.back();
  p.pid = 10;
  p.objects[0x1000] = object(ObjectKind::kSemaphore, {{"_value", "0"}, {"_initial_value", "3"}}, "connection_slots");
  Finding f;
  f.kind = "all-blocked";
  Participant part;
  part.pid = 10;
  part.waitsFor = WaitInfo{};
  part.waitsFor->op = WaitOp::kAcquire;
  part.waitsFor->object = 0x1000;
  f.participants.push_back(part);
  EXPECT_EQ(fixLine(snap, f),
            "no live thread holds one: 3 permits of connection_slots were acquired and never released (an acquire() "
            "without release() on some path): use `with connection_slots:`.");
  p.objects[0x1000] = object(ObjectKind::kBarrier, {{"_parties", "4"}, {"_count", "3"}, {"_state", "0"}}, "shards_loaded");
  f.participants.front().waitsFor->op = WaitOp::kWait;
  EXPECT_EQ(fixLine(snap, f),
            "3 of 4 parties are waiting and no other thread will reach shards_loaded.wait(): create it with 3 parties, "
            "or start the missing one (a party that fails should call shards_loaded.abort()).");
  // A semaphore whose value could not be read says nothing about leaked permits.
  p.objects[0x1000] = object(ObjectKind::kSemaphore, {{"_value", "?"}}, "connection_slots");
  f.participants.front().waitsFor->op = WaitOp::kAcquire;
  EXPECT_EQ(fixLine(snap, f), "");
}

// `with jobs.mutex:` around jobs.put(): the queue's own mutex, which no RLock can replace.
TEST(FixLines, SelfDeadlockOnAQueuesOwnMutex) {
  Snapshot snap;
  snap.processes.emplace_back();
  Process& p = snap.processes.back();
  p.pid = 10;
  SyncObject mutex = object(ObjectKind::kLock, {}, "jobs.mutex");
  mutex.address = 0x2000;
  p.objects[0x2000] = mutex;
  Finding f;
  f.kind = "self-deadlock";
  Participant part;
  part.pid = 10;
  part.at = SourceLocation{"/srv/app/requeue.py", 22, "requeue"};
  part.waitsFor = WaitInfo{};
  part.waitsFor->op = WaitOp::kAcquire;
  part.waitsFor->object = 0x2000;
  part.holds.push_back({HeldObject{0x2000, "with", 20}, SourceLocation{"/srv/app/requeue.py", 20, "requeue"}});
  f.participants.push_back(part);
  // A lock of the program's own: an RLock would do.
  EXPECT_EQ(fixLine(snap, f),
            "requeue.py:22 takes jobs.mutex again while requeue.py:20 holds it: use threading.RLock() for jobs.mutex if it "
            "is meant to re-enter, or a helper that expects the lock held.");
  SyncObject queue = object(ObjectKind::kQueue, {{"qsize", "0"}, {"maxsize", "0"}}, "jobs");
  queue.address = 0x3000;
  queue.underlyingLock = 0x2000;
  p.objects[0x3000] = queue;
  EXPECT_EQ(fixLine(snap, f),
            "requeue.py:22 takes jobs.mutex again while requeue.py:20 holds it: the methods of queue jobs (put, get, "
            "qsize...) take its mutex themselves; call them after leaving `with jobs.mutex:`, or work on jobs.queue "
            "directly while holding it.");
}

}  // namespace
}  // namespace pyhang
