// What an asyncio task awaits: the stdlib frame it is suspended in (Lock, Event, Condition,
// Semaphore, Barrier, Queue, sleep, wait, TaskGroup, streams, sockets, executors), else the
// task, gather or future at the end of its await chain, and the executor thread behind a future.
#include "cpython/asyncio_reader_internal.h"

#include <algorithm>

#include <fmt/format.h>

namespace pyhang::cpython::asyncio_internal {

std::vector<uint64_t> AioReader::childrenOf(uint64_t container) {
  std::vector<uint64_t> out;
  if (!container) return out;
  auto tn = objects_.typeName(container).value_or("");
  Result<std::vector<uint64_t>> items = fail(ErrorKind::kImplausible, "not a container");
  if (tn == "list") items = objects_.listItems(container, kMaxChildren);
  else if (tn == "tuple") items = objects_.tupleItems(container, kMaxChildren);
  else if (tn == "set" || tn == "frozenset") items = objects_.setItems(container, kMaxChildren);
  else if (tn == "dict") {
    if (auto kv = objects_.dictItems(container, kMaxChildren)) {
      std::vector<uint64_t> keys;
      for (const auto& [k, v] : *kv) keys.push_back(k);
      items = keys;
    }
  }
  if (items) out = *items;
  return out;
}

bool AioReader::matchStdlibFrame(const Frame& f, const std::string& module, TaskAwait& a) {
  const std::string& fn = f.location.function;
  uint64_t self = varAddr(f, "self");
  ObjectKind sk = self ? asyncKind(self) : ObjectKind::kUnknown;
  auto set = [&](const char* kind, uint64_t obj, std::string how) {
    a.kind = kind;
    a.object = obj;
    a.how = std::move(how);
    return true;
  };
  if (module == "locks") {
    if (fn == "__aenter__" || fn == "acquire") {
      std::string how = fn == "__aenter__" ? "async with" : "acquire()";
      if (sk == ObjectKind::kAsyncLock) return set("lock", self, how);
      if (sk == ObjectKind::kAsyncSemaphore) return set("semaphore", self, how);
      if (sk == ObjectKind::kAsyncCondition) return set("lock", objects_.attr(self, "_lock").value_or(self), how);
    }
    if ((fn == "wait" || fn == "wait_for") && sk == ObjectKind::kAsyncEvent) return set("event", self, "wait()");
    if ((fn == "wait" || fn == "wait_for") && sk == ObjectKind::kAsyncCondition) {
      return set("condition", self, fn + "()");
    }
    if (sk == ObjectKind::kAsyncBarrier && (fn == "wait" || fn == "_block" || fn == "_wait")) {
      return set("barrier", self, "wait()");
    }
    return false;
  }
  if (module == "queues" && sk == ObjectKind::kAsyncQueue && (fn == "get" || fn == "put" || fn == "join")) {
    return set("queue", self, fn + "()");
  }
  if (module == "tasks") {
    if (fn == "sleep") return set("sleep", a.future, "sleep()");
    if (fn == "wait" || fn == "_wait") {
      set("wait", a.future, "wait()");
      a.children = childrenOf(varAddr(f, "fs"));
      return true;
    }
    if (fn == "wait_for") {
      const Variable* t = findVar(f, "timeout");
      if (t && !typeIs(t->address, "NoneType")) a.hasTimeout = true;
      return false;  // what it waits for is decided further in
    }
    return false;
  }
  if (module == "taskgroups" && (fn == "__aexit__" || fn == "_aexit")) {
    set("taskgroup", self, "async with TaskGroup");
    a.children = childrenOf(objects_.attr(self, "_tasks").value_or(0));
    return true;
  }
  if (module == "streams") {
    if (fn == "_wait_for_data" || fn == "read" || fn == "readline" || fn == "readuntil" || fn == "readexactly") {
      set("io", self, fn + "()");
      a.detail = "reading from a stream";
      return true;
    }
    if (fn == "drain" || fn == "_drain_helper" || fn == "wait_closed") {
      set("io", self, fn + "()");
      a.detail = "writing to a stream";
      return true;
    }
    return false;
  }
  if (module == "selector_events" && fn.rfind("sock_", 0) == 0) {
    set("io", varAddr(f, "sock"), fn + "()");
    a.detail = fn;
    return true;
  }
  if (module == "base_events" && fn == "serve_forever") {
    set("io", self, "serve_forever()");
    a.detail = "serving: waiting for connections";
    return true;
  }
  if (module == "base_events" && (fn == "getaddrinfo" || fn == "getnameinfo" || fn == "shutdown_default_executor")) {
    return set("executor", a.future, fn + "()");
  }
  if (module == "threads" && fn == "to_thread") {
    return set("executor", a.future, "to_thread()");
  }
  if (module == "futures" && fn == "__await__" && self) {
    return set(isTask(self) ? "task" : "future", self, "await");
  }
  return false;
}

std::vector<uint64_t> AioReader::futureCallbacks(uint64_t fut) {
  std::vector<uint64_t> callbacks;
  if (to_.callback0 >= 0) {
    if (uint64_t cb0 = mem_.readPtr(fut + static_cast<uint64_t>(to_.callback0)).value_or(0)) callbacks.push_back(cb0);
  }
  uint64_t cbs = mem_.readPtr(fut + static_cast<uint64_t>(to_.callbacks)).value_or(0);
  if (!cbs || !typeIs(cbs, "list")) return callbacks;
  for (uint64_t item : childrenOf(cbs)) {
    if (!typeIs(item, "tuple")) {
      callbacks.push_back(item);
    } else if (auto items = objects_.tupleItems(item, 2); items && !items->empty()) {
      callbacks.push_back((*items)[0]);
    }
  }
  return callbacks;
}

std::vector<uint64_t> AioReader::closureValues(uint64_t function) {
  std::vector<uint64_t> out;
  if (!typeIs(function, "function")) return out;
  const uint64_t closureOffset = minor_ <= 9 ? 48 : 72;  // PyFunctionObject.func_closure
  uint64_t closure = mem_.readPtr(function + closureOffset).value_or(0);
  if (!closure || !typeIs(closure, "tuple")) return out;
  auto cells = objects_.tupleItems(closure, 8);
  if (!cells) return out;
  for (uint64_t cell : *cells) {
    if (uint64_t v = mem_.readPtr(cell + 16).value_or(0)) out.push_back(v);  // PyCellObject.ob_ref
  }
  return out;
}

std::vector<uint64_t> AioReader::closureFutures(uint64_t function) {
  std::vector<uint64_t> out;
  for (uint64_t v : closureValues(function)) {
    if (typeFlagsOf(v) & kTypeIsConcurrentFuture) out.push_back(v);
  }
  return out;
}

uint64_t AioReader::shieldedInner(uint64_t fut, uint64_t awaiter) {
  for (uint64_t cb : futureCallbacks(fut)) {
    auto c = sync_.callable(cb);
    if (!c || c->name != "_outer_done_callback") continue;
    for (uint64_t v : closureValues(cb)) {
      if (v != fut && v != awaiter && (isTask(v) || asyncKind(v) == ObjectKind::kAsyncFuture)) return v;
    }
  }
  if (minor_ <= 6) {
    // 3.6's shield adds only inner's `_done_callback`, a closure over outer: look among the tasks.
    for (const auto& [candidate, eager] : candidates_) {
      for (uint64_t cb : futureCallbacks(candidate)) {
        auto c = sync_.callable(cb);
        if (!c || c->name != "_done_callback") continue;
        auto values = closureValues(cb);
        if (std::find(values.begin(), values.end(), fut) != values.end()) return candidate;
      }
    }
  }
  return 0;
}

int64_t AioReader::workerOf(uint64_t callback) {
  if (workerOfFuture_.empty() || !typeIs(callback, "function")) return 0;
  const uint64_t closureOffset = minor_ <= 9 ? 48 : 72;  // PyFunctionObject.func_closure
  uint64_t closure = mem_.readPtr(callback + closureOffset).value_or(0);
  if (!closure || !typeIs(closure, "tuple")) return 0;
  auto cells = objects_.tupleItems(closure, 8);
  if (!cells) return 0;
  for (uint64_t cell : *cells) {
    uint64_t v = mem_.readPtr(cell + 16).value_or(0);  // PyCellObject.ob_ref
    auto it = workerOfFuture_.find(v);
    if (it != workerOfFuture_.end()) return it->second;
  }
  return 0;
}

TaskAwait AioReader::classify(const Task& task, uint64_t waiter, uint64_t leaf) {
  TaskAwait a;
  a.future = waiter;
  const auto& frames = task.frames;
  size_t n = frames.size();
  size_t runStart = n;
  while (runStart > 0 && !asyncioModuleOf(frames[runStart - 1].location.file).empty()) --runStart;
  a.frameIndex = n == 0 ? SIZE_MAX : (runStart > 0 ? runStart - 1 : 0);
  bool matched = false;
  for (size_t i = runStart; i < n && !matched; ++i) {
    matched = matchStdlibFrame(frames[i], asyncioModuleOf(frames[i].location.file), a);
  }
  if (!matched) {
    uint64_t target = waiter ? waiter : leaf;
    // 3.8-3.11 wait_for() awaits a private `waiter` future while the awaitable runs as the task
    // in its local `fut`: that task is what the caller waits for.
    for (size_t i = runStart; i < n; ++i) {
      if (frames[i].location.function != "wait_for" || asyncioModuleOf(frames[i].location.file) != "tasks") continue;
      uint64_t inner = varAddr(frames[i], "fut");
      if (inner && inner != waiter && isTask(inner)) target = inner;
    }
    bool shielded = false;
    for (int hops = 0; target && hops < 4; ++hops) {  // shield(shield(...)) is legal, if odd
      uint64_t inner = shieldedInner(target, task.address);
      if (!inner) break;
      target = inner;
      shielded = true;
    }
    if (target && isTask(target)) {
      a.kind = "task";
      a.object = target;
      a.how = "await";
    } else if (target && objects_.isInstance(target, "", "_GatheringFuture")) {
      a.kind = "gather";
      a.object = target;
      a.how = "gather()";
      a.children = childrenOf(objects_.attr(target, "_children").value_or(0));
    } else if (target) {
      a.kind = "future";
      a.object = target;
      a.how = "await";
      // A future chained to a concurrent.futures.Future (run_in_executor, wrap_future).
      for (uint64_t cb : futureCallbacks(target)) {
        if (auto c = sync_.callable(cb); c && c->name == "_call_check_cancel") {
          a.kind = "executor";
          a.detail = "a function running in another thread (run_in_executor / wrap_future)";
          a.workerTid = workerOf(cb);
          if (auto fs = closureFutures(cb); !fs.empty()) a.concurrentFuture = fs.front();
        }
      }
    } else if (task.state == "running") {
      a.kind = "running";
    } else {
      a.kind = "none";
    }
    if (shielded && a.kind == "task") a.how = "shield()";
  }
  if (a.kind == "sleep" && a.object == 0) a.object = waiter;
  if (a.kind == "executor" && (!a.workerTid || !a.concurrentFuture) && waiter) {
    for (uint64_t cb : futureCallbacks(waiter)) {
      if (int64_t tid = workerOf(cb); tid && !a.workerTid) a.workerTid = tid;
      if (auto fs = a.concurrentFuture ? std::vector<uint64_t>{} : closureFutures(cb); !fs.empty())
        a.concurrentFuture = fs.front();
    }
  }
  return a;
}

}  // namespace pyhang::cpython::asyncio_internal
