// Tests for src/cpython/linetable.{h,cpp}: line tables of every supported CPython version and the
// 3.11+ exception table, checked against vectors produced by the interpreters themselves
// (tests/data/linetable/<version>.txt, written by tools/gen_linetable_vectors.py), hand-written
// edge cases, and random/mutated input.
#include "cpython/linetable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace pyhang::cpython {
namespace {

using Bytes = std::vector<uint8_t>;

// ---- vector files -----------------------------------------------------------------------------

struct CodeVector {
  std::string name;
  int firstLineNo = 0;
  uint32_t count = 0;  // number of 2-byte offsets (instructions / code units)
  Bytes table;
  std::vector<std::optional<int>> lines;  // expected line per byte offset 2*i
  bool hasExceptionTable = false;
  Bytes exceptionTable;
  std::vector<ExceptionTableEntry> entries;
};

struct VectorFile {
  std::string version;
  std::string formatName;
  LineTableFormat format = LineTableFormat::kLnotab;
  std::vector<CodeVector> codes;
};

bool parseHex(const std::string& hex, Bytes& out) {
  out.clear();
  if (hex == "-") return true;
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return true;
}

// "N", "N*K", "-", "-*K"
bool parseRle(std::istringstream& in, std::vector<std::optional<int>>& out) {
  std::string tok;
  while (in >> tok) {
    const auto star = tok.find('*');
    const std::string value = tok.substr(0, star);
    const long count = star == std::string::npos ? 1 : std::stol(tok.substr(star + 1));
    std::optional<int> line;
    if (value != "-") line = std::stoi(value);
    if (count <= 0) return false;
    out.insert(out.end(), static_cast<size_t>(count), line);
  }
  return true;
}

// Loads one vector file; on failure returns nullopt and describes the problem in `error`.
std::optional<VectorFile> loadVectors(const std::string& version, std::string& error) {
  const std::string path = std::string(PYHANG_TEST_DATA_DIR) + "/linetable/" + version + ".txt";
  std::ifstream in(path);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  VectorFile file;
  std::string line;
  int lineNo = 0;
  auto fail = [&](const std::string& what) {
    error = path + ":" + std::to_string(lineNo) + ": " + what;
    return std::nullopt;
  };
  try {
    while (std::getline(in, line)) {
      ++lineNo;
      if (line.empty() || line[0] == '#') continue;
      std::istringstream words(line);
      std::string tag;
      words >> tag;
      if (tag == "version") {
        words >> file.version;
      } else if (tag == "format") {
        words >> file.formatName;
        if (file.formatName == "lnotab") {
          file.format = LineTableFormat::kLnotab;
        } else if (file.formatName == "linetable310") {
          file.format = LineTableFormat::kLinetable310;
        } else if (file.formatName == "location") {
          file.format = LineTableFormat::kLocationTable;
        } else {
          return fail("unknown format " + file.formatName);
        }
      } else if (tag == "C") {
        CodeVector code;
        std::string hex;
        if (!(words >> code.name >> code.firstLineNo >> code.count >> hex)) return fail("bad C");
        if (!parseHex(hex, code.table)) return fail("bad hex");
        file.codes.push_back(std::move(code));
      } else if (tag == "L") {
        if (file.codes.empty() || !parseRle(words, file.codes.back().lines)) return fail("bad L");
        if (file.codes.back().lines.size() != file.codes.back().count) {
          return fail("L count differs from C count");
        }
      } else if (tag == "X") {
        std::string hex;
        words >> hex;
        if (file.codes.empty() || !parseHex(hex, file.codes.back().exceptionTable)) {
          return fail("bad X");
        }
        file.codes.back().hasExceptionTable = true;
      } else if (tag == "E") {
        if (file.codes.empty()) return fail("E before C");
        std::string tok;
        while (words >> tok) {
          ExceptionTableEntry e;
          unsigned long v[5];
          char sep;
          std::istringstream t(tok);
          if (!(t >> v[0] >> sep >> v[1] >> sep >> v[2] >> sep >> v[3] >> sep >> v[4])) {
            return fail("bad E entry " + tok);
          }
          e.start = static_cast<uint32_t>(v[0]);
          e.end = static_cast<uint32_t>(v[1]);
          e.target = static_cast<uint32_t>(v[2]);
          e.depth = static_cast<uint32_t>(v[3]);
          e.lasti = v[4] != 0;
          file.codes.back().entries.push_back(e);
        }
      } else {
        return fail("unknown tag " + tag);
      }
    }
  } catch (const std::exception& ex) {
    return fail(std::string("parse error: ") + ex.what());
  }
  if (file.version != version) {
    error = path + ": version line says " + file.version;
    return std::nullopt;
  }
  return file;
}

std::string describe(const std::optional<int>& line) {
  return line ? std::to_string(*line) : std::string("none");
}

std::string describe(const ExceptionTableEntry& e) {
  std::ostringstream s;
  s << "{" << e.start << "," << e.end << "," << e.target << "," << e.depth << ","
    << (e.lasti ? 1 : 0) << "}";
  return s.str();
}

bool sameEntry(const ExceptionTableEntry& a, const ExceptionTableEntry& b) {
  return a.start == b.start && a.end == b.end && a.target == b.target && a.depth == b.depth &&
         a.lasti == b.lasti;
}

struct VersionCase {
  const char* version;
  LineTableFormat format;
  bool hasExceptionTables;
};

const VersionCase kVersions[] = {
    {"3.6.15", LineTableFormat::kLnotab, false},
    {"3.7.16", LineTableFormat::kLnotab, false},
    {"3.8.18", LineTableFormat::kLnotab, false},
    {"3.9.18", LineTableFormat::kLnotab, false},
    {"3.10.13", LineTableFormat::kLinetable310, false},
    {"3.11.7", LineTableFormat::kLocationTable, true},
    {"3.12.1", LineTableFormat::kLocationTable, true},
    {"3.13.0", LineTableFormat::kLocationTable, true},
    {"3.14.10", LineTableFormat::kLocationTable, true},
    {"3.15.2", LineTableFormat::kLocationTable, true},
};

std::string versionTestName(const testing::TestParamInfo<VersionCase>& info) {
  std::string name = std::string("v") + info.param.version;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// ---- line tables: interpreter-generated vectors -----------------------------------------------

class LineTableVectorTest : public testing::TestWithParam<VersionCase> {};

TEST_P(LineTableVectorTest, EveryOffsetHasTheInterpretersLine) {
  // Given the vectors the interpreter of this version wrote for its own code objects
  std::string error;
  const auto file = loadVectors(GetParam().version, error);
  ASSERT_TRUE(file.has_value()) << error;
  ASSERT_EQ(file->format, GetParam().format) << "format line " << file->formatName;
  ASSERT_GT(file->codes.size(), 100u);

  size_t offsets = 0, noLine = 0, mismatches = 0;
  for (const CodeVector& code : file->codes) {
    for (uint32_t i = 0; i < code.count; ++i) {
      // When the line of each instruction offset is decoded
      const std::optional<int> got = lineForOffset(file->format, code.table, code.firstLineNo, 2 * i);
      // Then it is exactly what the interpreter reported
      ++offsets;
      if (!code.lines[i]) ++noLine;
      if (got != code.lines[i]) {
        if (++mismatches <= 10) {
          ADD_FAILURE() << GetParam().version << " " << code.name << " (first line "
                        << code.firstLineNo << ") byte offset " << 2 * i << ": expected "
                        << describe(code.lines[i]) << ", got " << describe(got);
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << offsets << " offsets";
  std::cout << "[ vectors  ] " << GetParam().version << " line tables: " << file->codes.size()
            << " code objects, " << offsets << " offsets (" << noLine << " without line), "
            << mismatches << " mismatches\n";
  RecordProperty("offsets", static_cast<int>(offsets));
}

TEST_P(LineTableVectorTest, TruncatedRealTablesNeverInventLines) {
  // Given real tables cut at many lengths
  std::string error;
  const auto file = loadVectors(GetParam().version, error);
  ASSERT_TRUE(file.has_value()) << error;
  const bool lnotab = file->format == LineTableFormat::kLnotab;

  size_t checks = 0, bad = 0;
  for (size_t c = 0; c < file->codes.size(); c += 7) {  // a sample keeps this fast
    const CodeVector& code = file->codes[c];
    for (size_t cut = 0; cut < code.table.size(); cut += 1 + code.table.size() / 16) {
      const std::span<const uint8_t> prefix(code.table.data(), cut);
      // (lnotab has no end marker: a cut table is only exact before the first dropped pair)
      uint64_t exactBelow = 0;
      if (lnotab) {
        for (size_t k = 0; k + 1 < code.table.size() && k <= cut - cut % 2; k += 2) {
          exactBelow += code.table[k];
        }
      }
      for (uint32_t i = 0; i < code.count; i += 1 + code.count / 64) {
        // When an offset is looked up in the truncated table
        const auto got = lineForOffset(file->format, prefix, code.firstLineNo, 2 * i);
        ++checks;
        // Then the answer is the true line or (3.10+) "unknown", never a wrong line
        bool ok;
        if (lnotab) {
          ok = got.has_value() && (2 * i >= exactBelow || got == code.lines[i]);
        } else {
          ok = !got || got == code.lines[i];
        }
        if (!ok && ++bad <= 5) {
          ADD_FAILURE() << code.name << " cut at " << cut << " offset " << 2 * i << ": got "
                        << describe(got) << " expected " << describe(code.lines[i]);
        }
      }
    }
  }
  EXPECT_EQ(bad, 0u) << "of " << checks;
}

INSTANTIATE_TEST_SUITE_P(LineTable, LineTableVectorTest, testing::ValuesIn(kVersions),
                         versionTestName);

// ---- exception tables: interpreter-generated vectors ------------------------------------------

class ExceptionTableVectorTest : public testing::TestWithParam<VersionCase> {};

TEST_P(ExceptionTableVectorTest, EntriesMatchDisParseExceptionTable) {
  // Given the co_exceptiontable bytes and the entries dis._parse_exception_table reported
  std::string error;
  const auto file = loadVectors(GetParam().version, error);
  ASSERT_TRUE(file.has_value()) << error;

  size_t tables = 0, entries = 0, lookups = 0, mismatches = 0;
  for (const CodeVector& code : file->codes) {
    ASSERT_TRUE(code.hasExceptionTable) << code.name;
    ++tables;
    // When the table is parsed
    const auto got = parseExceptionTable(code.exceptionTable);
    // Then every entry matches
    entries += code.entries.size();
    bool same = got.size() == code.entries.size();
    for (size_t i = 0; same && i < got.size(); ++i) same = sameEntry(got[i], code.entries[i]);
    if (!same && ++mismatches <= 10) {
      ADD_FAILURE() << code.name << ": parsed " << got.size() << " entries, expected "
                    << code.entries.size();
    }
    // And the lookup of every code unit finds the (single, flat) covering entry or none
    for (uint32_t unit = 0; unit < code.count; ++unit) {
      std::optional<ExceptionTableEntry> want;
      for (const auto& e : code.entries) {
        if (e.start <= unit && unit < e.end) {
          want = e;
          break;
        }
      }
      const auto found = exceptionEntryFor(code.exceptionTable, unit);
      ++lookups;
      const bool ok = want ? (found && sameEntry(*found, *want)) : !found;
      if (!ok && ++mismatches <= 10) {
        ADD_FAILURE() << code.name << " code unit " << unit << ": expected "
                      << (want ? describe(*want) : "none") << ", got "
                      << (found ? describe(*found) : "none");
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(entries, 500u);
  std::cout << "[ vectors  ] " << GetParam().version << " exception tables: " << tables
            << " tables, " << entries << " entries, " << lookups << " lookups, " << mismatches
            << " mismatches\n";
}

const VersionCase kExceptionVersions[] = {
    {"3.11.7", LineTableFormat::kLocationTable, true},
    {"3.12.1", LineTableFormat::kLocationTable, true},
    {"3.13.0", LineTableFormat::kLocationTable, true},
    {"3.14.10", LineTableFormat::kLocationTable, true},
    {"3.15.2", LineTableFormat::kLocationTable, true},
};

INSTANTIATE_TEST_SUITE_P(ExceptionTable, ExceptionTableVectorTest,
                         testing::ValuesIn(kExceptionVersions), versionTestName);

// ---- line tables: hand-written cases ----------------------------------------------------------

std::optional<int> line(LineTableFormat f, const Bytes& table, int first, uint32_t off) {
  return lineForOffset(f, table, first, off);
}

constexpr auto kLnotab = LineTableFormat::kLnotab;
constexpr auto k310 = LineTableFormat::kLinetable310;
constexpr auto kLoc = LineTableFormat::kLocationTable;

TEST(LineTableLnotab, EmptyTableGivesFirstLineEverywhere) {
  // Given an empty co_lnotab (a one-line function)
  const Bytes table;
  // When / Then every offset is on co_firstlineno
  for (uint32_t off : {0u, 2u, 100u, 0xffffffffu}) EXPECT_EQ(line(kLnotab, table, 7, off), 7);
}

TEST(LineTableLnotab, WalksAddressAndLineIncrements) {
  // Given pairs (6,+1) (4,+2): lines 10 for [0,6), 11 for [6,10), 13 from 10
  const Bytes table = {6, 1, 4, 2};
  // Then
  EXPECT_EQ(line(kLnotab, table, 10, 0), 10);
  EXPECT_EQ(line(kLnotab, table, 10, 4), 10);
  EXPECT_EQ(line(kLnotab, table, 10, 6), 11);
  EXPECT_EQ(line(kLnotab, table, 10, 8), 11);
  EXPECT_EQ(line(kLnotab, table, 10, 10), 13);
  EXPECT_EQ(line(kLnotab, table, 10, 1000), 13);
}

TEST(LineTableLnotab, NegativeAndSplitDeltas) {
  // Given a backwards step (2,-1), a 300-line jump split as (0,127)(0,127)(2,46) -- the two
  // zero-address pairs apply at the same address as the step before them -- and a 300-byte
  // address jump split as (255,0)(45,1)
  const Bytes table = {2, 0xff, 0, 127, 0, 127, 2, 46, 255, 0, 45, 1};
  // Then
  EXPECT_EQ(line(kLnotab, table, 100, 0), 100);
  EXPECT_EQ(line(kLnotab, table, 100, 2), 100 - 1 + 127 + 127);
  EXPECT_EQ(line(kLnotab, table, 100, 4), 399);
  EXPECT_EQ(line(kLnotab, table, 100, 258), 399);
  EXPECT_EQ(line(kLnotab, table, 100, 302), 399);
  EXPECT_EQ(line(kLnotab, table, 100, 304), 400);
}

TEST(LineTableLnotab, TrailingOddByteIsIgnored) {
  // Given a table cut in the middle of a pair
  const Bytes table = {4, 3, 2};
  // Then the complete pair applies and the dangling byte does not
  EXPECT_EQ(line(kLnotab, table, 1, 2), 1);
  EXPECT_EQ(line(kLnotab, table, 1, 4), 4);
  EXPECT_EQ(line(kLnotab, table, 1, 100), 4);
}

TEST(LineTableLnotab, LineOutsideIntRangeIsRejected) {
  // Given a first line at INT_MAX and a +1 step
  const Bytes table = {2, 1};
  // Then the offset before the step is fine and the one after does not overflow
  EXPECT_EQ(line(kLnotab, table, INT_MAX, 0), INT_MAX);
  EXPECT_EQ(line(kLnotab, table, INT_MAX, 2), std::nullopt);
}

TEST(LineTable310, EmptyTableHasNoLines) {
  EXPECT_EQ(line(k310, {}, 5, 0), std::nullopt);
}

TEST(LineTable310, RangesAndNoLineEntries) {
  // Given (4,+1) (2,-128) (2,+1): [0,4) first+1, [4,6) no line, [6,8) first+2 (-128 does not
  // move the running line)
  const Bytes table = {4, 1, 2, 0x80, 2, 1};
  // Then
  EXPECT_EQ(line(k310, table, 20, 0), 21);
  EXPECT_EQ(line(k310, table, 20, 2), 21);
  EXPECT_EQ(line(k310, table, 20, 4), std::nullopt);
  EXPECT_EQ(line(k310, table, 20, 6), 22);
  // And past the end there is no line
  EXPECT_EQ(line(k310, table, 20, 8), std::nullopt);
}

TEST(LineTable310, ZeroLengthEntriesCarryBigJumps) {
  // Given a 264-line jump written as (0,127)(0,127)(2,10), then a backwards step (2,-3)
  const Bytes table = {0, 127, 0, 127, 2, 10, 2, 0xfd};
  // Then
  EXPECT_EQ(line(k310, table, 1, 0), 265);
  EXPECT_EQ(line(k310, table, 1, 2), 262);
}

TEST(LineTable310, TruncatedPairIsIgnored) {
  const Bytes table = {2, 1, 2};
  EXPECT_EQ(line(k310, table, 1, 0), 2);
  EXPECT_EQ(line(k310, table, 1, 2), std::nullopt);
}

// Location-table entry builders (3.11+).
uint8_t head(int code, int length) { return static_cast<uint8_t>(0x80 | (code << 3) | (length - 1)); }

void putVarint(Bytes& b, uint64_t v) {
  while (v >= 64) {
    b.push_back(static_cast<uint8_t>(0x40 | (v & 63)));
    v >>= 6;
  }
  b.push_back(static_cast<uint8_t>(v));
}

void putSvarint(Bytes& b, int64_t v) {
  putVarint(b, v < 0 ? (static_cast<uint64_t>(-v) << 1) | 1 : static_cast<uint64_t>(v) << 1);
}

TEST(LineTableLocation, EmptyTableHasNoLines) {
  EXPECT_EQ(line(kLoc, {}, 5, 0), std::nullopt);
}

TEST(LineTableLocation, AllEntryKinds) {
  // Given: short form (2 units, same line), one-line +2 (1 unit), no-columns -5 (3 units),
  // no location (1 unit), long form +300 with multi-group varints (8 units), short again (1 unit)
  Bytes t;
  t.push_back(head(3, 2));
  t.push_back(0x15);
  t.push_back(head(12, 1));
  t.push_back(4);
  t.push_back(9);
  t.push_back(head(13, 3));
  putSvarint(t, -5);
  t.push_back(head(15, 1));
  t.push_back(head(14, 8));
  putSvarint(t, 300);
  putVarint(t, 2);     // end line delta
  putVarint(t, 200);   // column + 1
  putVarint(t, 5000);  // end column + 1
  t.push_back(head(0, 1));
  t.push_back(0);
  const int first = 50;
  // Then (byte offsets are 2 * code unit)
  EXPECT_EQ(line(kLoc, t, first, 0), 50);
  EXPECT_EQ(line(kLoc, t, first, 2), 50);
  EXPECT_EQ(line(kLoc, t, first, 3), 50);  // odd offset: same code unit
  EXPECT_EQ(line(kLoc, t, first, 4), 52);
  EXPECT_EQ(line(kLoc, t, first, 6), 47);
  EXPECT_EQ(line(kLoc, t, first, 10), 47);
  EXPECT_EQ(line(kLoc, t, first, 12), std::nullopt);  // no location
  EXPECT_EQ(line(kLoc, t, first, 14), 347);           // line kept accumulating through it
  EXPECT_EQ(line(kLoc, t, first, 28), 347);
  EXPECT_EQ(line(kLoc, t, first, 30), 347);
  EXPECT_EQ(line(kLoc, t, first, 32), std::nullopt);  // past the end
}

TEST(LineTableLocation, MalformedEntryEndsDecoding) {
  // Given a valid one-unit entry followed by a byte without bit 7 where an entry should start
  const Bytes t = {head(13, 1), 2, 0x05, head(13, 1), 2};
  // Then the first entry still resolves and everything after is unknown
  EXPECT_EQ(line(kLoc, t, 10, 0), 11);
  EXPECT_EQ(line(kLoc, t, 10, 2), std::nullopt);
  EXPECT_EQ(line(kLoc, t, 10, 4), std::nullopt);
}

TEST(LineTableLocation, EntryStartInsideEntryIsMalformed) {
  // Given a one-line entry whose column byte has bit 7 set (an entry boundary in the wrong place)
  const Bytes t = {head(10, 1), 3, 0x90};
  EXPECT_EQ(line(kLoc, t, 10, 0), std::nullopt);
}

TEST(LineTableLocation, TruncatedEntriesGiveNoLine) {
  // Given a long-form entry cut in every possible place
  Bytes full;
  full.push_back(head(14, 2));
  putSvarint(full, 1000);
  putVarint(full, 0);
  putVarint(full, 70);
  putVarint(full, 90);
  ASSERT_EQ(line(kLoc, full, 1, 0), 1001);
  for (size_t cut = 0; cut < full.size(); ++cut) {
    // When the table ends early
    const Bytes t(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    // Then the offset has no line
    EXPECT_EQ(line(kLoc, t, 1, 0), std::nullopt) << "cut " << cut;
  }
}

TEST(LineTableLocation, OverlongVarintIsRejectedWithoutOverflow) {
  // Given a no-columns entry whose varint never ends (continuation bit on every byte)
  Bytes t = {head(13, 1)};
  for (int i = 0; i < 20; ++i) t.push_back(0x7f);
  t.push_back(0x01);
  // Then decoding stops cleanly
  EXPECT_EQ(line(kLoc, t, 1, 0), std::nullopt);
  // And the longest accepted varint (6 groups) still decodes
  Bytes ok = {head(13, 1)};
  putSvarint(ok, -(int64_t{1} << 30));
  EXPECT_EQ(line(kLoc, ok, 1 << 30, 0), 0);
}

TEST(LineTableLocation, LineOutsideIntRangeIsRejected) {
  Bytes t = {head(13, 1)};
  putSvarint(t, int64_t{1} << 34);
  EXPECT_EQ(line(kLoc, t, 1, 0), std::nullopt);
}

TEST(LineTableFormatValue, UnknownFormatGivesNoLine) {
  const Bytes t = {2, 1};
  EXPECT_EQ(line(static_cast<LineTableFormat>(42), t, 1, 0), std::nullopt);
}

// ---- exception tables: hand-written cases -----------------------------------------------------

// Big-endian 6-bit groups, 0x40 = more, 0x80 on the first byte of an entry.
void putExcVarint(Bytes& b, uint32_t v, bool entryStart) {
  int shift = 0;
  while (shift + 6 < 36 && (static_cast<uint64_t>(v) >> (shift + 6)) != 0) shift += 6;
  bool first = true;
  for (; shift >= 0; shift -= 6) {
    uint8_t byte = static_cast<uint8_t>((static_cast<uint64_t>(v) >> shift) & 63);
    if (shift > 0) byte |= 0x40;
    if (first && entryStart) byte |= 0x80;
    first = false;
    b.push_back(byte);
  }
}

void putEntry(Bytes& b, uint32_t start, uint32_t length, uint32_t target, uint32_t depth,
              bool lasti) {
  putExcVarint(b, start, true);
  putExcVarint(b, length, false);
  putExcVarint(b, target, false);
  putExcVarint(b, (depth << 1) | (lasti ? 1 : 0), false);
}

TEST(ExceptionTableParse, EmptyTableHasNoEntries) {
  const Bytes t;
  EXPECT_TRUE(parseExceptionTable(t).empty());
  EXPECT_EQ(exceptionEntryFor(t, 0), std::nullopt);
}

TEST(ExceptionTableParse, DecodesFieldsAndMultiByteVarints) {
  // Given two entries, the second with values needing 2 and 3 groups
  Bytes t;
  putEntry(t, 4, 6, 20, 2, true);
  putEntry(t, 100, 5000, 70000, 17, false);
  EXPECT_EQ(t[0], 0x84);
  // When
  const auto entries = parseExceptionTable(t);
  // Then
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(sameEntry(entries[0], {4, 10, 20, 2, true})) << describe(entries[0]);
  EXPECT_TRUE(sameEntry(entries[1], {100, 5100, 70000, 17, false})) << describe(entries[1]);
}

TEST(ExceptionTableParse, KnownBytesFromCPython) {
  // Given the table CPython 3.12.1 wrote for
  //   def f(g):
  //       try:
  //           g()
  //       except ValueError:
  //           pass
  const Bytes t = {0x82, 0x07, 0x0a, 0x00, 0x8a, 0x09, 0x16, 0x03, 0x95, 0x01, 0x16, 0x03};
  // When
  const auto entries = parseExceptionTable(t);
  // Then the entries are what dis._parse_exception_table printed (in code units)
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_TRUE(sameEntry(entries[0], {2, 9, 10, 0, false})) << describe(entries[0]);
  EXPECT_TRUE(sameEntry(entries[1], {10, 19, 22, 1, true})) << describe(entries[1]);
  EXPECT_TRUE(sameEntry(entries[2], {21, 22, 22, 1, true})) << describe(entries[2]);
}

TEST(LineTableLocation, KnownBytesFromCPython) {
  // Given the location table of the same 3.12.1 function (co_firstlineno 1); co_lines() gave
  // [0,2)->1 [2,4)->2 [4,20)->3 [20,22)->None [22,38)->4 [38,42)->5 [42,44)->4 [44,50)->None
  Bytes t;
  ASSERT_TRUE(parseHex("8000f00203050dd908098d03f8dc0b15f20001050dd9080cf00301050dfa", t));
  const struct { uint32_t from, to; std::optional<int> line; } ranges[] = {
      {0, 2, 1},   {2, 4, 2},   {4, 20, 3},  {20, 22, std::nullopt},
      {22, 38, 4}, {38, 42, 5}, {42, 44, 4}, {44, 50, std::nullopt}};
  for (const auto& r : ranges) {
    for (uint32_t off = r.from; off < r.to; off += 2) {
      EXPECT_EQ(line(kLoc, t, 1, off), r.line) << "offset " << off;
    }
  }
  EXPECT_EQ(line(kLoc, t, 1, 50), std::nullopt);
}

TEST(ExceptionTableParse, StopsAtTruncationAndMalformedEntries) {
  Bytes good;
  putEntry(good, 0, 4, 10, 1, false);
  putEntry(good, 4, 2, 12, 0, true);
  // Given the table truncated inside the second entry
  for (size_t cut = good.size() / 2 + 1; cut < good.size(); ++cut) {
    const Bytes t(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    // Then only the complete first entry is returned
    EXPECT_EQ(parseExceptionTable(t).size(), 1u) << "cut " << cut;
  }
  // Given a second entry without the start bit
  Bytes noStart = good;
  noStart[4] &= 0x7f;
  EXPECT_EQ(parseExceptionTable(noStart).size(), 1u);
  // Given a start bit inside an entry
  Bytes startInside = good;
  startInside[1] |= 0x80;
  EXPECT_EQ(parseExceptionTable(startInside).size(), 0u);
  // Given a varint with too many groups
  Bytes overlong = {0xc1, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x01, 0x01, 0x01, 0x01};
  EXPECT_TRUE(parseExceptionTable(overlong).empty());
  // Given start + length beyond 32 bits
  Bytes wraps;
  putEntry(wraps, 0xfffffff0u, 0x20, 0, 0, false);
  EXPECT_TRUE(parseExceptionTable(wraps).empty());
}

TEST(ExceptionTableParse, RespectsMaxEntries) {
  Bytes t;
  for (uint32_t i = 0; i < 100; ++i) putEntry(t, 2 * i, 1, 500, 0, false);
  EXPECT_EQ(parseExceptionTable(t).size(), 100u);
  EXPECT_EQ(parseExceptionTable(t, 10).size(), 10u);
  EXPECT_EQ(parseExceptionTable(t, 0).size(), 0u);
}

TEST(ExceptionTableLookup, FindsCoveringEntryWithExclusiveEnd) {
  // Given [2,6)->20 and [8,9)->30
  Bytes t;
  putEntry(t, 2, 4, 20, 1, false);
  putEntry(t, 8, 1, 30, 2, true);
  // Then
  EXPECT_EQ(exceptionEntryFor(t, 0), std::nullopt);
  EXPECT_EQ(exceptionEntryFor(t, 2)->target, 20u);
  EXPECT_EQ(exceptionEntryFor(t, 5)->target, 20u);
  EXPECT_EQ(exceptionEntryFor(t, 6), std::nullopt);
  EXPECT_EQ(exceptionEntryFor(t, 8)->target, 30u);
  EXPECT_TRUE(exceptionEntryFor(t, 8)->lasti);
  EXPECT_EQ(exceptionEntryFor(t, 9), std::nullopt);
}

// ---- robustness -------------------------------------------------------------------------------

TEST(LineTableRobustness, RandomBytesNeverMisbehave) {
  // Given random tables of many sizes (fixed seed) fed to every decoder
  std::mt19937 rng(0x5eed1234u);
  size_t calls = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    const size_t len = iter % 100 == 0 ? 4096 + rng() % 4096 : rng() % 64;
    Bytes t(len);
    for (auto& b : t) b = static_cast<uint8_t>(rng());
    if (iter % 3 == 0) {  // bias toward entry-start bytes, the interesting path for 3.11+
      for (auto& b : t) {
        if (rng() % 2) b |= 0x80;
      }
    }
    const int first = static_cast<int>(rng());
    for (int k = 0; k < 4; ++k) {
      const uint32_t off = k == 3 ? static_cast<uint32_t>(rng()) : rng() % (2 * len + 4);
      // When each decoder runs (with any luck under ASan/UBSan)
      const auto a = lineForOffset(kLnotab, t, first, off);
      const auto b = lineForOffset(k310, t, first, off);
      const auto c = lineForOffset(kLoc, t, first, off);
      const auto e = exceptionEntryFor(t, off);
      calls += 4;
      // Then the results are self-consistent
      (void)a;
      (void)b;
      (void)c;
      if (e) {
        EXPECT_TRUE(e->start <= off && off < e->end);
      }
    }
    const auto entries = parseExceptionTable(t, 64);
    EXPECT_LE(entries.size(), 64u);
    EXPECT_LE(entries.size() * 4, t.size());
    for (const auto& en : entries) EXPECT_LE(en.start, en.end);
  }
  EXPECT_GT(calls, 0u);
}

TEST(LineTableRobustness, MutatedRealTablesNeverMisbehave) {
  // Given real 3.12 tables with random byte flips
  std::string error;
  const auto file = loadVectors("3.12.1", error);
  ASSERT_TRUE(file.has_value()) << error;
  std::mt19937 rng(42);
  for (const CodeVector& code : file->codes) {
    for (int round = 0; round < 3; ++round) {
      Bytes t = code.table;
      Bytes x = code.exceptionTable;
      for (int k = 0; k < 3 && !t.empty(); ++k) t[rng() % t.size()] ^= static_cast<uint8_t>(rng());
      for (int k = 0; k < 2 && !x.empty(); ++k) x[rng() % x.size()] ^= static_cast<uint8_t>(rng());
      // When decoded with every format
      for (uint32_t i = 0; i < code.count; i += 3) {
        for (auto f : {kLnotab, k310, kLoc}) (void)lineForOffset(f, t, code.firstLineNo, 2 * i);
        const auto e = exceptionEntryFor(x, i);
        // Then nothing crashes and lookups stay consistent
        if (e) {
          EXPECT_TRUE(e->start <= i && i < e->end);
        }
      }
      EXPECT_LE(parseExceptionTable(x).size(), x.size() / 4);
    }
  }
}

}  // namespace
}  // namespace pyhang::cpython
