// What an event loop's thread waits for when its loop has nothing left to do but a child's exit.
#pragma once

#include <cstdint>

#include "snapshot/snapshot.h"

namespace pyhang {

// The child whose exit alone can wake an event loop's thread: the loop idles in its selector
// with nothing ready, no timers and no I/O but its own wake-up socket, a watch for one child's
// exit (asyncio's pidfd child watcher), the write ends of pipes that child reads and a pipe only
// that child writes (the thread's readingFrom, no outside writer); or, with the
// thread-based watcher (3.8-3.11), every other thread of the process is that watcher blocked in
// waitpid() for the one child. No Python signal handler but SIGCHLD's could write to the wake-up
// socket. 0 when the loop could be woken otherwise (or that cannot be told).
int64_t loopWaitsOnlyForChild(const Snapshot& snap, const Process& p, const Thread& t);

}  // namespace pyhang
