// Fix lines for lock-order cycles, self-deadlocks, file-lock cycles, re-entrancy, join cycles
// and locks held by a dead thread or process (see fix_lines_internal.h).
#include "report/fix_lines_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report/object_state.h"

namespace pyhang::fix_lines_internal {

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
    takes.push_back(fmt::format("{} takes {} ({}) then {} ({})", who(part, manyProcesses(f), &s), first, place(hold->second), second,
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
  // A multiprocessing semaphore, or the wrapper (multiprocessing.BoundedSemaphore) around one.
  const SyncObject* sem = o && o->kind == ObjectKind::kMpLock && o->underlyingLock ? objectOf(s, part.pid, o->underlyingLock) : o;
  if (o && (o->kind == ObjectKind::kSemaphore || o->kind == ObjectKind::kAsyncSemaphore || (sem && isCountingSemLock(*sem)))) {
    return fmt::format("{}: release it before acquiring it again, or acquire it once in the outer function.", again);
  }
  if (isAsync(o)) {
    return fmt::format("{}: asyncio.Lock is not re-entrant; move the inner work into a helper that expects the lock held.", again);
  }
  if (o && (o->kind == ObjectKind::kSemLock || o->kind == ObjectKind::kMpLock)) {
    return fmt::format("{}: use multiprocessing.RLock() if it is meant to re-enter, or a helper that expects the lock held.", again);
  }
  // The mutex of a queue.Queue taken by the program (`with jobs.mutex:`) around a call of the
  // queue's own methods, which take it themselves: no RLock can be swapped in there.
  if (const Process* p = o && o->kind == ObjectKind::kLock ? processOf(s, part.pid) : nullptr) {
    for (const auto& [addr, q] : p->objects) {
      if (q.kind != ObjectKind::kQueue || q.underlyingLock != o->address) continue;
      return fmt::format("{}: the methods of queue {} (put, get, qsize...) take its mutex themselves; call them after "
                         "leaving `with {}:`, or work on {}.queue directly while holding it.",
                         again, objectShortName(q), name, objectShortName(q));
    }
  }
  return fmt::format("{}: use threading.RLock() for {} if it is meant to re-enter, or a helper that expects the lock held.",
                     again, name);
}

namespace {

// The file a participant blocked taking a file lock waits for ("/tmp/b.lock"), else "".
std::string fileLockPathOf(const Snapshot& s, const Participant& part) {
  if (!part.waitsFor || part.waitsFor->op != WaitOp::kFileLock) return "";
  const Process* p = processOf(s, part.pid);
  for (const auto& t : p ? p->threads : std::vector<Thread>{}) {
    if (t.tid == part.tid) return t.fileLockPath.empty() ? "the file" : t.fileLockPath;
  }
  return "the file";
}

}  // namespace

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
    // A done callback runs on the worker that completed the future: waiting there for the same
    // pool's futures holds that worker.
    for (const auto& part : f.participants) {
      const Thread* t = threadOf(s, part);
      if (!t || !std::any_of(t->frames.begin(), t->frames.end(), [](const Frame& fr) {
            return fr.location.function == "_invoke_callbacks" && fr.location.file.ends_with("concurrent/futures/_base.py");
          })) {
        continue;
      }
      return fmt::format("{} waits at {} inside a done callback ({}()), which runs on the pool's worker that completed the "
                         "future: do not wait for the pool's futures in add_done_callback() callbacks; chain the next step "
                         "with another add_done_callback(), or give the executor more workers than callbacks that wait.",
                         who(part), place(part.at), part.at.function);
    }
    return "a bigger pool or no nested waits: give the executor more workers than tasks that wait, submit the inner work "
           "to a separate executor, or do not wait for futures inside its tasks.";
  }
  if (f.summary.ends_with("a Pool's result handler, waits in a callback for a result only it would deliver")) {
    return fmt::format("do not wait for the pool's results inside a callback ({}): do the work in the callback itself, or "
                       "chain it with apply_async(..., callback=...) and return.",
                       f.participants.empty() ? std::string("?") : place(f.participants.front().at));
  }
  if (f.summary.find("multiprocessing ThreadPool") != std::string::npos) {
    return "a bigger pool or no nested waits: give the ThreadPool more workers than tasks that wait, run the inner work "
           "on a separate pool, or do not wait for results (map(), get()) inside its tasks.";
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
  // A participant that waits for a thread, future or process while it holds what another
  // participant waits for: that hold closes the cycle. Only a hold someone is seen to need is
  // named (a library's own lock held around the wait, such as Popen's _waitpid_lock, is not).
  const bool many = manyProcesses(f);
  for (const auto& part : f.participants) {
    if (!part.waitsFor) continue;
    WaitOp op = part.waitsFor->op;
    if (op != WaitOp::kJoin && op != WaitOp::kFutureResult) continue;
    for (const auto& other : f.participants) {
      if (&other == &part || !other.waitsFor) continue;
      if (other.waitsFor->op == WaitOp::kFileLock) {
        const Thread* t = threadOf(s, other);
        if (!t || std::find(t->fileLockHolders.begin(), t->fileLockHolders.end(), part.pid) == t->fileLockHolders.end()) {
          continue;
        }
        const bool lockf = t->fileLockCall.find("lockf") != std::string::npos;
        const std::string waiter = who(part, many, &s);
        const bool isProcess = waiter.find("process (pid") != std::string::npos;
        return fmt::format("{} waits at {} while {} holds {} on {}, which {} needs at {}: release the lock "
                           "({}, or close the file) before waiting.",
                           waiter, place(part.at), isProcess ? "it" : "its process", t->fileLockCall.empty() ? "a file lock" : t->fileLockCall,
                           t->fileLockPath.empty() ? "the file" : t->fileLockPath, who(other, many, &s), place(other.at),
                           lockf ? "fcntl.lockf(f, fcntl.LOCK_UN)" : "fcntl.flock(f, fcntl.LOCK_UN)");
      }
      if (other.pid != part.pid) continue;
      const SyncObject* needed = waitedObject(s, other);
      for (const auto& [h, since] : part.holds) {
        if (!needed || (h.object != needed->address && h.object != needed->underlyingLock)) continue;
        std::string held = nameOf(objectOf(s, part.pid, h.object));
        return fmt::format("{} waits at {} while it holds {} (since {}), which {} needs at {}: release {} before waiting.",
                           who(part), place(part.at), held, place(since), who(other), place(other.at), held);
      }
    }
  }
  // Workers of two (or more) pools, each waiting for a future queued behind the other's workers.
  const bool queuedBehind = std::any_of(f.lines.begin(), f.lines.end(), [](const std::string& l) {
    return l.find("still queued in its ThreadPoolExecutor") != std::string::npos ||
           l.find("still queued in its multiprocessing ThreadPool") != std::string::npos;
  });
  const bool allFutures = std::all_of(f.participants.begin(), f.participants.end(), [](const Participant& part) {
    return part.waitsFor && part.waitsFor->op == WaitOp::kFutureResult;
  });
  if (queuedBehind && allFutures) {
    std::vector<std::string> waits;
    for (const auto& part : f.participants) {
      if (part.waitsFor && waits.size() < 4) waits.push_back(fmt::format("{} at {}", who(part), place(part.at)));
    }
    return fmt::format("{} each wait for a future still queued in the other's pool, whose workers are all among these waiting threads: "
                       "do not wait inside one pool's task for work of a pool that waits back (submit it and return, "
                       "chaining with add_done_callback), or give each executor more workers than tasks that wait.",
                       fmt::join(waits, " and "));
  }
  std::vector<std::string> waits;
  for (const auto& part : f.participants) {
    if (part.waitsFor && waits.size() < 4) waits.push_back(fmt::format("{} at {}", who(part, many, &s), place(part.at)));
  }
  if (waits.size() < 2) return "one side must not wait for the other: let it signal (an Event, a Queue) instead of joining.";
  return fmt::format("{} wait for each other: let only one side wait, and have the other signal it (an Event, a Queue) "
                     "instead of joining it.", fmt::join(waits, " and "));
}

std::string deadHolderFix(const Snapshot& s, const Finding& f, bool process) {
  const Participant& part = f.participants.front();
  const SyncObject* o = waitedObject(s, part);
  std::string name = nameOf(o);
  if (process) {
    return fmt::format("use `with {}:` so that the lock is released when the code raises; a process that exits or is killed "
                       "holding a multiprocessing lock never releases it.", name);
  }
  if (o && o->kind == ObjectKind::kIoBuffer) {
    return fmt::format("do not fork while other threads may write to {0}: a forked child has only the thread that "
                       "called fork(), and a stream another thread was writing stays locked in it. Fork before starting "
                       "threads, start the child with the 'spawn' or 'forkserver' method or with subprocess, or have "
                       "the child only exec or call os._exit().", name);
  }
  // An import ends in a finally: only a fork leaves a module's import lock owned by a thread
  // that does not exist.
  if (o && o->kind == ObjectKind::kImportLock && !o->threadName.empty()) {
    return fmt::format("import {0} before starting threads that import it, or before forking: a forked child has only the "
                       "thread that called fork(), and cannot finish an import another thread had begun; or start the "
                       "child with the 'spawn' or 'forkserver' method.", o->threadName);
  }
  if (part.heldBy.ends_with("(held at fork time)")) {
    return fmt::format("fork only before starting threads, or start the process with the 'spawn' or 'forkserver' method: "
                       "the child has only the thread that called fork(), so a lock another thread held then stays "
                       "locked in it (a lock the child needs can be re-created with "
                       "os.register_at_fork(after_in_child=...)).");
  }
  if (part.heldBy.ends_with("(exited, or the parent's at fork time)")) {
    return fmt::format("if the parent's thread held {0} when this process was forked: fork only before starting threads, "
                       "or start the process with the 'spawn' or 'forkserver' method (a lock the child needs can be "
                       "re-created with os.register_at_fork(after_in_child=...)); if a thread of this process took it: "
                       "use `with {0}:` instead of acquire()/release().", name);
  }
  std::string times;
  if (o && o->kind == ObjectKind::kRLock && o->count && *o->count > 1 && *o->count < 1000000) {
    times = fmt::format(" (it acquired it {} times)", *o->count);
  }
  return fmt::format("use `with {}:` instead of acquire()/release(), so that every path releases it: the thread that "
                     "took it exited without releasing it{}.", name, times);
}

}  // namespace pyhang::fix_lines_internal
