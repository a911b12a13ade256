#include "cpython/pool_work.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace pyhang::cpython {

namespace {
constexpr size_t kMaxExecutors = 8;
constexpr size_t kMaxWorkItems = 4096;
constexpr size_t kMaxWaitersPerFuture = 64;
constexpr size_t kMaxWaiters = 65536;

bool isFuturesProcessFile(const std::string& file) { return file.ends_with("/concurrent/futures/process.py"); }

// The items of a ThreadPoolExecutor's work queue, oldest first: a _queue.SimpleQueue (its list
// from lst_pos on up to 3.12, its ring buffer from 3.13) or, in 3.6, a queue.Queue's deque.
std::vector<uint64_t> workQueueItems(const ObjectReader& objects, uint64_t queue) {
  const Layout& o = objects.layout().offsets;
  const RemoteMemory& mem = objects.memory();
  const std::string type = objects.typeName(queue).value_or("");
  if (type == "Queue") {
    auto dq = objects.attr(queue, "queue");
    if (!dq || !*dq || objects.typeName(*dq).value_or("") != "deque") return {};
    return objects.dequeItems(*dq, kMaxWorkItems).value_or(std::vector<uint64_t>{});
  }
  if (type != "SimpleQueue") return {};
  if (o.sq_lst >= 0 && o.sq_lst_pos >= 0) {
    auto lst = mem.readPtr(queue + static_cast<uint64_t>(o.sq_lst));
    auto pos = mem.readValue<int64_t>(queue + static_cast<uint64_t>(o.sq_lst_pos));
    if (!lst || !*lst || !pos || *pos < 0 || objects.typeName(*lst).value_or("") != "list") return {};
    auto items = objects.listItems(*lst, kMaxWorkItems + static_cast<size_t>(std::min<int64_t>(*pos, kMaxWorkItems)));
    if (!items || static_cast<size_t>(*pos) > items->size()) return {};
    return std::vector<uint64_t>(items->begin() + *pos, items->end());
  }
  if (o.sq_ring_items < 0 || o.sq_ring_get_idx < 0 || o.sq_ring_cap < 0 || o.sq_ring_count < 0) return {};
  auto items = mem.readPtr(queue + static_cast<uint64_t>(o.sq_ring_items));
  auto get = mem.readValue<int64_t>(queue + static_cast<uint64_t>(o.sq_ring_get_idx));
  auto cap = mem.readValue<int64_t>(queue + static_cast<uint64_t>(o.sq_ring_cap));
  auto count = mem.readValue<int64_t>(queue + static_cast<uint64_t>(o.sq_ring_count));
  if (!items || !get || !cap || !count || *cap <= 0 || *cap > (int64_t{1} << 24) || *count < 0 || *count > *cap ||
      *get < 0 || *get >= *cap) {
    return {};
  }
  std::vector<uint64_t> out;
  for (int64_t i = 0; i < std::min<int64_t>(*count, kMaxWorkItems); ++i) {
    auto item = mem.readPtr(*items + 8 * static_cast<uint64_t>((*get + i) % *cap));
    if (!item) break;
    out.push_back(*item);
  }
  return out;
}
// A concurrent.futures.Future whose _state is 'PENDING' (not running, cancelled or done).
bool isPending(const ObjectReader& objects, uint64_t future) {
  auto state = objects.attr(future, "_state");
  return state && *state && objects.readStr(*state, 16).value_or("") == "PENDING";
}

// Whether the ThreadPoolExecutor behind a worker's weak reference runs as many threads as it may
// (len(_threads) >= _max_workers): a submit then starts no new worker. False when unreadable.
bool atMaxWorkers(const ObjectReader& objects, uint64_t executorRef) {
  // The type is "weakref" up to 3.11, "weakref.ReferenceType" from 3.12.
  const std::string type = objects.typeName(executorRef).value_or("");
  if (!executorRef || (type != "weakref" && type != "ReferenceType")) return false;
  auto executor = objects.memory().readPtr(executorRef + 16);  // PyWeakReference.wr_object
  if (!executor || !*executor) return false;
  auto maxWorkers = objects.attr(*executor, "_max_workers");
  auto threads = objects.attr(*executor, "_threads");
  if (!maxWorkers || !*maxWorkers || !threads || !*threads) return false;
  auto max = objects.readSmallInt(*maxWorkers);
  if (!max || *max <= 0) return false;
  auto items = objects.setItems(*threads, static_cast<size_t>(std::min<int64_t>(*max, 4096)) + 1);
  return items && static_cast<int64_t>(items->size()) >= *max;
}
}  // namespace

void linkThreadPoolWork(const ObjectReader& objects, Process& out) {
  std::map<uint64_t, uint64_t> queues;  // work queue -> the executor's weak reference (0: unknown)
  for (const auto& t : out.threads) {
    for (const auto& f : t.frames) {
      if (f.location.function != "_worker" || !f.location.file.ends_with("/concurrent/futures/thread.py")) continue;
      uint64_t queue = 0, executorRef = 0;
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) {
          if (v.name == "work_queue" && v.address) queue = v.address;
          if (v.name == "executor_reference" && v.address) executorRef = v.address;
        }
      }
      if (queue) queues.emplace(queue, executorRef);
    }
  }
  size_t seen = 0;
  for (const auto& [q, executorRef] : queues) {
    if (++seen > kMaxExecutors) break;
    if (atMaxWorkers(objects, executorRef)) out.poolsAtMaxWorkers.insert(q);
    for (uint64_t item : workQueueItems(objects, q)) {
      if (!item || objects.typeName(item).value_or("") != "_WorkItem") continue;
      auto future = objects.attr(item, "future");
      if (!future || !*future) continue;
      if (out.futuresQueuedIn.size() < kMaxWorkItems && isPending(objects, *future)) out.futuresQueuedIn.emplace(*future, q);
      auto it = out.objects.find(*future);
      if (it != out.objects.end() && it->second.kind == ObjectKind::kFuture) {
        it->second.attrs["queued_in"] = fmt::format("{:#x}", q);
      }
      // The waiters concurrent.futures.wait() and as_completed() installed on it.
      if (auto waiters = objects.attr(*future, "_waiters"); waiters && *waiters) {
        if (auto list = objects.listItems(*waiters, kMaxWaitersPerFuture)) {
          for (uint64_t w : *list) {
            if (w && out.waitersQueuedIn.size() < kMaxWaiters) out.waitersQueuedIn.emplace(w, q);
          }
        }
      }
    }
  }
}

void linkMpThreadPoolWork(const ObjectReader& objects, Process& out) {
  // The inqueues of the ThreadPools whose workers are threads of this process: a queue.Queue
  // (3.6, 3.7) or a _queue.SimpleQueue (3.8+). A multiprocessing.Pool worker process has a
  // multiprocessing SimpleQueue (a pipe) there, with no task to read in memory.
  std::set<uint64_t> inqueues;
  for (const auto& t : out.threads) {
    for (const auto& f : t.frames) {
      if (f.location.function != "worker" || !f.location.file.ends_with("/multiprocessing/pool.py")) continue;
      for (const auto& v : f.arguments) {
        if (v.name != "inqueue" || !v.address) continue;
        const std::string type = objects.qualifiedTypeName(v.address);
        if (type == "queue.Queue" || type == "_queue.SimpleQueue") inqueues.insert(v.address);
      }
    }
  }
  size_t seen = 0;
  for (uint64_t q : inqueues) {
    if (++seen > kMaxExecutors) break;
    std::set<std::string> jobs;
    for (uint64_t item : workQueueItems(objects, q)) {
      // A task: (job, i, func, args, kwds); None tells a worker to stop.
      if (!item || objects.typeName(item).value_or("") != "tuple") continue;
      auto fields = objects.tupleItems(item, 5);
      if (!fields || fields->size() != 5 || objects.typeName(fields->front()).value_or("") != "int") continue;
      if (auto job = objects.readSmallInt(fields->front())) jobs.insert(std::to_string(*job));
    }
    if (jobs.empty()) continue;
    out.poolsAtMaxWorkers.insert(q);
    out.poolNames[q] = "multiprocessing ThreadPool";
    for (auto& [addr, obj] : out.objects) {
      if (obj.kind != ObjectKind::kFuture) continue;
      auto job = obj.attrs.find("job");
      if (job == obj.attrs.end() || !jobs.count(job->second)) continue;
      obj.attrs["queued_in"] = fmt::format("{:#x}", q);
      if (out.futuresQueuedIn.size() < kMaxWorkItems) out.futuresQueuedIn.emplace(addr, q);
    }
  }
}

void linkPoolResultHandlers(const ObjectReader& objects, Process& out) {
  size_t seen = 0;
  for (const auto& t : out.threads) {
    for (const auto& f : t.frames) {
      if (f.location.function != "_handle_results" || !f.location.file.ends_with("/multiprocessing/pool.py")) continue;
      // _handle_results(outqueue, get, cache): cache maps each job still to finish to its result.
      uint64_t cache = 0;
      for (const auto& v : f.arguments) {
        if (v.name == "cache") cache = v.address;
      }
      // A dict; 3.8+: a _PoolCache, a dict subclass.
      if (!cache || ++seen > kMaxExecutors || !objects.isInstance(cache, "", "dict")) break;
      auto items = objects.dictItems(cache, kMaxWorkItems);
      if (!items) break;
      for (const auto& [key, result] : *items) {
        auto it = out.objects.find(result);
        if (it == out.objects.end() || it->second.kind != ObjectKind::kFuture) continue;
        auto job = it->second.attrs.find("job");
        auto n = objects.readSmallInt(key);
        if (job != it->second.attrs.end() && n && std::to_string(*n) == job->second) {
          it->second.attrs["delivered_by"] = std::to_string(t.tid);
        }
      }
      break;
    }
  }
}

void linkProcessPoolWork(const ObjectReader& objects, Process& out) {
  std::set<uint64_t> pendingDicts;
  for (auto& t : out.threads) {
    for (const auto& f : t.frames) {
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) {
          if (!v.address) continue;
          std::string type = v.type.substr(v.type.rfind('.') == std::string::npos ? 0 : v.type.rfind('.') + 1);
          if (type == "ProcessPoolExecutor") {
            if (auto d = objects.attr(v.address, "_pending_work_items"); d && *d) pendingDicts.insert(*d);
          } else if (type == "_ExecutorManagerThread") {
            if (auto d = objects.attr(v.address, "pending_work_items"); d && *d) pendingDicts.insert(*d);
          } else if (v.name == "pending_work_items" && type == "dict" && isFuturesProcessFile(f.location.file)) {
            pendingDicts.insert(v.address);
          } else if (v.name == "call_item" && f.location.function == "_process_worker" &&
                     isFuturesProcessFile(f.location.file)) {
            if (auto id = objects.attr(v.address, "work_id"); id && *id) {
              if (auto n = objects.readSmallInt(*id); n && *n >= 0) t.poolWorkId = *n;
            }
          }
        }
      }
    }
  }
  size_t seen = 0;
  for (uint64_t d : pendingDicts) {
    if (++seen > kMaxExecutors) break;
    auto items = objects.dictItems(d, kMaxWorkItems);
    if (!items) continue;
    for (const auto& [key, item] : *items) {
      auto id = objects.readSmallInt(key);
      auto future = objects.attr(item, "future");
      if (!id || !future || !*future) continue;
      auto it = out.objects.find(*future);
      if (it != out.objects.end() && it->second.kind == ObjectKind::kFuture) it->second.attrs["work_id"] = std::to_string(*id);
    }
  }
}

}  // namespace pyhang::cpython
