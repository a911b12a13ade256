// SyncReader's objects: what a synchronisation object is (locks, RLocks, Conditions, Semaphores,
// Events, Barriers, Queues, Threads, futures, multiprocessing's), its state and underlying lock,
// and what a callable on a value stack is bound to. The evidence frames leave is read in
// sync_frame_waits.cpp and sync_stdlib_waits.cpp.
#include "cpython/sync_reader.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "cpython/sync_reader_internal.h"

namespace pyhang::cpython {

using sync_internal::endsWith;

std::string stdlibModuleOf(const std::string& filename) {
  // Only files of the standard library directory count (".../lib/python3.X/threading.py").
  if (filename.find("python3") == std::string::npos && filename.find("Lib/") == std::string::npos) return "";
  if (endsWith(filename, "/threading.py")) return "threading";
  if (endsWith(filename, "/queue.py")) return "queue";
  if (endsWith(filename, "/concurrent/futures/_base.py")) return "concurrent.futures";
  if (endsWith(filename, "/concurrent/futures/thread.py")) return "concurrent.futures";
  if (endsWith(filename, "/concurrent/futures/process.py")) return "concurrent.futures";
  if (filename.find("/asyncio/") != std::string::npos) return "asyncio";
  if (filename.find("/multiprocessing/") != std::string::npos) return "multiprocessing";
  if (endsWith(filename, "/subprocess.py")) return "subprocess";
  if (endsWith(filename, "/selectors.py")) return "selectors";
  return "";
}

bool libraryInternalsModule(const std::string& module) {
  static const std::set<std::string> kLibrary = {
      "threading", "queue", "asyncio", "concurrent", "multiprocessing", "logging", "selectors", "socket",
      "subprocess", "socketserver", "weakref", "_weakrefset", "collections", "functools", "sched", "contextlib",
      "ssl", "http", "email", "json", "enum", "typing", "abc", "io", "_io", "importlib", "_thread", "_queue"};
  return kLibrary.count(module.substr(0, module.find('.'))) > 0;
}

ObjectKind SyncReader::classify(uint64_t obj) const {
  if (obj == 0) return ObjectKind::kUnknown;
  auto t = objects_.typeOf(obj);
  if (!t) return ObjectKind::kUnknown;
  const TypeInfo& ti = **t;
  if (ti.module == "_thread") {
    if (ti.name == "lock") return ObjectKind::kLock;
    if (ti.name == "RLock") return ObjectKind::kRLock;
    if (ti.name == "_ThreadHandle") return ObjectKind::kThreadHandle;
  }
  if (ti.module == "_multiprocessing" && ti.name == "SemLock") return ObjectKind::kSemLock;
  if (ti.rawName == "_io.BufferedWriter" || ti.rawName == "_io.BufferedReader" || ti.rawName == "_io.BufferedRandom") {
    return ObjectKind::kIoBuffer;
  }
  if (ti.module == "builtins" || ti.module.empty()) return ObjectKind::kUnknown;
  if (objects_.isInstance(obj, "multiprocessing.synchronize", "SemLock")) return ObjectKind::kMpLock;
  if (objects_.isInstance(obj, "multiprocessing.synchronize", "Condition")) return ObjectKind::kCondition;
  if (objects_.isInstance(obj, "multiprocessing.synchronize", "Event")) return ObjectKind::kEvent;
  if (objects_.isInstance(obj, "multiprocessing.queues", "Queue")) return ObjectKind::kQueue;
  if (objects_.isInstance(obj, "multiprocessing.queues", "SimpleQueue")) return ObjectKind::kQueue;
  if (ti.module == "_queue" && ti.name == "SimpleQueue") return ObjectKind::kQueue;
  if (objects_.isInstance(obj, "multiprocessing.process", "BaseProcess")) return ObjectKind::kProcess;
  if (objects_.isInstance(obj, "multiprocessing.managers", "AcquirerProxy")) {
    // Lock, RLock, Semaphore and BoundedSemaphore share the proxy type: only a Lock (not
    // re-entrant, one holder) is treated as a lock; its token says which it is.
    auto token = objects_.attr(obj, "_token");
    auto typeId = token && *token ? objects_.attr(*token, "typeid") : std::nullopt;
    if (typeId && *typeId && objects_.readStr(*typeId, 32).value_or("") == "Lock") return ObjectKind::kManagerLock;
    return ObjectKind::kUnknown;
  }
  if (objects_.isInstance(obj, "multiprocessing.process", "_ParentProcess")) return ObjectKind::kProcess;
  if (ti.module == "_frozen_importlib" && ti.name == "_ModuleLock") return ObjectKind::kImportLock;
  if (objects_.isInstance(obj, "subprocess", "Popen")) return ObjectKind::kProcess;
  if (objects_.isInstance(obj, "threading", "Condition")) return ObjectKind::kCondition;
  if (objects_.isInstance(obj, "threading", "Semaphore")) return ObjectKind::kSemaphore;
  if (objects_.isInstance(obj, "threading", "Event")) return ObjectKind::kEvent;
  if (objects_.isInstance(obj, "threading", "Barrier")) return ObjectKind::kBarrier;
  if (objects_.isInstance(obj, "threading", "Thread")) return ObjectKind::kThread;
  if (objects_.isInstance(obj, "queue", "Queue")) return ObjectKind::kQueue;
  if (objects_.isInstance(obj, "concurrent.futures._base", "Future")) return ObjectKind::kFuture;
  // A multiprocessing Pool's result (apply_async, map_async, and apply/map through them).
  if (objects_.isInstance(obj, "multiprocessing.pool", "ApplyResult")) return ObjectKind::kFuture;
  return ObjectKind::kUnknown;
}

bool SyncReader::isLockLike(uint64_t obj) const {
  ObjectKind k = classify(obj);
  return k == ObjectKind::kLock || k == ObjectKind::kRLock || k == ObjectKind::kSemLock;
}

uint64_t SyncReader::underlyingLock(uint64_t obj, ObjectKind kind) const {
  auto get = [&](uint64_t o, std::string_view name) -> uint64_t { return objects_.attr(o, name).value_or(0); };
  // A multiprocessing Condition's lock is a wrapper (RLock) around the shared SemLock.
  auto unwrap = [&](uint64_t lock) -> uint64_t {
    if (lock && classify(lock) == ObjectKind::kMpLock) return get(lock, "_semlock");
    return lock;
  };
  switch (kind) {
    case ObjectKind::kMpLock: return get(obj, "_semlock");
    case ObjectKind::kCondition: return unwrap(get(obj, "_lock"));
    case ObjectKind::kSemaphore:
    case ObjectKind::kEvent:
    case ObjectKind::kBarrier: {
      uint64_t cond = get(obj, "_cond");
      return cond ? unwrap(get(cond, "_lock")) : 0;
    }
    case ObjectKind::kQueue: return get(obj, "mutex");
    case ObjectKind::kFuture: {
      uint64_t cond = get(obj, "_condition");
      return cond ? get(cond, "_lock") : 0;
    }
    default: return 0;
  }
}

// The length of a deque or list the target owns, when it is plausible: counts are shown to the
// user, so a garbage size is no count at all.
std::optional<int64_t> SyncReader::boundedLength(uint64_t container) const {
  constexpr int64_t kMaxLength = int64_t{1} << 30;
  std::string tn = objects_.typeName(container).value_or("");
  if (tn != "deque" && tn != "list") return std::nullopt;
  auto n = objects_.containerSize(container);
  if (!n || *n < 0 || *n > kMaxLength) return std::nullopt;
  return *n;
}

// How many threads wait on a threading.Condition: the waiter locks in its `_waiters` deque.
std::optional<int64_t> SyncReader::conditionWaiters(uint64_t condition) const {
  auto waiters = objects_.attr(condition, "_waiters");
  if (!waiters || !*waiters) return std::nullopt;
  return boundedLength(*waiters);
}

SyncObject SyncReader::describe(uint64_t obj) const {
  SyncObject s;
  s.address = obj;
  s.kind = classify(obj);
  s.type = objects_.qualifiedTypeName(obj);
  const auto& mem = objects_.memory();
  const auto& traits = objects_.layout().traits;
  switch (s.kind) {
    case ObjectKind::kLock:
      if (traits.locks == LockModel::kPyMutex) {
        if (auto bits = mem.readValue<uint8_t>(obj + 16)) {
          s.locked = (*bits & 1) != 0;
          s.waiters = (*bits & 2) ? 1 : 0;
          s.waitersIsABit = true;
        }
      } else {
        if (auto locked = mem.readValue<uint8_t>(obj + 32)) s.locked = *locked != 0;
        if (auto sem = mem.readPtr(obj + 16); sem && *sem) {
          if (auto data = mem.readValue<uint64_t>(*sem)) s.waiters = static_cast<int>(*data >> 32);
        }
      }
      break;
    case ObjectKind::kRLock:
      if (traits.rlocks == RLockModel::kRecursiveMutex) {
        auto bits = mem.readValue<uint8_t>(obj + 16);
        auto owner = mem.readValue<uint64_t>(obj + 24);
        auto level = mem.readValue<uint64_t>(obj + 32);
        if (bits) {
          s.locked = (*bits & 1) != 0;
          s.waiters = (*bits & 2) ? 1 : 0;
          s.waitersIsABit = true;
        }
        if (owner) s.ownerIdent = s.locked.value_or(false) ? *owner : 0;
        if (level && s.locked.value_or(false)) s.count = *level + 1;
      } else {
        auto owner = mem.readValue<uint64_t>(obj + 24);
        auto count = mem.readValue<uint64_t>(obj + 32);
        if (count) {
          s.count = *count;
          s.locked = *count > 0;
        }
        if (owner) s.ownerIdent = s.locked.value_or(false) ? *owner : 0;
        if (auto sem = mem.readPtr(obj + 16); sem && *sem) {
          if (auto data = mem.readValue<uint64_t>(*sem)) s.waiters = static_cast<int>(*data >> 32);
        }
      }
      break;
    case ObjectKind::kCondition:
    case ObjectKind::kSemaphore:
    case ObjectKind::kEvent:
    case ObjectKind::kBarrier:
    case ObjectKind::kQueue:
    case ObjectKind::kFuture:
      s.underlyingLock = underlyingLock(obj, s.kind);
      for (const char* a : {"_value", "_flag", "_parties", "_count", "_state", "maxsize", "unfinished_tasks",
                            "_initial_value"}) {
        if (auto v = objects_.attr(obj, a)) s.attrs[a] = objects_.repr(*v);
      }
      if (s.kind == ObjectKind::kEvent) {
        if (auto f = objects_.attr(obj, "_flag")) s.attrs["_flag"] = objects_.repr(*f);
      }
      if (s.kind == ObjectKind::kFuture) {
        // A Pool result: its job number, which the worker process running it has as `job`.
        if (auto job = objects_.attr(obj, "_job"); job && objects_.typeName(*job).value_or("") == "int") {
          if (auto n = objects_.readSmallInt(*job)) s.attrs["job"] = std::to_string(*n);
        }
      }
      if (s.kind == ObjectKind::kQueue) {
        if (auto q = objects_.attr(obj, "queue")) {
          if (auto n = boundedLength(*q)) s.attrs["qsize"] = std::to_string(*n);
        }
        // Threads blocked in get(), put() and join(): the waiters of its three Conditions.
        for (auto [cond, key] : {std::pair{"not_empty", "getters"}, {"not_full", "putters"}, {"all_tasks_done", "joiners"}}) {
          if (auto c = objects_.attr(obj, cond); c && *c) {
            if (auto n = conditionWaiters(*c)) s.attrs[key] = std::to_string(*n);
          }
        }
      } else if (s.kind == ObjectKind::kCondition) {
        if (auto n = conditionWaiters(obj)) s.attrs["waiters"] = std::to_string(*n);
      } else if (s.kind != ObjectKind::kFuture) {
        if (auto c = objects_.attr(obj, "_cond"); c && *c) {
          if (auto n = conditionWaiters(*c)) s.attrs["waiters"] = std::to_string(*n);
        }
      }
      break;
    case ObjectKind::kSemLock: {
      // SemLockObject: handle (sem_t*) @16, last_tid @24, count @32, maxvalue @36, kind @40.
      auto handle = mem.readPtr(obj + 16);
      auto lastTid = mem.readValue<uint64_t>(obj + 24);
      auto count = mem.readValue<int32_t>(obj + 32);
      auto kind = mem.readValue<int32_t>(obj + 40);
      auto maxValue = mem.readValue<int32_t>(obj + 36);
      if (kind) s.recursive = *kind == 0;
      if (kind && (*kind == 0 || *kind == 1)) s.attrs["semkind"] = *kind == 0 ? "recursive-mutex" : "semaphore";
      if (maxValue && *maxValue > 0) s.attrs["maxvalue"] = std::to_string(*maxValue);
      if (count) {
        s.count = static_cast<uint64_t>(std::max(0, *count));
        // An RLock or a Lock (a semaphore of one) has an owner: the last thread that took it. A
        // semaphore of more permits (a BoundedSemaphore, a bounded Queue's slots) only counts
        // what this process took, by any of its threads.
        const bool owned = kind && (*kind == 0 || (maxValue && *maxValue == 1));
        if (*count > 0 && lastTid && owned) s.ownerIdent = *lastTid;
      }
      if (handle && *handle) {
        if (auto data = mem.readValue<uint64_t>(*handle)) {
          s.semValue = static_cast<int32_t>(*data & 0xffffffffu);
          s.waiters = static_cast<int>(*data >> 32);
          s.locked = *s.semValue <= 0;
        }
        s.attrs["handle"] = fmt::format("0x{:x}", *handle);
      }
      break;
    }
    case ObjectKind::kMpLock:
      s.underlyingLock = underlyingLock(obj, s.kind);
      break;
    case ObjectKind::kIoBuffer: {
      // `buffered` (Modules/_io/bufferedio.c), the same from 3.6 to 3.15 (checked on each):
      // raw@16 ... lock@104 (PyThread_type_lock), owner@112 (the ident of the thread holding it,
      // set after taking it and cleared before releasing it), dict@136.
      auto type = objects_.typeOf(obj);
      if (!type || (*type)->dictOffset != 136) break;
      auto lock = mem.readPtr(obj + 104);
      auto owner = mem.readValue<uint64_t>(obj + 112);
      if (!lock || !*lock || !owner) break;
      s.lockWord = *lock;
      if (traits.pythreadLocks == LockModel::kPyMutex) {
        if (auto bits = mem.readValue<uint8_t>(*lock)) {
          s.locked = (*bits & 1) != 0;
          s.waiters = (*bits & 2) ? 1 : 0;
          s.waitersIsABit = true;
        }
      } else if (auto data = mem.readValue<uint64_t>(*lock)) {
        // glibc's sem_t: the value (1 free, 0 taken) in the low half, the waiters in the high.
        s.locked = (*data & 0xffffffffu) == 0;
        s.waiters = static_cast<int>(*data >> 32);
      }
      const bool held = s.locked.value_or(false) && *owner != 0;
      s.ownerIdent = held ? *owner : 0;
      s.count = held ? 1 : 0;
      if (auto raw = mem.readPtr(obj + 16); raw && *raw) {
        if (auto name = objects_.attr(*raw, "name"); name && *name && objects_.typeName(*name).value_or("") == "str") {
          s.attrs["file"] = objects_.readStr(*name, 256).value_or("");
        }
      }
      break;
    }
    case ObjectKind::kImportLock: {
      // _ModuleLock: owner (the importing thread's ident or None), count (an int before 3.13, a
      // list of True since), name (the module).
      if (auto name = objects_.attr(obj, "name")) s.threadName = objects_.readStr(*name, 256).value_or("");
      uint64_t count = 0;
      if (auto c = objects_.attr(obj, "count"); c && *c) {
        std::string tn = objects_.typeName(*c).value_or("");
        if (tn == "int") count = static_cast<uint64_t>(std::max<int64_t>(0, objects_.readSmallInt(*c).value_or(0)));
        else if (tn == "list") count = static_cast<uint64_t>(std::max<int64_t>(0, objects_.containerSize(*c).value_or(0)));
      }
      s.count = count;
      s.locked = count > 0;
      if (auto owner = objects_.attr(obj, "owner"); owner && *owner && objects_.typeName(*owner).value_or("") == "int") {
        if (auto ident = objects_.readIntDecimal(*owner)) s.ownerIdent = std::strtoull(ident->c_str(), nullptr, 10);
      }
      if (!count) s.ownerIdent = 0;
      break;
    }
    case ObjectKind::kManagerLock:
      // One lock in the manager's server, many proxies (one per process): its identity is the
      // server's address and the object's id there, from the proxy's token.
      if (auto token = objects_.attr(obj, "_token"); token && *token) {
        auto address = objects_.attr(*token, "address");
        auto id = objects_.attr(*token, "id");
        if (address && *address && id && *id) {
          std::string where = objects_.repr(*address);
          std::string ident = objects_.readStr(*id, 64).value_or("");
          if (!where.empty() && !ident.empty()) s.sharedKey = "manager " + where + " " + ident;
        }
      }
      break;
    case ObjectKind::kProcess: {
      auto readPid = [&](uint64_t o, std::string_view name) -> int64_t {
        auto v = objects_.attr(o, name);
        if (!v) return 0;
        return objects_.readSmallInt(*v).value_or(0);
      };
      if (objects_.isInstance(obj, "multiprocessing.process", "_ParentProcess")) {
        s.pid = readPid(obj, "_pid");
        s.attrs["role"] = "parent";
      } else if (objects_.isInstance(obj, "subprocess", "Popen")) {
        s.pid = readPid(obj, "pid");
      } else if (auto popen = objects_.attr(obj, "_popen"); popen && *popen) {
        s.pid = readPid(*popen, "pid");
      }
      if (auto name = objects_.attr(obj, "_name")) s.threadName = objects_.readStr(*name, 256).value_or("");
      break;
    }
    case ObjectKind::kThread: {
      if (auto ident = objects_.attr(obj, "_ident")) {
        if (auto v = objects_.readSmallInt(*ident)) s.threadIdent = static_cast<uint64_t>(*v);
      }
      if (auto name = objects_.attr(obj, "_name")) s.threadName = objects_.readStr(*name, 256).value_or("");
      break;
    }
    default: break;
  }
  return s;
}

std::optional<CallableInfo> SyncReader::callable(uint64_t obj) const {
  if (obj == 0) return std::nullopt;
  auto t = objects_.typeOf(obj);
  if (!t || (*t)->module != "builtins") return std::nullopt;
  const std::string& tn = (*t)->name;
  const auto& mem = objects_.memory();
  const Layout& o = objects_.layout().offsets;
  CallableInfo c;
  // "builtin_method": a PyCMethodObject (METH_METHOD, e.g. _queue.SimpleQueue.get bound), which
  // starts with a PyCFunctionObject.
  if (tn == "builtin_function_or_method" || tn == "builtin_method") {
    auto ml = mem.readPtr(obj + 16);
    if (!ml || !*ml) return std::nullopt;
    auto namePtr = mem.readPtr(*ml);
    if (!namePtr) return std::nullopt;
    c.name = mem.readCString(*namePtr, 64).value_or("");
    c.self = mem.readPtr(obj + 24).value_or(0);
  } else if (tn == "method") {
    auto func = mem.readPtr(obj + 16);
    if (!func) return std::nullopt;
    auto name = mem.readPtr(*func + static_cast<uint64_t>(o.func_name));
    if (!name) return std::nullopt;
    c.name = objects_.readStr(*name, 64).value_or("");
    c.self = mem.readPtr(obj + 24).value_or(0);
  } else if (tn == "method_descriptor") {
    auto def = mem.readPtr(obj + 40);
    if (!def || !*def) return std::nullopt;
    auto namePtr = mem.readPtr(*def);
    if (!namePtr) return std::nullopt;
    c.name = mem.readCString(*namePtr, 64).value_or("");
  } else if (tn == "function") {
    auto name = mem.readPtr(obj + static_cast<uint64_t>(o.func_name));
    if (!name) return std::nullopt;
    c.name = objects_.readStr(*name, 64).value_or("");
  } else {
    return std::nullopt;
  }
  return c;
}

}  // namespace pyhang::cpython
