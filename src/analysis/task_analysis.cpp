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

using explain::baseName;

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

// A loop that can never run again: nothing ready, no timers, no I/O but its own wake-up socket,
// not stopping, and every pending task of it waits forever. `tasks` gets its pending tasks.
bool TaskAnalyzer::loopDead(const EventLoop& l, std::vector<size_t>* tasks) const {
  if (!l.stateRead || l.stopping || l.readyCallbacks > 0 || l.timers > 0) return false;
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
  for (const auto& fd : l.fds) {
    if (!fd.wakeup) return false;
  }
  size_t n = 0;
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (t.loop != l.address || !isPending(t)) continue;
    if (!forever(t)) return false;
    ++n;
    if (tasks) tasks->push_back(i);
  }
  return n > 0;
}

void TaskAnalyzer::reportFinishedHolders() {
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (involved_.count(i) || !forever(t) || (t.await->kind != "lock" && t.await->kind != "semaphore")) continue;
    uint64_t lock = asyncLockOf(p_, t.await->object);
    const SyncObject* o = objectOf(p_, lock);
    if (!o || !o->locked.value_or(false) || holders_.count(lock)) continue;
    // Finished tasks known from evidence; those whose coroutine calls acquire() first.
    std::vector<const Task*> finished, acquirers;
    for (const auto& ft : p_.tasks) {
      if (ft.address != 0 || ft.state != "finished") continue;
      finished.push_back(&ft);
      if (!ft.acquireLines.empty()) acquirers.push_back(&ft);
    }
    const EventLoop* loop = nullptr;
    for (const auto& l : p_.loops) {
      if (l.address == t.loop) loop = &l;
    }
    bool dead = loop && loopDead(*loop, nullptr);
    const std::vector<const Task*>& who = acquirers.empty() ? finished : acquirers;
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
      f.lines.push_back("    which no pending task holds through `async with`; it was most likely taken with acquire()");
      f.lines.push_back("    by a task that has finished without releasing it (inferred: the task is gone from memory).");
      f.summary = fmt::format("{} waits for {}, which no pending task holds", taskLabel(t), lockName);
    }
    f.participants.push_back(participant(i, true));
    involved_.insert(i);
    std::set<size_t> members{i};
    reportBystanders(f, members);
    findingOfTask_.emplace(i, d_.findings.size());
    d_.findings.push_back(std::move(f));
  }
}

void TaskAnalyzer::reportLoops() {
  // Other threads that could still wake a loop (call_soon_threadsafe): any thread that is not
  // blocked forever, other than the threads of loops that are dead themselves.
  const WaitGraph& g = graph_;
  size_t pi = static_cast<size_t>(&p_ - &snap_.processes[0]);
  std::set<int64_t> candidates;
  for (const auto& l : p_.loops) {
    if (l.tid && loopDead(l, nullptr)) candidates.insert(l.tid);
  }
  auto threadCanWake = [&](const Thread& t) {
    if (candidates.count(t.tid)) return false;
    for (const auto& u : g.units) {
      if (u.id.process == pi && &p_.threads[u.id.thread] == &t) return !u.blockedForever();
    }
    return true;
  };
  for (const auto& l : p_.loops) {
    std::vector<size_t> tasks;
    if (!l.tid || !loopDead(l, &tasks)) continue;
    std::vector<std::string> wakers;
    for (const auto& t : p_.threads) {
      if (t.tid != l.tid && threadCanWake(t)) wakers.push_back(threadLabel(snap_, p_, t.tid));
    }
    std::string nothing = "has nothing else to run: no ready callbacks, no timers, no I/O besides its own wake-up socket";
    if (!wakers.empty()) {
      deadLoopTids_.insert(l.tid);  // said here: no second note about it
      d_.notes.push_back(fmt::format("The event loop in {} {}; only another thread could still wake it "
                                     "(call_soon_threadsafe): {}.",
                                     threadLabel(snap_, p_, l.tid), nothing, fmt::join(wakers, ", ")));
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
    f.lines.push_back("  It has no ready callbacks, no timers and watches no I/O besides its own wake-up socket,");
    f.lines.push_back(tasks.size() == 1 ? std::string("  and its only task waits:")
                                        : fmt::format("  and each of its {} tasks waits:", tasks.size()));
    size_t shown = 0;
    for (size_t i : tasks) {
      const Task& t = p_.tasks[i];
      f.participants.push_back(participant(i, true));
      involved_.insert(i);
      if (++shown > kMaxListedTasks) continue;
      f.lines.push_back(fmt::format("  {} {}", taskLabel(t), taskWaitPhrase(p_, t)));
      f.lines.push_back(fmt::format("      {}", atPhrase(t)));
      if (t.await && (t.await->kind == "lock" || t.await->kind == "semaphore") &&
          !holders_.count(asyncLockOf(p_, t.await->object))) {
        f.lines.push_back("    which no pending task is known to hold");
      }
      if (t.await && t.await->kind == "executor" && t.await->workerTid) {
        f.lines.push_back(fmt::format("    and {} waits forever itself (see its traceback)",
                                      threadLabel(snap_, p_, t.await->workerTid)));
      }
    }
    if (shown > kMaxListedTasks) {
      f.lines.push_back(fmt::format("  ... and {} more tasks (all listed in the task tree above).", shown - kMaxListedTasks));
    }
    f.lines.push_back("  Each waits without a timeout for something that only another task could do.");
    f.summary = tasks.size() == 1
                    ? fmt::format("the event loop in {} can never run again: its only task waits and nothing can wake it",
                                  threadLabel(snap_, p_, l.tid))
                    : fmt::format("the event loop in {} can never run again: all {} tasks wait and nothing can wake them",
                                  threadLabel(snap_, p_, l.tid), tasks.size());
    d_.findings.push_back(std::move(f));
  }
}


void TaskAnalyzer::annotateAndNote() {
  size_t noted = 0, skipped = 0;
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (!isPending(t)) continue;
    if (t.await && t.await->frameIndex < t.frames.size()) {
      std::string text = taskWaitPhrase(p_, t);
      if (t.await->kind == "running" && blockedThreads_.count(t.tid)) {
        text = "is running, and blocks its event loop's thread (see the thread's traceback): no other task can run";
      }
      if (text.rfind("waits ", 0) == 0) text = "waiting " + text.substr(6);
      else if (text.rfind("awaits ", 0) == 0) text = "awaiting " + text.substr(7);
      else if (text.rfind("sleeps", 0) == 0) text = "sleeping" + text.substr(6);
      if (!edges_[i].empty() && edges_[i].front().viaLock) {
        std::vector<std::string> hs;
        for (const auto& e : edges_[i]) hs.push_back(e.to == i ? "itself" : taskLabel(p_.tasks[e.to]));
        text += fmt::format(", held by {}", fmt::join(hs, ", "));
      }
      d_.annotations.push_back(Annotation{p_.pid, t.tid, t.await->frameIndex, text, t.address});
    }
    for (size_t fi = 0; fi < t.frames.size(); ++fi) {
      for (const auto& h : t.frames[fi].holds) {
        if (objectOf(p_, h.object) == nullptr) continue;
        std::string text = fmt::format("holds {}", objectLabel(p_, h.object, &t.frames[fi]));
        if (h.line) text += fmt::format(" since line {}", h.line);
        if (h.how == "async with") text += " (async with)";
        else if (h.how.rfind("acquire()", 0) == 0) text += " (taken with acquire(), inferred from the source)";
        d_.annotations.push_back(Annotation{p_.pid, t.tid, fi, text, t.address});
      }
    }
    if (involved_.count(i)) continue;
    if (noted >= kMaxTaskNotes) {
      ++skipped;
      continue;
    }
    std::string at = atPhrase(t);
    d_.notes.push_back(fmt::format("{} {}{}.", taskLabel(t), taskWaitPhrase(p_, t), at.empty() ? "" : " " + at));
    ++noted;
  }
  if (skipped) d_.notes.push_back(fmt::format("... and {} more tasks.", skipped));
  // What each running loop is doing, when it is not dead.
  for (const auto& l : p_.loops) {
    if (!l.tid || deadLoopTids_.count(l.tid) || !l.stateRead) continue;
    if (const Thread* th = threadOf(p_, l.tid); th && !th->frames.empty() &&
        th->frames.back().location.file.find("/selectors.py") == std::string::npos) {
      // The loop's thread is not waiting in the selector: a callback or coroutine runs (or blocks).
      if (blockedLoopTids_.count(l.tid) || blockedThreads_.count(l.tid)) {
        d_.notes.push_back(fmt::format("The event loop in {} cannot run: its thread is blocked inside a coroutine or "
                                       "callback ({} ready callback{}).",
                                       threadLabel(snap_, p_, l.tid), l.readyCallbacks, l.readyCallbacks == 1 ? " waits" : "s wait"));
        continue;
      }
    }
    size_t pending = 0;
    for (const auto& t : p_.tasks) pending += t.loop == l.address && isPending(t);
    std::vector<std::string> parts;
    if (l.readyCallbacks) parts.push_back(fmt::format("{} ready callback{}", l.readyCallbacks, l.readyCallbacks == 1 ? "" : "s"));
    if (l.timers) {
      std::string next = l.nextTimerIn ? fmt::format(", the next in {}", fmtSeconds(*l.nextTimerIn)) : "";
      parts.push_back(fmt::format("{} timer{}{}", l.timers, l.timers == 1 ? "" : "s", next));
    }
    std::vector<std::string> fds;
    for (const auto& fd : l.fds) {
      if (!fd.wakeup) fds.push_back(fmt::format("fd {} ({})", fd.fd, fd.what));
    }
    if (!fds.empty()) parts.push_back(fmt::format("I/O on {}", fmt::join(fds, ", ")));
    d_.notes.push_back(fmt::format("The event loop in {} has {} pending task{}{}{}.", threadLabel(snap_, p_, l.tid), pending,
                                   pending == 1 ? "" : "s", parts.empty() ? "" : "; it waits for ",
                                   fmt::join(parts, "; ")));
  }
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
