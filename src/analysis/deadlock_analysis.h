// The hang analysis: a pure function of a snapshot. Builds the wait-for graph between threads
// (and, later, processes and tasks), finds cycles and other hang shapes, and writes the findings,
// verdict and per-frame annotations into snapshot.diagnosis.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void analyze(Snapshot& snapshot);

// The verdict and its one line, from the findings (and the unconfirmed ones).
void setVerdict(Diagnosis& diagnosis);

// Thread::state "deadlocked" for the threads of a finding, "stuck-behind" for its bystanders
// (after findings change: the others keep the state the analysis gave them).
void markParticipantStates(Snapshot& snapshot);

}  // namespace pyhang
