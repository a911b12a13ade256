// Inspect, diagnose, render: the one pipeline behind `remote`, `core`, `run` and `watch`.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "report/options.h"
#include "session/inspector.h"
#include "snapshot/snapshot.h"

namespace pyhang {

// Reads the live processes (or the cores), then, with `analysis`, diagnoses the snapshot (a live
// finding stands only if its threads are still blocked a moment later) and explains it from the
// source; merges the native stacks last (the analysis reads the Python frames).
Result<Snapshot> diagnoseLive(const std::vector<pid_t>& pids, const InspectOptions& options,
                              bool analysis);
Result<Snapshot> diagnoseCores(const std::vector<std::string>& corePaths,
                               const InspectOptions& options, bool analysis);

// The whole report, text or JSON.
std::string renderReport(const Snapshot& snapshot, const RenderOptions& options, bool json);

// True when the analysis ran and proved a deadlock.
inline bool isDeadlock(const Snapshot& snapshot) {
  return snapshot.diagnosis.ran && snapshot.diagnosis.verdict == "deadlock";
}

}  // namespace pyhang
