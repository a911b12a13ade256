// The second look: a moment after a live snapshot, read through /proc (the target is not
// stopped again) whether the threads a finding depends on are still blocked where they were.
#pragma once

#include <chrono>

#include "snapshot/snapshot.h"

namespace pyhang {

// Records Thread::ranAfter / stateAfter and Process::otherThreadsThatRan for the threads the
// live findings of `snapshot.diagnosis` depend on. Takes two looks `interval` apart, and a
// third when the first two differ (the threads pyhang stopped may still be settling back into
// their system calls). At most 25 looks. Does nothing for cores or when there is no finding.
void secondLook(Snapshot& snapshot, std::chrono::milliseconds interval = std::chrono::milliseconds(10));

}  // namespace pyhang
