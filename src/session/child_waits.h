// A thread blocked in wait4(-1) (os.wait(), a shell waiting for its pipeline) waits for whichever
// child exits first: a wait the analysis can follow only when every child is in the report.
// Live only; from the kernel's children lists.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

// Keeps Thread::waitingForChild at -1 (any child) only when every child of the thread's process
// is in the snapshot, alive; otherwise the wait is on something outside it (0: not followed).
void confirmAnyChildWaits(Snapshot& snap);

}  // namespace pyhang
