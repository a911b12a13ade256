// Who could end a wait on a pipe or socket of the snapshot: for a thread blocked writing into a
// full pipe, the processes holding its read ends; for one blocked reading a pipe or a connected
// Unix socket, the processes holding the other end, and whether one outside the snapshot does.
// Live only; from /proc and the kernel's socket diagnostics.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void attachPipeReaders(Snapshot& snap);
void attachReadPeers(Snapshot& snap);
// A thread in Popen.communicate() polling the child's output pipes: the processes other than
// the child that hold their write ends (a background process the child started keeps them open
// after the child exits, and communicate() waits for it).
void attachOutputPipeWriters(Snapshot& snap);

}  // namespace pyhang
