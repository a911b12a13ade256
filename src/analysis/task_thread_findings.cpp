#include <fmt/format.h>

#include <algorithm>

#include "analysis/explainer.h"
#include "analysis/task_analysis.h"
#include "analysis/task_analyzer.h"

namespace pyhang::tasks {

std::string TaskAnalyzer::threadWait(const UnitState& u) const {
  const Thread& t = p_.threads[u.id.thread];
  const Frame* at = u.atFrame < t.frames.size() ? &t.frames[u.atFrame] : nullptr;
  uint64_t obj = u.wait->op == WaitOp::kAcquire && u.waitLock ? u.waitLock : u.wait->object;
  std::string label = objectLabel(p_, obj, at);
  switch (u.wait->op) {
    case WaitOp::kAcquire:
      return "waits to acquire " + label;
    case WaitOp::kFutureResult:
      return "waits for the result of future " + label;
    case WaitOp::kJoin: {
      const SyncObject* o = objectOf(p_, u.wait->object);
      std::string name = o && !o->threadName.empty() ? o->threadName : "a thread";
      return fmt::format("waits for {} to finish", name);
    }
    default:
      return fmt::format("waits ({}) for {}", waitOpName(u.wait->op), label);
  }
}

std::string TaskAnalyzer::threadAt(const UnitState& u) const {
  const Thread& t = p_.threads[u.id.thread];
  if (u.atFrame >= t.frames.size()) return "";
  const Frame& f = t.frames[u.atFrame];
  std::string s = "at " + where(f);
  if (!f.sourceLine.empty()) s += fmt::format(" ({})", f.sourceLine);
  return s;
}

Participant TaskAnalyzer::threadPart(const UnitState& u, const std::string& task,
                                     const std::string& heldBy) const {
  const Thread& t = p_.threads[u.id.thread];
  Participant part;
  part.pid = p_.pid;
  part.process = p_.name;
  part.tid = t.tid;
  part.thread = t.name;
  part.task = task;
  if (u.atFrame < t.frames.size()) part.at = t.frames[u.atFrame].location;
  part.waitsFor = u.wait;
  part.holds = explain::holdsWithSince(t, u);
  part.heldBy = heldBy;
  return part;
}

// Threads that join a loop thread whose asyncio.run()/run_until_complete() task can never finish
// (it is part of a finding, or stuck behind one) are stuck behind that finding too.
void TaskAnalyzer::reportThreadsBehindTasks() {
  size_t pi = static_cast<size_t>(&p_ - &snap_.processes[0]);
  for (const auto& u : graph_.units) {
    if (u.id.process != pi || !u.blockedForever()) continue;
    for (const auto& e : u.edges) {
      if (e.to.process != pi || e.to.thread >= p_.threads.size()) continue;
      const Thread& target = p_.threads[e.to.thread];
      uint64_t mainTask = 0;
      for (const auto& f : target.frames) {
        if (f.location.function != "run_until_complete" ||
            f.location.file.find("/asyncio/") == std::string::npos)
          continue;
        for (const auto& v : f.arguments) {
          if (v.name == "future") mainTask = v.address;
        }
      }
      auto ti = byAddr_.find(mainTask);
      if (!mainTask || ti == byAddr_.end()) continue;
      auto fi = findingOfTask_.find(ti->second);
      if (fi == findingOfTask_.end() || fi->second >= d_.findings.size()) continue;
      Finding& f = d_.findings[fi->second];
      const Thread& t = p_.threads[u.id.thread];
      bool already =
          std::any_of(f.bystanders.begin(), f.bystanders.end(),
                      [&](const Participant& b) { return b.tid == t.tid && b.task.empty(); }) ||
          std::any_of(f.participants.begin(), f.participants.end(),
                      [&](const Participant& b) { return b.tid == t.tid && b.task.empty(); });
      if (already) break;
      f.lines.push_back(
          fmt::format("Stuck behind it: {} {} {}: {} runs its event loop until {} finishes.",
                      threadLabel(snap_, p_, t.tid), threadWait(u), threadAt(u),
                      threadLabel(snap_, p_, target.tid), taskLabel(p_.tasks[ti->second])));
      f.bystanders.push_back(threadPart(u, "", threadLabel(snap_, p_, target.tid)));
      std::string prefix = threadLabel(snap_, p_, t.tid) + " ";
      d_.notes.erase(std::remove_if(d_.notes.begin(), d_.notes.end(),
                                    [&](const std::string& n) { return n.rfind(prefix, 0) == 0; }),
                     d_.notes.end());
      break;
    }
  }
}

void TaskAnalyzer::reportThreadsafeCycles() {
  size_t pi = static_cast<size_t>(&p_ - &snap_.processes[0]);
  auto unitOfTid = [&](int64_t tid) -> const UnitState* {
    for (const auto& u : graph_.units) {
      if (u.id.process == pi && p_.threads[u.id.thread].tid == tid) return &u;
    }
    return nullptr;
  };
  for (const auto& u : graph_.units) {
    if (u.id.process != pi || !u.blockedForever() || u.wait->op != WaitOp::kFutureResult) continue;
    const uint64_t fut = u.wait->object;
    int64_t loopTid = 0;
    std::string owes;
    for (const auto& l : p_.loops) {
      if (std::find(l.threadsafeFutures.begin(), l.threadsafeFutures.end(), fut) !=
          l.threadsafeFutures.end()) {
        loopTid = l.tid;
        owes =
            "run_coroutine_threadsafe() queued its coroutine there, and the loop has not started "
            "it";
      }
    }
    for (const auto& t : p_.tasks) {
      if (std::find(t.completesFutures.begin(), t.completesFutures.end(), fut) !=
          t.completesFutures.end()) {
        loopTid = t.tid;
        owes = fmt::format("it is the result of {}, which runs there", taskLabel(t));
      }
    }
    const UnitState* lu = loopTid ? unitOfTid(loopTid) : nullptr;
    if (!lu || lu == &u || !lu->blockedForever()) continue;
    // A cycle through the loop's thread that the threads' analysis found already (the wait
    // graph links such a future to the loop's thread) says it.
    const int64_t waiterTid = p_.threads[u.id.thread].tid;
    if (std::any_of(d_.findings.begin(), d_.findings.end(), [&](const Finding& g) {
          return g.kind != "all-blocked" &&
                 std::any_of(g.participants.begin(), g.participants.end(),
                             [&](const Participant& q) {
                               return q.pid == p_.pid && q.tid == waiterTid && q.task.empty();
                             });
        })) {
      continue;
    }
    bool back = std::any_of(lu->edges.begin(), lu->edges.end(),
                            [&](const Edge& e) { return e.to == u.id; });
    if (!back) continue;
    const Thread& waiter = p_.threads[u.id.thread];
    const Thread& loopThread = p_.threads[lu->id.thread];
    const Task* running = nullptr;
    for (const auto& t : p_.tasks) {
      if (t.tid == loopTid && t.state == "running") running = &t;
    }
    Finding f;
    f.kind = "join-cycle";
    f.lines.push_back(
        fmt::format("Found a deadlock (join cycle) between {} and the event loop in {}:",
                    threadLabel(snap_, p_, waiter.tid), threadLabel(snap_, p_, loopThread.tid)));
    f.lines.push_back(fmt::format("  {} {}", threadLabel(snap_, p_, waiter.tid), threadWait(u)));
    f.lines.push_back(fmt::format("      {}", threadAt(u)));
    f.lines.push_back(fmt::format("    which only the event loop in {} can complete: {}",
                                  threadLabel(snap_, p_, loopThread.tid), owes));
    f.lines.push_back(
        fmt::format("  {} {}", threadLabel(snap_, p_, loopThread.tid), threadWait(*lu)));
    f.lines.push_back(fmt::format("      {}", threadAt(*lu)));
    if (running) {
      f.lines.push_back(
          fmt::format("      inside {}: a coroutine that blocks the loop's thread stops every task "
                      "and callback of the loop",
                      taskLabel(*running)));
    }
    std::string since;
    for (const auto& h : u.holds) {
      if (h.lock == lu->waitLock && h.frameIndex < waiter.frames.size())
        since = " since " + where(waiter.frames[h.frameIndex], h.line);
    }
    f.lines.push_back(
        fmt::format("    which is held by {}{}", threadLabel(snap_, p_, waiter.tid), since));
    f.summary =
        fmt::format("{} waits for the event loop in {}, whose thread waits for {}",
                    threadLabel(snap_, p_, waiter.tid), threadLabel(snap_, p_, loopThread.tid),
                    threadLabel(snap_, p_, waiter.tid));
    f.participants.push_back(threadPart(
        u, "", fmt::format("the event loop in {}", threadLabel(snap_, p_, loopThread.tid))));
    f.participants.push_back(
        threadPart(*lu, running ? running->name : "", threadLabel(snap_, p_, waiter.tid)));
    // This explains the two threads better than "all threads blocked": replace that finding.
    std::set<int64_t> ours{waiter.tid, loopThread.tid};
    d_.findings.erase(std::remove_if(d_.findings.begin(), d_.findings.end(),
                                     [&](const Finding& g) {
                                       if (g.kind != "all-blocked" || g.participants.empty())
                                         return false;
                                       return std::all_of(
                                           g.participants.begin(), g.participants.end(),
                                           [&](const Participant& q) {
                                             return q.task.empty() && q.pid == p_.pid &&
                                                    ours.count(q.tid);
                                           });
                                     }),
                      d_.findings.end());
    if (running) {
      for (size_t i = 0; i < p_.tasks.size(); ++i) {
        if (&p_.tasks[i] == running) involved_.insert(i);
      }
    }
    blockedLoopTids_.insert(loopThread.tid);
    d_.findings.push_back(std::move(f));
  }
}

}  // namespace pyhang::tasks
