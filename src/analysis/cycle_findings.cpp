#include "analysis/cycle_findings.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace pyhang::explain {

namespace {

const Edge* edgeTo(const UnitState& u, const UnitId& to) {
  for (const auto& e : u.edges) {
    if (e.to == to) return &e;
  }
  return nullptr;
}

// Why a cycle that rests on a hold inferred from the source is not certain: "" when it is (no
// such hold, or every other thread of its processes waits forever as well).
std::string inferredHoldDoubt(const WaitGraph& g, const Explainer& ex,
                              const std::vector<size_t>& cycle) {
  const Hold* inferred = nullptr;
  UnitId holder;
  std::set<size_t> procs;
  for (size_t k = 0; k < cycle.size(); ++k) {
    const UnitState& u = g.units[cycle[k]];
    const UnitId& next = g.units[cycle[(k + 1) % cycle.size()]].id;
    procs.insert(u.id.process);
    const Hold* h = ex.holdOf(next, u);
    if (h && h->doubtful && !inferred) {
      inferred = h;
      holder = next;
    }
  }
  // A thread waiting again for a Lock it took with acquire() (not `with`): any thread may release
  // a threading.Lock, and any process a multiprocessing Lock or Semaphore; taking it, handing the
  // work to another thread that releases it and acquiring again is the one-shot signal idiom.
  bool anyProcess = false;
  if (!inferred && cycle.size() == 1) {
    const UnitState& u = g.units[cycle.front()];
    const Hold* h = ex.holdOf(u.id, u);
    const SyncObject* o = h ? ex.object(ex.proc(u.id), h->lock) : nullptr;
    bool semaphore = o && o->kind == ObjectKind::kSemLock && !o->recursive;
    bool byAcquire = h && h->how.rfind("acquire()", 0) == 0;
    if (h && o && ((o->kind == ObjectKind::kLock && byAcquire) || semaphore)) {
      inferred = h;
      holder = u.id;
      anyProcess = semaphore;
    }
  }
  if (!inferred) return "";
  for (size_t v = 0; v < g.units.size(); ++v) {
    const UnitState& o = g.units[v];
    if (std::find(cycle.begin(), cycle.end(), v) != cycle.end() ||
        (!anyProcess && !procs.count(o.id.process)) || o.blockedForever()) {
      continue;
    }
    const Thread& t = ex.thread(o.id);
    std::string doing = o.wait ? "waits with a timeout" : kernelActivity(t);
    if (!inferred->doubtful) {
      return fmt::format(
          "{} took it with acquire() {}; {} may be released by any {}, and {} {} (it could release "
          "it)",
          ex.threadLabel(holder), ex.sincePhrase(holder, *inferred),
          anyProcess ? "a multiprocessing lock" : "a Lock", anyProcess ? "process" : "thread",
          ex.threadLabel(o.id), doing);
    }
    return fmt::format(
        "it rests on an acquire() by {} inferred from the source {}, and {} {} (it could hold or "
        "release "
        "that lock instead)",
        ex.threadLabel(holder), ex.sincePhrase(holder, *inferred), ex.threadLabel(o.id), doing);
  }
  return "";
}

}  // namespace

// Elementary cycles through the first edge of each unit (each blocked thread waits for one
// thing), found by following edges; every cycle is reported once.
std::vector<std::vector<size_t>> findCycles(const WaitGraph& g) {
  std::vector<std::vector<size_t>> cycles;
  std::set<std::set<size_t>> seen;
  auto indexOf = [&](const UnitId& id) -> std::optional<size_t> {
    for (size_t i = 0; i < g.units.size(); ++i) {
      if (g.units[i].id == id) return i;
    }
    return std::nullopt;
  };
  for (size_t start = 0; start < g.units.size(); ++start) {
    // Iterative DFS over all out-edges, bounded.
    struct Item {
      size_t node;
      size_t nextEdge;
    };
    std::vector<Item> stack{{start, 0}};
    std::vector<size_t> path{start};
    size_t steps = 0;
    while (!stack.empty() && ++steps < 100000) {
      Item& top = stack.back();
      const UnitState& u = g.units[top.node];
      if (!u.blockedForever() || top.nextEdge >= u.edges.size()) {
        stack.pop_back();
        path.pop_back();
        continue;
      }
      auto next = indexOf(u.edges[top.nextEdge++].to);
      if (!next) continue;
      if (*next == start) {
        std::set<size_t> key(path.begin(), path.end());
        if (seen.insert(key).second) cycles.push_back(path);
        continue;
      }
      if (*next < start || std::find(path.begin(), path.end(), *next) != path.end()) continue;
      if (path.size() > 64) continue;
      stack.push_back({*next, 0});
      path.push_back(*next);
    }
  }
  return cycles;
}

std::vector<bool> doomedUnits(const Snapshot& s, const WaitGraph& g) {
  const size_t n = g.units.size();
  std::vector<bool> doomed(n);
  std::vector<std::vector<size_t>> targets(n);
  for (size_t i = 0; i < n; ++i) {
    const UnitState& u = g.units[i];
    doomed[i] = u.blockedForever() &&
                !(u.edges.empty() && crossProcessWait(s.processes[u.id.process], *u.wait));
    for (const auto& e : u.edges) targets[i].push_back(g.indexOf(e.to));
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < n; ++i) {
      if (!doomed[i]) continue;
      for (size_t j : targets[i]) {
        if (j < n && doomed[j]) continue;
        doomed[i] = false;  // a thread outside the snapshot's units, or one that can run
        changed = true;
        break;
      }
    }
  }
  return doomed;
}

std::optional<Finding> cycleFinding(const WaitGraph& g, const Explainer& ex,
                                    std::vector<size_t> cycle) {
  // A thread waiting for run_coroutine_threadsafe() on a loop whose thread waits for it in
  // another way (a lock the waiter holds): the tasks' analysis tells it with the loop's task.
  if (cycle.size() == 2) {
    const UnitState& a = g.units[cycle[0]];
    const UnitState& b = g.units[cycle[1]];
    if ((a.hasLoopThread && a.loopThread == b.id && !b.hasLoopThread) ||
        (b.hasLoopThread && b.loopThread == a.id && !a.hasLoopThread)) {
      return std::nullopt;
    }
  }
  // A file lock held through an open file that a forked child inherited: the child holds it
  // too, on paper; the cycle through the parent says what happened.
  if (cycle.size() == 1 && g.units[cycle[0]].wait &&
      g.units[cycle[0]].wait->op == WaitOp::kFileLock &&
      ex.thread(g.units[cycle[0]].id).fileLockHolders.size() > 1) {
    return std::nullopt;
  }
  // Told from the oldest thread: the first process's, and in it the one started first (the
  // interpreter lists its threads newest first). Not by thread id, which wraps around at
  // pid_max (32768 by default) and would change the wording from one read to the next.
  auto lowest = std::min_element(cycle.begin(), cycle.end(), [&](size_t a, size_t b) {
    const UnitId& x = g.units[a].id;
    const UnitId& y = g.units[b].id;
    return x.process != y.process ? x.process < y.process : x.thread > y.thread;
  });
  std::rotate(cycle.begin(), lowest, cycle.end());
  Finding f;
  const UnitState& first = g.units[cycle.front()];
  bool anyJoin = false, anyPipe = false;
  // The edge from the k-th unit to the next; in a cycle merged around a wait for any child (one
  // finding for all of its children) the next may not be what it waits for: then its edge to
  // any other unit of the cycle.
  auto cycleEdge = [&](size_t k) -> const Edge* {
    const UnitState& u = g.units[cycle[k]];
    if (const Edge* e = edgeTo(u, g.units[cycle[(k + 1) % cycle.size()]].id)) return e;
    for (const auto& e : u.edges) {
      if (std::any_of(cycle.begin(), cycle.end(), [&](size_t j) { return j != cycle[k] && g.units[j].id == e.to; })) return &e;
    }
    return nullptr;
  };
  for (size_t k = 0; k < cycle.size(); ++k) {
    const Edge* e = cycleEdge(k);
    if (e && e->isJoin) anyJoin = true;
    if (e && e->isPipe) anyPipe = true;
  }
  if (cycle.size() == 1 && first.wait && first.wait->op == WaitOp::kFileLock) {
    // A process waits for a file lock it holds itself: flock() locks belong to an open file,
    // and a second open() of the file makes another one, whose flock() waits for the first.
    f.kind = "self-deadlock";
    f.lines.push_back(
        fmt::format("Found a deadlock (self-deadlock) in {}:", ex.threadLabel(first.id)));
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(first.id), ex.waitTarget(first)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(first)));
    f.lines.push_back(
        "  An flock() belongs to the open file that took it: a second open() of the same file is "
        "another open");
    f.lines.push_back(
        "  file, whose flock() waits for the first one, and this process will not release that one "
        "while it waits.");
    f.summary =
        fmt::format("{} waits for a file lock its own process holds", ex.threadLabel(first.id));
  } else if (cycle.size() == 1 && first.wait && first.wait->op == WaitOp::kFutureResult &&
             first.hasResultHandler) {
    // A Pool's result handler, inside a callback, waits for a result that only it delivers.
    f.kind = "join-cycle";
    f.lines.push_back(fmt::format("Found a deadlock (join cycle) in {}: a Pool's result handler waits for itself:",
                                  ex.threadLabel(first.id)));
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(first.id), ex.waitTarget(first)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(first)));
    f.lines.push_back("  The pool runs apply_async() callbacks on this thread, which also hands every result to its");
    f.lines.push_back("  waiter: a callback that waits for a result of the pool (apply(), get(), map()) waits for itself.");
    f.summary = fmt::format("{}, a Pool's result handler, waits in a callback for a result only it would deliver",
                            ex.threadLabel(first.id));
  } else if (cycle.size() == 1 && first.wait && first.wait->op == WaitOp::kFutureResult &&
             first.hasLoopThread) {
    // An event loop's thread blocks on a future that only its own loop would complete.
    f.kind = "join-cycle";
    f.lines.push_back(
        fmt::format("Found a deadlock (join cycle) in {}: it waits for its own event loop:",
                    ex.threadLabel(first.id)));
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(first.id), ex.waitTarget(first)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(first)));
    f.lines.push_back(
        "  The loop runs on this thread, which is blocked in result(): the loop never gets to the "
        "coroutine.");
    f.summary = fmt::format(
        "{} blocks its own event loop waiting for a future that only that loop would complete",
        ex.threadLabel(first.id));
  } else if (cycle.size() == 1 && first.lockTask != SIZE_MAX) {
    // An event loop's thread blocks on a threading lock that a task of its own loop holds
    // across an await: the task resumes only when this thread runs the loop again.
    const Process& p = ex.proc(first.id);
    const Task& task = p.tasks[first.lockTask];
    const Frame& held = task.frames[first.lockTaskFrame];
    std::string lock = ex.objectLabel(p, first.waitLock, nullptr);
    lock = lock.substr(0, lock.find(" <"));
    f.kind = "self-deadlock";
    f.lines.push_back(fmt::format(
        "Found a deadlock (self-deadlock) in {}: a task of its own event loop holds the lock:",
        ex.threadLabel(first.id)));
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(first.id), ex.waitTarget(first)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(first)));
    f.lines.push_back(fmt::format(
        "    which task \"{}\" holds since {}:{} in {}, suspended at an await on this thread's "
        "event loop",
        task.name, baseName(held.location.file),
        first.lockTaskLine ? first.lockTaskLine : held.location.line, held.location.function));
    f.lines.push_back(
        fmt::format("  The task releases {} only when the loop resumes it, and the loop's thread "
                    "is the one waiting:",
                    lock));
    f.lines.push_back(
        "  a threading lock held across an await blocks the event loop that would release it.");
    f.summary = fmt::format(
        "{} waits for {}, which task \"{}\" of its own event loop holds across an await",
        ex.threadLabel(first.id), lock, task.name);
  } else if (cycle.size() == 1) {
    // A thread waits for a lock it holds itself. What ran in between decides the kind.
    const Thread& t = ex.thread(first.id);
    const Hold* h = ex.holdOf(first.id, first);
    size_t from = h && h->frameIndex < t.frames.size() ? h->frameIndex : 0;
    std::string between;
    size_t markerIndex = SIZE_MAX;
    for (size_t i = from; i < first.waitFrame && i < t.frames.size(); ++i) {
      if (t.frames[i].kind == Frame::Kind::kMarker) {
        between = t.frames[i].marker;
        markerIndex = i;
      }
    }
    const Process& p = ex.proc(first.id);
    f.kind = between == "garbage collection" ? "gc-reentrancy"
             : between == "signal handler"   ? "signal-reentrancy"
                                             : "self-deadlock";
    std::string title = f.kind == "gc-reentrancy" ? "re-entrancy through the garbage collector"
                        : f.kind == "signal-reentrancy" ? "re-entrancy through a signal handler"
                                                        : "self-deadlock";
    f.lines.push_back(fmt::format("Found a deadlock ({}) in {}:", title, ex.threadLabel(first.id)));
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(first.id), ex.waitTarget(first)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(first)));
    if (first.waitFrame != first.atFrame) {
      std::vector<std::string> chain;
      for (size_t k = first.atFrame + 1; k <= first.waitFrame && k < t.frames.size(); ++k) {
        chain.push_back(fmt::format("{} ({}:{})", t.frames[k].location.function,
                                    baseName(t.frames[k].location.file),
                                    t.frames[k].location.line));
      }
      f.lines.push_back(fmt::format("      inside {}", fmt::join(chain, " -> ")));
    }
    if (h) {
      std::string line =
          fmt::format("    which it already holds itself {}", ex.sincePhrase(first.id, *h));
      f.lines.push_back(line);
      // The program frame that called into the holding stdlib frame, for context.
      size_t caller = h->frameIndex;
      while (caller > 0 && caller < t.frames.size() &&
             t.frames[caller].location.file.find("/threading.py") == std::string::npos &&
             t.frames[caller].location.file.find("/queue.py") != std::string::npos) {
        --caller;
      }
      if (caller != h->frameIndex && caller < t.frames.size()) {
        f.lines.push_back(fmt::format("      called from {}", ex.where(t.frames[caller])));
      }
    }
    if (markerIndex != SIZE_MAX && markerIndex > 0 && markerIndex + 1 < t.frames.size()) {
      const Frame& interrupted = t.frames[markerIndex - 1];
      const Frame& entered = t.frames[markerIndex + 1];
      const char* actor = between == "garbage collection" ? "garbage collector" : "signal handler";
      // Before 3.11 a code object has no qualname: a method's class is its `self`'s type.
      std::string ran = entered.qualname.empty() ? entered.location.function : entered.qualname;
      if (ran == entered.location.function) {
        for (const auto& v : entered.arguments) {
          if (v.name == "self" && !v.type.empty())
            ran = v.type.substr(v.type.rfind('.') + 1) + "." + ran;
        }
      }
      f.lines.push_back(fmt::format("  The {} interrupted the thread at {} and ran {} ({}),", actor,
                                    ex.where(interrupted), ran, baseName(entered.location.file)));
      f.lines.push_back(
          fmt::format("  which needs the same lock: {} cannot be taken twice by one thread.",
                      lockNoun(ex.object(p, first.waitLock))));
      f.summary =
          fmt::format("{} re-entered code that holds {} and waits for it again", between,
                      ex.objectLabel(p, first.waitLock, nullptr)
                          .substr(0, ex.objectLabel(p, first.waitLock, nullptr).find(" <")));
    } else {
      const SyncObject* lo = ex.object(p, first.waitLock);
      bool semaphore = lo && (lo->kind == ObjectKind::kSemaphore || isCountingSemLock(*lo));
      // A queue.Queue's own mutex: its methods take it, so only releasing it first helps.
      bool queueMutex = lo && std::any_of(p.objects.begin(), p.objects.end(), [&](const auto& kv) {
                          return kv.second.kind == ObjectKind::kQueue && kv.second.underlyingLock == lo->address;
                        });
      f.lines.push_back(fmt::format(
          "  {} {}: the thread can never get it ({}).", upperFirst(lockNoun(lo)),
          semaphore ? "has no free slot left and the thread holds one itself" : "is not re-entrant",
          semaphore    ? "release before acquiring again"
          : queueMutex ? "it is the queue's own mutex: release it before calling the queue's methods"
                       : "use an RLock, or release first"));
      f.summary = fmt::format("{} waits for a lock it already holds", ex.threadLabel(first.id));
    }
  } else if (anyPipe && std::all_of(cycle.begin(), cycle.end(), [&](size_t k) {
               return !g.units[k].wait || g.units[k].wait->op != WaitOp::kPipeWrite;
             })) {
    f.kind = "read-cycle";
    std::set<size_t> procs;
    for (size_t k : cycle) procs.insert(g.units[k].id.process);
    std::string between = procs.size() > 1 ? fmt::format("{} processes", procs.size())
                                           : fmt::format("{} threads", cycle.size());
    // Every participant reads (two ends of two pipes), or one reads what only threads blocked
    // elsewhere (a join, a lock) could write.
    size_t readers = static_cast<size_t>(std::count_if(cycle.begin(), cycle.end(), [&](size_t k) {
      return g.units[k].wait && g.units[k].wait->op == WaitOp::kPipeRead;
    }));
    const bool allRead = readers == cycle.size();
    f.lines.push_back(
        allRead
            ? fmt::format(
                  "Found a deadlock (each waits to read what another would write) between {}:",
                  between)
            : fmt::format(
                  "Found a deadlock (a read that only blocked threads could satisfy) between {}:",
                  between));
    for (size_t k = 0; k < cycle.size(); ++k) {
      const UnitState& u = g.units[cycle[k]];
      f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
      f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      if (u.wait && u.wait->op != WaitOp::kPipeRead) {
        // A writer kept from writing by a lock the reader holds while it reads.
        const UnitId& next = g.units[cycle[(k + 1) % cycle.size()]].id;
        const Edge* e = edgeTo(u, next);
        if (e && !e->isJoin && !e->isFileLock && !e->isPipe) {
          const Hold* h = ex.holdOf(next, u);
          f.lines.push_back(fmt::format("    which is held by {} {}", ex.threadLabel(next),
                                        h ? ex.sincePhrase(next, *h) : ""));
        }
      }
      if (!u.wait || u.wait->op != WaitOp::kPipeRead) continue;
      std::vector<std::string> writers;
      for (const auto& e : u.edges) {
        if (!e.isPipe) continue;
        const Process& wp = ex.proc(e.to);
        auto fd = wp.writeEnds.find(u.wait->object);
        std::string label = ex.threadLabel(e.to);
        if (fd != wp.writeEnds.end()) label += fmt::format(" (fd {})", fd->second);
        if (std::find(writers.begin(), writers.end(), label) == writers.end())
          writers.push_back(label);
      }
      f.lines.push_back(fmt::format("    which only {} could write to, and {} waits itself",
                                    fmt::join(writers, " or "),
                                    writers.size() == 1 ? "that thread" : "each of them"));
    }
    f.lines.push_back(
        "  No process outside these holds the other ends: nothing will ever be written, and no "
        "read ends.");
    f.summary =
        allRead
            ? fmt::format("{} each wait to read what another would write", between)
            : fmt::format(
                  "{} of {} wait{} to read what only the others, blocked themselves, could write",
                  readers, between, readers == 1 ? "s" : "");
  } else if (anyPipe) {
    f.kind = "full-pipe";
    std::set<size_t> procs;
    for (size_t k : cycle) procs.insert(g.units[k].id.process);
    std::string between = procs.size() > 1 ? fmt::format("{} processes", procs.size())
                                           : fmt::format("{} threads", cycle.size());
    f.lines.push_back(fmt::format("Found a deadlock (full pipe) between {}:", between));
    bool queueFeeder = false, popenWait = false, allSockets = true;
    for (size_t k = 0; k < cycle.size(); ++k) {
      const UnitState& u = g.units[cycle[k]];
      const Thread& t = ex.thread(u.id);
      if (u.wait && u.wait->op == WaitOp::kPipeWrite && !t.writingSocket) allSockets = false;
      f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
      f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      const Edge* e = cycleEdge(k);
      if (e && e->isPipe) {
        // A writer waits for the pipe's readers; a reader in the same cycle for its writers.
        const bool reading = u.wait && u.wait->op == WaitOp::kPipeRead;
        std::vector<std::string> others;
        for (const auto& r : u.edges) {
          if (!r.isPipe) continue;
          const Process& rp = ex.proc(r.to);
          const auto& ends = reading ? rp.writeEnds : rp.pipeReadEnds;
          auto fd = ends.find(u.wait->object);
          std::string label = ex.threadLabel(r.to);
          if (fd != ends.end()) label += fmt::format(" (fd {})", fd->second);
          if (std::find(others.begin(), others.end(), label) == others.end())
            others.push_back(label);
        }
        f.lines.push_back(fmt::format("    which only {} could {}, and {} waits itself",
                                      fmt::join(others, " or "), reading ? "write to" : "read",
                                      others.size() == 1 ? "that thread" : "each of them"));
        for (const auto& fr : t.frames) {
          if (fr.location.function == "_feed" &&
              fr.location.file.find("/multiprocessing/queues.py") != std::string::npos) {
            queueFeeder = true;
          }
        }
      }
      if (u.wait && u.wait->op == WaitOp::kJoin && u.waitFrame < t.frames.size()) {
        const std::string& file = t.frames[u.waitFrame].location.file;
        if (file.size() >= 14 && file.compare(file.size() - 14, 14, "/subprocess.py") == 0)
          popenWait = true;
      }
    }
    // asyncio: a task awaits proc.wait() on a child whose stdout (or stderr) is a pipe that no
    // task reads; the loop stops reading a subprocess pipe once its StreamReader buffer is full.
    const Task* aioWaiter = nullptr;
    const Frame* aioAt = nullptr;
    for (size_t pi : procs) {
      for (const auto& task : ex.snap().processes[pi].tasks) {
        for (size_t k = 1; k < task.frames.size() && !aioWaiter; ++k) {
          if (task.frames[k].location.function == "wait" &&
              task.frames[k].location.file.ends_with("/asyncio/subprocess.py")) {
            aioWaiter = &task;
            aioAt = &task.frames[k - 1];
          }
        }
      }
    }
    if (aioWaiter) {
      f.lines.push_back(
          fmt::format("  Task \"{}\" awaits proc.wait() at {}:{} in {}, and no task reads the "
                      "child's pipe: the",
                      aioWaiter->name, baseName(aioAt->location.file), aioAt->location.line,
                      aioAt->location.function));
      f.lines.push_back(
          "  event loop stops reading a subprocess pipe once its StreamReader buffer is full, so "
          "the child");
      f.lines.push_back(
          "  never finishes writing and never exits: use await proc.communicate(), which reads "
          "while it waits.");
    } else if (queueFeeder) {
      f.lines.push_back(
          "  A process that put data on a multiprocessing.Queue does not exit until its feeder "
          "thread has");
      f.lines.push_back(
          "  written all of it into the queue's pipe, and the pipe is full: get() the items before "
          "joining");
      f.lines.push_back(
          "  the process (multiprocessing's guideline \"Joining processes that use queues\").");
    } else if (popenWait) {
      f.lines.push_back(
          "  Popen.wait() with stdout=PIPE or stderr=PIPE waits for a child that waits for room in "
          "that");
      f.lines.push_back(
          "  pipe (it holds 64 KiB): use Popen.communicate(), which reads while it waits.");
    } else if (allSockets) {
      f.lines.push_back(
          "  The sockets' buffers are full and every thread that could read them waits for the "
          "writer: none will read.");
    } else {
      f.lines.push_back(
          "  The pipe is full and every thread that could read it waits for the writer: none will "
          "read.");
    }
    f.summary = fmt::format("{} wait for each other through a full {}", between,
                            allSockets ? "socket" : "pipe");
  } else {
    f.kind = anyJoin ? "join-cycle" : "lock-order-cycle";
    std::set<size_t> procs;
    for (size_t k : cycle) procs.insert(g.units[k].id.process);
    std::string between = procs.size() == cycle.size() && procs.size() > 1
                              ? fmt::format("{} processes", procs.size())
                              : fmt::format("{} threads", cycle.size());
    f.lines.push_back(fmt::format(
        "Found a deadlock ({}) between {}:", anyJoin ? "join cycle" : "lock-order cycle", between));
    for (size_t k = 0; k < cycle.size(); ++k) {
      const UnitState& u = g.units[cycle[k]];
      const UnitId& next = g.units[cycle[(k + 1) % cycle.size()]].id;
      f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
      f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      const Edge* e = edgeTo(u, next);
      if (e && !e->isJoin && !e->isFileLock) {
        const Hold* h = ex.holdOf(next, u);
        f.lines.push_back(fmt::format("    which is held by {} {}", ex.threadLabel(next),
                                      h ? ex.sincePhrase(next, *h) : ""));
      }
    }
    f.summary = fmt::format("{} wait for each other in a {}", between,
                            anyJoin ? "join cycle" : "lock-order cycle");
  }
  for (size_t k : cycle) f.participants.push_back(ex.participant(g.units[k], true));
  // A hold inferred from the source (an acquire() with no release() after it on the lines
  // above) may be wrong: the acquire() may sit under an `if`, the release in a helper, the lock
  // may be leased to a timer. Such a cycle is a deadlock only when no other thread of its
  // processes could hold or release the lock instead: every one of them waits forever too.
  f.unconfirmedBecause = inferredHoldDoubt(g, ex, cycle);
  return f;
}

}  // namespace pyhang::explain
