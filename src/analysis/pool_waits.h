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

}  // namespace pyhang
