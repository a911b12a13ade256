// The wait-for model of a snapshot: for every thread (of every process), what it waits for and
// what it holds; edges from a waiting thread to the threads that can release it. Pure: built
// from the snapshot alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/snapshot.h"

namespace pyhang {

// A thread of some process.
struct UnitId {
  size_t process = 0;   // index in Snapshot::processes
  size_t thread = 0;    // index in Process::threads
  auto operator<=>(const UnitId&) const = default;
};

struct Hold {
  uint64_t lock = 0;          // the lock actually held (a Condition's lock, a SemLock ...)
  std::string key;            // identity of that lock across processes
  uint64_t via = 0;           // the object the program holds (Condition, Queue, the lock itself)
  size_t frameIndex = 0;      // holding frame (index into Thread::frames); SIZE_MAX when unknown
  std::string how;            // "with", "owner", "thread", "acquire()"
  int line = 0;               // `with` line
  bool throughWrapper = false;  // through the program's own context manager (HeldObject)
  bool doubtful = false;        // an inferred acquire() that may not hold (HeldObject)
};

struct Edge {
  UnitId to;
  uint64_t object = 0;        // the lock / thread / process object the edge goes through
  bool isJoin = false;
  bool isPipe = false;        // a full pipe's writer waits for this thread, one that can read it
  bool isFileLock = false;    // this thread's process holds the file lock the waiter wants
};

struct UnitState {
  UnitId id;
  std::optional<WaitInfo> wait;     // effective wait
  size_t waitFrame = 0;             // frame that carries `wait`
  size_t atFrame = 0;               // the program's own frame where the wait happens
  uint64_t waitLock = 0;            // for lock waits: the lock (after resolving Conditions...)
  std::string waitKey;              // its identity across processes
  int64_t waitPid = 0;              // for joins on a process: the pid
  bool waitPidMissing = false;      // ... which is not part of the snapshot (for a full pipe: no
                                    // process of the snapshot can read it)
  std::vector<Hold> holds;
  std::vector<Edge> edges;
  bool lockHolderUnknown = false;   // waits for a held lock nobody live is known to hold
  // The lock it waits for is held by an asyncio task suspended inside `with lock:` (a threading
  // lock held across an await): the task (index in Process::tasks), its frame and line. Only
  // the task's event loop thread can resume it; the edge goes to that thread.
  size_t lockTask = SIZE_MAX;
  size_t lockTaskFrame = 0;
  int lockTaskLine = 0;
  // A ThreadPoolExecutor worker: its executor's work queue (identifies the pool), 0 otherwise.
  uint64_t poolQueue = 0;
  // Waits for a future still queued in a pool whose every worker is blocked: the pool's queue.
  uint64_t starvedPool = 0;
  size_t starvedPoolWorkers = 0;
  // ... through an asyncio task (index in Process::tasks) that sets the awaited future when it
  // finishes and awaits that queued work itself; SIZE_MAX when the waiter waits for it directly.
  size_t starvedTask = SIZE_MAX;
  // Waits for a run_coroutine_threadsafe() future whose callback is queued in the event loop
  // this thread runs.
  bool hasLoopThread = false;
  bool loopNotStarted = false;      // its coroutine still waits in the loop's ready queue
  UnitId loopThread;
  // Waits for a multiprocessing Pool job that this worker process's thread is running.
  bool hasPoolJobWorker = false;
  UnitId poolJobWorker;
  // Waits for a Pool result that no worker runs any more, while the pool's result handler, which
  // delivers it, is inside a callback of the program's (apply_async(callback=...)).
  bool hasResultHandler = false;
  UnitId resultHandler;
  // Waits without a timeout for something only the snapshot's units could provide (a process
  // or pipe end outside the snapshot could still end the wait).
  bool blockedForever() const { return wait.has_value() && !wait->hasTimeout && !waitPidMissing; }
};

struct WaitGraph {
  std::vector<UnitState> units;
  const UnitState* unit(const UnitId& id) const;
  size_t indexOf(const UnitId& id) const;   // SIZE_MAX when absent
};

// The lock a program-level object stands for: itself for Lock/RLock/SemLock, else its
// underlying lock (Condition, Queue, multiprocessing wrappers).
uint64_t lockOf(const Process& p, uint64_t object);
// Identity of a lock across processes: the shared semaphore, or (process, address).
std::string lockKey(const Snapshot& s, size_t process, uint64_t lock);

WaitGraph buildWaitGraph(const Snapshot& snapshot);

// Could a process other than the waiter's end this wait? Multiprocessing primitives, process
// joins, pipes and sockets, and the library's service loops that wait for worker processes. A
// threading lock, Condition, Event, Queue or Thread lives in one process: only its threads can.
bool crossProcessWait(const Process& p, const WaitInfo& w);
// An object other processes may use too (a multiprocessing lock, queue or event, a manager's).
bool crossProcessObject(const Process& p, uint64_t object);

// The standard library's synchronisation modules (threading, queue, concurrent.futures,
// multiprocessing, subprocess, selectors), whose waits the reports describe by what they mean.
bool isStdlib(const std::string& file);
// Any code of the interpreter's own library (logging, socket, importlib's frozen modules, ...):
// a wait inside it is reported at the program's frame that called into it.
bool isLibraryCode(const std::string& file);

// A multiprocessing lock is one semaphore in several processes, and the program names its
// wrapper (`lock`), not the wrapper's `_semlock`: give every SemLock the names used for it in
// any process, wrapper names first.
void unifySharedNames(Snapshot& snapshot);

}  // namespace pyhang
