// When is a process tree stuck? The watching behind `pyhang run` and `pyhang watch`.
//
// Every check samples the tree's CPU use from /proc (process/tree_activity.h), which stops
// nothing. Only when nothing in the tree ran since the previous check does the watcher stop the
// tree for a full inspection and analysis, once per quiet spell:
//  - deadlock: the analysis proves one;
//  - idle (with an idle duration): the tree stayed quiet that long and a second inspection at
//    its end shows the same Python stacks, without a deadlock;
//  - timeout (with a timeout): that long after the start, whatever the state (inspected then).
// A hang is reported when the state turns stuck; not again while it stays stuck the same way
// (the same findings, or the same stacks), and again once an inspection saw it unstuck.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "process/tree_activity.h"
#include "snapshot/snapshot.h"

namespace pyhang {

enum class HangKind { kDeadlock, kIdle, kTimeout };
const char* hangKindName(HangKind kind);  // "deadlock", "idle", "timeout"

struct WatchOptions {
  std::chrono::milliseconds interval{1000};          // between two checks
  std::optional<std::chrono::milliseconds> idle;     // --idle
  std::optional<std::chrono::milliseconds> timeout;  // --timeout, from the watcher's start
};

struct Hang {
  HangKind kind = HangKind::kDeadlock;
  Snapshot snapshot;
  std::chrono::milliseconds quietFor{0};  // how long nothing in the tree had run
};

// What the watcher needs from the world, so that its policy can be tested without processes.
struct WatchProbes {
  std::function<TreeActivity()> sample;       // the tree's CPU use now (empty: gone)
  std::function<Result<Snapshot>()> inspect;  // stop, read and diagnose the tree
  std::function<void()> settle = [] {};       // after an inspection: let the threads resume
};

// The identity of a stuck state: the findings' kinds and threads for a deadlock, every Python
// thread's stack otherwise.
std::string stackSignature(const Snapshot& snapshot);
std::string findingSignature(const Snapshot& snapshot);

class HangWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  HangWatcher(WatchOptions options, WatchProbes probes, Clock::time_point start);

  // One check at `now`. A hang when the state has just turned stuck; an error when an
  // inspection failed (other than because the tree exited meanwhile).
  Result<std::optional<Hang>> check(Clock::time_point now);
  // True once a sample found no process left.
  bool gone() const { return gone_; }
  int inspections() const { return inspections_; }

 private:
  WatchOptions options_;
  WatchProbes probes_;
  Clock::time_point start_;
  TreeActivity last_;
  Clock::time_point quietSince_;
  bool inspectedThisSpell_ = false;
  bool idleCheckedThisSpell_ = false;
  std::string spellStacks_;  // the stacks seen by this quiet spell's first inspection
  bool timeoutDone_ = false;
  std::string reported_;  // the stuck state last reported, "" once seen unstuck
  bool gone_ = false;
  int inspections_ = 0;
};

}  // namespace pyhang
