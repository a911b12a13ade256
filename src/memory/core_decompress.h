// Compressed cores (zstd, lz4, xz, gzip): recognises them by their magic and decompresses one
// into an unlinked temporary file, with the limits that keep a decompression bomb from filling
// the disk. Internal to CoreFile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace pyhang::core_internal {

enum class Compression { kNone, kZstd, kLz4, kXz, kGzip, kLz4Legacy };

Compression detectCompression(const uint8_t* m, size_t n);

// Decompresses the core read from `fd` (a `comp`-compressed `path`) into an unlinked temporary
// file in $TMPDIR (else /tmp) and returns that file's descriptor, which the caller owns. A stream
// that is corrupt or ends early, or goes on past what the core's program headers describe, adds a
// warning and keeps what was decompressed; kImplausible when nothing usable came out, or when the
// core would not fit in the temporary directory.
Result<int> decompressToTempFile(int fd, const std::string& path, Compression comp,
                                 std::vector<std::string>& warnings);

}  // namespace pyhang::core_internal
