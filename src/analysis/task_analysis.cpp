#include "analysis/task_analysis.h"

#include <algorithm>
#include <unordered_set>
#include <unordered_map>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis/explainer.h"
#include "analysis/task_analyzer.h"
#include "analysis/wait_graph.h"

namespace pyhang::tasks {

const Holder* TaskAnalyzer::holdOf(size_t task, uint64_t lock) const {
  auto it = holders_.find(lock);
  if (it == holders_.end()) return nullptr;
  for (const auto& h : it->second) {
    if (h.task == task) return &h;
  }
  return nullptr;
}

std::string TaskAnalyzer::since(const Holder& h) const {
  const Task& t = p_.tasks[h.task];
  if (h.frame >= t.frames.size()) return "";
  std::string s = "since " + where(t.frames[h.frame], h.hold.line);
  if (h.hold.how.rfind("acquire()", 0) == 0) s += " (acquire(), inferred from the source)";
  return s;
}

std::string TaskAnalyzer::header(const char* what, size_t count, const Task& any) const {
  return fmt::format("Found a deadlock ({}) between {} tasks of {}:", what, count, loopPhrase(snap_, p_, any.tid));
}

void TaskAnalyzer::buildGraph() {
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    if (p_.tasks[i].address) byAddr_[p_.tasks[i].address] = i;
  }
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (!isPending(t)) continue;
    for (size_t fi = 0; fi < t.frames.size(); ++fi) {
      for (const auto& h : t.frames[fi].holds) {
        if (!isAsyncLockKind(p_, h.object)) continue;
        holders_[asyncLockOf(p_, h.object)].push_back(Holder{i, fi, h});
      }
    }
  }
  edges_.assign(p_.tasks.size(), {});
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (!forever(t)) continue;
    const TaskAwait& a = *t.await;
    auto toTask = [&](uint64_t addr, uint64_t via) {
      auto it = byAddr_.find(addr);
      if (it != byAddr_.end() && isPending(p_.tasks[it->second])) edges_[i].push_back(TEdge{it->second, via, false});
    };
    if (a.kind == "task") toTask(a.object, a.object);
    if (a.kind == "gather" || a.kind == "wait" || a.kind == "taskgroup") {
      for (uint64_t c : a.children) toTask(c, c);
    }
    if (a.kind == "lock" || a.kind == "semaphore") {
      uint64_t lock = asyncLockOf(p_, a.object);
      auto it = holders_.find(lock);
      if (it == holders_.end()) continue;
      // A semaphore blocks only while every holder keeps its unit: one holder is a real edge,
      // several are an AND that a single cycle does not prove.
      if (a.kind == "semaphore" && it->second.size() != 1) continue;
      std::set<size_t> seen;
      for (const auto& h : it->second) {
        if (seen.insert(h.task).second) edges_[i].push_back(TEdge{h.task, lock, true});
      }
    }
  }
}

std::vector<std::vector<size_t>> TaskAnalyzer::findCycles() const {
  std::vector<std::vector<size_t>> cycles;
  std::set<std::set<size_t>> seen;
  size_t steps = 0;
  for (size_t start = 0; start < p_.tasks.size(); ++start) {
    if (!forever(p_.tasks[start])) continue;
    struct Item {
      size_t node;
      size_t next;
    };
    std::vector<Item> stack{{start, 0}};
    std::vector<size_t> path{start};
    while (!stack.empty() && ++steps < kMaxCycleSteps) {
      Item& top = stack.back();
      const auto& out = edges_[top.node];
      if (!forever(p_.tasks[top.node]) || top.next >= out.size()) {
        stack.pop_back();
        path.pop_back();
        continue;
      }
      size_t next = out[top.next++].to;
      if (next == start) {
        std::set<size_t> key(path.begin(), path.end());
        if (seen.insert(key).second) cycles.push_back(path);
        continue;
      }
      if (next < start || std::find(path.begin(), path.end(), next) != path.end()) continue;
      if (path.size() >= kMaxCycleLength) continue;
      stack.push_back({next, 0});
      path.push_back(next);
    }
  }
  return cycles;
}

Participant TaskAnalyzer::participant(size_t i, bool withHolds) const {
  const Task& t = p_.tasks[i];
  Participant part;
  part.pid = p_.pid;
  part.process = p_.name;
  part.tid = t.tid;
  if (const Thread* th = threadOf(p_, t.tid)) part.thread = th->name;
  part.task = t.name;
  if (const Frame* f = awaitFrame(t)) {
    part.at = f->location;
    part.waitsFor = f->waitsOn;
  }
  if (withHolds) {
    for (size_t fi = 0; fi < t.frames.size(); ++fi) {
      for (const auto& h : t.frames[fi].holds) {
        SourceLocation s = t.frames[fi].location;
        if (h.line) s.line = h.line;
        part.holds.emplace_back(h, s);
      }
    }
  }
  if (!edges_[i].empty()) part.heldBy = taskLabel(p_.tasks[edges_[i].front().to]);
  return part;
}

void TaskAnalyzer::run() {
  buildGraph();
  // Cycles that differ only in which child of the same gather/wait/TaskGroup they pass through
  // (a lock holder awaiting several tasks that all need the lock) are one finding.
  struct Group {
    std::vector<size_t> cycle;
    std::vector<size_t> siblings;
  };
  std::vector<Group> groups;
  std::map<std::vector<size_t>, size_t> byKey;
  for (auto c : findCycles()) {
    size_t hub = SIZE_MAX;
    for (size_t k = 0; k < c.size() && c.size() >= 2; ++k) {
      const Task& t = p_.tasks[c[k]];
      if (t.await && (t.await->kind == "gather" || t.await->kind == "wait" || t.await->kind == "taskgroup")) {
        hub = k;
        break;
      }
    }
    if (hub == SIZE_MAX) {
      groups.push_back(Group{c, {}});
      continue;
    }
    std::rotate(c.begin(), c.begin() + static_cast<long>(hub), c.end());
    std::vector<size_t> key = c;
    key.erase(key.begin() + 1);
    auto it = byKey.find(key);
    if (it == byKey.end()) {
      byKey[key] = groups.size();
      groups.push_back(Group{c, {c[1]}});
    } else {
      groups[it->second].siblings.push_back(c[1]);
    }
  }
  for (auto& g : groups) {
    std::sort(g.siblings.begin(), g.siblings.end());
    reportCycle(g.cycle, g.siblings);
  }
  reportFinishedHolders();
  reportThreadsafeCycles();
  reportLoops();
  reportThreadsBehindTasks();
  // A thread that runs an event loop "waits for I/O (select/poll)": the loop notes and findings
  // say what it really waits for.
  for (const auto& l : p_.loops) {
    const Thread* t = threadOf(p_, l.tid);
    if (!t || !l.stateRead || t->frames.empty()) continue;
    const std::string& inner = t->frames.back().location.file;
    if (inner.size() < 13 || inner.compare(inner.size() - 13, 13, "/selectors.py") != 0) continue;
    std::string prefix = threadLabel(snap_, p_, l.tid) + " ";
    d_.notes.erase(std::remove_if(d_.notes.begin(), d_.notes.end(),
                                  [&](const std::string& n) { return n.rfind(prefix, 0) == 0; }),
                   d_.notes.end());
  }
  annotateAndNote();
}

}  // namespace pyhang::tasks

namespace pyhang {

void analyzeTasks(Snapshot& snapshot) {
  for (size_t pi = 0; pi < snapshot.processes.size(); ++pi) {
    if (snapshot.processes[pi].tasks.empty() && snapshot.processes[pi].loops.empty()) continue;
    tasks::TaskAnalyzer(snapshot, pi).run();
  }
}

}  // namespace pyhang
