#include "report/fix_lines.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report/object_state.h"

namespace pyhang {

namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string place(const SourceLocation& l) {
  if (l.file.empty()) return "an unknown place";
  return l.line ? fmt::format("{}:{}", baseName(l.file), l.line) : baseName(l.file);
}

const Process* processOf(const Snapshot& s, int64_t pid) {
  for (const auto& p : s.processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

const Thread* threadOf(const Snapshot& s, const Participant& part) {
  const Process* p = processOf(s, part.pid);
  if (!p) return nullptr;
  for (const auto& t : p->threads) {
    if (t.tid == part.tid) return &t;
  }
  return nullptr;
}

const SyncObject* objectOf(const Snapshot& s, int64_t pid, uint64_t addr) {
  const Process* p = processOf(s, pid);
  if (!p || !addr) return nullptr;
  auto it = p->objects.find(addr);
  return it == p->objects.end() ? nullptr : &it->second;
}

const SyncObject* waitedObject(const Snapshot& s, const Participant& part) {
  return part.waitsFor ? objectOf(s, part.pid, part.waitsFor->object) : nullptr;
}

std::string nameOf(const SyncObject* o) { return o ? objectShortName(*o) : std::string("the lock"); }

// Who a participant is, for the fix line. Among several processes a main thread is known by
// its process.
std::string who(const Participant& part, bool manyProcesses = false) {
  if (!part.task.empty()) return fmt::format("task \"{}\"", part.task);
  if (manyProcesses && (part.thread.empty() || part.thread == "MainThread")) {
    if (part.process.empty() || part.process == "MainProcess") return fmt::format("the main process (pid {})", part.pid);
    return fmt::format("process {} (pid {})", part.process, part.pid);
  }
  if (!part.thread.empty()) return fmt::format("\"{}\"", part.thread);
  return fmt::format("thread {}", part.tid);
}

bool isAsync(const SyncObject* o) {
  return o && o->kind >= ObjectKind::kAsyncLock && o->kind <= ObjectKind::kAsyncFuture;
}

bool inFunction(const Thread* t, std::string_view function, std::string_view fileSuffix) {
  if (!t) return false;
  for (const auto& f : t->frames) {
    const std::string& file = f.location.file;
    if (f.location.function == function && file.size() >= fileSuffix.size() &&
        file.compare(file.size() - fileSuffix.size(), fileSuffix.size(), fileSuffix) == 0) {
      return true;
    }
  }
  return false;
}

bool manyProcesses(const Finding& f) {
  return std::any_of(f.participants.begin(), f.participants.end(),
                     [&](const Participant& p) { return p.pid != f.participants.front().pid; });
}

// A thread that runs an event loop and blocks in a threading (not asyncio) wait: a task's
// blocking call, or the loop thread's own.
const Participant* blockedLoopThread(const Snapshot& s, const Finding& f) {
  for (const auto& part : f.participants) {
    if (!part.waitsFor) continue;
    // The loop's own wait in its selector (for a child's exit, asyncio's child watcher) is no
    // blocking call made inside the loop.
    if (part.waitsFor->how.rfind("asyncio", 0) == 0) continue;
    const SyncObject* o = waitedObject(s, part);
    if (o ? isAsync(o) : !part.task.empty()) continue;
    const Process* p = processOf(s, part.pid);
    if (!p) continue;
    bool runsLoop = std::any_of(p->loops.begin(), p->loops.end(), [&](const EventLoop& l) { return l.tid && l.tid == part.tid; });
    if (runsLoop) return &part;
  }
  return nullptr;
}

std::string lockOrderFix(const Snapshot& s, const Finding& f) {
  // Participant k waits for what participant k+1 holds: k took the lock k-1 waits for, then
  // waits for the next one. Each participant is one place that takes two of the locks.
  const size_t n = f.participants.size();
  std::vector<std::string> takes;
  std::vector<std::pair<std::string, std::string>> places;  // (first, second) of each participant
  std::string firstName;
  for (size_t k = 0; k < n && k < 4; ++k) {
    const Participant& part = f.participants[k];
    const Participant& prev = f.participants[(k + n - 1) % n];
    if (!part.waitsFor) continue;
    uint64_t held = prev.waitsFor ? prev.waitsFor->object : 0;
    const std::pair<HeldObject, SourceLocation>* hold = nullptr;
    for (const auto& h : part.holds) {
      if (h.first.object == held) hold = &h;
    }
    if (!hold && !part.holds.empty()) hold = &part.holds.front();
    if (!hold) continue;
    std::string first = nameOf(objectOf(s, part.pid, hold->first.object));
    std::string second = nameOf(waitedObject(s, part));
    if (firstName.empty()) firstName = first;
    places.emplace_back(place(hold->second), place(part.at));
    takes.push_back(fmt::format("{} takes {} ({}) then {} ({})", who(part, manyProcesses(f)), first, place(hold->second), second,
                                place(part.at)));
  }
  if (takes.size() < 2) return "take these locks in the same order everywhere (or hold one at a time).";
  // Every thread runs the same code with the locks in opposite roles (transfer(a, b) against
  // transfer(b, a)): the names are the code's, each naming both locks, so only an order that
  // does not depend on the arguments helps.
  if (places.size() == takes.size() &&
      std::all_of(places.begin(), places.end(), [&](const auto& pl) { return pl == places.front(); }) &&
      places.front().first != "an unknown place") {
    std::set<std::string> names;
    for (const auto& part : f.participants) names.insert(nameOf(waitedObject(s, part)));
    // Names of their own (module globals such as lock_a), not the code's expressions (dst.lock),
    // which name a different lock in each thread.
    bool own = names.size() == f.participants.size() &&
               std::none_of(names.begin(), names.end(), [](const std::string& n) { return n.find('.') != std::string::npos; });
    if (own) {
      return fmt::format("the threads run the same code ({} then {}) with the locks in opposite roles: take {} first "
                         "every time (pass the locks in one order, or sort them by a key), or hold one at a time.",
                         places.front().first, places.front().second, firstName);
    }
    return fmt::format("the threads run the same code ({} then {}) with the locks in opposite roles: take the two "
                       "locks in an order that does not depend on the arguments (by a key such as an account id, "
                       "or by id()), or hold one at a time.",
                       places.front().first, places.front().second);
  }
  return fmt::format("take the locks in one order everywhere: {}; take {} first in {} places, or hold one at a time.",
                     fmt::join(takes, ", but "), firstName, n == 2 ? "both" : "all");
}

std::string selfDeadlockFix(const Snapshot& s, const Finding& f) {
  const Participant& part = f.participants.front();
  const SyncObject* o = waitedObject(s, part);
  std::string name = nameOf(o);
  if (part.heldBy.rfind("task \"", 0) == 0 && part.heldBy.find(" across an await") != std::string::npos) {
    const size_t across = part.heldBy.find(" across");
    return fmt::format("{} holds {}{}: release it before awaiting (hold a threading lock only around code that does not "
                       "await), or use an asyncio.Lock between coroutines.", part.heldBy.substr(0, across), name,
                       part.heldBy.substr(across));
  }
  // The hold of the same object (a thread may hold several locks), else none is named.
  const std::pair<HeldObject, SourceLocation>* hold = nullptr;
  for (const auto& h : part.holds) {
    if (o && h.first.object == o->address) hold = &h;
  }
  if (!hold && part.holds.size() == 1) hold = &part.holds.front();
  std::string held = hold ? fmt::format(" while {} holds it", place(hold->second)) : std::string();
  std::string again = fmt::format("{} takes {} again{}", place(part.at), name, held);
  if (o && (o->kind == ObjectKind::kSemaphore || o->kind == ObjectKind::kAsyncSemaphore)) {
    return fmt::format("{}: release it before acquiring it again, or acquire it once in the outer function.", again);
  }
  if (isAsync(o)) {
    return fmt::format("{}: asyncio.Lock is not re-entrant; move the inner work into a helper that expects the lock held.", again);
  }
  if (o && (o->kind == ObjectKind::kSemLock || o->kind == ObjectKind::kMpLock)) {
    return fmt::format("{}: use multiprocessing.RLock() if it is meant to re-enter, or a helper that expects the lock held.", again);
  }
  return fmt::format("{}: use threading.RLock() for {} if it is meant to re-enter, or a helper that expects the lock held.",
                     again, name);
}

// The file a participant blocked taking a file lock waits for ("/tmp/b.lock"), else "".
std::string fileLockPathOf(const Snapshot& s, const Participant& part) {
  if (!part.waitsFor || part.waitsFor->op != WaitOp::kFileLock) return "";
  const Process* p = processOf(s, part.pid);
  for (const auto& t : p ? p->threads : std::vector<Thread>{}) {
    if (t.tid == part.tid) return t.fileLockPath.empty() ? "the file" : t.fileLockPath;
  }
  return "the file";
}

// Cycles through file locks (flock(), lockf()): the files, in the program's words.
std::string fileLockFix(const Snapshot& s, const Finding& f) {
  std::vector<std::string> files, places;
  for (const auto& part : f.participants) {
    std::string path = fileLockPathOf(s, part);
    if (path.empty()) return "";
    if (std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);
    if (std::find(places.begin(), places.end(), place(part.at)) == places.end()) places.push_back(place(part.at));
  }
  if (f.kind == "self-deadlock") {
    return fmt::format("{} locks {} again through a second open() while its own process holds it through another: "
                       "lock once (reuse the file object that holds the lock), or close that one first.",
                       places.front(), files.front());
  }
  return fmt::format("the processes lock {} in opposite orders (at {}): take the file locks in one order everywhere (sort "
                     "the paths), or hold one at a time.", fmt::join(files, " and "), fmt::join(places, "; "));
}

std::string reentrancyFix(const Snapshot& s, const Finding& f, bool gc) {
  const Participant& part = f.participants.front();
  const SyncObject* o = waitedObject(s, part);
  std::string name = nameOf(o);
  const Process* p = processOf(s, part.pid);
  bool queueLock = false;
  if (p && o) {
    for (const auto& [addr, q] : p->objects) {
      if (q.kind == ObjectKind::kQueue && q.underlyingLock == o->address) queueLock = true;
    }
  }
  if (gc) {
    std::string where = fmt::format("{} ({}) runs inside the garbage collector", part.at.function, place(part.at));
    if (queueLock) {
      return fmt::format("{}: do not call back into the queue from __del__; append to a list there and drain it outside the "
                         "lock, or use queue.SimpleQueue, whose put() may be called from __del__.", where);
    }
    return fmt::format("{}: do not take {} in __del__; append to a list there and drain it outside the lock, or make {} a "
                       "threading.RLock().", where, name, name);
  }
  return fmt::format("the signal handler ({} at {}) takes {}, which the code it interrupted holds: only set a flag in the handler "
                     "and act on it outside, or make {} a threading.RLock().", part.at.function, place(part.at), name, name);
}

std::string joinCycleFix(const Snapshot& s, const Finding& f) {
  if (f.summary.find("ThreadPoolExecutor") != std::string::npos) {
    return "a bigger pool or no nested waits: give the executor more workers than tasks that wait, submit the inner work "
           "to a separate executor, or do not wait for futures inside its tasks.";
  }
  for (const auto& part : f.participants) {
    if (part.waitsFor && part.waitsFor->how == "import") {
      return fmt::format("do not wait for other threads while a module is being imported ({}): move the work out of the "
                         "module's body into a function called after the import.", place(part.at));
    }
  }
  for (const auto& part : f.participants) {
    if (part.waitsFor && part.waitsFor->how.find("at exit") != std::string::npos) {
      return "tell the threads to stop (an Event they check) before the program ends, or make them daemon threads.";
    }
  }
  for (const auto& part : f.participants) {
    if (!part.waitsFor || part.holds.empty()) continue;
    WaitOp op = part.waitsFor->op;
    if (op != WaitOp::kJoin && op != WaitOp::kFutureResult) continue;
    const auto& [h, since] = part.holds.front();
    std::string held = nameOf(objectOf(s, part.pid, h.object));
    return fmt::format("{} waits at {} while it holds {} (since {}), which the awaited one needs: release {} before "
                       "waiting.", who(part), place(part.at), held, place(since), held);
  }
  std::vector<std::string> waits;
  for (const auto& part : f.participants) {
    if (part.waitsFor && waits.size() < 4) waits.push_back(fmt::format("{} at {}", who(part, manyProcesses(f)), place(part.at)));
  }
  if (waits.size() < 2) return "one side must not wait for the other: let it signal (an Event, a Queue) instead of joining.";
  return fmt::format("{} wait for each other: let only one side wait, and have the other signal it (an Event, a Queue) "
                     "instead of joining it.", fmt::join(waits, " and "));
}

// The program's frame that awaits asyncio's Process.wait() in a task of a process of the finding.
const SourceLocation* aioProcWaitCaller(const Snapshot& s, const Finding& f) {
  for (const auto& p : s.processes) {
    bool inFinding = std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
      return part.pid == p.pid;
    });
    if (!inFinding) continue;
    for (const auto& task : p.tasks) {
      for (size_t k = 1; k < task.frames.size(); ++k) {
        if (task.frames[k].location.function == "wait" && task.frames[k].location.file.ends_with("/asyncio/subprocess.py")) {
          return &task.frames[k - 1].location;
        }
      }
    }
  }
  return nullptr;
}

// A read cycle closed by a lock: the reader holds what the writer must take before it writes.
std::string readCycleFix(const Snapshot& s, const Finding& f) {
  for (const auto& reader : f.participants) {
    if (!reader.waitsFor || reader.waitsFor->op != WaitOp::kPipeRead) continue;
    for (const auto& [h, since] : reader.holds) {
      for (const auto& writer : f.participants) {
        if (&writer == &reader || !writer.waitsFor || writer.waitsFor->op == WaitOp::kPipeRead ||
            !h.object || writer.waitsFor->object != h.object) {
          continue;
        }
        const std::string held = nameOf(objectOf(s, reader.pid, h.object));
        return fmt::format("{} holds {} (since {}) while it waits to read at {}, and {}, which would write, must take {} "
                           "first (at {}): release {} before waiting for input, or wait with a timeout and release it "
                           "in between.",
                           who(reader), held, place(since), place(reader.at), who(writer), held, place(writer.at), held);
      }
    }
  }
  return "";
}

std::string fullPipeFix(const Snapshot& s, const Finding& f) {
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    if (inFunction(t, "_feed", "/multiprocessing/queues.py")) {
      for (const auto& joiner : f.participants) {
        if (joiner.waitsFor && joiner.waitsFor->op == WaitOp::kJoin) {
          return fmt::format("get() before join(): read every item from the multiprocessing.Queue before joining the "
                             "process at {} (a process exits only once its queued data is in the pipe).", place(joiner.at));
        }
      }
      return "get() before join(): read every item from the multiprocessing.Queue before joining the process that "
             "put it.";
    }
  }
  if (const SourceLocation* at = aioProcWaitCaller(s, f)) {
    return fmt::format("use `await proc.communicate()` instead of `await proc.wait()` at {}: with stdout=PIPE or stderr=PIPE, "
                       "communicate() reads the pipes while it waits.", place(*at));
  }
  // A parent writing a child's stdin while the child writes a stdout (or stderr) nobody reads.
  for (const auto& parent : f.participants) {
    if (!parent.waitsFor || parent.waitsFor->op != WaitOp::kPipeWrite || parent.at.file.empty()) continue;
    for (const auto& child : f.participants) {
      const Process* cp = processOf(s, child.pid);
      if (!cp || cp->ppid != parent.pid || !child.waitsFor || child.waitsFor->op != WaitOp::kPipeWrite) continue;
      return fmt::format("use communicate(input=...) instead of writing the child's stdin at {}: it writes the input and "
                         "reads the output together (or write stdin from another thread).", place(parent.at));
    }
  }
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    if (part.waitsFor && part.waitsFor->op == WaitOp::kJoin && inFunction(t, "wait", "/subprocess.py")) {
      return fmt::format("use communicate() instead of wait() at {}: with stdout=PIPE or stderr=PIPE, communicate() reads "
                         "the pipes while it waits.", place(part.at));
    }
  }
  return "read the pipe in another thread (or with select) while waiting, so that the writer can finish.";
}

std::string deadHolderFix(const Snapshot& s, const Finding& f, bool process) {
  const Participant& part = f.participants.front();
  const SyncObject* o = waitedObject(s, part);
  std::string name = nameOf(o);
  if (process) {
    return fmt::format("use `with {}:` so that the lock is released when the code raises; a process that exits or is killed "
                       "holding a multiprocessing lock never releases it.", name);
  }
  std::string times;
  if (o && o->kind == ObjectKind::kRLock && o->count && *o->count > 1 && *o->count < 1000000) {
    times = fmt::format(" (it acquired it {} times)", *o->count);
  }
  return fmt::format("use `with {}:` instead of acquire()/release(), so that every path releases it: the thread that "
                     "took it exited without releasing it{}.", name, times);
}

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
          bool same = x.pid == w->pid && (r.task.empty() ? x.task.empty() && x.tid == r.tid : x.task == r.task);
          if (same && x.waitsFor && x.waitsFor->object == hold.first.object) who = ::pyhang::who(x);
          return same && x.waitsFor && x.waitsFor->object == hold.first.object;
        });
      });
    });
    if (!all) continue;
    const WakeSite& w = *sites.front();
    std::string lock = nameOf(objectOf(s, part.pid, hold.first.object));
    std::string waited = nameOf(&o);
    return fmt::format("{} holds {} while it waits for {}, and {} ({} in {}()), which would end that wait, is in {}, which "
                       "waits for {}: do not hold {} while waiting for {} (release it first, or take it after).",
                       ::pyhang::who(part), lock, waited, w.call, place(w.at), w.at.function, who, lock, lock, waited);
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

std::string allBlockedFix(const Snapshot& s, const Finding& f) {
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
  for (const Participant* each : order) {
    const Participant& part = *each;
    const SyncObject* o = waitedObject(s, part);
    const Process* p = processOf(s, part.pid);
    if (!o || !p) continue;
    if (std::string cycle = waitUnderLockFix(s, f, part, *o); !cycle.empty()) return cycle;
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
          std::string idle = idleSitesClause(f, *o, part.pid);
          if (idle.empty()) idle = fmt::format("nothing will put into {}", name);
          return fmt::format("{}: have the producer put a sentinel for each consumer when it stops (also when it fails), or "
                             "get() with a timeout.", idle);
        }
        if (op == WaitOp::kQueuePut) {
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
        std::string idle = idleSitesClause(f, *o, part.pid);
        if (idle.empty()) idle = fmt::format("nothing will notify {}", name);
        return fmt::format("{}: notify it after changing the state its waiters check, and wait with wait_for(predicate) so "
                           "that a notify sent earlier is not missed.", idle);
      }
      default: break;
    }
  }
  return "";
}

}  // namespace

std::vector<std::string> wakeSiteLines(const Finding& f) {
  std::vector<std::string> out;
  if (f.wakeSites.empty()) return out;
  out.push_back("  Calls that would end these waits (found by name in the source, may be incomplete):");
  for (const auto& site : f.wakeSites) {
    const bool module = site.at.function == "<module>";
    std::string where = module ? fmt::format("{} (module level)", place(site.at))
                               : fmt::format("{} in {}()", place(site.at), site.at.function);
    std::vector<std::string> runners;
    for (const auto& r : site.runners) {
      std::string who = !r.task.empty() ? fmt::format("task \"{}\"", r.task)
                                        : r.thread.empty() ? fmt::format("Thread {}", r.tid)
                                                           : fmt::format("Thread {} \"{}\"", r.tid, r.thread);
      std::string at = r.line > 0 ? fmt::format(" at line {}", r.line) : "";
      runners.push_back(r.loopBlocked ? fmt::format("{} would run it{}, but its event loop's thread (Thread {}) is blocked", who,
                                                    at.empty() ? "" : fmt::format(" (now{})", at), r.tid)
                        : r.blocked ? fmt::format("{} runs it but is blocked{}", who, at)
                                    : fmt::format("{} runs it (now{})", who, at.empty() ? " in it" : at));
    }
    std::string state = !runners.empty() ? fmt::format("{}", fmt::join(runners, "; "))
                        : module         ? std::string("no thread is running that code")
                                         : fmt::format("no live thread or task is running {}()", site.at.function);
    out.push_back(fmt::format("    {} at {}: {}", site.call, where, state));
  }
  return out;
}

std::string fixLine(const Snapshot& s, const Finding& f) {
  if (f.participants.empty()) return "";
  std::string fix;
  if ((f.kind == "lock-order-cycle" || f.kind == "self-deadlock") &&
      std::all_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
        return part.waitsFor && part.waitsFor->op == WaitOp::kFileLock;
      })) {
    fix = fileLockFix(s, f);
  } else if (f.kind == "lock-order-cycle") fix = lockOrderFix(s, f);
  else if (f.kind == "self-deadlock") fix = selfDeadlockFix(s, f);
  else if (f.kind == "gc-reentrancy") fix = reentrancyFix(s, f, true);
  else if (f.kind == "signal-reentrancy") fix = reentrancyFix(s, f, false);
  else if (f.kind == "join-cycle") fix = joinCycleFix(s, f);
  else if (f.kind == "full-pipe") fix = fullPipeFix(s, f);
  else if (f.kind == "read-cycle" && aioProcWaitCaller(s, f)) {
    fix = fmt::format("close the child's stdin before `await proc.wait()` at {} (proc.stdin.close(); await "
                      "proc.stdin.wait_closed()), or use `await proc.communicate(input)`, which closes it.",
                      place(*aioProcWaitCaller(s, f)));
  } else if (f.kind == "read-cycle" && !readCycleFix(s, f).empty()) {
    fix = readCycleFix(s, f);
  } else if (f.kind == "read-cycle") {
    fix = "one side must write first, or close the ends it does not use (a parent's copy of a child's pipe; Popen's stdin "
          "before wait(), or use communicate()), so that a read sees the end of the data.";
  } else if (f.kind == "held-by-dead-thread") fix = deadHolderFix(s, f, false);
  else if (f.kind == "held-by-dead-process") fix = deadHolderFix(s, f, true);
  else if (f.kind == "held-by-finished-task") {
    fix = fmt::format("use `async with {}:` so that the lock is released when the task fails or is cancelled.",
                      nameOf(waitedObject(s, f.participants.front())));
  } else if (f.kind == "await-cycle") {
    fix = "tasks await each other: let one of them stop awaiting the other (create the inner work as its own task, or "
          "await with asyncio.wait_for and a timeout).";
  } else if (f.kind == "all-blocked") {
    bool forked = std::any_of(f.participants.begin(), f.participants.end(), [](const Participant& p) {
      return p.heldBy.ends_with("(in the parent, at fork time)");
    });
    fix = forked ? "fork only before starting threads, or start the process with the 'spawn' or 'forkserver' method; a lock "
                   "the child needs can be re-created in the child with os.register_at_fork(after_in_child=...)."
                 : allBlockedFix(s, f);
  }
  // An event loop's thread blocked on a threading object stops every task of the loop with it.
  if (const Participant* loop = blockedLoopThread(s, f)) {
    std::string what = loop->waitsFor->object ? " on " + nameOf(waitedObject(s, *loop)) : "";
    std::string blocking = fmt::format("no blocking calls inside the event loop: {} blocks its loop's thread at {}{}; run "
                                       "the call with asyncio.to_thread() or loop.run_in_executor(), or use an asyncio "
                                       "primitive.", who(*loop), place(loop->at), what);
    fix = fix.empty() ? blocking : blocking + " Also: " + fix;
  }
  return fix;
}

}  // namespace pyhang
