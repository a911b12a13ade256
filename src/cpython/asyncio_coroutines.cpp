// asyncio coroutine stacks: the chain of suspended coroutine frames a task awaits through
// (`yield from` / `await` targets on the value stack), and each frame's variables, source line and
// the locks it holds.
#include "cpython/asyncio_reader_internal.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "cpython/opcodes.h"

namespace pyhang::cpython::asyncio_internal {

// ---------------------------------------------------------------------------------------------
// Tasks and coroutines

std::vector<Variable> AioReader::variables(const RawFrame& raw, bool argumentsOnly, bool localsOnly) {
  std::vector<Variable> vars;
  if (!raw.code || raw.slots == 0) return vars;
  const CodeInfo& code = *raw.code;
  size_t n = std::min(code.slotNames.size(), in_.options.limits.maxLocals);
  vars.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint8_t kind = i < code.slotKinds.size() ? code.slotKinds[i] : kFastLocal;
    if (kind & kFastHidden) continue;
    bool isArg = static_cast<int>(i) < code.argCount;
    if ((argumentsOnly && !isArg) || (localsOnly && isArg)) continue;
    uint64_t v = in_.walker.slotObject(raw.slots + 8 * i);
    if (v == 0) continue;
    if (kind & (kFastCell | kFastFree)) {
      if (typeIs(v, "cell")) {
        v = mem_.readPtr(v + 16).value_or(0);
        if (v == 0) continue;
      }
    }
    Variable var;
    var.name = code.slotNames[i];
    var.address = v;
    var.isArgument = isArg;
    // Task frames are many; their values and types are shown only with --locals (the readers
    // and the analysis use names and addresses).
    if (in_.options.renderLocals) {
      auto t = objects_.typeOf(v);
      var.type = t ? (*t)->name : "?";
      var.repr = objects_.repr(v);
    }
    vars.push_back(std::move(var));
  }
  return vars;
}

Frame AioReader::makeFrame(const RawFrame& raw) {
  Frame f;
  if (!raw.code) {
    f.location.function = "???";
    f.location.file = "???";
    f.marker = raw.error.empty() ? "unreadable frame" : raw.error;
    return f;
  }
  f.location.file = raw.code->filename;
  f.location.function = raw.code->name;
  f.qualname = raw.code->qualname;
  f.location.line = raw.line.value_or(0);
  f.sourceLine = sourceFactsFor(raw, f).sourceLine;
  f.arguments = variables(raw, true, false);
  f.locals = variables(raw, false, true);
  if (raw.globals && frameGlobals_.size() < 256 &&
      std::find(frameGlobals_.begin(), frameGlobals_.end(), raw.globals) == frameGlobals_.end()) {
    frameGlobals_.push_back(raw.globals);
  }
  f.holds = sync_.heldByWith(raw);  // lines: assignWithLines, once the holds are final
  inferAcquireHolds(raw, f);
  return f;
}

const AioReader::SourceFacts& AioReader::sourceFactsFor(const RawFrame& raw, const Frame& f) {
  static const SourceFacts kNone;
  if (!raw.code) return kNone;
  const std::pair<const CodeInfo*, int> key{raw.code, f.location.line};
  if (auto it = sourceFacts_.find(key); it != sourceFacts_.end()) return it->second;
  SourceFacts facts;
  facts.sourceLine = sources_.line(f.location.file, f.location.line);
  const std::vector<std::string>* lines = sources_.lines(f.location.file);
  // The standard library's own acquire() calls are its business (Condition.wait's waiter).
  if (lines && f.location.line > 0 && stdlibModuleOf(f.location.file).empty()) {
    const std::map<std::string, int> open = openAcquires(*lines, raw.code->firstLineNo, f.location.line);
    facts.openAcquires.assign(open.begin(), open.end());
  }
  if (sourceFacts_.size() >= 65536) {
    uncachedFacts_ = std::move(facts);
    return uncachedFacts_;
  }
  return sourceFacts_.emplace(key, std::move(facts)).first->second;
}

void AioReader::inferAcquireHolds(const RawFrame& raw, Frame& f) {
  const SourceFacts& facts = sourceFactsFor(raw, f);
  for (const auto& [expr, ln] : facts.openAcquires) {
    std::string base = expr, member;
    if (auto dot = expr.find('.'); dot != std::string::npos) {
      base = expr.substr(0, dot);
      member = expr.substr(dot + 1);
      if (member.find('.') != std::string::npos) continue;
    }
    uint64_t obj = 0;
    for (const auto* vars : {&f.arguments, &f.locals}) {
      for (const auto& v : *vars) {
        if (v.name == base) obj = member.empty() ? v.address : objects_.attr(v.address, member).value_or(0);
      }
    }
    if (!obj) continue;
    ObjectKind k = asyncKind(obj);
    bool lockish = k == ObjectKind::kAsyncLock || k == ObjectKind::kAsyncSemaphore || k == ObjectKind::kAsyncCondition;
    if (!lockish) {
      ObjectKind tk = sync_.classify(obj);
      lockish = tk == ObjectKind::kLock || tk == ObjectKind::kRLock || tk == ObjectKind::kSemaphore;
    }
    if (!lockish) continue;
    bool known = std::any_of(f.holds.begin(), f.holds.end(), [&](const HeldObject& h) { return h.object == obj; });
    if (!known) {
      f.holds.push_back(HeldObject{obj, "acquire() (from the source)", ln});
      const std::vector<std::string>* lines = sources_.lines(f.location.file);
      f.holds.back().doubtful = !lines || doubtfulAcquire(*lines, ln, f.location.line);
    }
  }
}

std::optional<RawFrame> AioReader::generatorFrame(uint64_t gen) { return in_.walker.generatorFrame(gen); }

uint64_t AioReader::yieldFromTarget(uint64_t gen, const RawFrame& raw) {
  if (!raw.code || raw.exactDepth < 1 || raw.stackBase == 0) return 0;
  bool yieldingFrom = false;
  const GenStates& gs = layout_.traits.genStates;
  if (layout_.traits.frames == FrameModel::kFrameObject) {
    // 3.6-3.9: f_lasti is the instruction before YIELD_FROM; 3.10 the same in code units.
    uint64_t next = static_cast<uint64_t>(raw.byteOffset) + 2;
    if (raw.code->bytecodeSize && next >= raw.code->bytecodeSize) return 0;
    auto op = mem_.readValue<uint8_t>(raw.code->bytecode + next);
    yieldingFrom = op && baseOpcodeName(minor_, *op) == "YIELD_FROM";
  } else if (gs.yieldFrom == GenStates::kNoState) {
    // 3.11/3.12: a suspended frame whose next instruction resumes after `yield from` / `await`.
    auto state = mem_.readValue<int8_t>(gen + static_cast<uint64_t>(o_.gen_frame_state));
    if (!state || *state != gs.suspended) return 0;  // created, executing, finished
    auto ins = mem_.readValue<uint16_t>(raw.code->bytecode + raw.byteOffset + 2);
    if (!ins) return 0;
    uint8_t op = *ins & 0xff, arg = static_cast<uint8_t>(*ins >> 8);
    yieldingFrom = baseOpcodeName(minor_, op) == "RESUME" && arg >= 2;
  } else {
    auto state = mem_.readValue<int8_t>(gen + static_cast<uint64_t>(o_.gen_frame_state));
    yieldingFrom = state && (*state == gs.yieldFrom || *state == gs.yieldFromLocked);
  }
  if (!yieldingFrom || raw.exactDepth < gs.receiverFromTop) return 0;
  return in_.walker.slotObject(raw.stackBase + 8 * static_cast<uint64_t>(raw.exactDepth - gs.receiverFromTop));
}

Chain AioReader::coroutineChain(uint64_t coro) {
  Chain c;
  std::unordered_set<uint64_t> seen;
  uint64_t obj = coro;
  while (obj) {
    if (c.links.size() >= kMaxChain) {
      c.warnings.push_back(fmt::format("more than {} coroutine frames: the rest are not shown", kMaxChain));
      break;
    }
    if (!seen.insert(obj).second) {
      c.warnings.push_back(fmt::format("the await chain loops at 0x{:x}: stopped", obj));
      break;
    }
    auto t = objects_.typeOf(obj);
    if (!t) {
      c.warnings.push_back(fmt::format("unreadable awaited object at 0x{:x}", obj));
      break;
    }
    const std::string& tn = (*t)->name;
    const bool builtin = (*t)->module == "builtins";
    if (builtin && (tn == "coroutine" || tn == "generator" || tn == "async_generator")) {
      auto raw = generatorFrame(obj);
      if (!raw) break;  // finished or cleared: nothing further is awaited
      ChainLink link{obj, *raw};
      c.links.push_back(std::move(link));
      obj = yieldFromTarget(obj, c.links.back().raw);
      continue;
    }
    if (builtin && (tn == "coroutine_wrapper" || tn == "async_generator_asend" || tn == "async_generator_athrow")) {
      obj = mem_.readPtr(obj + 16).value_or(0);  // cw_coroutine / ags_gen / agt_gen
      continue;
    }
    if (tn == "FutureIter") {
      c.leaf = mem_.readPtr(obj + 16).value_or(0);  // FutureIter.future
      break;
    }
    c.leaf = obj;
    break;
  }
  return c;
}

}  // namespace pyhang::cpython::asyncio_internal
