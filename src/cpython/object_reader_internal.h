// Internal to ObjectReader (object_reader.cpp, object_values.cpp, object_repr.cpp): what the
// value readers and the repr renderer share. Not for use outside src/cpython/object_*.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace pyhang::cpython::object_internal {

// Appends code point cp as UTF-8 (a lone surrogate as Python writes it: \udcxx; past U+10FFFF,
// U+FFFD).
void appendUtf8(std::string& out, uint32_t cp);

}  // namespace pyhang::cpython::object_internal
