// Words for the analysis's findings: how a thread, a process, an object, a wait and a hold are
// named in a finding's lines, from the snapshot and the wait-for graph. Internal to analysis/.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/wait_graph.h"
#include "snapshot/snapshot.h"

namespace pyhang::explain {

// The file name of a path.
std::string baseName(const std::string& path);
// "logging/__init__.py" for a package's module, "<frozen importlib._bootstrap>" as it is.
std::string libraryPath(const std::string& path);

// What a thread holds, each with where it took it (Participant::holds).
std::vector<std::pair<HeldObject, SourceLocation>> holdsWithSince(const Thread& t, const UnitState& u);

// The words for the thread pool whose work queue is `pool`: "ThreadPoolExecutor" unless the
// reader named it.
std::string poolName(const Process& p, uint64_t pool);

class Explainer {
 public:
  Explainer(const Snapshot& snap, const WaitGraph& g) : snap_(snap), g_(g) {}

  const Process& proc(const UnitId& id) const { return snap_.processes[id.process]; }
  const Thread& thread(const UnitId& id) const { return proc(id).threads[id.thread]; }

  std::string processLabel(const Process& p) const;

  std::string threadLabel(const UnitId& id) const;
  std::string threadShort(const Process& p, uint64_t ident, const std::string& fallbackName) const;

  std::string where(const Frame& f, int line = 0) const;

  const SyncObject* object(const Process& p, uint64_t addr) const;

  // The name `frame`'s own variables give to the object ("other.lock", "second_lock").
  static std::string frameName(const Frame* frame, uint64_t addr);

  // "lock_b (second_lock) <_thread.lock at 0x...>": the module-level name, the frame's own name
  // for it when different, then the type and address. A Condition's lock without a name of its
  // own is named after the Condition ("lock of book.changed").
  std::string objectLabel(const Process& p, uint64_t addr, const Frame* frame) const;

  // The lock the thread waits for, with the object it used to get it ("through self.not_full").
  std::string waitTarget(const UnitState& u) const;

  // Where it waits: "at prog.py:14 in work (lock.acquire())", or for a process without Python
  // frames "in the kernel (wait channel ...)".
  std::string atPhrase(const UnitState& u) const;

  // "since threads_lock_order.py:12 in background"
  std::string sincePhrase(const UnitId& holder, const Hold& h) const;

  // The hold through which `holder` holds the lock `waiter` waits for (locks are compared by
  // their identity across processes).
  const Hold* holdOf(const UnitId& holder, const UnitState& waiter) const;

  Participant participant(const UnitState& u, bool withHolds) const;

  const Snapshot& snap() const { return snap_; }

 private:
  const Snapshot& snap_;
  const WaitGraph& g_;
};

// "a threading.Lock", "a Semaphore", "a multiprocessing.Lock", ... for a fix line.
std::string lockNoun(const SyncObject* o);

// "SIGTERM" (the number when the signal has no name).
std::string signalDisplayName(int signo);

// The text with its first letter in upper case.
std::string upperFirst(std::string s);

// What a thread that waits for no Python-level object is doing, from the kernel's view (live
// processes) or from what was read.
std::string kernelActivity(const Thread& t);

// One word for what a thread that waits for no Python object does.
std::string threadStateWord(const Thread& t);

}  // namespace pyhang::explain
