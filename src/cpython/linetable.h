// Decoders for CPython's line-number tables and 3.11+ exception tables.
// Input is untrusted bytes copied from the target: every decoder is bounded and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pyhang::cpython {

enum class LineTableFormat {
  kLnotab,          // 3.6-3.9: co_lnotab, (addr_incr u8, line_incr s8) pairs, byte offsets
  kLinetable310,    // 3.10: co_linetable, (sdelta u8, ldelta s8) pairs, -128 = no line
  kLocationTable,   // 3.11+: co_linetable location table, in code units
};

// The line of the instruction at `byteOffset` (bytes from the start of the bytecode; for 3.11+
// callers pass 2 * code_unit_index). nullopt when the instruction has no line or the table is
// malformed.
std::optional<int> lineForOffset(LineTableFormat format, std::span<const uint8_t> table,
                                 int firstLineNo, uint32_t byteOffset);

struct ExceptionTableEntry {
  uint32_t start = 0;   // code units, inclusive
  uint32_t end = 0;     // code units, exclusive
  uint32_t target = 0;  // code units
  uint32_t depth = 0;   // stack depth protected by this handler
  bool lasti = false;
};

// All entries of a 3.11+ co_exceptiontable, at most maxEntries; stops at the first malformed one.
std::vector<ExceptionTableEntry> parseExceptionTable(std::span<const uint8_t> table,
                                                     size_t maxEntries = 4096);

// The (innermost, the table is flat) entry covering `codeUnit`, if any.
std::optional<ExceptionTableEntry> exceptionEntryFor(std::span<const uint8_t> table,
                                                     uint32_t codeUnit);

}  // namespace pyhang::cpython
