// Reads one Python process into a snapshot Process: interpreters, threads, frames, locals, and
// the synchronisation evidence the analysis needs. The same code serves live processes and cores.
#pragma once

#include <functional>
#include <string>

#include "cpython/limits.h"
#include "cpython/runtime_locator.h"
#include "memory/remote_memory.h"
#include "snapshot/snapshot.h"

namespace pyhang::cpython {

struct ReadOptions {
  bool renderLocals = false;       // render every local's value (the evidence is read regardless)
  Limits limits;
  // Maps a path as the target saw it to one pyhang can open ("" = cannot), for source lines.
  std::function<std::string(const std::string&)> localPath;
  // Identity of shared memory at an address ("/dev/shm/sem.x:offset"), "" when not shared; used
  // to recognise the same multiprocessing semaphore in several processes.
  std::function<std::string(uint64_t)> sharedKeyOf;
};

// Fills out.threads, out.objects, out.python, out.gcCollecting; appends warnings.
// Fails only when nothing at all could be read (the runtime is unreadable).
Result<void> readPythonProcess(const RemoteMemory& mem, const RuntimeLocation& runtime,
                               const ReadOptions& options, Process& out);

}  // namespace pyhang::cpython
