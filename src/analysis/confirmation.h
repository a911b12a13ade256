// Confirming findings: a finding about threads stands only when every thread it depends on was
// still blocked a moment later (live processes: the second look the session took through /proc).
// Pure: reads what the snapshot recorded, moves findings a second look contradicts to
// Diagnosis::unconfirmed, and sets the verdict again.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

// The (pid, tid) of every thread whose state decides whether `finding` is real: its participants,
// and for an all-blocked finding every thread of their processes. Empty for findings about
// asyncio tasks only (one loop thread, read in one consistent stop).
std::vector<std::pair<int64_t, int64_t>> threadsToConfirm(const Snapshot& snapshot, const Finding& finding);

void confirmFindings(Snapshot& snapshot);

}  // namespace pyhang
