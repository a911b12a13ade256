// Tests for what keeps a busy or waiting program from being called deadlocked: the wait graph's
// reading of Condition.wait (a notified waiter is waking up; running threading code waits for
// nothing), wake sources outside the threads (signal handlers, child processes not inspected),
// and confirmFindings over the second look's observations.
#include "analysis/confirmation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include "process/kernel_wait.h"
#include "snapshot_builder.h"

namespace pyhang {
namespace {

using namespace pyhang::test;

constexpr uint64_t kJobs = 0x1000, kJobsMutex = 0x1010, kNotEmpty = 0x1020;
constexpr uint64_t kStop = 0x2000, kStopLock = 0x2010, kStopCond = 0x2020;
constexpr uint64_t kLockX = 0x3000;

std::string kinds(const Diagnosis& d) {
  std::string s;
  for (const auto& f : d.findings) s += f.kind + " ";
  return s;
}

// MainThread waits for the `stop` event forever; `consumer` is in jobs.get() -> not_empty.wait().
Given consumerAndMain(bool notified, bool mutexLocked) {
  Given g;
  g.object(queueObj(kJobs, "jobs", kJobsMutex))
      .object(condObj(kNotEmpty, "jobs.not_empty", kJobsMutex))
      .object(lockObj(kJobsMutex, "jobs.mutex", mutexLocked))
      .object(eventObj(kStop, "stop", kStopLock))
      .object(condObj(kStopCond, "stop._cond", kStopLock))
      .object(lockObj(kStopLock, "", false));
  FrameB wait = threadingPy("wait", 355).waits(WaitOp::kWait, kNotEmpty, "wait()").arg("self", kNotEmpty);
  wait.f.waitsOn->notified = notified;
  g.with(thread(102, "consumer",
                {prog("consume", 9).source("item = jobs.get()"),
                 queuePy("get", 171).waits(WaitOp::kQueueGet, kJobs, "get()").arg("self", kJobs), wait}));
  g.with(thread(100, "MainThread",
                {prog("<module>", 20).source("stop.wait()"),
                 threadingPy("wait", 655).waits(WaitOp::kWait, kStop, "wait()").arg("self", kStop),
                 threadingPy("wait", 355).waits(WaitOp::kWait, kStopCond, "wait()").arg("self", kStopCond)}));
  return g;
}

TEST(Confirmation, AllBlockedWhenTheConsumerReallyWaits) {
  // Given a consumer waiting for an item nobody will put, and main waiting for an event
  Given g = consumerAndMain(/*notified=*/false, /*mutexLocked=*/false);
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then nothing can run again
  ASSERT_EQ(d.findings.size(), 1u) << kinds(d);
  EXPECT_EQ(d.findings[0].kind, "all-blocked");
}

TEST(Confirmation, ANotifiedWaiterIsWakingUp) {
  // Given the same, but the consumer's waiter was already notified (a put() just happened) and
  // the queue's mutex is free
  Given g = consumerAndMain(/*notified=*/true, /*mutexLocked=*/false);
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the consumer is not blocked: no deadlock
  EXPECT_TRUE(d.findings.empty()) << kinds(d);
  EXPECT_EQ(d.verdict, "no-deadlock");
}

TEST(Confirmation, ANotifiedWaiterWaitsForTheConditionsLockWhileItIsHeld) {
  // Given a notified consumer whose queue mutex is held by `producer`, which waits for lock_x,
  // which the consumer holds
  Given g = consumerAndMain(/*notified=*/true, /*mutexLocked=*/true);
  g.proc().threads[0].frames[0].holds.push_back(HeldObject{kLockX, "with", 8});
  g.object(lockObj(kLockX, "lock_x"));
  g.with(thread(103, "producer", {prog("produce", 30).holds(kJobs, 29).acquires(kLockX).source("with lock_x:")}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then re-acquiring the mutex closes a lock-order cycle with the producer
  ASSERT_EQ(d.findings.size(), 1u) << kinds(d);
  EXPECT_EQ(d.findings[0].kind, "lock-order-cycle");
  ASSERT_EQ(d.findings[0].participants.size(), 2u);
  const auto& parts = d.findings[0].participants;
  const auto consumer = std::find_if(parts.begin(), parts.end(), [](const auto& p) { return p.tid == 102; });
  ASSERT_NE(consumer, parts.end());
  ASSERT_TRUE(consumer->waitsFor.has_value());
  EXPECT_EQ(consumer->waitsFor->op, WaitOp::kAcquire);
  EXPECT_EQ(consumer->waitsFor->object, kJobsMutex);
}

TEST(Confirmation, RunningThreadingCodeWaitsForNothing) {
  // Given a producer inside jobs.put() -> not_empty.notify() (running Python code of queue.py
  // and threading.py), and main waiting for an event
  Given g = consumerAndMain(false, false);
  g.proc().threads.erase(g.proc().threads.begin());
  g.with(thread(103, "producer",
                {prog("produce", 30).source("jobs.put(item)"),
                 queuePy("put", 152).waits(WaitOp::kQueuePut, kJobs, "put()").arg("self", kJobs),
                 threadingPy("notify", 410).arg("self", kNotEmpty)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the producer is not waiting, so not everything is blocked
  EXPECT_TRUE(d.findings.empty()) << kinds(d);
}

TEST(Confirmation, AFindingWhoseThreadRanAMomentLaterIsNotConfirmed) {
  // Given an all-blocked program, and a second look that saw the consumer running
  Given g = consumerAndMain(false, false);
  g.analyze();
  ASSERT_EQ(g.snap.diagnosis.findings.size(), 1u);
  for (auto& t : g.proc().threads) {
    t.ranAfter = t.tid == 102;
    t.stateAfter = t.tid == 102 ? "R" : "S";
  }
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then there is no deadlock: the finding is kept aside, with the reason
  const Diagnosis& d = g.snap.diagnosis;
  EXPECT_TRUE(d.findings.empty());
  ASSERT_EQ(d.unconfirmed.size(), 1u);
  EXPECT_EQ(d.unconfirmed[0].unconfirmedBecause, "thread 102 \"consumer\" was running a moment later");
  EXPECT_EQ(d.verdict, "no-deadlock");
  EXPECT_EQ(d.verdictLine,
            "Verdict: no deadlock: the threads looked stuck (all-blocked), but thread 102 \"consumer\" was running a "
            "moment later.");
}

TEST(Confirmation, AFindingWhoseThreadsStayedBlockedStands) {
  // Given an all-blocked program, and a second look that saw every thread still blocked
  Given g = consumerAndMain(false, false);
  g.analyze();
  for (auto& t : g.proc().threads) t.ranAfter = false;
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then the deadlock stands
  EXPECT_EQ(g.snap.diagnosis.verdict, "deadlock");
  EXPECT_EQ(g.snap.diagnosis.findings.size(), 1u);
}

TEST(Confirmation, AThreadJustWokenAtTheStopLeavesTheFindingUnconfirmed) {
  // Given an all-blocked program whose consumer had returned from its futex wait when the
  // threads were stopped (a lock handed to it, not yet back in its code), the rest blocked
  Given g = consumerAndMain(false, false);
  g.analyze();
  ASSERT_EQ(g.snap.diagnosis.findings.size(), 1u);
  for (auto& t : g.proc().threads) {
    t.ranAfter = false;
    t.atStop = t.tid == 102 ? "returned" : "blocked";
  }
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then the finding is kept aside: that thread was about to move
  const Diagnosis& d = g.snap.diagnosis;
  EXPECT_TRUE(d.findings.empty());
  ASSERT_EQ(d.unconfirmed.size(), 1u);
  EXPECT_EQ(d.unconfirmed[0].unconfirmedBecause,
            "thread 102 \"consumer\" had just been woken when pyhang stopped the threads");
}

TEST(Confirmation, ThreadsBlockedInTheKernelAtTheStopConfirm) {
  // Given an all-blocked program whose threads all waited in a system call at the stop
  Given g = consumerAndMain(false, false);
  g.analyze();
  for (auto& t : g.proc().threads) {
    t.ranAfter = false;
    t.atStop = "blocked";
  }
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then the deadlock stands
  EXPECT_EQ(g.snap.diagnosis.verdict, "deadlock");
}

TEST(Confirmation, WhereAStoppedThreadWasComesFromItsRegisters) {
  // ERESTARTSYS (futex, read), ERESTART_RESTARTBLOCK (a wait with a timeout), EINTR (epoll)
  EXPECT_STREQ(callAtStop(202, -512), "blocked");
  EXPECT_STREQ(callAtStop(202, -516), "blocked");
  EXPECT_STREQ(callAtStop(232, -4), "blocked");
  // A futex wait that had returned (woken, or the value had changed)
  EXPECT_STREQ(callAtStop(202, 0), "returned");
  EXPECT_STREQ(callAtStop(202, -11), "returned");
  // A send into a full socket cut short by the stop still waits; one that failed does not
  EXPECT_STREQ(callAtStop(44, 65536), "blocked");
  EXPECT_STREQ(callAtStop(1, -32), "returned");
  // Not in a system call at all
  EXPECT_STREQ(callAtStop(-1, 0), "running");
}

TEST(Confirmation, AnActiveThreadWithoutPythonFramesLeavesAllBlockedUnconfirmed) {
  // Given an all-blocked program whose process has a C thread that ran meanwhile
  Given g = consumerAndMain(false, false);
  g.analyze();
  for (auto& t : g.proc().threads) t.ranAfter = false;
  g.proc().otherThreadsThatRan.push_back(107);
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then nothing is claimed
  EXPECT_EQ(g.snap.diagnosis.verdict, "no-deadlock");
  ASSERT_EQ(g.snap.diagnosis.unconfirmed.size(), 1u);
  EXPECT_NE(g.snap.diagnosis.unconfirmed[0].unconfirmedBecause.find("thread 107"), std::string::npos);
}

// A daemon's `signal.signal(SIGTERM, on_term)`.
SignalHandler sigtermHandler() {
  SignalHandler h;
  h.signo = SIGTERM;
  h.name = "SIGTERM";
  h.handler = "on_term";
  h.where = SourceLocation{"/srv/app/prog.py", 4, "on_term"};
  return h;
}

TEST(Confirmation, ASignalHandlerCanWakeAProgramWhoseThreadsAllWait) {
  // Given the all-blocked program with a Python SIGTERM handler (a daemon waiting to be stopped)
  Given g = consumerAndMain(false, false);
  g.proc().signalHandlers = std::vector<SignalHandler>{sigtermHandler()};
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then it is waiting for the signal, not deadlocked
  EXPECT_TRUE(d.findings.empty()) << kinds(d);
  EXPECT_EQ(d.verdict, "no-deadlock");
  EXPECT_EQ(d.verdictLine,
            "Verdict: no deadlock: every thread waits, and signal SIGTERM (its handler on_term, prog.py:4) can still "
            "wake the program.");
}

TEST(Confirmation, WithoutAMainThreadNoHandlerCanRun) {
  // Given a SIGTERM handler, but the main thread has exited
  Given g = consumerAndMain(false, false);
  g.proc().threads.pop_back();
  g.proc().signalHandlers = std::vector<SignalHandler>{sigtermHandler()};
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the remaining thread is stuck for good
  ASSERT_EQ(d.findings.size(), 1u) << kinds(d);
  EXPECT_EQ(d.findings[0].kind, "all-blocked");
}

TEST(Confirmation, CaughtSignalsStandInForHandlersThatCouldNotBeRead) {
  // Given no handler table, and the kernel saying the process catches SIGINT (every Python
  // program does) and glibc's 32/33
  Given g = consumerAndMain(false, false);
  g.proc().caughtSignals = (1ull << (SIGINT - 1)) | (1ull << 31) | (1ull << 32);
  // Then that wakes nothing
  EXPECT_EQ(g.analyze().verdict, "deadlock");
  // But SIGUSR1 caught too does
  Given h = consumerAndMain(false, false);
  h.proc().caughtSignals = (1ull << (SIGINT - 1)) | (1ull << (SIGUSR1 - 1));
  const Diagnosis& d = h.analyze();
  EXPECT_EQ(d.verdict, "no-deadlock");
  ASSERT_EQ(d.waitingFor.size(), 1u);
  EXPECT_EQ(d.waitingFor[0], "signal SIGUSR1 (a handler is installed)");
}

TEST(Confirmation, AChildProcessNotInspectedCanEndCrossProcessWaits) {
  // Given main waiting in pool.map() (the Pool's result handler waits for its workers' results),
  // and a worker process the report does not show
  Given g;
  g.object(eventObj(kStop, "self._event", kStopLock)).object(lockObj(kStopLock, "", false));
  g.with(thread(101, "Thread-3 (_handle_results)",
                {FrameB("/usr/lib/python3.12/multiprocessing/pool.py", "_handle_results", 576)
                     .waits(WaitOp::kWait, 0, "for results from the pool's workers (the Pool's result handler)")}));
  g.with(thread(100, "MainThread",
                {prog("<module>", 7).source("pool.map(crunch, range(2))"),
                 threadingPy("wait", 655).waits(WaitOp::kWait, kStop, "wait()").arg("self", kStop)}));
  g.analyze();
  ASSERT_EQ(g.snap.diagnosis.findings.size(), 1u) << kinds(g.snap.diagnosis);
  g.proc().uninspectedChildren.emplace_back(4343, "python3 prog.py");
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then the program waits for that child
  const Diagnosis& d = g.snap.diagnosis;
  EXPECT_EQ(d.verdict, "no-deadlock");
  ASSERT_EQ(d.waitingFor.size(), 1u);
  EXPECT_EQ(d.waitingFor[0], "child process 4343 (python3 prog.py), which is not in this report (add --children to inspect it)");
}

TEST(Confirmation, AChildProcessCannotEndThreadOnlyWaits) {
  // Given an all-blocked program whose waits are all threading objects, and an unrelated child
  Given g = consumerAndMain(false, false);
  g.analyze();
  for (auto& t : g.proc().threads) t.ranAfter = false;
  g.proc().uninspectedChildren.emplace_back(4343, "sleep 1000");
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then the child changes nothing
  EXPECT_EQ(g.snap.diagnosis.verdict, "deadlock");
}


// Two processes read from their cores, each main thread in get() on a queue the other feeds.
Given twoCoresWaitingOnQueues(const std::string& type) {
  Given g;
  g.addProcess(kPid + 1);
  for (size_t i = 0; i < 2; ++i) {
    g.proc(i).source = "core";
    g.object(syncObject(kJobs, ObjectKind::kQueue, type, i ? "requests" : "replies"), i);
    g.with(thread(g.proc(i).pid, "MainThread", {prog("main", 17).source("replies.get()")}), i);
  }
  Finding f;
  f.kind = "all-blocked";
  f.summary = "every thread waits without a timeout and no thread can wake it";
  for (size_t i = 0; i < 2; ++i) {
    Participant part;
    part.pid = g.proc(i).pid;
    part.tid = g.proc(i).pid;
    part.thread = "MainThread";
    part.waitsFor = WaitInfo{};
    part.waitsFor->op = WaitOp::kQueueGet;
    part.waitsFor->object = kJobs;
    f.participants.push_back(part);
  }
  g.snap.diagnosis.ran = true;
  g.snap.diagnosis.findings.push_back(f);
  return g;
}

TEST(Confirmation, CoresTakenOneAtATimeCannotProveAWaitThroughAPipe) {
  // Given the cores of two processes, each waiting for an item of a multiprocessing.Queue (the
  // second core written after the first: either may have fed the other's queue before its own)
  Given g = twoCoresWaitingOnQueues("multiprocessing.queues.Queue");
  g.proc(0).coreWrittenNs = 1'000'000'000;
  g.proc(1).coreWrittenNs = 2'000'000'000;
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then the other process may have fed the queue between the two cores: not a deadlock
  const Diagnosis& d = g.snap.diagnosis;
  EXPECT_EQ(d.verdict, "no-deadlock");
  ASSERT_EQ(d.unconfirmed.size(), 1u);
  EXPECT_NE(d.unconfirmed[0].unconfirmedBecause.find("the cores were taken one process at a time, and process 4242 "
                                                      "thread 4242 \"MainThread\" waits on queue replies"),
            std::string::npos)
      << d.unconfirmed[0].unconfirmedBecause;
  EXPECT_NE(d.verdictLine.find("pyhang remote 4242 --children"), std::string::npos) << d.verdictLine;
}

TEST(Confirmation, TheLastCoreTakenMayWaitOnAPipe) {
  // Given the parent joining its child (core written first) and the child waiting for an item
  // of a multiprocessing.Queue (core written a second later)
  Given g = twoCoresWaitingOnQueues("multiprocessing.queues.Queue");
  Participant& parent = g.snap.diagnosis.findings[0].participants[0];
  parent.waitsFor->op = WaitOp::kJoin;
  parent.waitsFor->object = 0;
  parent.waitsFor->targetPid = kPid + 1;
  g.proc(0).coreWrittenNs = 1'000'000'000;
  g.proc(1).coreWrittenNs = 2'000'000'000;
  Given reversed = g;
  // When the findings are confirmed
  confirmFindings(g.snap);
  // Then nothing could have fed the queue after the child's core: whoever acted between the
  // cores was woken after its own core by a process taken later, and none is later
  EXPECT_EQ(g.snap.diagnosis.verdict, "deadlock");
  // But with the child's core first, the parent may have put an item before its own core
  std::swap(reversed.proc(0).coreWrittenNs, reversed.proc(1).coreWrittenNs);
  confirmFindings(reversed.snap);
  EXPECT_EQ(reversed.snap.diagnosis.verdict, "no-deadlock");
  // And so when the order is unknown
  Given unknown = twoCoresWaitingOnQueues("multiprocessing.queues.Queue");
  unknown.snap.diagnosis.findings[0].participants[0].waitsFor->op = WaitOp::kJoin;
  confirmFindings(unknown.snap);
  EXPECT_EQ(unknown.snap.diagnosis.verdict, "no-deadlock");
}

TEST(Confirmation, CoresProveWaitsThatNoOtherProcessCanEnd) {
  // Given the same shape with threading queues (only a thread of the same process can feed them)
  Given g = twoCoresWaitingOnQueues("queue.Queue");
  confirmFindings(g.snap);
  EXPECT_EQ(g.snap.diagnosis.verdict, "deadlock");
  // Nor does a single process's core change: its threads are one moment
  Given one = twoCoresWaitingOnQueues("multiprocessing.queues.Queue");
  one.snap.diagnosis.findings[0].participants.pop_back();
  confirmFindings(one.snap);
  EXPECT_EQ(one.snap.diagnosis.verdict, "deadlock");
}

}  // namespace
}  // namespace pyhang
