#include "analysis/set_aside.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "analysis/deadlock_analysis.h"
#include "analysis/explainer.h"

namespace pyhang {

namespace {

using explain::baseName;
using explain::signalDisplayName;

bool inFinding(const Finding& f, int64_t pid, int64_t tid) {
  return std::any_of(f.participants.begin(), f.participants.end(),
                     [&](const Participant& p) { return p.pid == pid && p.tid == tid && p.task.empty(); });
}

// The signals a process handles in Python, as phrases: from the handlers read in its memory, or
// (live, when those could not be read) from the signals the kernel says it catches, less SIGINT
// (caught by every Python program to raise KeyboardInterrupt) and the fatal ones
// faulthandler catches.
//
// A handler that is itself running in the main thread, blocked in the finding, is not one: the
// same signal again would only run it again, nested, to wait in the same place (a SIGUSR1
// handler that waits for an Event only the code it interrupted sets).
std::vector<std::string> signalWakeSources(const Process& p, const Finding& f) {
  std::vector<std::string> out;
  auto where = [](const SignalHandler& h) {
    if (h.where.file.empty()) return std::string();
    return fmt::format(", {}:{}", baseName(h.where.file), h.where.line);
  };
  std::vector<const Frame*> running;  // handler frames below a "signal handler" marker
  for (const auto& t : p.threads) {
    if (!t.isMain || !inFinding(f, p.pid, t.tid)) continue;
    for (size_t i = 0; i + 1 < t.frames.size(); ++i) {
      const Frame& m = t.frames[i];
      if (m.kind == Frame::Kind::kMarker && m.marker == "signal handler" && t.frames[i + 1].kind == Frame::Kind::kPython) {
        running.push_back(&t.frames[i + 1]);
      }
    }
  }
  auto isRunning = [&](const SignalHandler& h) {
    return std::any_of(running.begin(), running.end(), [&](const Frame* fr) {
      const std::string& qual = fr->qualname.empty() ? fr->location.function : fr->qualname;
      return !h.where.file.empty() && fr->location.file == h.where.file && qual == h.handler;
    });
  };
  if (p.signalHandlers) {
    for (const auto& h : *p.signalHandlers) {
      // multiprocessing's own processes (the forkserver's SIGCHLD handler) only serve others.
      if (h.where.file.find("/multiprocessing/") != std::string::npos) continue;
      if (isRunning(h)) continue;
      out.push_back(fmt::format("signal {} (its handler {}{})", h.name, h.handler, where(h)));
    }
    return out;
  }
  if (p.name == "forkserver" || p.name == "resource tracker") return out;
  if (!p.caughtSignals) return out;
  // INT ILL TRAP ABRT BUS FPE SEGV SYS, and glibc's own 32 and 33 (thread cancellation, setxid).
  static const std::set<int> kIgnored = {2, 4, 5, 6, 7, 8, 11, 31, 32, 33};
  std::vector<std::string> names;
  for (int signo = 1; signo <= 64; ++signo) {
    if ((*p.caughtSignals >> (signo - 1) & 1) && !kIgnored.count(signo)) names.push_back(signalDisplayName(signo));
  }
  if (!names.empty()) {
    out.push_back(fmt::format("{} {} (a handler is installed)", names.size() == 1 ? "signal" : "signals",
                              fmt::join(names, ", ")));
  }
  return out;
}

// The idioms that block the main thread (or its event loop's task) until the program is
// interrupted: an object made on the spot that nothing else can reach, so only a signal (Ctrl-C's
// KeyboardInterrupt, or a handler) ends the wait. `threading.Event().wait()`, and in asyncio
// `await asyncio.Future()` (the websockets "run forever"), `await loop.create_future()` and
// `await asyncio.Event().wait()`.
bool waitsToBeInterrupted(const std::string& line, bool task) {
  auto has = [&](std::string_view what) { return line.find(what) != std::string::npos; };
  // No argument between the parentheses: `Event().wait(5)` has a timeout anyway.
  if (!task) return has("Event().wait()");
  if (!has("await ")) return false;
  return has("asyncio.Future()") || has("create_future()") || has("Event().wait()");
}

// A participant of `f` that waits that way in the main thread of its process (directly, or as a
// task of an event loop run by the main thread): the phrase for it, else "".
std::string interruptWait(const Snapshot& snap, const Finding& f) {
  for (const auto& part : f.participants) {
    if (!part.waitsFor || part.waitsFor->hasTimeout) continue;
    for (const auto& p : snap.processes) {
      if (p.pid != part.pid) continue;
      const Thread* mainThread = nullptr;
      for (const auto& t : p.threads) mainThread = t.isMain ? &t : mainThread;
      if (!mainThread) continue;
      const std::vector<Frame>* frames = nullptr;
      if (part.task.empty()) {
        if (part.tid == mainThread->tid) frames = &mainThread->frames;
      } else {
        for (const auto& task : p.tasks) {
          if (task.name == part.task && task.tid == mainThread->tid) frames = &task.frames;
        }
      }
      if (!frames) continue;
      for (const auto& fr : *frames) {
        if (fr.kind != Frame::Kind::kPython || fr.location.file != part.at.file || fr.location.line != part.at.line) continue;
        if (!waitsToBeInterrupted(fr.sourceLine, !part.task.empty())) continue;
        std::string text = fr.sourceLine.substr(0, fr.sourceLine.find("  #"));
        if (text.size() > 100) text = text.substr(0, 100) + "...";
        return fmt::format("Ctrl-C or another signal (the main thread{} waits at {}:{} in `{}`, on an object nothing else "
                           "can reach: it runs until it is interrupted)",
                           part.task.empty() ? "" : fmt::format("'s task \"{}\"", part.task), baseName(part.at.file),
                           part.at.line, text);
      }
    }
  }
  return "";
}

// A cycle closed by a plain Lock or a Semaphore that a participant took with acquire(): such a
// lock has no owner, any thread (a signal handler included) may release it, and programs use it
// as a gate or a lease that another thread, a timer or a handler opens.
uint64_t handOffLock(const Snapshot& snap, const Finding& f) {
  for (const auto& part : f.participants) {
    if (!part.waitsFor || !part.waitsFor->object) continue;
    const Process* p = nullptr;
    for (const auto& q : snap.processes) p = q.pid == part.pid ? &q : p;
    if (!p) continue;
    auto o = p->objects.find(part.waitsFor->object);
    if (o == p->objects.end() || o->second.threadIdent) continue;
    if (o->second.kind != ObjectKind::kLock && o->second.kind != ObjectKind::kSemaphore) continue;
    // A semaphore whose permits the waiters hold themselves (nested acquires): a release() by
    // any other thread (a refill, a timer) gives one of them a permit, however they took theirs.
    if (f.kind == "self-deadlock" && o->second.kind == ObjectKind::kSemaphore) return part.waitsFor->object;
    for (const auto& other : f.participants) {
      for (const auto& [h, since] : other.holds) {
        if (h.object == part.waitsFor->object && h.how.rfind("acquire()", 0) == 0) return h.object;
      }
    }
  }
  return 0;
}

}  // namespace

// A signal whose Python handler runs in a process's main thread can end any of its waits
// (lock, Condition, Event, Queue and join waits all let handlers run; an event loop gets it
// through its wake-up fd): an all-blocked program with one is waiting for a signal (a daemon's
// SIGTERM), not hung. Such findings are set aside with the signal named.
void setAsideSignalWakeable(Snapshot& snap) {
  Diagnosis& d = snap.diagnosis;
  std::vector<Finding> kept;
  for (auto& f : d.findings) {
    std::vector<std::string> sources;
    // A signal handler runs in the main thread whatever it waits for: it can set events, put
    // items, and write to any pipe or socket its process holds (a self-pipe, set_wakeup_fd).
    // A plain Lock taken with acquire() (by a thread that has exited, or by the waiter itself)
    // can be released by the handler too: the "wait for a signal" latch.
    bool latch = false;
    if ((f.kind == "held-by-dead-thread" || f.kind == "self-deadlock") && !f.participants.empty()) {
      const Participant& part = f.participants.front();
      for (const auto& p : snap.processes) {
        if (p.pid != part.pid || !part.waitsFor) continue;
        auto o = p.objects.find(part.waitsFor->object);
        bool plain = o != p.objects.end() && o->second.kind == ObjectKind::kLock && !o->second.threadIdent;
        bool byAcquire = f.kind == "held-by-dead-thread";
        for (const auto& [h, since] : part.holds) byAcquire |= h.object == part.waitsFor->object && h.how.rfind("acquire()", 0) == 0;
        latch = plain && byAcquire;
      }
    }
    // An asyncio lock or semaphore has no owner: a signal handler (add_signal_handler, or one
    // that calls call_soon_threadsafe) can release it as well as any task.
    latch |= f.kind == "held-by-finished-task";
    if (f.kind == "all-blocked" || f.kind == "read-cycle" || latch) {
      std::set<int64_t> pids;
      for (const auto& part : f.participants) pids.insert(part.pid);
      for (const auto& p : snap.processes) {
        if (!pids.count(p.pid)) continue;
        bool hasMain = std::any_of(p.threads.begin(), p.threads.end(), [](const Thread& t) { return t.isMain; });
        if (!hasMain) continue;
        for (auto& w : signalWakeSources(p, f)) sources.push_back(std::move(w));
      }
      if (f.kind == "all-blocked" && sources.empty()) {
        if (std::string w = interruptWait(snap, f); !w.empty()) sources.push_back(std::move(w));
      }
    }
    if (sources.empty()) {
      kept.push_back(std::move(f));
      continue;
    }
    f.unconfirmedBecause = fmt::format("{} can still wake it", fmt::join(sources, " or "));
    for (auto& w : sources) {
      if (std::find(d.waitingFor.begin(), d.waitingFor.end(), w) == d.waitingFor.end()) d.waitingFor.push_back(std::move(w));
    }
    d.unconfirmed.push_back(std::move(f));
  }
  d.findings = std::move(kept);
}

namespace {

// A thread that may still get somewhere: running, sleeping, in I/O, waiting for a signal or with
// a timeout, or waiting for something outside every finding (an Event a sleeping thread will
// set, a join of a thread at work); not one in a finding or stuck behind one, nor an idle pool
// worker.
bool canRun(const Thread& t) { return t.state != "deadlocked" && t.state != "stuck-behind" && t.state != "idle"; }

bool sleepsOrTimesOut(const Thread& t) {
  return t.state != "waiting" || !t.kernelWait.empty() || t.stateDetail.find("(with a timeout)") != std::string::npos;
}

// A thread that can act by itself (running, sleeping, in I/O, with a timeout), or one that waits
// while another thread of its process outside every finding can act and may end that wait (a
// fetcher sleeping before it sets the Event the releaser waits for). A waiter whose process has
// nobody else left to act waits forever.
bool mayAct(const Process& p, const Thread& t, const Finding& f) {
  if (!canRun(t) || inFinding(f, p.pid, t.tid)) return false;
  if (sleepsOrTimesOut(t)) return true;
  return std::any_of(p.threads.begin(), p.threads.end(), [&](const Thread& o) {
    return &o != &t && canRun(o) && sleepsOrTimesOut(o) && !inFinding(f, p.pid, o.tid);
  });
}

// An event loop with timers (loop.call_later(..., lock.release)) waits with a timeout.
bool loopTimers(const Process& p, const Thread& t) {
  return std::any_of(p.loops.begin(), p.loops.end(), [&](const EventLoop& l) { return l.tid == t.tid && l.timers > 0; });
}

// The call a site makes, in words: "busy.release() at app.py:12", or through a helper
// "end_lease() at app.py:30 (it calls busy.release() at app.py:12)".
std::string siteCall(const WakeSite& site) {
  if (site.via.file.empty()) return fmt::format("{} at {}:{}", site.call, baseName(site.at.file), site.at.line);
  return fmt::format("{}{} at {}:{} (it calls {} at {}:{})", site.via.function, site.reference ? "" : "()",
                     baseName(site.at.file), site.at.line, site.call, baseName(site.via.file), site.via.line);
}

const Process* processOf(const Snapshot& snap, int64_t pid) {
  for (const auto& q : snap.processes) {
    if (q.pid == pid) return &q;
  }
  return nullptr;
}

// Why the call at `site` can still be made: a thread that may act is in the function around it
// (it makes the call, or calls the helper that does), or the call is handed to a timer or a
// scheduler one of whose threads sleeps or waits with a timeout. "" when neither.
std::string siteMayRun(const Snapshot& snap, const Process& p, const WakeSite& site, const Finding& f) {
  if (!site.reference) {
    for (const auto& r : site.runners) {
      const Process* q = processOf(snap, r.pid);
      if (r.blocked || r.loopBlocked || !r.task.empty() || !q) continue;
      for (const auto& t : q->threads) {
        if (t.tid != r.tid || !mayAct(*q, t, f)) continue;
        return fmt::format("thread {} \"{}\" is in {}(), which calls {}", r.tid, r.thread, site.at.function, siteCall(site));
      }
    }
    return "";
  }
  for (const auto& t : p.threads) {
    if (inFinding(f, p.pid, t.tid) || !canRun(t)) continue;
    // (From a core, a sleep can show as "unknown": no kernel view.)
    const bool timed = t.state == "sleeping" || t.state == "unknown" ||
                       t.stateDetail.find("(with a timeout)") != std::string::npos || loopTimers(p, t);
    if (!timed || (!sleepsOrTimesOut(t) && !loopTimers(p, t))) continue;
    const std::string where = fmt::format("{}:{}", baseName(site.at.file), site.at.line);
    const std::string handed = site.via.file.empty()
                                   ? fmt::format("{} is handed to a timer or a scheduler at {}", site.call, where)
                                   : fmt::format("{} (which calls {} at {}:{}) is handed to a timer or a scheduler at {}",
                                                 site.via.function, site.call, baseName(site.via.file), site.via.line, where);
    return fmt::format("{}, and thread {} \"{}\" {}", handed, t.tid, t.name,
                       t.state == "sleeping" ? "sleeps" : t.state == "unknown" ? "may still run" : "waits with a timeout");
  }
  return "";
}

// The work queue of the ThreadPoolExecutor whose worker `t` is, else 0.
uint64_t workQueueOf(const Thread& t) {
  for (const auto& fr : t.frames) {
    if (fr.location.function != "_worker" || !fr.location.file.ends_with("/concurrent/futures/thread.py")) continue;
    for (const auto* vars : {&fr.arguments, &fr.locals}) {
      for (const auto& v : *vars) {
        if (v.name == "work_queue" && v.address) return v.address;
      }
    }
  }
  return 0;
}

// A pool starved by some of its workers while another of its workers, outside the finding, waits
// for something that may still come (an Event a sleeping thread will set): once that wait ends,
// the worker runs the queued work. "" when every other worker is stuck too.
std::string freeWorkerLater(const Snapshot& snap, const Finding& f) {
  for (const auto& part : f.participants) {
    const Process* p = nullptr;
    for (const auto& q : snap.processes) p = q.pid == part.pid ? &q : p;
    if (!p || !part.task.empty()) continue;
    uint64_t queue = 0;
    for (const auto& t : p->threads) queue = t.tid == part.tid ? workQueueOf(t) : queue;
    if (!queue) continue;
    for (const auto& w : p->threads) {
      if (inFinding(f, p->pid, w.tid) || workQueueOf(w) != queue || !mayAct(*p, w, f)) continue;
      std::string what = w.stateDetail.empty() ? std::string("is not stuck") : w.stateDetail;
      if (what.size() > 160) what = what.substr(0, 157) + "...";
      return fmt::format("worker {} \"{}\" of the same pool {}, which may still end: it will then run the queued work",
                         w.tid, w.name, what);
    }
  }
  return "";
}

// Why a join or lock-order cycle closed by a gate or a lease, or a starved pool, may still end; ""
// when nothing says so (see setAsideHandOffReleases).
std::string handOffReason(const Snapshot& snap, const Finding& f) {
  std::string because;
  const uint64_t lock =
      f.kind == "join-cycle" || f.kind == "lock-order-cycle" || f.kind == "self-deadlock" ? handOffLock(snap, f) : 0;
  bool semaphore = false;
  for (const auto& q : snap.processes) {
    auto o = q.objects.find(lock);
    semaphore |= lock && o != q.objects.end() && o->second.kind == ObjectKind::kSemaphore;
  }
  const std::string anyThread = semaphore ? "any thread may release a semaphore"
                                          : "a lock taken with acquire() may be released by any thread";
  for (const auto& site : f.wakeSites) {
    const Process* p = processOf(snap, site.pid);
    // (A release after the function's own acquire() gives back what it took, and so does a
    // helper that takes and releases; `lock.release` handed to a timer there is a lease.)
    const bool lease = site.reference && site.via.file.empty();
    if (!lock || !because.empty() || site.object != lock || !p || (site.afterOwnAcquire && !lease)) continue;
    const bool release = site.call.ends_with(".release()") || site.call.ends_with(".release");
    if (!release) continue;
    if (!site.reference && p->signalHandlers) {
      // A Python signal handler that calls release() (or the helper that does): it runs in the
      // main thread, whatever that thread waits for.
      for (const auto& h : *p->signalHandlers) {
        const std::string last = h.handler.substr(h.handler.rfind('.') == std::string::npos ? 0 : h.handler.rfind('.') + 1);
        if (!because.empty() || last != site.at.function || baseName(h.where.file) != baseName(site.at.file)) continue;
        because = fmt::format("signal {}'s handler {} calls {}; {}", h.name, h.handler, siteCall(site), anyThread);
      }
    }
    if (because.empty()) {
      if (std::string why = siteMayRun(snap, *p, site, f); !why.empty()) because = fmt::format("{}; {}", why, anyThread);
    }
  }
  // A pool starved by its own workers: a thread outside it that can still run (a watchdog,
  // sleeping until a deadline) in a function that cancels or completes the awaited future, or
  // shuts the pool down cancelling its queued futures, or a timer that will.
  for (const auto& site : f.wakeSites) {
    if (!because.empty() || f.kind != "join-cycle") continue;
    const bool completes = site.call.ends_with(".cancel()") || site.call.ends_with(".set_result()") ||
                           site.call.ends_with(".set_exception()") || site.call == "shutdown(cancel_futures=True)";
    const Process* p = processOf(snap, site.pid);
    auto o = p ? p->objects.find(site.object) : decltype(p->objects.end()){};
    if (!completes || !p || o == p->objects.end() || o->second.kind != ObjectKind::kFuture) continue;
    if (std::string why = siteMayRun(snap, *p, site, f); !why.empty()) {
      because = fmt::format("{}: the future may still be cancelled or completed", why);
    }
  }
  if (because.empty() && f.kind == "join-cycle") because = freeWorkerLater(snap, f);
  return because;
}

// What outside the threads may still make a wake site's call of an all-blocked finding: a C
// thread calling the ctypes callback around it; "" when none (see setAsideForeignCallbacks).
std::string foreignCallbackSource(const Snapshot& snap, const Finding& f) {
  std::string source;
  for (const auto& site : f.wakeSites) {
    const Process* p = processOf(snap, site.pid);
    if (f.kind != "all-blocked" || !source.empty() || !p || p->foreignCallbacks.empty()) continue;
    const int64_t cThreads = p->osThreadCount - static_cast<int64_t>(p->threads.size());
    if (cThreads <= 0) continue;
    for (const auto& cb : p->foreignCallbacks) {
      const std::string last = cb.where.function.substr(
          cb.where.function.rfind('.') == std::string::npos ? 0 : cb.where.function.rfind('.') + 1);
      // The function around the call; one call away, the helper or the function calling it.
      auto is = [&](const SourceLocation& fn) {
        return !fn.file.empty() && last == fn.function && baseName(cb.where.file) == baseName(fn.file);
      };
      if (!(is(site.at) || is(site.via)) || !source.empty()) continue;
      const std::string function = cb.name == cb.where.function ? "" : cb.where.function + ", ";
      source = fmt::format("a C thread calling the ctypes callback {} ({}{}:{}, which calls {}; the process has {} "
                           "thread{} Python does not know)",
                           cb.name, function, baseName(cb.where.file), cb.where.line, siteCall(site), cThreads,
                           cThreads == 1 ? "" : "s");
    }
  }
  return source;
}

// Moves each finding `reason` gives words for to Diagnosis::unconfirmed with them as its reason
// (an outside source: "<source> can still wake it", and the source named in waitingFor), then
// sets the verdict again.
template <class Reason>
void moveAside(Snapshot& snap, Reason reason, bool outsideSource) {
  Diagnosis& d = snap.diagnosis;
  std::vector<Finding> kept;
  bool moved = false;
  for (auto& f : d.findings) {
    std::string because = reason(snap, f);
    if (because.empty()) {
      kept.push_back(std::move(f));
      continue;
    }
    if (outsideSource) {
      if (std::find(d.waitingFor.begin(), d.waitingFor.end(), because) == d.waitingFor.end()) d.waitingFor.push_back(because);
      because += " can still wake it";
    }
    f.unconfirmedBecause = because;
    d.unconfirmed.push_back(std::move(f));
    moved = true;
  }
  d.findings = std::move(kept);
  if (!moved) return;
  markParticipantStates(snap);
  setVerdict(d);
}

}  // namespace

void setAsideHandOffReleases(Snapshot& snap) { moveAside(snap, handOffReason, false); }

void setAsideForeignCallbacks(Snapshot& snap) { moveAside(snap, foreignCallbackSource, true); }

}  // namespace pyhang
