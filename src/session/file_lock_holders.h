// Who holds the file lock a thread of the snapshot is blocked taking (flock(), lockf()): the
// processes of the snapshot holding it, and whether one outside it might (then it may be
// released). Live only; from /proc/locks and the holders' /proc/PID/fdinfo.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

void attachFileLockHolders(Snapshot& snap);

}  // namespace pyhang
