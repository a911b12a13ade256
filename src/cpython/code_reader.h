// Code objects: names, line tables, local variable names, bytecode access. Cached by address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpython/linetable.h"
#include "cpython/object_reader.h"

namespace pyhang::cpython {

// Kinds of a localsplus slot (3.11+ co_localspluskinds; synthesised before 3.11).
constexpr uint8_t kFastLocal = 0x20, kFastCell = 0x40, kFastFree = 0x80, kFastHidden = 0x10;

struct CodeInfo {
  uint64_t address = 0;
  std::string filename;
  std::string name;
  std::string qualname;           // co_qualname (3.11+), else co_name
  int firstLineNo = 0;
  int argCount = 0;               // positional + keyword-only + *args + **kwargs
  int stackSize = 0;
  int flags = 0;
  int firstTraceable = 0;         // code units (3.11+)
  std::vector<uint8_t> lineTable;
  std::vector<uint8_t> exceptionTable;  // 3.11+
  std::vector<std::string> slotNames;   // locals, then cells, then frees
  std::vector<uint8_t> slotKinds;
  int nlocals = 0;                // plain locals (<= 3.10), == slotNames.size() for 3.11+
  uint64_t bytecode = 0;          // address of the first instruction
  uint64_t bytecodeSize = 0;      // bytes (<= 3.10 co_code size; 3.11+ unknown: 0)
};

class CodeReader {
 public:
  explicit CodeReader(const ObjectReader& objects) : objects_(objects) {}

  Result<const CodeInfo*> read(uint64_t code) const;
  std::optional<int> lineFor(const CodeInfo& code, uint32_t byteOffset) const;

 private:
  const ObjectReader& objects_;
  mutable std::unordered_map<uint64_t, CodeInfo> cache_;
  // (code address, byte offset) -> line: thousands of suspended coroutines sit at the same few
  // instructions, and decoding a line table is linear in the offset.
  struct LineKeyHash {
    size_t operator()(const std::pair<uint64_t, uint32_t>& k) const {
      return std::hash<uint64_t>()(k.first * 0x9E3779B97F4A7C15ull ^ k.second);
    }
  };
  mutable std::unordered_map<std::pair<uint64_t, uint32_t>, std::optional<int>, LineKeyHash> lines_;
};

}  // namespace pyhang::cpython
