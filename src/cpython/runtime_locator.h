// Finds _PyRuntime and the CPython version in a target, from its mapped files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "cpython/layout.h"
#include "memory/remote_memory.h"
#include "memory/mapped_file.h"

namespace pyhang::cpython {

struct RuntimeLocation {
  uint64_t runtimeAddress = 0;
  std::string file;             // the file that defines _PyRuntime (libpython or the executable)
  bool staticBuild = false;     // _PyRuntime lives in the executable
  PythonLayout layout;
  bool usedDebugOffsets = false;
  // The signal module's handler table, `Handlers[NSIG]` (3.8-3.11, a static symbol: only where the
  // symbol table survives), 0 when unknown. 3.12+ keep it inside _PyRuntime.
  uint64_t signalHandlers = 0;
  // 3.6: where the _asyncio extension keeps its static all_tasks / current_tasks (0: not loaded
  // or no symbols).
  uint64_t asyncioAllTasks36 = 0, asyncioCurrentTasks36 = 0;
  std::vector<std::string> warnings;
};

// kNotFound: not a Python process; kUnsupported: a Python we cannot read (message says which).
Result<RuntimeLocation> locateRuntime(const RemoteMemory& mem, const std::vector<MappedFile>& maps,
                                      const std::string& executablePath);

}  // namespace pyhang::cpython
