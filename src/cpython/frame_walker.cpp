#include "cpython/frame_walker.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "cpython/opcodes.h"

namespace pyhang::cpython {

namespace {
constexpr int kOwnerGenerator = 1;
constexpr int kMaxBlocks = 20;  // CO_MAXBLOCKS
}  // namespace

// The code unit a JUMP_BACKWARD at the frame's instruction jumps to, or nothing for any other
// instruction. Its argument may be widened by EXTENDED_ARG prefixes just before it.
std::optional<uint32_t> FrameWalker::loopHeadOf(const RawFrame& frame) const {
  if (objects_.layout().traits.frames == FrameModel::kFrameObject) return std::nullopt;
  const int minor = objects_.layout().traits.minor;
  const auto& mem = objects_.memory();
  const uint32_t unit = frame.byteOffset / 2;
  uint8_t insn[2] = {};
  if (!mem.read(frame.code->bytecode + frame.byteOffset, insn, 2)) return std::nullopt;
  const OpcodeInfo info = opcodeInfo(minor, insn[0]);
  std::string_view op = baseOpcodeName(minor, insn[0]);
  if (op != "JUMP_BACKWARD" && op != "JUMP_BACKWARD_NO_INTERRUPT") return std::nullopt;
  uint32_t arg = insn[1];
  for (uint32_t k = 1; k <= 3 && k <= unit; ++k) {
    uint8_t prefix[2] = {};
    if (!mem.read(frame.code->bytecode + 2 * static_cast<uint64_t>(unit - k), prefix, 2)) break;
    if (baseOpcodeName(minor, prefix[0]) != "EXTENDED_ARG") break;
    arg |= static_cast<uint32_t>(prefix[1]) << (8 * k);
  }
  const uint32_t next = unit + 1 + info.caches;
  if (arg == 0 || arg > next) return std::nullopt;
  return next - arg;
}

void FrameWalker::finishCall(RawFrame& frame) const {
  const int minor = objects_.layout().traits.minor;
  if (objects_.layout().traits.frames == FrameModel::kFrameObject || !frame.code || frame.code->exceptionTable.empty()) return;
  uint8_t opcode = 0;
  if (!objects_.memory().read(frame.code->bytecode + frame.byteOffset, &opcode, 1)) return;
  std::string_view op = baseOpcodeName(minor, opcode);
  if (!op.starts_with("CALL") && op != "PRECALL") return;
  const uint32_t next = frame.byteOffset / 2 + 1 + opcodeInfo(minor, opcode).caches;
  auto entry = exceptionEntryFor(frame.code->exceptionTable, next);
  int depth = entry ? static_cast<int>(entry->depth) : 0;
  if (depth <= frame.code->stackSize) frame.protectedDepth = depth;
}

uint64_t FrameWalker::slotObject(uint64_t slotAddress) const {
  auto v = objects_.memory().readPtr(slotAddress);
  if (!v) return 0;
  uint64_t bits = *v;
  if (objects_.layout().traits.stackRefs) {
    if ((bits & 3) == 3 || bits == 1) return 0;  // tagged int or NULL stackref
    bits &= ~uint64_t{3};
  }
  return bits;
}

Result<uint64_t> FrameWalker::topFrame(uint64_t tstate) const {
  const Layout& o = objects_.layout().offsets;
  const auto& mem = objects_.memory();
  if (o.ts_frame >= 0) return mem.readPtr(tstate + static_cast<uint64_t>(o.ts_frame));
  if (o.ts_current_frame >= 0) return mem.readPtr(tstate + static_cast<uint64_t>(o.ts_current_frame));
  PYHANG_TRY(cframe, mem.readPtr(tstate + static_cast<uint64_t>(o.ts_cframe)));
  if (cframe == 0) return uint64_t{0};
  return mem.readPtr(cframe + static_cast<uint64_t>(o.cf_current_frame));
}

void FrameWalker::decodeOld(uint64_t frame, RawFrame& out) const {
  const Layout& o = objects_.layout().offsets;
  const auto& mem = objects_.memory();
  auto code = mem.readPtr(frame + static_cast<uint64_t>(o.f_code));
  if (!code) {
    out.error = code.error().describe();
    return;
  }
  auto info = codes_.read(*code);
  if (!info) {
    out.error = info.error().describe();
    return;
  }
  out.code = *info;
  int lasti = mem.readValue<int32_t>(frame + static_cast<uint64_t>(o.f_lasti)).value_or(0);
  if (lasti < 0) lasti = 0;
  out.byteOffset = static_cast<uint32_t>(objects_.layout().traits.lastiIsInstructionIndex ? 2 * lasti : lasti);
  out.slots = frame + static_cast<uint64_t>(o.f_localsplus);
  out.stackBase = mem.readPtr(frame + static_cast<uint64_t>(o.f_valuestack)).value_or(0);
  out.globals = mem.readPtr(frame + 48).value_or(0);
  int iblock = mem.readValue<int32_t>(frame + static_cast<uint64_t>(o.f_iblock)).value_or(0);
  iblock = std::clamp(iblock, 0, kMaxBlocks);
  int maxLevel = 0;
  for (int i = 0; i < iblock; ++i) {
    auto level = mem.readValue<int32_t>(frame + static_cast<uint64_t>(o.f_blockstack) + 12 * static_cast<uint64_t>(i) + 8);
    if (level && *level > maxLevel && *level <= out.code->stackSize) maxLevel = *level;
  }
  // A frame whose last instruction is the POP_BLOCK that ends a with block has not yet called
  // its __exit__ (the next instructions do), but its block is gone. The interpreter checks for
  // signals and GIL requests between the two, so a signal handler or a GIL wait can find the
  // frame there, still holding the lock. The popped block stays in f_blockstack[f_iblock]: its
  // level keeps the __exit__ below it live.
  const int minor = objects_.layout().traits.minor;
  uint8_t opcode = 0;
  if (iblock < kMaxBlocks && mem.read(out.code->bytecode + out.byteOffset, &opcode, 1) &&
      baseOpcodeName(minor, opcode) == "POP_BLOCK") {
    uint64_t popped = frame + static_cast<uint64_t>(o.f_blockstack) + 12 * static_cast<uint64_t>(iblock);
    auto type = mem.readValue<int32_t>(popped);
    auto level = mem.readValue<int32_t>(popped + 8);
    if (type && *type == opcodeNumber(minor, "SETUP_FINALLY") && level && *level > maxLevel &&
        *level <= out.code->stackSize) {
      maxLevel = *level;
    }
  }
  out.protectedDepth = maxLevel;
  if (o.f_stacktop >= 0) {
    auto top = mem.readPtr(frame + static_cast<uint64_t>(o.f_stacktop));
    if (top && *top && *top >= out.stackBase) out.exactDepth = static_cast<int>((*top - out.stackBase) / 8);
  } else if (o.f_stackdepth >= 0) {
    auto d = mem.readValue<int32_t>(frame + static_cast<uint64_t>(o.f_stackdepth));
    if (d && *d >= 0) out.exactDepth = *d;
  }
  if (out.exactDepth > out.code->stackSize) out.exactDepth = -1;
  out.line = codes_.lineFor(*out.code, out.byteOffset);
}

// Returns false when the frame is a shim/incomplete frame to be skipped (skip=true) or unreadable.
bool FrameWalker::decodeNew(uint64_t frame, RawFrame& out, bool& skip) const {
  const PythonLayout& pl = objects_.layout();
  const Layout& o = pl.offsets;
  const auto& mem = objects_.memory();
  skip = false;
  auto owner = mem.readValue<uint8_t>(frame + static_cast<uint64_t>(o.if_owner));
  if (!owner) {
    out.error = owner.error().describe();
    return false;
  }
  if ((o.owner_cstack >= 0 && *owner == o.owner_cstack) || (o.owner_interpreter >= 0 && *owner == o.owner_interpreter)) {
    skip = true;
    return false;
  }
  uint64_t code = slotObject(frame + static_cast<uint64_t>(o.if_code));
  auto type = objects_.typeOf(code);
  if (!type || (*type)->name != "code") {
    skip = type.has_value();  // a non-code executable (None in 3.13 shims) is skipped silently
    if (!type) out.error = type.error().describe();
    return false;
  }
  auto info = codes_.read(code);
  if (!info) {
    out.error = info.error().describe();
    return false;
  }
  out.code = *info;
  auto ip = mem.readPtr(frame + static_cast<uint64_t>(o.if_instr));
  if (!ip) {
    out.error = ip.error().describe();
    return false;
  }
  uint64_t start = out.code->bytecode;
  if (*owner != kOwnerGenerator && *ip < start + 2 * static_cast<uint64_t>(out.code->firstTraceable)) {
    skip = true;  // pushed but not started (CPython's _PyFrame_IsIncomplete)
    return false;
  }
  if (*ip < start || *ip - start > (1u << 26)) {
    out.byteOffset = 0;
  } else {
    out.byteOffset = static_cast<uint32_t>(*ip - start);
  }
  if (o.if_is_entry >= 0) out.isEntry = mem.readValue<uint8_t>(frame + static_cast<uint64_t>(o.if_is_entry)).value_or(0) != 0;
  out.slots = frame + static_cast<uint64_t>(o.if_localsplus);
  out.stackBase = out.slots + 8 * out.code->slotNames.size();
  out.globals = slotObject(frame + static_cast<uint64_t>(o.if_locals) - 16);  // f_globals
  if (o.if_stackpointer >= 0) {
    auto sp = mem.readPtr(frame + static_cast<uint64_t>(o.if_stackpointer));
    if (sp && *sp >= out.stackBase && (*sp - out.stackBase) / 8 <= static_cast<uint64_t>(out.code->stackSize)) {
      out.exactDepth = static_cast<int>((*sp - out.stackBase) / 8);
    }
  } else if (o.if_stacktop >= 0) {
    auto top = mem.readValue<int32_t>(frame + static_cast<uint64_t>(o.if_stacktop));
    int n = static_cast<int>(out.code->slotNames.size());
    if (top && *top >= n && *top - n <= out.code->stackSize) out.exactDepth = *top - n;
  }
  auto entry = exceptionEntryFor(out.code->exceptionTable, out.byteOffset / 2);
  if (!entry) {
    // A loop's JUMP_BACKWARD lies outside the exception table's range of the block around the
    // loop (it cannot raise but for a signal handler or an asynchronous exception, and CPython
    // ends the range before it), yet it checks for pending signals: a handler called there
    // leaves the frame at the jump, with the stack of the loop's head. The head's entry tells
    // what the frame holds (the __exit__ of a with block around the loop).
    if (auto head = loopHeadOf(out)) entry = exceptionEntryFor(out.code->exceptionTable, *head);
  }
  if (entry && static_cast<int>(entry->depth) <= out.code->stackSize) {
    out.protectedDepth = static_cast<int>(entry->depth);
  }
  out.line = codes_.lineFor(*out.code, out.byteOffset);
  return true;
}

std::optional<RawFrame> FrameWalker::decodeOne(uint64_t frame) const {
  if (frame == 0) return std::nullopt;
  RawFrame raw;
  raw.address = frame;
  if (objects_.layout().traits.frames == FrameModel::kFrameObject) {
    decodeOld(frame, raw);
    return raw;
  }
  bool skip = false;
  bool ok = decodeNew(frame, raw, skip);
  if (skip) return std::nullopt;
  if (!ok && raw.error.empty()) raw.error = "unreadable frame";
  return raw;
}

std::optional<RawFrame> FrameWalker::generatorFrame(uint64_t gen) const {
  const PythonLayout& pl = objects_.layout();
  const Layout& o = pl.offsets;
  uint64_t frame = 0;
  if (pl.traits.frames == FrameModel::kFrameObject) {
    frame = objects_.memory().readPtr(gen + static_cast<uint64_t>(o.gen_frame)).value_or(0);
    if (!frame) return std::nullopt;  // finished
  } else {
    auto state = objects_.memory().readValue<int8_t>(gen + static_cast<uint64_t>(o.gen_frame_state));
    if (!state || *state >= pl.traits.genStates.finished) return std::nullopt;  // completed or cleared
    frame = gen + static_cast<uint64_t>(o.gen_iframe);
  }
  // A suspended generator's frame has no caller linked: the frame alone.
  return decodeOne(frame);
}

ThreadFrames FrameWalker::walk(uint64_t firstFrame) const {
  ThreadFrames result;
  const PythonLayout& pl = objects_.layout();
  const Layout& o = pl.offsets;
  const auto& mem = objects_.memory();
  const size_t cap = objects_.limits().maxFrames;
  std::unordered_set<uint64_t> visited;
  uint64_t frame = firstFrame;
  uint64_t oldestOnStack = 0;  // the oldest frame walked that lives in the thread's data stack
  size_t steps = 0;
  while (frame != 0) {
    if (!visited.insert(frame).second) {
      result.warnings.push_back(fmt::format("frame chain loops at 0x{:x}: stopped", frame));
      break;
    }
    if (++steps > cap * 2 || result.frames.size() >= cap) {
      result.warnings.push_back(fmt::format("more than {} frames: the rest are not shown", cap));
      break;
    }
    RawFrame raw;
    raw.address = frame;
    uint64_t next = 0;
    if (pl.traits.frames == FrameModel::kFrameObject) {
      decodeOld(frame, raw);
      next = mem.readPtr(frame + static_cast<uint64_t>(o.f_back)).value_or(0);
      result.frames.push_back(std::move(raw));
    } else {
      bool skip = false;
      bool ok = decodeNew(frame, raw, skip);
      next = mem.readPtr(frame + static_cast<uint64_t>(o.if_previous)).value_or(0);
      if (skip) {
        // A shim frame: the frame run above it (the previous one we emitted) is an entry frame.
        // Only a C-stack shim (owner CSTACK/INTERPRETER) is one: other skipped frames -- frames
        // not started yet, 3.13's __init__ cleanup trampoline (owner THREAD) -- are no C-level
        // eval-loop call (the native merge places _PyEval_EvalFrameDefault frames by this flag).
        auto owner = mem.readValue<uint8_t>(frame + static_cast<uint64_t>(o.if_owner));
        bool cShim = owner && ((o.owner_cstack >= 0 && *owner == o.owner_cstack) ||
                               (o.owner_interpreter >= 0 && *owner == o.owner_interpreter));
        if (!result.frames.empty() && cShim) result.frames.back().isEntry = true;
      } else if (!ok && next == 0 && !result.frames.empty() && pl.traits.entryShimOnCStack) {
        // An entry shim (3.12+) lives on the C stack; gcore may leave its page out (zeros: gdb
        // cannot read next to the guard pages newer glibc installs in thread stacks with
        // MADV_GUARD_INSTALL). The thread's outermost shim hides nothing, but an inner one hides
        // the frames of the evaluation that called into C. They are still in the thread's data
        // stack, right below the frame the shim called.
        // A generator's frame lives in the generator, not in the data stack: the frame before
        // is then the one pushed before the oldest data-stack frame walked so far.
        if (auto before = frameBefore(oldestOnStack)) {
          next = *before;
          result.frames.back().isEntry = true;
        }
      } else {
        if (!ok && raw.error.empty()) raw.error = "unreadable frame";
        result.frames.push_back(std::move(raw));
      }
    }
    if (!result.frames.empty() && !result.frames.back().error.empty() && result.frames.back().address == frame) {
      result.warnings.push_back(fmt::format("frame at 0x{:x} could not be read: {}", frame, result.frames.back().error));
    }
    if (pl.traits.frames != FrameModel::kFrameObject && !result.frames.empty() && result.frames.back().address == frame &&
        result.frames.back().error.empty() &&
        mem.readValue<uint8_t>(frame + static_cast<uint64_t>(o.if_owner)).value_or(kOwnerGenerator) == 0) {
      oldestOnStack = frame;
    }
    frame = next;
  }
  return result;
}

std::optional<uint64_t> FrameWalker::frameBefore(uint64_t frame) const {
  // Frames are pushed one after the other in a data stack chunk: the frame pushed before
  // `frame` ends where it starts. Only a frame of a code object whose size is exactly the gap
  // qualifies, owned by the thread and started.
  const Layout& o = objects_.layout().offsets;
  const auto specials = static_cast<uint64_t>(o.if_localsplus);
  constexpr uint64_t kMaxWords = 4096;
  for (uint64_t words = specials / 8 + 1; words <= kMaxWords && 8 * words <= frame; ++words) {
    uint64_t g = frame - 8 * words;
    auto owner = objects_.memory().readValue<uint8_t>(g + static_cast<uint64_t>(o.if_owner));
    if (!owner || *owner != 0) continue;
    uint64_t code = slotObject(g + static_cast<uint64_t>(o.if_code));
    if (!code || (code & 7) != 0) continue;
    auto type = objects_.typeOf(code);
    if (!type || (*type)->name != "code") continue;
    auto info = codes_.read(code);
    if (!info) continue;
    if (specials + 8 * ((*info)->slotNames.size() + static_cast<uint64_t>((*info)->stackSize)) != 8 * words) continue;
    RawFrame probe;
    bool skip = false;
    if (decodeNew(g, probe, skip) && !skip) return g;
  }
  return std::nullopt;
}

}  // namespace pyhang::cpython
