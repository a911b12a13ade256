// What to change in the program, one line per finding, in the program's own terms (the names of
// its objects and the places that take them). Shared by the text report ("Fix: ...") and JSON
// (findings[].fix).
#pragma once

#include <string>
#include <vector>

#include "snapshot/snapshot.h"

namespace pyhang {

// Empty when pyhang has nothing specific to suggest for the finding.
std::string fixLine(const Snapshot& snapshot, const Finding& finding);

// The finding's wake sites (Finding::wakeSites) as lines for the text report, a heading first;
// empty when there are none.
std::vector<std::string> wakeSiteLines(const Finding& finding);

}  // namespace pyhang
