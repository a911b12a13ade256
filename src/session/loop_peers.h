// The other ends of what an idle event loop watches for reading: live, for each socket or pipe
// a loop with nothing ready and no timers waits on, whether only this process holds the end that
// could write to it (LoopFd::peerFd). From /proc and the kernel's socket diagnostics.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void attachLoopPeers(Snapshot& snap);

}  // namespace pyhang
