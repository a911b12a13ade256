// The process reader's threads: threading's registry of Thread objects, and one thread state
// read into a Thread (ids, name, GIL, frames with their waits and holds).
#include "cpython/process_reader_internal.h"

#include <algorithm>
#include <optional>

#include "cpython/wrapper_locks.h"

namespace pyhang::cpython::process_internal {

// glibc x86_64: struct pthread.tid, used only to find the kernel tid of threads before 3.11
// that `threading` does not know; the caller validates it against the real thread list.
constexpr uint64_t kGlibcPthreadTidOffset = 0x2d0;

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
    // An ExitStack (`with ExitStack() as stack: stack.enter_context(lock)`) holds the managers it
    // entered: their __exit__ waits in its _exit_callbacks (3.7+: (is_sync, bound __exit__)
    // pairs; 3.6: wrapper functions whose __self__ is the manager).
    for (size_t k = 0, n = f.holds.size(); k < n; ++k) {
      const uint64_t stack = f.holds[k].object;
      const bool exitStack = objects_.isInstance(stack, "contextlib", "_BaseExitStack") ||
                             objects_.isInstance(stack, "contextlib", "ExitStack");
      if (sync_.classify(stack) != ObjectKind::kUnknown || !exitStack) continue;
      auto callbacks = objects_.attr(stack, "_exit_callbacks");
      auto items = callbacks ? objects_.dequeItems(*callbacks, 64) : Result<std::vector<uint64_t>>(std::vector<uint64_t>{});
      if (!items) continue;
      for (uint64_t item : *items) {
        uint64_t callback = item;
        if (auto pair = objects_.tupleItems(item, 2); pair && pair->size() == 2) callback = (*pair)[1];
        uint64_t manager = objects_.attr(callback, "__self__").value_or(0);
        const std::string type = manager ? "" : objects_.typeName(callback).value_or("");
        if (type == "method" || type == "builtin_function_or_method") {
          // PyMethodObject.im_self, PyCFunctionObject.m_self (3.14+ keeps cm.__exit__ itself)
          manager = objects_.memory().readPtr(callback + 24).value_or(0);
        }
        const ObjectKind kind = manager ? sync_.classify(manager) : ObjectKind::kUnknown;
        if (kind == ObjectKind::kUnknown || kind == ObjectKind::kEvent || kind == ObjectKind::kQueue) continue;
        f.holds.push_back(HeldObject{manager, f.holds[k].how, f.holds[k].line});
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

}  // namespace pyhang::cpython::process_internal
