// The findings of the wait-for graph's cycles: lock-order and join cycles, self-deadlocks, pipe
// cycles, an event loop's thread waiting for its own loop. Internal to analysis/.
#pragma once

#include <optional>
#include <vector>

#include "analysis/explainer.h"
#include "analysis/wait_graph.h"
#include "snapshot/snapshot.h"

namespace pyhang::explain {

// Elementary cycles through the first edge of each unit (each blocked thread waits for one
// thing), found by following edges; every cycle is reported once.
std::vector<std::vector<size_t>> findCycles(const WaitGraph& g);

// The units that can never run again: blocked forever, and every thread that could release
// them (any of their edges: a writer of the pipe, a holder of a permit, a free worker) can never
// run again either (the greatest fixed point). A wait nobody in the snapshot can end counts only
// when no other process could end it (a multiprocessing lock held, an Event set, elsewhere).
std::vector<bool> doomedUnits(const Snapshot& s, const WaitGraph& g);

// The finding one cycle (indices into g.units) makes, its participants starting at the lowest
// thread id; Finding::unconfirmedBecause is set when the cycle rests on a hold inferred from the
// source that another thread could hold or release instead. std::nullopt when another finding
// tells the cycle better (a thread waiting for run_coroutine_threadsafe() on a loop whose thread
// waits for it: the tasks' analysis; a file lock a forked child inherited: the parent's cycle).
std::optional<Finding> cycleFinding(const WaitGraph& g, const Explainer& ex,
                                    std::vector<size_t> cycle);

}  // namespace pyhang::explain
