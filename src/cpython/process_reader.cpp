#include "cpython/process_reader.h"
#include "cpython/wrapper_locks.h"
#include "cpython/pool_work.h"
#include "cpython/signal_reader.h"

#include "common/files.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "cpython/asyncio_reader.h"
#include "cpython/code_reader.h"
#include "cpython/frame_walker.h"
#include "cpython/object_reader.h"
#include "cpython/opcodes.h"
#include "cpython/source_files.h"
#include "cpython/sync_reader.h"

namespace pyhang::cpython {

namespace {

// glibc x86_64: struct pthread.tid, used only to find the kernel tid of threads before 3.11
// that `threading` does not know; the caller validates it against the real thread list.
constexpr uint64_t kGlibcPthreadTidOffset = 0x2d0;

struct ThreadingInfo {
  std::map<uint64_t, uint64_t> threadsByIdent;  // ident -> Thread object
  std::map<uint64_t, uint64_t> tstateLocks;     // Thread._tstate_lock (<= 3.12) -> ident
};

class Reader {
 public:
  Reader(const RemoteMemory& mem, const RuntimeLocation& rt, const ReadOptions& opts, Process& out)
      : mem_(mem), rt_(rt), opts_(opts), out_(out), layout_(rt.layout), o_(layout_.offsets),
        objects_(mem, layout_, opts.limits), codes_(objects_), walker_(objects_, codes_), sync_(objects_, walker_),
        sources_(opts.localPath) {}

  Result<void> run();
  const ObjectReader& objects() const { return objects_; }

 private:
  uint64_t at(uint64_t base, int32_t off) const { return base + static_cast<uint64_t>(off); }
  void readThreading();
  void readThread(uint64_t tstate, uint64_t interp, int interpId, const std::pair<bool, uint64_t>& gil,
                  bool gcCollecting);
  std::vector<Variable> variables(const RawFrame& raw, bool argumentsOnly, bool localsOnly);
  bool looksLikeSignalHandler(const RawFrame& frame, const RawFrame& caller) const;
  void inferAcquireHolds(const RawFrame& raw, Frame& f);
  std::vector<HeldObject> generatorHolds(uint64_t cm, int depth);
  void nameObjects();
  void addObject(uint64_t addr);
  // ThreadPoolExecutor workers running a work item: (the future it completes, the thread's ident).
  std::vector<std::pair<uint64_t, uint64_t>> runningFutures_;

  const RemoteMemory& mem_;
  const RuntimeLocation& rt_;
  const ReadOptions& opts_;
  Process& out_;
  const PythonLayout& layout_;
  const Layout& o_;
  ObjectReader objects_;
  CodeReader codes_;
  FrameWalker walker_;
  SyncReader sync_;
  SourceFiles sources_;
  ThreadingInfo threading_;
  uint64_t mainThreadIdent_ = 0;
  std::set<uint64_t> globalsDicts_;
};

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

void Reader::readThreading() {
  auto active = objects_.moduleGlobal("threading", "_active");
  if (active) {
    auto items = objects_.dictItems(*active, opts_.limits.maxThreads);
    if (items) {
      for (const auto& [k, v] : *items) {
        auto ident = objects_.readSmallInt(k);
        if (!ident) continue;
        threading_.threadsByIdent[static_cast<uint64_t>(*ident)] = v;
        if (auto lock = objects_.attr(v, "_tstate_lock"); lock && *lock) {
          threading_.tstateLocks[*lock] = static_cast<uint64_t>(*ident);
        }
      }
    }
  }
  // Without _PyRuntime.main_thread (3.6, 3.7) the main thread is threading's _main_thread.
  if (mainThreadIdent_ == 0) {
    if (auto main = objects_.moduleGlobal("threading", "_main_thread"); main && *main) {
      if (auto id = objects_.attr(*main, "_ident"); id && *id) {
        if (auto v = objects_.readSmallInt(*id); v && *v > 0) mainThreadIdent_ = static_cast<uint64_t>(*v);
      }
    }
  }
  // Threads that threading tracks but which may already have exited (their names help to
  // explain locks held by the dead): _dangling is a WeakSet, skipped; _limbo holds starting ones.
}

void Reader::addObject(uint64_t addr) {
  if (addr == 0 || out_.objects.count(addr)) return;
  if (out_.objects.size() > 10000) return;
  SyncObject s = sync_.describe(addr);
  if (auto it = threading_.tstateLocks.find(addr); it != threading_.tstateLocks.end()) {
    s.threadIdent = it->second;  // held by its thread until the thread exits
    auto name = threading_.threadsByIdent.find(it->second);
    if (name != threading_.threadsByIdent.end()) {
      if (auto n = objects_.attr(name->second, "_name")) s.threadName = objects_.readStr(*n, 256).value_or("");
    }
  }
  if (s.kind == ObjectKind::kSemLock) {
    // SemLockObject.name (@48, 3.8+): the POSIX name every process opens the semaphore by
    // ("/mp-xxxxxxxx"), NULL when it was unlinked at once (fork). It identifies the semaphore in
    // cores, where the mapping of a spawn parent (glibc's temporary name) and of its children
    // (the final name) differ and no inode is recorded.
    std::string name;
    if (auto namePtr = mem_.readPtr(addr + 48); namePtr && *namePtr) {
      name = mem_.readCString(*namePtr, 64).value_or("");
      bool plausible = name.size() > 1 && name[0] == '/' &&
                       std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127; });
      if (!plausible) name.clear();
    }
    if (!name.empty()) {
      s.sharedKey = "name " + name;
    } else if (opts_.sharedKeyOf) {
      if (auto handle = mem_.readPtr(addr + 16); handle && *handle) s.sharedKey = opts_.sharedKeyOf(*handle);
    }
  }
  uint64_t under = s.underlyingLock;
  out_.objects[addr] = std::move(s);
  if (under) addObject(under);
}

void Reader::readThread(uint64_t tstate, uint64_t interp, int interpId, const std::pair<bool, uint64_t>& gil,
                        bool gcCollecting) {
  Thread t;
  t.interpreterId = interpId;
  t.ident = mem_.readPtr(at(tstate, o_.ts_thread_id)).value_or(0);
  if (o_.ts_native_thread_id >= 0) {
    t.tid = static_cast<int64_t>(mem_.readPtr(at(tstate, o_.ts_native_thread_id)).value_or(0));
  }
  // `threading` was read in the main interpreter: its Thread objects name that interpreter's
  // threads only (a sub-interpreter's thread state may carry the main thread's ident, 3.8-3.12).
  const bool mainInterpreter = interpId <= 0;  // 0; -1 when the id could not be read
  auto threadObj = mainInterpreter ? threading_.threadsByIdent.find(t.ident) : threading_.threadsByIdent.end();
  if (threadObj != threading_.threadsByIdent.end()) {
    if (auto name = objects_.attr(threadObj->second, "_name")) t.name = objects_.readStr(*name, 256).value_or("");
    if (t.tid == 0) {
      if (auto nid = objects_.attr(threadObj->second, "_native_id")) {
        if (auto v = objects_.readSmallInt(*nid)) t.tid = *v;
      }
    }
  }
  if (t.tid == 0 && t.ident != 0) {
    if (auto v = mem_.readValue<int32_t>(t.ident + kGlibcPthreadTidOffset); v && *v > 0) t.tid = *v;
  }
  // Without an ident to compare (3.6/3.7 before `threading` is imported) the main thread is the
  // one whose tid is the process id.
  t.isMain = mainInterpreter && t.ident != 0 &&
             (mainThreadIdent_ != 0 ? t.ident == mainThreadIdent_ : (out_.pid != 0 && t.tid == out_.pid));
  if (t.name.empty() && t.isMain) t.name = "MainThread";
  if (o_.ts_holds_gil >= 0) {
    t.holdsGil = mem_.readValue<int32_t>(at(tstate, o_.ts_holds_gil)).value_or(0) != 0;
  } else if (layout_.traits.holdsGilInStatus && o_.ts_status >= 0) {
    t.holdsGil = (mem_.readValue<uint32_t>(at(tstate, o_.ts_status)).value_or(0) >> 5) & 1;
  } else {
    t.holdsGil = gil.first && gil.second == tstate;
  }
  (void)interp;

  auto top = walker_.topFrame(tstate);
  ThreadFrames walked;
  if (top && *top) walked = walker_.walk(*top);
  // A signal handler runs where the interpreter checks for pending signals: after a call has
  // returned, not during it. Such a frame stands on its finished call (3.14's `with` calls
  // lock.__enter__ with CALL, outside the block's range; the lock is already taken).
  for (size_t i = 0; i + 1 < walked.frames.size(); ++i) {
    if (looksLikeSignalHandler(walked.frames[i], walked.frames[i + 1])) walker_.finishCall(walked.frames[i + 1]);
  }
  if (!top) t.warnings.push_back("cannot read the thread's current frame: " + top.error().describe());
  for (auto& w : walked.warnings) t.warnings.push_back(w);

  // Innermost first while collecting evidence; reversed at the end.
  std::vector<Frame> frames;
  // Frames are large (400 bytes): growing the vector one frame at a time moved and re-faulted
  // them, an eighth of the whole run on 1,000 threads. The two markers may follow.
  frames.reserve(walked.frames.size() + 2);
  bool inInnermostRun = true;
  // Holds of a release path in progress, given to the frame that called it.
  std::vector<HeldObject> releasing;
  uint64_t releasingSelf = 0;
  auto selfOf = [&](const RawFrame& r) -> uint64_t {
    if (!r.code || r.code->argCount < 1 || r.code->slotNames.empty() || r.code->slotNames[0] != "self") return 0;
    return walker_.slotObject(r.slots);
  };
  // release() called from the same object's __exit__ (TracedLock.__exit__ -> release): one path.
  auto sameRelease = [&](const RawFrame& r) {
    return r.code && (r.code->name == "__exit__" || r.code->name == "release") && selfOf(r) == releasingSelf;
  };
  bool parentsFrames = false;  // outer frames of a forked child, above its Popen._launch
  for (size_t i = 0; i < walked.frames.size(); ++i) {
    const RawFrame& raw = walked.frames[i];
    Frame f;
    if (!raw.code) {
      f.location.function = "???";
      f.location.file = "???";
      f.marker = raw.error.empty() ? "unreadable frame" : raw.error;
      frames.push_back(std::move(f));
      continue;
    }
    f.location.file = raw.code->filename;
    f.location.function = raw.code->name;
    f.qualname = raw.code->qualname;
    f.location.line = raw.line.value_or(0);
    f.isEntry = raw.isEntry;
    f.sourceLine = sources_.line(f.location.file, f.location.line);
    f.arguments = variables(raw, true, false);
    f.locals = variables(raw, false, true);
    // A ThreadPoolExecutor worker running a work item completes its future when it returns.
    if (f.location.function == "run" && f.location.file.ends_with("/concurrent/futures/thread.py") &&
        runningFutures_.size() < 4096) {
      for (const auto& v : f.arguments) {
        if (v.name != "self" || !v.address) continue;
        if (auto fut = objects_.attr(v.address, "future"); fut && *fut) runningFutures_.emplace_back(*fut, t.ident);
      }
    }
    if (raw.globals) globalsDicts_.insert(raw.globals);
    f.holds = sync_.heldByWith(raw);
    if (!f.holds.empty()) {
      // The i-th innermost `with` statement around the current line holds the i-th innermost exit.
      std::vector<int> withs = sources_.enclosingWiths(f.location.file, f.location.line);
      for (size_t k = 0; k < f.holds.size() && k < withs.size(); ++k) {
        f.holds[f.holds.size() - 1 - k].line = withs[withs.size() - 1 - k];
      }
    }
    // A program's own context manager around a plain lock holds that lock.
    for (size_t k = 0, n = f.holds.size(); k < n; ++k) {
      if (sync_.classify(f.holds[k].object) != ObjectKind::kUnknown) continue;
      for (const auto& w : wrappedLocks(objects_, sync_, sources_, f.holds[k].object)) {
        f.holds.push_back(HeldObject{w.lock, f.holds[k].how, f.holds[k].line, true});
      }
    }
    // A @contextmanager generator suspended inside its own `with lock:` holds the lock.
    for (size_t k = 0, n = f.holds.size(); k < n; ++k) {
      if (sync_.classify(f.holds[k].object) != ObjectKind::kUnknown) continue;
      for (auto h : generatorHolds(f.holds[k].object, 0)) {
        if (h.how.rfind("acquire()", 0) != 0) h.how = f.holds[k].how;  // an inferred hold stays one
        h.line = f.holds[k].line;
        f.holds.push_back(h);
      }
    }
    // A generator in a local of this frame, suspended inside `with lock:`, holds the lock for the
    // thread that alone can resume it (rows = table.rows(); next(rows); then table.insert()).
    for (const auto* vars : {&f.arguments, &f.locals}) {
      for (const auto& v : *vars) {
        if (v.type != "generator" || !v.address) continue;
        for (auto h : generatorHolds(v.address, 1)) {
          if (h.how.rfind("acquire()", 0) != 0) h.how = "generator " + v.name;
          h.line = f.location.line;
          f.holds.push_back(h);
        }
      }
    }
    // Called from a lock's release path that has not released it yet (the collector or a signal
    // handler ran Python code inside Condition.__exit__ or a wrapper's release()): the caller's
    // `with` still holds the lock.
    if (!releasing.empty() && !sameRelease(raw)) {
      for (auto& h : releasing) {
        h.line = f.location.line;
        f.holds.push_back(h);
      }
      releasing.clear();
    }
    if (i > 0 && (f.location.function == "__exit__" || f.location.function == "release") && releasing.empty()) {
      releasingSelf = selfOf(raw);
      if (sync_.classify(releasingSelf) == ObjectKind::kCondition) {
        releasing.push_back(HeldObject{releasingSelf, "with", 0});
      } else {
        for (const auto& w : wrappedLocks(objects_, sync_, sources_, releasingSelf)) {
          if (releaseAhead(sources_, f.location.file, raw.code->firstLineNo, f.location.line, w.path)) {
            releasing.push_back(HeldObject{w.lock, "with", 0, true});
          }
        }
      }
    }
    // Only synchronisation objects matter here (not files, sockets or selectors in a `with`).
    f.holds.erase(std::remove_if(f.holds.begin(), f.holds.end(),
                                 [&](const HeldObject& h) { return sync_.classify(h.object) == ObjectKind::kUnknown; }),
                  f.holds.end());
    inferAcquireHolds(raw, f);
    // In a process multiprocessing forked, the frames around Popen._launch are the parent's at
    // the time of the fork: they never run again (the child leaves through os._exit), and what
    // they hold is the parent's (a shared SemLock) or held for good (a copied threading lock).
    if (parentsFrames) f.holds.clear();
    if (f.location.function == "_launch" && f.location.file.ends_with("multiprocessing/popen_fork.py")) {
      parentsFrames = true;
    }
    for (const auto& h : f.holds) addObject(h.object);
    // Wait evidence: the innermost frame's blocked acquire, and the meaning of each stdlib frame
    // of the innermost run (Condition.wait, Queue.get, Thread.join...). The analysis decides.
    if (inInnermostRun) {
      std::vector<Variable> all = f.arguments;
      all.insert(all.end(), f.locals.begin(), f.locals.end());
      std::optional<WaitInfo> w = sync_.stdlibWait(raw, all, i == 0, i > 0 ? &walked.frames[i - 1] : nullptr);
      if (!w && i == 0) w = sync_.blockedAcquire(raw);
      if (!w && i == 0) w = sync_.blockedSimpleQueueGet(raw);
      if (w) {
        f.waitsOn = w;
        addObject(w->object);
        // Blocked inside a library method (Condition.__enter__): its `self` is what the program
        // used to get the lock, so name it too ("lock of book.changed").
        if (!stdlibModuleOf(f.location.file).empty()) {
          for (const auto& v : all) {
            if (v.name == "self" && sync_.classify(v.address) != ObjectKind::kUnknown) addObject(v.address);
          }
        }
      }
      if (stdlibModuleOf(f.location.file).empty()) inInnermostRun = false;
    }
    frames.push_back(std::move(f));
  }
  // Where a signal handler interrupted Python code, say so: the handler has the (signum, frame)
  // signature and was not called by its caller's current instruction (3.11+: it starts a new
  // C-level evaluation, an entry frame).
  for (size_t i = walked.frames.size(); i-- > 0;) {
    if (i + 1 >= walked.frames.size() || i >= frames.size()) continue;
    if (looksLikeSignalHandler(walked.frames[i], walked.frames[i + 1])) {
      Frame marker;
      marker.kind = Frame::Kind::kMarker;
      marker.marker = "signal handler";
      frames.insert(frames.begin() + static_cast<long>(i) + 1, std::move(marker));
    }
  }
  // Between a frame and the __del__ the collector called from inside it, mark the collection.
  if (gcCollecting) {
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
      if (frames[i].kind == Frame::Kind::kPython && frames[i].location.function == "__del__") {
        Frame marker;
        marker.kind = Frame::Kind::kMarker;
        marker.marker = "garbage collection";
        frames.insert(frames.begin() + static_cast<long>(i) + 1, std::move(marker));
        t.gcCollecting = true;
        break;
      }
    }
  }
  std::reverse(frames.begin(), frames.end());
  t.frames = std::move(frames);
  out_.threads.push_back(std::move(t));
}

// Builtin values that most locals are: never a lock, a thread, or an object whose attributes are
// locks (a dict or tuple's items are not attributes). Skipped before reading their type.
bool isPlainValueType(const std::string& type) {
  // Compared in turn (most differ in length at once): hashing the name for a set cost more.
  static constexpr std::string_view kPlain[] = {"int", "str", "bool", "NoneType", "float", "tuple",
                                                "list", "dict", "bytes", "set", "function", "method",
                                                "builtin_function_or_method", "module", "type", "cell"};
  for (std::string_view p : kPlain) {
    if (type == p) return true;
  }
  return false;
}

void Reader::nameObjects() {
  std::set<uint64_t> liveIdents;
  for (const auto& t : out_.threads) liveIdents.insert(t.ident);
  std::set<uint64_t> checkedThreads;
  std::set<uint64_t> checkedProcesses;
  auto noteProcess = [&](uint64_t v) {
    if (checkedProcesses.size() > 1024 || !checkedProcesses.insert(v).second) return;
    if (!objects_.isInstance(v, "multiprocessing.process", "BaseProcess")) return;
    Process::Child c;
    if (auto n = objects_.attr(v, "_name")) c.name = objects_.readStr(*n, 256).value_or("");
    if (auto popen = objects_.attr(v, "_popen"); popen && *popen) {
      if (auto pid = objects_.attr(*popen, "pid")) c.pid = objects_.readSmallInt(*pid).value_or(0);
      if (auto rc = objects_.attr(*popen, "returncode"); rc && objects_.typeName(*rc).value_or("") == "int") {
        if (auto v2 = objects_.readSmallInt(*rc)) c.returncode = static_cast<int>(*v2);
      }
    }
    if (c.pid) out_.children.push_back(c);
  };
  // A multiprocessing Pool's workers (Pool._pool, a list) and a ProcessPoolExecutor's
  // (_processes, pid -> Process): children the program knows even when only its own core is read.
  auto notePool = [&](uint64_t v) {
    if (objects_.isInstance(v, "multiprocessing.pool", "Pool")) {
      if (auto workers = objects_.attr(v, "_pool"); workers && *workers) {
        for (uint64_t w : objects_.listItems(*workers, 256).value_or(std::vector<uint64_t>{})) noteProcess(w);
      }
    } else if (objects_.isInstance(v, "concurrent.futures.process", "ProcessPoolExecutor")) {
      if (auto procs = objects_.attr(v, "_processes"); procs && *procs && objects_.typeName(*procs).value_or("") == "dict") {
        for (const auto& [k, w] : objects_.dictItems(*procs, 256).value_or(std::vector<std::pair<uint64_t, uint64_t>>{})) {
          noteProcess(w);
        }
      }
    }
  };
  auto noteThread = [&](uint64_t v) {
    noteProcess(v);
    notePool(v);
    if (checkedThreads.size() > 4096 || !checkedThreads.insert(v).second) return;
    if (!objects_.isInstance(v, "threading", "Thread")) return;
    auto identObj = objects_.attr(v, "_ident");
    if (!identObj) return;
    auto ident = objects_.readSmallInt(*identObj);
    if (!ident || *ident == 0) return;
    // A live thread with this ident is this Thread only when threading lists it under the ident:
    // glibc reuses an exited thread's stack, and with it its ident, for the next thread started.
    if (liveIdents.count(static_cast<uint64_t>(*ident))) {
      auto active = threading_.threadsByIdent.find(static_cast<uint64_t>(*ident));
      if (active == threading_.threadsByIdent.end() || active->second == v) return;
    }
    std::string name;
    if (auto n = objects_.attr(v, "_name")) name = objects_.readStr(*n, 256).value_or("");
    out_.exitedThreads[static_cast<uint64_t>(*ident)] = name;
  };
  // Every process this one started and has not reaped: multiprocessing.process._children, the
  // set BaseProcess.start() adds to (Pool and ProcessPoolExecutor workers included, wherever the
  // program keeps them). In a core it is the only record of them.
  if (auto kids = objects_.moduleGlobal("multiprocessing.process", "_children"); kids && *kids) {
    for (uint64_t c : objects_.setItems(*kids, 256).value_or(std::vector<uint64_t>{})) noteProcess(c);
  }
  // multiprocessing wrappers around a SemLock seen in the program: name them too ("lock").
  {
    std::vector<uint64_t> candidates;
    std::set<uint64_t> dicts0 = globalsDicts_;
    if (auto mainDict = objects_.moduleDict("__main__")) dicts0.insert(*mainDict);
    for (uint64_t d : dicts0) {
      if (auto items = objects_.dictItems(d, 4096)) {
        for (const auto& [k, v] : *items) candidates.push_back(v);
      }
    }
    for (const auto& t : out_.threads) {
      for (const auto& f : t.frames) {
        for (const auto* vars : {&f.arguments, &f.locals}) {
          for (const auto& v : *vars) {
            if (!isPlainValueType(v.type)) candidates.push_back(v.address);
          }
        }
      }
    }
    std::unordered_set<uint64_t> seen;
    for (uint64_t v : candidates) {
      if (!seen.insert(v).second || out_.objects.count(v)) continue;
      auto t = objects_.typeOf(v);
      if (!t || (*t)->module == "builtins") continue;
      // Every multiprocessing lock the program holds a name for: the same semaphore may be the
      // one another process waits for or holds (bounded: a program has few of them).
      if (out_.objects.size() < 2000) {
        ObjectKind k = sync_.classify(v);
        if (k == ObjectKind::kMpLock || k == ObjectKind::kManagerLock) addObject(v);
      }
    }
  }
  std::unordered_map<uint64_t, std::vector<std::string>> globalNames, globalAttrNames, localNames, attrNames;
  auto note = [&](std::unordered_map<uint64_t, std::vector<std::string>>& into, uint64_t addr, const std::string& name) {
    auto& v = into[addr];
    if (std::find(v.begin(), v.end(), name) == v.end() && v.size() < 8) v.push_back(name);
  };
  auto isSync = [&](uint64_t a) { return out_.objects.count(a) > 0; };
  auto attributePaths = [&](std::unordered_map<uint64_t, std::vector<std::string>>& into, const std::string& base,
                            uint64_t obj) {
    auto t = objects_.typeOf(obj);
    if (!t || (*t)->module == "builtins" || (*t)->module.empty()) return;
    for (const auto& [name, value] : objects_.attrs(obj, 64)) {
      if (isSync(value)) note(into, value, base + "." + name);
    }
  };
  // Module globals of __main__ and of every module a frame runs in.
  std::set<uint64_t> dicts = globalsDicts_;
  if (auto mainDict = objects_.moduleDict("__main__")) dicts.insert(*mainDict);
  for (uint64_t d : dicts) {
    auto items = objects_.dictItems(d, 4096);
    if (!items) continue;
    for (const auto& [k, v] : *items) {
      auto key = objects_.readStr(k, 128);
      if (!key || key->rfind("__", 0) == 0) continue;
      if (isSync(v)) note(globalNames, v, *key);
      attributePaths(globalAttrNames, *key, v);
      noteThread(v);
    }
  }
  for (auto& t : out_.threads) {
    for (auto& f : t.frames) {
      std::unordered_map<uint64_t, std::vector<std::string>> own;
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) {
          if (isPlainValueType(v.type)) continue;  // not a lock, thread or object with lock attributes
          if (isSync(v.address) && v.name != "self") {
            note(localNames, v.address, v.name);
            note(own, v.address, v.name);
          }
          attributePaths(attrNames, v.name, v.address);
          attributePaths(own, v.name, v.address);
          noteThread(v.address);
        }
      }
      for (const auto& [addr, names] : own) {
        for (const auto& n : names) f.objectNames.emplace_back(addr, n);
      }
    }
  }
  // A lock guarding a Condition/Queue is also known by its owner's name: "jobs.mutex".
  for (auto& [addr, obj] : out_.objects) {
    std::vector<std::string> names;
    size_t globalCount = 0;
    for (auto* src : {&globalNames, &globalAttrNames, &localNames, &attrNames}) {
      auto it = src->find(addr);
      if (it != src->end()) {
        for (const auto& n : it->second) {
          if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        }
      }
      if (src == &globalAttrNames) globalCount = names.size();
    }
    // Among the other names, the caller's ("auth_tokens._lock", a local of an outer frame)
    // tells more than the method's own "self._lock": those first.
    std::stable_partition(names.begin() + static_cast<std::ptrdiff_t>(globalCount), names.end(),
                          [](const std::string& n) { return n.rfind("self.", 0) != 0; });
    obj.names = std::move(names);
    obj.globalNameCount = globalCount;
  }
  // A Condition's (Event's, Queue's ...) lock that has no module-level name of its own is also
  // known through its owner: "inventory.changed._lock".
  for (auto& [addr, obj] : out_.objects) {
    if (!obj.underlyingLock || obj.kind == ObjectKind::kMpLock) continue;
    auto it = out_.objects.find(obj.underlyingLock);
    if (it == out_.objects.end() || it->second.globalNameCount > 0) continue;
    const char* path = obj.kind == ObjectKind::kCondition ? "._lock"
                       : obj.kind == ObjectKind::kQueue   ? ".mutex"
                       : obj.kind == ObjectKind::kFuture  ? "._condition._lock"
                                                          : "._cond._lock";
    for (const auto& n : obj.names) {
      std::string derived = n + path;
      auto& names = it->second.names;
      if (names.size() < 12 && std::find(names.begin(), names.end(), derived) == names.end()) names.push_back(derived);
    }
  }
}

Result<void> Reader::run() {
  out_.python.major = layout_.version.major;
  out_.python.minor = layout_.version.minor;
  out_.python.micro = layout_.version.micro;
  out_.python.versionString = layout_.version.micro || layout_.version.minor >= 11
                                  ? layout_.version.str()
                                  : fmt::format("{}.{}", layout_.version.major, layout_.version.minor);
  out_.python.library = rt_.file;
  out_.python.usedDebugOffsets = rt_.usedDebugOffsets;
  out_.python.staticBuild = rt_.staticBuild;
  for (const auto& w : rt_.warnings) out_.warnings.push_back(w);

  const uint64_t runtime = rt_.runtimeAddress;
  PYHANG_TRY(head, mem_.readPtr(at(runtime, o_.rt_interp_head)));
  if (head == 0) {
    out_.warnings.push_back("the interpreter is not initialised (starting up or already finalized)");
    return {};
  }
  if (o_.rt_main_thread >= 0) mainThreadIdent_ = mem_.readPtr(at(runtime, o_.rt_main_thread)).value_or(0);
  if (o_.rt_finalizing >= 0 && mem_.readPtr(at(runtime, o_.rt_finalizing)).value_or(0) != 0) {
    out_.warnings.push_back("the interpreter is shutting down (finalizing)");
  }
  std::unordered_set<uint64_t> seenInterps;
  uint64_t interp = head;
  bool first = true;
  while (interp && seenInterps.size() < opts_.limits.maxInterpreters && seenInterps.insert(interp).second) {
    // 3.6 has no interpreter ids: they are numbered in list order (the main one is the first).
    int64_t id = o_.is_id >= 0 ? mem_.readValue<int64_t>(at(interp, o_.is_id)).value_or(-1)
                               : static_cast<int64_t>(seenInterps.size()) - 1;
    if (first || id == 0) {
      if (auto modules = mem_.readPtr(at(interp, o_.is_modules)); modules && *modules) {
        objects_.setModulesDict(*modules);
        readThreading();
        if (auto current = objects_.moduleGlobal("multiprocessing.process", "_current_process")) {
          if (auto n = objects_.attr(*current, "_name")) out_.name = objects_.readStr(*n, 256).value_or("");
        }
        if (auto argv = objects_.moduleGlobal("sys", "argv")) {
          if (auto items = objects_.listItems(*argv, 256)) {
            for (uint64_t a : *items) out_.argv.push_back(objects_.readStr(a, 4096).value_or("?"));
          }
        }
      }
    }
    first = false;
    std::pair<bool, uint64_t> gil{false, 0};
    uint64_t gilAddr = 0;
    if (o_.rt_gil >= 0) gilAddr = at(runtime, o_.rt_gil);
    else if (o_.is_ceval_gil >= 0) gilAddr = mem_.readPtr(at(interp, o_.is_ceval_gil)).value_or(0);
    if (gilAddr) {
      gil.first = mem_.readValue<int32_t>(gilAddr + 16).value_or(0) != 0;
      gil.second = mem_.readPtr(gilAddr + 8).value_or(0);
    } else if (o_.rt_gilstate_current >= 0) {
      // 3.6 keeps the GIL in unexported globals; the thread state swapped in is the one that
      // holds it (PyEval_SaveThread swaps it out before it drops the GIL).
      gil.second = mem_.readPtr(at(runtime, o_.rt_gilstate_current)).value_or(0);
      gil.first = gil.second != 0;
    }
    bool collecting = false;
    if (o_.rt_gc_collecting >= 0) collecting = mem_.readValue<int32_t>(at(runtime, o_.rt_gc_collecting)).value_or(0) == 1;
    else if (o_.is_gc_collecting >= 0) collecting = mem_.readValue<int32_t>(at(interp, o_.is_gc_collecting)).value_or(0) == 1;
    if (collecting) out_.gcCollecting = true;

    std::unordered_set<uint64_t> seenThreads;
    auto ts = mem_.readPtr(at(interp, o_.is_threads_head));
    uint64_t tstate = ts.value_or(0);
    size_t before = out_.threads.size();
    while (tstate && seenThreads.size() < opts_.limits.maxThreads && seenThreads.insert(tstate).second) {
      readThread(tstate, interp, static_cast<int>(id), gil, collecting);
      tstate = mem_.readPtr(at(tstate, o_.ts_next)).value_or(0);
    }
    if (seenThreads.size() >= opts_.limits.maxThreads) {
      out_.warnings.push_back(fmt::format("more than {} threads: the rest are not shown", opts_.limits.maxThreads));
    }
    // The collector runs on the thread that holds the GIL when no __del__ frame shows it.
    if (collecting) {
      bool marked = false;
      for (size_t i = before; i < out_.threads.size(); ++i) marked |= out_.threads[i].gcCollecting;
      if (!marked) {
        for (size_t i = before; i < out_.threads.size(); ++i) {
          if (out_.threads[i].holdsGil) out_.threads[i].gcCollecting = true;
        }
      }
    }
    interp = mem_.readPtr(at(interp, o_.is_next)).value_or(0);
  }
  nameObjects();
  // Thread objects waited on by join(): record which thread they stand for.
  for (auto& [addr, obj] : out_.objects) {
    if (obj.kind == ObjectKind::kThread && obj.threadIdent) {
      bool alive = false;
      for (const auto& t : out_.threads) alive |= t.ident == *obj.threadIdent;
      obj.threadAlive = alive;
    }
  }
  for (const auto& [ident, threadObj] : threading_.threadsByIdent) {
    if (auto name = objects_.attr(threadObj, "_name")) {
      out_.knownThreadNames[ident] = objects_.readStr(*name, 256).value_or("");
    }
  }
  // A future some thread waits for, computed by an executor worker: the worker is what it waits for.
  for (const auto& [future, ident] : runningFutures_) {
    auto it = out_.objects.find(future);
    if (it == out_.objects.end() || it->second.kind != ObjectKind::kFuture) continue;
    it->second.threadIdent = ident;
    for (const auto& th : out_.threads) {
      if (th.ident == ident) it->second.threadName = th.name;
    }
  }
  linkProcessPoolWork(objects_, out_);
  linkThreadPoolWork(objects_, out_);
  readAsyncio(AsyncioInputs{mem_, rt_, objects_, codes_, walker_, sync_, opts_, sources_}, out_);  // asyncio tasks
  return {};
}

}  // namespace

namespace {
// multiprocessing's helper processes call themselves MainProcess: name them after what they run.
void nameServiceProcess(Process& p) {
  if (!p.name.empty() && p.name != "MainProcess") return;
  for (const auto& t : p.threads) {
    if (!t.isMain) continue;
    for (const auto& f : t.frames) {
      const std::string& file = f.location.file;
      if (f.location.function != "main" || file.find("/multiprocessing/") == std::string::npos) continue;
      if (file.ends_with("/resource_tracker.py") || file.ends_with("/semaphore_tracker.py")) {
        p.name = "resource tracker";
      } else if (file.ends_with("/forkserver.py")) {
        p.name = "forkserver";
      }
    }
    // A child that the forkserver forked runs inside the forkserver's main() too: its own work
    // starts at BaseProcess._bootstrap.
    for (const auto& f : t.frames) {
      if (f.location.function == "_bootstrap" && f.location.file.ends_with("/multiprocessing/process.py") &&
          p.name == "forkserver") {
        p.name.clear();
      }
    }
  }
}
}  // namespace

Result<void> readPythonProcess(const RemoteMemory& mem, const RuntimeLocation& runtime, const ReadOptions& options,
                               Process& out) {
  Reader reader(mem, runtime, options, out);
  auto r = reader.run();
  if (r) out.signalHandlers = readSignalHandlers(reader.objects(), runtime);
  nameServiceProcess(out);
  return r;
}

}  // namespace pyhang::cpython
