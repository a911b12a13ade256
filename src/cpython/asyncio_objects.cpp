// The asyncio objects tasks wait for or hold: their kind (Lock, Event, Condition, Semaphore,
// Barrier, Queue, Future), their state and waiters, and the program's names for them.
#include "cpython/asyncio_reader_internal.h"

#include <algorithm>
#include <map>
#include <set>

namespace pyhang::cpython::asyncio_internal {

ObjectKind AioReader::asyncKind(uint64_t obj) const {
  if (!obj) return ObjectKind::kUnknown;
  auto t = objects_.typeOf(obj);
  if (!t || (*t)->module == "builtins") return ObjectKind::kUnknown;
  auto it = kindByType_.find((*t)->address);
  if (it != kindByType_.end()) return it->second;
  ObjectKind kind = asyncKindUncached(obj);
  if (kindByType_.size() < 4096) kindByType_.emplace((*t)->address, kind);
  return kind;
}

ObjectKind AioReader::asyncKindUncached(uint64_t obj) const {
  if (isTask(obj)) return ObjectKind::kTask;
  if (objects_.isInstance(obj, "asyncio.locks", "Lock")) return ObjectKind::kAsyncLock;
  if (objects_.isInstance(obj, "asyncio.locks", "Event")) return ObjectKind::kAsyncEvent;
  if (objects_.isInstance(obj, "asyncio.locks", "Condition")) return ObjectKind::kAsyncCondition;
  if (objects_.isInstance(obj, "asyncio.locks", "Semaphore")) return ObjectKind::kAsyncSemaphore;
  if (objects_.isInstance(obj, "asyncio.locks", "Barrier")) return ObjectKind::kAsyncBarrier;
  if (objects_.isInstance(obj, "asyncio.queues", "Queue")) return ObjectKind::kAsyncQueue;
  if (objects_.isInstance(obj, "_asyncio", "Future") || objects_.isInstance(obj, "asyncio.futures", "Future")) {
    return ObjectKind::kAsyncFuture;
  }
  return ObjectKind::kUnknown;
}

void AioReader::addObject(uint64_t addr) {
  if (!addr || out_.objects.count(addr) || out_.objects.size() > 20000) return;
  ObjectKind kind = asyncKind(addr);
  if (kind == ObjectKind::kUnknown) {
    out_.objects[addr] = sync_.describe(addr);
    myObjects_.insert(addr);
    return;
  }
  SyncObject s;
  s.address = addr;
  s.kind = kind;
  s.type = objects_.qualifiedTypeName(addr);
  auto attrRepr = [&](const char* a) {
    if (auto v = objects_.attr(addr, a)) s.attrs[a] = objects_.repr(*v);
  };
  auto waitersOf = [&](uint64_t obj, const char* a) -> std::optional<int> {
    auto w = objects_.attr(obj, a);
    if (!w) return std::nullopt;
    auto tn = objects_.typeName(*w).value_or("");
    if (tn == "NoneType") return 0;
    if (tn == "deque" || tn == "list" || tn == "set") {
      if (auto n = tn == "set" ? mem_.readValue<int64_t>(*w + 24) : objects_.containerSize(*w)) {
        return static_cast<int>(std::clamp<int64_t>(*n, 0, 1 << 30));
      }
    }
    return std::nullopt;
  };
  switch (kind) {
    case ObjectKind::kAsyncLock:
      if (auto l = objects_.attr(addr, "_locked")) s.locked = objects_.repr(*l) == "True";
      s.waiters = waitersOf(addr, "_waiters");
      break;
    case ObjectKind::kAsyncSemaphore:
      attrRepr("_value");
      attrRepr("_bound_value");
      s.waiters = waitersOf(addr, "_waiters");
      if (auto v = objects_.attr(addr, "_value")) {
        if (auto n = objects_.readSmallInt(*v)) s.locked = *n <= 0;
      }
      break;
    case ObjectKind::kAsyncEvent:
      attrRepr("_value");
      s.waiters = waitersOf(addr, "_waiters");
      break;
    case ObjectKind::kAsyncCondition:
      s.underlyingLock = objects_.attr(addr, "_lock").value_or(0);
      s.waiters = waitersOf(addr, "_waiters");
      break;
    case ObjectKind::kAsyncBarrier:
      attrRepr("_parties");
      attrRepr("_count");
      attrRepr("_state");
      break;
    case ObjectKind::kAsyncQueue: {
      attrRepr("_maxsize");
      attrRepr("_unfinished_tasks");
      if (auto q = objects_.attr(addr, "_queue")) {
        if (auto n = objects_.containerSize(*q)) s.attrs["qsize"] = std::to_string(*n);
      }
      s.waiters = waitersOf(addr, "_getters");
      if (auto p = waitersOf(addr, "_putters")) s.attrs["putters"] = std::to_string(*p);
      break;
    }
    default: break;
  }
  uint64_t under = s.underlyingLock;
  out_.objects[addr] = std::move(s);
  myObjects_.insert(addr);
  if (under) addObject(under);
}

// ---------------------------------------------------------------------------------------------
// Names: module globals, then the tasks' coroutine frames (the awaiting task before the awaited,
// so that a lock passed down keeps its creator's name first), then the threads' frames.

void AioReader::nameObjects() {
  std::map<uint64_t, std::vector<std::string>> names;
  auto note = [&](uint64_t addr, const std::string& name) {
    if (!myObjects_.count(addr)) return;
    auto& v = names[addr];
    if (std::find(v.begin(), v.end(), name) == v.end() && v.size() < 8) v.push_back(name);
  };
  std::set<uint64_t> examined;
  auto typeModule = [&](uint64_t v) {
    auto t = objects_.typeOf(v);
    return t ? (*t)->module : std::string("builtins");
  };
  // Through attributes, up to three deep ("self.lock", "self.store.lock", "app.store.db.lock"),
  // each object followed once (under the first name it is reached by).
  auto attributePaths = [&](const std::string& base, uint64_t obj) {
    std::vector<std::pair<std::string, uint64_t>> level{{base, obj}};
    for (int depth = 1; depth <= 3 && !level.empty(); ++depth) {
      std::vector<std::pair<std::string, uint64_t>> next;
      for (const auto& [path, o] : level) {
        if (examined.size() >= kMaxNamedObjects || !examined.insert(o).second) continue;
        auto t = objects_.typeOf(o);
        if (!t || (*t)->module == "builtins" || (*t)->module.empty()) continue;
        for (const auto& [name, value] : objects_.attrs(o, 64)) {
          if (myObjects_.count(value)) {
            note(value, path + "." + name);
          } else if (depth < 3 && value != o && next.size() < 256 && !libraryInternalsModule(typeModule(value))) {
            next.emplace_back(path + "." + name, value);
          }
        }
      }
      level = std::move(next);
    }
  };
  std::vector<uint64_t> dicts;
  if (auto mainDict = objects_.moduleDict("__main__")) dicts.push_back(*mainDict);
  for (uint64_t g : frameGlobals_) {
    if (std::find(dicts.begin(), dicts.end(), g) == dicts.end()) dicts.push_back(g);
  }
  for (uint64_t d : dicts) {
    auto items = objects_.dictItems(d, 4096);
    if (!items) continue;
    for (const auto& [k, v] : *items) {
      auto key = objects_.readStr(k, 128);
      if (!key || key->rfind("__", 0) == 0) continue;
      note(v, *key);
    }
  }
  // Tasks in await order: those nobody awaits first.
  std::vector<const Task*> order;
  for (const auto& t : out_.tasks) {
    if (t.awaitedBy.empty()) order.push_back(&t);
  }
  for (const auto& t : out_.tasks) {
    if (!t.awaitedBy.empty()) order.push_back(&t);
  }
  auto frameNames = [&](const Frame& f) {
    for (const auto* vars : {&f.arguments, &f.locals}) {
      for (const auto& v : *vars) {
        if (v.name != "self") note(v.address, v.name);
      }
    }
  };
  for (const Task* t : order) {
    for (const auto& f : t->frames) {
      frameNames(f);
      // The threads' objects a coroutine keeps in its locals (a concurrent.futures.Future it
      // hands to an executor, a threading.Event): named after them too, after their own names.
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) {
          auto it = out_.objects.find(v.address);
          if (v.name == "self" || it == out_.objects.end() || myObjects_.count(v.address)) continue;
          auto& list = it->second.names;
          if (list.size() < 8 && std::find(list.begin(), list.end(), v.name) == list.end()) list.push_back(v.name);
        }
      }
    }
  }
  for (const auto& t : out_.threads) {
    for (const auto& f : t.frames) frameNames(f);
  }
  for (const Task* t : order) {
    for (const auto& f : t->frames) {
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) attributePaths(v.name, v.address);
      }
    }
  }
  for (uint64_t d : dicts) {
    auto items = objects_.dictItems(d, 4096);
    if (!items) continue;
    for (const auto& [k, v] : *items) {
      auto key = objects_.readStr(k, 128);
      if (!key || key->rfind("__", 0) == 0) continue;
      attributePaths(*key, v);
    }
  }
  for (auto& [addr, list] : names) {
    auto it = out_.objects.find(addr);
    if (it == out_.objects.end()) continue;
    for (const auto& n : list) {
      if (std::find(it->second.names.begin(), it->second.names.end(), n) == it->second.names.end()) {
        it->second.names.push_back(n);
      }
    }
  }
}

}  // namespace pyhang::cpython::asyncio_internal
