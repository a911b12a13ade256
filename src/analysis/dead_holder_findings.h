// Locks held by what no longer runs: an RLock owned by a thread that has exited (or, in a fork's
// copy, by the parent's thread at fork time), a Lock no live thread could hold while an exited
// thread is known, a multiprocessing lock whose holder process has exited. Internal to analysis/.
#pragma once

#include <cstddef>
#include <set>

#include "analysis/explainer.h"
#include "analysis/wait_graph.h"
#include "snapshot/snapshot.h"

namespace pyhang::explain {

// Appends a held-by-dead-thread or held-by-dead-process finding to `d.findings` for each unit of
// `g` blocked forever on such a lock (threads waiting for the same lock share one), skipping and
// then adding to `involved` (indices into g.units).
void deadHolderFindings(const Snapshot& snap, const WaitGraph& g, const Explainer& ex, std::set<size_t>& involved,
                        Diagnosis& d);

}  // namespace pyhang::explain
