// The waits stdlib frames stand for (threading, queue, concurrent.futures, multiprocessing),
// read from the frame's local variables, and whether a Condition waiter was already notified.
#include "cpython/sync_reader.h"

#include <algorithm>

#include "cpython/sync_reader_internal.h"

namespace pyhang::cpython {

namespace {

const Variable* findVar(const std::vector<Variable>& vars, std::string_view name) {
  for (const auto& v : vars) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace

using sync_internal::endsWith;

// threading.Condition.wait() appends its `waiter` lock to self._waiters and blocks acquiring
// it; notify() pops the waiter from the deque and releases it. A waiter that is bound but no
// longer in the deque has been notified: the thread only has to wake up (it may still be waiting
// for the GIL in the snapshot). False whenever that cannot be read with certainty.
bool SyncReader::conditionWaiterNotified(uint64_t condition, const Variable* waiter) const {
  if (!waiter || !waiter->address || waiter->type == "NoneType") return false;
  if (classify(waiter->address) != ObjectKind::kLock) return false;
  auto waiters = objects_.attr(condition, "_waiters");
  if (!waiters || !*waiters || objects_.typeName(*waiters).value_or("") != "deque") return false;
  constexpr size_t kMaxWaiters = 4096;
  auto size = objects_.containerSize(*waiters);
  if (!size || *size < 0 || static_cast<size_t>(*size) > kMaxWaiters) return false;
  auto items = objects_.dequeItems(*waiters, kMaxWaiters);
  if (!items || items->size() != static_cast<size_t>(*size)) return false;
  return std::find(items->begin(), items->end(), waiter->address) == items->end();
}

std::optional<WaitInfo> SyncReader::stdlibWait(const RawFrame& frame, const std::vector<Variable>& locals,
                                               bool isInnermost, const RawFrame* inner) const {
  // A pool worker waits for work only while it is inside the queue's get(): with a task running,
  // the task's frames are inside it, or none at all when the task is a C function (time.sleep,
  // socket.recv, input) called directly.
  const bool inGet = inner && inner->code && inner->code->name == "get";
  if (!frame.code) return std::nullopt;
  if (frame.code->filename == "<frozen importlib._bootstrap>" && frame.code->name == "acquire" && isInnermost) {
    // _ModuleLock.acquire blocks in `self.wakeup.acquire()` until the importing thread is done.
    const Variable* self = findVar(locals, "self");
    if (!self || classify(self->address) != ObjectKind::kImportLock) return std::nullopt;
    auto pending = pendingAcquire(frame, /*requireLocked=*/true);
    auto wakeup = objects_.attr(self->address, "wakeup");
    if (!pending || !wakeup || pending->object != *wakeup) return std::nullopt;
    WaitInfo w;
    w.op = WaitOp::kAcquire;
    w.object = self->address;
    w.how = "import";
    return w;
  }
  std::string module = stdlibModuleOf(frame.code->filename);
  if (module.empty()) return std::nullopt;
  const Variable* self = findVar(locals, "self");
  ObjectKind selfKind = self ? classify(self->address) : ObjectKind::kUnknown;
  const std::string& fn = frame.code->name;
  auto timeoutFrom = [&](const char* name) {
    const Variable* t = findVar(locals, name);
    return t && t->address && t->type != "NoneType";
  };
  WaitInfo w;
  w.object = self ? self->address : 0;
  if (module == "threading") {
    if (fn == "wait" && selfKind == ObjectKind::kCondition) {
      // Condition.wait blocks only in its `waiter.acquire()`, a call into C with no frame of
      // its own. Anywhere else (appending the waiter, _release_save, the finally clause, an
      // inner Python frame such as _is_owned) the thread is running library code, and a
      // blocked _acquire_restore is the inner frame's own lock wait.
      if (!isInnermost) return std::nullopt;
      const Variable* waiter = findVar(locals, "waiter");
      auto pending = pendingAcquire(frame, /*requireLocked=*/false);
      if (!pending || !waiter || pending->object != waiter->address) return std::nullopt;
      w.op = WaitOp::kWait;
      w.hasTimeout = pending->hasTimeout || timeoutFrom("timeout");
      w.how = "wait()";
      SyncObject lock = describe(waiter->address);
      w.notified = (lock.locked.has_value() && !*lock.locked) || conditionWaiterNotified(self->address, waiter);
      return w;
    }
    if (fn == "wait_for" && selfKind == ObjectKind::kCondition) {
      w.op = WaitOp::kWait;
      w.hasTimeout = timeoutFrom("timeout");
      w.how = "wait_for()";
      return w;
    }
    if (fn == "wait" && selfKind == ObjectKind::kEvent) {
      w.op = WaitOp::kWait;
      w.hasTimeout = timeoutFrom("timeout");
      w.how = "wait()";
      return w;
    }
    if ((fn == "wait" || fn == "_wait" || fn == "_enter") && selfKind == ObjectKind::kBarrier) {
      w.op = WaitOp::kWait;
      w.hasTimeout = timeoutFrom("timeout");
      w.how = "wait()";
      return w;
    }
    if (fn == "acquire" && selfKind == ObjectKind::kSemaphore) {
      w.op = WaitOp::kAcquire;
      w.hasTimeout = timeoutFrom("timeout");
      w.how = "acquire()";
      return w;
    }
    if (fn == "__enter__" && selfKind == ObjectKind::kSemaphore) {
      w.op = WaitOp::kAcquire;
      w.how = "with";
      return w;
    }
    if (fn == "_shutdown" && isInnermost && objects_.layout().traits.shutdownJoinsInC) {
      // 3.13+: at interpreter exit _shutdown() ends in _thread_shutdown() (C, no frame of its
      // own), which joins every non-daemon thread: it waits for the first one still running.
      uint64_t main = objects_.moduleGlobal("threading", "_main_thread").value_or(0);
      auto active = objects_.moduleGlobal("threading", "_active");
      if (!active || !*active) return std::nullopt;
      auto items = objects_.dictItems(*active, 4096);
      if (!items) return std::nullopt;
      for (const auto& [ident, thread] : *items) {
        auto daemonic = objects_.attr(thread, "_daemonic");
        if (thread == main || !daemonic || objects_.repr(*daemonic) != "False") continue;
        w.op = WaitOp::kJoin;
        w.object = thread;
        w.how = "join() (at exit, of every non-daemon thread)";
        return w;
      }
      return std::nullopt;
    }
    if ((fn == "join" || fn == "_wait_for_tstate_lock") && selfKind == ObjectKind::kThread) {
      // 3.8-3.12 block in `lock.acquire(block, timeout)` on the thread's tstate lock; past it
      // (the thread has ended) the joiner is running.
      if (fn == "_wait_for_tstate_lock" && isInnermost && !pendingAcquire(frame, /*requireLocked=*/true)) {
        return std::nullopt;
      }
      w.op = WaitOp::kJoin;
      w.hasTimeout = timeoutFrom("timeout");
      if (fn == "_wait_for_tstate_lock") {
        // _wait_for_tstate_lock(block=True, timeout=-1): -1 means "no timeout".
        const Variable* t = findVar(locals, "timeout");
        w.hasTimeout = t && t->type != "NoneType" && t->repr != "-1";
      }
      w.how = "join()";
      return w;
    }
  } else if (module == "queue" && selfKind == ObjectKind::kQueue) {
    if (fn == "get" || fn == "put" || fn == "join") {
      w.op = fn == "get" ? WaitOp::kQueueGet : fn == "put" ? WaitOp::kQueuePut : WaitOp::kQueueJoin;
      w.hasTimeout = timeoutFrom("timeout");
      const Variable* block = findVar(locals, "block");
      if (block && block->repr == "False") return std::nullopt;
      w.how = fn + "()";
      return w;
    }
  } else if (module == "multiprocessing" && endsWith(frame.code->filename, "/managers.py") &&
             selfKind == ObjectKind::kManagerLock && (fn == "acquire" || fn == "__enter__")) {
    // AcquirerProxy.acquire(blocking=True, timeout=None) / __enter__: the manager's server
    // acquires the lock for this process and answers when it has it.
    const Variable* blocking = findVar(locals, "blocking");
    if (blocking && blocking->repr == "False") return std::nullopt;
    w.op = WaitOp::kAcquire;
    w.hasTimeout = timeoutFrom("timeout");
    w.how = fn == "__enter__" ? "with" : "acquire()";
    return w;
  } else if (module == "multiprocessing" && endsWith(frame.code->filename, "/synchronize.py") &&
             ((fn == "wait" || fn == "wait_for") &&
              (selfKind == ObjectKind::kCondition || selfKind == ObjectKind::kEvent))) {
    // multiprocessing's Condition.wait waits on a shared semaphore nobody holds: what the
    // program waits for is the notify (or the Event's set), like threading's.
    w.op = WaitOp::kWait;
    w.hasTimeout = timeoutFrom("timeout");
    w.how = fn + "()";
    return w;
  } else if (module == "multiprocessing" && endsWith(frame.code->filename, "/queues.py") && fn == "get" &&
             selfKind == ObjectKind::kQueue) {
    w.op = WaitOp::kQueueGet;
    w.hasTimeout = timeoutFrom("timeout");
    const Variable* block = findVar(locals, "block");
    if (block && block->repr == "False") return std::nullopt;
    w.how = "get()";
    return w;
  } else if (module == "multiprocessing" && endsWith(frame.code->filename, "/pool.py") &&
             (fn == "get" || fn == "wait") && selfKind == ObjectKind::kFuture) {
    // ApplyResult.get() / wait(): the result of a job a worker process runs.
    w.op = WaitOp::kFutureResult;
    w.hasTimeout = timeoutFrom("timeout");
    w.how = fn + "()";
    return w;
  } else if (module == "multiprocessing" && endsWith(frame.code->filename, "/pool.py") && fn == "worker" &&
             (inGet || (isInnermost && blockedSimpleQueueGet(frame)))) {
    // An idle Pool worker: reading the next task from the inqueue pipe. A worker that runs a
    // task has the task's own frames inside this one, which end the stdlib run first.
    w.op = WaitOp::kQueueGet;
    w.object = 0;
    w.how = "for work (an idle multiprocessing.Pool worker)";
    return w;
  } else if (module == "multiprocessing" && endsWith(frame.code->filename, "/pool.py") &&
             (fn == "_handle_workers" || fn == "_handle_results" || (fn == "_handle_tasks" && (isInnermost || inGet)))) {
    // A Pool's helper threads only react to its workers (their results, their exit) or to new
    // tasks from the program: on their own they never end a wait. `_handle_tasks` counts only
    // while it is in SimpleQueue.get (C; a queue.Queue's get() in 3.6), not while it writes a
    // task into the inqueue pipe.
    w.op = WaitOp::kWait;
    w.object = 0;
    w.how = fn == "_handle_workers" ? "for a pool worker to exit (the Pool's worker handler)"
            : fn == "_handle_results" ? "for results from the pool's workers (the Pool's result handler)"
                                      : "for tasks from the program (the Pool's task handler)";
    return w;
  } else if (module == "multiprocessing" &&
             (endsWith(frame.code->filename, "/forkserver.py") || endsWith(frame.code->filename, "/resource_tracker.py") ||
              endsWith(frame.code->filename, "/semaphore_tracker.py")) &&
             fn == "main") {
    w.op = WaitOp::kWait;
    w.object = 0;
    w.how = endsWith(frame.code->filename, "/forkserver.py")
                ? "for requests to start processes (the multiprocessing forkserver)"
                : "for processes to register resources (the multiprocessing resource tracker)";
    return w;
  } else if ((module == "multiprocessing" && fn == "join" && selfKind == ObjectKind::kProcess) ||
             (module == "subprocess" && (fn == "wait" || fn == "communicate") && selfKind == ObjectKind::kProcess)) {
    w.op = WaitOp::kJoin;
    w.hasTimeout = timeoutFrom("timeout");
    w.how = fn + "()";
    return w;
  } else if (module == "concurrent.futures" && fn == "_worker" && (isInnermost || inGet)) {
    // An idle ThreadPoolExecutor worker: blocked in work_queue.get(block=True) (C since 3.7).
    if (const Variable* q = findVar(locals, "work_queue")) {
      w.op = WaitOp::kQueueGet;
      w.object = q->address;
      w.how = "get()";
      return w;
    }
  } else if (module == "concurrent.futures" && fn == "_process_worker" && inGet) {
    // An idle ProcessPoolExecutor worker: blocked in call_queue.get(block=True).
    w.op = WaitOp::kQueueGet;
    w.object = 0;
    w.how = "for work (an idle ProcessPoolExecutor worker)";
    return w;
  } else if (module == "concurrent.futures" &&
             (fn == "wait_result_broken_or_wakeup" || fn == "_queue_management_worker")) {
    // The executor's manager thread waits for results or the exit of its workers, or a wakeup
    // from submit(): on its own it never ends a wait (3.8: _queue_management_worker).
    w.op = WaitOp::kWait;
    w.object = 0;
    w.how = "for results from the executor's worker processes (its manager thread)";
    return w;
  } else if (module == "concurrent.futures" && fn == "wait" && endsWith(frame.code->filename, "/_base.py") &&
             inner && inner->code && inner->code->name == "wait") {
    // concurrent.futures.wait(fs) blocked in `waiter.event.wait(timeout)`: with one future left
    // to finish (`not_done`), whatever return_when says, it waits for that future's result.
    // With more, which one ends the wait depends on return_when: left to the Event's wait.
    const Variable* notDone = findVar(locals, "not_done");
    if (notDone && notDone->address) {
      auto items = objects_.setItems(notDone->address, 2);
      if (items && items->size() == 1 && classify(items->front()) == ObjectKind::kFuture) {
        w.op = WaitOp::kFutureResult;
        w.object = items->front();
        w.hasTimeout = timeoutFrom("timeout");
        w.how = "wait()";
        return w;
      }
    }
  } else if (module == "concurrent.futures") {
    if ((fn == "result" || fn == "exception") && selfKind == ObjectKind::kFuture) {
      w.op = WaitOp::kFutureResult;
      w.hasTimeout = timeoutFrom("timeout");
      w.how = fn + "()";
      return w;
    }
  }
  (void)isInnermost;
  return std::nullopt;
}

}  // namespace pyhang::cpython
