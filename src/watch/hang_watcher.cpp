#include "watch/hang_watcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace pyhang {

const char* hangKindName(HangKind kind) {
  switch (kind) {
    case HangKind::kDeadlock:
      return "deadlock";
    case HangKind::kIdle:
      return "idle";
    case HangKind::kTimeout:
      return "timeout";
  }
  return "?";
}

std::string stackSignature(const Snapshot& snapshot) {
  std::string out;
  for (const auto& p : snapshot.processes) {
    if (!p.isPython) continue;
    out += fmt::format("P{}\n", p.pid);
    for (const auto& t : p.threads) {
      out += fmt::format(" T{}\n", t.tid);
      for (const auto& f : t.frames) {
        if (f.kind != Frame::Kind::kPython) continue;
        out += fmt::format("  {}:{}:{}\n", f.location.file, f.location.line, f.location.function);
      }
    }
  }
  return out;
}

std::string findingSignature(const Snapshot& snapshot) {
  std::set<std::string> findings;
  for (const auto& f : snapshot.diagnosis.findings) {
    std::set<std::string> who;
    for (const auto& p : f.participants) who.insert(fmt::format("{}/{}/{}", p.pid, p.tid, p.task));
    std::string s = f.kind;
    for (const auto& w : who) s += " " + w;
    findings.insert(s);
  }
  std::string out;
  for (const auto& f : findings) out += f + "\n";
  return out;
}

HangWatcher::HangWatcher(WatchOptions options, WatchProbes probes, Clock::time_point start)
    : options_(options), probes_(std::move(probes)), start_(start), quietSince_(start) {}

Result<std::optional<Hang>> HangWatcher::check(Clock::time_point now) {
  TreeActivity sample = probes_.sample();
  if (sample.empty()) {
    gone_ = true;
    return std::optional<Hang>();
  }
  bool quiet = sample == last_;
  if (!quiet) {
    last_ = std::move(sample);
    quietSince_ = now;
    inspectedThisSpell_ = false;
    idleCheckedThisSpell_ = false;
  }
  bool timeoutDue = options_.timeout && !timeoutDone_ && now - start_ >= *options_.timeout;
  bool idleDue = options_.idle && quiet && inspectedThisSpell_ && !idleCheckedThisSpell_ &&
                 now - quietSince_ >= *options_.idle;
  bool firstQuietLook = quiet && !inspectedThisSpell_;
  if (!timeoutDue && !idleDue && !firstQuietLook) return std::optional<Hang>();

  ++inspections_;
  Result<Snapshot> inspected = probes_.inspect();
  // The stop and the second look make the threads run a little: that is no progress of theirs.
  probes_.settle();
  last_ = probes_.sample();
  if (timeoutDue) timeoutDone_ = true;
  if (!inspected) {
    if (inspected.error().kind == ErrorKind::kProcessGone || last_.empty())
      return std::optional<Hang>();
    if (!timeoutDue) return Failure{inspected.error()};
    // The timeout stands without a report: say why there is none.
    Hang hang;
    hang.kind = HangKind::kTimeout;
    hang.snapshot.warnings.push_back("the processes could not be inspected: " +
                                     inspected.error().message);
    hang.quietFor = std::chrono::duration_cast<std::chrono::milliseconds>(now - quietSince_);
    return std::optional<Hang>(std::move(hang));
  }
  Snapshot snapshot = std::move(*inspected);
  std::string stacks = stackSignature(snapshot);
  if (!quiet || !inspectedThisSpell_) {
    inspectedThisSpell_ = true;
    spellStacks_ = stacks;
  }
  bool idle = false;
  if (idleDue) {
    idleCheckedThisSpell_ = true;
    idle = stacks == spellStacks_;
    if (!idle) {  // the stacks moved without the CPU time showing it: a new spell starts now
      spellStacks_ = stacks;
      quietSince_ = now;
      idleCheckedThisSpell_ = false;
    }
  }
  std::optional<HangKind> kind;
  std::string key;
  if (snapshot.diagnosis.ran && snapshot.diagnosis.verdict == "deadlock") {
    kind = HangKind::kDeadlock;
    key = "deadlock\n" + findingSignature(snapshot);
  } else if (idle) {
    kind = HangKind::kIdle;
    key = "idle\n" + stacks;
  } else if (timeoutDue) {
    kind = HangKind::kTimeout;
  }
  if (!kind) {
    // Back to the stacks of the idle spell last reported: still stuck the same way.
    if (reported_ != "idle\n" + stacks) reported_.clear();
    return std::optional<Hang>();
  }
  // A timeout is reported once, whatever was reported before.
  if (*kind != HangKind::kTimeout) {
    if (key == reported_) return std::optional<Hang>();
    reported_ = key;
  }
  Hang hang;
  hang.kind = *kind;
  hang.snapshot = std::move(snapshot);
  hang.quietFor = std::chrono::duration_cast<std::chrono::milliseconds>(now - quietSince_);
  return std::optional<Hang>(std::move(hang));
}

}  // namespace pyhang
