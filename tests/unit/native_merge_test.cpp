// Tests for src/native/stack_merger: classifying native frames and merging a thread's
// native stack with its Python frames, over hand-built frames (no process needed).
#include "native/stack_merger.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "snapshot/snapshot.h"

namespace pyhang::native {
namespace {

constexpr const char* kLib = "libpython3.12.so.1.0";

Frame py(const std::string& function, bool entry = false) {
  Frame f;
  f.kind = Frame::Kind::kPython;
  f.location = SourceLocation{"/srv/prog.py", 10, function};
  f.isEntry = entry;
  return f;
}

Frame marker(const std::string& text) {
  Frame f;
  f.kind = Frame::Kind::kMarker;
  f.marker = text;
  return f;
}

Frame c(const std::string& function, const std::string& library = kLib, bool inlined = false) {
  Frame f;
  f.kind = Frame::Kind::kNative;
  f.location.function = function;
  f.library = library;
  f.inlined = inlined;
  return f;
}

// "P:name" for Python frames, "C:name" / "I:name" (inlined) for native ones, "M:text" for markers.
std::vector<std::string> names(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) {
    switch (f.kind) {
      case Frame::Kind::kPython: out.push_back("P:" + f.location.function); break;
      case Frame::Kind::kNative: out.push_back((f.inlined ? "I:" : "C:") + f.location.function); break;
      case Frame::Kind::kMarker: out.push_back("M:" + f.marker); break;
    }
  }
  return out;
}

using V = std::vector<std::string>;

// A worker thread on 3.12 blocked in lock.acquire(), innermost first as unwound.
std::vector<Frame> workerNative() {
  return {c("__futex_abstimed_wait_common64", "libc.so.6", true),
          c("__futex_abstimed_wait_common", "libc.so.6"),
          c("sem_clockwait", "libc.so.6"),
          c("PyThread_acquire_lock_timed"),
          c("acquire_timed", kLib, true),
          c("lock_PyThread_acquire_lock"),
          c("method_vectorcall_VARARGS_KEYWORDS"),
          c("_PyObject_VectorcallTstate", kLib, true),
          c("_PyEval_EvalFrameDefault"),
          c("_PyFunction_Vectorcall"),
          c("_PyEval_EvalFrameDefault.lto_priv.0"),
          c("thread_run"),
          c("pythread_wrapper"),
          c("start_thread", "libc.so.6"),
          c("__clone3", "libc.so.6")};
}

std::vector<Frame> workerPython() {
  return {py("_bootstrap", true), py("_bootstrap_inner"), py("run"), py("work", true), py("helper")};
}

TEST(NativeNames, BaseFunctionName) {
  EXPECT_EQ(baseFunctionName("take_gil.lto_priv.0"), "take_gil");
  EXPECT_EQ(baseFunctionName("collect.constprop.1"), "collect");
  EXPECT_EQ(baseFunctionName("_PyEval_EvalFrameDefault.cold"), "_PyEval_EvalFrameDefault");
  EXPECT_EQ(baseFunctionName("drop_gil"), "drop_gil");
  EXPECT_EQ(baseFunctionName("ns::f(int) [clone .cold]"), "ns::f(int) [clone .cold]");
  EXPECT_EQ(baseFunctionName(".hidden"), ".hidden");
}

TEST(NativeNames, EvalFrames) {
  EXPECT_TRUE(isEvalFrame(c("_PyEval_EvalFrameDefault")));
  EXPECT_TRUE(isEvalFrame(c("_PyEval_EvalFrameDefault.lto_priv.0", "python3.11")));
  EXPECT_TRUE(isEvalFrame(c("_PyEval_EvalFrameDefault.cold")));
  EXPECT_FALSE(isEvalFrame(c("_PyEval_EvalFrameDefault", kLib, /*inlined=*/true)));
  EXPECT_FALSE(isEvalFrame(c("_PyEval_EvalFrame")));
  EXPECT_FALSE(isEvalFrame(py("_PyEval_EvalFrameDefault")));
}

TEST(NativeNames, EvaluationFramesOnlyInTheRuntime) {
  EXPECT_TRUE(isEvaluationFrame(c("_PyFunction_Vectorcall"), kLib));
  EXPECT_TRUE(isEvaluationFrame(c("method_vectorcall_NOARGS"), kLib));
  EXPECT_TRUE(isEvaluationFrame(c("PyObject_Call"), kLib));
  EXPECT_TRUE(isEvaluationFrame(c("function_code_fastcall"), kLib));   // 3.8
  EXPECT_TRUE(isEvaluationFrame(c("pymain_run_python.constprop.0"), kLib));
  EXPECT_TRUE(isEvaluationFrame(c("_PyEval_EvalFrameDefault", "other.so"), kLib));
  EXPECT_FALSE(isEvaluationFrame(c("PyObject_Call", "_mymodule.so"), kLib));
  EXPECT_FALSE(isEvaluationFrame(c("take_gil"), kLib));
  EXPECT_FALSE(isEvaluationFrame(c("gc_collect_main"), kLib));
  EXPECT_FALSE(isEvaluationFrame(c("lock_PyThread_acquire_lock"), kLib));
  EXPECT_FALSE(isEvaluationFrame(c("_PyMutex_LockTimed"), kLib));   // 3.13 parking: shown
  EXPECT_FALSE(isEvaluationFrame(c("thread_run"), kLib));
  EXPECT_FALSE(isEvaluationFrame(c("sem_clockwait", "libc.so.6"), kLib));
}

TEST(NativeMerge, NativeHidesTheInterpreter) {
  MergedStack m = mergeThread(workerPython(), workerNative(), NativeMode::kNative, 12, kLib);
  ASSERT_TRUE(m.merged) << m.warning;
  EXPECT_EQ(names(m.frames),
            (V{"C:__clone3", "C:start_thread", "C:pythread_wrapper", "C:thread_run", "P:_bootstrap",
               "P:_bootstrap_inner", "P:run", "P:work", "P:helper", "C:lock_PyThread_acquire_lock",
               "I:acquire_timed", "C:PyThread_acquire_lock_timed", "C:sem_clockwait",
               "C:__futex_abstimed_wait_common", "I:__futex_abstimed_wait_common64"}));
  EXPECT_EQ(m.newIndex, (std::vector<size_t>{4, 5, 6, 7, 8}));
  EXPECT_TRUE(m.warning.empty());
  // nativeShown is per native frame given (innermost first).
  ASSERT_EQ(m.nativeShown.size(), workerNative().size());
  EXPECT_TRUE(m.nativeShown[0]);    // __futex_abstimed_wait_common64 (inlined)
  EXPECT_FALSE(m.nativeShown[6]);   // method_vectorcall_VARARGS_KEYWORDS
  EXPECT_FALSE(m.nativeShown[8]);   // _PyEval_EvalFrameDefault
}

TEST(NativeMerge, AllShowsEverythingWithPythonAfterEachEvalFrame) {
  MergedStack m = mergeThread(workerPython(), workerNative(), NativeMode::kAll, 12, kLib);
  ASSERT_TRUE(m.merged);
  EXPECT_EQ(names(m.frames),
            (V{"C:__clone3", "C:start_thread", "C:pythread_wrapper", "C:thread_run",
               "C:_PyEval_EvalFrameDefault.lto_priv.0", "P:_bootstrap", "P:_bootstrap_inner", "P:run",
               "C:_PyFunction_Vectorcall", "C:_PyEval_EvalFrameDefault", "P:work", "P:helper",
               "I:_PyObject_VectorcallTstate", "C:method_vectorcall_VARARGS_KEYWORDS",
               "C:lock_PyThread_acquire_lock", "I:acquire_timed", "C:PyThread_acquire_lock_timed",
               "C:sem_clockwait", "C:__futex_abstimed_wait_common", "I:__futex_abstimed_wait_common64"}));
  EXPECT_EQ(m.newIndex, (std::vector<size_t>{5, 6, 7, 10, 11}));
}

TEST(NativeMerge, LastKeepsOnlyWhatIsBelowTheInnermostPythonFrame) {
  MergedStack m = mergeThread(workerPython(), workerNative(), NativeMode::kLast, 12, kLib);
  ASSERT_TRUE(m.merged);
  EXPECT_EQ(names(m.frames),
            (V{"P:_bootstrap", "P:_bootstrap_inner", "P:run", "P:work", "P:helper", "C:lock_PyThread_acquire_lock",
               "I:acquire_timed", "C:PyThread_acquire_lock_timed", "C:sem_clockwait",
               "C:__futex_abstimed_wait_common", "I:__futex_abstimed_wait_common64"}));
  EXPECT_EQ(m.newIndex, (std::vector<size_t>{0, 1, 2, 3, 4}));
}

TEST(NativeMerge, BeforeThreeElevenEveryPythonFrameHasItsOwnEvalFrame) {
  std::vector<Frame> python{py("<module>"), py("main"), py("wait")};
  std::vector<Frame> native{c("sem_wait", "libc.so.6"), c("PyThread_acquire_lock_timed"),
                            c("_PyEval_EvalFrameDefault"), c("function_code_fastcall"),
                            c("_PyEval_EvalFrameDefault"), c("_PyFunction_Vectorcall"),
                            c("_PyEval_EvalFrameDefault"), c("PyEval_EvalCode"), c("main", "python3.8")};
  MergedStack m = mergeThread(python, native, NativeMode::kNative, 8, kLib);
  ASSERT_TRUE(m.merged) << m.warning;
  EXPECT_EQ(names(m.frames), (V{"C:main", "P:<module>", "P:main", "P:wait", "C:PyThread_acquire_lock_timed",
                                "C:sem_wait"}));
  // The same stacks read as 3.11+ (one entry frame) do not line up.
  MergedStack n = mergeThread(python, native, NativeMode::kNative, 11, kLib);
  EXPECT_FALSE(n.merged);
}

// The queue scenario: main -> put -> (garbage collection) -> __del__ -> put, with the
// collector's native frames between the marker and __del__.
TEST(NativeMerge, GarbageCollectionMarkerStaysBeforeTheCollectorsFrames) {
  std::vector<Frame> python{py("<module>", true), py("main"), py("put"), py("__init__"),
                            marker("garbage collection"), py("__del__", true), py("put"), py("__enter__", true)};
  std::vector<Frame> native{c("futex_wait", "libc.so.6"), c("lock_PyThread_acquire_lock"),
                            c("_PyEval_EvalFrameDefault"), c("PyObject_Vectorcall"),
                            c("_PyEval_EvalFrameDefault"), c("_PyObject_Call"), c("slot_tp_finalize"),
                            c("finalize_garbage", kLib, true), c("gc_collect_main"), c("_Py_HandlePending"),
                            c("_PyEval_EvalFrameDefault"), c("PyEval_EvalCode")};
  MergedStack m = mergeThread(python, native, NativeMode::kNative, 13, kLib);
  ASSERT_TRUE(m.merged) << m.warning;
  EXPECT_EQ(names(m.frames),
            (V{"P:<module>", "P:main", "P:put", "P:__init__", "M:garbage collection", "C:_Py_HandlePending",
               "C:gc_collect_main", "I:finalize_garbage", "P:__del__", "P:put", "P:__enter__",
               "C:lock_PyThread_acquire_lock", "C:futex_wait"}));
  EXPECT_EQ(m.newIndex, (std::vector<size_t>{0, 1, 2, 3, 4, 8, 9, 10}));
}

TEST(NativeMerge, MismatchKeepsThePythonStackWithOneWarning) {
  std::vector<Frame> python = workerPython();
  std::vector<Frame> native = workerNative();
  native.erase(native.begin() + 8);   // one eval frame fewer
  MergedStack m = mergeThread(python, native, NativeMode::kNative, 12, kLib);
  EXPECT_FALSE(m.merged);
  EXPECT_EQ(names(m.frames), names(python));
  EXPECT_EQ(m.newIndex, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_NE(m.warning.find("native stack not merged"), std::string::npos);
  EXPECT_NE(m.warning.find("1 Python evaluation loop frame "), std::string::npos) << m.warning;
  EXPECT_NE(m.warning.find("2 entry frames"), std::string::npos) << m.warning;
  EXPECT_EQ(m.warning.find('\n'), std::string::npos);
}

TEST(NativeMerge, ThreadWithoutPythonFrames) {
  std::vector<Frame> native{c("clock_nanosleep", "libc.so.6"), c("sleep", "libc.so.6"),
                            c("start_thread", "libc.so.6")};
  for (NativeMode mode : {NativeMode::kNative, NativeMode::kAll, NativeMode::kLast}) {
    MergedStack m = mergeThread({}, native, mode, 12, kLib);
    ASSERT_TRUE(m.merged);
    EXPECT_EQ(names(m.frames), (V{"C:start_thread", "C:sleep", "C:clock_nanosleep"}));
  }
}

TEST(NativeMerge, TruncatedNativeStackTakesTheInnermostGroups) {
  // Deep recursion before 3.11: the unwinder stopped before reaching the outer eval frames.
  std::vector<Frame> python{py("<module>"), py("f"), py("f"), py("f"), py("wait")};
  std::vector<Frame> native{c("sem_wait", "libc.so.6"), c("PyThread_acquire_lock_timed"),
                            c("_PyEval_EvalFrameDefault"), c("function_code_fastcall"),
                            c("_PyEval_EvalFrameDefault"), c("_PyFunction_Vectorcall")};
  MergedStack m = mergeThread(python, native, NativeMode::kNative, 9, kLib, /*truncated=*/true);
  ASSERT_TRUE(m.merged) << m.warning;
  EXPECT_EQ(names(m.frames), (V{"P:<module>", "P:f", "P:f", "P:f", "P:wait", "C:PyThread_acquire_lock_timed",
                                "C:sem_wait"}));
  // Not truncated, the same stacks do not line up; truncated with more eval frames than groups neither.
  EXPECT_FALSE(mergeThread(python, native, NativeMode::kNative, 9, kLib, false).merged);
  EXPECT_FALSE(mergeThread({py("wait")}, native, NativeMode::kNative, 9, kLib, true).merged);
  MergedStack all = mergeThread(python, native, NativeMode::kAll, 9, kLib, true);
  ASSERT_TRUE(all.merged);
  EXPECT_EQ(names(all.frames),
            (V{"P:<module>", "P:f", "P:f", "C:_PyFunction_Vectorcall", "C:_PyEval_EvalFrameDefault", "P:f",
               "C:function_code_fastcall", "C:_PyEval_EvalFrameDefault", "P:wait", "C:PyThread_acquire_lock_timed",
               "C:sem_wait"}));
}

TEST(NativeMerge, FirstPythonFrameStartsAGroupEvenWithoutTheEntryFlag) {
  // 3.12+ cores may lack the outermost shim frame: the outermost frame is not flagged.
  std::vector<Frame> python{py("<module>"), py("main")};
  std::vector<Frame> native{c("sem_wait", "libc.so.6"), c("_PyEval_EvalFrameDefault"), c("PyEval_EvalCode")};
  MergedStack m = mergeThread(python, native, NativeMode::kNative, 12, kLib);
  ASSERT_TRUE(m.merged);
  EXPECT_EQ(names(m.frames), (V{"P:<module>", "P:main", "C:sem_wait"}));
}

TEST(NativeMerge, OffOrNoNativeFramesChangesNothing) {
  MergedStack m = mergeThread(workerPython(), workerNative(), NativeMode::kOff, 12, kLib);
  EXPECT_FALSE(m.merged);
  EXPECT_TRUE(m.warning.empty());
  MergedStack n = mergeThread(workerPython(), {}, NativeMode::kNative, 12, kLib);
  EXPECT_FALSE(n.merged);
  EXPECT_EQ(names(n.frames), names(workerPython()));
}

// mergeNativeStacks: frames replaced after the analysis, annotations moved along, C threads added.
TEST(NativeMerge, SnapshotMergeMovesAnnotationsAndAddsNativeOnlyThreads) {
  Snapshot snap;
  Process p;
  p.pid = 100;
  p.python.minor = 12;
  p.python.library = std::string("/usr/lib/") + kLib;
  Thread t;
  t.tid = 101;
  t.frames = workerPython();
  t.nativeFrames = workerNative();
  p.threads.push_back(t);
  Thread cthread;
  cthread.tid = 102;
  cthread.nativeOnly = true;
  cthread.nativeFrames = {c("clock_nanosleep", "libc.so.6"), c("sleep", "libc.so.6")};
  p.nativeOnlyThreads.push_back(cthread);
  snap.processes.push_back(p);
  snap.diagnosis.annotations.push_back(Annotation{100, 101, 4, "waiting to acquire lock"});
  snap.diagnosis.annotations.push_back(Annotation{100, 101, 3, "holds lock", 0});
  snap.diagnosis.annotations.push_back(Annotation{100, 999, 3, "another thread", 0});
  snap.diagnosis.annotations.push_back(Annotation{100, 101, 1, "a task's frame", 0x1234});

  mergeNativeStacks(snap, NativeMode::kNative);
  const Process& out = snap.processes[0];
  ASSERT_EQ(out.threads.size(), 2u);
  EXPECT_TRUE(out.nativeOnlyThreads.empty());
  EXPECT_TRUE(out.threads[0].nativeFrames.empty());
  EXPECT_EQ(out.threads[0].frames.size(), 15u);
  EXPECT_EQ(snap.diagnosis.annotations[0].frameIndex, 8u);
  EXPECT_EQ(out.threads[0].frames[8].location.function, "helper");
  EXPECT_EQ(snap.diagnosis.annotations[1].frameIndex, 7u);
  EXPECT_EQ(snap.diagnosis.annotations[2].frameIndex, 3u);   // another thread: untouched
  EXPECT_EQ(snap.diagnosis.annotations[3].frameIndex, 1u);   // task frames: untouched
  EXPECT_EQ(out.threads[1].tid, 102);
  EXPECT_TRUE(out.threads[1].nativeOnly);
  EXPECT_EQ(names(out.threads[1].frames), (V{"C:sleep", "C:clock_nanosleep"}));
}

TEST(NativeMerge, SnapshotMergeOffDoesNothing) {
  Snapshot snap;
  Process p;
  Thread t;
  t.frames = workerPython();
  t.nativeFrames = workerNative();
  p.threads.push_back(t);
  snap.processes.push_back(p);
  mergeNativeStacks(snap, NativeMode::kOff);
  EXPECT_EQ(snap.processes[0].threads[0].frames.size(), 5u);
}

// Arbitrary frame sequences (untrusted input): no crash, and a merge never loses, duplicates or
// reorders a Python frame or marker, whatever the mode.
TEST(NativeMerge, RandomStacksKeepThePythonFramesInOrder) {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&](uint64_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % n;
  };
  const char* natives[] = {"_PyEval_EvalFrameDefault", "_PyEval_EvalFrameDefault.cold", "PyObject_Vectorcall",
                           "sem_wait", "take_gil", "???", "gc_collect_main", "thread_run"};
  for (int round = 0; round < 2000; ++round) {
    std::vector<Frame> python, native;
    for (uint64_t i = 0, n = next(8); i < n; ++i) {
      if (next(6) == 0) python.push_back(marker("garbage collection"));
      else python.push_back(py("f" + std::to_string(i), next(2) == 0));
    }
    for (uint64_t i = 0, n = next(12); i < n; ++i) {
      native.push_back(c(natives[next(8)], next(3) ? kLib : "libc.so.6", next(4) == 0));
    }
    int minor = next(2) ? 12 : 9;
    for (NativeMode mode : {NativeMode::kNative, NativeMode::kAll, NativeMode::kLast}) {
      MergedStack m = mergeThread(python, native, mode, minor, kLib);
      ASSERT_EQ(m.newIndex.size(), python.size());
      for (size_t i = 0; i < python.size(); ++i) {
        ASSERT_LT(m.newIndex[i], m.frames.size());
        EXPECT_EQ(names({m.frames[m.newIndex[i]]}), names({python[i]}));
        if (i) {
          EXPECT_LT(m.newIndex[i - 1], m.newIndex[i]);
        }
      }
      size_t nonNative = 0;
      for (const auto& f : m.frames) nonNative += f.kind != Frame::Kind::kNative;
      EXPECT_EQ(nonNative, python.size());
      if (!native.empty()) {
        EXPECT_EQ(m.merged, m.warning.empty());
      }
    }
  }
}

TEST(WaitsForGil, ATakeGilOrAnExportedCallerBeforeAnyLockWaitIsAGilWait) {
  const std::string lib = kLib;
  // 3.12: woken from sem_clockwait, re-taking the GIL in Py_END_ALLOW_THREADS
  EXPECT_TRUE(waitsForGil({c("__futex_abstimed_wait_common", "libc.so.6"), c("___pthread_cond_timedwait", "libc.so.6"),
                           c("take_gil"), c("PyEval_RestoreThread"), c("acquire_timed"),
                           c("lock_PyThread_acquire_lock")},
                          lib));
  // a stripped build: take_gil has no symbol (named after an exported neighbour), its caller has
  EXPECT_TRUE(waitsForGil({c("___pthread_cond_timedwait", "libc.so.6"), c("PyEval_SaveThread"),
                           c("PyEval_RestoreThread.cold"), c("acquire_timed")},
                          lib));
  // 3.13+: a PyMutex waiter unparked, re-attaching inside _PyParkingLot_Park
  EXPECT_TRUE(waitsForGil({c("syscall", "libc.so.6"), c("take_gil"), c("_PyThreadState_Attach"),
                           c("_PySemaphore_Wait"), c("_PyParkingLot_Park"), c("_PyMutex_LockTimed")},
                          lib));
  // blocked on the lock itself
  EXPECT_FALSE(waitsForGil(workerNative(), lib));
  EXPECT_FALSE(waitsForGil({c("syscall", "libc.so.6"), c("_PySemaphore_PlatformWait"), c("_PySemaphore_Wait"),
                            c("_PyParkingLot_Park"), c("PyEval_AcquireThread")},
                           lib));
  // a GIL function deep in the stack, far from where the thread waits
  EXPECT_FALSE(waitsForGil({c("poll", "libc.so.6"), c("select_poll_poll"), c("cfunction_vectorcall_FASTCALL"),
                            c("_PyEval_EvalFrameDefault"), c("_PyEval_Vector"), c("PyEval_RestoreThread")},
                           lib));
  // only the runtime's frames count
  EXPECT_FALSE(waitsForGil({c("take_gil", "libother.so")}, lib));
  EXPECT_FALSE(waitsForGil({}, lib));
}

}  // namespace
}  // namespace pyhang::native
