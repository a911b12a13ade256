// What a frame's value stack says: the context managers it holds by `with`, the lock it is
// blocked acquiring (and whether with a timeout), and the queue.SimpleQueue it is blocked getting
// from (CPYTHON.md section 6).
#include "cpython/sync_reader.h"

#include <algorithm>
#include <cstring>

#include "cpython/opcodes.h"

namespace pyhang::cpython {

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

bool SyncReader::inLocals(const RawFrame& frame, uint64_t object) const {
  if (!frame.code || frame.slots == 0 || object == 0) return false;
  const size_t n = std::min<size_t>(frame.code->slotNames.size(), 256);
  for (size_t i = 0; i < n; ++i) {
    if (frames_.slotObject(frame.slots + 8 * i) == object) return true;
  }
  return false;
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
    if (queue && frame.exactDepth < 0 && !lineLoadsAttribute(frame, {"get"}).value_or(true) &&
        !inLocals(frame, obj)) {
      queue = 0;   // stale: an earlier call's [get, q] (a local `get = q.get` is called by name)
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
  const bool calling = opname.starts_with("CALL") || opname.starts_with("PRECALL");
  // Without the live stack depth, the slots of a frame that is not calling (FOR_ITER reading a
  // pipe) or entering a `with` hold only stale values of calls that returned, and of frames
  // popped from the same memory: a bound `lock.__enter__` left there by another frame made a
  // reader thread blocked in read(2) "wait" for a lock it never touched (deb-3.11).
  if (frame.exactDepth < 0 && !enteringWith && !calling) return std::nullopt;
  int limit = frame.exactDepth >= 0 ? frame.exactDepth
                                    : std::min(frame.code->stackSize, frame.protectedDepth + 32);
  auto isAcquireName = [](const std::string& n) { return n == "acquire" || n == "__enter__" || n == "acquire_lock"; };
  uint64_t prev = 0, beforePrev = 0;
  for (int k = frame.protectedDepth; k < limit; ++k) {
    uint64_t obj = frames_.slotObject(frame.stackBase + 8 * static_cast<uint64_t>(k));
    uint64_t candidate = 0;
    std::string how;
    if (obj && isLockLike(obj)) {
      // 3.13+: [callable, NULL, args...] for a call without self.
      auto pc = callable(prev != 0 ? prev : beforePrev);
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
    // contextlib's ExitStack.enter_context(cm) calls `_enter(cm)`, the manager's type's
    // __enter__ taken beforehand: no attribute on the line, an [__enter__, lock] pair on the stack.
    const bool enterContext = frame.code->name == "enter_context" && frame.code->filename.ends_with("/contextlib.py");
    if (candidate && frame.exactDepth < 0 && !enteringWith && !enterContext &&
        calling) {
      // No stack depth (3.11/3.12 in a call): slots above the call's operands keep stale
      // values of earlier calls, an [acquire, lock] pair among them. The call in progress is an
      // acquire only if its line loads one. 3.11's specialized PRECALLs (PRECALL_NO_KW_BUILTIN_O
      // for time.sleep(0.2)) make the call themselves: a thread sleeping inside `with lock:`
      // in a warm loop was a self-deadlock.
      if (!lineLoadsAttribute(frame, {"acquire", "__enter__", "acquire_lock"}).value_or(true)) candidate = 0;
    }
    if (candidate) {
      SyncObject s = describe(candidate);
      // Only a lock that is actually held can block its acquirer.
      if (requireLocked && s.locked.has_value() && !*s.locked) {
        beforePrev = prev;
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
    beforePrev = prev;
    prev = obj;
  }
  return std::nullopt;
}

}  // namespace pyhang::cpython
