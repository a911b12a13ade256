// The quantities of a synchronisation object as read from the target (permits free of a
// Semaphore, owner and recursion count of an RLock, parties of a Barrier, items of a Queue...),
// shared by the text report (one short line per object) and JSON (numbers and flags).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/snapshot.h"

namespace pyhang {

struct ObjectQuantities {
  std::optional<bool> locked;
  std::optional<uint64_t> owner;           // thread ident of an RLock's / SemLock's owner
  std::string ownerName;                   // its thread name, when known
  std::optional<bool> ownerAlive;          // false: the owner has exited
  bool ownerInForkedChild = false;         // not alive in a forked child: it may be the parent's thread
  std::optional<int64_t> count;            // RLock recursion count, SemLock count in this process
  std::optional<int64_t> permitsFree;      // Semaphore / SemLock value
  std::optional<int64_t> permitsTotal;     // BoundedSemaphore initial value, SemLock max value
  std::optional<int64_t> waiters;          // threads (or tasks) waiting on it
  bool waitersAtLeast = false;             // `waiters` is a lower bound (a PyMutex's waiter bit)
  std::optional<bool> isSet;               // Event flag
  std::optional<int64_t> parties;          // Barrier
  std::optional<int64_t> waiting;          // Barrier: parties waiting now
  std::optional<bool> broken;              // Barrier
  std::optional<int64_t> items;            // Queue: items in it
  std::optional<int64_t> maxsize;          // Queue: 0 = unbounded
  std::optional<int64_t> unfinished;       // Queue: unfinished tasks (join() waits for 0)
  std::optional<int64_t> getters, putters, joiners;   // Queue: threads blocked in get/put/join
  bool shared = false;                     // a multiprocessing object (the value is the system's)
};

// The quantities that could be read; nullopt when the object has none worth showing.
std::optional<ObjectQuantities> quantitiesOf(const Process& process, const SyncObject& object);

// One short line: "0 of 3 permits free", "held 2 times by thread \"registrar\" (exited)".
std::string quantitiesText(const ObjectQuantities& q, ObjectKind kind);

// A short name for the object in the program's terms: its first name, else its type.
std::string objectShortName(const SyncObject& object);

// The objects a finding's participants wait for (and hold), in order of appearance, each once.
std::vector<const SyncObject*> findingObjects(const Snapshot& snapshot, const Finding& finding,
                                              std::vector<const Process*>* processes, bool withHolds);

}  // namespace pyhang
