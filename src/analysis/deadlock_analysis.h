// The hang analysis: a pure function of a snapshot. Builds the wait-for graph between threads
// (and, later, processes and tasks), finds cycles and other hang shapes, and writes the findings,
// verdict and per-frame annotations into snapshot.diagnosis.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void analyze(Snapshot& snapshot);

// After the wake sites are attached: a join or lock-order cycle closed by a plain Lock or
// Semaphore taken with acquire() (a gate, a lease) is set aside when a thread outside it that can
// still run (sleeping, in I/O, waiting for a signal) is in a function that calls that lock's
// release(): any thread may release such a lock.
void setAsideHandOffReleases(Snapshot& snapshot);

// The verdict and its one line, from the findings (and the unconfirmed ones).
void setVerdict(Diagnosis& diagnosis);

// Thread::state "deadlocked" for the threads of a finding, "stuck-behind" for its bystanders
// (after findings change: the others keep the state the analysis gave them).
void markParticipantStates(Snapshot& snapshot);

}  // namespace pyhang
