// Who could end a wait on a pipe or socket of the snapshot: for a thread blocked writing into a
// full pipe, the processes holding its read ends; for one blocked reading a pipe or a connected
// Unix socket, the processes holding the other end, and whether one outside the snapshot does.
// Live only; from /proc and the kernel's socket diagnostics.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void attachPipeReaders(Snapshot& snap);
void attachReadPeers(Snapshot& snap);

}  // namespace pyhang
