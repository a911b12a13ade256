// Caps for every count and length the target controls.
#pragma once

#include <cstddef>

namespace pyhang {

struct Limits {
  size_t maxThreads = 4096;
  size_t maxInterpreters = 64;
  size_t maxFrames = 4096;          // per thread
  size_t maxReprChars = 80;         // characters of a rendered str/bytes before "..."
  size_t maxContainerItems = 10;    // items of a rendered tuple/list/dict/set before "..."
  size_t maxReprDepth = 2;          // nesting of containers in a rendered value
  size_t maxStringBytes = 1 << 16;  // bytes read for names, file names, attribute keys
  size_t maxDictEntries = 1 << 16;  // entries scanned by a dict lookup
  size_t maxIntDigits = 1000;       // 30-bit digits of an int rendered in full
  size_t maxLineTableBytes = 1 << 20;
  size_t maxLocals = 4096;
  size_t maxStackSlots = 1 << 16;
};

}  // namespace pyhang
