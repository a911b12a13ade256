// The process reader's frames: a frame's arguments and locals, the locks it holds by
// `x.acquire()` (inferred from the source) or through a generator-based context manager, and
// whether a frame is a signal handler called on top of another.
#include "cpython/process_reader_internal.h"

#include <algorithm>
#include <optional>

#include "cpython/wrapper_locks.h"

namespace pyhang::cpython::process_internal {

std::vector<Variable> Reader::variables(const RawFrame& raw, bool argumentsOnly, bool localsOnly) {
  std::vector<Variable> vars;
  if (!raw.code || raw.slots == 0) return vars;
  const CodeInfo& code = *raw.code;
  size_t n = std::min(code.slotNames.size(), opts_.limits.maxLocals);
  size_t args = std::min(n, static_cast<size_t>(std::max(code.argCount, 0)));
  // Reserved: a frame's variables are read for every frame of every thread, and growing the
  // vector one by one was a fifth of the reading (allocations, and pages touched for the first time).
  vars.reserve(argumentsOnly ? args : localsOnly ? n - args : n);
  std::vector<uint64_t> values(n);
  if (n) {
    std::vector<uint64_t> rawSlots(n);
    if (!mem_.read(raw.slots, rawSlots.data(), 8 * n)) return vars;
    for (size_t i = 0; i < n; ++i) values[i] = walker_.slotObject(raw.slots + 8 * i);
  }
  // Before 3.11 an argument captured by a closure moves into its cell (a slot after the locals)
  // and its own slot is emptied: the cell of the same name is that argument, in its place.
  // (Searched, not indexed: a cell argument is rare and the arguments are few.)
  auto argIndex = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < args; ++i) {
      if (code.slotNames[i] == name) return i;
    }
    return std::nullopt;
  };
  std::vector<std::pair<size_t, Variable>> cellArgs;
  for (size_t i = 0; i < n; ++i) {
    uint8_t kind = i < code.slotKinds.size() ? code.slotKinds[i] : kFastLocal;
    if (kind & kFastHidden) continue;
    bool isArg = static_cast<int>(i) < code.argCount;
    size_t argPosition = i;
    if (!isArg && (kind & kFastCell) && !(kind & kFastLocal)) {
      auto a = argIndex(code.slotNames[i]);
      if (a && values[*a] == 0) {
        isArg = true;
        argPosition = *a;
      }
    }
    if (argumentsOnly && !isArg) continue;
    if (localsOnly && isArg) continue;
    uint64_t v = values[i];
    if (v == 0) continue;
    if (kind & (kFastCell | kFastFree)) {
      auto tn = objects_.typeName(v);
      if (tn && *tn == "cell") {
        v = mem_.readPtr(v + 16).value_or(0);
        if (v == 0) continue;
      }
    }
    Variable var;
    var.name = code.slotNames[i];
    var.address = v;
    var.isArgument = isArg;
    auto t = objects_.typeOf(v);
    var.type = t ? (*t)->name : "?";
    // Values are shown only with --locals; the analysis reads a few scalars (a wait's `block`
    // and `timeout`), which are cheap. Rendering every str, tuple and dict was half of a run.
    if (opts_.renderLocals || var.type == "bool" || var.type == "int" || var.type == "NoneType" ||
        var.type == "float") {
      var.repr = objects_.repr(v);
    }
    if (isArg && argPosition != i) {
      cellArgs.emplace_back(argPosition, std::move(var));
      continue;
    }
    vars.push_back(std::move(var));
  }
  // Put each moved argument back among the arguments, in the order of the signature.
  for (auto& [position, var] : cellArgs) {
    auto at = std::find_if(vars.begin(), vars.end(), [&, pos = position](const Variable& other) {
      auto o = argIndex(other.name);
      return !other.isArgument || (o && *o > pos);
    });
    vars.insert(at, std::move(var));
  }
  return vars;
}

// A lock taken with `x.acquire()` leaves nothing on the stack. What a reader of the source would
// conclude is recorded instead: an `x.acquire()` earlier in this function, not followed by an
// `x.release()` before the current line, where `x` (a local or `local.attribute`) is a lock now.
// The hold is marked "acquire() (from the source)" so the report can say it was inferred.
void Reader::inferAcquireHolds(const RawFrame& raw, Frame& f) {
  // The standard library's own acquire() calls are its business (Condition.wait's waiter).
  if (!raw.code || f.location.line <= 0 || !stdlibModuleOf(f.location.file).empty()) return;
  const std::vector<std::string>* lines = sources_.lines(f.location.file);
  if (!lines) return;
  auto resolve = [&](const std::string& expr) -> uint64_t {
    std::string base = expr, attr;
    auto dot = expr.find('.');
    if (dot != std::string::npos) {
      base = expr.substr(0, dot);
      attr = expr.substr(dot + 1);
      if (attr.find('.') != std::string::npos) return 0;
    }
    for (const auto* vars : {&f.arguments, &f.locals}) {
      for (const auto& v : *vars) {
        if (v.name != base) continue;
        if (attr.empty()) return v.address;
        return objects_.attr(v.address, attr).value_or(0);
      }
    }
    // Not a local (free or cell variables are locals too): a global of the frame's module. Not
    // for a module's own body, whose source scan would also see the functions defined in it.
    if (raw.globals && f.location.function != "<module>") {
      if (auto g = objects_.dictGet(raw.globals, base); g && *g) {
        if (attr.empty()) return *g;
        return objects_.attr(*g, attr).value_or(0);
      }
    }
    return 0;
  };
  const std::map<std::string, int> open = openAcquires(*lines, raw.code->firstLineNo, f.location.line);
  for (const auto& [expr, ln] : open) {
    uint64_t obj = resolve(expr);
    if (!obj) continue;
    ObjectKind kind = sync_.classify(obj);
    if (kind != ObjectKind::kLock && kind != ObjectKind::kRLock && kind != ObjectKind::kSemaphore &&
        kind != ObjectKind::kMpLock && kind != ObjectKind::kSemLock && kind != ObjectKind::kManagerLock) {
      continue;
    }
    bool known = std::any_of(f.holds.begin(), f.holds.end(), [&](const HeldObject& h) { return h.object == obj; });
    if (!known) {
      f.holds.push_back(HeldObject{obj, "acquire() (from the source)", ln});
      f.holds.back().doubtful = doubtfulAcquire(*lines, ln, f.location.line);
    }
  }
}

// What a generator-based context manager (`@contextmanager def locked(self): with self._lock:
// yield`) holds while its generator is suspended at the yield: the `with` statements and the
// acquire() calls of the generator's own frame (and of a context manager it is itself inside).
std::vector<HeldObject> Reader::generatorHolds(uint64_t cm, int depth) {
  std::vector<HeldObject> out;
  auto type = objects_.typeOf(cm);
  if (!type) return out;
  std::optional<uint64_t> gen;
  if ((*type)->rawName == "generator") {
    gen = cm;
  } else if ((*type)->name == "_GeneratorContextManager" || (*type)->name == "_AsyncGeneratorContextManager") {
    gen = objects_.attr(cm, "gen");
  }
  if (!gen || !*gen) return out;
  auto raw = walker_.generatorFrame(*gen);
  if (!raw || !raw->code || !raw->line) return out;
  Frame g;
  g.location.file = raw->code->filename;
  g.location.function = raw->code->name;
  g.location.line = *raw->line;
  g.arguments = variables(*raw, false, false);
  g.holds = sync_.heldByWith(*raw);
  for (size_t k = 0, n = g.holds.size(); k < n; ++k) {
    if (sync_.classify(g.holds[k].object) != ObjectKind::kUnknown) continue;
    for (const auto& w : wrappedLocks(objects_, sync_, sources_, g.holds[k].object)) {
      g.holds.push_back(HeldObject{w.lock, g.holds[k].how, 0, true});
    }
    if (depth < 3) {
      for (auto& h : generatorHolds(g.holds[k].object, depth + 1)) g.holds.push_back(h);
    }
  }
  inferAcquireHolds(*raw, g);
  for (auto& h : g.holds) {
    if (sync_.classify(h.object) != ObjectKind::kUnknown) out.push_back(h);
  }
  return out;
}

bool Reader::looksLikeSignalHandler(const RawFrame& frame, const RawFrame& caller) const {
  if (!frame.code || !caller.code || frame.code->slotNames.size() < 2) return false;
  // handler(signum, frame), a method's (self, signum, frame), a lambda's (s, f): told by the
  // values the signal machinery passes, a signal number and the interrupted frame's object.
  size_t first = 0;
  if (frame.code->argCount == 3 && (frame.code->slotNames[0] == "self" || frame.code->slotNames[0] == "cls")) {
    first = 1;
  } else if (frame.code->argCount != 2) {
    return false;
  }
  uint64_t signum = walker_.slotObject(frame.slots + 8 * first);
  uint64_t interrupted = walker_.slotObject(frame.slots + 8 * (first + 1));
  if (!signum || !interrupted || objects_.typeName(signum).value_or("") != "int") return false;
  auto n = objects_.readSmallInt(signum);
  if (!n || *n < 1 || *n > 64) return false;
  // Before 3.11 the frame object is the caller itself; from 3.11 it is a frame object whose
  // f_frame (at 24) is the caller's interpreter frame, and the handler starts a new evaluation.
  if (layout_.traits.frames != FrameModel::kInterpreterFrame) return interrupted == caller.address;
  if (!frame.isEntry || objects_.typeName(interrupted).value_or("") != "frame") return false;
  return mem_.readPtr(interrupted + 24).value_or(0) == caller.address;
}

}  // namespace pyhang::cpython::process_internal
