// Reads CPython objects out of target memory: types, str, int, containers, instance attributes,
// and renders values the way PyStack does. Every read is bounded; bad data yields a marked
// placeholder, never a crash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "cpython/layout.h"
#include "cpython/limits.h"
#include "snapshot/snapshot.h"
#include "memory/remote_memory.h"

namespace pyhang::cpython {

struct TypeInfo {
  uint64_t address = 0;
  std::string rawName;     // tp_name as stored ("_thread.lock", "Condition")
  std::string name;        // without the module ("lock", "Condition")
  std::string module;      // __module__ of heap types ("threading"), "" for static types
  uint64_t flags = 0;
  int64_t basicSize = 0;
  int64_t dictOffset = 0;
  uint64_t base = 0;       // tp_base
};

class ObjectReader {
 public:
  ObjectReader(const RemoteMemory& mem, const PythonLayout& layout, const Limits& limits)
      : mem_(mem), layout_(layout), o_(layout.offsets), limits_(limits) {}

  const RemoteMemory& memory() const { return mem_; }
  const PythonLayout& layout() const { return layout_; }
  const Limits& limits() const { return limits_; }

  Result<const TypeInfo*> typeOf(uint64_t obj) const;
  Result<const TypeInfo*> typeAt(uint64_t typeAddress) const;
  Result<std::string> typeName(uint64_t obj) const;
  // True if obj's type, or a base class, is `module`.`name` (module "" matches any).
  bool isInstance(uint64_t obj, std::string_view module, std::string_view name) const;
  // The qualified type name: "threading.Condition", "_thread.lock".
  std::string qualifiedTypeName(uint64_t obj) const;

  Result<std::string> readStr(uint64_t obj, size_t maxChars, bool* cut = nullptr) const;
  Result<std::string> readStr(uint64_t obj) const { return readStr(obj, limits_.maxStringBytes); }
  // The int's value if it fits in 64 bits.
  Result<int64_t> readSmallInt(uint64_t obj) const;
  Result<std::string> readIntDecimal(uint64_t obj) const;
  Result<double> readFloat(uint64_t obj) const;
  Result<std::vector<uint64_t>> tupleItems(uint64_t obj, size_t cap) const;
  Result<std::vector<uint64_t>> listItems(uint64_t obj, size_t cap) const;
  Result<int64_t> containerSize(uint64_t obj) const;   // ob_size
  // (key, value) pairs of a dict, in insertion order, at most `cap`.
  Result<std::vector<std::pair<uint64_t, uint64_t>>> dictItems(uint64_t dict, size_t cap) const;
  Result<std::vector<uint64_t>> setItems(uint64_t obj, size_t cap) const;
  Result<std::vector<uint64_t>> dequeItems(uint64_t obj, size_t cap) const;
  // Looks up a str key in a dict.
  std::optional<uint64_t> dictGet(uint64_t dict, std::string_view key) const;
  // An instance attribute from the object's __dict__ (managed or not), or nullopt.
  // An instance attribute: from the instance's dict (or managed values), else a __slots__ member.
  std::optional<uint64_t> attr(uint64_t obj, std::string_view name) const;
  // The offset of the __slots__ member `name` in instances of `type` (or a base); 0 if none.
  int64_t slotOffset(const TypeInfo& type, std::string_view name) const;
  // All instance attributes (name, value), at most `cap`.
  std::vector<std::pair<std::string, uint64_t>> attrs(uint64_t obj, size_t cap) const;

  // PyStack-style rendering: 'text', 42, 1.5, True, None, (1, 2), [..], {k: v}, <T at 0x..>.
  std::string repr(uint64_t obj, size_t depth = 0) const;

  // A function/code object's qualified name helpers.
  Result<std::string> functionName(uint64_t func) const;
  // A Python function's qualified name, file and `def` line (fields it lacks stay empty or 0).
  SourceLocation functionLocation(uint64_t func) const;

  // The main interpreter's sys.modules[name] module dict, set by the process reader.
  void setModulesDict(uint64_t modules) { modules_ = modules; }
  std::optional<uint64_t> moduleGlobal(std::string_view module, std::string_view name) const;
  std::optional<uint64_t> moduleDict(std::string_view module) const;

 private:
  std::optional<uint64_t> instanceDict(uint64_t obj, const TypeInfo& type) const;
  // The code points of a str (at most maxChars; *cut tells whether more were left), uncached.
  Result<std::u32string> readCodePoints(uint64_t obj, size_t maxChars, bool* cut) const;
  // (keys object, values array address or 0, values are plain array) of the split table.
  Result<std::vector<std::pair<uint64_t, uint64_t>>> keysEntries(uint64_t keys, uint64_t values, size_t cap) const;

  const RemoteMemory& mem_;
  const PythonLayout& layout_;
  const Layout& o_;
  const Limits& limits_;
  uint64_t modules_ = 0;
  mutable std::unordered_map<uint64_t, TypeInfo> types_;
  struct CachedStr {
    std::string text;   // readStr's UTF-8 rendering
    size_t chars = 0;   // the str's length in code points
  };
  mutable std::unordered_map<uint64_t, CachedStr> strCache_;
  // dictGet on a dict seen before: its str keys, indexed once (the target does not change while
  // it is read). Looked-up counts decide which dicts are worth indexing.
  mutable std::unordered_map<uint64_t, unsigned> dictLookups_;
  mutable std::map<std::pair<uint64_t, std::string>, int64_t> slotOffsets_;   // (type, name) -> offset
  mutable std::unordered_map<uint64_t, std::unordered_map<std::string, uint64_t>> dictIndex_;
};

}  // namespace pyhang::cpython
