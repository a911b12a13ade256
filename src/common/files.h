// Opening files whose names come from the target (core notes, co_filename): only regular files,
// never blocking on a FIFO or a device.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pyhang {

// An fd for a regular file, or -1 with errno set (EINVAL for a FIFO, device or directory).
int openRegularFile(const std::string& path);

// The lines of a regular text file of at most maxBytes; empty when it cannot be read.
std::vector<std::string> readTextLines(const std::string& path, size_t maxBytes = 16u << 20);

}  // namespace pyhang
