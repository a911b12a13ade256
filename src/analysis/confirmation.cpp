#include "analysis/confirmation.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "analysis/deadlock_analysis.h"

namespace pyhang {

namespace {

const Process* processOf(const Snapshot& snap, int64_t pid) {
  for (const auto& p : snap.processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

std::string threadWords(const Snapshot& snap, const Process& p, const Thread& t) {
  std::string who = t.name.empty() ? fmt::format("thread {}", t.tid) : fmt::format("thread {} \"{}\"", t.tid, t.name);
  if (snap.processes.size() > 1) who = fmt::format("process {} {}", p.pid, who);
  return who;
}

}  // namespace

std::vector<std::pair<int64_t, int64_t>> threadsToConfirm(const Snapshot& snap, const Finding& f) {
  std::vector<std::pair<int64_t, int64_t>> out;
  bool anyThread = false;
  std::set<int64_t> pids;
  for (const auto& part : f.participants) {
    if (!part.task.empty() || part.tid == 0) continue;
    anyThread = true;
    out.emplace_back(part.pid, part.tid);
    pids.insert(part.pid);
  }
  if (!anyThread) return {};
  if (f.kind == "all-blocked") {
    for (int64_t pid : pids) {
      if (const Process* p = processOf(snap, pid)) {
        for (const auto& t : p->threads) {
          if (t.tid) out.emplace_back(pid, t.tid);
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void confirmFindings(Snapshot& snap) {
  Diagnosis& d = snap.diagnosis;
  if (!d.ran) return;
  std::vector<Finding> kept;
  for (auto& f : d.findings) {
    std::string because;
    for (const auto& [pid, tid] : threadsToConfirm(snap, f)) {
      const Process* p = processOf(snap, pid);
      if (!p) continue;
      for (const auto& t : p->threads) {
        if (t.tid != tid || !t.ranAfter.value_or(false)) continue;
        because = fmt::format("{} {} a moment later", threadWords(snap, *p, t),
                              t.stateAfter == "R" ? "was running" : "had moved on");
        break;
      }
      if (!because.empty()) break;
      if (f.kind == "all-blocked" && !p->otherThreadsThatRan.empty()) {
        because = fmt::format("thread {} of process {}, a thread without Python frames, was running a moment later",
                              p->otherThreadsThatRan.front(), pid);
        break;
      }
    }
    if (because.empty()) {
      kept.push_back(std::move(f));
    } else {
      f.unconfirmedBecause = because;
      d.unconfirmed.push_back(std::move(f));
    }
  }
  d.findings = std::move(kept);
  setVerdict(d);
}

}  // namespace pyhang
