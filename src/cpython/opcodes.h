// Per-version opcode tables (names, deoptimised base opcode, inline cache entries), generated
// from each interpreter's own `opcode`/`dis` modules by tools/gen_opcodes.py.
#pragma once

#include <cstdint>
#include <string_view>

namespace pyhang::cpython {

struct OpcodeInfo {
  const char* name;   // "<N>" style names are never returned: unknown opcodes give "<unknown>"
  uint8_t base;       // the generic opcode a specialised/instrumented one stands for (itself otherwise)
  uint8_t caches;     // inline cache code units that follow the instruction (3.11+), else 0
};

// minor = 8 .. 14 (Python 3.minor). Unknown minor or opcode gives {"<unknown>", op, 0}.
OpcodeInfo opcodeInfo(int minor, uint8_t opcode);

// The opcode number of `name` in that version, or -1.
int opcodeNumber(int minor, std::string_view name);

// The name of the base (deoptimised) opcode.
inline std::string_view baseOpcodeName(int minor, uint8_t opcode) {
  return opcodeInfo(minor, opcodeInfo(minor, opcode).base).name;
}

}  // namespace pyhang::cpython
