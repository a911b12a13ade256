#include "session/diagnosis_pipeline.h"

#include <sstream>

#include "analysis/confirmation.h"
#include "analysis/deadlock_analysis.h"
#include "analysis/set_aside.h"
#include "analysis/wake_sites.h"
#include "native/stack_merger.h"
#include "report/json_report.h"
#include "report/text_report.h"
#include "session/gil_waits.h"
#include "session/second_look.h"
#include "session/source_access.h"

namespace pyhang {

namespace {

Result<Snapshot> diagnose(Result<Snapshot> inspected, const InspectOptions& options, bool analysis,
                          bool isCore) {
  if (!inspected) return inspected;
  Snapshot snapshot = std::move(*inspected);
  if (analysis) {
    analyze(snapshot);
    if (!isCore) secondLook(snapshot);
    // A core: a thread its Python frame shows in a lock's acquire may be waiting for the GIL
    // instead, woken with the lock: its native stack says so.
    if (isCore && lookForGilWaitsInCores(snapshot, options)) analyze(snapshot);
    confirmFindings(snapshot);
    attachWakeSites(snapshot, sourceLinesFor(options, isCore, snapshot));
    setAsideHandOffReleases(snapshot);
    setAsideForeignCallbacks(snapshot);
  }
  native::mergeNativeStacks(snapshot, options.nativeMode);
  return snapshot;
}

}  // namespace

Result<Snapshot> diagnoseLive(const std::vector<pid_t>& pids, const InspectOptions& options,
                              bool analysis) {
  return diagnose(inspectLive(pids, options), options, analysis, false);
}

Result<Snapshot> diagnoseCores(const std::vector<std::string>& corePaths,
                               const InspectOptions& options, bool analysis) {
  return diagnose(inspectCores(corePaths, options), options, analysis, true);
}

std::string renderReport(const Snapshot& snapshot, const RenderOptions& options, bool json) {
  std::ostringstream out;
  if (json) {
    renderJson(snapshot, options, out);
  } else {
    renderText(snapshot, options, out);
  }
  return out.str();
}

}  // namespace pyhang
