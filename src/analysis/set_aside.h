// Findings set aside because something outside the cycle can still end it: a Python signal
// handler (a daemon's SIGTERM), or a thread that will release a lock taken with acquire() (a gate,
// a lease). Each moves a finding from Diagnosis::findings to Diagnosis::unconfirmed with the reason.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

// An all-blocked or read-cycle finding, a plain Lock left taken with acquire() or an asyncio lock
// left by a finished task, in a process whose main thread runs Python signal handlers: the signal
// can still wake it (named in Diagnosis::waitingFor).
void setAsideSignalWakeable(Snapshot& snapshot);

// After the wake sites are attached: a join or lock-order cycle closed by a plain Lock or
// Semaphore taken with acquire() (a gate, a lease) is set aside when a thread outside it that can
// still run (sleeping, in I/O, waiting for a signal) is in a function that calls that lock's
// release(), when a signal handler calls it, or when the release is handed to a timer or a
// scheduler: any thread may release such a lock. The call may be one call away (a helper that a
// thread calls or a timer will). A pool starvation is set aside likewise when a thread could
// still cancel or complete the queued futures, or when another worker of the pool waits for
// something that may still come (it will then run the queued work).
void setAsideHandOffReleases(Snapshot& snapshot);

// After the wake sites are attached: an all-blocked finding one of whose wake sites is in a
// Python function C code can call (Process::foreignCallbacks, a ctypes callback, or one call away
// from it), in a process with OS threads that are not Python threads (a C library's own thread,
// invisible to Python between calls): such a thread may still make the call. Named in
// Diagnosis::waitingFor, as a signal is.
void setAsideForeignCallbacks(Snapshot& snapshot);

}  // namespace pyhang
