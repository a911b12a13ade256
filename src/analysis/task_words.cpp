#include "analysis/task_words.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "analysis/explainer.h"
#include "analysis/task_analysis.h"

namespace pyhang::tasks {

using explain::baseName;

bool isPending(const Task& t) {
  return t.address != 0 && (t.state == "pending" || t.state == "running");
}

// The task waits for something that only another task (or thread) can provide, with no timer.
const LoopFd* closedLoopFd(const Process& p, const Task& t) {
  if (!t.await || t.await->kind != "io" || t.await->fd < 0 || t.await->hasTimeout) return nullptr;
  for (const auto& l : p.loops) {
    if (l.address != t.loop) continue;
    for (const auto& fd : l.fds) {
      if (fd.fd == t.await->fd && fd.peerFd >= 0) return &fd;
    }
  }
  return nullptr;
}

bool waitsForever(const Task& t) {
  if (!isPending(t) || !t.await || t.await->hasTimeout) return false;
  static const std::set<std::string> kKinds = {"lock",    "semaphore", "event",    "condition",
                                               "barrier", "queue",     "task",     "future",
                                               "gather",  "wait",      "taskgroup"};
  return kKinds.count(t.await->kind) > 0;
}

const SyncObject* objectOf(const Process& p, uint64_t addr) {
  auto it = p.objects.find(addr);
  return it == p.objects.end() ? nullptr : &it->second;
}

// The lock an asyncio object stands for: a Condition's lock, else itself.
uint64_t asyncLockOf(const Process& p, uint64_t obj) {
  const SyncObject* o = objectOf(p, obj);
  if (o && o->kind == ObjectKind::kAsyncCondition && o->underlyingLock) return o->underlyingLock;
  return obj;
}

bool isAsyncLockKind(const Process& p, uint64_t obj) {
  const SyncObject* o = objectOf(p, obj);
  return o && (o->kind == ObjectKind::kAsyncLock || o->kind == ObjectKind::kAsyncSemaphore ||
               o->kind == ObjectKind::kAsyncCondition);
}

// "lock1 (lock2) <asyncio.locks.Lock at 0x...>": the program's names, the frame's own name when
// different, the type and the address (as the thread findings do).
std::string objectLabel(const Process& p, uint64_t addr, const Frame* frame) {
  const SyncObject* o = objectOf(p, addr);
  std::vector<std::string> names = o ? o->names : std::vector<std::string>{};
  std::string local;
  if (frame) {
    for (const auto* vars : {&frame->arguments, &frame->locals}) {
      for (const auto& v : *vars) {
        if (v.address == addr && v.name != "self") local = v.name;
      }
    }
  }
  std::string type = o ? o->type : "object";
  std::string s;
  if (!names.empty()) {
    s = names.front();
    if (!local.empty() && local != names.front()) s += fmt::format(" ({})", local);
    s += " ";
  } else if (!local.empty()) {
    s = local + " ";
  }
  return s + fmt::format("<{} at 0x{:x}>", type, addr);
}

std::string shortObjectName(const Process& p, uint64_t addr) {
  const SyncObject* o = objectOf(p, addr);
  if (o && !o->names.empty()) return o->names.front();
  return fmt::format("<{} at 0x{:x}>", o ? o->type : "object", addr);
}

const Task* taskAt(const Process& p, uint64_t addr) {
  if (!addr) return nullptr;
  for (const auto& t : p.tasks) {
    if (t.address == addr) return &t;
  }
  return nullptr;
}

const Thread* threadOf(const Process& p, int64_t tid) {
  if (!tid) return nullptr;
  for (const auto& t : p.threads) {
    if (t.tid == tid) return &t;
  }
  return nullptr;
}

std::string threadLabel(const Snapshot& s, const Process& p, int64_t tid) {
  const Thread* t = threadOf(p, tid);
  std::string prefix = s.processes.size() > 1 ? fmt::format("process {} ", p.pid) : "";
  if (!t || t->name.empty()) return fmt::format("{}Thread {}", prefix, tid);
  return fmt::format("{}Thread {} \"{}\"", prefix, tid, t->name);
}

std::string loopPhrase(const Snapshot& s, const Process& p, int64_t tid) {
  if (!tid) return "an event loop that no thread is running";
  return "the event loop in " + threadLabel(s, p, tid);
}

std::string where(const Frame& f, int line) {
  return fmt::format("{}:{} in {}", baseName(f.location.file), line ? line : f.location.line,
                     f.location.function);
}

std::string fmtSeconds(double s) {
  if (s < 0) return "overdue";
  if (s < 10) return fmt::format("{:.1f} s", s);
  return fmt::format("{:.0f} s", s);
}

const Frame* awaitFrame(const Task& t) {
  if (!t.await || t.await->frameIndex >= t.frames.size())
    return t.frames.empty() ? nullptr : &t.frames.back();
  return &t.frames[t.await->frameIndex];
}

std::string atPhrase(const Task& t) {
  const Frame* f = awaitFrame(t);
  if (!f) return "";
  std::string s = "at " + where(*f);
  if (!f->sourceLine.empty()) s += fmt::format(" ({})", f->sourceLine);
  return s;
}

std::string childList(const Process& p, const std::vector<uint64_t>& unordered, size_t cap) {
  std::vector<std::string> names;
  size_t pending = 0;
  // In the order of the task list (by task number), whatever the order of the set they come from.
  // (Sets and an index: a gather can have thousands of children.)
  const std::unordered_set<uint64_t> wanted(unordered.begin(), unordered.end());
  std::unordered_map<uint64_t, const Task*> byAddress;
  std::vector<uint64_t> children;
  for (const auto& t : p.tasks) {
    if (t.address && wanted.count(t.address) && byAddress.emplace(t.address, &t).second)
      children.push_back(t.address);
  }
  std::unordered_set<uint64_t> listed(children.begin(), children.end());
  for (uint64_t c : unordered) {
    if (listed.insert(c).second) children.push_back(c);
  }
  for (uint64_t c : children) {
    auto it = byAddress.find(c);
    const Task* t = it == byAddress.end() ? nullptr : it->second;
    if (t && !isPending(*t)) continue;
    ++pending;
    if (names.size() < cap) names.push_back(t ? taskLabel(*t) : shortObjectName(p, c));
  }
  std::string s = fmt::format("{}", fmt::join(names, ", "));
  if (pending > names.size()) s += fmt::format(" and {} more", pending - names.size());
  if (pending < children.size())
    s += fmt::format(" ({} of {} done)", children.size() - pending, children.size());
  if (names.empty()) s = fmt::format("{} awaitables, all done", children.size());
  return s;
}

}  // namespace pyhang::tasks

namespace pyhang {

using namespace tasks;

std::string taskLabel(const Task& t) {
  if (t.coroutine.empty()) return fmt::format("Task \"{}\"", t.name);
  return fmt::format("Task \"{}\" ({})", t.name, t.coroutine);
}

std::string taskWaitPhrase(const Process& p, const Task& t) {
  if (!t.await)
    return t.state == "finished" ? "has finished" : t.state == "cancelled" ? "was cancelled" : "";
  const TaskAwait& a = *t.await;
  const Frame* f = awaitFrame(t);
  std::string label = a.object ? objectLabel(p, a.object, f) : "";
  std::string s;
  const SyncObject* o = objectOf(p, a.object);
  if (a.kind == "lock") {
    s = "waits to acquire " + label;
  } else if (a.kind == "semaphore") {
    s = "waits to acquire semaphore " + label;
    if (o && o->attrs.count("_value")) s += fmt::format(" (value {})", o->attrs.at("_value"));
  } else if (a.kind == "event") {
    s = fmt::format("waits for event {} to be set", label);
  } else if (a.kind == "condition") {
    s = fmt::format("waits on condition {} for notify()", label);
  } else if (a.kind == "barrier") {
    s = fmt::format("waits at barrier {}", label);
  } else if (a.kind == "queue") {
    std::string size =
        o && o->attrs.count("qsize") ? fmt::format(" ({} items)", o->attrs.at("qsize")) : "";
    if (a.how == "put()")
      s = fmt::format("waits for free space in queue {}{}", label, size);
    else if (a.how == "join()") {
      std::string unfinished = o && o->attrs.count("_unfinished_tasks")
                                   ? fmt::format(" ({} not done)", o->attrs.at("_unfinished_tasks"))
                                   : "";
      s = fmt::format("waits until every item of queue {} is task_done(){}", label, unfinished);
    } else {
      s = fmt::format("waits for an item from queue {}{}", label, size);
    }
  } else if (a.kind == "task") {
    const Task* other = taskAt(p, a.object);
    s = "awaits " + (other ? taskLabel(*other) : label);
    if (other && !isPending(*other)) s += fmt::format(" (which has {})", other->state);
  } else if (a.kind == "gather") {
    s = "awaits gather() of " + childList(p, a.children);
  } else if (a.kind == "wait") {
    s = "awaits asyncio.wait() of " + childList(p, a.children);
  } else if (a.kind == "taskgroup") {
    s = fmt::format("waits for the tasks of its TaskGroup: {}", childList(p, a.children));
  } else if (a.kind == "future") {
    s = "awaits future " + label;
  } else if (a.kind == "executor") {
    std::string thread = "another thread";
    if (a.workerTid) {
      const Thread* w = threadOf(p, a.workerTid);
      thread = w && !w->name.empty() ? fmt::format("Thread {} \"{}\"", a.workerTid, w->name)
                                     : fmt::format("Thread {}", a.workerTid);
    }
    if (!a.workerTid && a.concurrentFuture && p.futuresQueuedIn.count(a.concurrentFuture)) {
      s = fmt::format("awaits a function still queued in a ThreadPoolExecutor, not started yet ({})",
                      a.how == "to_thread()" ? "asyncio.to_thread" : "an executor");
    } else {
      s = fmt::format("awaits a function running in {} ({})", thread,
                      a.how == "to_thread()" ? "asyncio.to_thread" : "an executor");
    }
  } else if (a.kind == "sleep") {
    if (a.firesIn) {
      s = *a.firesIn < 0 ? std::string("sleeps, its timer overdue (the loop has not run it yet)")
                         : fmt::format("sleeps for {} more", fmtSeconds(*a.firesIn));
    } else if (a.when)
      s = fmt::format("sleeps until loop time {:.1f}", *a.when);
    else
      s = "sleeps";
    return s;
  } else if (a.kind == "io") {
    s = "waits for I/O";
    if (a.fd >= 0) s += fmt::format(" on fd {}", a.fd);
    if (!a.detail.empty()) s += fmt::format(" ({})", a.detail);
    if (const LoopFd* fd = closedLoopFd(p, t)) s += fmt::format(", whose other end only this process holds (fd {})", fd->peerFd);
  } else if (a.kind == "ready") {
    return "is scheduled to run";
  } else if (a.kind == "running") {
    return "is running";
  } else {
    return "is pending (what it waits for is unknown)";
  }
  if (a.hasTimeout) {
    if (a.firesIn)
      s += fmt::format(" (with a timeout, in {})", fmtSeconds(*a.firesIn));
    else
      s += " (with a timeout)";
  }
  return s;
}

}  // namespace pyhang
