// What a frame holds and what a thread waits for: reads synchronisation objects (locks, RLocks,
// Conditions, Semaphores, Events, Barriers, Queues, Threads) and the evidence frames leave on
// their value stacks (CPYTHON.md section 6).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cpython/frame_walker.h"
#include "cpython/object_reader.h"
#include "snapshot/snapshot.h"

namespace pyhang::cpython {

struct CallableInfo {
  std::string name;      // "__exit__", "acquire"
  uint64_t self = 0;     // bound self, 0 when unbound
};

class SyncReader {
 public:
  SyncReader(const ObjectReader& objects, const FrameWalker& frames) : objects_(objects), frames_(frames) {}

  ObjectKind classify(uint64_t obj) const;
  // Reads the object's kind, state and underlying lock. Never fails: unknown parts stay empty.
  SyncObject describe(uint64_t obj) const;
  // The _thread.lock/RLock that guards a Condition/Semaphore/Event/Barrier/Queue, or 0.
  uint64_t underlyingLock(uint64_t obj, ObjectKind kind) const;

  std::optional<CallableInfo> callable(uint64_t obj) const;

  // Context managers held by `with` (exit slots below the protected depth).
  std::vector<HeldObject> heldByWith(const RawFrame& frame) const;
  // A lock or RLock the innermost frame is blocked acquiring (`with lock:` or lock.acquire()).
  std::optional<WaitInfo> blockedAcquire(const RawFrame& frame) const;
  // A queue.SimpleQueue (_queue.SimpleQueue, C) the innermost frame is blocked getting from: its
  // get() is in progress and the queue is empty. get() with arguments counts as timed (its
  // timeout cannot be told from `block`).
  std::optional<WaitInfo> blockedSimpleQueueGet(const RawFrame& frame) const;
  // The wait a stdlib frame (threading, queue, concurrent.futures) stands for, given the frame's
  // local variables.
  std::optional<WaitInfo> stdlibWait(const RawFrame& frame, const std::vector<Variable>& locals,
                                     bool isInnermost, const RawFrame* inner = nullptr) const;

 private:
  bool isLockLike(uint64_t obj) const;
  bool isSimpleQueue(uint64_t obj) const;
  // Items in a _queue.SimpleQueue (nullopt: unreadable).
  std::optional<int64_t> simpleQueueLength(uint64_t queue) const;
  // The lock-like object whose acquire()/__enter__ call is in progress in `frame`, held or not.
  std::optional<WaitInfo> pendingAcquire(const RawFrame& frame, bool requireLocked) const;
  bool conditionWaiterNotified(uint64_t condition, const Variable* waiter) const;
  // Bounded reads of a deque/list length and of a Condition's waiter count (nullopt: unreadable).
  std::optional<int64_t> boundedLength(uint64_t container) const;
  std::optional<int64_t> conditionWaiters(uint64_t condition) const;
  bool acquireHasTimeout(const RawFrame& frame, int k, int limit) const;
  // Whether the source line of the frame's current instruction loads one of `names` as an
  // attribute (LOAD_ATTR / LOAD_METHOD) before that instruction. nullopt: cannot be told.
  std::optional<bool> lineLoadsAttribute(const RawFrame& frame, std::initializer_list<std::string_view> names) const;
  // Whether one of the frame's local variables (or cells) refers to `object`.
  bool inLocals(const RawFrame& frame, uint64_t object) const;
  const ObjectReader& objects_;
  const FrameWalker& frames_;
};

// The basename-qualified stdlib module a file belongs to: "threading", "queue",
// "concurrent.futures", "asyncio", or "".
std::string stdlibModuleOf(const std::string& filename);

// Whether a type's module (`TypeInfo::module`) is one of the standard library's whose instances'
// attributes are its own business (threading, queue, asyncio, logging...): names are not made
// through them ("jobs.not_empty._lock" is jobs.mutex).
bool libraryInternalsModule(const std::string& module);

}  // namespace pyhang::cpython
