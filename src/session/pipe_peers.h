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
// A pipe a thread waits on whose other end a process outside the snapshot holds: that process is
// named in the thread's kernel wait ("..., the other end held by pid 4657 (python3 echo.py), not
// in this report (add --children to inspect it)").
void nameOutsidePipePeers(Snapshot& snap);
// Without --children: the descendants of the snapshot's processes, not in it, that hold the
// other end of a pipe one of its threads is blocked writing or reading, or that one of its
// threads waits for (Popen.wait(); in os.wait() or a shell's wait, each child), at most 8 with
// those added before: when they are not Python (cat, gzip, head, sh), they are shown from /proc
// as --children would, and a cycle through them is found. Called again with the added ones in,
// it finds what they wait for (a shell's pipeline).
std::vector<pid_t> pipePeerChildren(const Snapshot& snap);

}  // namespace pyhang
