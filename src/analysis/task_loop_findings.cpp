// Event loops that can never run again, and the all-blocked finding (or note) about them.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "analysis/explainer.h"
#include "analysis/task_analysis.h"
#include "analysis/task_analyzer.h"

namespace pyhang::tasks {

namespace {

// Live: the loop's thread sleeps in its selector with no timeout although callbacks are ready.
// asyncio never does that itself (ready callbacks make it poll with a zero timeout): they were
// added from another thread without waking the loop (call_soon() instead of
// call_soon_threadsafe(), an asyncio Event, Queue or Future used from a thread), and they run
// only when something else wakes it.
bool readyButAsleep(const Process& p, const EventLoop& l) {
  if (!l.tid || !l.stateRead || l.stopping || l.readyCallbacks == 0) return false;
  return std::any_of(p.threads.begin(), p.threads.end(), [&](const Thread& t) {
    return t.tid == l.tid && t.kernelWaitKind == "poll" && t.kernelWaitNoTimeout;
  });
}

}  // namespace

// A loop that can never run again: nothing ready, no timers, no I/O but its own wake-up socket,
// not stopping, and every pending task of it waits forever. `tasks` gets its pending tasks.
bool TaskAnalyzer::loopDead(const EventLoop& l, std::vector<size_t>* tasks) const {
  const bool asleep = readyButAsleep(p_, l);
  if (!l.stateRead || l.stopping || (l.readyCallbacks > 0 && !asleep) || l.timers > 0) return false;
  // The loop's thread must be idle in its selector: stopped between two callbacks (a handle
  // popped from the ready queue, not run yet) or inside one, the loop is busy, whatever the
  // tasks' states say.
  for (const auto& t : p_.threads) {
    if (t.tid != l.tid) continue;
    const Frame* inner = nullptr;
    for (auto it = t.frames.rbegin(); it != t.frames.rend() && !inner; ++it) {
      if (it->kind == Frame::Kind::kPython) inner = &*it;
    }
    if (!inner || inner->location.function != "select" || !inner->location.file.ends_with("/selectors.py")) return false;
  }
  // Besides its own wake-up socket, only reads whose other ends this process alone holds: only
  // its tasks (all waiting) or its threads (see threadsThatCanWake) could write to them.
  for (const auto& fd : l.fds) {
    if (!fd.wakeup && (fd.peerFd < 0 || fd.write || !fd.read)) return false;
  }
  size_t n = 0;
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (t.loop != l.address || !isPending(t)) continue;
    // A task whose next step waits in the ready queue of a loop that sleeps past it.
    const bool readyAsleep = asleep && t.await && t.await->kind == "ready";
    if (!forever(t) && !closedLoopFd(p_, t) && !readyAsleep) return false;
    ++n;
    if (tasks) tasks->push_back(i);
  }
  return n > 0;
}

std::vector<std::string> TaskAnalyzer::threadsThatCanWake(int64_t loopTid) const {
  // Any thread that is not blocked forever, other than the threads of loops that are dead
  // themselves.
  const WaitGraph& g = graph_;
  size_t pi = static_cast<size_t>(&p_ - &snap_.processes[0]);
  std::set<int64_t> deadLoops;
  for (const auto& l : p_.loops) {
    if (l.tid && loopDead(l, nullptr)) deadLoops.insert(l.tid);
  }
  // A thread can still act when it does not wait forever, or when what it waits for can still
  // act (asyncio's waitpid thread joining a child that sleeps; a lock whose holder is in I/O):
  // followed through the wait graph's edges, each unit once.
  std::map<UnitId, size_t> unitIndex;
  for (size_t i = 0; i < g.units.size(); ++i) unitIndex[g.units[i].id] = i;
  auto canMove = [&](size_t start) {
    std::vector<bool> seen(g.units.size(), false);
    std::vector<size_t> todo{start};
    seen[start] = true;
    while (!todo.empty()) {
      const UnitState& v = g.units[todo.back()];
      todo.pop_back();
      const Process& q = snap_.processes[v.id.process];
      if (&q == &p_ && deadLoops.count(q.threads[v.id.thread].tid)) continue;
      if (!v.blockedForever()) return true;
      for (const auto& e : v.edges) {
        auto it = unitIndex.find(e.to);
        if (it != unitIndex.end() && !seen[it->second]) {
          seen[it->second] = true;
          todo.push_back(it->second);
        }
      }
    }
    return false;
  };
  auto threadCanWake = [&](const Thread& t) {
    if (deadLoops.count(t.tid)) return false;
    for (size_t i = 0; i < g.units.size(); ++i) {
      const UnitState& u = g.units[i];
      if (u.id.process == pi && &p_.threads[u.id.thread] == &t) return canMove(i);
    }
    return true;
  };
  std::vector<std::string> wakers;
  for (const auto& t : p_.threads) {
    if (t.tid != loopTid && threadCanWake(t)) wakers.push_back(threadLabel(snap_, p_, t.tid));
  }
  return wakers;
}

void TaskAnalyzer::reportLoops() {
  for (const auto& l : p_.loops) {
    std::vector<size_t> tasks;
    if (!l.tid || !loopDead(l, &tasks)) continue;
    std::vector<std::string> wakers = threadsThatCanWake(l.tid);
    std::vector<std::string> closed;
    for (const auto& fd : l.fds) {
      if (!fd.wakeup && closed.size() < 4) closed.push_back(fmt::format("fd {} (its other end: fd {})", fd.fd, fd.peerFd));
    }
    const std::string io = closed.empty() ? std::string("no I/O besides its own wake-up socket")
                                          : fmt::format("no I/O besides its own wake-up socket and reads from {}, whose other "
                                                        "ends only this process holds", fmt::join(closed, ", "));
    const bool asleep = readyButAsleep(p_, l);
    const std::string ready =
        asleep ? fmt::format("{} ready callback{} added from another thread without waking it (call_soon() instead of "
                             "call_soon_threadsafe(), or an asyncio object used from a thread), which run only once "
                             "something wakes it",
                             l.readyCallbacks, l.readyCallbacks == 1 ? "" : "s")
               : std::string("no ready callbacks");
    std::string nothing = fmt::format("has nothing else to run: {}, no timers, {}", ready, io);
    if (!wakers.empty()) {
      deadLoopTids_.insert(l.tid);  // said here: no second note about it
      d_.notes.push_back(fmt::format("The event loop in {} {}; only another thread could still wake it "
                                     "(call_soon_threadsafe{}): {}.",
                                     threadLabel(snap_, p_, l.tid), nothing,
                                     closed.empty() ? "" : ", or a write through one of those other ends",
                                     fmt::join(wakers, ", ")));
      continue;
    }
    deadLoopTids_.insert(l.tid);
    // Findings that already explain some of its tasks get the loop's state as their last line.
    std::set<size_t> covered;
    for (size_t i : tasks) {
      auto it = findingOfTask_.find(i);
      if (it != findingOfTask_.end()) covered.insert(it->second);
    }
    if (!covered.empty()) {
      Finding& f = d_.findings[*covered.begin()];
      auto pos = std::find_if(f.lines.begin(), f.lines.end(),
                              [](const std::string& line) { return line.rfind("Stuck behind it:", 0) == 0; });
      f.lines.insert(pos, fmt::format("  The event loop in {} {}: the program can never make progress.",
                                      threadLabel(snap_, p_, l.tid), nothing));
      continue;
    }
    Finding f;
    f.kind = "all-blocked";
    f.lines.push_back(fmt::format("Found a hang (all tasks blocked): the event loop in {} can never run again.",
                                  threadLabel(snap_, p_, l.tid)));
    if (asleep) {
      f.lines.push_back(fmt::format("  Its thread sleeps in the selector with no timeout although {} callback{} {} ready: added from",
                                    l.readyCallbacks, l.readyCallbacks == 1 ? "" : "s", l.readyCallbacks == 1 ? "is" : "are"));
      f.lines.push_back("  another thread without waking the loop (call_soon() instead of call_soon_threadsafe(), or an");
      f.lines.push_back("  asyncio Event, Queue or Future used from a thread), they run only once something wakes it.");
    }
    const std::string noReady = asleep ? "no other way to wake" : "no ready callbacks";
    f.lines.push_back(closed.empty() ? fmt::format("  It has {}, no timers and watches no I/O besides its own wake-up socket,", noReady)
                                     : fmt::format("  It has {}, no timers, and watches only its own wake-up socket and {}, "
                                                   "whose other ends only this process holds,", noReady, fmt::join(closed, ", ")));
    f.lines.push_back(tasks.size() == 1 ? std::string("  and its only task waits:")
                                        : fmt::format("  and each of its {} tasks waits:", tasks.size()));
    size_t shown = 0;
    std::vector<Participant> workers;  // executor threads the tasks wait for, after the tasks
    for (size_t i : tasks) {
      const Task& t = p_.tasks[i];
      f.participants.push_back(participant(i, true));
      involved_.insert(i);
      // The executor's thread a task waits for is part of the hang (its wait gets the calls that
      // would end it), listed or not.
      if (t.await && t.await->kind == "executor" && t.await->workerTid) {
        for (const auto& u : graph_.units) {
          if (&snap_.processes[u.id.process] != &p_ || p_.threads[u.id.thread].tid != t.await->workerTid) continue;
          workers.push_back(threadPart(u, "", ""));
        }
      }
      if (++shown > kMaxListedTasks) continue;
      f.lines.push_back(fmt::format("  {} {}", taskLabel(t), taskWaitPhrase(p_, t)));
      f.lines.push_back(fmt::format("      {}", atPhrase(t)));
      if (t.await && (t.await->kind == "lock" || t.await->kind == "semaphore")) {
        auto held = holders_.find(asyncLockOf(p_, t.await->object));
        if (held == holders_.end()) {
          f.lines.push_back("    which no pending task is known to hold");
        } else if (held->second.size() == 1) {
          f.lines.push_back(fmt::format("    which {} holds", taskLabel(p_.tasks[held->second.front().task])));
        }
      }
      if (t.await && t.await->kind == "executor" && t.await->workerTid) {
        f.lines.push_back(fmt::format("    and {} waits forever itself (see its traceback)",
                                      threadLabel(snap_, p_, t.await->workerTid)));
      }
    }
    for (auto& w : workers) {
      if (std::none_of(f.participants.begin(), f.participants.end(),
                       [&](const Participant& x) { return x.task.empty() && x.tid == w.tid; })) {
        f.participants.push_back(std::move(w));
      }
    }
    if (shown > kMaxListedTasks) {
      f.lines.push_back(fmt::format("  ... and {} more tasks (all listed in the task tree above).", shown - kMaxListedTasks));
    }
    f.lines.push_back(asleep ? "  What would let them go on is queued, but nothing will wake the loop to run it."
                             : "  Each waits without a timeout for something that only another task could do.");
    const std::string loopThread = threadLabel(snap_, p_, l.tid);
    if (asleep) {
      f.summary = fmt::format("the event loop in {} sleeps past {} ready callback{} that another thread added without waking it",
                              loopThread, l.readyCallbacks, l.readyCallbacks == 1 ? "" : "s");
    } else if (tasks.size() == 1) {
      f.summary = fmt::format("the event loop in {} can never run again: its only task waits and nothing can wake it", loopThread);
    } else {
      f.summary = fmt::format("the event loop in {} can never run again: all {} tasks wait and nothing can wake them", loopThread,
                              tasks.size());
    }
    d_.findings.push_back(std::move(f));
  }
}

}  // namespace pyhang::tasks
