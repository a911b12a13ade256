// Internal to the wait graph (wait_graph.cpp: the build and the shared lookups;
// wait_graph_units.cpp: each thread's holds and effective wait; wait_graph_edges.cpp: the edges
// from each waiting thread). Not for use outside them.
#pragma once

#include <cstdint>

#include "analysis/wait_graph.h"
#include "snapshot/snapshot.h"

namespace pyhang::wait_graph_internal {

const SyncObject* find(const Process& p, uint64_t addr);

bool isPlainLock(const SyncObject* o);

// Pass 1: the holds and effective wait of thread `thread` of process `process`; no edges yet.
UnitState unitState(const Snapshot& snap, size_t process, size_t thread);

// Pass 2: the edges of every waiting unit, across processes for shared semaphores and process
// joins (after waitPidMissing is known for every unit).
void addEdges(WaitGraph& g, const Snapshot& snap);

}  // namespace pyhang::wait_graph_internal
