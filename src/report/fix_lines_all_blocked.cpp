// The fix line for the all-blocked finding: what the blocked threads and tasks wait for, in the
// program's words (see fix_lines_internal.h).
#include "report/fix_lines_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report/object_state.h"

namespace pyhang::fix_lines_internal {

namespace {

// The waiter holds a lock while it waits, and every call found that would end its wait is in a
// thread (task) blocked on that very lock: a cycle through the source, which the fix names.
std::string waitUnderLockFix(const Snapshot& s, const Finding& f, const Participant& part, const SyncObject& o) {
  std::vector<const WakeSite*> sites;
  for (const auto& w : f.wakeSites) {
    if (w.object == o.address && w.pid == part.pid) sites.push_back(&w);
  }
  if (sites.empty()) return "";
  for (const auto& hold : part.holds) {
    std::string who;
    bool all = std::all_of(sites.begin(), sites.end(), [&](const WakeSite* w) {
      return !w->runners.empty() && std::all_of(w->runners.begin(), w->runners.end(), [&](const WakeSite::Runner& r) {
        return std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
          bool same = x.pid == r.pid && (r.task.empty() ? x.task.empty() && x.tid == r.tid : x.task == r.task);
          if (same && x.waitsFor && x.waitsFor->object == hold.first.object) who = fix_lines_internal::who(x);
          return same && x.waitsFor && x.waitsFor->object == hold.first.object;
        });
      });
    });
    if (!all) continue;
    const WakeSite& w = *sites.front();
    std::string lock = nameOf(objectOf(s, part.pid, hold.first.object));
    std::string waited = nameOf(&o);
    const Thread* holder = threadOf(s, part);
    const bool sourcesRead = holder && std::all_of(holder->frames.begin(), holder->frames.end(), [](const Frame& fr) {
      return fr.kind != Frame::Kind::kPython || !fr.sourceLine.empty();
    });
    if (hold.first.how == "owner" && hold.second.file.empty() && sourcesRead) {
      // An RLock its owner holds in no frame, although the source of every frame was read (no
      // `with` and no acquire() still in effect): taken by code that returned without release().
      return fmt::format("{} holds {}, taken by code that has returned without releasing it (an acquire() with no "
                         "release() on some path, such as an exception), and waits for {}; {} ({} in {}()), which would "
                         "end that wait, is in {}, which waits for {}: release {} on every path (use `with {}:`).",
                         fix_lines_internal::who(part), lock, waited, w.call, place(w.at), w.at.function, who, lock, lock,
                         lock);
    }
    return fmt::format("{} holds {} while it waits for {}, and {} ({} in {}()), which would end that wait, is in {}, which "
                       "waits for {}: do not hold {} while waiting for {} (release it first, or take it after).",
                       fix_lines_internal::who(part), lock, waited, w.call, place(w.at), w.at.function, who, lock, lock, waited);
  }
  return "";
}

// A thread (task) blocked in put() on a full queue whose only consumers, by the source, are
// themselves blocked in put() on another full queue: two bounded queues in opposite directions
// that filled up at once, or a ring of them (pipeline stages that feed each other).
struct QueueHop {
  const Participant* consumer = nullptr;  // blocked in put() on `next`
  const SyncObject* next = nullptr;
  const WakeSite* site = nullptr;         // its get() on the full queue
};

QueueHop blockedConsumerOf(const Snapshot& s, const Finding& f, const Participant* self, const SyncObject& q, int pid) {
  for (const auto& w : f.wakeSites) {
    if (w.object != q.address || w.pid != pid || w.call.find(".get") == std::string::npos || w.runners.empty()) continue;
    for (const auto& r : w.runners) {
      if (!r.blocked) continue;
      for (const auto& x : f.participants) {
        bool same = x.pid == r.pid && (r.task.empty() ? x.task.empty() && x.tid == r.tid : x.task == r.task);
        if (!same || &x == self || !x.waitsFor || x.waitsFor->op != WaitOp::kQueuePut) continue;
        const SyncObject* other = waitedObject(s, x);
        if (!other || other->address == q.address) continue;
        return QueueHop{&x, other, &w};
      }
    }
  }
  return {};
}

std::string boundedQueueCycleFix(const Snapshot& s, const Finding& f, const Participant& part, const SyncObject& o) {
  QueueHop first = blockedConsumerOf(s, f, &part, o, part.pid);
  if (!first.consumer) return "";
  // Stages that run the same get() (one pipeline function per stage), each blocked putting into
  // a different full queue, `o` among them: a ring of as many bounded queues as stages.
  std::set<uint64_t> targets;
  size_t stages = 0;
  for (const auto& r : first.site->runners) {
    for (const auto& x : f.participants) {
      bool same = x.pid == first.site->pid && (r.task.empty() ? x.task.empty() && x.tid == r.tid : x.task == r.task);
      if (!same || !r.blocked || !x.waitsFor || x.waitsFor->op != WaitOp::kQueuePut) continue;
      if (const SyncObject* t = waitedObject(s, x)) {
        targets.insert(t->address);
        ++stages;
      }
    }
  }
  const size_t ring = targets.count(o.address) && targets.size() == stages ? stages : 0;
  if (ring >= 3) {
    return fmt::format("{} is full, and {}, which would take from it ({} at {}), is itself blocked putting into {}, "
                       "which is full too: the {} bounded queues of this ring of stages all filled up, and every stage "
                       "waits to put into the next. Keep fewer items in flight than the ring holds (the queues' "
                       "maxsize plus one per stage), or let a stage take what is waiting before it puts (put() with "
                       "a timeout, or put_nowait() and a get() when full), or make one queue unbounded.",
                       nameOf(&o), fix_lines_internal::who(*first.consumer), first.site->call, place(first.site->at),
                       nameOf(first.next), ring);
  }
  return fmt::format("{} is full, and {}, which would take from it ({} at {}), is itself blocked putting into {}, "
                     "which is full too: bounded queues in both directions filled up at once. Let one side take "
                     "what is waiting before it puts (put() with a timeout, or put_nowait() and a get() when "
                     "full), or make one direction unbounded.",
                     nameOf(&o), fix_lines_internal::who(*first.consumer), first.site->call, place(first.site->at),
                     nameOf(first.next));
}

// A module's top-level code waits for a thread that needs that module's import lock (it imports
// the module, or something from it), which the importing thread holds until that code ends:
// "plugin-loader" runs settings.py's top level (settings.py:16, _validated.wait()) ...; "".
std::string importTimeWaitFix(const Snapshot& s, const Finding& f) {
  for (const auto& blocked : f.participants) {
    const SyncObject* lock = waitedObject(s, blocked);
    if (!lock || lock->kind != ObjectKind::kImportLock || lock->threadName.empty()) continue;
    const std::string& module = lock->threadName;
    for (const auto& importer : f.participants) {
      if (&importer == &blocked || importer.pid != blocked.pid || importer.at.function != "<module>") continue;
      bool holds = std::any_of(importer.holds.begin(), importer.holds.end(),
                               [&](const auto& h) { return h.first.object == lock->address; });
      if (!holds) continue;
      const SyncObject* waited = waitedObject(s, importer);
      std::string forWhat = waited ? fmt::format(" for {}", nameOf(waited)) : "";
      if (waited && !waited->threadName.empty() &&
          (waited->kind == ObjectKind::kThread || waited->kind == ObjectKind::kThreadHandle)) {
        forWhat = fmt::format(" for \"{}\" to finish", waited->threadName);
      }
      return fmt::format("{} imports {}, and the module's top-level code waits{} ({}), but {} needs {}'s import lock "
                         "({}), which is held until that code ends: do not wait for other threads while a module is "
                         "imported; start the work and wait for it in a function called after the import.",
                         who(importer), module, forWhat, place(importer.at), who(blocked), module, place(blocked.at));
    }
  }
  return "";
}

// A call that would end waits on `o` sits further down a function whose thread is blocked
// earlier in it, in this very hang (`pool.__exit__` joins the workers that wait for `start`, and
// `start.set()` comes after the with block): "start.set() (app.py:20 in main()) would end the
// wait, but "MainThread" reaches it only after line 18, where it waits itself (for ...): ..."; "".
std::string laterCallFix(const Snapshot& s, const Finding& f, const SyncObject& o, int64_t pid) {
  for (const auto& w : f.wakeSites) {
    if (w.object != o.address || w.pid != pid || !w.via.file.empty() || w.reference) continue;
    for (const auto& r : w.runners) {
      if (!r.blocked || r.line <= 0 || r.line >= w.at.line) continue;
      for (const auto& x : f.participants) {
        if (x.pid != r.pid || x.task != r.task || (r.task.empty() && x.tid != r.tid)) continue;
        const SyncObject* waited = x.waitsFor ? objectOf(s, x.pid, x.waitsFor->object) : nullptr;
        std::string forWhat = waited && waited != &o ? fmt::format(" (for {})", nameOf(waited)) : "";
        if (waited && waited->kind == ObjectKind::kAsyncFuture && waited->names.empty()) forWhat.clear();  // "the Future"
        if (waited && !waited->threadName.empty() &&
            (waited->kind == ObjectKind::kThread || waited->kind == ObjectKind::kThreadHandle)) {
          forWhat = fmt::format(" (for \"{}\" to finish)", waited->threadName);
        }
        return fmt::format("{} ({} in {}()) would end the wait, but {} reaches it only after line {}, where it waits "
                           "itself{}: make that call before the wait.",
                           w.call, place(w.at), w.at.function, who(x, manyProcesses(f), &s), r.line, forWhat);
      }
    }
  }
  return "";
}

// When every call found that would end waits on `o` is in code no live thread or task runs:
// "config_loaded.set() (app.py:18 in load_config()) would end the wait, but no live thread or
// task is running load_config()"; "" otherwise.
std::string idleSitesClause(const Finding& f, const SyncObject& o, int64_t pid) {
  std::vector<const WakeSite*> sites;
  for (const auto& w : f.wakeSites) {
    if (w.object == o.address && w.pid == pid) sites.push_back(&w);
  }
  if (sites.empty() || std::any_of(sites.begin(), sites.end(), [](const WakeSite* w) { return !w->runners.empty(); })) {
    return "";
  }
  // A call in a helper that is also found where the helper is handed along (a thread's target
  // at module level) is told once, where it is.
  auto direct = [&](const WakeSite* w) {
    return std::any_of(sites.begin(), sites.end(), [&](const WakeSite* d) {
      return d != w && d->via.file.empty() && d->call == w->call && d->at.file == w->via.file && d->at.line == w->via.line;
    });
  };
  sites.erase(std::remove_if(sites.begin(), sites.end(), [&](const WakeSite* w) { return !w->via.file.empty() && direct(w); }),
              sites.end());
  // One entry per call and function: "items.put() (app.py:24, 25 in produce())".
  std::vector<std::string> places, functions;
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<std::string>>> groups;
  for (const WakeSite* w : sites) {
    std::pair<std::string, std::string> key{w->call, w->at.file + "\n" + w->at.function};
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == key; });
    if (g == groups.end()) {
      groups.push_back({key, {place(w->at)}});
    } else {
      g->second.push_back(std::to_string(w->at.line));
    }
    std::string fn = w->at.function == "<module>" ? "that module level code" : w->at.function + "()";
    if (std::find(functions.begin(), functions.end(), fn) == functions.end()) functions.push_back(fn);
  }
  for (const auto& [key, at] : groups) {
    std::string function = key.second.substr(key.second.find('\n') + 1);
    places.push_back(function == "<module>" ? fmt::format("{} ({})", key.first, fmt::join(at, ", "))
                                            : fmt::format("{} ({} in {}())", key.first, fmt::join(at, ", "), function));
  }
  return fmt::format("{} would end the wait, but no live thread or task is running {}", fmt::join(places, ", "),
                     fmt::join(functions, " or "));
}

// A queue used as a pool of items (connections, buffers) that threads take and put back: when
// the only threads that would put items back are the ones waiting in get() for another, each
// holds an item taken earlier and asks for a second one (a nested checkout): "" otherwise.
std::string poolCheckoutFix(const Finding& f, const Participant& part, const SyncObject& o) {
  if (o.kind != ObjectKind::kQueue || !part.waitsFor || part.waitsFor->op != WaitOp::kQueueGet) return "";
  std::vector<const Participant*> getters;
  for (const auto& x : f.participants) {
    if (x.pid == part.pid && x.task.empty() && x.waitsFor && x.waitsFor->op == WaitOp::kQueueGet &&
        x.waitsFor->object == o.address) {
      getters.push_back(&x);
    }
  }
  auto getter = [&](const WakeSite::Runner& r) {
    return r.task.empty() && std::any_of(getters.begin(), getters.end(), [&](const Participant* x) { return x->tid == r.tid && x->pid == r.pid; });
  };
  std::set<int64_t> putters;
  const WakeSite* took = nullptr;   // where a getter took the item it holds (a helper's `with`)
  const WakeSite* asks = nullptr;   // where it asks for another one
  for (const auto& w : f.wakeSites) {
    if (w.object != o.address || w.pid != part.pid || w.reference) continue;
    if (!w.call.ends_with(".put()") && !w.call.ends_with(".put_nowait()")) continue;
    for (const auto& r : w.runners) {
      if (!r.blocked || !getter(r)) return "";
      putters.insert(r.tid);
      if (!w.via.file.empty() && r.line == w.at.line && !asks) asks = &w;
      if (!w.via.file.empty() && r.line > w.at.line && !took) took = &w;
    }
  }
  if (putters.empty() || putters.size() != getters.size()) return "";
  std::vector<std::string> names;
  for (const Participant* x : getters) names.push_back(fmt::format("\"{}\"", x->thread));
  const std::string name = nameOf(&o);
  std::string where;
  if (took && asks && took != asks) {
    where = fmt::format(" (taken at {} in {}(), the second asked for at {} in {}())", place(took->at), took->at.function,
                        place(asks->at), asks->at.function);
  }
  return fmt::format("the threads that would put items back into {} ({}) are the ones waiting in get() for one: each "
                     "holds an item it took earlier and asks for another before returning it{}. Take at most one item "
                     "per thread at a time (hand the one held down to the code that needs it), or make {} hold more "
                     "items than the threads can take at once.",
                     name, fmt::join(names, ", "), where, name);
}

// A task that holds an asyncio lock awaits a function in an executor thread, and that function
// waits (run_coroutine_threadsafe(...).result()) for a coroutine of the same loop that needs the
// lock: a cycle through the executor.
std::string executorCallbackCycleFix(const Snapshot& s, const Finding& f) {
  const Process* p = f.participants.empty() ? nullptr : processOf(s, f.participants.front().pid);
  if (!p) return "";
  auto taskNamed = [&](const std::string& name) -> const Task* {
    for (const auto& t : p->tasks) {
      if (t.name == name && t.state == "pending") return &t;
    }
    return nullptr;
  };
  for (const auto& holder : f.participants) {
    const Task* ht = holder.task.empty() ? nullptr : taskNamed(holder.task);
    if (!ht || !ht->await || ht->await->kind != "executor" || !ht->await->workerTid) continue;
    for (const auto& worker : f.participants) {
      if (!worker.task.empty() || worker.pid != p->pid || worker.tid != ht->await->workerTid || !worker.waitsFor) continue;
      for (const auto& needer : f.participants) {
        const Task* nt = needer.task.empty() || &needer == &holder ? nullptr : taskNamed(needer.task);
        if (!nt || !needer.waitsFor) continue;
        const auto& fs = nt->completesFutures;
        if (std::find(fs.begin(), fs.end(), worker.waitsFor->object) == fs.end()) continue;
        for (const auto& h : holder.holds) {
          if (h.first.object != needer.waitsFor->object) continue;
          std::string lock = nameOf(objectOf(s, p->pid, h.first.object));
          return fmt::format("{} holds {}{} while it awaits a function in the executor thread \"{}\", which waits at {} "
                             "for {}, a coroutine run on the same loop (run_coroutine_threadsafe) that needs {} at {}: "
                             "release {} before awaiting the executor, or do not wait in the executor for coroutines "
                             "that need it.",
                             who(holder), lock, h.second.file.empty() ? "" : fmt::format(" (since {})", place(h.second)),
                             worker.thread, place(worker.at), who(needer), lock, place(needer.at), lock);
        }
      }
    }
  }
  return "";
}

// A multiprocessing.Queue's feeder thread pickles each item after put() has returned: when the
// pickling (an item's __getstate__ or __reduce__) waits for a lock that a thread holds while it
// waits for the answer, the item never leaves the process.
std::string feederPicklingFix(const Snapshot& s, const Finding& f) {
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    if (!t || !part.waitsFor || part.waitsFor->op != WaitOp::kAcquire || !inFunction(t, "_feed", "/multiprocessing/queues.py")) {
      continue;
    }
    for (const auto& holder : f.participants) {
      const bool holds = std::any_of(holder.holds.begin(), holder.holds.end(),
                                     [&](const auto& h) { return h.first.object == part.waitsFor->object; });
      if (&holder == &part || holder.pid != part.pid || !holds) continue;
      const std::string lock = nameOf(waitedObject(s, part));
      return fmt::format("a multiprocessing.Queue's feeder thread pickles each item after put() has returned, and here "
                         "the pickling waits for {} at {}, which {} holds while it waits at {}: do not hold {} from the "
                         "put() until the answer comes (release it once the item is built), or make the item picklable "
                         "without it.",
                         lock, place(part.at), who(holder), place(holder.at), lock);
    }
  }
  return "";
}

}  // namespace

// A thread blocked inside a Python signal handler, for something only the code the handler
// interrupted (or another participant) would do: the interrupted code cannot go on until the
// handler returns. "on_usr1() is a signal handler (SIGUSR1) and interrupted main() on
// "MainThread" at app.py:24; it waits there for flushed, which ... ".
std::string signalHandlerWaitFix(const Snapshot& s, const Finding& f) {
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    if (!t || !part.task.empty()) continue;
    for (size_t i = 1; i + 1 < t->frames.size(); ++i) {
      const Frame& m = t->frames[i];
      if (m.kind != Frame::Kind::kMarker || m.marker != "signal handler") continue;
      const Frame& handler = t->frames[i + 1];
      const Frame* interrupted = nullptr;
      for (size_t k = i; k-- > 0;) {
        if (t->frames[k].kind == Frame::Kind::kPython) {
          interrupted = &t->frames[k];
          break;
        }
      }
      if (!interrupted || handler.kind != Frame::Kind::kPython) continue;
      const std::string name = handler.qualname.empty() ? handler.location.function : handler.qualname;
      std::string signal;
      if (const Process* p = processOf(s, part.pid); p && p->signalHandlers) {
        for (const auto& h : *p->signalHandlers) {
          if (h.handler == name && h.where.file == handler.location.file) signal = fmt::format(" ({})", h.name);
        }
      }
      const SyncObject* o = waitedObject(s, part);
      return fmt::format("{}() is a signal handler{} that interrupted {}() at {} on {}, and waits{}: the interrupted code "
                         "cannot go on until the handler returns, and the same signal again only runs the handler "
                         "again. Do not block in a signal handler: set a flag or write to a pipe (signal.set_wakeup_fd) "
                         "and return, and wait in the main loop or another thread.",
                         name, signal, interrupted->location.function, place(interrupted->location), who(part),
                         o ? fmt::format(" for {}", nameOf(o)) : std::string());
    }
  }
  return "";
}

std::string allBlockedFix(const Snapshot& s, const Finding& f) {
  if (std::string cycle = executorCallbackCycleFix(s, f); !cycle.empty()) return cycle;
  if (std::string feeder = feederPicklingFix(s, f); !feeder.empty()) return feeder;
  if (std::string handler = signalHandlerWaitFix(s, f); !handler.empty()) return handler;
  // An event loop asleep past callbacks another thread added without waking it.
  if (f.summary.find("ready callback") != std::string::npos && f.summary.ends_with("added without waking it")) {
    return "from other threads, reach the loop only through loop.call_soon_threadsafe(...) or "
           "asyncio.run_coroutine_threadsafe(...) (loop.call_soon_threadsafe(event.set), not event.set()): asyncio's "
           "Event, Queue and Future are not thread-safe, and call_soon() does not wake a sleeping loop.";
  }
  // A put() into a full multiprocessing.Queue(maxsize) that no process gets from.
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    const SyncObject* o = waitedObject(s, part);
    if (!t || !o || o->kind != ObjectKind::kSemLock || !inFunction(t, "put", "/multiprocessing/queues.py")) continue;
    auto max = o->attrs.find("maxvalue");
    return fmt::format("the multiprocessing queue that {} puts into is full{} and no process takes items from it: start "
                       "the consumer before filling the queue, or put with a timeout.",
                       place(part.at), max == o->attrs.end() ? "" : fmt::format(" (maxsize {})", max->second));
  }
  // Tasks of a loop that waits only on reads whose other ends this process holds (a socketpair,
  // a loopback connection to itself): one of them must write, or stop holding what the writer needs.
  for (const auto& part : f.participants) {
    if (part.task.empty() || !part.waitsFor || part.waitsFor->op != WaitOp::kIo) continue;
    const Process* p = processOf(s, part.pid);
    for (const auto& hold : part.holds) {
      const bool needed = std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
        return &x != &part && x.waitsFor && x.waitsFor->object == hold.first.object;
      });
      auto o = p ? p->objects.find(hold.first.object) : decltype(p->objects.end()){};
      if (!needed || !p || o == p->objects.end()) continue;
      return fmt::format("do not hold {} while awaiting the read at {}: the task that would write the reply waits for it. "
                         "Release it before the await, or give the read a timeout (asyncio.wait_for).",
                         nameOf(&o->second), place(part.at));
    }
    return fmt::format("each of these tasks awaits a read (the first at {}) that only another of them would answer: let "
                       "one side write before it reads, or give the reads a timeout (asyncio.wait_for).", place(part.at));
  }
  if (f.summary.find("multiprocessing.Pool job") != std::string::npos) {
    return "find why the worker died (its exit status, the kernel log for the OOM killer); use "
           "concurrent.futures.ProcessPoolExecutor, which fails the job with BrokenProcessPool when a worker dies, or "
           "wait with get(timeout=...).";
  }
  // The first object the participants wait for that explains the hang by itself; a queue's
  // join() before its get(): a worker idle in get() with tasks unfinished is the join's story.
  std::vector<const Participant*> order;
  for (const auto& part : f.participants) {
    if (part.waitsFor && part.waitsFor->op == WaitOp::kQueueJoin) order.push_back(&part);
  }
  for (const auto& part : f.participants) {
    if (!part.waitsFor || part.waitsFor->op != WaitOp::kQueueJoin) order.push_back(&part);
  }
  // A read from a pipe whose write end the reader's own process still holds: end-of-file
  // comes only when every write end is closed, its own copy included.
  for (const auto& part : f.participants) {
    const Process* p = processOf(s, part.pid);
    if (!p || !part.waitsFor || part.waitsFor->op != WaitOp::kPipeRead) continue;
    auto end = p->writeEnds.find(part.waitsFor->object);
    if (end == p->writeEnds.end()) continue;
    // A connection to its own listener that no thread accepts: the answer needs an accept().
    if (part.waitsFor->object & Thread::kUnacceptedEnd) {
      return fmt::format("start the thread that accepts on the listening socket (fd {}) before connecting to it at {}: the "
                         "connection waits in the listener's queue, and no thread of this process will accept it.",
                         end->second, place(part.at));
    }
    return fmt::format("close this process's copy of the write end (fd {}) once the writer has its own (after fork(), "
                       "or Popen(pass_fds=...)), before the read at {}: a read sees end-of-file only when every write end is "
                       "closed.", end->second, place(part.at));
  }
  // Consumers that feed their own bounded queue: every thread that would get() from it is one
  // of those blocked putting into it while it is full.
  for (const auto& part : f.participants) {
    const SyncObject* o = waitedObject(s, part);
    const Process* p = processOf(s, part.pid);
    if (!o || !p || o->kind != ObjectKind::kQueue || part.waitsFor->op != WaitOp::kQueuePut) continue;
    auto putting = [&](int64_t tid) {
      return std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
        return x.tid == tid && x.pid == part.pid && x.waitsFor && x.waitsFor->op == WaitOp::kQueuePut &&
               x.waitsFor->object == o->address;
      });
    };
    std::vector<std::string> consumers;
    bool onlyThem = false;
    for (const auto& w : f.wakeSites) {
      if (w.object != o->address || w.pid != part.pid || !w.call.ends_with(".get()")) continue;
      onlyThem = !w.runners.empty();
      for (const auto& r : w.runners) {
        onlyThem &= putting(r.tid);
        if (std::find(consumers.begin(), consumers.end(), r.thread) == consumers.end()) consumers.push_back(r.thread);
      }
      if (!onlyThem) break;
    }
    if (!onlyThem) continue;
    auto q = quantitiesOf(*p, *o);
    std::string full = q && q->maxsize && *q->maxsize > 0 ? fmt::format(" (maxsize {})", *q->maxsize) : "";
    return fmt::format("the threads that get() from {} ({}) are the ones blocked putting into it while it is full{}: a "
                       "consumer that feeds its own bounded queue stops when the queue fills; queue the work the consumers "
                       "generate without a bound (or keep it aside when put_nowait() finds the queue full).",
                       nameOf(o), fmt::format("\"{}\"", fmt::join(consumers, "\", \"")), full);
  }
  if (std::string imports = importTimeWaitFix(s, f); !imports.empty()) return imports;
  std::string futureFix;
  for (const Participant* each : order) {
    const Participant& part = *each;
    const SyncObject* o = waitedObject(s, part);
    const Process* p = processOf(s, part.pid);
    if (!o || !p) continue;
    if (std::string cycle = waitUnderLockFix(s, f, part, *o); !cycle.empty()) return cycle;
    // A forked copy (not exec'd) has only the thread that called fork(): code that only the
    // parent's other threads ran (a refresher, a feeder) runs nowhere in it.
    if (p->forkOf != 0) {
      if (std::string idle = idleSitesClause(f, *o, part.pid); !idle.empty()) {
        return fmt::format("{} in this process: it is a copy of pid {} made by fork(), which copies only the thread that "
                           "calls it, so the parent's other threads do not run here. Start the threads the child needs "
                           "after the fork (os.register_at_fork(after_in_child=...)), fork before starting threads, or "
                           "start the child with the 'spawn' or 'forkserver' method.",
                           idle, p->forkOf);
      }
    }
    auto q = quantitiesOf(*p, *o);
    std::string name = nameOf(o);
    switch (o->kind) {
      case ObjectKind::kSemaphore:
      case ObjectKind::kAsyncSemaphore: {
        if (!q || !q->permitsFree || *q->permitsFree > 0) break;
        bool anyHolder = std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
          return std::any_of(x.holds.begin(), x.holds.end(), [&](const auto& h) { return h.first.object == o->address; });
        });
        if (anyHolder) break;
        std::string leaked = q->permitsTotal ? fmt::format("{} permit{} of {} {} acquired and never released", *q->permitsTotal,
                                                           *q->permitsTotal == 1 ? "" : "s", name,
                                                           *q->permitsTotal == 1 ? "was" : "were")
                                             : fmt::format("the permits of {} were acquired and never released", name);
        return fmt::format("no live {} holds one: {} (an acquire() without release() on some path): use `{}with {}:`.",
                           isAsync(o) ? "task" : "thread", leaked, isAsync(o) ? "async " : "", name);
      }
      case ObjectKind::kBarrier:
      case ObjectKind::kAsyncBarrier: {
        if (!q || !q->parties || !q->waiting || *q->waiting >= *q->parties) break;
        // A party that would reach the barrier further down its function, blocked first: by a
        // lock one of the waiting parties holds across the barrier, most often.
        for (const auto& w : f.wakeSites) {
          if (w.object != o->address || w.pid != part.pid || !w.call.ends_with(".wait()")) continue;
          for (const auto& r : w.runners) {
            if (!r.blocked || !r.task.empty() || r.line >= w.at.line) continue;
            auto late = std::find_if(f.participants.begin(), f.participants.end(),
                                     [&](const Participant& x) { return x.pid == part.pid && x.tid == r.tid; });
            if (late == f.participants.end()) continue;
            const SyncObject* first = waitedObject(s, *late);
            bool heldAtBarrier = false;
            for (const auto& x : f.participants) {
              const SyncObject* xo = waitedObject(s, x);
              if (!xo || xo->address != o->address || !first) continue;
              for (const auto& h : x.holds) heldAtBarrier |= h.first.object == first->address;
            }
            std::string blockedBy = first ? fmt::format(" waiting for {}", nameOf(first)) : "";
            if (heldAtBarrier) {
              return fmt::format("{} of {} parties are waiting; thread \"{}\" would reach {}.wait() at {}:{}, but is blocked "
                                 "first{}, which a party holds while it waits at the barrier: release {} before "
                                 "{}.wait() (a barrier waits for every party: do not hold a lock across it).",
                                 *q->waiting, *q->parties, r.thread, name, baseName(w.at.file), w.at.line, blockedBy,
                                 nameOf(first), name);
            }
            return fmt::format("{} of {} parties are waiting; thread \"{}\" would reach {}.wait() at {}:{}, but is blocked "
                               "first{}: end that wait, or let the parties wait with a timeout.",
                               *q->waiting, *q->parties, r.thread, name, baseName(w.at.file), w.at.line, blockedBy);
          }
        }
        return fmt::format("{} of {} parties are waiting and no other {} will reach {}.wait(): create it with {} parties, or "
                           "start the missing one (a party that fails should call {}.abort()).",
                           *q->waiting, *q->parties, isAsync(o) ? "task" : "thread", name, *q->waiting, name);
      }
      case ObjectKind::kEvent:
      case ObjectKind::kAsyncEvent: {
        if (std::string later = laterCallFix(s, f, *o, part.pid); !later.empty()) return later;
        std::string idle = idleSitesClause(f, *o, part.pid);
        if (idle.empty()) idle = fmt::format("no {} will call {}.set()", isAsync(o) ? "task" : "thread", name);
        return fmt::format("{}: set it on every path of the code that should (in a finally), or wait with a timeout.", idle);
      }
      case ObjectKind::kQueue:
      case ObjectKind::kAsyncQueue: {
        WaitOp op = part.waitsFor->op;
        if (op == WaitOp::kQueueJoin) {
          std::string head = fmt::format("join() waits until every item got a task_done(){}",
                                         q && q->unfinished ? fmt::format(" ({} unfinished)", *q->unfinished) : "");
          const char* taker = isAsync(o) ? "task" : "thread";
          // The joiner is itself the consumer whose task_done() is still ahead of it.
          for (const auto& w : f.wakeSites) {
            if (w.object != o->address || w.pid != part.pid || !w.call.ends_with(".task_done()")) continue;
            for (const auto& r : w.runners) {
              if (r.tid != part.tid || r.task != part.task || !r.blocked || r.line >= w.at.line) continue;
              return fmt::format("{}; \"{}\" waits in {}.join() for the item it took itself, whose {}.task_done() at "
                                 "{}:{} comes after the join: a consumer must not join its own queue. Call task_done() "
                                 "for the current item before join(), or let the producer join.",
                                 head, r.task.empty() ? r.thread : r.task, name, name, baseName(w.at.file), w.at.line);
            }
          }
          if (q && q->items && *q->items > 0 && q->getters.value_or(0) == 0) {
            return fmt::format("{}, but {} {} left and no {} will take {}: keep a worker alive (restart it when an item "
                               "fails) and call {}.task_done() in a finally.", head, *q->items,
                               *q->items == 1 ? "item is" : "items are", taker, *q->items == 1 ? "it" : "them", name);
          }
          if (q && q->items && *q->items == 0) {
            return fmt::format("{}, and {} is empty: an item was taken without task_done(); call {}.task_done() for every "
                               "get(), in a finally.", head, name, name);
          }
          return fmt::format("{}: call {}.task_done() for every get(), in a finally, and keep a worker alive when an item "
                             "fails.", head, name);
        }
        if (op == WaitOp::kQueueGet) {
          if (std::string pool = poolCheckoutFix(f, part, *o); !pool.empty()) return pool;
          std::string idle = idleSitesClause(f, *o, part.pid);
          if (idle.empty()) idle = fmt::format("nothing will put into {}", name);
          return fmt::format("{}: have the producer put a sentinel for each consumer when it stops (also when it fails), or "
                             "get() with a timeout.", idle);
        }
        if (op == WaitOp::kQueuePut) {
          if (std::string cycle = boundedQueueCycleFix(s, f, part, *o); !cycle.empty()) return cycle;
          return fmt::format("{} is full and nothing will get() from it: keep a consumer running, or put() with a timeout.",
                             name);
        }
        break;
      }
      case ObjectKind::kLock:
      case ObjectKind::kAsyncLock: {
        // Locked, and no live thread (task) holds it in a with block: taken with acquire() and
        // not released on some path.
        bool held = std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
          return std::any_of(x.holds.begin(), x.holds.end(), [&](const auto& h) { return h.first.object == o->address; });
        });
        if (held || !part.heldBy.empty() || !q || !q->locked || !*q->locked) break;
        return fmt::format("no live {} holds {} in a with block: it was taken with acquire() and not released on some path; "
                           "use `{}with {}:` instead of acquire()/release().", isAsync(o) ? "task" : "thread", name,
                           isAsync(o) ? "async " : "", name);
      }
      case ObjectKind::kCondition:
      case ObjectKind::kAsyncCondition:
      {
        if (std::string later = laterCallFix(s, f, *o, part.pid); !later.empty()) return later;
        std::string idle = idleSitesClause(f, *o, part.pid);
        if (idle.empty()) idle = fmt::format("nothing will notify {}", name);
        return fmt::format("{}: notify it after changing the state its waiters check, and wait with wait_for(predicate) so "
                           "that a notify sent earlier is not missed.", idle);
      }
      case ObjectKind::kFuture: {
        // A concurrent.futures.Future that a thread (an executor's, often) waits for.
        if (std::string later = laterCallFix(s, f, *o, part.pid); !later.empty()) return later;
        std::string idle = idleSitesClause(f, *o, part.pid);
        if (idle.empty()) break;
        return fmt::format("{}: complete it on every path (set_exception() in an except), or wait with a timeout "
                           "(result(timeout=...)).", idle);
      }
      case ObjectKind::kAsyncFuture: {
        std::string idle = idleSitesClause(f, *o, part.pid);
        if (idle.empty()) idle = fmt::format("nothing left in the program will complete {}", name);
        // A bare future says least about the program: only when no other wait gives a fix.
        if (futureFix.empty()) {
          futureFix = fmt::format("{}: the code that should call its set_result() or set_exception() has ended or never ran (a "
                                  "task that died with an exception logs \"Task exception was never retrieved\"); complete it "
                                  "on every path (set_exception() in an except), or await it with a timeout "
                                  "(asyncio.wait_for).", idle);
        }
        break;
      }
      default: break;
    }
  }
  return futureFix;
}

}  // namespace pyhang::fix_lines_internal
