// A core's second look. A core holds one moment: a thread caught just after its lock was handed
// to it, while it waits to take the GIL, still shows the lock's acquire in its Python frame, and
// every thread then looks blocked. Its registers (a futex wait inside the GIL's state) or its
// native stack tell them apart, and the core has both.
#pragma once

#include <cstdint>
#include <vector>

#include "memory/core_file.h"
#include "session/inspector.h"
#include "snapshot/snapshot.h"

namespace pyhang {

// What one thread of a core was doing, from its registers alone: running (outside any system
// call, or leaving one that had returned), blocked in a futex inside one of `gilStates` (the
// GIL's condition variables and mutexes), or blocked in some other system call.
enum class CoreWait { kRunning, kGil, kBlocked };
CoreWait coreWait(const CoreThread& thread, const std::vector<uint64_t>& gilStates);

// For the threads the findings of `snapshot.diagnosis` depend on, in processes read from cores:
// sets Thread::kernelState to "R" where the thread's registers show it outside any system call
// (executing code), Thread::waitingForGil where they show it blocked on a futex inside the GIL's
// state (no symbols needed), or else, where its native stack shows a wait for the GIL
// (unwound only when there is such a finding, and when --native did not already). Returns true
// when it set one (the analysis must then run again).
bool lookForGilWaitsInCores(Snapshot& snapshot, const InspectOptions& options);

}  // namespace pyhang
