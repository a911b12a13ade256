// Decoders for CPython line tables (3.8/3.9 lnotab, 3.10 linetable, 3.11+ location table) and the
// 3.11+ exception table. See CPYTHON.md sections 3.2 and 3.3 for the formats.
//
// Everything here reads untrusted bytes copied out of another process, so:
//  * every byte access is bounds-checked against the span,
//  * accumulators are 64-bit and their worst case is bounded by kMaxTableBytes (no overflow),
//  * loops run at most once per table byte (tables above kMaxTableBytes are rejected),
//  * varints are limited to kMaxVarintGroups groups,
//  * nothing throws and nothing allocates except parseExceptionTable's result vector.
#include "cpython/linetable.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

namespace pyhang::cpython {
namespace {

// No real code object has a line or exception table anywhere near this size (CPython's own limit
// on code size is far smaller); larger inputs are treated as malformed. With at most this many
// entries and at most 2^35 per line delta, a 64-bit line accumulator cannot overflow.
constexpr size_t kMaxTableBytes = size_t{1} << 24;

// 6 groups of 6 bits = 36 bits, enough for every 32-bit value CPython writes.
constexpr int kMaxVarintGroups = 6;

std::optional<int> toLine(int64_t line) {
  if (line < std::numeric_limits<int>::min() || line > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(line);
}

// ---- 3.8 / 3.9: co_lnotab -------------------------------------------------------------------
// Pairs (addr_incr u8, line_incr s8). The line of `offset` is firstlineno plus the line increments
// of all pairs whose cumulative address is <= offset. A trailing odd byte is ignored (as CPython
// does: it uses size / 2 pairs). Every offset has a line in this format.
std::optional<int> lnotabLine(std::span<const uint8_t> table, int firstLineNo, uint32_t offset) {
  int64_t line = firstLineNo;
  uint64_t addr = 0;
  const size_t pairs = table.size() / 2;
  for (size_t i = 0; i < pairs; ++i) {
    addr += table[2 * i];
    if (addr > offset) break;
    line += static_cast<int8_t>(table[2 * i + 1]);
  }
  return toLine(line);
}

// ---- 3.10: co_linetable ---------------------------------------------------------------------
// Pairs (sdelta u8, ldelta s8); each pair covers [end, end + sdelta) bytes; ldelta == -128 marks
// "no line" for that range without changing the running line. Offsets past the last range have
// no line. A trailing odd byte is ignored.
std::optional<int> linetable310Line(std::span<const uint8_t> table, int firstLineNo,
                                    uint32_t offset) {
  int64_t line = firstLineNo;
  uint64_t end = 0;
  const size_t pairs = table.size() / 2;
  for (size_t i = 0; i < pairs; ++i) {
    const uint64_t start = end;
    end += table[2 * i];
    const int8_t ldelta = static_cast<int8_t>(table[2 * i + 1]);
    const bool noLine = ldelta == -128;
    if (!noLine) line += ldelta;
    if (start <= offset && offset < end) {
      if (noLine) return std::nullopt;
      return toLine(line);
    }
  }
  return std::nullopt;
}

// ---- 3.11+: location table ------------------------------------------------------------------
class LocationReader {
 public:
  explicit LocationReader(std::span<const uint8_t> table) : table_(table) {}

  bool atEnd() const { return pos_ >= table_.size(); }

  // A data byte inside an entry: present and without the entry-start bit.
  bool dataByte(uint8_t& out) {
    if (pos_ >= table_.size()) return false;
    out = table_[pos_++];
    return (out & 0x80) == 0;
  }

  bool skip(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      uint8_t b;
      if (!dataByte(b)) return false;
    }
    return true;
  }

  // Little-endian groups of 6 bits, 0x40 = more.
  bool varint(uint64_t& out) {
    uint64_t value = 0;
    for (int group = 0; group < kMaxVarintGroups; ++group) {
      uint8_t b;
      if (!dataByte(b)) return false;
      value |= static_cast<uint64_t>(b & 0x3f) << (6 * group);
      if ((b & 0x40) == 0) {
        out = value;
        return true;
      }
    }
    return false;  // too many groups: malformed
  }

  bool svarint(int64_t& out) {
    uint64_t v;
    if (!varint(v)) return false;
    const int64_t magnitude = static_cast<int64_t>(v >> 1);  // < 2^35
    out = (v & 1) ? -magnitude : magnitude;
    return true;
  }

  // Reads one entry. Returns false at a malformed or truncated entry.
  bool entry(uint32_t& lengthUnits, int64_t& line, bool& hasLine) {
    if (pos_ >= table_.size()) return false;
    const uint8_t head = table_[pos_++];
    if ((head & 0x80) == 0) return false;
    const int code = (head >> 3) & 15;
    lengthUnits = static_cast<uint32_t>(head & 7) + 1;
    hasLine = true;
    switch (code) {
      case 15:  // no location
        hasLine = false;
        return true;
      case 14: {  // long form: line delta, end line delta, column + 1, end column + 1
        int64_t delta;
        uint64_t ignored;
        if (!svarint(delta)) return false;
        if (!varint(ignored) || !varint(ignored) || !varint(ignored)) return false;
        line += delta;
        return true;
      }
      case 13: {  // no columns
        int64_t delta;
        if (!svarint(delta)) return false;
        line += delta;
        return true;
      }
      case 12:
      case 11:
      case 10:  // one line: line delta code-10, start column, end column
        if (!skip(2)) return false;
        line += code - 10;
        return true;
      default:  // short form 0..9: same line, one column byte
        return skip(1);
    }
  }

 private:
  std::span<const uint8_t> table_;
  size_t pos_ = 0;
};

std::optional<int> locationTableLine(std::span<const uint8_t> table, int firstLineNo,
                                     uint32_t offset) {
  const uint64_t unit = offset / 2;
  LocationReader reader(table);
  int64_t line = firstLineNo;
  uint64_t addr = 0;
  // At most one entry per table byte.
  for (size_t n = 0; n < table.size() && !reader.atEnd(); ++n) {
    uint32_t length = 0;
    bool hasLine = false;
    if (!reader.entry(length, line, hasLine)) return std::nullopt;
    if (addr <= unit && unit < addr + length) {
      if (!hasLine) return std::nullopt;
      return toLine(line);
    }
    addr += length;
  }
  return std::nullopt;
}

// ---- 3.11+: exception table -----------------------------------------------------------------
class ExceptionReader {
 public:
  explicit ExceptionReader(std::span<const uint8_t> table) : table_(table) {}

  bool atEnd() const { return pos_ >= table_.size(); }

  // Big-endian groups of 6 bits, 0x40 = more; 0x80 marks the first byte of an entry and must
  // appear there and nowhere else.
  bool varint(bool entryStart, uint32_t& out) {
    uint64_t value = 0;
    for (int group = 0; group < kMaxVarintGroups; ++group) {
      if (pos_ >= table_.size()) return false;
      const uint8_t b = table_[pos_++];
      const bool startBit = (b & 0x80) != 0;
      if (startBit != (entryStart && group == 0)) return false;
      value = (value << 6) | (b & 0x3f);
      if ((b & 0x40) == 0) {
        if (value > std::numeric_limits<uint32_t>::max()) return false;
        out = static_cast<uint32_t>(value);
        return true;
      }
    }
    return false;
  }

  bool entry(ExceptionTableEntry& out) {
    uint32_t start, length, target, depthLasti;
    if (!varint(true, start) || !varint(false, length) || !varint(false, target) ||
        !varint(false, depthLasti)) {
      return false;
    }
    const uint64_t end = uint64_t{start} + length;
    if (end > std::numeric_limits<uint32_t>::max()) return false;
    out.start = start;
    out.end = static_cast<uint32_t>(end);
    out.target = target;
    out.depth = depthLasti >> 1;
    out.lasti = (depthLasti & 1) != 0;
    return true;
  }

 private:
  std::span<const uint8_t> table_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<int> lineForOffset(LineTableFormat format, std::span<const uint8_t> table,
                                 int firstLineNo, uint32_t byteOffset) {
  if (table.size() > kMaxTableBytes) return std::nullopt;
  switch (format) {
    case LineTableFormat::kLnotab:
      return lnotabLine(table, firstLineNo, byteOffset);
    case LineTableFormat::kLinetable310:
      return linetable310Line(table, firstLineNo, byteOffset);
    case LineTableFormat::kLocationTable:
      return locationTableLine(table, firstLineNo, byteOffset);
  }
  return std::nullopt;
}

std::vector<ExceptionTableEntry> parseExceptionTable(std::span<const uint8_t> table,
                                                     size_t maxEntries) {
  std::vector<ExceptionTableEntry> entries;
  if (table.size() > kMaxTableBytes) return entries;
  ExceptionReader reader(table);
  // Every entry takes at least 4 bytes, so the loop is also bounded by the table size.
  while (entries.size() < maxEntries && !reader.atEnd()) {
    ExceptionTableEntry e;
    if (!reader.entry(e)) break;
    entries.push_back(e);
  }
  return entries;
}

std::optional<ExceptionTableEntry> exceptionEntryFor(std::span<const uint8_t> table,
                                                     uint32_t codeUnit) {
  if (table.size() > kMaxTableBytes) return std::nullopt;
  ExceptionReader reader(table);
  while (!reader.atEnd()) {
    ExceptionTableEntry e;
    if (!reader.entry(e)) return std::nullopt;
    if (e.start <= codeUnit && codeUnit < e.end) return e;
  }
  return std::nullopt;
}

}  // namespace pyhang::cpython
