#include "report/fix_lines.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "report/fix_lines_internal.h"
#include "report/object_state.h"

namespace pyhang {

namespace fix_lines_internal {

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
std::string who(const Participant& part, bool manyProcesses, const Snapshot* s) {
  if (!part.task.empty()) return fmt::format("task \"{}\"", part.task);
  if (manyProcesses && (part.thread.empty() || part.thread == "MainThread")) {
    if (part.process.empty() || part.process == "MainProcess") {
      // A child started by subprocess or os.fork() has no multiprocessing name either.
      const Process* p = s ? processOf(*s, part.pid) : nullptr;
      if (p && p->ppid && processOf(*s, p->ppid)) return fmt::format("the child process (pid {})", part.pid);
      return fmt::format("the main process (pid {})", part.pid);
    }
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

}  // namespace fix_lines_internal

using namespace fix_lines_internal;

namespace {

// A thread that runs an event loop and blocks in a threading (not asyncio) wait: a task's
// blocking call, or the loop thread's own.
const Participant* blockedLoopThread(const Snapshot& s, const Finding& f) {
  for (const auto& part : f.participants) {
    if (!part.waitsFor) continue;
    // The loop's own wait in its selector (for a child's exit, asyncio's child watcher) is no
    // blocking call made inside the loop.
    if (part.waitsFor->how.rfind("asyncio", 0) == 0) continue;
    // A task awaiting I/O leaves its loop free to run.
    if (!part.task.empty() && part.waitsFor->op == WaitOp::kIo) continue;
    const SyncObject* o = waitedObject(s, part);
    if (o ? isAsync(o) : !part.task.empty()) continue;
    const Process* p = processOf(s, part.pid);
    if (!p) continue;
    bool runsLoop = std::any_of(p->loops.begin(), p->loops.end(), [&](const EventLoop& l) { return l.tid && l.tid == part.tid; });
    if (runsLoop) return &part;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> wakeSiteLines(const Finding& f) {
  std::vector<std::string> out;
  if (f.wakeSites.empty()) return out;
  out.push_back("  Calls that would end these waits (found by name in the source, may be incomplete):");
  // An object processes share, waited for in two of them, finds each call twice, with the same
  // runners (searched in every process): told once.
  std::set<std::tuple<std::string, std::string, int, int, std::vector<std::pair<int64_t, int64_t>>>> told;
  for (const auto& site : f.wakeSites) {
    std::vector<std::pair<int64_t, int64_t>> by;
    for (const auto& r : site.runners) by.emplace_back(r.pid, r.tid);
    if (!told.insert({site.call, site.at.file, site.at.line, site.via.line, by}).second) continue;
    const bool module = site.at.function == "<module>";
    std::string where = module ? fmt::format("{} (module level)", place(site.at))
                               : fmt::format("{} in {}()", place(site.at), site.at.function);
    std::vector<std::string> runners;
    for (const auto& r : site.runners) {
      std::string who = !r.task.empty() ? fmt::format("task \"{}\"", r.task)
                                        : r.thread.empty() ? fmt::format("Thread {}", r.tid)
                                                           : fmt::format("Thread {} \"{}\"", r.tid, r.thread);
      if (!r.process.empty()) who += " of process " + r.process;
      std::string at = r.line > 0 ? fmt::format(" at line {}", r.line) : "";
      // Through a helper, the runner is in the caller: name it, for "runs it" would read as the helper.
      const std::string it = site.via.file.empty() ? std::string("it") : site.at.function + "()";
      runners.push_back(r.loopBlocked ? fmt::format("{} would run {}{}, but its event loop's thread (Thread {}) is blocked", who, it,
                                                    at.empty() ? "" : fmt::format(" (now{})", at), r.tid)
                        : r.blocked && !r.interruptedBy.empty()
                            ? fmt::format("{} runs {}, but the signal handler {}() interrupted it{} and is blocked", who, it,
                                          r.interruptedBy, at)
                        : r.blocked ? fmt::format("{} runs {} but is blocked{}", who, it, at)
                                    : fmt::format("{} runs {} (now{})", who, it, at.empty() ? " in it" : at));
    }
    std::string state = !runners.empty() ? fmt::format("{}", fmt::join(runners, "; "))
                        : module         ? std::string("no thread is running that code")
                                         : fmt::format("no live thread or task is running {}()", site.at.function);
    std::string line = site.via.file.empty()
                           ? fmt::format("    {} at {}: {}", site.call, where, state)
                           : fmt::format("    {} in {}() ({}), {} at {}: {}", site.call, site.via.function, place(site.via),
                                         site.reference ? "handed along" : "called", where, state);
    // Two waits for one object through different names find the same call twice.
    if (std::find(out.begin(), out.end(), line) == out.end()) out.push_back(std::move(line));
  }
  return out;
}

namespace {

// A cycle closed by a functools.cached_property's lock (3.8 to 3.11), which one getter holds
// while it waits for a thread that reads the same property of another instance.
std::string cachedPropertyFix(const Snapshot& s, const Finding& f) {
  for (const auto& holder : f.participants) {
    for (const auto& [h, since] : holder.holds) {
      const SyncObject* o = objectOf(s, holder.pid, h.object);
      if (!o || o->cachedProperty.empty()) continue;
      for (const auto& waiter : f.participants) {
        if (&waiter == &holder || !waiter.waitsFor || waiter.waitsFor->object != h.object || waiter.pid != holder.pid) {
          continue;
        }
        return fmt::format("functools.cached_property (Python 3.8 to 3.11) computes {} under one lock shared by every "
                           "instance: {} holds it while the getter waits at {}, and {} needs it to read that property (of any "
                           "instance) at {}: do not wait for other threads inside a cached_property getter, or cache by hand with a "
                           "lock per instance (3.12 removed this lock).",
                           o->cachedProperty, who(holder), place(holder.at), who(waiter), place(waiter.at));
      }
    }
  }
  return "";
}

}  // namespace

std::string fixLine(const Snapshot& s, const Finding& f) {
  if (f.participants.empty()) return "";
  std::string fix;
  if (std::string cached = cachedPropertyFix(s, f); !cached.empty()) {
    fix = std::move(cached);
  } else if ((f.kind == "lock-order-cycle" || f.kind == "self-deadlock") &&
      std::all_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
        return part.waitsFor && part.waitsFor->op == WaitOp::kFileLock;
      })) {
    fix = fileLockFix(s, f);
  } else if (f.kind == "lock-order-cycle") fix = lockOrderFix(s, f);
  else if (f.kind == "self-deadlock" && f.summary.ends_with("calls shutdown() from inside serve_forever() on the same thread")) {
    fix = "call shutdown() from another thread (threading.Thread(target=server.shutdown).start()), or use a "
          "ThreadingTCPServer so that handlers run in threads of their own: shutdown() must never run on the thread of "
          "serve_forever().";
  } else if (f.kind == "self-deadlock") fix = selfDeadlockFix(s, f);
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
    fix = fmt::format("use `async with {}:` so that the lock is released on every path: an early return, an exception, a cancellation.",
                      nameOf(waitedObject(s, f.participants.front())));
  } else if (f.kind == "await-cycle") {
    fix = "tasks await each other: let one of them stop awaiting the other (create the inner work as its own task, or "
          "await with asyncio.wait_for and a timeout).";
  } else if (f.kind == "all-blocked") {
    bool forked = std::any_of(f.participants.begin(), f.participants.end(), [](const Participant& p) {
      return p.heldBy.ends_with("(in the parent, at fork time)");
    });
    // Popen(preexec_fn=...): the function runs in the forked child, between fork() and exec(),
    // called from _execute_child. Also when the lock's holder at fork time could not be told (the
    // parent's thread had released it by the time it was read).
    bool preexec = std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& p) {
      const Thread* t = threadOf(s, p);
      if (!t) return false;
      auto exec = std::find_if(t->frames.begin(), t->frames.end(), [](const Frame& fr) {
        return fr.location.function == "_execute_child" && fr.location.file.ends_with("/subprocess.py");
      });
      return exec != t->frames.end() && std::any_of(exec + 1, t->frames.end(), [](const Frame& fr) {
        return fr.kind == Frame::Kind::kPython && !fr.location.file.ends_with("/subprocess.py");
      });
    });
    fix = preexec ? fmt::format("do not take locks in Popen's preexec_fn ({} runs in the forked child, where only the thread "
                                "that called Popen exists; the subprocess documentation warns it is not safe with threads): "
                                "use Popen's start_new_session=, process_group=, user= or umask= arguments, or do the work "
                                "in the child command.", f.participants.front().at.function)
          : forked ? "fork only before starting threads, or start the process with the 'spawn' or 'forkserver' method; a lock "
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
