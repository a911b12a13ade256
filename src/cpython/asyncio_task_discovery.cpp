// asyncio task discovery: the interpreter's thread states, the registries that hold the tasks
// (intrusive lists, the module's WeakSets, 3.6 statics, current tasks), which objects are tasks,
// and the per-version _asyncio Task layout the tasks are read with.
#include "cpython/asyncio_reader_internal.h"

#include <unordered_set>

#include <fmt/format.h>

namespace pyhang::cpython::asyncio_internal {

TaskOffsets taskOffsets(int minor, bool alt310) {
  TaskOffsets o;
  switch (minor) {
    case 6:
      o.callback0 = -1; o.callbacks = 24; o.exception = 32; o.result = 40; o.state = 56;
      o.waiter = 88; o.coro = 96; o.name = -1;
      break;
    case 7: o.name = -1; break;
    case 8: break;
    case 9: o.state = 80; o.waiter = 144; o.coro = 152; o.name = 160; break;
    case 10:
      if (alt310) {  // 3.10.0-3.10.x before fut_exception_tb was added: the 3.9 layout
        o.state = 80; o.waiter = 144; o.coro = 152; o.name = 160;
      } else {
        o.result = 64; o.state = 88; o.waiter = 152; o.coro = 160; o.name = 168;
      }
      break;
    case 11:
    case 12: o.result = 64; o.state = 88; o.waiter = 128; o.coro = 136; o.name = 144; break;
    case 13: o.result = 64; o.state = 96; o.waiter = 112; o.coro = 120; o.name = 128; break;
    default:  // 14, 15
      o.result = 64; o.state = 104; o.waiter = 120; o.coro = 128; o.name = 136;
      o.awaitedBy = 96; o.awaitedByIsSet = 109; o.node = 152;
      break;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Discovery

void AioReader::collectThreadStates() {
  const uint64_t runtime = in_.runtime.runtimeAddress;
  auto head = mem_.readPtr(runtime + static_cast<uint64_t>(o_.rt_interp_head));
  if (!head || !*head) return;
  std::unordered_set<uint64_t> seen;
  auto ts = mem_.readPtr(*head + static_cast<uint64_t>(o_.is_threads_head));
  uint64_t tstate = ts.value_or(0);
  while (tstate && seen.size() < in_.options.limits.maxThreads && seen.insert(tstate).second) {
    if (auto ident = mem_.readPtr(tstate + static_cast<uint64_t>(o_.ts_thread_id))) tstateByIdent_[*ident] = tstate;
    tstate = mem_.readPtr(tstate + static_cast<uint64_t>(o_.ts_next)).value_or(0);
  }
}

uint32_t AioReader::typeFlagsOf(uint64_t obj) const {
  if (obj == 0) return 0;
  auto t = objects_.typeOf(obj);
  if (!t) return 0;
  auto it = typeFlags_.find((*t)->address);
  if (it != typeFlags_.end()) return it->second;
  uint32_t flags = kTypeRead;
  if (objects_.isInstance(obj, "_asyncio", "Task")) flags |= kTypeIsCTask | kTypeIsTask;
  if (objects_.isInstance(obj, "asyncio.tasks", "Task") || objects_.isInstance(obj, "asyncio.tasks", "_PyTask")) {
    flags |= kTypeIsTask;
  }
  if (objects_.isInstance(obj, "concurrent.futures._base", "Future")) flags |= kTypeIsConcurrentFuture;
  if (typeFlags_.size() < 4096) typeFlags_.emplace((*t)->address, flags);
  return flags;
}

bool AioReader::isTask(uint64_t obj) const { return typeFlagsOf(obj) & kTypeIsTask; }

void AioReader::addCandidate(uint64_t obj, bool eager) {
  if (candidates_.size() >= kMaxTasks || obj == 0) return;
  if (!candidateSet_.insert(obj).second) {
    if (eager) {
      for (auto& [a, e] : candidates_) {
        if (a == obj) e = true;
      }
    }
    return;
  }
  if (!isTask(obj)) {
    candidateSet_.erase(obj);
    return;
  }
  candidates_.emplace_back(obj, eager);
}

std::vector<uint64_t> AioReader::weakSetItems(uint64_t ws, size_t cap) {
  std::vector<uint64_t> out;
  auto data = objects_.attr(ws, "data");
  if (!data) return out;
  auto refs = objects_.setItems(*data, cap);
  if (!refs) return out;
  for (uint64_t r : *refs) {
    auto target = mem_.readPtr(r + 16);  // PyWeakReference.wr_object
    if (target && *target) out.push_back(*target);
  }
  return out;
}

void AioReader::discoverTasks() {
  const TaskRegistry registry = layout_.traits.tasks;
  if (registry == TaskRegistry::kIntrusiveLists) {
    // Intrusive per-thread lists, then the interpreter's list of tasks whose thread has exited.
    std::vector<uint64_t> heads;
    for (const auto& [ident, ts] : tstateByIdent_) heads.push_back(ts + static_cast<uint64_t>(o_.ts_asyncio_tasks_head));
    auto head = mem_.readPtr(in_.runtime.runtimeAddress + static_cast<uint64_t>(o_.rt_interp_head));
    if (head && *head) heads.push_back(*head + static_cast<uint64_t>(o_.is_asyncio_tasks_head));
    for (uint64_t h : heads) {
      uint64_t node = mem_.readPtr(h).value_or(0);
      std::unordered_set<uint64_t> seen;
      while (node && node != h && seen.size() < kMaxTasks && seen.insert(node).second) {
        uint64_t task = node - static_cast<uint64_t>(to_.node);
        if (!isTask(task)) {
          out_.warnings.push_back(fmt::format("asyncio: the task list at 0x{:x} holds something that is not a task "
                                              "(0x{:x}); the rest of that list is not shown", h, task));
          break;
        }
        addCandidate(task, false);
        node = mem_.readPtr(node).value_or(0);
      }
    }
    // Tasks of classes that are not _asyncio.Task are kept in the C module's state.
    if (auto modules = objects_.moduleGlobal("sys", "modules")) {
      if (auto mod = objects_.dictGet(*modules, "_asyncio")) {
        uint64_t state = mem_.readPtr(*mod + kModuleState).value_or(0);
        if (state) {
          uint64_t ws = mem_.readPtr(state + kAsyncioState314NonAsyncioTasks).value_or(0);
          uint64_t eager = mem_.readPtr(state + kAsyncioState314NonAsyncioEager).value_or(0);
          if (ws && objects_.isInstance(ws, "_weakrefset", "WeakSet")) {
            for (uint64_t t : weakSetItems(ws, kMaxTasks)) addCandidate(t, false);
          }
          if (eager && typeIs(eager, "set")) {
            if (auto items = objects_.setItems(eager, kMaxTasks)) {
              for (uint64_t t : *items) addCandidate(t, true);
            }
          }
        }
      }
    }
  }
  auto tasksDict = objects_.moduleDict("asyncio.tasks");
  if (!tasksDict) return;
  auto get = [&](std::string_view name) -> std::optional<uint64_t> {
    if (registry != TaskRegistry::kStatics36) return objects_.dictGet(*tasksDict, name);
    // 3.6: class attributes of the pure-Python Task, which the C Task shares.
    auto pyTask = objects_.dictGet(*tasksDict, "_PyTask");
    if (!pyTask || !typeIs(*pyTask, "type")) return std::nullopt;
    uint64_t dict = mem_.readPtr(*pyTask + kTypeDict).value_or(0);
    if (!dict || !typeIs(dict, "dict")) return std::nullopt;
    return objects_.dictGet(dict, name);
  };
  if (registry == TaskRegistry::kModuleWeakSet || registry == TaskRegistry::kStatics36) {
    if (auto all = get("_all_tasks")) {
      for (uint64_t t : weakSetItems(*all, kMaxTasks)) addCandidate(t, false);
    }
  }
  if (registry == TaskRegistry::kStatics36) {
    const RuntimeLocation& rt = in_.runtime;
    uint64_t all = rt.asyncioAllTasks36 ? mem_.readPtr(rt.asyncioAllTasks36).value_or(0) : 0;
    if (all && objects_.isInstance(all, "_weakrefset", "WeakSet")) {
      for (uint64_t t : weakSetItems(all, kMaxTasks)) addCandidate(t, false);
    }
    uint64_t current = rt.asyncioCurrentTasks36 ? mem_.readPtr(rt.asyncioCurrentTasks36).value_or(0) : 0;
    if (current && typeIs(current, "dict")) {
      if (auto items = objects_.dictItems(current, 4096)) {
        for (const auto& item : *items) {
          if (isTask(item.second)) {
            currentTasks_.insert(item.second);
            addCandidate(item.second, false);
          }
        }
      }
    }
  } else if (registry == TaskRegistry::kScheduledAndEager) {
    if (auto sched = get("_scheduled_tasks")) {
      for (uint64_t t : weakSetItems(*sched, kMaxTasks)) addCandidate(t, false);
    }
    if (auto eager = get("_eager_tasks")) {
      if (auto items = objects_.setItems(*eager, kMaxTasks)) {
        for (uint64_t t : *items) addCandidate(t, true);
      }
    }
  }
  // Current tasks: loop -> task.
  if (auto cur = get("_current_tasks")) {
    if (auto items = objects_.dictItems(*cur, 4096)) {
      for (const auto& item : *items) {
        if (isTask(item.second)) {
          currentTasks_.insert(item.second);
          addCandidate(item.second, false);
        }
      }
    }
  }
}

// The per-version Task layout; 3.10 micro releases differ (fut_exception_tb), so the candidates
// decide: the layout under which the tasks' coroutine and name fields read as such wins.
void AioReader::chooseOffsets() {
  to_ = taskOffsets(minor_, false);
  if (minor_ != 10) return;
  auto score = [&](const TaskOffsets& o) {
    int ok = 0;
    size_t n = 0;
    for (const auto& [t, eager] : candidates_) {
      if (!isCTask(t)) continue;
      if (++n > 8) break;
      auto name = mem_.readPtr(t + static_cast<uint64_t>(o.name));
      auto coro = mem_.readPtr(t + static_cast<uint64_t>(o.coro));
      if (name && typeIs(*name, "str")) ++ok;
      if (coro && *coro && objects_.typeOf(*coro)) ++ok;
    }
    return ok;
  };
  TaskOffsets alt = taskOffsets(10, true);
  if (score(alt) > score(to_)) to_ = alt;
}

}  // namespace pyhang::cpython::asyncio_internal
