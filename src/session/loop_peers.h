// The other ends of what an idle event loop watches for reading: live, for each socket or pipe
// a loop with nothing ready and no timers waits on, whether only this process holds the end that
// could write to it (LoopFd::peerFd). From /proc and the kernel's socket diagnostics.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void attachLoopPeers(Snapshot& snap);

// An idle event loop whose only watches are one child's exit, pipes that child reads (its stdin)
// and one pipe it reads (`await proc.stdout.read()`: the stream of another pipe is paused, its
// buffer full): the loop's thread waits to read that pipe as a thread in read() would, and its
// readingFd is set to it, so that the pipe's writers are searched like a blocked read's.
void markLoopPipeReads(Snapshot& snap);

}  // namespace pyhang
