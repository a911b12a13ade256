// The target's source files for the analysis's explanations (analysis/wake_sites.h), read as the
// frames' source lines were: through /proc/PID/root for a live process (its mount namespace),
// under the core options' library root for a core. Each file is read once, bounded.
#pragma once

#include "analysis/wake_sites.h"
#include "session/inspector.h"

namespace pyhang {

// Relative paths are also tried under each process's Process::startDirectory.
SourceLines sourceLinesFor(const InspectOptions& options, bool isCore, const Snapshot& snapshot);

}  // namespace pyhang
