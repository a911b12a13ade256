// Plain data in the middle: what was read from the target, with no behaviour.
// Readers fill it, the analysis reads it and adds a Diagnosis, renderers print it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pyhang {

struct SourceLocation {
  std::string file;
  int line = 0;  // 0 when unknown
  std::string function;
};

struct Variable {
  std::string name;
  std::string repr;       // rendered value, bounded
  uint64_t address = 0;   // object address (0 for NULL / unbound)
  std::string type;       // tp_name
  bool isArgument = false;
};

// A synchronisation object (or thread/process/task handle) the analysis reasons about.
enum class ObjectKind {
  kUnknown,
  kLock,              // _thread.lock
  kRLock,             // _thread.RLock
  kCondition,         // threading.Condition
  kSemaphore,         // threading.Semaphore / BoundedSemaphore
  kEvent,             // threading.Event
  kBarrier,           // threading.Barrier
  kQueue,             // queue.Queue and subclasses
  kThread,            // threading.Thread (join target)
  kThreadHandle,      // _thread._ThreadHandle (3.13+)
  kFuture,            // concurrent.futures.Future
  kSemLock,           // _multiprocessing.SemLock (shared between processes)
  kMpLock,            // multiprocessing.synchronize.Lock / RLock / Semaphore ... (wraps a SemLock)
  kProcess,           // multiprocessing Process / subprocess.Popen (join target)
  // --- asyncio: appended, keep at the end ---
  kAsyncLock,         // asyncio.Lock
  kAsyncEvent,        // asyncio.Event
  kAsyncCondition,    // asyncio.Condition
  kAsyncSemaphore,    // asyncio.Semaphore / BoundedSemaphore
  kAsyncQueue,        // asyncio.Queue and subclasses
  kAsyncBarrier,      // asyncio.Barrier (3.11+)
  kTask,              // asyncio.Task
  kAsyncFuture,       // asyncio.Future (and _GatheringFuture)
  // --- multiprocessing managers: appended ---
  kManagerLock,       // a multiprocessing.Manager().Lock() proxy (the lock lives in the manager's server)
  kImportLock,        // importlib's _ModuleLock: held by the thread importing the module
  // The lock of a buffered binary stream (_io.BufferedWriter/Reader/Random, the buffer under
  // sys.stdout or an open() file): taken in C around every write, read and flush, its owner
  // recorded. A thread that forks while another one holds it leaves it locked in the child.
  kIoBuffer,
};

const char* objectKindName(ObjectKind kind);

struct SyncObject {
  uint64_t address = 0;
  ObjectKind kind = ObjectKind::kUnknown;
  std::string type;                 // tp_name as read
  std::vector<std::string> names;   // program names: "lock_a", "self.mutex", "second_lock"
  size_t globalNameCount = 0;       // names[0..globalNameCount) come from module globals
  // Lock state, when it could be read.
  std::optional<bool> locked;
  std::optional<int> waiters;       // sem_t nwaiters, or 1 when PyMutex has parked waiters
  bool waitersIsABit = false;       // `waiters` is a PyMutex's "has parked waiters" bit: 1 means one or more
  std::optional<uint64_t> ownerIdent;   // RLock owner (thread ident), 0 when unowned
  std::optional<uint64_t> count;        // RLock recursion count
  // For kIoBuffer: the address of its PyThread lock, the futex word its waiters sleep on (a
  // sem_t up to 3.14); from 3.15 a PyMutex byte, whose waiters park elsewhere.
  uint64_t lockWord = 0;
  // The lock that guards a Condition/Semaphore/Event/Barrier/Queue (its Condition's lock).
  uint64_t underlyingLock = 0;
  // For kThread / kThreadHandle: the thread it stands for. For a kLock: set when it is a
  // thread's tstate lock, which that thread holds until it exits (join() waits for it).
  std::optional<uint64_t> threadIdent;
  std::optional<bool> threadAlive;
  std::string threadName;
  // For kSemLock: the semaphore's identity across processes ("/dev/shm/sem.x:offset"), its
  // value and kind; ownerIdent/count are this process's (count > 0: this process holds it).
  std::string sharedKey;
  std::optional<int64_t> semValue;
  bool recursive = false;
  // For kProcess: the process waited for.
  int64_t pid = 0;
  // The lock of a functools.cached_property (3.8 to 3.11: one RLock per property, shared by
  // every instance, held while a getter runs): the property's qualified name ("Connection.settings").
  std::string cachedProperty;
  // For kSemaphore: current value; for kBarrier: parties / count; for kQueue: item count/maxsize.
  std::map<std::string, std::string> attrs;
};

// A multiprocessing SemLock that counts more than one permit (a Semaphore, a BoundedSemaphore of
// 2 or more, a bounded Queue's slots): no owner, any process may release it. False for a Lock
// (a semaphore of one), an RLock, or when its kind could not be read.
bool isCountingSemLock(const SyncObject& o);

// How a frame relates to a sync object.
enum class WaitOp {
  kNone,
  kAcquire,      // lock.acquire() or entering `with lock:`
  kWait,         // Condition.wait / Event.wait / Barrier.wait
  kJoin,         // Thread.join
  kQueueGet,
  kQueuePut,
  kQueueJoin,
  kFutureResult,
  kSleep,
  kIo,
  kPipeWrite,    // blocked writing into a full pipe (live: from the kernel); object = pipe inode
  kPipeRead,     // blocked reading a pipe or Unix socket (live); object = the inode writers hold
  kFileLock,     // blocked taking a file lock (flock, lockf; live); object = the file's inode
};

const char* waitOpName(WaitOp op);

struct WaitInfo {
  WaitOp op = WaitOp::kNone;
  uint64_t object = 0;          // address of the SyncObject waited on
  bool hasTimeout = false;      // a finite timeout was passed
  bool certain = true;          // false when inferred heuristically
  // The wait may be over already and a single snapshot cannot tell: 3.13+ hands a put() item
  // straight to a parked SimpleQueue.get(), leaving the queue empty while the getter wakes.
  bool mayBeOver = false;
  // Condition.wait whose waiter lock is no longer in the Condition's _waiters: notify() has
  // released it, so the thread is waking up and will next re-acquire the Condition's lock.
  bool notified = false;
  int64_t targetPid = 0;        // kJoin on a process: the pid waited for
  std::string how;              // "with", "acquire()", "join()" ...
};

struct HeldObject {
  uint64_t object = 0;
  std::string how;              // "with", "async with", "owner" (RLock), "thread" (tstate lock)
  int line = 0;                 // line of the `with` statement in the holding frame, 0 if unknown
  // Held through the program's own context manager (a wrapper whose source takes and releases
  // this lock): counts only while the lock is locked and no other thread is known to hold it.
  bool throughWrapper = false;
  // An acquire() inferred from the source that may not have run or may have been undone (under
  // an `if`, followed by a release by another name): decides nothing while anything else could.
  bool doubtful = false;
};

struct Frame {
  enum class Kind { kPython, kNative, kMarker };
  Kind kind = Kind::kPython;
  SourceLocation location;
  std::string qualname;
  std::string sourceLine;       // the text of `line` when the file is readable
  std::string marker;           // for kMarker: "garbage collection", "signal handler"
  bool isEntry = false;         // first frame run by a C-level eval loop invocation
  std::vector<Variable> arguments;
  std::vector<Variable> locals;
  // Evidence for the analysis, filled by the reader.
  std::vector<HeldObject> holds;          // context managers this frame holds through `with`
  // Names this frame's own variables give to synchronisation objects ("other.lock").
  std::vector<std::pair<uint64_t, std::string>> objectNames;
  std::optional<WaitInfo> waitsOn;         // what this frame's call in progress waits for
  // Native frames.
  uint64_t pc = 0;
  std::string library;
  bool inlined = false;
};

struct Thread {
  int64_t tid = 0;              // kernel thread id (ps -L)
  uint64_t ident = 0;           // threading.get_ident() == pthread_t
  std::string name;             // threading name, or "" when unknown
  bool isMain = false;
  bool holdsGil = false;
  bool gcCollecting = false;
  bool waitingForGil = false;
  std::string kernelState;      // "S (sleeping)", from /proc when live; "R" in a core for a
                                // thread caught outside any system call (executing code)
  std::string wchan;
  // Live: the pipe this thread is blocked writing into because it is full (the kernel's wait
  // channel and the fd of its write(2)): the pipe's inode, 0 when none, and the thread's fd.
  uint64_t writingPipe = 0;
  int64_t writingPipeFd = -1;
  bool writingOutsideReader = false;  // a process outside this report holds a read end too (it may read)
  bool writingSocket = false;         // writingPipe is a socket peer's inode (socketpair, Pipe(), TCP)
  bool sleepingInSelect = false;   // live: in select()/poll() on no file descriptor (a sleep)
  // Live, blocked reading a pipe or a connected Unix socket (read(2), recv...): the inode whose
  // holders could write to it (the pipe; the socket's peer), its fd, and whether a process
  // outside this report holds that end too (then it could write: the read is not stuck).
  // A Unix connection not accepted yet has no inode on the other end: then readingFrom is the
  // reader's own inode with kUnacceptedEnd set, and the processes holding the listening sockets
  // that could accept it hold that key among their writeEnds.
  static constexpr uint64_t kUnacceptedEnd = uint64_t{1} << 62;
  uint64_t readingFrom = 0;
  int64_t readingFd = -1;
  bool readingFromPipe = false;
  bool readingOutsideWriter = false;
  // Live, a thread asleep in a system call other than a futex: what it waits for, in words
  // ("waits to read from TCP socket 127.0.0.1:41234 -> 127.0.0.1:5000 (fd 3)"), and its kind:
  // io, accept, sleep, signal, child, poll, other.
  std::string kernelWaitKind;
  bool kernelWaitNoTimeout = false;  // live: in poll, select or epoll_wait with no timeout
  int64_t waitingForChild = 0;  // live: in wait4() for this child (os.waitpid); -1: any child, all in the report
  // Live, blocked taking a file lock (flock(), lockf()): the file as /proc/locks keys it
  // ("fe:00:10953453"), its path, the call and the fd; the processes holding the lock; and
  // whether a holder could be outside this report (then it may release it).
  std::string fileLockKey;
  std::string fileLockPath;
  std::string fileLockCall;     // "an exclusive flock()"
  int64_t fileLockFd = -1;
  std::vector<int64_t> fileLockHolders;
  std::vector<std::pair<int64_t, std::string>> fileLockOtherHolders;  // pid, command: not in the report
  bool fileLockOutsideHolder = false;
  bool fileLockGone = false;    // the lock changed hands (or it stopped waiting) while pyhang looked
  std::string kernelWait;
  // Live, blocked in poll(2): the descriptors it polls. In Popen.communicate(), the other
  // processes that hold the write end of a polled pipe (pid, command): the child, or when it has
  // exited, whatever keeps its output open (a `sleep 600 &` it started).
  std::vector<int64_t> polledFds;
  std::vector<std::pair<int64_t, std::string>> outputPipeWriters;
  // What the thread is doing, one word (running, waiting, sleeping, io, signal, native,
  // deadlocked, stuck-behind, idle, unknown), and in words; set by the analysis.
  std::string state;
  std::string stateDetail;
  // A ProcessPoolExecutor worker process's thread running a work item: its work id, else -1.
  int64_t poolWorkId = -1;
  int interpreterId = 0;
  std::vector<Frame> frames;    // outermost first
  std::vector<std::string> warnings;
  bool droppingGil = false;     // drop_gil on the native stack
  bool nativeOnly = false;      // an OS thread with no Python thread state (a C thread)
  std::vector<Frame> nativeFrames;   // innermost first; merged into `frames` after the analysis
  bool nativeTruncated = false;      // its outermost native frames were not unwound (too many)
  // Live: a second look through /proc a moment after the snapshot (the target is not stopped
  // again), taken only for the threads a finding depends on. Unset: not looked at.
  std::optional<bool> ranAfter;      // it ran, or its kernel state or system call changed
  std::string stateAfter;            // its kernel state letter at that look
  // Live: where it was when pyhang stopped the threads, from its registers: "blocked" in a
  // waiting system call, "returned" from one (just woken), "running"; "" unknown. (A core's
  // threads are marked running from their registers by the core's own second look, gil_waits.)
  std::string atStop;
  // Live, "blocked" at the stop: the system call a thread still blocked a moment later is in
  // again (its number, 219 restart_syscall for a wait with a timeout, and first argument).
  std::optional<std::pair<int64_t, uint64_t>> stopCall;
  // Blocked in futex(2) at the stop (live) or in the core: the futex word's address, else 0.
  uint64_t futexAddress = 0;
};

// --- asyncio ---------------------------------------------------------------------
// What a task is suspended on.
struct TaskAwait {
  // task, future, lock, event, condition, semaphore, barrier, queue, sleep, io, gather, wait,
  // taskgroup, executor, ready (scheduled to run), running, none
  std::string kind;
  uint64_t object = 0;               // the task / future / primitive awaited (0 when none)
  uint64_t future = 0;               // the future the task's next step waits for (fut_waiter)
  std::string how;                   // "acquire()", "wait()", "get()", "join()", "await", ...
  std::vector<uint64_t> children;    // gather / wait / TaskGroup: what is awaited together
  size_t frameIndex = SIZE_MAX;      // program frame (index into Task::frames) that awaits
  bool hasTimeout = false;           // a timer ends the wait (sleep, asyncio.timeout, wait_for)
  std::optional<double> when;        // loop.time() at which that timer fires
  std::optional<double> firesIn;     // seconds from the snapshot (live processes only)
  int64_t fd = -1;                   // io: the file descriptor
  int64_t workerTid = 0;             // executor: the thread running the function (0: unknown)
  uint64_t concurrentFuture = 0;     // executor: the concurrent.futures.Future it is chained to
  std::string detail;                // extra words for humans ("socket fd 7", "0 items")
};

struct Task {
  uint64_t address = 0;         // 0: a finished task known only from evidence (see `evidence`)
  std::string name;
  std::string state;            // pending, running, cancelled, finished
  std::vector<Frame> frames;    // coroutine stack, outermost first
  uint64_t awaits = 0;          // task/future address awaited
  // asyncio
  std::string coroutine;        // qualified name of the task's coroutine
  uint64_t loop = 0;            // its event loop
  int64_t tid = 0;              // kernel tid of the thread running that loop, 0 when none
  bool eager = false;           // an eager task (3.12+)
  std::optional<TaskAwait> await;
  std::vector<uint64_t> awaitedBy;     // tasks awaiting it (directly, or through gather/TaskGroup)
  std::string exception;        // finished with an exception: its repr
  std::string evidence;         // address == 0: where pyhang learnt about the task
  SourceLocation definedAt;     // address == 0: where its coroutine function is defined
  std::vector<int> acquireLines;  // address == 0: lines of its coroutine calling acquire()
  std::vector<uint64_t> completesFutures;  // concurrent.futures.Future objects set when it finishes
                                          // (run_coroutine_threadsafe, wrap_future chains)
  std::vector<std::string> warnings;
};

// A file descriptor an event loop's selector watches.
struct LoopFd {
  int64_t fd = -1;
  bool read = false, write = false;
  bool wakeup = false;          // the loop's own self-pipe / socketpair
  std::string callback;         // "_accept_connection", "_read_ready", ...
  std::string what;             // "listening socket", "socket", ...
  int64_t childPid = 0;         // a watch for this child's exit (asyncio's pidfd child watcher)
  bool pipeWriteEnd = false;    // a write pipe transport's end, watched for its readers closing it
  // Live, a watch for reading a socketpair, a local TCP connection or a pipe whose other end
  // only this process holds (no other process, no C thread, no descriptor in flight): that end's
  // fd here. Only this process's tasks and threads can ever make it readable. -1: not known.
  int64_t peerFd = -1;
};

struct EventLoop {
  uint64_t address = 0;
  std::string type;             // "_UnixSelectorEventLoop"
  int64_t tid = 0;              // thread running it (0: not running)
  bool stateRead = false;       // the fields below could be read
  bool stopping = false;
  size_t readyCallbacks = 0;
  std::vector<std::string> ready;       // the ready callbacks, described (capped)
  size_t timers = 0;                    // scheduled, not cancelled
  std::optional<double> nextTimer;      // loop.time() of the earliest timer
  std::optional<double> nextTimerIn;    // seconds from the snapshot (live)
  std::vector<LoopFd> fds;
  // concurrent.futures.Future objects that a callback waiting in the ready queue will complete
  // (run_coroutine_threadsafe submitted from another thread, not started yet).
  std::vector<uint64_t> threadsafeFutures;
  std::vector<std::string> warnings;
};
// --- end asyncio -----------------------------------------------------------------------------

// A Python-level signal handler the program installed (signal.signal), read from the target.
struct SignalHandler {
  int signo = 0;
  std::string name;             // "SIGTERM"
  std::string handler;          // the callable's qualified name ("Daemon.on_term")
  SourceLocation where;         // where a Python function handler is defined (line: its def)
};

struct PythonInfo {
  int major = 0, minor = 0, micro = 0;
  std::string versionString;    // "3.12.1"
  std::string library;          // file holding _PyRuntime
  bool usedDebugOffsets = false;
  bool staticBuild = false;
};

struct Process {
  int64_t pid = 0;
  int64_t ppid = 0;
  // Live: ppid when this process is a copy of its parent made by fork() and not replaced by
  // exec() (its stack is mapped where the parent's is; exec places it at a random address).
  int64_t forkOf = 0;
  std::string commandLine;
  std::vector<std::string> argv;   // sys.argv as the program sees it, when readable
  // The directory the program started in, when its main script's path is relative (3.6-3.8
  // record it so): from sys.path[0] and __main__.__file__. Relative source paths are tried
  // under it when they cannot be opened otherwise (a core read from another directory).
  std::string startDirectory;
  std::string executable;
  std::string source;           // "live" or "core"
  std::string corePath;         // a core: the file it was read from
  // A core: when its file was last written (mtime, ns since the epoch), inside the stop that
  // took it, so the order of several cores is the order of the moments they show; 0: unknown.
  int64_t coreWrittenNs = 0;
  std::string name;             // multiprocessing name, when known
  PythonInfo python;
  // Where each interpreter's GIL state (struct _gil_runtime_state) is, when known: a thread
  // blocked on a futex inside it waits for the GIL (read from a core's registers).
  std::vector<uint64_t> gilStates;
  std::vector<Thread> threads;  // in the order of the interpreter's list: newest first
  std::vector<Task> tasks;
  std::vector<EventLoop> loops;   // asyncio event loops
  std::map<uint64_t, SyncObject> objects;   // sync objects seen, by address
  // Threads that threading knows about (threading._active) whose OS thread is gone
  // or that are not in the thread list: ident -> name.
  std::map<uint64_t, std::string> knownThreadNames;
  // Thread objects the program still references whose thread has exited: ident -> name.
  std::map<uint64_t, std::string> exitedThreads;
  // Child processes the program knows (multiprocessing Process / subprocess Popen objects).
  struct Child {
    int64_t pid = 0;
    std::string name;
    std::optional<int> returncode;  // as Python's returncode: the exit code, or -N for signal N
    std::string state;          // live: "running", "zombie" (exited, not reaped), "exited" or "unknown"
  };
  std::vector<Child> children;
  bool isPython = true;         // false: a process shown with its /proc state only
  char kernelState = 0;         // live: /proc state of the process (Z: exited, not reaped)
  double stopMilliseconds = 0;  // how long the target was stopped
  // Live, read only when some thread of the snapshot is blocked writing into a pipe: the pipes
  // this process has open for reading (inode -> its fd).
  std::map<uint64_t, int64_t> pipeReadEnds;
  // Live, when a thread is blocked reading a pipe or socket: the ends this process could write
  // through (pipe write ends by pipe inode, sockets by socket inode) -> fd.
  std::map<uint64_t, int64_t> writeEnds;
  // Live, when a thread waits for a file lock: the file locks this process holds (the file as
  // /proc/locks keys it -> the descriptor holding it).
  std::map<std::string, int64_t> heldFileLocks;
  // concurrent.futures waiters (of wait() and as_completed()) installed on a future still queued
  // in a ThreadPoolExecutor: waiter -> that executor's work queue.
  std::map<uint64_t, uint64_t> waitersQueuedIn;
  // Futures whose work item is still queued (pending) in a ThreadPoolExecutor whose workers are
  // in the frames: future -> that executor's work queue.
  std::map<uint64_t, uint64_t> futuresQueuedIn;
  // The work queues of those executors that run as many workers as they may (_max_workers):
  // submitting more work starts no new worker.
  std::set<uint64_t> poolsAtMaxWorkers;
  // What kind of pool each of those work queues feeds, for the words ("multiprocessing
  // ThreadPool"); absent: a ThreadPoolExecutor.
  std::map<uint64_t, std::string> poolNames;
  bool gcCollecting = false;
  // Python-level signal handlers besides the default SIGINT one (KeyboardInterrupt). Unset when
  // they could not be read (no symbol for the handler table); then, live, the signals the process
  // catches (SigCgt of /proc/PID/status) stand in for them.
  std::optional<std::vector<SignalHandler>> signalHandlers;
  std::optional<uint64_t> caughtSignals;
  // Python functions C code can call: module globals that are ctypes function pointers made from
  // a Python function (`@CFUNCTYPE(...)` on a def, or `CFUNCTYPE(...)(func)`), a C library's
  // callback. The global's name and the function (its name, file and `def` line).
  struct ForeignCallback {
    std::string name;
    SourceLocation where;
  };
  std::vector<ForeignCallback> foreignCallbacks;
  // How many OS threads the process has (live: /proc; a core: its notes), 0 when unknown. More
  // than it has Python threads: C threads, which may call into Python (a foreignCallback).
  int64_t osThreadCount = 0;
  // Live: descendant processes that are not in the snapshot (not inspected: no --children),
  // alive, other than multiprocessing's own resource tracker and forkserver: pid -> command.
  std::vector<std::pair<int64_t, std::string>> uninspectedChildren;
  // Live: processes outside the snapshot (a detached helper, a process started elsewhere) that
  // map one of this process's multiprocessing semaphores (/dev/shm/sem.*): pid -> command. They
  // may post or wait on them like a child.
  std::vector<std::pair<int64_t, std::string>> semaphoreSharers;
  // Live, second look: OS threads without a Python thread state that ran meanwhile.
  std::vector<int64_t> otherThreadsThatRan;
  // --native: OS threads without a Python thread state, appended to `threads` after
  // the analysis (native/stack_merger.h).
  std::vector<Thread> nativeOnlyThreads;
  // Core specifics.
  int terminatingSignal = 0;
  int64_t signalTid = 0;
  bool fromGcore = false;
  std::vector<std::string> warnings;
};

struct Participant {
  int64_t pid = 0;
  std::string process;           // multiprocessing name ("Process-1"), or "" when unknown
  int64_t tid = 0;
  std::string thread;
  std::string task;
  SourceLocation at;
  std::optional<WaitInfo> waitsFor;
  std::vector<std::pair<HeldObject, SourceLocation>> holds;   // object, since
  std::string heldBy;            // "Thread 789 \"Thread-2\"", or "" when unknown
};

// A place in the program's source that would end a wait (`jobs.put()` for a get() on jobs),
// found by the names the program uses for the object, and who runs the function it is in.
struct WakeSite {
  uint64_t object = 0;           // the waited-for object (SyncObject::address)
  int64_t pid = 0;
  std::string call;              // "jobs.put()"; "lease.release" when handed along, not called
  SourceLocation at;             // its line; `function` is the def around it, "<module>" at top level
  bool reference = false;        // at `at`, the call (or `via`'s function) is handed to a timer,
                                 // a scheduler or a callback (`Timer(60, lease.release)`)
  // One call away: the call is in a helper function (`via`: its line, the helper's name) and
  // `at` is where the program calls or hands along that helper (`Timer(60, end_lease)`).
  SourceLocation via;            // empty file when the call is at `at` itself
  struct Runner {
    int64_t pid = 0;             // its process: the site's, or another sharing a multiprocessing object
    std::string process;         // that other process's name ("" for the site's own)
    int64_t tid = 0;
    std::string thread;          // thread name, or "" for a task
    std::string task;            // asyncio task name, or ""
    int line = 0;                // where that thread (task) is in the function
    bool blocked = false;        // a participant of the finding: it cannot get to the call
    bool loopBlocked = false;    // a task whose event loop's thread is a participant: it never runs
    std::string interruptedBy;   // a signal handler (its function) that runs above that frame and waits
  };
  std::vector<Runner> runners;   // empty: no live thread or task is in that function
  // A release() in a function that acquire()s the same name before it: a critical section that
  // releases only what it took, not a hand-off to a waiter.
  bool afterOwnAcquire = false;
};

struct Finding {
  std::string kind;              // lock-order-cycle, self-deadlock, join-cycle, ...
  std::string summary;
  std::vector<Participant> participants;
  std::vector<Participant> bystanders;
  std::vector<std::string> lines;   // the explanation, one line each, ready to print
  std::string unconfirmedBecause;   // set when a second look saw a participant move
  std::vector<WakeSite> wakeSites;  // found in the source for the participants' waits
};

// A note the text report prints under one frame ("waiting to acquire lock_b ...").
struct Annotation {
  int64_t pid = 0;
  int64_t tid = 0;
  size_t frameIndex = 0;         // index into Thread::frames
  std::string text;
  uint64_t task = 0;             // asyncio: a frame of this task's coroutine stack instead
};

struct Diagnosis {
  bool ran = false;
  // No deadlock, but every thread waits: for what outside them can still end the waits (a
  // signal with a handler, a process not inspected), one phrase each.
  std::vector<std::string> waitingFor;
  std::string verdict;           // "deadlock" or "no-deadlock"
  std::string verdictLine;       // one line for humans
  std::vector<Finding> findings;
  // Findings a second look did not confirm: the threads looked blocked, but moved a moment later.
  std::vector<Finding> unconfirmed;
  std::vector<std::string> notes;   // what the threads that are not deadlocked are doing
  std::vector<Annotation> annotations;
};

struct Snapshot {
  std::vector<Process> processes;
  Diagnosis diagnosis;
  std::vector<std::string> warnings;
};

}  // namespace pyhang
