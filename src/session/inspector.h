// Builds a Snapshot from a live process or a core file: the one call the CLI makes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "cpython/limits.h"
#include "memory/core_file.h"
#include "snapshot/snapshot.h"

namespace pyhang {

struct InspectOptions {
  bool blocking = true;          // stop the threads while reading (PTRACE_SEIZE + INTERRUPT)
  bool renderLocals = false;
  Limits limits;
  CoreOptions core;
};

// Errors carry the kind the exit code is derived from; the message is one line for the user.
Result<Process> inspectLive(pid_t pid, const InspectOptions& options);
Result<Process> inspectCore(const std::string& corePath, const InspectOptions& options);

}  // namespace pyhang
