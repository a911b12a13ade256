#include "analysis/deadlock_analysis.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis/cycle_findings.h"
#include "analysis/dead_holder_findings.h"
#include "analysis/explainer.h"
#include "analysis/pool_waits.h"
#include "analysis/set_aside.h"
#include "analysis/task_analysis.h"
#include "analysis/wait_graph.h"

namespace pyhang {

namespace {

using explain::baseName;
using explain::cycleFinding;
using explain::deadHolderFindings;
using explain::Explainer;
using explain::doomedUnits;
using explain::findCycles;
using explain::kernelActivity;
using explain::libraryPath;
using explain::lockNoun;
using explain::threadStateWord;
using explain::upperFirst;

}  // namespace

void analyze(Snapshot& snap) {
  Diagnosis& d = snap.diagnosis;
  d = Diagnosis{};
  d.ran = true;
  unifySharedNames(snap);
  WaitGraph g = buildWaitGraph(snap);
  Explainer ex(snap, g);
  std::set<size_t> involved;

  auto edgeTo = [&](const UnitState& u, const UnitId& to) -> const Edge* {
    for (const auto& e : u.edges) {
      if (e.to == to) return &e;
    }
    return nullptr;
  };
  auto indexOf = [&](const UnitId& id) -> size_t {
    for (size_t i = 0; i < g.units.size(); ++i) {
      if (g.units[i].id == id) return i;
    }
    return SIZE_MAX;
  };

  // A full pipe that several blocked threads could read closes one cycle through each of them:
  // keep one per writer, preferring a reader in another process (the parent that joins before
  // it reads, rather than the writer's own main thread joining it).
  std::vector<std::vector<size_t>> cycles;
  {
    std::map<size_t, std::pair<size_t, bool>> bestForWriter;   // writer unit -> (cycle index, cross-process)
    std::vector<std::vector<size_t>> all = findCycles(g);
    // A cycle is a deadlock only when none of its threads has another way out: a reader whose
    // other writer runs, a waiter for permits that a running thread holds.
    const std::vector<bool> doomed = doomedUnits(snap, g);
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const std::vector<size_t>& cy) {
                               return std::any_of(cy.begin(), cy.end(), [&](size_t k) { return !doomed[k]; });
                             }),
              all.end());
    std::vector<bool> keep(all.size(), true);
    for (size_t c = 0; c < all.size(); ++c) {
      const auto& cy = all[c];
      for (size_t k = 0; k < cy.size(); ++k) {
        const UnitState& u = g.units[cy[k]];
        const Edge* e = edgeTo(u, g.units[cy[(k + 1) % cy.size()]].id);
        if (!e || !e->isPipe) continue;
        bool cross = e->to.process != u.id.process;
        auto it = bestForWriter.find(cy[k]);
        if (it == bestForWriter.end()) {
          bestForWriter[cy[k]] = {c, cross};
        } else if (cross && !it->second.second) {
          keep[it->second.first] = false;
          it->second = {c, cross};
        } else {
          keep[c] = false;
        }
        break;
      }
    }
    for (size_t c = 0; c < all.size(); ++c) {
      if (keep[c]) cycles.push_back(std::move(all[c]));
    }
  }

  // Thread-pool starvation: workers wait for futures queued in their own pool, which only a free
  // worker would run. One finding per pool, with every worker that waits so; the cycles through
  // those workers say the same thing less well.
  {
    std::map<uint64_t, std::vector<size_t>> starved;
    for (size_t i = 0; i < g.units.size(); ++i) {
      if (g.units[i].starvedPool && g.units[i].poolQueue == g.units[i].starvedPool) starved[g.units[i].starvedPool].push_back(i);
    }
    for (const auto& [pool, members] : starved) {
      Finding f;
      f.kind = "join-cycle";
      size_t workers = g.units[members.front()].starvedPoolWorkers;
      const std::string kind = explain::poolName(snap.processes[g.units[members.front()].id.process], pool);
      f.lines.push_back(fmt::format("Found a deadlock (thread-pool starvation) in a {} with {} worker{}:", kind,
                                    workers, workers == 1 ? "" : "s"));
      for (size_t i : members) {
        const UnitState& u = g.units[i];
        f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
        f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
        f.participants.push_back(ex.participant(u, true));
        involved.insert(i);
      }
      f.lines.push_back("  A task that waits for work submitted to its own pool holds a worker the work needs: use a");
      f.lines.push_back("  separate pool for the inner work, more workers than nested waits, or do not wait inside tasks.");
      f.summary = fmt::format("the worker{} of a {} wait{} for {} queued behind {}",
                              members.size() == 1 ? "" : "s", kind, members.size() == 1 ? "s" : "",
                              kind.rfind("multiprocessing", 0) == 0 ? "work" : "futures",
                              members.size() == 1 ? "itself" : "themselves");
      d.findings.push_back(std::move(f));
    }
    cycles.erase(std::remove_if(cycles.begin(), cycles.end(),
                                [&](const std::vector<size_t>& cy) {
                                  return std::any_of(cy.begin(), cy.end(), [&](size_t k) { return involved.count(k) > 0; });
                                }),
                 cycles.end());
  }

  // socketserver's shutdown() called from a request handler, on the thread that runs
  // serve_forever(): shutdown() waits for serve_forever() to notice the request and return, and
  // serve_forever() is below it on the same stack (the deadlock its documentation warns of).
  for (size_t i = 0; i < g.units.size(); ++i) {
    const UnitState& u = g.units[i];
    if (!u.blockedForever() || u.wait->op != WaitOp::kWait) continue;
    const Process& p = ex.proc(u.id);
    const Thread& t = ex.thread(u.id);
    auto in = [](const Frame& fr, const char* function) {
      return fr.kind == Frame::Kind::kPython && fr.location.function == function &&
             fr.location.file.ends_with("/socketserver.py");
    };
    size_t serve = SIZE_MAX, shutdown = SIZE_MAX;
    for (size_t fi = 0; fi < t.frames.size(); ++fi) {
      if (in(t.frames[fi], "serve_forever") && serve == SIZE_MAX) serve = fi;
      if (in(t.frames[fi], "shutdown") && serve != SIZE_MAX) shutdown = fi;
    }
    if (shutdown == SIZE_MAX || shutdown + 2 < u.waitFrame || u.waitFrame < shutdown) continue;
    // Another thread serving (another server, perhaps the one being shut down) may set it.
    const bool otherServer = std::any_of(p.threads.begin(), p.threads.end(), [&](const Thread& o) {
      return &o != &t && std::any_of(o.frames.begin(), o.frames.end(), [&](const Frame& fr) { return in(fr, "serve_forever"); });
    });
    if (otherServer) continue;
    const Frame& serving = t.frames[serve];
    Finding f;
    f.kind = "self-deadlock";
    f.lines.push_back("Found a deadlock (socketserver's shutdown() called from inside serve_forever()) in 1 thread:");
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
    f.lines.push_back(fmt::format("    inside a request handler that serve_forever() ({}:{}) runs on this same thread:",
                                  baseName(serving.location.file), serving.location.line));
    f.lines.push_back("  shutdown() waits for serve_forever() to return, which it cannot do while its own thread waits.");
    f.participants.push_back(ex.participant(u, true));
    f.summary = fmt::format("{} calls shutdown() from inside serve_forever() on the same thread", ex.threadLabel(u.id));
    involved.insert(i);
    d.findings.push_back(std::move(f));
  }

  // A thread that holds a pipe's write end but waits elsewhere (a join) closes a second cycle
  // with each reader; the readers' own cycle says it all, the others are stuck behind it.
  {
    auto readsOnly = [&](const std::vector<size_t>& cy) {
      return std::all_of(cy.begin(), cy.end(), [&](size_t k) { return g.units[k].wait && g.units[k].wait->op == WaitOp::kPipeRead; });
    };
    std::vector<std::vector<size_t>> readCycles;
    for (const auto& cy : cycles) {
      if (readsOnly(cy)) readCycles.push_back(cy);
    }
    cycles.erase(std::remove_if(cycles.begin(), cycles.end(),
                                [&](const std::vector<size_t>& cy) {
                                  if (readsOnly(cy)) return false;
                                  return std::any_of(readCycles.begin(), readCycles.end(), [&](const std::vector<size_t>& rc) {
                                    return std::any_of(cy.begin(), cy.end(), [&](size_t k) {
                                      return std::find(rc.begin(), rc.end(), k) != rc.end();
                                    });
                                  });
                                }),
                 cycles.end());
  }

  // Before 3.12 asyncio's child watcher is a thread in waitpid() for the child: a cycle through
  // it and one through the loop's thread (reading the child's pipe) tell the same story. The
  // loop's says what the program does.
  {
    auto watcher = [&](size_t k) {
      const auto& frames = ex.thread(g.units[k].id).frames;
      return std::any_of(frames.begin(), frames.end(), [](const Frame& f) {
        return f.location.function == "_do_waitpid" && f.location.file.ends_with("/asyncio/unix_events.py");
      });
    };
    auto sameButWatcher = [&](const std::vector<size_t>& cy, const std::vector<size_t>& other) {
      if (&cy == &other || cy.size() != other.size()) return false;
      std::vector<size_t> onlyHere, onlyThere;
      for (size_t k : cy) {
        if (std::find(other.begin(), other.end(), k) == other.end()) onlyHere.push_back(k);
      }
      for (size_t k : other) {
        if (std::find(cy.begin(), cy.end(), k) == cy.end()) onlyThere.push_back(k);
      }
      return onlyHere.size() == 1 && onlyThere.size() == 1 && watcher(onlyHere[0]) && !watcher(onlyThere[0]) &&
             g.units[onlyHere[0]].id.process == g.units[onlyThere[0]].id.process;
    };
    std::vector<bool> drop(cycles.size(), false);
    for (size_t i = 0; i < cycles.size(); ++i) {
      for (size_t j = 0; j < cycles.size() && !drop[i]; ++j) drop[i] = i != j && sameButWatcher(cycles[i], cycles[j]);
    }
    std::vector<std::vector<size_t>> kept;
    for (size_t i = 0; i < cycles.size(); ++i) {
      if (!drop[i]) kept.push_back(std::move(cycles[i]));
    }
    cycles = std::move(kept);
  }

  // A wait for whichever child exits first (os.wait(), a shell) closes one cycle through each
  // child; they are one deadlock: one finding with the waiter and all of those children.
  for (size_t i = 0; i < g.units.size(); ++i) {
    const UnitState& u = g.units[i];
    if (!u.wait || u.wait->op != WaitOp::kJoin || u.wait->targetPid != -1) continue;
    // One cycle per child it goes through next (other cycles through the same child differ
    // elsewhere: they stay apart).
    std::vector<size_t> through;
    std::set<size_t> successors;
    for (size_t c = 0; c < cycles.size(); ++c) {
      auto at = std::find(cycles[c].begin(), cycles[c].end(), i);
      if (at == cycles[c].end()) continue;
      size_t next = std::next(at) == cycles[c].end() ? cycles[c].front() : *std::next(at);
      if (successors.insert(next).second) through.push_back(c);
    }
    if (through.size() < 2) continue;
    std::vector<size_t>& merged = cycles[through.front()];
    for (size_t c : through) {
      for (size_t k : cycles[c]) {
        if (std::find(merged.begin(), merged.end(), k) == merged.end()) merged.push_back(k);
      }
    }
    for (auto c = through.rbegin(); c != std::prev(through.rend()); ++c) cycles.erase(cycles.begin() + static_cast<std::ptrdiff_t>(*c));
  }

  // A semaphore whose every permit is held by threads that each wait for one more (a nested
  // acquire run by as many threads as there are permits): one finding for the semaphore. Its
  // holders' self-loops and the cycles among them tell the same story in pieces.
  {
    // The lock's identity (a multiprocessing semaphore is one in every process) -> its waiting
    // holders, and the address of the lock in the first of them.
    std::map<std::string, std::vector<size_t>> bySemaphore;
    for (size_t i = 0; i < g.units.size(); ++i) {
      const UnitState& u = g.units[i];
      if (!u.blockedForever() || u.wait->op != WaitOp::kAcquire || !ex.holdOf(u.id, u)) continue;
      const SyncObject* o = ex.object(ex.proc(u.id), u.waitLock);
      if (o && (o->kind == ObjectKind::kSemaphore || isCountingSemLock(*o))) {
        bySemaphore[lockKey(snap, u.id.process, u.waitLock)].push_back(i);
      }
    }
    for (const auto& [key, members] : bySemaphore) {
      if (members.size() < 2) continue;
      std::set<UnitId> holders;
      for (size_t i : members) holders.insert(g.units[i].id);
      // Edges to every holder (none when a holder can still release): all of them members.
      const bool closed = std::all_of(members.begin(), members.end(), [&](size_t i) {
        const auto& edges = g.units[i].edges;
        return !edges.empty() && std::all_of(edges.begin(), edges.end(), [&](const Edge& e) { return holders.count(e.to) > 0; });
      });
      if (!closed) continue;
      const UnitState& first = g.units[members.front()];
      std::string name = ex.objectLabel(ex.proc(first.id), first.waitLock, nullptr);
      name = name.substr(0, name.find(" <"));
      std::set<size_t> procs;
      for (size_t i : members) procs.insert(g.units[i].id.process);
      const std::string who = procs.size() > 1 ? "processes" : "threads";
      Finding f;
      f.kind = "self-deadlock";
      f.lines.push_back(fmt::format("Found a deadlock (semaphore exhausted by nested acquires) between {} {}:",
                                    procs.size() > 1 ? procs.size() : members.size(), who));
      for (size_t i : members) {
        const UnitState& u = g.units[i];
        f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
        f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
        f.lines.push_back(fmt::format("    while it holds one of its permits itself, {}", ex.sincePhrase(u.id, *ex.holdOf(u.id, u))));
        f.participants.push_back(ex.participant(u, true));
        involved.insert(i);
      }
      f.lines.push_back(fmt::format("  Every permit of {} is held by one of these {}, and each waits for one more: none can", name, who));
      f.lines.push_back("  get one, and none releases its own while it waits.");
      f.summary = fmt::format("{} {} each hold a permit of {} and wait for another", procs.size() > 1 ? procs.size() : members.size(),
                              who, name);
      d.findings.push_back(std::move(f));
    }
    cycles.erase(std::remove_if(cycles.begin(), cycles.end(),
                                [&](const std::vector<size_t>& cy) {
                                  return std::all_of(cy.begin(), cy.end(), [&](size_t k) { return involved.count(k) > 0; });
                                }),
                 cycles.end());
  }

  for (const auto& cycle : cycles) {
    std::optional<Finding> f = cycleFinding(g, ex, cycle);
    if (!f) continue;
    involved.insert(cycle.begin(), cycle.end());
    (f->unconfirmedBecause.empty() ? d.findings : d.unconfirmed).push_back(std::move(*f));
  }

  // Held by a thread (or a process) that has exited.
  deadHolderFindings(snap, g, ex, involved, d);

  // Nothing can ever run again in one process: every thread of it waits forever for a lock,
  // Condition, Event, Queue or thread of its own, which no other process can release, set, feed
  // or end (a child forked while another thread held a lock). Other processes running or
  // sleeping change nothing; whoever waits for this process is stuck behind it.
  bool allBlocked = !g.units.empty();
  for (const auto& u : g.units) allBlocked &= u.blockedForever() && !u.waitPidMissing;
  for (size_t pi = 0; pi < snap.processes.size() && snap.processes.size() > 1 && !allBlocked; ++pi) {
    const Process& p = snap.processes[pi];
    std::vector<size_t> mine;
    bool stuck = true;
    for (size_t i = 0; i < g.units.size() && stuck; ++i) {
      const UnitState& u = g.units[i];
      if (u.id.process != pi) continue;
      stuck = u.blockedForever() && !involved.count(i) && !crossProcessWait(p, *u.wait);
      mine.push_back(i);
    }
    if (!stuck || mine.empty()) continue;
    Finding f;
    f.kind = "all-blocked";
    f.lines.push_back(mine.size() == 1
                          ? fmt::format("Found a hang (all threads of {} blocked): its only thread cannot make progress.",
                                        ex.processLabel(p))
                          : fmt::format("Found a hang (all threads of {} blocked): none of its {} threads can make progress.",
                                        ex.processLabel(p), mine.size()));
    for (size_t i : mine) {
      const UnitState& u = g.units[i];
      involved.insert(i);
      f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
      f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      // A lock the parent's thread held when this process was forked: the child has a locked
      // copy at the same address and no thread that will release it.
      std::string forkHolder;
      for (size_t j = 0; j < g.units.size() && u.lockHolderUnknown; ++j) {
        const UnitState& v = g.units[j];
        if (snap.processes[v.id.process].pid != p.ppid) continue;
        for (const auto& h : v.holds) {
          if (h.lock == u.waitLock && forkHolder.empty()) {
            forkHolder = ex.threadLabel(v.id);
            f.lines.push_back(fmt::format("    which was locked when the process was forked: in the parent, {} holds the same lock{}; "
                                          "fork() copies a locked lock, not the thread that would release it",
                                          forkHolder, h.line ? fmt::format(" (since line {})", h.line) : ""));
          }
        }
      }
      if (u.lockHolderUnknown && forkHolder.empty()) f.lines.push_back("    which no live thread is known to hold");
      else if (u.wait->op == WaitOp::kAcquire && !u.edges.empty())
        f.lines.push_back(fmt::format("    which is held by {}", ex.threadLabel(u.edges.front().to)));
      f.participants.push_back(ex.participant(u, true));
      if (!forkHolder.empty()) f.participants.back().heldBy = forkHolder + " (in the parent, at fork time)";
    }
    f.lines.push_back("  Each waits without a timeout for something only another thread of the same process could do: "
                      "a threading lock, Condition, Event or queue lives in one process, and no other process can end the wait.");
    f.summary = fmt::format("every thread of {} waits without a timeout and no thread can wake it", ex.processLabel(p));
    d.findings.push_back(std::move(f));
  }

  // Bystanders: threads blocked behind a finding.
  for (auto& f : d.findings) {
    std::set<size_t> members;
    for (const auto& part : f.participants) {
      for (size_t i = 0; i < g.units.size(); ++i) {
        const Thread& t = ex.thread(g.units[i].id);
        if (t.tid == part.tid && ex.proc(g.units[i].id).pid == part.pid) members.insert(i);
      }
    }
    bool grew = true;
    std::set<size_t> behind;
    while (grew) {
      grew = false;
      for (size_t i = 0; i < g.units.size(); ++i) {
        if (members.count(i) || behind.count(i) || !g.units[i].blockedForever()) continue;
        for (const auto& e : g.units[i].edges) {
          size_t to = indexOf(e.to);
          if (members.count(to) || behind.count(to)) {
            behind.insert(i);
            grew = true;
            break;
          }
        }
      }
    }
    for (size_t i : behind) {
      const UnitState& u = g.units[i];
      f.lines.push_back(fmt::format("Stuck behind it: {} {} {}.", ex.threadLabel(u.id), ex.waitTarget(u), ex.atPhrase(u)));
      f.bystanders.push_back(ex.participant(u, false));
      involved.insert(i);
    }
  }

  // Nothing can ever run again: every thread waits forever for something only another
  // thread could provide.
  // Only when everything waited for is in the snapshot: a process outside it could still act.
  // Library service loops (a Pool's handler threads, an executor's manager thread, the
  // forkserver, the resource tracker) only react to the others: a process of nothing else (the
  // forkserver or the resource tracker read alone) is idle, waiting for requests.
  auto service = [](const UnitState& u) {
    return u.wait && u.wait->op == WaitOp::kWait && !u.wait->object && u.wait->how.rfind("for ", 0) == 0;
  };
  if (std::all_of(g.units.begin(), g.units.end(), service)) allBlocked = false;
  if (d.findings.empty() && allBlocked) {
    Finding f;
    f.kind = "all-blocked";
    f.lines.push_back(g.units.size() == 1
                          ? std::string("Found a hang (all threads blocked): the only thread cannot make progress.")
                          : fmt::format("Found a hang (all threads blocked): none of the {} threads can make progress.",
                                        g.units.size()));
    std::vector<std::string> services;
    bool lostJob = false;
    for (size_t i = 0; i < g.units.size(); ++i) {
      const UnitState& u = g.units[i];
      involved.insert(i);
      // Service loops only react to the threads listed: named, not listed.
      if (service(u)) {
        services.push_back(ex.threadLabel(u.id));
        continue;
      }
      f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
      f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      const bool ownPipe = (u.wait->op == WaitOp::kPipeRead || u.wait->op == WaitOp::kPipeWrite) && u.edges.empty();
      if (u.lockHolderUnknown) f.lines.push_back("    which no live thread is known to hold");
      else if (ownPipe) {
        const bool reading = u.wait->op == WaitOp::kPipeRead;
        const Process& wp = ex.proc(u.id);
        const auto& ends = reading ? wp.writeEnds : wp.pipeReadEnds;
        if (auto end = ends.find(u.wait->object); end != ends.end() && (u.wait->object & Thread::kUnacceptedEnd)) {
          f.lines.push_back(fmt::format("    which only its own process could accept (its listening socket, fd {}), and no other "
                                        "thread of it will: the answer never comes", end->second));
        } else if (end != ends.end()) {
          f.lines.push_back(fmt::format("    whose {} end only its own process holds (fd {}), and no other thread of it will {}",
                                        reading ? "write" : "read", end->second,
                                        reading ? "write to it: the end of the data never comes" : "read it"));
        }
      } else if (u.wait->op == WaitOp::kAcquire && !u.edges.empty())
        f.lines.push_back(fmt::format("    which is held by {}", ex.threadLabel(u.edges.front().to)));
      else if (u.wait->op == WaitOp::kFutureResult) {
        const Process& p = ex.proc(u.id);
        if (size_t idle = idlePoolWorkers(snap, p.pid, ex.object(p, u.wait->object))) {
          f.lines.push_back(fmt::format("    which no worker of its multiprocessing.Pool is computing: {} in this report wait{} "
                                        "idle for work. A worker died while running the job (killed by a signal, os._exit(), "
                                        "a crash), and a Pool never runs a lost job again.",
                                        idle == 1 ? "its only worker process" : fmt::format("its {} worker processes", idle),
                                        idle == 1 ? "s" : ""));
          lostJob = true;
        }
      }
      f.participants.push_back(ex.participant(u, true));
    }
    if (!services.empty()) {
      f.lines.push_back(fmt::format("  The library's own service threads wait only for the above: {}.", fmt::join(services, ", ")));
    }
    f.lines.push_back("  Each waits without a timeout for something that only another thread could do.");
    f.summary = lostJob ? "a multiprocessing.Pool job's result never comes: no worker is running the job (a worker died "
                          "running it)"
                        : "every thread waits without a timeout and no thread can wake it";
    d.findings.push_back(std::move(f));
  }

  // Every thread's state, from its wait or, without one, from the kernel's view.
  for (const auto& u : g.units) {
    Thread& t = snap.processes[u.id.process].threads[u.id.thread];
    if (u.wait) {
      bool service = !u.wait->object && u.wait->how.rfind("for ", 0) == 0;
      std::string target = ex.waitTarget(u);
      t.state = service ? "idle" : "waiting";
      t.stateDetail = target + (u.wait->hasTimeout ? " (with a timeout)" : "");
    } else {
      t.state = threadStateWord(t);
      t.stateDetail = kernelActivity(t);
    }
  }

  // Per-frame annotations and notes for the threads that are not part of a finding.
  for (size_t i = 0; i < g.units.size(); ++i) {
    const UnitState& u = g.units[i];
    const Process& p = ex.proc(u.id);
    const Thread& t = ex.thread(u.id);
    if (u.wait && u.atFrame < t.frames.size()) {
      std::string text = ex.waitTarget(u);
      text = text.substr(text.find(' ') + 1);  // "to acquire ..." -> keep the verb phrase
      text = "waiting " + text;
      if (u.wait->hasTimeout) text += " (with a timeout)";
      if (!u.edges.empty() && !u.edges.front().isJoin && !u.edges.front().isPipe && !u.edges.front().isFileLock) {
        text += ", held by " + ex.threadLabel(u.edges.front().to);
      }
      d.annotations.push_back(Annotation{p.pid, t.tid, u.atFrame, text});
    }
    for (const auto& h : u.holds) {
      if (h.frameIndex >= t.frames.size()) continue;
      std::string text = "holds " + ex.objectLabel(p, h.lock, &t.frames[h.frameIndex]);
      if (h.via != h.lock) text += fmt::format(" (through {})", ex.objectLabel(p, h.via, &t.frames[h.frameIndex]));
      if (h.line) text += fmt::format(" since line {}", h.line);
      d.annotations.push_back(Annotation{p.pid, t.tid, h.frameIndex, text});
    }
    if (involved.count(i)) continue;
    if (u.wait) {
      d.notes.push_back(fmt::format("{} {}{} {}.", ex.threadLabel(u.id), ex.waitTarget(u),
                                    u.wait->hasTimeout ? " (with a timeout)" : "", ex.atPhrase(u)));
    } else if (!t.frames.empty()) {
      // At the program's own innermost frame, with the library's place after it (socket.accept,
      // signal.sigwait and Connection.recv are Python wrappers around the blocking call).
      const Frame& inner = t.frames.back();
      size_t at = t.frames.size() - 1;
      while (at > 0 && (t.frames[at].kind != Frame::Kind::kPython || isLibraryCode(t.frames[at].location.file))) --at;
      const Frame& own = t.frames[at];
      std::string where = ex.where(inner);
      if (&own != &inner && own.kind == Frame::Kind::kPython && !isLibraryCode(own.location.file) &&
          inner.kind == Frame::Kind::kPython) {
        where = fmt::format("{}, inside {}:{} in {}", ex.where(own), libraryPath(inner.location.file), inner.location.line,
                            inner.location.function);
      }
      d.notes.push_back(fmt::format("{} {}, at {}.", ex.threadLabel(u.id), kernelActivity(t), where));
    }
  }

  analyzeTasks(snap);  // asyncio tasks: their findings count for the verdict
  setAsideSignalWakeable(snap);
  markParticipantStates(snap);
  setVerdict(d);
}

void markParticipantStates(Snapshot& snap) {
  auto mark = [&](const Participant& part, const char* state) {
    if (part.tid == 0 || !part.task.empty()) return;
    for (auto& p : snap.processes) {
      if (p.pid != part.pid) continue;
      for (auto& t : p.threads) {
        if (t.tid == part.tid) t.state = state;
      }
    }
  };
  for (auto& p : snap.processes) {
    for (auto& t : p.threads) {
      if (t.state == "deadlocked" || t.state == "stuck-behind") t.state = "waiting";
    }
  }
  for (const auto& f : snap.diagnosis.findings) {
    for (const auto& part : f.bystanders) mark(part, "stuck-behind");
    for (const auto& part : f.participants) mark(part, "deadlocked");
  }
}

void setVerdict(Diagnosis& d) {
  if (d.findings.empty() && !d.waitingFor.empty()) {
    d.verdict = "no-deadlock";
    d.verdictLine = fmt::format("Verdict: no deadlock: every thread waits, and {} can still wake the program.",
                                fmt::join(d.waitingFor, " or "));
  } else if (d.findings.empty() && !d.unconfirmed.empty()) {
    const Finding& f = d.unconfirmed.front();
    d.verdict = "no-deadlock";
    const bool tasks = !f.participants.empty() &&
                       std::all_of(f.participants.begin(), f.participants.end(),
                                   [](const Participant& p) { return !p.task.empty(); });
    d.verdictLine = fmt::format("Verdict: no deadlock: the {} looked stuck ({}), but {}.", tasks ? "tasks" : "threads",
                                f.kind, f.unconfirmedBecause);
  } else if (d.findings.empty()) {
    d.verdict = "no-deadlock";
    d.verdictLine = "Verdict: no deadlock found.";
  } else {
    d.verdict = "deadlock";
    std::vector<std::string> kinds;
    for (const auto& f : d.findings) {
      if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) kinds.push_back(f.kind);
    }
    size_t stuck = 0, stuckTasks = 0;
    for (const auto& f : d.findings) {
      for (const auto& b : f.bystanders) (b.task.empty() ? stuck : stuckTasks) += 1;
    }
    std::string behind = stuck ? fmt::format("; {} more thread{} stuck behind", stuck, stuck == 1 ? " is" : "s are") : "";
    if (stuckTasks) {
      behind += fmt::format("; {} more task{} stuck behind", stuckTasks, stuckTasks == 1 ? " is" : "s are");
    }
    d.verdictLine = fmt::format("Verdict: DEADLOCK ({}): {}{}.", fmt::join(kinds, ", "), d.findings.front().summary, behind);
  }
}

}  // namespace pyhang
