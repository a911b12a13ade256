// `pyhang run` and `pyhang watch`: the watching loops (watch/hang_watcher.h decides when the
// processes are stuck). Each returns pyhang's exit status.
#pragma once

#include "cli/command_line.h"

namespace pyhang::cli {

// Runs settings.command, passes its output and status through; on a hang, writes the report to
// stderr and to the report directory, then waits, kills or leaves as --on-hang says.
int runCommand(const Settings& settings);

// Watches settings.pids[0] (and its descendants with --children), printing a report each time
// it turns stuck; 0 when it exits, or the report's status after the first one with --once.
int watchProcess(const Settings& settings);

}  // namespace pyhang::cli
