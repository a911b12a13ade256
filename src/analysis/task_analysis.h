// asyncio: the hang analysis for tasks, a pure function of a snapshot. Builds the
// wait-for graph between the tasks of each event loop (a task awaits another task, a
// gather/wait/TaskGroup's children, or an asyncio lock held by other tasks through `async with`),
// and appends to snapshot.diagnosis:
//   findings  await-cycle, self-deadlock, lock-order-cycle, join-cycle, held-by-finished-task,
//             all-blocked (a loop that can never run again);
//   notes     what the other tasks and loops are doing;
//   annotations on task frames (Annotation::task).
// It does not compute the verdict: analyze() calls it before computing the verdict.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void analyzeTasks(Snapshot& snapshot);

// "Task "Task-2" (worker)": how findings and notes name a task.
std::string taskLabel(const Task& task);

// What a task awaits, as a verb phrase ("waits to acquire lock <asyncio.locks.Lock at 0x..>",
// "awaits Task "Task-2" (worker)", "sleeps for 3599.2 more seconds").
std::string taskWaitPhrase(const Process& process, const Task& task);

}  // namespace pyhang
