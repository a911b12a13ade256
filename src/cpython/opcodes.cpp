// Per-version opcode tables; the data lives in opcodes_data.inc (tools/gen_opcodes.py).
#include "cpython/opcodes.h"

#include <cstdint>
#include <string_view>

namespace pyhang::cpython {
namespace {

struct RawOpcode {
  const char* name;  // nullptr: unused opcode number
  uint8_t base;
  uint8_t caches;
};

struct OpcodeTable {
  int minor;
  const RawOpcode* ops;  // 256 entries
};

#include "cpython/opcodes_data.inc"

constexpr const char* kUnknown = "<unknown>";

const RawOpcode* tableFor(int minor) {
  for (const OpcodeTable& t : kOpcodeTables) {
    if (t.minor == minor) return t.ops;
  }
  return nullptr;
}

}  // namespace

OpcodeInfo opcodeInfo(int minor, uint8_t opcode) {
  const RawOpcode* ops = tableFor(minor);
  if (ops == nullptr || ops[opcode].name == nullptr) return {kUnknown, opcode, 0};
  return {ops[opcode].name, ops[opcode].base, ops[opcode].caches};
}

int opcodeNumber(int minor, std::string_view name) {
  const RawOpcode* ops = tableFor(minor);
  if (ops == nullptr) return -1;
  for (int op = 0; op < 256; ++op) {
    if (ops[op].name != nullptr && name == ops[op].name) return op;
  }
  return -1;
}

}  // namespace pyhang::cpython
