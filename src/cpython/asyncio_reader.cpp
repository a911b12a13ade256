#include "cpython/asyncio_reader.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "cpython/opcodes.h"

namespace pyhang::cpython {

namespace {

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

TaskOffsets taskOffsets(int minor, bool alt310) {
  TaskOffsets o;
  switch (minor) {
    case 6:
      o.callback0 = -1; o.callbacks = 24; o.exception = 32; o.result = 40; o.state = 56;
      o.waiter = 88; o.coro = 96; o.name = -1;
      break;
    case 7: o.name = -1; break;
    case 8: break;
    case 9: o.state = 80; o.waiter = 144; o.coro = 152; o.name = 160; break;
    case 10:
      if (alt310) {  // 3.10.0-3.10.x before fut_exception_tb was added: the 3.9 layout
        o.state = 80; o.waiter = 144; o.coro = 152; o.name = 160;
      } else {
        o.result = 64; o.state = 88; o.waiter = 152; o.coro = 160; o.name = 168;
      }
      break;
    case 11:
    case 12: o.result = 64; o.state = 88; o.waiter = 128; o.coro = 136; o.name = 144; break;
    case 13: o.result = 64; o.state = 96; o.waiter = 112; o.coro = 120; o.name = 128; break;
    default:  // 14, 15
      o.result = 64; o.state = 104; o.waiter = 120; o.coro = 128; o.name = 136;
      o.awaitedBy = 96; o.awaitedByIsSet = 109; o.node = 152;
      break;
  }
  return o;
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "asyncio/locks.py" -> "locks"; "" for files outside the asyncio package of the stdlib.
std::string asyncioModuleOf(const std::string& file) {
  if (stdlibModuleOf(file) != "asyncio") return "";
  auto pos = file.rfind("/asyncio/");
  if (pos == std::string::npos) return "";
  std::string rest = file.substr(pos + 9);
  if (endsWith(rest, ".py")) rest.resize(rest.size() - 3);
  return rest;
}

const Variable* findVar(const Frame& f, std::string_view name) {
  for (const auto* vars : {&f.arguments, &f.locals}) {
    for (const auto& v : *vars) {
      if (v.name == name) return &v;
    }
  }
  return nullptr;
}

uint64_t varAddr(const Frame& f, std::string_view name) {
  const Variable* v = findVar(f, name);
  return v ? v->address : 0;
}

double monotonicNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

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

// ---------------------------------------------------------------------------------------------
// Attributes

std::optional<uint64_t> AioReader::attr(uint64_t obj, std::string_view name) const {
  return objects_.attr(obj, name);
}

// ---------------------------------------------------------------------------------------------
// Discovery

void AioReader::collectThreadStates() {
  const uint64_t runtime = in_.runtime.runtimeAddress;
  auto head = mem_.readPtr(runtime + static_cast<uint64_t>(o_.rt_interp_head));
  if (!head || !*head) return;
  std::unordered_set<uint64_t> seen;
  auto ts = mem_.readPtr(*head + static_cast<uint64_t>(o_.is_threads_head));
  uint64_t tstate = ts.value_or(0);
  while (tstate && seen.size() < in_.options.limits.maxThreads && seen.insert(tstate).second) {
    if (auto ident = mem_.readPtr(tstate + static_cast<uint64_t>(o_.ts_thread_id))) tstateByIdent_[*ident] = tstate;
    tstate = mem_.readPtr(tstate + static_cast<uint64_t>(o_.ts_next)).value_or(0);
  }
}

uint32_t AioReader::typeFlagsOf(uint64_t obj) const {
  if (obj == 0) return 0;
  auto t = objects_.typeOf(obj);
  if (!t) return 0;
  auto it = typeFlags_.find((*t)->address);
  if (it != typeFlags_.end()) return it->second;
  uint32_t flags = kTypeRead;
  if (objects_.isInstance(obj, "_asyncio", "Task")) flags |= kTypeIsCTask | kTypeIsTask;
  if (objects_.isInstance(obj, "asyncio.tasks", "Task") || objects_.isInstance(obj, "asyncio.tasks", "_PyTask")) {
    flags |= kTypeIsTask;
  }
  if (objects_.isInstance(obj, "concurrent.futures._base", "Future")) flags |= kTypeIsConcurrentFuture;
  if (typeFlags_.size() < 4096) typeFlags_.emplace((*t)->address, flags);
  return flags;
}

bool AioReader::isTask(uint64_t obj) const { return typeFlagsOf(obj) & kTypeIsTask; }

void AioReader::addCandidate(uint64_t obj, bool eager) {
  if (candidates_.size() >= kMaxTasks || obj == 0) return;
  if (!candidateSet_.insert(obj).second) {
    if (eager) {
      for (auto& [a, e] : candidates_) {
        if (a == obj) e = true;
      }
    }
    return;
  }
  if (!isTask(obj)) {
    candidateSet_.erase(obj);
    return;
  }
  candidates_.emplace_back(obj, eager);
}

std::vector<uint64_t> AioReader::weakSetItems(uint64_t ws, size_t cap) {
  std::vector<uint64_t> out;
  auto data = objects_.attr(ws, "data");
  if (!data) return out;
  auto refs = objects_.setItems(*data, cap);
  if (!refs) return out;
  for (uint64_t r : *refs) {
    auto target = mem_.readPtr(r + 16);  // PyWeakReference.wr_object
    if (target && *target) out.push_back(*target);
  }
  return out;
}

void AioReader::discoverTasks() {
  const TaskRegistry registry = layout_.traits.tasks;
  if (registry == TaskRegistry::kIntrusiveLists) {
    // Intrusive per-thread lists, then the interpreter's list of tasks whose thread has exited.
    std::vector<uint64_t> heads;
    for (const auto& [ident, ts] : tstateByIdent_) heads.push_back(ts + static_cast<uint64_t>(o_.ts_asyncio_tasks_head));
    auto head = mem_.readPtr(in_.runtime.runtimeAddress + static_cast<uint64_t>(o_.rt_interp_head));
    if (head && *head) heads.push_back(*head + static_cast<uint64_t>(o_.is_asyncio_tasks_head));
    for (uint64_t h : heads) {
      uint64_t node = mem_.readPtr(h).value_or(0);
      std::unordered_set<uint64_t> seen;
      while (node && node != h && seen.size() < kMaxTasks && seen.insert(node).second) {
        uint64_t task = node - static_cast<uint64_t>(to_.node);
        if (!isTask(task)) {
          out_.warnings.push_back(fmt::format("asyncio: the task list at 0x{:x} holds something that is not a task "
                                              "(0x{:x}); the rest of that list is not shown", h, task));
          break;
        }
        addCandidate(task, false);
        node = mem_.readPtr(node).value_or(0);
      }
    }
    // Tasks of classes that are not _asyncio.Task are kept in the C module's state.
    if (auto modules = objects_.moduleGlobal("sys", "modules")) {
      if (auto mod = objects_.dictGet(*modules, "_asyncio")) {
        uint64_t state = mem_.readPtr(*mod + kModuleState).value_or(0);
        if (state) {
          uint64_t ws = mem_.readPtr(state + kAsyncioState314NonAsyncioTasks).value_or(0);
          uint64_t eager = mem_.readPtr(state + kAsyncioState314NonAsyncioEager).value_or(0);
          if (ws && objects_.isInstance(ws, "_weakrefset", "WeakSet")) {
            for (uint64_t t : weakSetItems(ws, kMaxTasks)) addCandidate(t, false);
          }
          if (eager && typeIs(eager, "set")) {
            if (auto items = objects_.setItems(eager, kMaxTasks)) {
              for (uint64_t t : *items) addCandidate(t, true);
            }
          }
        }
      }
    }
  }
  auto tasksDict = objects_.moduleDict("asyncio.tasks");
  if (!tasksDict) return;
  auto get = [&](std::string_view name) -> std::optional<uint64_t> {
    if (registry != TaskRegistry::kStatics36) return objects_.dictGet(*tasksDict, name);
    // 3.6: class attributes of the pure-Python Task, which the C Task shares.
    auto pyTask = objects_.dictGet(*tasksDict, "_PyTask");
    if (!pyTask || !typeIs(*pyTask, "type")) return std::nullopt;
    uint64_t dict = mem_.readPtr(*pyTask + kTypeDict).value_or(0);
    if (!dict || !typeIs(dict, "dict")) return std::nullopt;
    return objects_.dictGet(dict, name);
  };
  if (registry == TaskRegistry::kModuleWeakSet || registry == TaskRegistry::kStatics36) {
    if (auto all = get("_all_tasks")) {
      for (uint64_t t : weakSetItems(*all, kMaxTasks)) addCandidate(t, false);
    }
  }
  if (registry == TaskRegistry::kStatics36) {
    const RuntimeLocation& rt = in_.runtime;
    uint64_t all = rt.asyncioAllTasks36 ? mem_.readPtr(rt.asyncioAllTasks36).value_or(0) : 0;
    if (all && objects_.isInstance(all, "_weakrefset", "WeakSet")) {
      for (uint64_t t : weakSetItems(all, kMaxTasks)) addCandidate(t, false);
    }
    uint64_t current = rt.asyncioCurrentTasks36 ? mem_.readPtr(rt.asyncioCurrentTasks36).value_or(0) : 0;
    if (current && typeIs(current, "dict")) {
      if (auto items = objects_.dictItems(current, 4096)) {
        for (const auto& item : *items) {
          if (isTask(item.second)) {
            currentTasks_.insert(item.second);
            addCandidate(item.second, false);
          }
        }
      }
    }
  } else if (registry == TaskRegistry::kScheduledAndEager) {
    if (auto sched = get("_scheduled_tasks")) {
      for (uint64_t t : weakSetItems(*sched, kMaxTasks)) addCandidate(t, false);
    }
    if (auto eager = get("_eager_tasks")) {
      if (auto items = objects_.setItems(*eager, kMaxTasks)) {
        for (uint64_t t : *items) addCandidate(t, true);
      }
    }
  }
  // Current tasks: loop -> task.
  if (auto cur = get("_current_tasks")) {
    if (auto items = objects_.dictItems(*cur, 4096)) {
      for (const auto& item : *items) {
        if (isTask(item.second)) {
          currentTasks_.insert(item.second);
          addCandidate(item.second, false);
        }
      }
    }
  }
}

// The per-version Task layout; 3.10 micro releases differ (fut_exception_tb), so the candidates
// decide: the layout under which the tasks' coroutine and name fields read as such wins.
void AioReader::chooseOffsets() {
  to_ = taskOffsets(minor_, false);
  if (minor_ != 10) return;
  auto score = [&](const TaskOffsets& o) {
    int ok = 0;
    size_t n = 0;
    for (const auto& [t, eager] : candidates_) {
      if (!isCTask(t)) continue;
      if (++n > 8) break;
      auto name = mem_.readPtr(t + static_cast<uint64_t>(o.name));
      auto coro = mem_.readPtr(t + static_cast<uint64_t>(o.coro));
      if (name && typeIs(*name, "str")) ++ok;
      if (coro && *coro && objects_.typeOf(*coro)) ++ok;
    }
    return ok;
  };
  TaskOffsets alt = taskOffsets(10, true);
  if (score(alt) > score(to_)) to_ = alt;
}

// ---------------------------------------------------------------------------------------------
// Loops

size_t AioReader::loopIndex(uint64_t loop) {
  auto it = loops_.find(loop);
  if (it != loops_.end()) return it->second.index;
  if (loops_.size() >= kMaxLoops) return SIZE_MAX;
  LoopInternal li;
  li.index = out_.loops.size();
  EventLoop l;
  l.address = loop;
  l.type = objects_.qualifiedTypeName(loop);
  out_.loops.push_back(std::move(l));
  auto& ref = loops_.emplace(loop, std::move(li)).first->second;
  readLoop(loop, ref);
  return ref.index;
}

void AioReader::findRunningLoops() {
  for (const auto& t : out_.threads) {
    uint64_t loop = 0;
    for (const auto& f : t.frames) {
      if (asyncioModuleOf(f.location.file) != "base_events") continue;
      const std::string& fn = f.location.function;
      if (fn == "run_forever" || fn == "_run_once" || fn == "run_until_complete") {
        loop = varAddr(f, "self");
        if (loop) break;
      }
    }
    if (!loop && o_.ts_asyncio_running_loop >= 0) {
      auto ts = tstateByIdent_.find(t.ident);
      if (ts != tstateByIdent_.end()) {
        loop = mem_.readPtr(ts->second + static_cast<uint64_t>(o_.ts_asyncio_running_loop)).value_or(0);
        if (loop && !objects_.typeOf(loop)) loop = 0;
      }
    }
    if (!loop) continue;
    size_t idx = loopIndex(loop);
    if (idx == SIZE_MAX) continue;
    if (out_.loops[idx].tid == 0) out_.loops[idx].tid = t.tid;
    if (o_.ts_asyncio_running_task >= 0) {
      auto ts = tstateByIdent_.find(t.ident);
      if (ts != tstateByIdent_.end()) {
        uint64_t running = mem_.readPtr(ts->second + static_cast<uint64_t>(o_.ts_asyncio_running_task)).value_or(0);
        if (running && isTask(running)) {
          currentTasks_.insert(running);
          addCandidate(running, false);
        }
      }
    }
  }
}

void AioReader::readLoop(uint64_t loop, LoopInternal& li) {
  EventLoop& l = out_.loops[li.index];
  auto readyObj = attr(loop, "_ready");
  auto scheduled = attr(loop, "_scheduled");
  auto selector = attr(loop, "_selector");
  if (!readyObj && !scheduled) {
    l.warnings.push_back("the loop's state could not be read (not a BaseEventLoop?)");
    return;
  }
  l.stateRead = true;
  if (auto s = attr(loop, "_stopping")) l.stopping = objects_.repr(*s) == "True";
  auto handleInfo = [&](uint64_t h, std::string& callback, uint64_t& self, std::vector<uint64_t>& args) {
    callback.clear();
    self = 0;
    args.clear();
    if (auto cb = attr(h, "_callback")) {
      if (auto c = sync_.callable(*cb)) {
        callback = c->name;
        self = c->self;
      } else {
        auto tn = objects_.typeOf(*cb);
        callback = tn ? (*tn)->name : "?";
        if (tn && (*tn)->name.find("MethWrapper") != std::string::npos) {
          // _asyncio.TaskStepMethWrapper / TaskWakeupMethWrapper: the task at +16.
          self = mem_.readPtr(*cb + 16).value_or(0);
          callback = (*tn)->name.find("Wakeup") != std::string::npos ? "task_wakeup" : "task_step";
        }
      }
    }
    if (auto a = attr(h, "_args")) {
      if (typeIs(*a, "tuple")) {
        if (auto items = objects_.tupleItems(*a, 8)) args = *items;
      }
    }
  };
  auto cancelled = [&](uint64_t h) {
    auto c = attr(h, "_cancelled");
    return c && objects_.repr(*c) == "True";
  };
  if (readyObj) {
    auto n = objects_.containerSize(*readyObj);
    auto items = objects_.dequeItems(*readyObj, kMaxReady);
    if (items) {
      for (uint64_t h : *items) {
        if (cancelled(h)) continue;
        ++l.readyCallbacks;
        std::string cb;
        uint64_t self = 0;
        std::vector<uint64_t> args;
        handleInfo(h, cb, self, args);
        if (self && isTask(self)) li.readyTasks.insert(self);
        if (auto cb = attr(h, "_callback")) {
          for (uint64_t f : closureFutures(*cb)) {
            if (l.threadsafeFutures.size() < 256) l.threadsafeFutures.push_back(f);
          }
        }
        if (l.ready.size() < kMaxReadyShown) {
          std::string d = cb.empty() ? objects_.repr(h) : cb + "()";
          if (self) d += fmt::format(" of {}", objects_.qualifiedTypeName(self));
          l.ready.push_back(d);
        }
      }
    } else if (n) {
      l.readyCallbacks = static_cast<size_t>(*n);
    }
  }
  if (scheduled) {
    if (auto items = objects_.listItems(*scheduled, kMaxTimers)) {
      for (uint64_t h : *items) {
        if (cancelled(h)) continue;
        TimerInfo ti;
        ti.handle = h;
        if (auto w = attr(h, "_when")) {
          auto tn = objects_.typeName(*w).value_or("");
          if (tn == "float") ti.when = objects_.readFloat(*w).value_or(0);
          else if (tn == "int") ti.when = static_cast<double>(objects_.readSmallInt(*w).value_or(0));
        }
        handleInfo(h, ti.callback, ti.callbackSelf, ti.args);
        ++l.timers;
        if (!l.nextTimer || ti.when < *l.nextTimer) l.nextTimer = ti.when;
        auto noteEarliest = [&](std::unordered_map<uint64_t, double>& m, uint64_t key) {
          auto [it, inserted] = m.emplace(key, ti.when);
          if (!inserted && ti.when < it->second) it->second = ti.when;
        };
        for (uint64_t arg : ti.args) {
          if (arg) noteEarliest(li.earliestByArg, arg);
        }
        if (ti.callbackSelf) {
          if (auto task = objects_.attr(ti.callbackSelf, "_task"); task && *task && *task != ti.callbackSelf) {
            noteEarliest(li.earliestByTimeoutTask, *task);
          }
        }
        li.timers.push_back(std::move(ti));
      }
    }
    if (l.nextTimer && out_.source == "live") l.nextTimerIn = *l.nextTimer - now_;
  }
  if (selector) {
    uint64_t ssock = attr(loop, "_ssock").value_or(0);
    auto fdToKey = attr(*selector, "_fd_to_key");
    if (fdToKey) {
      if (auto items = objects_.dictItems(*fdToKey, kMaxFds)) {
        for (const auto& [k, key] : *items) {
          auto fields = objects_.tupleItems(key, 4);  // SelectorKey(fileobj, fd, events, data)
          if (!fields || fields->size() < 4) continue;
          LoopFd fd;
          fd.fd = objects_.readSmallInt((*fields)[1]).value_or(objects_.readSmallInt(k).value_or(-1));
          int64_t events = objects_.readSmallInt((*fields)[2]).value_or(0);
          fd.read = events & 1;
          fd.write = events & 2;
          uint64_t fileobj = (*fields)[0];
          fd.wakeup = ssock && fileobj == ssock;
          li.fdOfFileobj[fileobj] = fd.fd;
          std::vector<uint64_t> allArgs;
          if (auto data = objects_.tupleItems((*fields)[3], 2)) {
            for (uint64_t h : *data) {
              if (!h || typeIs(h, "NoneType")) continue;
              std::string cb;
              uint64_t self = 0;
              std::vector<uint64_t> args;
              handleInfo(h, cb, self, args);
              if (fd.callback.empty()) fd.callback = cb;
              if (cb == "_read_from_self") fd.wakeup = true;
              // _PidfdChildWatcher: loop._add_reader(pidfd, self._do_wait, pid, pidfd, callback, args)
              if (cb == "_do_wait" && !args.empty()) fd.childPid = objects_.readSmallInt(args.front()).value_or(0);
              // _UnixWritePipeTransport watches its pipe for reading only to learn that the
              // readers closed it (a child's stdin, say).
              if (cb == "_read_ready" && self && typeIs(self, "_UnixWritePipeTransport")) fd.pipeWriteEnd = true;
              allArgs.insert(allArgs.end(), args.begin(), args.end());
              if (self) allArgs.push_back(self);
            }
          }
          if (fd.wakeup) fd.what = "the loop's own wake-up socket";
          else if (fd.childPid > 0) fd.what = fmt::format("the exit of child process {}", fd.childPid);
          else if (fd.callback == "_accept_connection") fd.what = "a listening socket";
          else if (fd.pipeWriteEnd) fd.what = "a pipe's write end, for its readers closing it";
          else if (fd.callback == "_read_ready") fd.what = "a connection, reading";
          else if (fd.callback == "_write_ready") fd.what = "a connection, writing";
          else fd.what = objects_.qualifiedTypeName(fileobj);
          li.fdArgs.emplace_back(fd, std::move(allArgs));
          l.fds.push_back(std::move(fd));
        }
      }
    }
  }
}

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

std::string AioReader::taskName(uint64_t nameObj) {
  if (!nameObj) return "";
  if (typeIs(nameObj, "str")) return objects_.readStr(nameObj, 256).value_or("?");
  if (typeIs(nameObj, "int")) {
    if (auto v = objects_.readSmallInt(nameObj)) return fmt::format("Task-{}", *v);
  }
  return objects_.repr(nameObj);
}

std::string AioReader::exceptionRepr(uint64_t exc) {
  if (!exc) return "";
  auto t = objects_.typeOf(exc);
  if (!t) return fmt::format("<exception at 0x{:x}>", exc);
  std::string name = (*t)->name;
  auto args = mem_.readPtr(exc + 24);  // PyBaseExceptionObject.args
  std::string inner;
  if (args && typeIs(*args, "tuple")) {
    if (auto items = objects_.tupleItems(*args, 4)) {
      for (size_t i = 0; i < items->size(); ++i) {
        if (i) inner += ", ";
        inner += objects_.repr((*items)[i]);
      }
    }
  }
  return name + "(" + inner + ")";
}

std::vector<uint64_t> AioReader::childrenOf(uint64_t container) {
  std::vector<uint64_t> out;
  if (!container) return out;
  auto tn = objects_.typeName(container).value_or("");
  Result<std::vector<uint64_t>> items = fail(ErrorKind::kImplausible, "not a container");
  if (tn == "list") items = objects_.listItems(container, kMaxChildren);
  else if (tn == "tuple") items = objects_.tupleItems(container, kMaxChildren);
  else if (tn == "set" || tn == "frozenset") items = objects_.setItems(container, kMaxChildren);
  else if (tn == "dict") {
    if (auto kv = objects_.dictItems(container, kMaxChildren)) {
      std::vector<uint64_t> keys;
      for (const auto& [k, v] : *kv) keys.push_back(k);
      items = keys;
    }
  }
  if (items) out = *items;
  return out;
}

ObjectKind AioReader::asyncKind(uint64_t obj) const {
  if (!obj) return ObjectKind::kUnknown;
  auto t = objects_.typeOf(obj);
  if (!t || (*t)->module == "builtins") return ObjectKind::kUnknown;
  auto it = kindByType_.find((*t)->address);
  if (it != kindByType_.end()) return it->second;
  ObjectKind kind = asyncKindUncached(obj);
  if (kindByType_.size() < 4096) kindByType_.emplace((*t)->address, kind);
  return kind;
}

ObjectKind AioReader::asyncKindUncached(uint64_t obj) const {
  if (isTask(obj)) return ObjectKind::kTask;
  if (objects_.isInstance(obj, "asyncio.locks", "Lock")) return ObjectKind::kAsyncLock;
  if (objects_.isInstance(obj, "asyncio.locks", "Event")) return ObjectKind::kAsyncEvent;
  if (objects_.isInstance(obj, "asyncio.locks", "Condition")) return ObjectKind::kAsyncCondition;
  if (objects_.isInstance(obj, "asyncio.locks", "Semaphore")) return ObjectKind::kAsyncSemaphore;
  if (objects_.isInstance(obj, "asyncio.locks", "Barrier")) return ObjectKind::kAsyncBarrier;
  if (objects_.isInstance(obj, "asyncio.queues", "Queue")) return ObjectKind::kAsyncQueue;
  if (objects_.isInstance(obj, "_asyncio", "Future") || objects_.isInstance(obj, "asyncio.futures", "Future")) {
    return ObjectKind::kAsyncFuture;
  }
  return ObjectKind::kUnknown;
}

void AioReader::addObject(uint64_t addr) {
  if (!addr || out_.objects.count(addr) || out_.objects.size() > 20000) return;
  ObjectKind kind = asyncKind(addr);
  if (kind == ObjectKind::kUnknown) {
    out_.objects[addr] = sync_.describe(addr);
    myObjects_.insert(addr);
    return;
  }
  SyncObject s;
  s.address = addr;
  s.kind = kind;
  s.type = objects_.qualifiedTypeName(addr);
  auto attrRepr = [&](const char* a) {
    if (auto v = objects_.attr(addr, a)) s.attrs[a] = objects_.repr(*v);
  };
  auto waitersOf = [&](uint64_t obj, const char* a) -> std::optional<int> {
    auto w = objects_.attr(obj, a);
    if (!w) return std::nullopt;
    auto tn = objects_.typeName(*w).value_or("");
    if (tn == "NoneType") return 0;
    if (tn == "deque" || tn == "list" || tn == "set") {
      if (auto n = tn == "set" ? mem_.readValue<int64_t>(*w + 24) : objects_.containerSize(*w)) {
        return static_cast<int>(std::clamp<int64_t>(*n, 0, 1 << 30));
      }
    }
    return std::nullopt;
  };
  switch (kind) {
    case ObjectKind::kAsyncLock:
      if (auto l = objects_.attr(addr, "_locked")) s.locked = objects_.repr(*l) == "True";
      s.waiters = waitersOf(addr, "_waiters");
      break;
    case ObjectKind::kAsyncSemaphore:
      attrRepr("_value");
      attrRepr("_bound_value");
      s.waiters = waitersOf(addr, "_waiters");
      if (auto v = objects_.attr(addr, "_value")) {
        if (auto n = objects_.readSmallInt(*v)) s.locked = *n <= 0;
      }
      break;
    case ObjectKind::kAsyncEvent:
      attrRepr("_value");
      s.waiters = waitersOf(addr, "_waiters");
      break;
    case ObjectKind::kAsyncCondition:
      s.underlyingLock = objects_.attr(addr, "_lock").value_or(0);
      s.waiters = waitersOf(addr, "_waiters");
      break;
    case ObjectKind::kAsyncBarrier:
      attrRepr("_parties");
      attrRepr("_count");
      attrRepr("_state");
      break;
    case ObjectKind::kAsyncQueue: {
      attrRepr("_maxsize");
      attrRepr("_unfinished_tasks");
      if (auto q = objects_.attr(addr, "_queue")) {
        if (auto n = objects_.containerSize(*q)) s.attrs["qsize"] = std::to_string(*n);
      }
      s.waiters = waitersOf(addr, "_getters");
      if (auto p = waitersOf(addr, "_putters")) s.attrs["putters"] = std::to_string(*p);
      break;
    }
    default: break;
  }
  uint64_t under = s.underlyingLock;
  out_.objects[addr] = std::move(s);
  myObjects_.insert(addr);
  if (under) addObject(under);
}

bool AioReader::matchStdlibFrame(const Frame& f, const std::string& module, TaskAwait& a) {
  const std::string& fn = f.location.function;
  uint64_t self = varAddr(f, "self");
  ObjectKind sk = self ? asyncKind(self) : ObjectKind::kUnknown;
  auto set = [&](const char* kind, uint64_t obj, std::string how) {
    a.kind = kind;
    a.object = obj;
    a.how = std::move(how);
    return true;
  };
  if (module == "locks") {
    if (fn == "__aenter__" || fn == "acquire") {
      std::string how = fn == "__aenter__" ? "async with" : "acquire()";
      if (sk == ObjectKind::kAsyncLock) return set("lock", self, how);
      if (sk == ObjectKind::kAsyncSemaphore) return set("semaphore", self, how);
      if (sk == ObjectKind::kAsyncCondition) return set("lock", objects_.attr(self, "_lock").value_or(self), how);
    }
    if ((fn == "wait" || fn == "wait_for") && sk == ObjectKind::kAsyncEvent) return set("event", self, "wait()");
    if ((fn == "wait" || fn == "wait_for") && sk == ObjectKind::kAsyncCondition) {
      return set("condition", self, fn + "()");
    }
    if (sk == ObjectKind::kAsyncBarrier && (fn == "wait" || fn == "_block" || fn == "_wait")) {
      return set("barrier", self, "wait()");
    }
    return false;
  }
  if (module == "queues" && sk == ObjectKind::kAsyncQueue && (fn == "get" || fn == "put" || fn == "join")) {
    return set("queue", self, fn + "()");
  }
  if (module == "tasks") {
    if (fn == "sleep") return set("sleep", a.future, "sleep()");
    if (fn == "wait" || fn == "_wait") {
      set("wait", a.future, "wait()");
      a.children = childrenOf(varAddr(f, "fs"));
      return true;
    }
    if (fn == "wait_for") {
      const Variable* t = findVar(f, "timeout");
      if (t && !typeIs(t->address, "NoneType")) a.hasTimeout = true;
      return false;  // what it waits for is decided further in
    }
    return false;
  }
  if (module == "taskgroups" && (fn == "__aexit__" || fn == "_aexit")) {
    set("taskgroup", self, "async with TaskGroup");
    a.children = childrenOf(objects_.attr(self, "_tasks").value_or(0));
    return true;
  }
  if (module == "streams") {
    if (fn == "_wait_for_data" || fn == "read" || fn == "readline" || fn == "readuntil" || fn == "readexactly") {
      set("io", self, fn + "()");
      a.detail = "reading from a stream";
      return true;
    }
    if (fn == "drain" || fn == "_drain_helper" || fn == "wait_closed") {
      set("io", self, fn + "()");
      a.detail = "writing to a stream";
      return true;
    }
    return false;
  }
  if (module == "selector_events" && fn.rfind("sock_", 0) == 0) {
    set("io", varAddr(f, "sock"), fn + "()");
    a.detail = fn;
    return true;
  }
  if (module == "base_events" && fn == "serve_forever") {
    set("io", self, "serve_forever()");
    a.detail = "serving: waiting for connections";
    return true;
  }
  if (module == "base_events" && (fn == "getaddrinfo" || fn == "getnameinfo" || fn == "shutdown_default_executor")) {
    return set("executor", a.future, fn + "()");
  }
  if (module == "threads" && fn == "to_thread") {
    return set("executor", a.future, "to_thread()");
  }
  if (module == "futures" && fn == "__await__" && self) {
    return set(isTask(self) ? "task" : "future", self, "await");
  }
  return false;
}

void AioReader::addTimers(const Task& task, TaskAwait& a, const LoopInternal* li) {
  if (!li) return;
  std::optional<double> when;
  if (a.future) {
    if (auto it = li->earliestByArg.find(a.future); it != li->earliestByArg.end()) when = it->second;
  }
  // asyncio.timeout(): the handle calls Timeout._on_timeout, and the Timeout knows its task.
  if (auto it = li->earliestByTimeoutTask.find(task.address); it != li->earliestByTimeoutTask.end()) {
    if (!when || it->second < *when) when = it->second;
  }
  if (!when) return;
  a.hasTimeout = true;
  a.when = when;
  if (out_.source == "live") a.firesIn = *when - now_;
}

void AioReader::addIo(TaskAwait& a, const LoopInternal* li, uint64_t sockOrTransport) {
  if (!li) return;
  // The selector key whose handle is called with this task's future (sock_recv & co).
  for (const auto& [fd, args] : li->fdArgs) {
    if (a.future && std::find(args.begin(), args.end(), a.future) != args.end()) {
      a.fd = fd.fd;
      return;
    }
  }
  if (!sockOrTransport) return;
  // A StreamReader's transport, a transport, a server or a socket.
  uint64_t obj = sockOrTransport;
  if (auto tr = objects_.attr(obj, "_transport")) obj = *tr;
  if (auto fdv = objects_.attr(obj, "_sock_fd")) {
    if (auto n = objects_.readSmallInt(*fdv)) {
      a.fd = *n;
      return;
    }
  }
  std::vector<uint64_t> socks;
  if (auto s = objects_.attr(obj, "_sock")) socks.push_back(*s);
  if (auto ss = objects_.attr(obj, "_sockets")) {
    for (uint64_t s : childrenOf(*ss)) socks.push_back(s);
  }
  if (socks.empty()) socks.push_back(obj);
  for (uint64_t s : socks) {
    auto it = li->fdOfFileobj.find(s);
    if (it != li->fdOfFileobj.end()) {
      a.fd = it->second;
      return;
    }
    if (objects_.isInstance(s, "_socket", "socket")) {
      if (auto fdv = mem_.readValue<int32_t>(s + 16)) {  // PySocketSockObject.sock_fd
        a.fd = *fdv;
        return;
      }
    }
  }
}

std::vector<uint64_t> AioReader::futureCallbacks(uint64_t fut) {
  std::vector<uint64_t> callbacks;
  if (to_.callback0 >= 0) {
    if (uint64_t cb0 = mem_.readPtr(fut + static_cast<uint64_t>(to_.callback0)).value_or(0)) callbacks.push_back(cb0);
  }
  uint64_t cbs = mem_.readPtr(fut + static_cast<uint64_t>(to_.callbacks)).value_or(0);
  if (!cbs || !typeIs(cbs, "list")) return callbacks;
  for (uint64_t item : childrenOf(cbs)) {
    if (!typeIs(item, "tuple")) {
      callbacks.push_back(item);
    } else if (auto items = objects_.tupleItems(item, 2); items && !items->empty()) {
      callbacks.push_back((*items)[0]);
    }
  }
  return callbacks;
}

std::vector<uint64_t> AioReader::closureFutures(uint64_t function) {
  std::vector<uint64_t> out;
  if (!typeIs(function, "function")) return out;
  const uint64_t closureOffset = minor_ <= 9 ? 48 : 72;  // PyFunctionObject.func_closure
  uint64_t closure = mem_.readPtr(function + closureOffset).value_or(0);
  if (!closure || !typeIs(closure, "tuple")) return out;
  auto cells = objects_.tupleItems(closure, 8);
  if (!cells) return out;
  for (uint64_t cell : *cells) {
    uint64_t v = mem_.readPtr(cell + 16).value_or(0);  // PyCellObject.ob_ref
    if (v && (typeFlagsOf(v) & kTypeIsConcurrentFuture)) out.push_back(v);
  }
  return out;
}

int64_t AioReader::workerOf(uint64_t callback) {
  if (workerOfFuture_.empty() || !typeIs(callback, "function")) return 0;
  const uint64_t closureOffset = minor_ <= 9 ? 48 : 72;  // PyFunctionObject.func_closure
  uint64_t closure = mem_.readPtr(callback + closureOffset).value_or(0);
  if (!closure || !typeIs(closure, "tuple")) return 0;
  auto cells = objects_.tupleItems(closure, 8);
  if (!cells) return 0;
  for (uint64_t cell : *cells) {
    uint64_t v = mem_.readPtr(cell + 16).value_or(0);  // PyCellObject.ob_ref
    auto it = workerOfFuture_.find(v);
    if (it != workerOfFuture_.end()) return it->second;
  }
  return 0;
}

TaskAwait AioReader::classify(const Task& task, uint64_t waiter, uint64_t leaf) {
  TaskAwait a;
  a.future = waiter;
  const auto& frames = task.frames;
  size_t n = frames.size();
  size_t runStart = n;
  while (runStart > 0 && !asyncioModuleOf(frames[runStart - 1].location.file).empty()) --runStart;
  a.frameIndex = n == 0 ? SIZE_MAX : (runStart > 0 ? runStart - 1 : 0);
  bool matched = false;
  for (size_t i = runStart; i < n && !matched; ++i) {
    matched = matchStdlibFrame(frames[i], asyncioModuleOf(frames[i].location.file), a);
  }
  if (!matched) {
    uint64_t target = waiter ? waiter : leaf;
    // 3.8-3.11 wait_for() awaits a private `waiter` future while the awaitable runs as the task
    // in its local `fut`: that task is what the caller waits for.
    for (size_t i = runStart; i < n; ++i) {
      if (frames[i].location.function != "wait_for" || asyncioModuleOf(frames[i].location.file) != "tasks") continue;
      uint64_t inner = varAddr(frames[i], "fut");
      if (inner && inner != waiter && isTask(inner)) target = inner;
    }
    if (target && isTask(target)) {
      a.kind = "task";
      a.object = target;
      a.how = "await";
    } else if (target && objects_.isInstance(target, "", "_GatheringFuture")) {
      a.kind = "gather";
      a.object = target;
      a.how = "gather()";
      a.children = childrenOf(objects_.attr(target, "_children").value_or(0));
    } else if (target) {
      a.kind = "future";
      a.object = target;
      a.how = "await";
      // A future chained to a concurrent.futures.Future (run_in_executor, wrap_future).
      for (uint64_t cb : futureCallbacks(target)) {
        if (auto c = sync_.callable(cb); c && c->name == "_call_check_cancel") {
          a.kind = "executor";
          a.detail = "a function running in another thread (run_in_executor / wrap_future)";
          a.workerTid = workerOf(cb);
          if (auto fs = closureFutures(cb); !fs.empty()) a.concurrentFuture = fs.front();
        }
      }
    } else if (task.state == "running") {
      a.kind = "running";
    } else {
      a.kind = "none";
    }
  }
  if (a.kind == "sleep" && a.object == 0) a.object = waiter;
  if (a.kind == "executor" && (!a.workerTid || !a.concurrentFuture) && waiter) {
    for (uint64_t cb : futureCallbacks(waiter)) {
      if (int64_t tid = workerOf(cb); tid && !a.workerTid) a.workerTid = tid;
      if (auto fs = a.concurrentFuture ? std::vector<uint64_t>{} : closureFutures(cb); !fs.empty())
        a.concurrentFuture = fs.front();
    }
  }
  return a;
}

void AioReader::readTask(uint64_t addr) {
  Task task;
  task.address = addr;
  uint64_t coro = 0, waiter = 0, loop = 0, nameObj = 0, exc = 0;
  int state = 0;
  if (isCTask(addr)) {
    auto rd = [&](int off) { return mem_.readPtr(addr + static_cast<uint64_t>(off)).value_or(0); };
    coro = rd(to_.coro);
    waiter = rd(to_.waiter);
    loop = rd(to_.loop);
    nameObj = to_.name >= 0 ? rd(to_.name) : 0;
    exc = rd(to_.exception);
    state = mem_.readValue<int32_t>(addr + static_cast<uint64_t>(to_.state)).value_or(-1);
    if (to_.awaitedBy >= 0) {
      uint64_t ab = rd(to_.awaitedBy);
      bool isSet = mem_.readValue<uint8_t>(addr + static_cast<uint64_t>(to_.awaitedByIsSet)).value_or(0) != 0;
      if (ab) {
        if (isSet) {
          if (auto items = objects_.setItems(ab, kMaxChildren)) cAwaitedBy_[addr] = *items;
        } else {
          cAwaitedBy_[addr] = {ab};
        }
      }
    }
  } else {
    coro = objects_.attr(addr, "_coro").value_or(0);
    waiter = objects_.attr(addr, "_fut_waiter").value_or(0);
    loop = objects_.attr(addr, "_loop").value_or(0);
    nameObj = objects_.attr(addr, "_name").value_or(0);
    exc = objects_.attr(addr, "_exception").value_or(0);
    std::string st = objects_.attr(addr, "_state") ? objects_.readStr(*objects_.attr(addr, "_state"), 32).value_or("") : "";
    state = st == "PENDING" ? 0 : st == "CANCELLED" ? 1 : st == "FINISHED" ? 2 : -1;
  }
  if (waiter && typeIs(waiter, "NoneType")) waiter = 0;
  if (exc && typeIs(exc, "NoneType")) exc = 0;
  task.name = taskName(nameObj);
  if (task.name.empty()) task.name = fmt::format("<task at 0x{:x}>", addr);
  task.state = state == 0 ? "pending" : state == 1 ? "cancelled" : state == 2 ? "finished" : "unknown";
  if (state == 0 && currentTasks_.count(addr)) task.state = "running";
  task.loop = loop;
  if (exc) task.exception = exceptionRepr(exc);
  task.awaits = waiter;
  if (isCTask(addr)) {
    // Done callbacks that complete a concurrent.futures.Future (run_coroutine_threadsafe).
    for (uint64_t cb : futureCallbacks(addr)) {
      for (uint64_t f : closureFutures(cb)) task.completesFutures.push_back(f);
    }
  }
  if (coro) {
    if (auto q = objects_.typeOf(coro)) {
      if ((*q)->module == "builtins" && ((*q)->name == "coroutine" || (*q)->name == "generator")) {
        auto qn = mem_.readPtr(coro + static_cast<uint64_t>(o_.gen_qualname));
        if (qn && *qn) task.coroutine = objects_.readStr(*qn, 256).value_or("");
      } else {
        task.coroutine = (*q)->name;
      }
    }
  }
  const LoopInternal* li = nullptr;
  if (loop) {
    size_t idx = loopIndex(loop);
    if (idx != SIZE_MAX) {
      task.tid = out_.loops[idx].tid;
      li = &loops_.at(loop);
    }
  }
  Chain chain;
  if (coro && (state == 0 || task.state == "running")) chain = coroutineChain(coro);
  for (auto& w : chain.warnings) task.warnings.push_back(std::move(w));
  for (const auto& link : chain.links) task.frames.push_back(makeFrame(link.raw));
  // A running task's coroutine is executing on its loop's thread: the rest of its stack (the
  // coroutines it called and what they call) is the end of that thread's traceback.
  if (task.state == "running" && task.tid && !task.frames.empty()) {
    for (const auto& th : out_.threads) {
      if (th.tid != task.tid) continue;
      const Frame& last = task.frames.back();
      for (size_t k = th.frames.size(); k-- > 0;) {
        const Frame& f = th.frames[k];
        if (f.location.file == last.location.file && f.location.function == last.location.function &&
            f.location.line == last.location.line) {
          for (size_t j = k + 1; j < th.frames.size() && task.frames.size() < kMaxChain; ++j) {
            task.frames.push_back(th.frames[j]);
          }
          break;
        }
      }
    }
  }
  // 3.11+: `async with cm:` pushes cm.__aexit__ before awaiting cm.__aenter__(), and the await's
  // own exception-table entry protects that slot: a frame awaiting __aenter__ does not hold cm yet.
  for (size_t i = 0; i + 1 < task.frames.size(); ++i) {
    if (task.frames[i + 1].location.function != "__aenter__") continue;
    uint64_t entering = varAddr(task.frames[i + 1], "self");
    auto& holds = task.frames[i].holds;
    for (size_t k = holds.size(); k-- > 0;) {
      if (holds[k].object == entering && holds[k].how == "async with") {
        holds.erase(holds.begin() + static_cast<long>(k));
        break;
      }
    }
  }
  // The i-th innermost `with` statement around the current line holds the i-th innermost exit.
  for (auto& f : task.frames) {
    std::vector<HeldObject*> withHolds;
    for (auto& h : f.holds) {
      if (h.how == "with" || h.how == "async with") withHolds.push_back(&h);
    }
    if (withHolds.empty()) continue;
    std::vector<int> withs = sources_.enclosingWiths(f.location.file, f.location.line);
    for (size_t k = 0; k < withHolds.size() && k < withs.size(); ++k) {
      withHolds[withHolds.size() - 1 - k]->line = withs[withs.size() - 1 - k];
    }
  }
  if (state == 0) {
    TaskAwait a = classify(task, waiter, chain.leaf);
    if (li && li->readyTasks.count(addr) && (a.kind == "none" || a.kind == "future")) {
      a.kind = "ready";
      a.detail = "scheduled to run (its next step is in the loop's ready queue)";
    }
    addTimers(task, a, li);
    if (a.kind == "io" || a.kind == "future") addIo(a, li, a.kind == "io" ? a.object : 0);
    if (a.kind == "future" && a.fd >= 0) a.kind = "io";
    if (a.object && a.kind != "none") addObject(a.object);
    if (a.kind == "condition" && a.object) {
      // Condition.wait() released the condition's lock until it is notified: not held now.
      uint64_t condLock = attr(a.object, "_lock").value_or(0);
      for (auto& f : task.frames) {
        f.holds.erase(std::remove_if(f.holds.begin(), f.holds.end(),
                                     [&](const HeldObject& h) { return h.object == a.object || h.object == condLock; }),
                      f.holds.end());
      }
    }
    for (uint64_t c : a.children) {
      if (isTask(c)) addCandidate(c, false);
    }
    if (a.frameIndex < task.frames.size() && a.kind != "none" && a.kind != "ready" && a.kind != "running") {
      WaitInfo w;
      w.op = a.kind == "lock" || a.kind == "semaphore" ? WaitOp::kAcquire
             : a.kind == "sleep"                       ? WaitOp::kSleep
             : a.kind == "io"                          ? WaitOp::kIo
             : a.kind == "queue"                       ? (a.how == "put()"    ? WaitOp::kQueuePut
                                                          : a.how == "join()" ? WaitOp::kQueueJoin
                                                                              : WaitOp::kQueueGet)
             : a.kind == "task"                        ? WaitOp::kJoin
                                                       : WaitOp::kWait;
      w.object = a.object;
      w.hasTimeout = a.hasTimeout;
      w.how = a.how;
      task.frames[a.frameIndex].waitsOn = w;
    }
    task.await = std::move(a);
  }
  // Holds of synchronisation objects only (not of a TaskGroup, a Timeout, a Runner ...).
  for (auto& f : task.frames) {
    for (const auto& h : f.holds) addObject(h.object);
    f.holds.erase(std::remove_if(f.holds.begin(), f.holds.end(),
                                 [&](const HeldObject& h) {
                                   auto it = out_.objects.find(h.object);
                                   return it == out_.objects.end() || it->second.kind == ObjectKind::kUnknown;
                                 }),
                  f.holds.end());
  }
  out_.tasks.push_back(std::move(task));
}

// ---------------------------------------------------------------------------------------------
// Names: module globals, then the tasks' coroutine frames (the awaiting task before the awaited,
// so that a lock passed down keeps its creator's name first), then the threads' frames.

void AioReader::nameObjects() {
  std::map<uint64_t, std::vector<std::string>> names;
  auto note = [&](uint64_t addr, const std::string& name) {
    if (!myObjects_.count(addr)) return;
    auto& v = names[addr];
    if (std::find(v.begin(), v.end(), name) == v.end() && v.size() < 8) v.push_back(name);
  };
  std::set<uint64_t> examined;
  auto attributePaths = [&](const std::string& base, uint64_t obj) {
    if (examined.size() >= kMaxNamedObjects || !examined.insert(obj).second) return;
    auto t = objects_.typeOf(obj);
    if (!t || (*t)->module == "builtins" || (*t)->module.empty()) return;
    for (const auto& [name, value] : objects_.attrs(obj, 64)) note(value, base + "." + name);
  };
  std::vector<uint64_t> dicts;
  if (auto mainDict = objects_.moduleDict("__main__")) dicts.push_back(*mainDict);
  for (uint64_t g : frameGlobals_) {
    if (std::find(dicts.begin(), dicts.end(), g) == dicts.end()) dicts.push_back(g);
  }
  for (uint64_t d : dicts) {
    auto items = objects_.dictItems(d, 4096);
    if (!items) continue;
    for (const auto& [k, v] : *items) {
      auto key = objects_.readStr(k, 128);
      if (!key || key->rfind("__", 0) == 0) continue;
      note(v, *key);
    }
  }
  // Tasks in await order: those nobody awaits first.
  std::vector<const Task*> order;
  for (const auto& t : out_.tasks) {
    if (t.awaitedBy.empty()) order.push_back(&t);
  }
  for (const auto& t : out_.tasks) {
    if (!t.awaitedBy.empty()) order.push_back(&t);
  }
  auto frameNames = [&](const Frame& f) {
    for (const auto* vars : {&f.arguments, &f.locals}) {
      for (const auto& v : *vars) {
        if (v.name != "self") note(v.address, v.name);
      }
    }
  };
  for (const Task* t : order) {
    for (const auto& f : t->frames) frameNames(f);
  }
  for (const auto& t : out_.threads) {
    for (const auto& f : t.frames) frameNames(f);
  }
  for (const Task* t : order) {
    for (const auto& f : t->frames) {
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) attributePaths(v.name, v.address);
      }
    }
  }
  for (uint64_t d : dicts) {
    auto items = objects_.dictItems(d, 4096);
    if (!items) continue;
    for (const auto& [k, v] : *items) {
      auto key = objects_.readStr(k, 128);
      if (!key || key->rfind("__", 0) == 0) continue;
      attributePaths(*key, v);
    }
  }
  for (auto& [addr, list] : names) {
    auto it = out_.objects.find(addr);
    if (it == out_.objects.end()) continue;
    for (const auto& n : list) {
      if (std::find(it->second.names.begin(), it->second.names.end(), n) == it->second.names.end()) {
        it->second.names.push_back(n);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A task that finished with an exception nobody retrieved is gone from memory, but asyncio logged
// "Task exception was never retrieved" with the task's repr, and the freed strings of that log
// record usually survive in the heap next to the program's objects. Read only when some lock is
// held by no pending task: windows around known objects, bounded in number and size.

void AioReader::findFinishedTasks() {
  std::set<uint64_t> chunks;
  auto addChunk = [&](uint64_t a) {
    if (a < (1u << 16)) return;
    uint64_t base = a & ~(kScanChunk - 1);
    chunks.insert(base);
  };
  for (const auto& t : out_.tasks) addChunk(t.address);
  for (const auto& [addr, o] : out_.objects) addChunk(addr);
  for (const auto& l : out_.loops) addChunk(l.address);
  for (const auto& t : out_.tasks) {
    for (const auto& f : t.frames) {
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) addChunk(v.address);
      }
    }
  }
  // Neighbouring windows too (arenas are allocated next to each other), nearest first.
  std::vector<uint64_t> order(chunks.begin(), chunks.end());
  for (uint64_t c : std::vector<uint64_t>(order)) {
    for (uint64_t n : {c - kScanChunk, c + kScanChunk}) {
      if (!chunks.count(n)) {
        chunks.insert(n);
        order.push_back(n);
      }
    }
  }
  if (order.size() > kMaxScanChunks) order.resize(kMaxScanChunks);
  static constexpr std::string_view kNeedle = "<Task finished name=";
  constexpr size_t kBlock = 64 * 1024, kPage = 4096, kMaxText = 2048;
  std::set<std::string> seen;
  std::vector<uint8_t> buf(kBlock);
  auto textAt = [&](uint64_t addr) {
    std::string s;
    auto bytes = mem_.readBytes(addr, kMaxText);
    if (!bytes) {
      // Near the end of a mapping: read what the page allows.
      size_t avail = kPage - (addr & (kPage - 1));
      bytes = mem_.readBytes(addr, std::min(avail, kMaxText));
      if (!bytes) return s;
    }
    for (uint8_t c : *bytes) {
      if (c == 0 || c == '\n') break;
      if (c < 0x20 || c >= 0x7f) break;
      s.push_back(static_cast<char>(c));
    }
    return s;
  };
  for (uint64_t chunk : order) {
    for (uint64_t block = chunk; block < chunk + kScanChunk; block += kBlock) {
      std::vector<std::pair<uint64_t, size_t>> pieces;
      if (mem_.read(block, buf.data(), kBlock)) {
        pieces.emplace_back(block, kBlock);
      } else {
        for (uint64_t p = block; p < block + kBlock; p += kPage) {
          if (mem_.read(p, buf.data() + (p - block), kPage)) pieces.emplace_back(p, kPage);
        }
      }
      for (const auto& [start, len] : pieces) {
        const char* base = reinterpret_cast<const char*>(buf.data() + (start - block));
        std::string_view hay(base, len);
        size_t pos = 0;
        while ((pos = hay.find(kNeedle, pos)) != std::string_view::npos) {
          std::string text = textAt(start + pos);
          pos += kNeedle.size();
          if (text.empty() || !seen.insert(text).second || seen.size() > 64) continue;
          Task t;
          if (!parseFinishedTaskRepr(text, t)) continue;
          bool dup = false;
          for (const auto& e : out_.tasks) {
            dup |= e.address == 0 && e.name == t.name && e.coroutine == t.coroutine && e.exception == t.exception;
          }
          if (dup) continue;
          t.evidence = "asyncio logged \"Task exception was never retrieved\" for it";
          t.acquireLines = sources_.linesInFunction(t.definedAt.file, t.definedAt.line, ".acquire(");
          if (!t.acquireLines.empty()) {
            Frame f;
            f.location = t.definedAt;
            f.location.line = t.acquireLines.front();
            f.qualname = f.location.function;
            f.sourceLine = sources_.line(f.location.file, f.location.line);
            t.frames.push_back(std::move(f));
          }
          out_.tasks.push_back(std::move(t));
        }
      }
    }
  }
}

void AioReader::run() {
  if (!objects_.moduleDict("asyncio")) return;  // never imported: no tasks
  now_ = monotonicNow();
  collectThreadStates();
  to_ = taskOffsets(minor_, false);
  discoverTasks();
  chooseOffsets();
  findRunningLoops();
  // Executor workers: thread -> the concurrent.futures.Future of the work item it runs.
  for (const auto& t : out_.threads) {
    for (const auto& f : t.frames) {
      if (f.location.function != "run" || !endsWith(f.location.file, "/concurrent/futures/thread.py")) continue;
      if (uint64_t item = varAddr(f, "self")) {
        if (auto fut = objects_.attr(item, "future")) workerOfFuture_[*fut] = t.tid;
      }
    }
  }
  // Read tasks; gather/TaskGroup children not in the registries are added as they are found.
  // (Reserved: a Task is copied, not moved, when the vector grows.)
  out_.tasks.reserve(out_.tasks.size() + std::min(candidates_.size() + 64, kMaxTasks));
  for (size_t i = 0; i < candidates_.size() && i < kMaxTasks; ++i) {
    readTask(candidates_[i].first);
    out_.tasks.back().eager = candidates_[i].second;
  }
  if (candidates_.size() >= kMaxTasks) {
    out_.warnings.push_back(fmt::format("asyncio: more than {} tasks; the rest are not shown", kMaxTasks));
  }
  // Who awaits whom.
  std::unordered_map<uint64_t, size_t> byAddr;
  for (size_t i = 0; i < out_.tasks.size(); ++i) byAddr[out_.tasks[i].address] = i;
  std::set<std::pair<uint64_t, uint64_t>> linked;
  auto link = [&](uint64_t awaited, uint64_t by) {
    auto it = byAddr.find(awaited);
    if (it == byAddr.end() || awaited == 0 || by == 0) return;
    auto& v = out_.tasks[it->second].awaitedBy;
    if (v.size() < kMaxChildren && linked.insert({awaited, by}).second) v.push_back(by);
  };
  for (const auto& t : out_.tasks) {
    if (!t.await) continue;
    if (t.await->kind == "task") link(t.await->object, t.address);
    for (uint64_t c : t.await->children) link(c, t.address);
  }
  for (const auto& [task, by] : cAwaitedBy_) {
    for (uint64_t b : by) {
      if (isTask(b)) link(task, b);
    }
  }
  // Sort: by loop thread, then by task number ("Task-12" after "Task-2"), then by name.
  // (As std::stoll did: leading digits after "Task-"; none, or too many, sorts last.)
  auto number = [](const std::string& name) -> int64_t {
    if (name.rfind("Task-", 0) != 0) return INT64_MAX;
    int64_t n = 0;
    size_t i = 5;
    for (; i < name.size() && i < 5 + 18 && std::isdigit(static_cast<unsigned char>(name[i])); ++i) n = n * 10 + (name[i] - '0');
    return i == 5 ? INT64_MAX : n;
  };
  {
    std::vector<std::pair<int64_t, size_t>> keys;
    keys.reserve(out_.tasks.size());
    for (size_t i = 0; i < out_.tasks.size(); ++i) keys.emplace_back(number(out_.tasks[i].name), i);
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return out_.tasks[a.second].name < out_.tasks[b.second].name;
    });
    std::vector<Task> sorted;
    sorted.reserve(out_.tasks.size());
    for (const auto& k : keys) sorted.push_back(std::move(out_.tasks[k.second]));
    out_.tasks = std::move(sorted);
  }
  nameObjects();
  // Locks some task waits for that no pending task holds: look for finished tasks.
  std::unordered_set<uint64_t> heldByTasks;
  for (const auto& o : out_.tasks) {
    for (const auto& f : o.frames) {
      for (const auto& h : f.holds) heldByTasks.insert(h.object);
    }
  }
  bool orphanLock = false;
  for (const auto& t : out_.tasks) {
    if (!t.await || (t.await->kind != "lock" && t.await->kind != "semaphore") || !t.await->object) continue;
    auto it = out_.objects.find(t.await->object);
    if (it == out_.objects.end() || !it->second.locked.value_or(false)) continue;
    orphanLock |= !heldByTasks.count(t.await->object);
  }
  if (orphanLock) findFinishedTasks();
}

}  // namespace

bool parseFinishedTaskRepr(const std::string& text, Task& out) {
  static constexpr std::string_view kStart = "<Task finished name=";
  auto p = text.find(kStart);
  if (p == std::string::npos) return false;
  p += kStart.size();
  if (p >= text.size() || (text[p] != '\'' && text[p] != '"')) return false;
  char q = text[p++];
  std::string name;
  while (p < text.size() && text[p] != q) {
    if (text[p] == '\\' && p + 1 < text.size()) ++p;
    name.push_back(text[p++]);
  }
  if (p >= text.size()) return false;
  ++p;
  static constexpr std::string_view kCoro = " coro=<";
  if (text.compare(p, kCoro.size(), kCoro) != 0) return false;
  p += kCoro.size();
  auto paren = text.find("() ", p);
  if (paren == std::string::npos) return false;
  std::string coro = text.substr(p, paren - p);
  static constexpr std::string_view kDefined = "defined at ";
  auto def = text.find(kDefined, paren);
  auto close = text.find("> ", paren);
  if (close == std::string::npos) return false;
  if (def != std::string::npos && def < close) {
    std::string loc = text.substr(def + kDefined.size(), close - def - kDefined.size());
    auto colon = loc.rfind(':');
    if (colon != std::string::npos) {
      out.definedAt.file = loc.substr(0, colon);
      try {
        out.definedAt.line = std::stoi(loc.substr(colon + 1));
      } catch (...) {
        out.definedAt.line = 0;
      }
    } else {
      out.definedAt.file = loc;
    }
  }
  static constexpr std::string_view kExc = " exception=";
  auto e = text.find(kExc, close);
  if (e == std::string::npos || text.empty() || text.back() != '>') return false;
  out.name = name;
  out.coroutine = coro;
  out.definedAt.function = coro.substr(coro.rfind('.') == std::string::npos ? 0 : coro.rfind('.') + 1);
  out.exception = text.substr(e + kExc.size(), text.size() - 1 - e - kExc.size());
  out.state = "finished";
  out.address = 0;
  return !out.name.empty();
}

void readAsyncio(const AsyncioInputs& in, Process& out) {
  AioReader reader(in, out);
  reader.run();
}

}  // namespace pyhang::cpython
