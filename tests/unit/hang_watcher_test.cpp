// Tests for src/watch/hang_watcher and parseDuration: the watching policy over fake probes (CPU
// samples and inspections scripted by the test), so that no process is needed.
#include "watch/hang_watcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cli/command_line.h"

namespace pyhang {
namespace {

using std::chrono::milliseconds;
using Clock = HangWatcher::Clock;

// A world with one process (pid 10) and one thread whose CPU time the test sets, and an
// inspection that returns the snapshot the test sets.
struct FakeTree {
  uint64_t cpu = 1;
  bool gone = false;
  Snapshot snapshot;
  int inspections = 0;

  WatchProbes probes() {
    WatchProbes p;
    p.sample = [this] {
      TreeActivity a;
      if (!gone) a.processes[10][10] = ThreadCpu{cpu, cpu};
      return a;
    };
    p.inspect = [this]() -> Result<Snapshot> {
      ++inspections;
      return snapshot;
    };
    return p;
  }
};

Snapshot stacksAt(int line, bool deadlock) {
  Snapshot s;
  Process p;
  p.pid = 10;
  Thread t;
  t.tid = 10;
  Frame f;
  f.location = {"app.py", line, "main"};
  t.frames.push_back(f);
  p.threads.push_back(t);
  s.processes.push_back(p);
  s.diagnosis.ran = true;
  s.diagnosis.verdict = deadlock ? "deadlock" : "no-deadlock";
  if (deadlock) {
    Finding finding;
    finding.kind = "lock-order-cycle";
    Participant who;
    who.pid = 10;
    who.tid = 10;
    finding.participants.push_back(who);
    s.diagnosis.findings.push_back(finding);
  }
  return s;
}

struct WatcherTest : ::testing::Test {
  FakeTree tree;
  Clock::time_point t0 = Clock::now();
  Clock::time_point at(int ms) { return t0 + milliseconds(ms); }
};

TEST_F(WatcherTest, BusyTreeIsNeverInspected) {
  WatchOptions o;
  o.idle = milliseconds(1000);
  HangWatcher w(o, tree.probes(), t0);
  for (int i = 0; i < 50; ++i) {
    ++tree.cpu;
    auto r = w.check(at(i * 100));
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
  }
  EXPECT_EQ(tree.inspections, 0);
}

TEST_F(WatcherTest, DeadlockIsReportedOnceWhileItLasts) {
  tree.snapshot = stacksAt(7, true);
  HangWatcher w({}, tree.probes(), t0);
  ASSERT_FALSE(*w.check(at(0)));  // the first sample is the baseline
  auto r = w.check(at(100));
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->kind, HangKind::kDeadlock);
  // Quiet on: no new inspection; a thread ticking: inspected again, but the same deadlock.
  EXPECT_FALSE(*w.check(at(200)));
  EXPECT_EQ(tree.inspections, 1);
  ++tree.cpu;
  EXPECT_FALSE(*w.check(at(300)));
  EXPECT_FALSE(*w.check(at(400)));
  EXPECT_EQ(tree.inspections, 2);
}

TEST_F(WatcherTest, QuietWithoutDeadlockIsIdleOnlyWithIdleAndSameStacks) {
  tree.snapshot = stacksAt(7, false);
  WatchOptions o;
  o.idle = milliseconds(1000);
  HangWatcher w(o, tree.probes(), t0);
  ASSERT_FALSE(*w.check(at(0)));
  EXPECT_FALSE(*w.check(at(100)));  // first quiet look: no deadlock, not idle yet
  EXPECT_FALSE(*w.check(at(600)));
  EXPECT_EQ(tree.inspections, 1);
  auto r = w.check(at(1100));  // quiet for 1.1 s: confirmed by a second inspection
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->kind, HangKind::kIdle);
  EXPECT_EQ((*r)->quietFor, milliseconds(1100));
  EXPECT_EQ(tree.inspections, 2);
  EXPECT_FALSE(*w.check(at(2500)));  // not again
  EXPECT_EQ(tree.inspections, 2);

  FakeTree other;
  other.snapshot = stacksAt(7, false);
  HangWatcher without({}, other.probes(), t0);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(*without.check(at(i * 100)));
  EXPECT_EQ(other.inspections, 1);
}

TEST_F(WatcherTest, StacksThatMovedRestartTheIdleClock) {
  tree.snapshot = stacksAt(7, false);
  WatchOptions o;
  o.idle = milliseconds(1000);
  HangWatcher w(o, tree.probes(), t0);
  ASSERT_FALSE(*w.check(at(0)));
  ASSERT_FALSE(*w.check(at(100)));
  tree.snapshot = stacksAt(8, false);
  EXPECT_FALSE(*w.check(at(1100)));
  auto r = w.check(at(2100));
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->kind, HangKind::kIdle);
}

TEST_F(WatcherTest, TimeoutReportsOnceWhateverTheState) {
  tree.snapshot = stacksAt(7, false);
  WatchOptions o;
  o.timeout = milliseconds(500);
  HangWatcher w(o, tree.probes(), t0);
  ++tree.cpu;
  EXPECT_FALSE(*w.check(at(0)));
  ++tree.cpu;
  auto r = w.check(at(600));
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->kind, HangKind::kTimeout);
  ++tree.cpu;
  EXPECT_FALSE(*w.check(at(700)));
}

TEST_F(WatcherTest, GoneTreeEndsTheWatch) {
  HangWatcher w({}, tree.probes(), t0);
  tree.gone = true;
  EXPECT_FALSE(*w.check(at(0)));
  EXPECT_TRUE(w.gone());
}

TEST(ParseDuration, TakesUnitsAndRejectsTheRest) {
  EXPECT_EQ(cli::parseDuration("1.5"), milliseconds(1500));
  EXPECT_EQ(cli::parseDuration("30s"), milliseconds(30000));
  EXPECT_EQ(cli::parseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(cli::parseDuration("2m"), milliseconds(120000));
  EXPECT_EQ(cli::parseDuration("1h"), milliseconds(3600000));
  EXPECT_FALSE(cli::parseDuration(""));
  EXPECT_FALSE(cli::parseDuration("-1"));
  EXPECT_FALSE(cli::parseDuration("5x"));
  EXPECT_FALSE(cli::parseDuration("s"));
}

}  // namespace
}  // namespace pyhang
