// asyncio tasks: reads one task (state, name, coroutine, exception, loop), its coroutine stack
// and what it holds, and records what it awaits as the wait of its frame.
#include "cpython/asyncio_reader_internal.h"

#include <algorithm>

#include <fmt/format.h>

namespace pyhang::cpython::asyncio_internal {

std::string AioReader::taskName(uint64_t nameObj) {
  if (!nameObj) return "";
  if (typeIs(nameObj, "str")) return objects_.readStr(nameObj, 256).value_or("?");
  if (typeIs(nameObj, "int")) {
    if (auto v = objects_.readSmallInt(nameObj)) return fmt::format("Task-{}", *v);
  }
  return objects_.repr(nameObj);
}

std::string AioReader::exceptionRepr(uint64_t exc) {
  if (!exc) return "";
  auto t = objects_.typeOf(exc);
  if (!t) return fmt::format("<exception at 0x{:x}>", exc);
  std::string name = (*t)->name;
  auto args = mem_.readPtr(exc + 24);  // PyBaseExceptionObject.args
  std::string inner;
  if (args && typeIs(*args, "tuple")) {
    if (auto items = objects_.tupleItems(*args, 4)) {
      for (size_t i = 0; i < items->size(); ++i) {
        if (i) inner += ", ";
        inner += objects_.repr((*items)[i]);
      }
    }
  }
  return name + "(" + inner + ")";
}

void AioReader::readTask(uint64_t addr) {
  Task task;
  task.address = addr;
  uint64_t coro = 0, waiter = 0, loop = 0, nameObj = 0, exc = 0;
  int state = 0;
  if (isCTask(addr)) {
    auto rd = [&](int off) { return mem_.readPtr(addr + static_cast<uint64_t>(off)).value_or(0); };
    coro = rd(to_.coro);
    waiter = rd(to_.waiter);
    loop = rd(to_.loop);
    nameObj = to_.name >= 0 ? rd(to_.name) : 0;
    exc = rd(to_.exception);
    state = mem_.readValue<int32_t>(addr + static_cast<uint64_t>(to_.state)).value_or(-1);
    if (to_.awaitedBy >= 0) {
      uint64_t ab = rd(to_.awaitedBy);
      bool isSet = mem_.readValue<uint8_t>(addr + static_cast<uint64_t>(to_.awaitedByIsSet)).value_or(0) != 0;
      if (ab) {
        if (isSet) {
          if (auto items = objects_.setItems(ab, kMaxChildren)) cAwaitedBy_[addr] = *items;
        } else {
          cAwaitedBy_[addr] = {ab};
        }
      }
    }
  } else {
    coro = objects_.attr(addr, "_coro").value_or(0);
    waiter = objects_.attr(addr, "_fut_waiter").value_or(0);
    loop = objects_.attr(addr, "_loop").value_or(0);
    nameObj = objects_.attr(addr, "_name").value_or(0);
    exc = objects_.attr(addr, "_exception").value_or(0);
    std::string st = objects_.attr(addr, "_state") ? objects_.readStr(*objects_.attr(addr, "_state"), 32).value_or("") : "";
    state = st == "PENDING" ? 0 : st == "CANCELLED" ? 1 : st == "FINISHED" ? 2 : -1;
  }
  if (waiter && typeIs(waiter, "NoneType")) waiter = 0;
  if (exc && typeIs(exc, "NoneType")) exc = 0;
  task.name = taskName(nameObj);
  if (task.name.empty()) task.name = fmt::format("<task at 0x{:x}>", addr);
  task.state = state == 0 ? "pending" : state == 1 ? "cancelled" : state == 2 ? "finished" : "unknown";
  if (state == 0 && currentTasks_.count(addr)) task.state = "running";
  task.loop = loop;
  if (exc) task.exception = exceptionRepr(exc);
  task.awaits = waiter;
  if (isCTask(addr)) {
    // Done callbacks that complete a concurrent.futures.Future (run_coroutine_threadsafe).
    for (uint64_t cb : futureCallbacks(addr)) {
      for (uint64_t f : closureFutures(cb)) task.completesFutures.push_back(f);
    }
  }
  if (coro) {
    if (auto q = objects_.typeOf(coro)) {
      if ((*q)->module == "builtins" && ((*q)->name == "coroutine" || (*q)->name == "generator")) {
        auto qn = mem_.readPtr(coro + static_cast<uint64_t>(o_.gen_qualname));
        if (qn && *qn) task.coroutine = objects_.readStr(*qn, 256).value_or("");
      } else {
        task.coroutine = (*q)->name;
      }
    }
  }
  const LoopInternal* li = nullptr;
  if (loop) {
    size_t idx = loopIndex(loop);
    if (idx != SIZE_MAX) {
      task.tid = out_.loops[idx].tid;
      li = &loops_.at(loop);
    }
  }
  Chain chain;
  if (coro && (state == 0 || task.state == "running")) chain = coroutineChain(coro);
  for (auto& w : chain.warnings) task.warnings.push_back(std::move(w));
  for (const auto& link : chain.links) task.frames.push_back(makeFrame(link.raw));
  // A running task's coroutine is executing on its loop's thread: the rest of its stack (the
  // coroutines it called and what they call) is the end of that thread's traceback.
  if (task.state == "running" && task.tid && !task.frames.empty()) {
    for (const auto& th : out_.threads) {
      if (th.tid != task.tid) continue;
      const Frame& last = task.frames.back();
      for (size_t k = th.frames.size(); k-- > 0;) {
        const Frame& f = th.frames[k];
        if (f.location.file == last.location.file && f.location.function == last.location.function &&
            f.location.line == last.location.line) {
          for (size_t j = k + 1; j < th.frames.size() && task.frames.size() < kMaxChain; ++j) {
            task.frames.push_back(th.frames[j]);
          }
          break;
        }
      }
    }
  }
  // 3.11+: `async with cm:` pushes cm.__aexit__ before awaiting cm.__aenter__(), and the await's
  // own exception-table entry protects that slot: a frame awaiting __aenter__ does not hold cm yet.
  for (size_t i = 0; i + 1 < task.frames.size(); ++i) {
    if (task.frames[i + 1].location.function != "__aenter__") continue;
    uint64_t entering = varAddr(task.frames[i + 1], "self");
    auto& holds = task.frames[i].holds;
    for (size_t k = holds.size(); k-- > 0;) {
      if (holds[k].object == entering && holds[k].how == "async with") {
        holds.erase(holds.begin() + static_cast<long>(k));
        break;
      }
    }
  }
  // The i-th innermost `with` statement around the current line holds the i-th innermost exit.
  for (auto& f : task.frames) {
    std::vector<HeldObject*> withHolds;
    for (auto& h : f.holds) {
      if (h.how == "with" || h.how == "async with") withHolds.push_back(&h);
    }
    if (withHolds.empty()) continue;
    std::vector<int> withs = sources_.enclosingWiths(f.location.file, f.location.line);
    for (size_t k = 0; k < withHolds.size() && k < withs.size(); ++k) {
      withHolds[withHolds.size() - 1 - k]->line = withs[withs.size() - 1 - k];
    }
  }
  if (state == 0) {
    TaskAwait a = classify(task, waiter, chain.leaf);
    if (li && li->readyTasks.count(addr) && (a.kind == "none" || a.kind == "future")) {
      a.kind = "ready";
      a.detail = "scheduled to run (its next step is in the loop's ready queue)";
    }
    addTimers(task, a, li);
    if (a.kind == "io" || a.kind == "future") addIo(a, li, a.kind == "io" ? a.object : 0);
    if (a.kind == "future" && a.fd >= 0) a.kind = "io";
    if (a.object && a.kind != "none") addObject(a.object);
    if (a.kind == "condition" && a.object) {
      // Condition.wait() released the condition's lock until it is notified: not held now.
      uint64_t condLock = attr(a.object, "_lock").value_or(0);
      for (auto& f : task.frames) {
        f.holds.erase(std::remove_if(f.holds.begin(), f.holds.end(),
                                     [&](const HeldObject& h) { return h.object == a.object || h.object == condLock; }),
                      f.holds.end());
      }
    }
    for (uint64_t c : a.children) {
      if (isTask(c)) addCandidate(c, false);
    }
    if (a.frameIndex < task.frames.size() && a.kind != "none" && a.kind != "ready" && a.kind != "running") {
      WaitInfo w;
      w.op = a.kind == "lock" || a.kind == "semaphore" ? WaitOp::kAcquire
             : a.kind == "sleep"                       ? WaitOp::kSleep
             : a.kind == "io"                          ? WaitOp::kIo
             : a.kind == "queue"                       ? (a.how == "put()"    ? WaitOp::kQueuePut
                                                          : a.how == "join()" ? WaitOp::kQueueJoin
                                                                              : WaitOp::kQueueGet)
             : a.kind == "task"                        ? WaitOp::kJoin
                                                       : WaitOp::kWait;
      w.object = a.object;
      w.hasTimeout = a.hasTimeout;
      w.how = a.how;
      task.frames[a.frameIndex].waitsOn = w;
    }
    task.await = std::move(a);
  }
  // Holds of synchronisation objects only (not of a TaskGroup, a Timeout, a Runner ...).
  for (auto& f : task.frames) {
    for (const auto& h : f.holds) addObject(h.object);
    f.holds.erase(std::remove_if(f.holds.begin(), f.holds.end(),
                                 [&](const HeldObject& h) {
                                   auto it = out_.objects.find(h.object);
                                   return it == out_.objects.end() || it->second.kind == ObjectKind::kUnknown;
                                 }),
                  f.holds.end());
  }
  out_.tasks.push_back(std::move(task));
}

}  // namespace pyhang::cpython::asyncio_internal
