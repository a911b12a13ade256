// Tests for src/analysis/{wait_graph,deadlock_analysis}: analyze() over hand-built Snapshots.
// Each test builds the threads, frames (with the `holds` / `waitsOn` evidence the readers would
// leave) and sync objects of one hang shape, runs the pure analysis, and checks the findings,
// participants, bystanders, explanation lines, verdict and per-frame annotations.
#include "analysis/deadlock_analysis.h"
#include "analysis/explainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "snapshot/snapshot.h"
#include "snapshot_builder.h"

namespace pyhang {
namespace {

using namespace pyhang::test;

// ---- assertion helpers ------------------------------------------------------------------------

std::vector<int64_t> tids(const std::vector<Participant>& ps) {
  std::vector<int64_t> out;
  for (const auto& p : ps) out.push_back(p.tid);
  return out;
}

std::string dump(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "\n    | " + l;
  return s;
}

::testing::AssertionResult hasLine(const std::vector<std::string>& lines, const std::string& exact) {
  if (std::find(lines.begin(), lines.end(), exact) != lines.end()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no line equal to\n    [" << exact << "]\nin" << dump(lines);
}

using Fragments = std::vector<std::string>;

// Whether `line` contains every fragment, in this order.
bool lineHas(const std::string& line, const Fragments& fragments) {
  size_t pos = 0;
  for (const auto& frag : fragments) {
    size_t at = line.find(frag, pos);
    if (at == std::string::npos) return false;
    pos = at + frag.size();
  }
  return true;
}

// As many lines as expected, line i containing the fragments of expected[i] in order. Key phrases
// (names, threads, locations) are checked without freezing every word of the wording.
::testing::AssertionResult linesMatch(const std::vector<std::string>& lines, const std::vector<Fragments>& expected) {
  bool ok = lines.size() == expected.size();
  std::string why;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i >= lines.size() || !lineHas(lines[i], expected[i])) {
      ok = false;
      why += "\n    line " + std::to_string(i) + " lacks:";
      for (const auto& f : expected[i]) why += " [" + f + "]";
    }
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << lines.size() << " lines, " << expected.size() << " expected" << why
                                       << "\n  got:" << dump(lines);
}

::testing::AssertionResult hasLineWith(const std::vector<std::string>& lines, const Fragments& fragments) {
  for (const auto& l : lines) {
    if (lineHas(l, fragments)) return ::testing::AssertionSuccess();
  }
  std::string want;
  for (const auto& f : fragments) want += " [" + f + "]";
  return ::testing::AssertionFailure() << "no line with" << want << " in" << dump(lines);
}

::testing::AssertionResult mentions(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line mentions [" << needle << "] in" << dump(lines);
}

bool mentionsAnywhere(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

std::vector<std::string> annotationTexts(const Diagnosis& d, int64_t tid, size_t frameIndex) {
  std::vector<std::string> out;
  for (const auto& a : d.annotations) {
    if (a.tid == tid && a.frameIndex == frameIndex) out.push_back(a.text);
  }
  return out;
}

std::vector<std::string> annotationTexts(const Diagnosis& d, int64_t tid) {
  std::vector<std::string> out;
  for (const auto& a : d.annotations) {
    if (a.tid == tid) out.push_back(a.text);
  }
  return out;
}

const Finding* findingOfKind(const Diagnosis& d, const std::string& kind) {
  for (const auto& f : d.findings) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

std::string kindsOf(const Diagnosis& d) {
  std::string s;
  for (const auto& f : d.findings) s += (s.empty() ? "" : ",") + f.kind;
  return s;
}

void expectNoDeadlock(const Diagnosis& d) {
  EXPECT_TRUE(d.ran);
  EXPECT_TRUE(d.findings.empty()) << "unexpected findings: " << kindsOf(d)
                                  << (d.findings.empty() ? "" : dump(d.findings.front().lines));
  EXPECT_EQ(d.verdict, "no-deadlock");
  EXPECT_EQ(d.verdictLine, "Verdict: no deadlock found.");
}

void expectLocation(const SourceLocation& l, const std::string& file, int line, const std::string& function) {
  EXPECT_EQ(l.file, file);
  EXPECT_EQ(l.line, line);
  EXPECT_EQ(l.function, function);
}

// Addresses of the objects used below.
constexpr uint64_t kLockA = 0xa000, kLockB = 0xb000, kLockC = 0xc000, kLockD = 0xd000;
constexpr uint64_t kLockX = 0xf000;

// ---- self-deadlock ----------------------------------------------------------------------------

TEST(Analysis, SelfDeadlockOneThreadWaitsForALockItHolds) {
  // Given the main thread holding lock_a in update() and taking it again in helper()
  Given g;
  g.object(lockObj(kLockA, "lock_a"));
  g.with(thread(100, "MainThread",
                {prog("<module>", 40), prog("update", 12).holds(kLockA, 11).source("helper()"),
                 prog("helper", 6).acquires(kLockA).source("with lock_a:")}));
  // When the snapshot is analysed
  const Diagnosis& d = g.analyze();
  // Then there is exactly one self-deadlock finding naming the lock and both lines
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "self-deadlock");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{100}));
  EXPECT_TRUE(f.bystanders.empty());
  ASSERT_GE(f.lines.size(), 4u);
  EXPECT_EQ(f.lines[0], "Found a deadlock (self-deadlock) in Thread 100 \"MainThread\":");
  EXPECT_EQ(f.lines[1], "  Thread 100 \"MainThread\" waits to acquire lock_a <_thread.lock at 0xa000>");
  EXPECT_EQ(f.lines[2], "      at prog.py:6 in helper (with lock_a:)");
  EXPECT_EQ(f.lines[3], "    which it already holds itself since prog.py:11 in update");
  EXPECT_TRUE(mentions(f.lines, "not re-entrant"));
  EXPECT_EQ(f.summary, "Thread 100 \"MainThread\" waits for a lock it already holds");
  EXPECT_EQ(d.verdict, "deadlock");
  EXPECT_EQ(d.verdictLine, "Verdict: DEADLOCK (self-deadlock): Thread 100 \"MainThread\" waits for a lock it already holds.");
  // And the participant carries the JSON fields
  const Participant& p = f.participants[0];
  EXPECT_EQ(p.pid, kPid);
  EXPECT_EQ(p.thread, "MainThread");
  expectLocation(p.at, kProg, 6, "helper");
  ASSERT_TRUE(p.waitsFor.has_value());
  EXPECT_EQ(p.waitsFor->op, WaitOp::kAcquire);
  EXPECT_EQ(p.waitsFor->object, kLockA);
  EXPECT_EQ(p.waitsFor->how, "with");
  ASSERT_EQ(p.holds.size(), 1u);
  EXPECT_EQ(p.holds[0].first.object, kLockA);
  EXPECT_EQ(p.holds[0].first.how, "with");
  EXPECT_EQ(p.holds[0].first.line, 11);
  expectLocation(p.holds[0].second, kProg, 11, "update");
  EXPECT_EQ(p.heldBy, "Thread 100 \"MainThread\"");
  // And the annotations point at the waiting frame (2) and the holding frame (1)
  EXPECT_EQ(annotationTexts(d, 100, 2),
            (std::vector<std::string>{"waiting to acquire lock_a <_thread.lock at 0xa000>, held by Thread 100 \"MainThread\""}));
  EXPECT_EQ(annotationTexts(d, 100, 1), (std::vector<std::string>{"holds lock_a <_thread.lock at 0xa000> since line 11"}));
  EXPECT_EQ(d.annotations.size(), 2u);
  EXPECT_TRUE(d.notes.empty());
}

TEST(Analysis, SelfDeadlockThroughASemaphoreNamesTheLibraryCallChain) {
  // Given a thread inside `with pool:` calling pool.acquire() again (Semaphore(1), value 0)
  constexpr uint64_t kPool = 0x8000, kPoolCond = 0x8100, kPoolCondLock = 0x8110;
  Given g;
  g.object(semaphoreObj(kPool, "pool", kPoolCondLock, 0))
      .object(condObj(kPoolCond, "pool._cond", kPoolCondLock))
      .object(lockObj(kPoolCondLock, "", false));
  g.with(thread(100, "MainThread",
                {prog("refill", 30).holds(kPool, 28).source("pool.acquire()"),
                 threadingPy("acquire", 475).acquires(kPool, "acquire()").arg("self", kPool),
                 threadingPy("wait", 320).waits(WaitOp::kWait, kPoolCond, "wait()").arg("self", kPoolCond)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then it is a self-deadlock on the semaphore, waited for from the program's frame
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "self-deadlock");
  EXPECT_TRUE(hasLine(f.lines, "  Thread 100 \"MainThread\" waits to acquire semaphore pool <threading.Semaphore at 0x8000>"));
  EXPECT_TRUE(hasLine(f.lines, "      at prog.py:30 in refill (pool.acquire())"));
  EXPECT_TRUE(hasLine(f.lines, "      inside acquire (threading.py:475)"));
  EXPECT_TRUE(hasLine(f.lines, "    which it already holds itself since prog.py:28 in refill"));
  expectLocation(f.participants[0].at, kProg, 30, "refill");
  EXPECT_EQ(f.participants[0].waitsFor->object, kPool);
  // And the wait annotation is on the program's frame 0, the hold too
  EXPECT_TRUE(mentions(annotationTexts(d, 100, 0), "waiting to acquire semaphore pool <threading.Semaphore at 0x8000>"));
  EXPECT_TRUE(mentions(annotationTexts(d, 100, 0), "holds pool <threading.Semaphore at 0x8000> since line 28"));
}

// ---- lock-order cycles ------------------------------------------------------------------------

// The seed scenario threads_lock_order.py: Thread-1 and Thread-2 run worker(first_lock,
// second_lock) with the locks swapped; the main thread waits in t1.join().
Given lockOrderScenario() {
  constexpr uint64_t kT1 = 0x71000, kT2 = 0x72000;
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b"));
  g.object(threadObj(kT1, 101, "Thread-1")).object(threadObj(kT2, 102, "Thread-2"));
  auto worker = [](uint64_t first, uint64_t second) {
    return std::vector<Frame>{threadingPy("_bootstrap", 1002), threadingPy("_bootstrap_inner", 1045),
                              threadingPy("run", 982),
                              prog("worker", 15)
                                  .holds(first, 12)
                                  .acquires(second)
                                  .arg("first_lock", first)
                                  .arg("second_lock", second)
                                  .source("with second_lock:")};
  };
  g.with(thread(102, "Thread-2", worker(kLockB, kLockA)));
  g.with(thread(101, "Thread-1", worker(kLockA, kLockB)));
  g.with(thread(100, "MainThread",
                {prog("<module>", 33), prog("main", 30).local("t1", kT1).local("t2", kT2).source("t1.join()"),
                 threadingPy("join", 1119).joins(kT1).arg("self", kT1),
                 threadingPy("_wait_for_tstate_lock", 1139).joins(kT1).arg("self", kT1)}));
  return g;
}

TEST(Analysis, LockOrderCycleBetweenTwoThreadsWithTheJoiningMainThreadAsBystander) {
  // Given the two workers each holding one lock and waiting for the other
  Given g = lockOrderScenario();
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then one lock-order cycle, starting at the lowest tid, explains both waits with the program's names
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(linesMatch(
      f.lines, {{"Found a deadlock (lock-order cycle) between 2 threads:"},
                {"Thread 101 \"Thread-1\" waits to acquire lock_b", "<_thread.lock at 0xb000>"},
                {"at prog.py:15 in worker", "with second_lock:"},
                {"which is held by Thread 102 \"Thread-2\" since prog.py:12 in worker"},
                {"Thread 102 \"Thread-2\" waits to acquire lock_a", "<_thread.lock at 0xa000>"},
                {"at prog.py:15 in worker", "with second_lock:"},
                {"which is held by Thread 101 \"Thread-1\" since prog.py:12 in worker"},
                {"Stuck behind it: Thread 100 \"MainThread\" waits for Thread-1 to finish at prog.py:30 in main",
                 "t1.join()"}}));
  EXPECT_EQ(f.summary, "2 threads wait for each other in a lock-order cycle");
  EXPECT_EQ(d.verdict, "deadlock");
  EXPECT_EQ(d.verdictLine,
            "Verdict: DEADLOCK (lock-order-cycle): 2 threads wait for each other in a lock-order cycle; "
            "1 more thread is stuck behind.");
  // And the participants carry pid, tid, thread, at, waitsFor, holds (with since) and heldBy
  const Participant& t1 = f.participants[0];
  EXPECT_EQ(t1.pid, kPid);
  EXPECT_EQ(t1.thread, "Thread-1");
  expectLocation(t1.at, kProg, 15, "worker");
  ASSERT_TRUE(t1.waitsFor.has_value());
  EXPECT_EQ(t1.waitsFor->op, WaitOp::kAcquire);
  EXPECT_EQ(t1.waitsFor->object, kLockB);
  EXPECT_FALSE(t1.waitsFor->hasTimeout);
  ASSERT_EQ(t1.holds.size(), 1u);
  EXPECT_EQ(t1.holds[0].first.object, kLockA);
  EXPECT_EQ(t1.holds[0].first.line, 12);
  expectLocation(t1.holds[0].second, kProg, 12, "worker");
  EXPECT_EQ(t1.heldBy, "Thread 102 \"Thread-2\"");
  const Participant& t2 = f.participants[1];
  EXPECT_EQ(t2.waitsFor->object, kLockA);
  EXPECT_EQ(t2.holds.at(0).first.object, kLockB);
  EXPECT_EQ(t2.heldBy, "Thread 101 \"Thread-1\"");
  // And the main thread is a bystander, waiting (join) at its own frame
  ASSERT_EQ(tids(f.bystanders), (std::vector<int64_t>{100}));
  const Participant& main = f.bystanders[0];
  EXPECT_EQ(main.thread, "MainThread");
  expectLocation(main.at, kProg, 30, "main");
  ASSERT_TRUE(main.waitsFor.has_value());
  EXPECT_EQ(main.waitsFor->op, WaitOp::kJoin);
  EXPECT_EQ(main.waitsFor->object, 0x71000u);
  EXPECT_TRUE(main.holds.empty());
  EXPECT_EQ(main.heldBy, "Thread 101 \"Thread-1\"");
  // And annotations point at the worker frames (index 3) and main's own frame (index 1)
  const std::vector<std::string> t1Notes = annotationTexts(d, 101, 3);
  ASSERT_EQ(t1Notes.size(), 2u) << dump(t1Notes);
  EXPECT_TRUE(hasLineWith(t1Notes, {"waiting to acquire lock_b", "0xb000", "held by Thread 102 \"Thread-2\""}));
  EXPECT_TRUE(hasLineWith(t1Notes, {"holds lock_a", "0xa000", "since line 12"}));
  EXPECT_EQ(annotationTexts(d, 102, 3).size(), 2u);
  EXPECT_TRUE(annotationTexts(d, 101, 0).empty());
  EXPECT_EQ(annotationTexts(d, 100), (std::vector<std::string>{"waiting for Thread-1 to finish"}));
  EXPECT_EQ(annotationTexts(d, 100, 1).size(), 1u);
  EXPECT_TRUE(d.notes.empty());
}

TEST(Analysis, ReanalysingASnapshotGivesTheSameDiagnosis) {
  // Given an analysed snapshot
  Given g = lockOrderScenario();
  const Diagnosis first = g.analyze();
  // When it is analysed again
  const Diagnosis& second = g.analyze();
  // Then the diagnosis is replaced, not appended to
  ASSERT_EQ(second.findings.size(), first.findings.size());
  EXPECT_EQ(second.findings[0].lines, first.findings[0].lines);
  EXPECT_EQ(second.annotations.size(), first.annotations.size());
  EXPECT_EQ(second.verdictLine, first.verdictLine);
}

TEST(Analysis, LockOrderCycleOfThreeThreadsFollowsTheEdgesFromTheLowestTid) {
  // Given 301 -> (lock_b held by 303) -> (lock_c held by 302) -> (lock_a held by 301)
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b")).object(lockObj(kLockC, "lock_c"));
  g.with(thread(302, "", {prog("third", 30).holds(kLockC, 29).acquires(kLockA)}));
  g.with(thread(303, "Thread-3", {prog("second", 20).holds(kLockB, 19).acquires(kLockC)}));
  g.with(thread(301, "Thread-1", {prog("first", 10).holds(kLockA, 9).acquires(kLockB)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the cycle starts at 301 and follows the wait-for edges, not the tid order
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{301, 303, 302}));
  EXPECT_EQ(f.lines.at(0), "Found a deadlock (lock-order cycle) between 3 threads:");
  EXPECT_EQ(f.lines.at(1), "  Thread 301 \"Thread-1\" waits to acquire lock_b <_thread.lock at 0xb000>");
  EXPECT_EQ(f.lines.at(3), "    which is held by Thread 303 \"Thread-3\" since prog.py:19 in second");
  EXPECT_EQ(f.lines.at(4), "  Thread 303 \"Thread-3\" waits to acquire lock_c <_thread.lock at 0xc000>");
  EXPECT_EQ(f.lines.at(6), "    which is held by Thread 302 since prog.py:29 in third");
  EXPECT_EQ(f.lines.at(7), "  Thread 302 waits to acquire lock_a <_thread.lock at 0xa000>");
  EXPECT_EQ(f.lines.at(9), "    which is held by Thread 301 \"Thread-1\" since prog.py:9 in first");
  EXPECT_EQ(f.participants[1].heldBy, "Thread 302");
  EXPECT_EQ(f.participants[2].thread, "");
  EXPECT_EQ(d.verdictLine, "Verdict: DEADLOCK (lock-order-cycle): 3 threads wait for each other in a lock-order cycle.");
}

TEST(Analysis, FourThreadCycleWithABystanderChainATimedWaiterAndARunningThread) {
  // Given a cycle 401 -> 402 -> 403 -> 404 -> 401, a chain 406 -> 405 -> 403 behind it,
  // 407 waiting for lock_a with a timeout, and 408 running
  constexpr uint64_t kL1 = 0x1100, kL2 = 0x1200, kL3 = 0x1300, kL4 = 0x1400, kL5 = 0x1500;
  Given g;
  g.object(lockObj(kL1, "l1")).object(lockObj(kL2, "l2")).object(lockObj(kL3, "l3")).object(lockObj(kL4, "l4"));
  g.object(lockObj(kL5, "l5"));
  g.with(running(408, "spinner", {prog("spin", 77)}));
  g.with(thread(407, "poller", {prog("poll", 70).acquiresWithTimeout(kL1)}));
  g.with(thread(406, "tail", {prog("tail", 60).acquires(kL5)}));
  g.with(thread(405, "middle", {prog("middle", 50).holds(kL5, 49).acquires(kL3)}));
  g.with(thread(404, "w4", {prog("w4", 40).holds(kL4, 39).acquires(kL1)}));
  g.with(thread(403, "w3", {prog("w3", 30).holds(kL3, 29).acquires(kL4)}));
  g.with(thread(402, "w2", {prog("w2", 20).holds(kL2, 19).acquires(kL3)}));
  g.with(thread(401, "w1", {prog("w1", 10).holds(kL1, 9).acquires(kL2)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then one 4-thread cycle with the transitive chain as bystanders
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{401, 402, 403, 404}));
  std::vector<int64_t> by = tids(f.bystanders);
  std::sort(by.begin(), by.end());
  EXPECT_EQ(by, (std::vector<int64_t>{405, 406}));
  EXPECT_EQ(f.lines.at(0), "Found a deadlock (lock-order cycle) between 4 threads:");
  EXPECT_TRUE(hasLine(f.lines, "Stuck behind it: Thread 405 \"middle\" waits to acquire l3 <_thread.lock at 0x1300> at prog.py:50 in middle."));
  EXPECT_TRUE(hasLine(f.lines, "Stuck behind it: Thread 406 \"tail\" waits to acquire l5 <_thread.lock at 0x1500> at prog.py:60 in tail."));
  EXPECT_FALSE(mentionsAnywhere(f.lines, "poller"));
  EXPECT_EQ(d.verdictLine,
            "Verdict: DEADLOCK (lock-order-cycle): 4 threads wait for each other in a lock-order cycle; "
            "2 more threads are stuck behind.");
  // And the timed waiter and the running thread are described in notes
  ASSERT_EQ(d.notes.size(), 2u) << dump(d.notes);
  EXPECT_TRUE(hasLine(d.notes, "Thread 407 \"poller\" waits to acquire l1 <_thread.lock at 0x1100> (with a timeout) at prog.py:70 in poll."));
  EXPECT_TRUE(hasLine(d.notes, "Thread 408 \"spinner\" is running Python code, at prog.py:77 in spin."));
  EXPECT_EQ(annotationTexts(d, 407, 0),
            (std::vector<std::string>{"waiting to acquire l1 <_thread.lock at 0x1100> (with a timeout), held by Thread 401 \"w1\""}));
}

TEST(Analysis, TwoIndependentCyclesGiveTwoFindings) {
  // Given a self-deadlock in 103 (with 104 stuck behind it) and a lock-order cycle 101 <-> 102
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b")).object(lockObj(kLockC, "lock_c"));
  g.with(thread(104, "late", {prog("late", 44).acquires(kLockC)}));
  g.with(thread(103, "again", {prog("outer", 33).holds(kLockC, 32), prog("inner", 35).acquires(kLockC)}));
  g.with(thread(102, "Thread-2", {prog("b", 22).holds(kLockB, 21).acquires(kLockA)}));
  g.with(thread(101, "Thread-1", {prog("a", 12).holds(kLockA, 11).acquires(kLockB)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then both deadlocks are reported, each with its own participants and bystanders
  ASSERT_EQ(d.findings.size(), 2u) << kindsOf(d);
  const Finding* self = findingOfKind(d, "self-deadlock");
  const Finding* cycle = findingOfKind(d, "lock-order-cycle");
  ASSERT_NE(self, nullptr);
  ASSERT_NE(cycle, nullptr);
  EXPECT_EQ(tids(self->participants), (std::vector<int64_t>{103}));
  EXPECT_EQ(tids(self->bystanders), (std::vector<int64_t>{104}));
  EXPECT_TRUE(mentions(self->lines, "lock_c"));
  EXPECT_EQ(tids(cycle->participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(cycle->bystanders.empty());
  EXPECT_TRUE(mentions(cycle->lines, "lock_a"));
  EXPECT_TRUE(mentions(cycle->lines, "lock_b"));
  EXPECT_EQ(d.verdict, "deadlock");
  EXPECT_EQ(d.verdictLine.rfind("Verdict: DEADLOCK (", 0), 0u) << d.verdictLine;
  EXPECT_NE(d.verdictLine.find("self-deadlock"), std::string::npos) << d.verdictLine;
  EXPECT_NE(d.verdictLine.find("lock-order-cycle"), std::string::npos) << d.verdictLine;
  EXPECT_NE(d.verdictLine.find("; 1 more thread is stuck behind."), std::string::npos) << d.verdictLine;
  EXPECT_TRUE(d.notes.empty());
}

TEST(Analysis, TwoCyclesOfTheSameKindNameTheKindOnce) {
  // Given two independent lock-order cycles
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b"));
  g.object(lockObj(kLockC, "lock_c")).object(lockObj(kLockD, "lock_d"));
  g.with(thread(204, "", {prog("d", 40).holds(kLockD, 39).acquires(kLockC)}));
  g.with(thread(203, "", {prog("c", 30).holds(kLockC, 29).acquires(kLockD)}));
  g.with(thread(202, "", {prog("b", 20).holds(kLockB, 19).acquires(kLockA)}));
  g.with(thread(201, "", {prog("a", 10).holds(kLockA, 9).acquires(kLockB)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then two findings, and the verdict lists the kind once
  ASSERT_EQ(d.findings.size(), 2u) << kindsOf(d);
  std::set<std::vector<int64_t>> groups = {tids(d.findings[0].participants), tids(d.findings[1].participants)};
  EXPECT_EQ(groups, (std::set<std::vector<int64_t>>{{201, 202}, {203, 204}}));
  EXPECT_EQ(d.verdictLine.rfind("Verdict: DEADLOCK (lock-order-cycle): ", 0), 0u) << d.verdictLine;
}

// ---- join cycles ------------------------------------------------------------------------------

TEST(Analysis, JoinAndLockEdgesMakeAJoinCycle) {
  // Given Thread-1 holding lock_a and joining Thread-2, which waits for lock_a
  constexpr uint64_t kT2 = 0x72000;
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(threadObj(kT2, 102, "Thread-2"));
  g.with(thread(102, "Thread-2", {threadingPy("run", 982), prog("second", 25).acquires(kLockA).source("with lock_a:")}));
  g.with(thread(101, "Thread-1",
                {threadingPy("run", 982), prog("first", 20).holds(kLockA, 18).local("t2", kT2).source("t2.join()"),
                 threadingPy("join", 1119).joins(kT2).arg("self", kT2)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then it is a join cycle; the join edge has no "held by" line, the lock edge does
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "join-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(linesMatch(f.lines, {{"Found a deadlock (join cycle) between 2 threads:"},
                                   {"Thread 101 \"Thread-1\" waits for Thread-2 to finish"},
                                   {"at prog.py:20 in first", "t2.join()"},
                                   {"Thread 102 \"Thread-2\" waits to acquire lock_a", "<_thread.lock at 0xa000>"},
                                   {"at prog.py:25 in second", "with lock_a:"},
                                   {"which is held by Thread 101 \"Thread-1\" since prog.py:18 in first"}}));
  EXPECT_EQ(f.summary, "2 threads wait for each other in a join cycle");
  EXPECT_EQ(d.verdictLine, "Verdict: DEADLOCK (join-cycle): 2 threads wait for each other in a join cycle.");
  // And the joining participant is placed at its own frame (1), not inside threading.py
  expectLocation(f.participants[0].at, kProg, 20, "first");
  EXPECT_EQ(f.participants[0].waitsFor->op, WaitOp::kJoin);
  const std::vector<std::string> firstNotes = annotationTexts(d, 101, 1);
  ASSERT_EQ(firstNotes.size(), 2u) << dump(firstNotes);
  EXPECT_TRUE(hasLineWith(firstNotes, {"waiting for Thread-2 to finish"}));
  EXPECT_TRUE(hasLineWith(firstNotes, {"holds lock_a", "0xa000", "since line 18"}));
  EXPECT_TRUE(annotationTexts(d, 101, 2).empty());
}

TEST(Analysis, AcquiringAnotherThreadsTstateLockIsAJoin) {
  // Given the main thread in threading._shutdown acquiring Thread-1's tstate lock, and Thread-1
  // joining the main thread
  constexpr uint64_t kTstate1 = 0x7100, kMainObj = 0x70000;
  Given g;
  g.object(tstateLockObj(kTstate1, 101)).object(threadObj(kMainObj, 100, "MainThread"));
  g.with(thread(101, "Thread-1",
                {threadingPy("_bootstrap_inner", 1045),
                 prog("watch", 9).source("threading.main_thread().join()"),
                 threadingPy("join", 1119).joins(kMainObj).arg("self", kMainObj)}));
  g.with(thread(100, "MainThread", {threadingPy("_shutdown", 1590).acquires(kTstate1, "acquire()")}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the tstate-lock acquire is treated as a join and the two joins form a join cycle
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "join-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{100, 101}));
  EXPECT_TRUE(hasLine(f.lines, "  Thread 100 \"MainThread\" waits for Thread-1 to finish"));
  EXPECT_TRUE(hasLine(f.lines, "      at interpreter exit: the main script has ended and Python waits for its non-daemon "
                               "threads (threading.py:1590 in _shutdown)"));
  EXPECT_TRUE(hasLine(f.lines, "  Thread 101 \"Thread-1\" waits for MainThread to finish"));
  EXPECT_TRUE(hasLine(f.lines, "      at prog.py:9 in watch (threading.main_thread().join())"));
  ASSERT_TRUE(f.participants[0].waitsFor.has_value());
  EXPECT_EQ(f.participants[0].waitsFor->op, WaitOp::kJoin);
  // And Thread-1 is listed as holding its own tstate lock
  ASSERT_EQ(f.participants[1].holds.size(), 1u);
  EXPECT_EQ(f.participants[1].holds[0].first.object, kTstate1);
  EXPECT_EQ(f.participants[1].holds[0].first.how, "thread");
}

// ---- timeouts ---------------------------------------------------------------------------------

TEST(Analysis, ACycleWithOneTimedEdgeIsNotADeadlock) {
  // Given 101 holding lock_a and waiting for lock_b with a timeout; 102 the other way round, forever
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b"));
  g.with(thread(102, "Thread-2", {prog("b", 22).holds(kLockB, 21).acquires(kLockA)}));
  g.with(thread(101, "Thread-1", {prog("a", 12).holds(kLockA, 11).acquiresWithTimeout(kLockB).source("lock_b.acquire(timeout=5)")}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then there is no finding: 101 gives up and releases lock_a
  expectNoDeadlock(d);
  // And the notes say what both threads do, with the timeout
  ASSERT_EQ(d.notes.size(), 2u) << dump(d.notes);
  EXPECT_TRUE(hasLine(d.notes,
                      "Thread 101 \"Thread-1\" waits to acquire lock_b <_thread.lock at 0xb000> (with a timeout) at prog.py:12 "
                      "in a (lock_b.acquire(timeout=5))."));
  EXPECT_TRUE(hasLine(d.notes, "Thread 102 \"Thread-2\" waits to acquire lock_a <_thread.lock at 0xa000> at prog.py:22 in b."));
  EXPECT_TRUE(mentions(annotationTexts(d, 101, 0), "(with a timeout), held by Thread 102 \"Thread-2\""));
}

TEST(Analysis, ATimedSelfWaitIsNotADeadlock) {
  // Given a thread holding lock_a and acquiring it again with a timeout
  Given g;
  g.object(lockObj(kLockA, "lock_a"));
  g.with(thread(100, "MainThread", {prog("outer", 5).holds(kLockA, 4), prog("inner", 9).acquiresWithTimeout(kLockA)}));
  // When analysed / Then no finding
  expectNoDeadlock(g.analyze());
}

TEST(Analysis, AThreeThreadCycleWithOneTimedEdgeIsNotADeadlock) {
  // Given a 3-cycle in which 302 waits with a timeout
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b")).object(lockObj(kLockC, "lock_c"));
  g.with(thread(303, "", {prog("c", 30).holds(kLockC, 29).acquires(kLockA)}));
  g.with(thread(302, "", {prog("b", 20).holds(kLockB, 19).acquiresWithTimeout(kLockC)}));
  g.with(thread(301, "", {prog("a", 10).holds(kLockA, 9).acquires(kLockB)}));
  // When analysed / Then no finding
  expectNoDeadlock(g.analyze());
}

TEST(Analysis, ATimedJoinInAJoinCycleIsNotADeadlock) {
  // Given Thread-1 holding lock_a and joining Thread-2 with a timeout; Thread-2 waits for lock_a
  constexpr uint64_t kT2 = 0x72000;
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(threadObj(kT2, 102, "Thread-2"));
  g.with(thread(102, "Thread-2", {prog("second", 25).acquires(kLockA)}));
  g.with(thread(101, "Thread-1", {prog("first", 20).holds(kLockA, 18), threadingPy("join", 1119).joins(kT2, true)}));
  // When analysed / Then no finding
  expectNoDeadlock(g.analyze());
}

TEST(Analysis, EveryThreadWaitingWithATimeoutIsNotAHang) {
  // Given both threads polling with timeouts
  constexpr uint64_t kDone = 0x9100, kDoneLock = 0x9110;
  Given g;
  g.object(eventObj(kDone, "done", kDoneLock)).object(lockObj(kLockX, "lock_x"));
  g.with(thread(101, "worker", {prog("work", 14).acquiresWithTimeout(kLockX)}));
  g.with(thread(100, "MainThread",
                {prog("main", 30), threadingPy("wait", 629).waits(WaitOp::kWait, kDone, "wait()", true).arg("self", kDone)}));
  // When analysed / Then no finding at all (not even all-blocked)
  expectNoDeadlock(g.analyze());
}

// ---- unknown holders, all-blocked -------------------------------------------------------------

Given unknownHolderScenario(bool mainRuns) {
  constexpr uint64_t kDone = 0x9100, kDoneCond = 0x9200, kDoneLock = 0x9110;
  Given g;
  g.object(lockObj(kLockX, "lock_x"))  // locked, nobody known to hold it
      .object(eventObj(kDone, "done", kDoneLock))
      .object(condObj(kDoneCond, "done._cond", kDoneLock))
      .object(lockObj(kDoneLock, "", false));
  g.with(thread(101, "worker", {threadingPy("run", 982), prog("work", 14).acquires(kLockX)}));
  if (mainRuns) {
    g.with(running(100, "MainThread", {prog("<module>", 3), prog("spin", 9)}));
  } else {
    g.with(thread(100, "MainThread",
                  {prog("main", 30).local("done", kDone).source("done.wait()"),
                   threadingPy("wait", 629).waits(WaitOp::kWait, kDone, "wait()").arg("self", kDone),
                   threadingPy("wait", 327).waits(WaitOp::kWait, kDoneCond, "wait()").arg("self", kDoneCond)}));
  }
  return g;
}

TEST(Analysis, ALockedLockNobodyHoldsWithEveryThreadBlockedIsAllBlocked) {
  // Given a worker waiting for a locked lock no live thread holds, and main waiting for an event
  Given g = unknownHolderScenario(false);
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the hang is reported as all-blocked, listing every thread
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "all-blocked");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 100}));
  EXPECT_TRUE(linesMatch(f.lines, {{"Found a hang (all threads blocked): none of the 2 threads can make progress."},
                                   {"Thread 101 \"worker\" waits to acquire lock_x", "0xf000"},
                                   {"at prog.py:14 in work"},
                                   {"which no live thread is known to hold"},
                                   {"Thread 100 \"MainThread\" waits for event done", "0x9100", "to be set"},
                                   {"at prog.py:30 in main", "done.wait()"},
                                   {"Each waits without a timeout"}}));
  EXPECT_EQ(f.participants[0].heldBy, "");
  EXPECT_EQ(f.participants[1].waitsFor->op, WaitOp::kWait);
  EXPECT_EQ(f.participants[1].waitsFor->object, 0x9100u);
  expectLocation(f.participants[1].at, kProg, 30, "main");
  EXPECT_EQ(d.verdictLine, "Verdict: DEADLOCK (all-blocked): every thread waits without a timeout and no thread can wake it.");
  ASSERT_EQ(annotationTexts(d, 100, 0).size(), 1u);
  EXPECT_TRUE(lineHas(annotationTexts(d, 100, 0)[0], {"waiting for event done", "to be set"}));
  ASSERT_EQ(annotationTexts(d, 101, 1).size(), 1u);
  EXPECT_TRUE(lineHas(annotationTexts(d, 101, 1)[0], {"waiting to acquire lock_x", "0xf000"}));
  EXPECT_TRUE(annotationTexts(d, 101, 0).empty());
}

TEST(Analysis, ALockedLockNobodyHoldsWithOneThreadRunningIsNoDeadlock) {
  // Given the same worker, but the main thread is running
  Given g = unknownHolderScenario(true);
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then no finding; the notes describe both threads
  expectNoDeadlock(d);
  ASSERT_EQ(d.notes.size(), 2u) << dump(d.notes);
  EXPECT_TRUE(hasLine(d.notes, "Thread 101 \"worker\" waits to acquire lock_x <_thread.lock at 0xf000> at prog.py:14 in work."));
  EXPECT_TRUE(hasLine(d.notes, "Thread 100 \"MainThread\" is running Python code, at prog.py:9 in spin."));
}

TEST(Analysis, AWaiterWhoseNativeStackWaitsForTheGilIsNotBlocked) {
  // Given the all-blocked scenario, but the worker's native stack (a core's) shows it waiting to
  // take the GIL: the lock was handed to it and its frame has not moved on yet
  Given g = unknownHolderScenario(false);
  g.snap.processes[0].threads[0].waitingForGil = true;
  ASSERT_EQ(g.snap.processes[0].threads[0].tid, 101);
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then no finding: the worker is about to run, and the note says why
  expectNoDeadlock(d);
  EXPECT_TRUE(hasLine(d.notes, "Thread 101 \"worker\" waits for the GIL, woken (in take_gil): "
                               "about to run Python code, at prog.py:14 in work."))
      << dump(d.notes);
}

TEST(Analysis, EmptySnapshotsAndThreadsWithoutFramesAreNotDeadlocked) {
  // Given no process at all
  Snapshot empty;
  analyze(empty);
  // Then the analysis ran and found nothing
  EXPECT_TRUE(empty.diagnosis.ran);
  EXPECT_EQ(empty.diagnosis.verdict, "no-deadlock");
  EXPECT_TRUE(empty.diagnosis.findings.empty());
  // Given a process whose only thread runs no Python code
  Given g;
  g.with(thread(100, "MainThread", {}));
  expectNoDeadlock(g.analyze());
}

// ---- held by a dead thread --------------------------------------------------------------------

Given deadOwnerScenario() {
  constexpr uint64_t kCache = 0x5000, kQ = 0x5100;
  Given g;
  g.object(rlockObj(kCache, "cache_lock", 0xdead000, 1)).object(lockObj(kQ, "lock_q"));
  g.with(thread(101, "consumer", {prog("consume", 40).acquires(kQ)}));
  g.with(thread(100, "MainThread",
                {prog("<module>", 30).holds(kQ, 29), prog("main", 21).acquires(kCache).source("with cache_lock:")}));
  return g;
}

TEST(Analysis, AnRLockOwnedByAnExitedThreadIsHeldByADeadThread) {
  // Given main waiting for an RLock whose recorded owner has exited, and a consumer behind main
  Given g = deadOwnerScenario();
  g.proc().exitedThreads[0xdead000] = "loader";
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then one held-by-dead-thread finding names the dead thread, with the consumer stuck behind
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "held-by-dead-thread");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{100}));
  EXPECT_TRUE(linesMatch(
      f.lines, {{"Found a deadlock (lock held by a thread that has exited):"},
                {"Thread 100 \"MainThread\" waits to acquire cache_lock", "<_thread.RLock at 0x5000>"},
                {"at prog.py:21 in main", "with cache_lock:"},
                {"which is owned by thread \"loader\", which has exited without releasing it."},
                {"Stuck behind it: Thread 101 \"consumer\" waits to acquire lock_q", "at prog.py:40 in consume."}}));
  EXPECT_EQ(f.summary, "Thread 100 \"MainThread\" waits for a lock held by thread \"loader\" which has exited");
  EXPECT_EQ(tids(f.bystanders), (std::vector<int64_t>{101}));
  EXPECT_EQ(f.bystanders[0].heldBy, "Thread 100 \"MainThread\"");
  const Participant& p = f.participants[0];
  // heldBy names no live thread; when filled, it names the dead owner
  EXPECT_TRUE(p.heldBy.empty() || p.heldBy.find("loader") != std::string::npos) << p.heldBy;
  EXPECT_EQ(p.heldBy.find("Thread 10"), std::string::npos) << p.heldBy;
  ASSERT_EQ(p.holds.size(), 1u);
  EXPECT_EQ(p.holds[0].first.object, 0x5100u);
  expectLocation(p.holds[0].second, kProg, 29, "<module>");
  EXPECT_EQ(d.verdictLine,
            "Verdict: DEADLOCK (held-by-dead-thread): Thread 100 \"MainThread\" waits for a lock held by thread \"loader\" "
            "which has exited; 1 more thread is stuck behind.");
}

TEST(Analysis, AnRLockLockedWithNoOwnerIsChangingHandsNotHeld) {
  // Given every thread at a `with lock:` of one RLock that is locked with no owner recorded (3.14
  // writes the owner just after taking the lock, and clears it just before a release or handoff)
  constexpr uint64_t kLock = 0x5000;
  Given g;
  g.object(rlockObj(kLock, "lock", 0, 1));
  g.with(thread(101, "spin-0", {prog("spin", 13).acquires(kLock).source("with lock:")}));
  g.with(thread(102, "spin-1", {prog("spin", 13).acquires(kLock).source("with lock:")}));
  // When analysed / Then no finding: a snapshot caught the lock between owners
  expectNoDeadlock(g.analyze());
}

TEST(Analysis, AnRLockOwnerKnownOnlyToThreadingIsNamedFromKnownThreadNames) {
  // Given the dead owner only in threading's bookkeeping
  Given g = deadOwnerScenario();
  g.proc().knownThreadNames[0xdead000] = "loader";
  // When analysed / Then the finding still names it
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  EXPECT_EQ(d.findings[0].kind, "held-by-dead-thread");
  EXPECT_TRUE(hasLine(d.findings[0].lines, "    which is owned by thread \"loader\", which has exited without releasing it."));
}

TEST(Analysis, AnRLockOwnerNobodyKnowsIsNamedByIdent) {
  // Given no name for the owner at all
  Given g = deadOwnerScenario();
  // When analysed / Then the ident is shown
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  EXPECT_EQ(d.findings[0].kind, "held-by-dead-thread");
  EXPECT_TRUE(hasLine(d.findings[0].lines, "    which is owned by thread 0xdead000, which has exited without releasing it."));
}

TEST(Analysis, APlainLockNobodyHoldsWithExitedThreadsIsInferredHeldByThem) {
  // Given main waiting for a locked plain Lock, no live holder, one exited thread
  Given g;
  g.object(lockObj(kLockX, "lock"));
  g.proc().exitedThreads[0xdead000] = "Thread-3";
  g.with(thread(100, "MainThread", {prog("main", 21).acquires(kLockX, "acquire()").source("lock.acquire()")}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the finding is held-by-dead-thread and says it is inferred
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "held-by-dead-thread");
  EXPECT_TRUE(hasLine(f.lines, "  Thread 100 \"MainThread\" waits to acquire lock <_thread.lock at 0xf000>"));
  EXPECT_TRUE(hasLine(f.lines, "    which no live thread holds through a with block; it was most likely taken with acquire()"));
  EXPECT_TRUE(hasLine(f.lines, "    by thread \"Thread-3\", which has exited without releasing it (inferred)."));
  EXPECT_EQ(f.summary, "Thread 100 \"MainThread\" waits for a lock held by thread \"Thread-3\" which has exited");
}

TEST(Analysis, AnRLockWithARecordedLiveOwnerInACycle) {
  // Given Thread-1 owning state_lock (taken with acquire(), no `with`) and waiting for lock_b,
  // and Thread-2 holding lock_b and waiting for state_lock
  constexpr uint64_t kState = 0x5000;
  Given g;
  g.object(rlockObj(kState, "state_lock", identOf(101), 2)).object(lockObj(kLockB, "lock_b"));
  g.with(thread(102, "Thread-2", {prog("b", 20).holds(kLockB, 19).acquires(kState)}));
  g.with(thread(101, "Thread-1", {prog("a", 10).acquires(kLockB)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then a lock-order cycle, explained through the RLock's recorded owner
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(hasLine(f.lines, "  Thread 102 \"Thread-2\" waits to acquire state_lock <_thread.RLock at 0x5000>"));
  EXPECT_TRUE(hasLine(f.lines, "    which is held by Thread 101 \"Thread-1\" (it is the RLock's recorded owner)"));
  ASSERT_EQ(f.participants[0].holds.size(), 1u);
  EXPECT_EQ(f.participants[0].holds[0].first.object, kState);
  EXPECT_EQ(f.participants[0].holds[0].first.how, "owner");
  EXPECT_EQ(f.participants[0].holds[0].second.line, 0);
}

// ---- re-entrancy through the collector / a signal handler --------------------------------------

// The seed scenario queue_gc_reentrancy.py: the collector runs Circular.__del__ inside
// jobs.put(i), and __del__ calls jobs.put() again.
constexpr uint64_t kJobs = 0x6000, kJobsMutex = 0x6100, kJobsNotFull = 0x6200, kJobsNotEmpty = 0x6300;

Given queueGcScenario() {
  Given g;
  g.object(queueObj(kJobs, "jobs", kJobsMutex))
      .object(lockObj(kJobsMutex, "jobs.mutex"))
      .object(condObj(kJobsNotFull, "jobs.not_full", kJobsMutex))
      .object(condObj(kJobsNotEmpty, "jobs.not_empty", kJobsMutex));
  g.proc().objects[kJobs].type = "__main__.EnvelopeQueue";
  g.proc().gcCollecting = true;
  Thread t = thread(100, "MainThread",
                    {prog("<module>", 48),                                              // 0
                     prog("main", 44).source("jobs.put(i)"),                            // 1
                     queuePy("put", 152).holds(kJobsNotFull, 133).arg("self", kJobs),  // 2
                     prog("_put", 22).qual("EnvelopeQueue._put").source("self.queue.append(Envelope(item))"),  // 3
                     prog("__init__", 17).qual("Envelope.__init__"),                    // 4
                     marker("garbage collection"),                                      // 5
                     prog("__del__", 38).qual("Circular.__del__").source("jobs.put(\"finalized\")"),  // 6
                     queuePy("put", 133).acquires(kJobsNotFull).arg("self", kJobs)});  // 7
  t.gcCollecting = true;
  g.with(std::move(t));
  return g;
}

TEST(Analysis, GcRunningDelInsideQueuePutIsGcReentrancy) {
  // Given the queue/GC re-entrancy stack
  Given g = queueGcScenario();
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then one gc-reentrancy finding explains the put, the collector and __del__
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "gc-reentrancy");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{100}));
  EXPECT_TRUE(linesMatch(
      f.lines,
      {{"Found a deadlock (re-entrancy through the garbage collector) in Thread 100 \"MainThread\":"},
       {"Thread 100 \"MainThread\" waits to acquire", "not_full", "0x6200"},
       {"at prog.py:38 in __del__", "jobs.put(\"finalized\")"},
       {"inside put (queue.py:133)"},
       {"which it already holds itself since queue.py:133 in put", "not_full"},
       {"called from prog.py:44 in main"},
       {"The garbage collector interrupted the thread at prog.py:17 in __init__ and ran Circular.__del__ (prog.py)"},
       {"which needs the same lock"}}));
  EXPECT_TRUE(lineHas(f.summary, {"garbage collection re-entered code that holds", "jobs", "and waits for it again"}))
      << f.summary;
  EXPECT_EQ(d.verdictLine, "Verdict: DEADLOCK (gc-reentrancy): " + f.summary + ".");
  // And the participant holds the Condition (through which the mutex is held), since line 133
  const Participant& p = f.participants[0];
  expectLocation(p.at, kProg, 38, "__del__");
  EXPECT_EQ(p.waitsFor->object, kJobsNotFull);
  ASSERT_EQ(p.holds.size(), 1u);
  EXPECT_EQ(p.holds[0].first.object, kJobsNotFull);
  expectLocation(p.holds[0].second, kQueuePy, 133, "put");
  // And the annotations sit on __del__ (6) and the outer put (2)
  ASSERT_EQ(annotationTexts(d, 100, 6).size(), 1u);
  EXPECT_TRUE(lineHas(annotationTexts(d, 100, 6)[0], {"waiting to acquire", "not_full", "held by Thread 100 \"MainThread\""}));
  ASSERT_EQ(annotationTexts(d, 100, 2).size(), 1u);
  EXPECT_TRUE(lineHas(annotationTexts(d, 100, 2)[0], {"holds", "jobs", "0x6100", "not_full", "since line 133"}))
      << annotationTexts(d, 100, 2)[0];
  EXPECT_EQ(d.annotations.size(), 2u);
}

TEST(Analysis, GcMarkerBetweenAPlainLockAndDelIsGcReentrancy) {
  // Given main holding lock_a when the collector runs a __del__ that takes lock_a
  Given g;
  g.object(lockObj(kLockA, "registry_lock"));
  g.with(thread(100, "MainThread",
                {prog("register", 10).holds(kLockA, 9).source("entries.append(Entry())"), marker("garbage collection"),
                 prog("__del__", 30).qual("Entry.__del__").acquires(kLockA).source("with registry_lock:")}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then it is gc-reentrancy naming the interrupted frame and the finaliser
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "gc-reentrancy");
  EXPECT_TRUE(hasLine(f.lines, "  The garbage collector interrupted the thread at prog.py:10 in register and ran Entry.__del__ (prog.py),"));
  EXPECT_EQ(f.summary, "garbage collection re-entered code that holds registry_lock and waits for it again");
  EXPECT_EQ(annotationTexts(d, 100, 2).size(), 1u);
  EXPECT_EQ(annotationTexts(d, 100, 0), (std::vector<std::string>{"holds registry_lock <_thread.lock at 0xa000> since line 9"}));
}

TEST(Analysis, AGcMarkerOutsideTheHoldingFrameIsAPlainSelfDeadlock) {
  // Given a __del__ (run by the collector) that itself takes lock_a twice
  Given g;
  g.object(lockObj(kLockA, "lock_a"));
  g.with(thread(100, "MainThread",
                {prog("main", 5), marker("garbage collection"), prog("__del__", 30).holds(kLockA, 29),
                 prog("cleanup", 40).acquires(kLockA)}));
  // When analysed / Then the collector is not blamed
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  EXPECT_EQ(d.findings[0].kind, "self-deadlock");
}

TEST(Analysis, ASignalHandlerMarkerIsSignalReentrancy) {
  // Given a signal handler interrupting code that holds log_lock, and taking log_lock
  Given g;
  g.object(lockObj(kLockA, "log_lock"));
  g.with(thread(100, "MainThread",
                {prog("log", 10).holds(kLockA, 9), marker("signal handler"),
                 prog("on_term", 20).acquires(kLockA)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the finding is signal-reentrancy
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "signal-reentrancy");
  EXPECT_EQ(f.lines.at(0), "Found a deadlock (re-entrancy through a signal handler) in Thread 100 \"MainThread\":");
  EXPECT_TRUE(hasLine(f.lines, "  The signal handler interrupted the thread at prog.py:10 in log and ran on_term (prog.py),"));
}

// ---- Conditions and Queues stand for their lock --------------------------------------------------

TEST(Analysis, HoldingWithNotFullInQueuePutHoldsTheQueueMutex) {
  // Given a producer inside q.put (holding not_full) whose _put override waits for registry_lock,
  // and a consumer holding registry_lock and waiting in q.get to enter `with self.not_empty`
  constexpr uint64_t kQ = 0x6000, kMutex = 0x6100, kNotFull = 0x6200, kNotEmpty = 0x6300;
  Given g;
  g.object(queueObj(kQ, "q", kMutex))
      .object(lockObj(kMutex, "q.mutex"))
      .object(condObj(kNotFull, "q.not_full", kMutex))
      .object(condObj(kNotEmpty, "q.not_empty", kMutex))
      .object(lockObj(kLockA, "registry_lock"));
  g.with(thread(102, "consumer",
                {prog("consume", 31).holds(kLockA, 29).source("item = q.get()"),
                 queuePy("get", 171).acquires(kNotEmpty).arg("self", kQ)}));
  g.with(thread(101, "producer",
                {prog("produce", 10).source("q.put(item)"), queuePy("put", 140).holds(kNotFull, 133).arg("self", kQ),
                 prog("_put", 22).qual("AuditedQueue._put").acquires(kLockA).source("with registry_lock:")}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the two threads form a lock-order cycle through the queue's mutex
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(linesMatch(f.lines, {{"Found a deadlock (lock-order cycle) between 2 threads:"},
                                   {"Thread 101 \"producer\" waits to acquire registry_lock", "0xa000"},
                                   {"at prog.py:22 in _put", "with registry_lock:"},
                                   {"which is held by Thread 102 \"consumer\" since prog.py:29 in consume"},
                                   {"Thread 102 \"consumer\" waits to acquire", "not_empty", "0x6300"},
                                   {"at prog.py:31 in consume", "item = q.get()"},
                                   {"which is held by Thread 101 \"producer\" since queue.py:133 in put", "not_full"}}));
  // And the producer's hold is the Condition it entered, in queue.py
  const Participant& producer = f.participants[0];
  ASSERT_EQ(producer.holds.size(), 1u);
  EXPECT_EQ(producer.holds[0].first.object, kNotFull);
  expectLocation(producer.holds[0].second, kQueuePy, 133, "put");
  const Participant& consumer = f.participants[1];
  expectLocation(consumer.at, kProg, 31, "consume");
  EXPECT_EQ(consumer.waitsFor->object, kNotEmpty);
  EXPECT_EQ(consumer.heldBy, "Thread 101 \"producer\"");
  ASSERT_EQ(annotationTexts(d, 101, 1).size(), 1u);
  EXPECT_TRUE(lineHas(annotationTexts(d, 101, 1)[0], {"holds", "q", "0x6100", "not_full", "since line 133"}))
      << annotationTexts(d, 101, 1)[0];
  EXPECT_EQ(annotationTexts(d, 102, 0).size(), 2u);
}

TEST(Analysis, AConditionBuiltOnALockIsThatLock) {
  // Given cond = Condition(lock_a): Thread-1 holds `with cond:` and waits for lock_b; Thread-2 holds
  // lock_b and enters `with lock_a:`
  constexpr uint64_t kCond = 0x9000;
  Given g;
  g.object(lockObj(kLockA, "lock_a")).object(lockObj(kLockB, "lock_b")).object(condObj(kCond, "cond", kLockA));
  g.with(thread(102, "Thread-2", {prog("b", 20).holds(kLockB, 19).acquires(kLockA)}));
  g.with(thread(101, "Thread-1", {prog("a", 10).holds(kCond, 8).acquires(kLockB)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then they form a cycle and the hold is explained through the Condition
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_TRUE(hasLine(f.lines, "    which is held by Thread 101 \"Thread-1\" since prog.py:8 in a (through cond)"));
}

TEST(Analysis, AThreadInsideConditionWaitDoesNotHoldTheConditionsLock) {
  // Given main in `with cond: cond.wait()` (Condition.wait releases cond's lock while waiting),
  // and a notifier blocked entering `with cond:` because a thread that has exited left the lock
  // locked (taken with acquire())
  constexpr uint64_t kCond = 0x9000, kCondLock = 0x9010;
  Given g;
  g.object(condObj(kCond, "cond", kCondLock)).object(lockObj(kCondLock, "cond._lock"));
  g.proc().exitedThreads[0xdead000] = "setter";
  g.with(thread(101, "notifier", {prog("notify_later", 25).acquires(kCond).source("with cond:")}));
  g.with(thread(100, "MainThread",
                {prog("main", 11).holds(kCond, 10).source("cond.wait()"),
                 threadingPy("wait", 320).waits(WaitOp::kWait, kCond, "wait()").arg("self", kCond)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then the waiting main thread is not taken for the lock's holder: the notifier waits for a lock
  // no live thread holds, most likely left locked by the exited thread
  const Finding* dead = findingOfKind(d, "held-by-dead-thread");
  ASSERT_NE(dead, nullptr) << "findings: " << kindsOf(d);
  EXPECT_EQ(tids(dead->participants), (std::vector<int64_t>{101}));
  EXPECT_EQ(dead->participants[0].heldBy, "thread \"setter\" (exited)");
  EXPECT_TRUE(mentions(dead->lines, "\"setter\""));
  for (const auto& text : annotationTexts(d, 101)) EXPECT_EQ(text.find("held by Thread 100"), std::string::npos) << text;
}

TEST(Analysis, AThreadReTakingTheLockAtTheEndOfConditionWaitDoesNotHoldIt) {
  // Given two workers of a busy queue, each woken in Condition.wait() inside `with self.not_empty:`
  // (queue.get) and blocked in _acquire_restore re-taking the queue's mutex, which a third thread,
  // running, holds: a moment caught in a core
  constexpr uint64_t kNotEmpty = 0x9100, kMutex = 0x9110;
  Given g;
  g.object(condObj(kNotEmpty, "conns.not_empty", kMutex)).object(lockObj(kMutex, "conns.mutex"));
  for (int64_t tid : {101, 102}) {
    g.with(thread(tid, "w" + std::to_string(tid),
                  {prog("work", 11).source("c = conns.get()"),
                   queuePy("get", 171).holds(kNotEmpty, 165).arg("self", 0x9200),
                   threadingPy("wait", 364).arg("self", kNotEmpty),
                   threadingPy("_acquire_restore", 312).acquires(kMutex)}));
  }
  g.with(running(103, "w103", {prog("work", 15).source("conns.put(c)"), queuePy("put", 150).holds(kNotEmpty, 140)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then neither is taken to hold the mutex it waits for: no self-deadlock, no cycle between them
  EXPECT_TRUE(d.findings.empty()) << "findings: " << kindsOf(d);
}

// ---- semaphores -------------------------------------------------------------------------------

constexpr uint64_t kPool = 0x8000, kPoolCond = 0x8100, kPoolCondLock = 0x8110;

Given semaphoreScenario() {
  Given g;
  g.object(semaphoreObj(kPool, "pool", kPoolCondLock, 0))
      .object(condObj(kPoolCond, "pool._cond", kPoolCondLock))
      .object(lockObj(kPoolCondLock, "", false))
      .object(lockObj(kLockA, "lock_a"));
  // Thread-2 holds lock_a and waits in pool.acquire() (Semaphore.acquire -> Condition.wait)
  g.with(thread(102, "Thread-2",
                {prog("store", 20).holds(kLockA, 18).source("pool.acquire()"),
                 threadingPy("acquire", 475).acquires(kPool, "acquire()").arg("self", kPool),
                 threadingPy("wait", 320).waits(WaitOp::kWait, kPoolCond, "wait()").arg("self", kPoolCond)}));
  // Thread-1 holds the semaphore's only permit and waits for lock_a
  g.with(thread(101, "Thread-1", {prog("fetch", 12).holds(kPool, 10).acquires(kLockA).source("with lock_a:")}));
  return g;
}

TEST(Analysis, AThreadWaitingOnASemaphoreHeldByAnotherBlockedThread) {
  // Given the semaphore cycle
  Given g = semaphoreScenario();
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then it is a lock-order cycle; the semaphore wait is reported at the program's frame
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(linesMatch(f.lines, {{"Found a deadlock (lock-order cycle) between 2 threads:"},
                                   {"Thread 101 \"Thread-1\" waits to acquire lock_a", "0xa000"},
                                   {"at prog.py:12 in fetch", "with lock_a:"},
                                   {"which is held by Thread 102 \"Thread-2\" since prog.py:18 in store"},
                                   {"Thread 102 \"Thread-2\" waits to acquire semaphore pool", "0x8000"},
                                   {"at prog.py:20 in store", "pool.acquire()"},
                                   {"which is held by Thread 101 \"Thread-1\" since prog.py:10 in fetch"}}));
  const Participant& t2 = f.participants[1];
  expectLocation(t2.at, kProg, 20, "store");
  ASSERT_TRUE(t2.waitsFor.has_value());
  EXPECT_EQ(t2.waitsFor->op, WaitOp::kAcquire);
  EXPECT_EQ(t2.waitsFor->object, kPool);
  EXPECT_EQ(t2.waitsFor->how, "acquire()");
  EXPECT_TRUE(hasLineWith(annotationTexts(d, 102, 0),
                          {"waiting to acquire semaphore pool", "0x8000", "held by Thread 101 \"Thread-1\""}));
}

TEST(Analysis, ASemaphoreAlsoHeldByARunningThreadIsNotADeadlock) {
  // Given the semaphore cycle, but the semaphore has two permits and the second one is held by a
  // running thread that will release it
  Given g = semaphoreScenario();
  g.with(running(103, "Thread-3", {prog("fetch", 11).holds(kPool, 10)}));
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then there is no deadlock: Thread-3 releases its permit, Thread-2 gets it and releases lock_a
  expectNoDeadlock(d);
}

// A Semaphore(2) whose permits two threads hold (`with pool:` at line 10), each waiting in a
// nested `with pool:` (line 14) for a third.
Given nestedCheckout() {
  Given g;
  g.object(semaphoreObj(kPool, "pool", kPoolCondLock, 0))
      .object(condObj(kPoolCond, "pool._cond", kPoolCondLock))
      .object(lockObj(kPoolCondLock, "", false));
  for (int64_t tid : {101, 102}) {
    g.with(thread(tid, tid == 101 ? "request-ann" : "request-bob",
                  {prog("handle", 11).holds(kPool, 10), prog("audit", 14).source("with pool:"),
                   threadingPy("acquire", 475).acquires(kPool, "acquire()").arg("self", kPool),
                   threadingPy("wait", 320).waits(WaitOp::kWait, kPoolCond, "wait()").arg("self", kPoolCond)}));
  }
  return g;
}

TEST(Analysis, ThreadsHoldingEveryPermitAndWaitingForAnotherAreOneFinding) {
  Given g = nestedCheckout();
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then one finding names the semaphore and both threads, not two self-deadlocks and a cycle
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "self-deadlock");
  EXPECT_EQ(tids(f.participants), (std::vector<int64_t>{101, 102}));
  EXPECT_TRUE(linesMatch(f.lines, {{"Found a deadlock (semaphore exhausted by nested acquires) between 2 threads:"},
                                   {"Thread 101 \"request-ann\" waits to acquire semaphore pool", "0x8000"},
                                   {"at prog.py:14 in audit (with pool:)"},
                                   {"while it holds one of its permits itself, since prog.py:10 in handle"},
                                   {"Thread 102 \"request-bob\" waits to acquire semaphore pool"},
                                   {"at prog.py:14 in audit (with pool:)"},
                                   {"while it holds one of its permits itself, since prog.py:10 in handle"},
                                   {"Every permit of pool is held by one of these threads, and each waits for one more"},
                                   {"get one, and none releases its own while it waits."}}));
  EXPECT_EQ(f.summary, "2 threads each hold a permit of pool and wait for another");
}

TEST(Analysis, ASecondPermitHolderThatRunsMakesTheNestedAcquireNoDeadlock) {
  // Given the same two threads, and a third that holds a permit and is running
  Given g = nestedCheckout();
  g.with(running(103, "request", {prog("handle", 11).holds(kPool, 10)}));
  // Then the running holder will release its permit: no deadlock
  expectNoDeadlock(g.analyze());
}

// ---- processes --------------------------------------------------------------------------------

TEST(Analysis, LocksOfDifferentProcessesAtTheSameAddressAreDifferentLocks) {
  // Given process 4242 whose running thread holds its lock at 0xa000, and its child 4343 whose
  // waiter waits for its own (different) lock at 0xa000 and whose worker self-deadlocks
  Given g;
  g.object(lockObj(kLockA, "lock_a"));
  g.with(running(100, "MainThread", {prog("hold", 5).holds(kLockA, 4)}));
  Process& child = g.addProcess(4343);
  child.ppid = kPid;
  child.name = "Process-1";
  g.object(lockObj(kLockA, "lock_a"), 1).object(lockObj(kLockC, "lock_c"), 1);
  g.with(thread(202, "worker", {prog("outer", 7).holds(kLockC, 6), prog("inner", 9).acquires(kLockC)}), 1);
  g.with(thread(201, "waiter", {prog("wait_a", 12).acquires(kLockA)}), 1);
  g.with(running(200, "MainThread", {prog("spin", 3)}), 1);
  // When analysed
  const Diagnosis& d = g.analyze();
  // Then only the self-deadlock in 4343 is found, labelled with its process and thread
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "self-deadlock");
  EXPECT_NE(f.lines.at(0).find("Found a deadlock (self-deadlock) in process"), std::string::npos) << dump(f.lines);
  EXPECT_NE(f.lines.at(0).find("pid 4343"), std::string::npos) << dump(f.lines);
  EXPECT_NE(f.lines.at(0).find("worker"), std::string::npos) << dump(f.lines);
  EXPECT_TRUE(mentions(f.lines, "lock_c"));
  ASSERT_EQ(f.participants.size(), 1u);
  EXPECT_EQ(f.participants[0].pid, 4343);
  EXPECT_EQ(f.participants[0].tid, 202);
  // And the waiter in 4343 is not said to wait for the thread of 4242 that holds "its" address
  const std::vector<std::string> waiter = annotationTexts(d, 201, 0);
  ASSERT_EQ(waiter.size(), 1u);
  EXPECT_EQ(waiter[0], "waiting to acquire lock_a <_thread.lock at 0xa000>");
  bool noted = false;
  for (const auto& n : d.notes) {
    if (n.find("pid 4343") != std::string::npos && n.find("waiter") != std::string::npos &&
        n.find("waits to acquire lock_a <_thread.lock at 0xa000> at prog.py:12 in wait_a.") != std::string::npos) {
      noted = true;
    }
  }
  EXPECT_TRUE(noted) << dump(d.notes);
}

// ---- full pipes (live: the kernel's view of a blocked write and of who holds the read end) -----

// Process 4242 waits in Popen.wait() for 4343, head(1) (not Python), blocked writing into the pipe
// 777 whose read end only 4242 holds (fd 3).
Given popenWaitScenario(bool readerSleeps) {
  constexpr uint64_t kPopen = 0x90000;
  constexpr uint64_t kPipe = 777;
  Given g;
  SyncObject popen = syncObject(kPopen, ObjectKind::kProcess, "Popen", "child");
  popen.pid = 4343;
  g.object(popen);
  FrameB mod = prog("<module>", 15).source("child.wait()").local("child", kPopen);
  if (readerSleeps) {
    g.with(thread(100, "MainThread", {prog("<module>", 10).waits(WaitOp::kSleep, 0, "sleep()", true)}));
  } else {
    g.with(thread(100, "MainThread",
                  {mod, FrameB("/usr/lib/python3.12/subprocess.py", "wait", 1264).waits(WaitOp::kJoin, kPopen, "wait()")}));
  }
  g.proc(0).pipeReadEnds[kPipe] = 3;
  Process& head = g.addProcess(4343);
  head.ppid = kPid;
  head.isPython = false;
  head.commandLine = "head -c 1000000 /dev/zero";
  Thread t;
  t.tid = 4343;
  t.name = "head";
  t.isMain = true;
  t.kernelState = "S";
  t.wchan = "anon_pipe_write";
  t.writingPipe = kPipe;
  t.writingPipeFd = 1;
  head.threads.push_back(t);
  return g;
}

TEST(Analysis, PopenWaitOnAChildBlockedOnAFullPipeIsAFullPipeDeadlock) {
  Given g = popenWaitScenario(false);
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "full-pipe");
  EXPECT_TRUE(linesMatch(f.lines, {{"Found a deadlock (full pipe) between 2 processes:"},
                                   {"process main (pid 4242) thread MainThread waits for process head (pid 4343) to exit"},
                                   {"at prog.py:15 in <module> (child.wait())"},
                                   {"process head (pid 4343) thread head waits for room in a full pipe (pipe:[777], its fd 1)"},
                                   {"in write() (wait channel anon_pipe_write), running: head -c 1000000 /dev/zero"},
                                   {"which only process main (pid 4242) thread MainThread (fd 3) could read"},
                                   {"Popen.wait() with stdout=PIPE"},
                                   {"use Popen.communicate()"}}))
      << dump(f.lines);
  EXPECT_EQ(d.verdictLine, "Verdict: DEADLOCK (full-pipe): 2 processes wait for each other through a full pipe.");
  ASSERT_EQ(f.participants.size(), 2u);
  EXPECT_EQ(f.participants[1].pid, 4343);
  EXPECT_EQ(f.participants[1].waitsFor->op, WaitOp::kPipeWrite);
  EXPECT_EQ(f.participants[1].at.line, 0);
}

TEST(Analysis, AFullPipeWhoseReaderOnlySleepsIsNotADeadlock) {
  Given g = popenWaitScenario(true);
  const Diagnosis& d = g.analyze();
  expectNoDeadlock(d);
  EXPECT_TRUE(hasLineWith(d.notes, {"thread head waits for room in a full pipe (pipe:[777], its fd 1)"})) << dump(d.notes);
}

TEST(Analysis, AFullPipeNobodyInTheReportReadsNamesTheMissingReader) {
  Given g = popenWaitScenario(false);
  g.proc(0).pipeReadEnds.clear();
  const Diagnosis& d = g.analyze();
  expectNoDeadlock(d);
  EXPECT_TRUE(hasLineWith(d.notes, {"waits for room in a full pipe", "no process in this report can read it"}))
      << dump(d.notes);
}

TEST(ThreadStateWord, KernelWaitsForAnotherProgramAreNamed) {
  Thread t;
  t.kernelState = "S";
  t.wchan = "wait_for_partner";  // open() of a FIFO until the other side opens it
  EXPECT_EQ(explain::threadStateWord(t), "io");
  t.wchan = "wq_sleep";  // mq_receive() on a POSIX message queue
  EXPECT_EQ(explain::threadStateWord(t), "io");
  t.wchan = "semtimedop";  // semop() on a System V semaphore
  EXPECT_EQ(explain::threadStateWord(t), "waiting");
  t.wchan = "some_driver_wait";
  EXPECT_EQ(explain::threadStateWord(t), "unknown");
}

}  // namespace
}  // namespace pyhang
