// Native stacks in the report: `--native`, `--native-all`, `--native-last`.
//
//   capture*()            unwinds every thread (live: while ThreadStopper keeps them stopped)
//   attachNativeStacks()  symbolizes (after the threads run again), stores each Python thread's
//                         native stack in Thread::nativeFrames, keeps the OS threads that have no
//                         Python thread state in Process::nativeOnlyThreads, and sets the GIL /
//                         garbage-collection markers the native stack proves
//   mergeNativeStacks()   after the analysis (which works on Python frames only): replaces each
//                         thread's frames with the merged stack, moves the diagnosis' per-frame
//                         annotations along, and appends the native-only threads
//
// Merging: each native _PyEval_EvalFrameDefault (any symbol starting with it, e.g.
// `_PyEval_EvalFrameDefault.lto_priv.0` or its `.cold` part) is one C-level invocation of the
// eval loop, and runs one group of Python frames: before 3.11 a single frame; from 3.11 an
// entry frame (Frame::isEntry) and the frames it called without leaving the loop. The n-th
// outermost eval frame takes the n-th outermost group. When the counts differ the thread keeps
// its Python stack and gets one warning.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "native/native_unwinder.h"
#include "snapshot/snapshot.h"

namespace pyhang {
class CoreFile;
}

namespace pyhang::native {

enum class NativeMode {
  kOff,
  kNative,   // --native: native stack with the Python frames merged in, CPython's evaluation frames hidden
  kAll,      // --native-all: every native frame
  kLast,     // --native-last: the Python frames, plus the native frames inner to the innermost one
};

const char* nativeModeName(NativeMode mode);

// What was unwound, waiting to be symbolized once the target runs again.
struct NativeCapture {
  std::unique_ptr<NativeUnwinder> unwinder;
  std::vector<RawNativeStack> stacks;
  std::string error;        // why there is no unwinder
  double unwindMs = 0;      // time spent unwinding
};

// Live: the threads of `pid` must be ptrace-stopped.
NativeCapture captureLive(pid_t pid);
NativeCapture captureCore(const std::string& corePath, const CoreFile& core, const std::string& executable);

// A kernel thread (live: /proc/PID/task) for the threads that have no Python thread state.
struct OsThreadInfo {
  std::string name;     // comm
  std::string state;    // one letter
  std::string wchan;
};

void attachNativeStacks(NativeCapture& capture, Process& process, NativeMode mode,
                        const std::map<int64_t, OsThreadInfo>& osThreads);

// After the analysis. A no-op for kOff.
void mergeNativeStacks(Snapshot& snapshot, NativeMode mode);

// --- the pieces, for unit tests ------------------------------------------------------------

// "take_gil.lto_priv.0" -> "take_gil", "collect.constprop.1" -> "collect"; C++ names unchanged.
std::string baseFunctionName(const std::string& name);
// A physical (not inlined) _PyEval_EvalFrameDefault frame.
bool isEvalFrame(const Frame& frame);
// CPython's own evaluation machinery (call/vectorcall plumbing, the eval entry points, the
// interpreter's start-up chain): hidden by --native and --native-last. Only frames of the
// runtime's library (`runtimeLibrary`, a file name; "" = any library) qualify.
bool isEvaluationFrame(const Frame& frame, const std::string& runtimeLibrary);

// Waiting to take the GIL: among the innermost few frames of the runtime (`runtimeLibrary`, a
// file name), take_gil or a call that blocks only in it (PyEval_RestoreThread,
// PyEval_AcquireThread, _PyThreadState_Attach) comes before any lock wait of the runtime. A
// thread woken from a lock wait (the lock acquired, or handed over by a PyMutex) sits there
// while its Python frame still shows the acquire. Only a few frames count: a stripped build
// names a static function after the exported one before it.
bool waitsForGil(const std::vector<Frame>& innermostFirst, const std::string& runtimeLibrary);

struct MergedStack {
  bool merged = false;                 // false: `frames` is the Python stack unchanged
  std::vector<Frame> frames;           // outermost first
  std::vector<size_t> newIndex;        // old index into the Python frames -> index into `frames`
  std::vector<bool> nativeShown;       // per native frame given: whether it is in `frames`
  std::string warning;                 // one line, when not merged
};

// `python`: the thread's frames as read (outermost first, Python frames and markers);
// `native`: its native stack, innermost first (Thread::nativeFrames). `truncated`: the native
// stack lacks its outermost frames (more than kMaxNativeFrames): its eval frames then take the
// innermost groups, and the outer groups come first, with no native frame.
MergedStack mergeThread(const std::vector<Frame>& python, const std::vector<Frame>& native, NativeMode mode,
                        int pythonMinor, const std::string& runtimeLibrary, bool truncated = false);

}  // namespace pyhang::native
