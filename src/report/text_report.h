// The human report: PyStack-style tracebacks, then the diagnosis.
#pragma once

#include <ostream>

#include "report/options.h"
#include "snapshot/snapshot.h"

namespace pyhang {

void renderText(const Snapshot& snapshot, const RenderOptions& options, std::ostream& out);

}  // namespace pyhang
