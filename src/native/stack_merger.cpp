#include "native/stack_merger.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>

#include "memory/core_file.h"

namespace pyhang::native {

namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The interpreter's call machinery between two evaluations, and its start-up chain.
const char* const kEvaluationPrefixes[] = {
    "_PyEval_", "PyEval_", "_PyFunction_", "function_code_fastpath", "function_code_fastcall", "_PyObject_Call", "PyObject_Call",
    "_PyObject_FastCall", "PyObject_FastCall", "_PyObject_MakeTpCall", "_PyObject_Vectorcall",
    "PyObject_Vectorcall", "_PyVectorcall", "PyVectorcall", "_PyCFunction", "PyCFunction_Call", "cfunction_",
    "_PyMethodDef_", "method_vectorcall", "vectorcall_", "object_vacall", "call_function", "do_call_core",
    "slot_tp_", "wrapper_call", "wrapperdescr_call", "methoddescr_call", "classmethoddescr_call", "type_call",
    "method_call", "gen_send_ex", "gen_iternext", "_PyGen_Send", "PyIter_Send",
    // start-up: main() -> Py_BytesMain -> ... -> PyEval_EvalCode
    "Py_BytesMain", "Py_Main", "Py_RunMain", "pymain_", "_PyRun_", "PyRun_", "pyrun_", "run_mod",
    "run_eval_code_obj",
};

const std::set<std::string>& gcFunctions() {
  static const std::set<std::string> names = {
      "collect", "collect_with_callback", "collect_generations", "gc_collect_main", "gc_collect_with_callback",
      "gc_collect_generations", "gc_collect_full", "gc_collect_young", "gc_collect_increment", "gc_collect_region",
      "_PyGC_Collect", "_PyGC_CollectNoFail", "_PyGC_CollectIfEnabled", "PyGC_Collect", "gc_collect",
      "gc_collect_impl", "_Py_RunGC"};
  return names;
}

bool inRuntime(const Frame& f, const std::string& runtimeLibrary) {
  return runtimeLibrary.empty() || f.library == runtimeLibrary;
}

}  // namespace

const char* nativeModeName(NativeMode mode) {
  switch (mode) {
    case NativeMode::kOff: return "off";
    case NativeMode::kNative: return "native";
    case NativeMode::kAll: return "all";
    case NativeMode::kLast: return "last";
  }
  return "off";
}

std::string baseFunctionName(const std::string& name) {
  if (name.find('(') != std::string::npos || name.find("::") != std::string::npos) return name;
  auto dot = name.find('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

bool isEvalFrame(const Frame& f) {
  return f.kind == Frame::Kind::kNative && !f.inlined && startsWith(f.location.function, "_PyEval_EvalFrameDefault");
}

bool isEvaluationFrame(const Frame& f, const std::string& runtimeLibrary) {
  if (f.kind != Frame::Kind::kNative) return false;
  if (isEvalFrame(f)) return true;
  if (!inRuntime(f, runtimeLibrary)) return false;
  std::string name = baseFunctionName(f.location.function);
  for (const char* p : kEvaluationPrefixes) {
    if (startsWith(name, p)) return true;
  }
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("vectorcall") != std::string::npos;
}

bool waitsForGil(const std::vector<Frame>& innermostFirst, const std::string& runtimeLibrary) {
  static const std::set<std::string> gil = {"take_gil", "PyEval_RestoreThread", "PyEval_AcquireThread",
                                            "_PyThreadState_Attach", "PyEval_AcquireLock", "_PyEval_AcquireLock"};
  static const std::set<std::string> lock = {
      "PyThread_acquire_lock_timed", "PyThread_acquire_lock", "PyThread_acquire_lock_timed_with_retries",
      "_PyMutex_LockTimed", "_PyMutex_LockSlow", "_PyParkingLot_Park", "_PySemaphore_Wait",
      "_PySemaphore_PlatformWait", "acquire_timed", "lock_PyThread_acquire_lock", "rlock_acquire"};
  constexpr int kRuntimeFramesLooked = 4;
  int seen = 0;
  for (const auto& f : innermostFirst) {
    if (f.kind != Frame::Kind::kNative || f.inlined || !inRuntime(f, runtimeLibrary)) continue;
    std::string name = baseFunctionName(f.location.function);
    if (gil.count(name)) return true;
    if (lock.count(name) || ++seen >= kRuntimeFramesLooked) return false;
  }
  return false;
}

// --- capture -----------------------------------------------------------------------------

namespace {

template <class Open>
NativeCapture unwind(Open open) {
  NativeCapture c;
  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<NativeUnwinder>> u = open();
  if (!u) {
    c.error = u.error().message;
    return c;
  }
  c.unwinder = std::move(*u);
  c.stacks = c.unwinder->unwindAll();
  c.unwindMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return c;
}

}  // namespace

NativeCapture captureLive(pid_t pid) {
  return unwind([&] { return NativeUnwinder::forLive(pid); });
}

NativeCapture captureCore(const std::string& corePath, const CoreFile& core, const std::string& executable) {
  return unwind([&] { return NativeUnwinder::forCore(corePath, core, executable); });
}

// --- attach ------------------------------------------------------------------------------

namespace {

void applyMarkers(Thread& t, Process& p, const std::string& runtimeLibrary) {
  bool take = waitsForGil(t.nativeFrames, runtimeLibrary), drop = false, gc = false;
  for (const auto& f : t.nativeFrames) {
    if (!inRuntime(f, runtimeLibrary)) continue;
    std::string name = baseFunctionName(f.location.function);
    take |= name == "take_gil";
    drop |= name == "drop_gil";
    gc |= gcFunctions().count(name) > 0;
  }
  if (take) {
    t.waitingForGil = true;
    t.holdsGil = false;   // a thread in take_gil does not hold it (yet)
  } else if (drop) {
    t.droppingGil = true;
  }
  if (gc) {
    t.gcCollecting = true;
    p.gcCollecting = true;
  }
}

std::string describeFailure(const RawNativeStack& s) {
  if (!s.error.empty()) return s.error;
  return "no frames";
}

}  // namespace

namespace {

// The native stack of one thread: every frame named from the symbol tables, and the frames the
// report will show (a dry run of the merge) with their inlined frames, files and lines from the
// debug info. DWARF is costly (a compressed .debug_info is inflated whole): CPython's evaluation
// frames, hidden by --native, never need it. When the merge will fail, the thread gets its one
// warning here and no native frames.
// Returns false when the merge will fail (`t.nativeFrames` then only serves the markers).
bool nativeStackFor(NativeUnwinder& unwinder, const RawNativeStack& raw, Thread& t, NativeMode mode, int minor,
                    const std::string& runtimeLibrary) {
  std::vector<Frame> names;
  names.reserve(raw.frames.size());
  for (const auto& f : raw.frames) {
    if (names.size() >= kMaxNativeFrames) break;
    names.push_back(unwinder.symbolize(f, false).back());
  }
  std::string stopped;
  if (!raw.error.empty()) stopped = fmt::format("unwinding stopped after {} frames: {}", raw.frames.size(), raw.error);
  if (raw.truncated) stopped = fmt::format("more than {} native frames: the outermost are not shown", kMaxNativeFrames);
  MergedStack dry = mergeThread(t.frames, names, mode, minor, runtimeLibrary, raw.truncated);
  t.nativeTruncated = raw.truncated;
  if (!dry.merged) {
    std::string w = dry.warning.empty() ? "native stack not merged" : dry.warning;
    if (!stopped.empty()) w += " (" + stopped + ")";
    t.warnings.push_back(w);
    t.nativeFrames = std::move(names);
    return false;
  }
  if (!stopped.empty()) t.warnings.push_back("native stack incomplete: " + stopped);
  std::vector<Frame> out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i < dry.nativeShown.size() && dry.nativeShown[i]) {
      for (auto& f : unwinder.symbolize(raw.frames[i], true)) out.push_back(std::move(f));
    } else {
      out.push_back(std::move(names[i]));
    }
  }
  t.nativeFrames = std::move(out);
  return true;
}

}  // namespace

void attachNativeStacks(NativeCapture& capture, Process& p, NativeMode mode,
                        const std::map<int64_t, OsThreadInfo>& osThreads) {
  if (!capture.unwinder) {
    p.warnings.push_back("native stacks are not available: " + (capture.error.empty() ? "not unwound" : capture.error));
    return;
  }
  for (const auto& w : capture.unwinder->warnings()) p.warnings.push_back(w);
  const std::string runtimeLibrary = baseName(p.python.library);
  std::map<int64_t, const RawNativeStack*> byTid;
  for (const auto& s : capture.stacks) byTid.emplace(s.tid, &s);
  std::map<int64_t, int> pythonThreadsPerTid;
  for (const auto& t : p.threads) {
    if (t.tid) ++pythonThreadsPerTid[t.tid];
  }
  std::set<int64_t> used;
  for (auto& t : p.threads) {
    if (t.tid == 0) {
      t.warnings.push_back("no native stack: the thread's kernel id is unknown");
      continue;
    }
    auto it = byTid.find(t.tid);
    if (it == byTid.end()) {
      t.warnings.push_back(fmt::format("no native stack: thread {} was not found among the process's threads", t.tid));
      continue;
    }
    used.insert(t.tid);
    if (pythonThreadsPerTid[t.tid] > 1) {
      t.warnings.push_back("native stack not merged: this OS thread runs code of several interpreters");
      continue;
    }
    const RawNativeStack& raw = *it->second;
    if (raw.frames.empty()) {
      t.warnings.push_back("no native stack: " + describeFailure(raw));
      continue;
    }
    bool merges = nativeStackFor(*capture.unwinder, raw, t, mode, p.python.minor, runtimeLibrary);
    applyMarkers(t, p, runtimeLibrary);
    if (!merges) t.nativeFrames.clear();   // the thread keeps its Python stack (and the warning)
  }
  // The OS threads with no thread state: C threads (or threads that never ran Python code).
  std::vector<const RawNativeStack*> rest;
  for (const auto& s : capture.stacks) {
    if (!used.count(s.tid)) rest.push_back(&s);
  }
  std::sort(rest.begin(), rest.end(), [](const RawNativeStack* a, const RawNativeStack* b) { return a->tid < b->tid; });
  for (const RawNativeStack* s : rest) {
    Thread th;
    th.tid = s->tid;
    th.nativeOnly = true;
    th.isMain = s->tid == p.pid;
    if (auto os = osThreads.find(s->tid); os != osThreads.end()) {
      th.name = os->second.name;
      th.kernelState = os->second.state;
      th.wchan = os->second.wchan;
    }
    if (s->frames.empty()) {
      th.warnings.push_back("no native stack: " + describeFailure(*s));
    } else {
      bool merges = nativeStackFor(*capture.unwinder, *s, th, mode, p.python.minor, runtimeLibrary);
      applyMarkers(th, p, runtimeLibrary);
      if (!merges) th.nativeFrames.clear();
    }
    p.nativeOnlyThreads.push_back(std::move(th));
  }
}

// --- merge -------------------------------------------------------------------------------

MergedStack mergeThread(const std::vector<Frame>& python, const std::vector<Frame>& nativeInnerFirst, NativeMode mode,
                        int pythonMinor, const std::string& runtimeLibrary, bool truncated) {
  MergedStack out;
  auto keepPython = [&](std::string warning) {
    out.merged = false;
    out.frames = python;
    out.newIndex.resize(python.size());
    for (size_t i = 0; i < python.size(); ++i) out.newIndex[i] = i;
    out.warning = std::move(warning);
    return out;
  };
  if (mode == NativeMode::kOff || nativeInnerFirst.empty()) return keepPython("");
  std::vector<const Frame*> native;
  native.reserve(nativeInnerFirst.size());
  for (auto it = nativeInnerFirst.rbegin(); it != nativeInnerFirst.rend(); ++it) native.push_back(&*it);

  // Python frames in groups, one per eval-loop invocation; a marker (garbage collection,
  // signal handler) stays with the frames before it, so it comes before the native frames of
  // the machinery it stands for.
  std::vector<size_t> leading;                 // markers before any Python frame
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < python.size(); ++i) {
    const Frame& f = python[i];
    if (f.kind != Frame::Kind::kPython) {
      (groups.empty() ? leading : groups.back()).push_back(i);
      continue;
    }
    if (groups.empty() || pythonMinor < 11 || f.isEntry) groups.emplace_back();
    groups.back().push_back(i);
  }
  size_t evals = 0;
  size_t lastEval = SIZE_MAX;
  for (size_t k = 0; k < native.size(); ++k) {
    if (isEvalFrame(*native[k])) {
      ++evals;
      lastEval = k;
    }
  }
  // A truncated native stack holds the innermost eval frames only: the outer groups go first.
  size_t outerGroups = truncated && evals < groups.size() ? groups.size() - evals : 0;
  if (evals + outerGroups != groups.size()) {
    // Without symbols an eval frame cannot be recognised (e.g. a stripped PGO build that moved
    // most of the loop into an unnamed .cold part): say which library lacks them.
    size_t unnamed = 0;
    for (const Frame* f : native) {
      if (f->location.function == "???" && !runtimeLibrary.empty() && f->library == runtimeLibrary) ++unnamed;
    }
    std::string hint = unnamed && evals < groups.size()
                           ? fmt::format("; {} of its frames in {} have no symbol (its debug symbols would help)",
                                         unnamed, runtimeLibrary)
                           : "";
    return keepPython(fmt::format(
        "native stack not merged: it has {} Python evaluation loop frame{} (_PyEval_EvalFrameDefault) but the "
        "Python stack has {} entry frame{}{}; showing the Python stack alone",
        evals, evals == 1 ? "" : "s", groups.size(), groups.size() == 1 ? "" : "s", hint));
  }

  out.merged = true;
  out.newIndex.assign(python.size(), 0);
  out.nativeShown.assign(native.size(), false);
  auto emitPython = [&](size_t i) {
    out.newIndex[i] = out.frames.size();
    out.frames.push_back(python[i]);
  };
  const size_t n = native.size();
  auto emitNative = [&](size_t k) {
    out.frames.push_back(*native[k]);
    out.nativeShown[n - 1 - k] = true;
  };
  for (size_t i : leading) emitPython(i);
  size_t g = 0;
  for (; g < outerGroups; ++g) {
    for (size_t i : groups[g]) emitPython(i);
  }
  bool physicalShown = false;   // whether the physical frame the next inlined frames belong to is
  for (size_t k = 0; k < n; ++k) {
    const Frame& f = *native[k];
    if (isEvalFrame(f)) {
      if (mode == NativeMode::kAll) emitNative(k);
      for (size_t i : groups[g]) emitPython(i);
      ++g;
      physicalShown = mode == NativeMode::kAll;   // what it inlines is the loop's own machinery
      continue;
    }
    bool show = true;
    if (mode != NativeMode::kAll) {
      if (!f.inlined) {
        show = !isEvaluationFrame(f, runtimeLibrary) &&
               !(mode == NativeMode::kLast && lastEval != SIZE_MAX && k < lastEval);
        physicalShown = show;
      } else {
        show = physicalShown && !isEvaluationFrame(f, runtimeLibrary);
      }
    }
    if (show) emitNative(k);
  }
  return out;
}

void mergeNativeStacks(Snapshot& snap, NativeMode mode) {
  if (mode == NativeMode::kOff) return;
  for (auto& p : snap.processes) {
    const std::string runtimeLibrary = baseName(p.python.library);
    for (auto& t : p.threads) {
      if (t.nativeFrames.empty()) continue;
      MergedStack m = mergeThread(t.frames, t.nativeFrames, mode, p.python.minor, runtimeLibrary, t.nativeTruncated);
      t.nativeFrames.clear();
      if (!m.warning.empty()) t.warnings.push_back(m.warning);
      if (!m.merged) continue;
      for (auto& a : snap.diagnosis.annotations) {
        if (a.task || a.pid != p.pid || a.tid != t.tid || a.frameIndex >= m.newIndex.size()) continue;
        a.frameIndex = m.newIndex[a.frameIndex];
      }
      t.frames = std::move(m.frames);
    }
    for (auto& th : p.nativeOnlyThreads) {
      MergedStack m = mergeThread({}, th.nativeFrames, mode, p.python.minor, runtimeLibrary, th.nativeTruncated);
      th.nativeFrames.clear();
      if (!m.warning.empty()) th.warnings.push_back(m.warning);
      th.frames = std::move(m.frames);
      p.threads.push_back(std::move(th));
    }
    p.nativeOnlyThreads.clear();
  }
}

}  // namespace pyhang::native
