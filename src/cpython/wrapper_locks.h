// Locks held through a program's own context manager: a TracedLock whose __enter__ takes its
// `_lock`, a Transaction whose __enter__ takes `db.lock`. A `with` on such an object holds the
// plain lock inside it, which the frame's `with` stack alone does not show.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpython/object_reader.h"
#include "cpython/source_files.h"
#include "cpython/sync_reader.h"

namespace pyhang::cpython {

struct WrappedLock {
  uint64_t lock = 0;
  std::string path;   // attribute path from the wrapper: "_lock", "db.lock"
};

// The plain locks (_thread.lock) reachable from `wrapper` through at most two attributes whose
// class's source file both takes and releases them by that path (`self._lock.acquire()` or
// `with self._lock`, and `self._lock.release()`). The source is the evidence that the wrapper
// manages the lock; without it nothing is returned. The class's own __enter__ (or the method
// it aliases) must take the lock. Bounded: a few dozen attributes looked at.
std::vector<WrappedLock> wrappedLocks(const ObjectReader& objects, const SyncReader& sync, SourceFiles& sources,
                                      uint64_t wrapper);

// Whether the method running in the frame (its code starting at `firstLine`, now at `line`)
// still has its `self.<path>.release()` ahead, on this line or a later one, with none before it
// and no `with` on the lock: then a release()/__exit__ in progress still holds the lock.
bool releaseAhead(SourceFiles& sources, const std::string& file, int firstLine, int line, const std::string& path);

}  // namespace pyhang::cpython
