// A core's second look. A core holds one moment: a thread caught just after its lock was handed
// to it, while it waits to take the GIL, still shows the lock's acquire in its Python frame, and
// every thread then looks blocked. The native stack tells them apart, and the core has it.
#pragma once

#include "session/inspector.h"
#include "snapshot/snapshot.h"

namespace pyhang {

// For the threads the findings of `snapshot.diagnosis` depend on, in processes read from cores:
// unwinds their native stacks (only when there is such a finding, and when --native did not
// already) and sets Thread::waitingForGil where the stack shows a wait for the GIL. Returns
// true when it set one (the analysis must then run again).
bool lookForGilWaitsInCores(Snapshot& snapshot, const InspectOptions& options);

}  // namespace pyhang
