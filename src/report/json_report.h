// The machine report: the snapshot and diagnosis as JSON (schema: docs/json-schema.md).
#pragma once

#include <ostream>

#include "report/options.h"
#include "snapshot/snapshot.h"

namespace pyhang {

void renderJson(const Snapshot& snapshot, const RenderOptions& options, std::ostream& out);

}  // namespace pyhang
