// ProcessPoolExecutor work across processes: the parent keeps each submitted future in its
// executor's pending work items under a work id, and the worker process running it has that id
// in its `_process_worker` loop's `call_item`. Matching the two links a Future.result() wait to
// the process that computes it.
#pragma once

#include "cpython/object_reader.h"
#include "snapshot/snapshot.h"

namespace pyhang::cpython {

// Sets attrs["work_id"] on the futures of `out.objects` that a ProcessPoolExecutor seen in some
// frame (the executor, its manager thread, or 3.8's pending_work_items argument) has pending, and
// Thread::poolWorkId on threads running a work item in `_process_worker`. Bounded reads.
void linkProcessPoolWork(const ObjectReader& objects, Process& out);

// Sets attrs["queued_in"] (the work queue's address, "0x...") on the futures of `out.objects`
// still queued in a ThreadPoolExecutor whose worker threads are in the frames: the _WorkItems in
// the worker's `work_queue`. A future that is not there is not that pool's to run. Also fills
// Process::futuresQueuedIn (every pending queued future) and Process::poolsAtMaxWorkers.
// Bounded reads.
void linkThreadPoolWork(const ObjectReader& objects, Process& out);

// The same for a multiprocessing.pool.ThreadPool whose worker threads (`worker(inqueue, ...)`)
// are in the frames: a Pool result (ApplyResult, MapResult) with a task of its job still in the
// pool's inqueue gets attrs["queued_in"] (the inqueue's address) and a futuresQueuedIn entry.
// A ThreadPool runs a fixed number of workers: its inqueue is in poolsAtMaxWorkers. Bounded reads.
void linkMpThreadPoolWork(const ObjectReader& objects, Process& out);

// Sets attrs["delivered_by"] (a thread id) on the Pool results of `out.objects` whose job is in
// the cache of a Pool's result handler thread (`_handle_results(outqueue, get, cache)`) of this
// process: that thread delivers the result and runs its callbacks. Bounded reads.
void linkPoolResultHandlers(const ObjectReader& objects, Process& out);

}  // namespace pyhang::cpython
