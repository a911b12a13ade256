// A cache of uncompressed copies of separate debug-info files (native stacks).
//
// Distributions compress the DWARF of their debug packages (libc6-dbg, python3.X-dbg: zlib,
// SHF_COMPRESSED). libdw inflates every .debug_* section of such a file before it can answer
// a single question: about 100 ms for libc's, 200 ms for python3.11's, on every run. pyhang
// keeps an uncompressed copy, named by build-id, and hands that to libdw instead; the copies are
// content-addressed, so they never go stale. Only read-only, fully validated copies are used.
//
//   PYHANG_DEBUGINFO_CACHE=DIR   the cache directory
//   PYHANG_DEBUGINFO_CACHE=off   no cache (inflate every time)
//   default                      $XDG_CACHE_HOME/pyhang/debuginfo, else ~/.cache/pyhang/debuginfo
//
// The cache holds at most kMaxBytes; the least recently used copies go first.
#pragma once

#include <cstdint>
#include <string>

namespace pyhang::native {

constexpr uint64_t kDebuginfoCacheMaxBytes = 1ull << 30;
constexpr uint64_t kDebuginfoCacheMinCompressed = 256 << 10;   // smaller files inflate fast enough

// "" when the cache is off or no directory can be determined.
std::string debuginfoCacheDir();

// `fd` is an open debug-info file with build-id `buildId` (hex). When its DWARF is compressed
// (at least kDebuginfoCacheMinCompressed bytes of it), returns an fd of the uncompressed copy in
// `dir` -- made now when `mayCreate` and it is missing -- and sets *path; otherwise -1 (use `fd`).
// Never throws; any failure (read-only directory, full disk, damaged file) gives -1.
int uncompressedDebuginfo(int fd, const std::string& buildId, const std::string& dir, bool mayCreate,
                          std::string* path);

}  // namespace pyhang::native
