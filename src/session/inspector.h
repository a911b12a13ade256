// Builds a Snapshot from live processes or core files: the one call the CLI makes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "cpython/limits.h"
#include "memory/core_file.h"
#include "native/stack_merger.h"
#include "snapshot/snapshot.h"

namespace pyhang {

struct InspectOptions {
  bool blocking = true;          // stop the threads while reading (PTRACE_SEIZE + INTERRUPT)
  bool children = false;         // also inspect every descendant process
  bool renderLocals = false;
  // `run` / `watch`: a process named that is not Python (a shell running the program), or a
  // zombie, is shown with its /proc state like a descendant, rather than being an error.
  bool anyRoot = false;
  Limits limits;
  CoreOptions core;
  // --native / --native-all / --native-last: unwind every thread's native stack (live:
  // while the threads are stopped). The merge into the frames happens after the analysis:
  // native::mergeNativeStacks.
  native::NativeMode nativeMode = native::NativeMode::kOff;
};

// Errors carry the kind the exit code is derived from; the message is one line for the user.
// With several processes, a process that cannot be read becomes a warning, not an error.
Result<Snapshot> inspectLive(const std::vector<pid_t>& pids, const InspectOptions& options);
Result<Snapshot> inspectCores(const std::vector<std::string>& corePaths, const InspectOptions& options);

}  // namespace pyhang
