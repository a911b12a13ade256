#include "cpython/sync_reader.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "cpython/opcodes.h"

namespace pyhang::cpython {

namespace {

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const Variable* findVar(const std::vector<Variable>& vars, std::string_view name) {
  for (const auto& v : vars) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace

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
        if (*count > 0 && lastTid) s.ownerIdent = *lastTid;
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

std::vector<HeldObject> SyncReader::heldByWith(const RawFrame& frame) const {
  std::vector<HeldObject> out;
  if (!frame.code || frame.stackBase == 0) return out;
  const bool pairs = objects_.layout().traits.stackRefs;  // 3.14: [__exit__, self]
  for (int k = 0; k < frame.protectedDepth; ++k) {
    uint64_t obj = frames_.slotObject(frame.stackBase + 8 * static_cast<uint64_t>(k));
    auto c = callable(obj);
    if (!c || (c->name != "__exit__" && c->name != "__aexit__")) continue;
    uint64_t self = c->self;
    if (self == 0 && pairs && k + 1 < frame.protectedDepth) {
      self = frames_.slotObject(frame.stackBase + 8 * static_cast<uint64_t>(k + 1));
    }
    if (self) out.push_back(HeldObject{self, c->name == "__aexit__" ? "async with" : "with"});
  }
  return out;
}

// Whether the lock.acquire(...) call in progress (the lock in stack slot k) passed a timeout:
// acquire(blocking, timeout) or acquire(timeout=t); acquire(1) is the old spelling of
// blocking=True, and -1 means no timeout. The call's oparg gives the argument count, so stale
// slots above the live stack are never read as arguments.
bool SyncReader::acquireHasTimeout(const RawFrame& frame, int k, int limit) const {
  const int minor = objects_.layout().traits.minor;
  uint8_t insn[2] = {};
  if (!objects_.memory().read(frame.code->bytecode + frame.byteOffset, insn, 2)) return false;
  std::string_view op = baseOpcodeName(minor, insn[0]);
  int argc = insn[1];
  bool kwTupleOnStack = op == "CALL_FUNCTION_KW" || op == "CALL_KW";
  if (op != "CALL_METHOD" && op != "CALL_FUNCTION" && op != "CALL" && op != "PRECALL" && !kwTupleOnStack) {
    return false;
  }
  auto slot = [&](int a) -> uint64_t {
    if (a < 0 || a >= std::max(limit, k + 1 + argc + 1)) return 0;
    return frames_.slotObject(frame.stackBase + 8 * static_cast<uint64_t>(a));
  };
  auto number = [&](uint64_t arg) -> std::optional<double> {
    auto tn = objects_.typeOf(arg);
    if (!tn || (*tn)->module != "builtins") return std::nullopt;
    if ((*tn)->name == "float") {
      if (auto v = objects_.readFloat(arg)) return *v;
    } else if ((*tn)->name == "int") {
      if (auto v = objects_.readSmallInt(arg)) return static_cast<double>(*v);
    }
    return std::nullopt;
  };
  auto isTimeout = [&](uint64_t arg) {
    auto v = number(arg);
    return v && *v >= 0;
  };
  std::vector<std::string> kwnames;
  if (kwTupleOnStack) {
    if (auto items = objects_.tupleItems(slot(k + 1 + argc), 4)) {
      for (uint64_t it : *items) kwnames.push_back(objects_.readStr(it, 32).value_or(""));
    }
  }
  int positional = argc - static_cast<int>(kwnames.size());
  // acquire(False) / acquire(0) / acquire(blocking=False) never blocks: as good as a timeout.
  auto isFalse = [&](uint64_t arg) {
    auto tn = objects_.typeOf(arg);
    if (!tn || (*tn)->module != "builtins" || ((*tn)->name != "bool" && (*tn)->name != "int")) return false;
    auto v = objects_.readSmallInt(arg);
    return v && *v == 0;
  };
  for (size_t i = 0; i < kwnames.size(); ++i) {
    if (kwnames[i] == "blocking" && isFalse(slot(k + 1 + positional + static_cast<int>(i)))) return true;
  }
  if (positional >= 1 && isFalse(slot(k + 1))) return true;
  for (size_t i = 0; i < kwnames.size(); ++i) {
    if (kwnames[i] == "timeout") return isTimeout(slot(k + 1 + positional + static_cast<int>(i)));
  }
  if (positional >= 2) return isTimeout(slot(k + 2));
  if (positional == 1 && !kwTupleOnStack && objects_.layout().traits.kwNamesOffStack) {
    // 3.11/3.12 keep keyword names out of the stack (KW_NAMES): acquire(timeout=5) and
    // acquire(1) look alike. A float, or a number other than 0/1, can only be a timeout.
    uint64_t a = slot(k + 1);
    auto tn = objects_.typeOf(a);
    auto v = number(a);
    if (tn && (*tn)->name == "float") return v && *v >= 0;
    return v && *v > 1;
  }
  return false;
}

bool SyncReader::isSimpleQueue(uint64_t obj) const {
  if (obj == 0) return false;
  auto t = objects_.typeOf(obj);
  return t && (*t)->module == "_queue" && (*t)->name == "SimpleQueue";
}

std::optional<int64_t> SyncReader::simpleQueueLength(uint64_t queue) const {
  const Layout& o = objects_.layout().offsets;
  const auto& mem = objects_.memory();
  if (o.sq_lst >= 0 && o.sq_lst_pos >= 0) {
    auto lst = mem.readPtr(queue + static_cast<uint64_t>(o.sq_lst));
    auto pos = mem.readValue<int64_t>(queue + static_cast<uint64_t>(o.sq_lst_pos));
    if (!lst || !*lst || !pos || *pos < 0) return std::nullopt;
    auto size = objects_.containerSize(*lst);
    if (!size || *size < *pos) return std::nullopt;
    return *size - *pos;
  }
  if (o.sq_ring_count < 0) return std::nullopt;
  auto count = mem.readValue<int64_t>(queue + static_cast<uint64_t>(o.sq_ring_count));
  if (!count || *count < 0) return std::nullopt;
  return *count;
}

std::optional<WaitInfo> SyncReader::blockedSimpleQueueGet(const RawFrame& frame) const {
  if (!frame.code || frame.stackBase == 0) return std::nullopt;
  const int minor = objects_.layout().traits.minor;
  uint8_t insn[2] = {};
  if (!objects_.memory().read(frame.code->bytecode + frame.byteOffset, insn, 2)) return std::nullopt;
  std::string_view opname = baseOpcodeName(minor, insn[0]);
  if (!opname.starts_with("CALL")) return std::nullopt;
  const bool noArgs = (opname == "CALL" || opname == "CALL_METHOD" || opname == "CALL_FUNCTION") && insn[1] == 0;
  int limit = frame.exactDepth >= 0 ? frame.exactDepth : std::min(frame.code->stackSize, frame.protectedDepth + 32);
  uint64_t prev = 0;
  for (int k = frame.protectedDepth; k < limit; ++k) {
    uint64_t obj = frames_.slotObject(frame.stackBase + 8 * static_cast<uint64_t>(k));
    uint64_t queue = 0;
    if (auto c = callable(obj); c && c->name == "get" && c->self && isSimpleQueue(c->self)) {
      queue = c->self;   // a bound q.get (or a local `get = q.get`)
    } else if (isSimpleQueue(obj)) {
      // [get, q]: the method and its self (LOAD_METHOD, 3.7+)
      if (auto pc = callable(prev); pc && pc->name == "get" && pc->self == 0) queue = obj;
    }
    if (queue) {
      auto length = simpleQueueLength(queue);
      if (length && *length > 0) return std::nullopt;   // get() returns at once
      WaitInfo w;
      w.op = WaitOp::kQueueGet;
      w.object = queue;
      w.how = "get()";
      w.hasTimeout = !noArgs;
      w.certain = length.has_value();
      w.mayBeOver = objects_.layout().traits.simpleQueueHandsOff;
      return w;
    }
    prev = obj;
  }
  return std::nullopt;
}

std::optional<bool> SyncReader::lineLoadsAttribute(const RawFrame& frame,
                                                   std::initializer_list<std::string_view> names) const {
  const Layout& o = objects_.layout().offsets;
  const VersionTraits& traits = objects_.layout().traits;
  if (!frame.code || o.co_names < 0 || traits.frames != FrameModel::kInterpreterFrame) return std::nullopt;
  constexpr uint32_t kMaxBytes = 1 << 16;
  if (frame.byteOffset >= kMaxBytes || frame.byteOffset % 2) return std::nullopt;
  std::vector<uint8_t> code(frame.byteOffset + 2);
  if (!objects_.memory().read(frame.code->bytecode, code.data(), code.size())) return std::nullopt;
  auto tuple = objects_.memory().readPtr(frame.code->address + static_cast<uint64_t>(o.co_names));
  if (!tuple || !*tuple) return std::nullopt;
  constexpr size_t kMaxNames = 4096;
  auto nameObjects = objects_.tupleItems(*tuple, kMaxNames);
  if (!nameObjects) return std::nullopt;
  auto line = frames_.codes().lineFor(*frame.code, frame.byteOffset);
  if (!line) return std::nullopt;
  // Decode from the start (inline caches hold data, so the stream cannot be read backwards),
  // keeping the attribute names loaded on the current line.
  const int minor = traits.minor;
  bool found = false;
  uint32_t ext = 0;
  for (uint32_t at = 0; at < frame.byteOffset;) {
    const OpcodeInfo info = opcodeInfo(minor, code[at]);
    std::string_view op = baseOpcodeName(minor, code[at]);
    uint32_t arg = ext | code[at + 1];
    ext = op == "EXTENDED_ARG" ? arg << 8 : 0;
    if (op == "LOAD_ATTR" || op == "LOAD_METHOD") {
      uint32_t index = op == "LOAD_ATTR" ? arg >> traits.loadAttrNameShift : arg;
      if (index < nameObjects->size() && frames_.codes().lineFor(*frame.code, at) == line) {
        std::string name = objects_.readStr((*nameObjects)[index], 64).value_or("");
        for (std::string_view n : names) found |= name == n;
      }
    }
    at += 2 * (1 + static_cast<uint32_t>(info.caches));
  }
  return found;
}

std::optional<WaitInfo> SyncReader::blockedAcquire(const RawFrame& frame) const {
  return pendingAcquire(frame, /*requireLocked=*/true);
}

std::optional<WaitInfo> SyncReader::pendingAcquire(const RawFrame& frame, bool requireLocked) const {
  if (!frame.code || frame.stackBase == 0) return std::nullopt;
  const int minor = objects_.layout().traits.minor;
  uint8_t opcode = 0;
  if (auto op = objects_.memory().readValue<uint8_t>(frame.code->bytecode + frame.byteOffset)) opcode = *op;
  std::string_view opname = baseOpcodeName(minor, opcode);
  const bool enteringWith = opname == "BEFORE_WITH" || opname == "SETUP_WITH";
  int limit = frame.exactDepth >= 0 ? frame.exactDepth
                                    : std::min(frame.code->stackSize, frame.protectedDepth + 32);
  auto isAcquireName = [](const std::string& n) { return n == "acquire" || n == "__enter__" || n == "acquire_lock"; };
  uint64_t prev = 0;
  for (int k = frame.protectedDepth; k < limit; ++k) {
    uint64_t obj = frames_.slotObject(frame.stackBase + 8 * static_cast<uint64_t>(k));
    uint64_t candidate = 0;
    std::string how;
    if (obj && isLockLike(obj)) {
      auto pc = callable(prev);
      if (pc && isAcquireName(pc->name) && pc->self == 0) {
        candidate = obj;
        how = pc->name == "__enter__" ? "with" : "acquire()";
      } else if (enteringWith && k + 1 == limit) {
        candidate = obj;
        how = "with";
      } else if (enteringWith && frame.exactDepth < 0) {
        // 3.12/3.13: the manager stays in its slot while __enter__ runs; D is unknown, so the
        // first lock above the protected depth is taken, and checked against the lock's state.
        candidate = obj;
        how = "with";
      }
    } else if (auto c = callable(obj); c && c->self && isLockLike(c->self)) {
      if (isAcquireName(c->name)) {
        candidate = c->self;
        how = c->name == "__enter__" ? "with" : "acquire()";
      } else if (c->name == "__exit__" && enteringWith) {
        candidate = c->self;  // 3.8-3.11: __exit__ is pushed before __enter__ is called
        how = "with";
      }
    }
    if (candidate && frame.exactDepth < 0 && !enteringWith && opname.starts_with("CALL")) {
      // No stack depth (3.11/3.12 in a call): slots above the call's operands keep stale
      // values of earlier calls, an [acquire, lock] pair among them. The call in progress is an
      // acquire only if its line loads one.
      if (!lineLoadsAttribute(frame, {"acquire", "__enter__", "acquire_lock"}).value_or(true)) candidate = 0;
    }
    if (candidate) {
      SyncObject s = describe(candidate);
      // Only a lock that is actually held can block its acquirer.
      if (requireLocked && s.locked.has_value() && !*s.locked) {
        prev = obj;
        continue;
      }
      WaitInfo w;
      w.op = WaitOp::kAcquire;
      w.object = candidate;
      w.how = how;
      w.certain = frame.exactDepth >= 0 || (s.waiters.has_value() && *s.waiters > 0);
      if (how == "acquire()") w.hasTimeout = acquireHasTimeout(frame, k, limit);
      return w;
    }
    prev = obj;
  }
  return std::nullopt;
}

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
             (fn == "_handle_workers" || fn == "_handle_results" || (fn == "_handle_tasks" && isInnermost))) {
    // A Pool's helper threads only react to its workers (their results, their exit) or to new
    // tasks from the program: on their own they never end a wait. `_handle_tasks` counts only
    // while it is in SimpleQueue.get (C), not while it writes a task into the inqueue pipe.
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
