// Who else maps a process's multiprocessing semaphores: live, the processes outside the snapshot
// whose /proc/PID/maps show one of the same /dev/shm/sem.* files (Process::semaphoreSharers).
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void attachSemaphoreSharers(Snapshot& snap);

}  // namespace pyhang
