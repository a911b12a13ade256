// Who could wake a wait: for each finding, the places in the program's own source that would end
// its participants' waits (`jobs.put()` for a get() on jobs, `ready.set()` for ready.wait()),
// found by the names the program uses for the object, and which threads or tasks are running the
// functions those places are in. Found by name in the text, so it may be incomplete; it explains,
// it never decides a verdict. Pure: the source text comes through `SourceLines`.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/source_scan.h"
#include "snapshot/snapshot.h"

namespace pyhang {

// The lines of `file` as process `pid` sees it, or nullptr when it cannot be read.
using SourceLines = std::function<const std::vector<std::string>*(int64_t pid, const std::string& file)>;

// Fills Finding::wakeSites of every finding (and unconfirmed finding) of the diagnosis.
void attachWakeSites(Snapshot& snapshot, const SourceLines& source);

}  // namespace pyhang
