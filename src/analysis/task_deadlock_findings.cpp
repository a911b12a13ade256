// Task findings that are deadlocks: cycles between tasks (await, lock-order, join), a task that
// waits for a lock it holds, a lock held by a task that has finished, and the tasks stuck
// behind them.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "analysis/explainer.h"
#include "analysis/task_analysis.h"
#include "analysis/task_analyzer.h"

namespace pyhang::tasks {

using explain::baseName;

void TaskAnalyzer::reportCycle(std::vector<size_t> cycle, const std::vector<size_t>& siblings) {
  const bool merged = siblings.size() > 1 && cycle.size() >= 2;
  if (!merged) std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  auto edgeTo = [&](size_t from, size_t to) -> const TEdge* {
    for (const auto& e : edges_[from]) {
      if (e.to == to) return &e;
    }
    return nullptr;
  };
  bool anyLock = false, anyAwait = false;
  for (size_t k = 0; k < cycle.size(); ++k) {
    const TEdge* e = edgeTo(cycle[k], cycle[(k + 1) % cycle.size()]);
    if (!e) continue;
    (e->viaLock ? anyLock : anyAwait) = true;
  }
  // The tasks in order, with the hub's siblings in the place of the one after the hub.
  std::vector<size_t> members;
  for (size_t k = 0; k < cycle.size(); ++k) {
    if (merged && k == 1) {
      members.insert(members.end(), siblings.begin(), siblings.end());
    } else {
      members.push_back(cycle[k]);
    }
  }
  Finding f;
  const Task& first = p_.tasks[cycle.front()];
  if (cycle.size() == 1 && anyAwait && !anyLock) {
    // A task awaiting itself (asyncio refuses it; seen only in damaged data).
    f.kind = "await-cycle";
    f.lines.push_back(fmt::format("Found a deadlock (await cycle) in {} of {}:", taskLabel(first), loopPhrase(snap_, p_, first.tid)));
    f.lines.push_back(fmt::format("  {} {}", taskLabel(first), taskWaitPhrase(p_, first)));
    f.lines.push_back(fmt::format("      {}", atPhrase(first)));
    f.lines.push_back("  A task that awaits itself can never finish.");
    f.summary = fmt::format("{} awaits itself", taskLabel(first));
  } else if (cycle.size() == 1) {
    f.kind = "self-deadlock";
    const TaskAwait& a = *first.await;
    uint64_t lock = asyncLockOf(p_, a.object);
    const Holder* h = holdOf(cycle.front(), lock);
    f.lines.push_back(fmt::format("Found a deadlock (self-deadlock) in {} of {}:", taskLabel(first),
                                  loopPhrase(snap_, p_, first.tid)));
    f.lines.push_back(fmt::format("  {} {}", taskLabel(first), taskWaitPhrase(p_, first)));
    f.lines.push_back(fmt::format("      {}", atPhrase(first)));
    if (a.frameIndex + 1 < first.frames.size()) {
      std::vector<std::string> chain;
      for (size_t k = a.frameIndex + 1; k < first.frames.size(); ++k) {
        const Frame& fr = first.frames[k];
        chain.push_back(fmt::format("{} ({}:{})", fr.location.function, baseName(fr.location.file), fr.location.line));
      }
      f.lines.push_back(fmt::format("      inside {}", fmt::join(chain, " -> ")));
    }
    if (h) {
      bool inferred = h->hold.how.rfind("acquire()", 0) == 0;
      f.lines.push_back(fmt::format("    which it already holds itself {}{}", since(*h), inferred ? "" : " (" + h->hold.how + ")"));
      if (h->frame < a.frameIndex && a.frameIndex < first.frames.size()) {
        std::vector<std::string> calls;
        for (size_t k = h->frame + 1; k <= a.frameIndex; ++k) calls.push_back(first.frames[k].location.function);
        f.lines.push_back(fmt::format("      and, still holding it, awaited {}", fmt::join(calls, " -> ")));
      }
    }
    const SyncObject* o = objectOf(p_, lock);
    bool sem = o && o->kind == ObjectKind::kAsyncSemaphore;
    f.lines.push_back(sem ? "  The semaphore has no unit left and only this task could release one: it waits forever."
                          : "  An asyncio.Lock is not re-entrant: the task can never get it (release it first, or take it once).");
    f.summary = fmt::format("{} waits for {} {}, which it already holds", taskLabel(first),
                            sem ? "asyncio.Semaphore" : "asyncio.Lock", shortObjectName(p_, lock));
  } else {
    const char* title = anyLock && anyAwait ? "join cycle" : anyLock ? "lock-order cycle" : "await cycle";
    f.kind = anyLock && anyAwait ? "join-cycle" : anyLock ? "lock-order-cycle" : "await-cycle";
    f.lines.push_back(header(title, members.size(), first));
    for (size_t m = 0; m < members.size(); ++m) {
      size_t i = members[m];
      // Who this task waits for in the cycle: the hub waits for all siblings; a sibling (or any
      // other member) for the member after it, with the siblings counted as one position.
      size_t k = merged ? (m == 0 ? 0 : m <= siblings.size() ? 1 : m - siblings.size() + 1) : m;
      size_t next = cycle[(k + 1) % cycle.size()];
      const Task& t = p_.tasks[i];
      f.lines.push_back(fmt::format("  {} {}", taskLabel(t), taskWaitPhrase(p_, t)));
      f.lines.push_back(fmt::format("      {}", atPhrase(t)));
      if (merged && m == 0) continue;  // the hub: its phrase names the tasks it waits for
      const TEdge* e = edgeTo(i, next);
      if (e && e->viaLock) {
        const Holder* h = holdOf(next, e->object);
        f.lines.push_back(fmt::format("    which is held by {} {}", taskLabel(p_.tasks[next]), h ? since(*h) : ""));
      } else if (e && t.await && t.await->kind != "task") {
        f.lines.push_back(fmt::format("    which needs {} to finish", taskLabel(p_.tasks[next])));
      }
    }
    if (f.kind == "await-cycle") {
      f.lines.push_back("  Each task awaits the next one to finish, and the last awaits the first: none can ever finish.");
      f.summary = fmt::format("{} tasks await each other in a cycle", members.size());
    } else if (f.kind == "lock-order-cycle") {
      f.summary = fmt::format("{} tasks wait for each other's asyncio locks in a lock-order cycle", members.size());
    } else {
      f.lines.push_back("  A task that holds a lock while it awaits another task that needs the same lock can never finish.");
      f.summary = fmt::format("{} tasks wait for each other in a join cycle (a lock holder awaits a task that needs the lock)",
                              members.size());
    }
  }
  std::set<size_t> memberSet(members.begin(), members.end());
  for (size_t i : members) {
    f.participants.push_back(participant(i, true));
    involved_.insert(i);
  }
  // A lock hold inferred from the source (an `await lock.acquire()` with no release() after it,
  // perhaps under an `if` that did not run) decides nothing while the loop can still run
  // something else: a timer, a ready callback, a task that may hold or release the lock.
  for (size_t k = 0; k < cycle.size() && f.unconfirmedBecause.empty(); ++k) {
    size_t next = cycle[(k + 1) % cycle.size()];
    const TEdge* e = edgeTo(cycle[k], next);
    const Holder* h = e && e->viaLock ? holdOf(next, e->object) : nullptr;
    if (!h || !h->hold.doubtful) continue;
    for (const auto& l : p_.loops) {
      if (l.address != first.loop || !l.stateRead || (l.timers == 0 && l.readyCallbacks == 0)) continue;
      f.unconfirmedBecause = fmt::format("it rests on an acquire() by {} inferred from the source {}, and its event loop "
                                         "still has {} (something else may hold or release that lock)",
                                         taskLabel(p_.tasks[next]), since(*h),
                                         l.timers ? fmt::format("{} timer{}", l.timers, l.timers == 1 ? "" : "s")
                                                  : "ready callbacks");
    }
  }
  // A task waiting again for an asyncio.Lock or Semaphore it took with acquire(): neither has an
  // owner, and another task may release it for this one (a send credit an ack reader gives back),
  // so it stands only while nothing else in the loop can run (no timer, ready callback or I/O).
  if (f.unconfirmedBecause.empty() && f.kind == "self-deadlock") {
    const TaskAwait& a = *first.await;
    const Holder* h = holdOf(cycle.front(), asyncLockOf(p_, a.object));
    for (const auto& l : p_.loops) {
      if (!h || h->hold.how.rfind("acquire()", 0) != 0 || l.address != first.loop || !l.stateRead) continue;
      size_t io = std::count_if(l.fds.begin(), l.fds.end(), [](const LoopFd& fd) { return !fd.wakeup; });
      if (l.timers == 0 && l.readyCallbacks == 0 && io == 0) continue;
      std::string what = l.timers ? fmt::format("{} timer{}", l.timers, l.timers == 1 ? "" : "s")
                         : l.readyCallbacks ? std::string("ready callbacks")
                                            : fmt::format("I/O on {} file descriptor{}", io, io == 1 ? "" : "s");
      f.unconfirmedBecause = fmt::format("it rests on a hold {}; an asyncio lock has no owner (another task may "
                                         "release it for this one) and the event loop still has {}",
                                         since(*h), what);
    }
  }
  if (!f.unconfirmedBecause.empty()) {
    d_.unconfirmed.push_back(std::move(f));
    return;
  }
  reportBystanders(f, memberSet);
  for (size_t i : memberSet) findingOfTask_.emplace(i, d_.findings.size());
  d_.findings.push_back(std::move(f));
}

void TaskAnalyzer::reportBystanders(Finding& f, const std::set<size_t>& members) {
  // Breadth-first over the reversed edges: who waits (transitively) for a member.
  if (reverse_.size() != edges_.size()) {
    reverse_.assign(edges_.size(), {});
    for (size_t i = 0; i < edges_.size(); ++i) {
      for (const auto& e : edges_[i]) {
        if (e.to < reverse_.size()) reverse_[e.to].push_back(i);
      }
    }
  }
  std::set<size_t> behind;
  std::vector<size_t> queue(members.begin(), members.end());
  for (size_t q = 0; q < queue.size(); ++q) {
    for (size_t i : reverse_[queue[q]]) {
      if (members.count(i) || behind.count(i) || involved_.count(i) || !forever(p_.tasks[i])) continue;
      behind.insert(i);
      queue.push_back(i);
    }
  }
  for (size_t i : behind) {
    const Task& t = p_.tasks[i];
    f.lines.push_back(fmt::format("Stuck behind it: {} {} {}.", taskLabel(t), taskWaitPhrase(p_, t), atPhrase(t)));
    f.bystanders.push_back(participant(i, false));
    involved_.insert(i);
    findingOfTask_.emplace(i, d_.findings.size());
  }
}

void TaskAnalyzer::reportFinishedHolders() {
  // Tasks waiting forever for one asyncio lock that is locked and held by no pending task, in
  // the order of the tasks; the tasks waiting for one lock share a finding.
  std::vector<std::pair<uint64_t, std::vector<size_t>>> groups;
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (involved_.count(i) || !forever(t) || (t.await->kind != "lock" && t.await->kind != "semaphore")) continue;
    uint64_t lock = asyncLockOf(p_, t.await->object);
    const SyncObject* o = objectOf(p_, lock);
    if (!o || !o->locked.value_or(false) || holders_.count(lock)) continue;
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == lock; });
    if (g == groups.end()) groups.push_back({lock, {i}});
    else g->second.push_back(i);
  }
  // Finished tasks known from evidence; those whose coroutine calls acquire() first.
  std::vector<const Task*> finished, acquirers;
  for (const auto& ft : p_.tasks) {
    if (ft.address != 0 || ft.state != "finished") continue;
    finished.push_back(&ft);
    if (!ft.acquireLines.empty()) acquirers.push_back(&ft);
  }
  const std::vector<const Task*>& who = acquirers.empty() ? finished : acquirers;
  for (const auto& [lock, waiters] : groups) {
    const size_t i = waiters.front();
    const Task& t = p_.tasks[i];
    const SyncObject* o = objectOf(p_, lock);
    const EventLoop* loop = nullptr;
    for (const auto& l : p_.loops) {
      if (l.address == t.loop) loop = &l;
    }
    bool dead = loop && loopDead(*loop, nullptr);
    if (who.empty() && !dead) continue;
    Finding f;
    f.kind = "held-by-finished-task";
    f.lines.push_back(fmt::format("Found a deadlock (lock held by a task that has finished) in {}:",
                                  loopPhrase(snap_, p_, t.tid)));
    f.lines.push_back(fmt::format("  {} {}", taskLabel(t), taskWaitPhrase(p_, t)));
    f.lines.push_back(fmt::format("      {}", atPhrase(t)));
    std::string lockName = (o->kind == ObjectKind::kAsyncSemaphore ? "asyncio.Semaphore " : "asyncio.Lock ") +
                           shortObjectName(p_, lock);
    if (who.size() == 1) {
      const Task& ft = *who.front();
      std::string how;
      if (!ft.acquireLines.empty()) {
        how = fmt::format(" acquired it with acquire() at {}:{} in {}", baseName(ft.definedAt.file), ft.acquireLines.front(),
                          ft.definedAt.function);
      } else {
        how = " most likely acquired it";
      }
      f.lines.push_back(fmt::format("    which no pending task holds: {}{}", taskLabel(ft), how));
      std::string exc = ft.exception.empty() ? "" : fmt::format(" with {}", ft.exception);
      f.lines.push_back(fmt::format("    and has finished{} without releasing it{}.", exc,
                                    ft.evidence.empty() ? "" : fmt::format(" ({})", ft.evidence)));
      f.summary = fmt::format("{} waits for {}, held by {} which has finished{}", taskLabel(t), lockName,
                              taskLabel(ft), exc);
    } else if (!who.empty()) {
      std::vector<std::string> names;
      for (const Task* ft : who) {
        names.push_back(ft->exception.empty() ? taskLabel(*ft) : fmt::format("{} ({})", taskLabel(*ft), ft->exception));
      }
      f.lines.push_back("    which no pending task holds; it was most likely taken with acquire() by one of the tasks");
      f.lines.push_back(fmt::format("    that have finished without releasing it (inferred): {}.", fmt::join(names, ", ")));
      f.summary = fmt::format("{} waits for {}, held by a task that has finished", taskLabel(t), lockName);
    } else {
      // An asyncio lock records no owner: a coroutine that returned without release() may have
      // run in a task that has finished, or been awaited by a task that still waits.
      f.lines.push_back("    which no pending task holds through `async with`: it was most likely taken with acquire() by");
      f.lines.push_back("    code that returned without release(), in a task that has finished (it is gone from memory)");
      f.lines.push_back("    or in a coroutine that a waiting task awaited earlier.");
      f.summary = fmt::format("{} waits for {}, which no pending task holds", taskLabel(t), lockName);
    }
    for (size_t k = 1; k < waiters.size(); ++k) {
      const Task& other = p_.tasks[waiters[k]];
      f.lines.push_back(fmt::format("  {} waits for the same lock", taskLabel(other)));
      f.lines.push_back(fmt::format("      {}", atPhrase(other)));
    }
    for (size_t w : waiters) f.participants.push_back(participant(w, true));
    // An asyncio lock has no owner: any code that runs in the loop may release it, and another
    // thread can have the loop run such code (call_soon_threadsafe, a threading.Timer lease).
    if (auto wakers = threadsThatCanWake(t.tid); !wakers.empty()) {
      f.unconfirmedBecause = fmt::format("an asyncio lock has no owner, and another thread could still have the "
                                         "loop release it (call_soon_threadsafe): {}",
                                         fmt::join(wakers, ", "));
      d_.unconfirmed.push_back(std::move(f));
      continue;
    }
    std::set<size_t> members(waiters.begin(), waiters.end());
    involved_.insert(members.begin(), members.end());
    reportBystanders(f, members);
    for (size_t w : waiters) findingOfTask_.emplace(w, d_.findings.size());
    d_.findings.push_back(std::move(f));
  }
}

}  // namespace pyhang::tasks
