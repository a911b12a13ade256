// The Python-level signal handlers a program installed with signal.signal(), read from the
// signal module's handler table: { tripped, func } for each signal number.
#pragma once

#include <optional>
#include <vector>

#include "cpython/object_reader.h"
#include "cpython/runtime_locator.h"
#include "snapshot/snapshot.h"

namespace pyhang::cpython {

// The handlers other than SIG_DFL, SIG_IGN and the default SIGINT handler (default_int_handler).
// nullopt when the table cannot be found or does not look like one.
std::optional<std::vector<SignalHandler>> readSignalHandlers(const ObjectReader& objects, const RuntimeLocation& runtime);

// "SIGTERM" for 15; "signal 40" for numbers without a name.
std::string signalName(int signo);

}  // namespace pyhang::cpython
