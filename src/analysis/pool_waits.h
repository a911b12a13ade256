// Which ThreadPoolExecutor a wait for futures depends on, when the futures are still queued in
// it (not yet picked up by a worker): the pool's work queue, identifying the pool.
#pragma once

#include <cstdint>

#include "snapshot/snapshot.h"

namespace pyhang {

// Future.result() on `future`: the work queue holding its work item, 0 when it is not queued in
// a pool (running, done, or made by run_coroutine_threadsafe() or by hand).
uint64_t queuedFuturePool(const SyncObject* future);

// concurrent.futures.wait() or as_completed() in one of `t`'s frames: the work queue holding a
// future whose _waiters hold that call's waiter, 0 when none.
uint64_t futuresWaitPool(const Process& p, const Thread& t);

// An asyncio task that can only finish once a ThreadPoolExecutor runs a function it queued there
// (loop.run_in_executor, to_thread): it awaits, without a timeout, a future chained to work still
// queued in a pool that already runs all the workers it may, and its event loop has nothing else
// to run (no ready callback, no timer) that could cancel it. That pool's work queue, else 0.
uint64_t taskStarvedPool(const Process& p, const Task& t);

// Whether `q` is a child of process `pid`, or a grandchild through a process of the snapshot (a
// forkserver forks the workers of a ProcessPoolExecutor).
bool descendsFrom(const Snapshot& snap, const Process& q, int64_t pid);

// A wait for a multiprocessing.Pool result (AsyncResult.get(), map()) in process `pid` whose
// pool's worker processes are all in the snapshot and all idle, waiting for work: no worker runs
// the job, so its result never comes (a worker died running it; the Pool does not run it again).
// The number of those idle workers; 0 when the wait is not such a wait or a worker is busy.
size_t idlePoolWorkers(const Snapshot& snap, int64_t pid, const SyncObject* result);

}  // namespace pyhang
