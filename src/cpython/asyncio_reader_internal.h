// Internal to the asyncio reader (asyncio_*.cpp): its limits, the per-version _asyncio Task
// layouts, the loop and await-chain records, and the AioReader class whose parts live in
// asyncio_reader.cpp (the run), asyncio_task_discovery.cpp, asyncio_loops.cpp,
// asyncio_coroutines.cpp, asyncio_tasks.cpp, asyncio_awaits.cpp, asyncio_objects.cpp and
// asyncio_finished_tasks.cpp. Not for use outside src/cpython/asyncio_*.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cpython/asyncio_reader.h"

namespace pyhang::cpython::asyncio_internal {

constexpr size_t kMaxTasks = 20000;        // tasks read per process
constexpr size_t kMaxChain = 512;          // coroutine frames per task
constexpr size_t kMaxTimers = 20000;       // TimerHandles scanned per loop
constexpr size_t kMaxLoops = 64;           // event loops read per process
constexpr size_t kMaxFds = 4096;           // selector keys per loop
constexpr size_t kMaxChildren = 4096;      // gather / wait / TaskGroup children
constexpr size_t kMaxReady = 20000;        // ready handles scanned per loop
constexpr size_t kMaxReadyShown = 16;
constexpr size_t kMaxNamedObjects = 4096;  // instances whose attributes are searched for names
constexpr uint64_t kScanChunk = 1 << 20;   // finished-task evidence: memory windows
constexpr size_t kMaxScanChunks = 64;

// PyTypeObject.tp_dict (3.6: the pure-Python Task class keeps its registries there).
constexpr uint64_t kTypeDict = 264;
// PyModuleObject.md_state; 3.14 _asyncio module state: non_asyncio_tasks / eager tasks.
constexpr uint64_t kModuleState = 32, kAsyncioState314NonAsyncioTasks = 48, kAsyncioState314NonAsyncioEager = 56;

// _asyncio FutureObj / TaskObj fields (CPYTHON.md 7.2; 3.6/3.7 from the DWARF of _asyncio).
// -1: that version has no such field (3.6 has no callback0, 3.6/3.7 no task names).
struct TaskOffsets {
  int loop = 16, callback0 = 24, callbacks = 40, exception = 48, result = 56, state = 72;
  int waiter = 104, coro = 112, name = 120;
  int awaitedBy = -1, awaitedByIsSet = -1, node = -1;
};

// The layout of that minor version; alt310 picks the 3.9 layout that early 3.10 micro releases
// kept (chooseOffsets decides).
TaskOffsets taskOffsets(int minor, bool alt310);

bool endsWith(const std::string& s, std::string_view suffix);

// "asyncio/locks.py" -> "locks"; "" for files outside the asyncio package of the stdlib.
std::string asyncioModuleOf(const std::string& file);

const Variable* findVar(const Frame& f, std::string_view name);
uint64_t varAddr(const Frame& f, std::string_view name);
double monotonicNow();

struct TimerInfo {
  uint64_t handle = 0;
  double when = 0;
  std::string callback;
  uint64_t callbackSelf = 0;
  std::vector<uint64_t> args;
};

struct LoopInternal {
  size_t index = 0;                        // into out.loops
  std::vector<TimerInfo> timers;           // not cancelled
  // The earliest timer per object it is called with, and per task an asyncio.timeout() (a
  // Timeout whose _on_timeout a timer calls) belongs to: one pass, not one per task.
  std::unordered_map<uint64_t, double> earliestByArg;
  std::unordered_map<uint64_t, double> earliestByTimeoutTask;
  std::vector<std::pair<LoopFd, std::vector<uint64_t>>> fdArgs;   // fd, its handles' args
  std::set<uint64_t> readyTasks;           // tasks whose step or wake-up is in _ready
  std::unordered_map<uint64_t, int64_t> fdOfFileobj;   // selector key fileobj -> fd
};

struct ChainLink {
  uint64_t coro = 0;
  RawFrame raw;
};

struct Chain {
  std::vector<ChainLink> links;  // outermost first
  uint64_t leaf = 0;             // the innermost awaited object that is not a coroutine
  std::vector<std::string> warnings;
};

class AioReader {
 public:
  AioReader(const AsyncioInputs& in, Process& out)
      : in_(in), mem_(in.mem), objects_(in.objects), sync_(in.sync), out_(out), layout_(in.objects.layout()),
        o_(layout_.offsets), minor_(layout_.traits.minor), sources_(in.sources) {}

  void run();

 private:
  // Discovery
  void collectThreadStates();
  void discoverTasks();
  void addCandidate(uint64_t obj, bool eager);
  std::vector<uint64_t> weakSetItems(uint64_t ws, size_t cap);
  bool isTask(uint64_t obj) const;
  bool isCTask(uint64_t obj) const { return typeFlagsOf(obj) & kTypeIsCTask; }
  // What asyncio cares about in an object's type, decided once per type (thousands of tasks
  // share a handful of types): 0 when the type cannot be read.
  enum : uint32_t { kTypeRead = 1, kTypeIsCTask = 2, kTypeIsTask = 4, kTypeIsConcurrentFuture = 8 };
  uint32_t typeFlagsOf(uint64_t obj) const;
  ObjectKind asyncKindUncached(uint64_t obj) const;
  void chooseOffsets();

  // Loops
  size_t loopIndex(uint64_t loop);
  void findRunningLoops();
  void readLoop(uint64_t loop, LoopInternal& li);

  // Tasks
  void readTask(uint64_t addr);
  Chain coroutineChain(uint64_t coro);
  std::optional<RawFrame> generatorFrame(uint64_t gen);
  uint64_t yieldFromTarget(uint64_t gen, const RawFrame& raw);
  Frame makeFrame(const RawFrame& raw);
  // `x.acquire()` earlier in the frame's function with no `x.release()` after it, where x is a
  // lock now: held, as the thread reader infers it ("acquire() (from the source)").
  void inferAcquireHolds(const RawFrame& raw, Frame& f);
  std::vector<Variable> variables(const RawFrame& raw, bool argumentsOnly, bool localsOnly);
  TaskAwait classify(const Task& task, uint64_t waiter, uint64_t leaf);
  bool matchStdlibFrame(const Frame& f, const std::string& module, TaskAwait& a);
  void addTimers(const Task& task, TaskAwait& a, const LoopInternal* li);
  void addIo(TaskAwait& a, const LoopInternal* li, uint64_t sockOrTransport);
  std::string taskName(uint64_t nameObj);
  // The executor thread running the function a chained future's callback (`_call_check_cancel`,
  // a closure over the concurrent.futures.Future) stands for; 0 when unknown.
  int64_t workerOf(uint64_t callback);
  // The done callbacks of a C future or task: callback0, then the callbacks list, whose items are
  // (callback, context) pairs from 3.7 on and the callbacks themselves in 3.6.
  std::vector<uint64_t> futureCallbacks(uint64_t fut);
  // The concurrent.futures.Future objects a function's closure holds (0..n).
  std::vector<uint64_t> closureFutures(uint64_t function);
  // The values of a function's closure cells (at most 8), empty for anything else.
  std::vector<uint64_t> closureValues(uint64_t function);
  // asyncio.shield(inner) returns an outer future that inner's completion completes (3.7+: the
  // outer's _outer_done_callback keeps inner in its closure, and from 3.14 the awaiting task,
  // `awaiter`, too): inner, or 0 when `fut` is no shield.
  uint64_t shieldedInner(uint64_t fut, uint64_t awaiter);
  std::string exceptionRepr(uint64_t exc);
  std::vector<uint64_t> childrenOf(uint64_t container);
  // An instance attribute, from the __dict__ or from a __slots__ member (Handle, TimerHandle).
  std::optional<uint64_t> attr(uint64_t obj, std::string_view name) const;
  // Whether obj's type is called `name` (ObjectReader::typeName without the copy).
  bool typeIs(uint64_t obj, std::string_view name) const {
    auto t = objects_.typeOf(obj);
    return t && (*t)->name == name;
  }

  // Objects
  ObjectKind asyncKind(uint64_t obj) const;
  void addObject(uint64_t addr);
  void nameObjects();

  // Finished tasks known from asyncio's "exception was never retrieved" log record.
  void findFinishedTasks();

  const AsyncioInputs& in_;
  const RemoteMemory& mem_;
  const ObjectReader& objects_;
  const SyncReader& sync_;
  Process& out_;
  const PythonLayout& layout_;
  const Layout& o_;
  const int minor_;
  SourceFiles& sources_;
  TaskOffsets to_;
  double now_ = 0;

  std::map<uint64_t, uint64_t> tstateByIdent_;      // thread ident -> tstate
  std::vector<std::pair<uint64_t, bool>> candidates_;   // task address, eager
  std::unordered_set<uint64_t> candidateSet_;
  std::map<uint64_t, LoopInternal> loops_;           // loop address -> internal state
  std::set<uint64_t> currentTasks_;
  std::set<uint64_t> myObjects_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> cAwaitedBy_;   // 3.14 task_awaited_by
  std::vector<uint64_t> frameGlobals_;
  std::map<uint64_t, int64_t> workerOfFuture_;      // concurrent.futures.Future -> worker thread tid
  mutable std::unordered_map<uint64_t, uint32_t> typeFlags_;       // type address -> kType* flags
  mutable std::unordered_map<uint64_t, ObjectKind> kindByType_;    // type address -> asyncKind
  // Per (code object, line): what makeFrame derives from the source alone.
  struct SourceFacts {
    std::string sourceLine;
    std::vector<std::pair<std::string, int>> openAcquires;   // `x.acquire()` not released yet
  };
  std::map<std::pair<const CodeInfo*, int>, SourceFacts> sourceFacts_;
  SourceFacts uncachedFacts_;   // past the cap: valid until the next call
  const SourceFacts& sourceFactsFor(const RawFrame& raw, const Frame& f);
};

}  // namespace pyhang::cpython::asyncio_internal
