// libFuzzer target: the line-table decoders (3.8/3.9 lnotab, 3.10 linetable, 3.11+ location
// table) and the 3.11+ exception-table parser, on arbitrary bytes.
//
// Input: [0] format selector, [1..4] firstlineno (i32), [5..8] byte offset (u32), rest = table.
// Besides "no crash", it checks properties that hold for any input:
//   * parseExceptionTable returns at most maxEntries entries, each with start <= end;
//   * exceptionEntryFor(unit) is an entry that covers unit, and is the first parsed entry that
//     does so;
//   * the decoders are deterministic.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "cpython/linetable.h"

using namespace pyhang::cpython;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  const uint8_t selector = data[0];
  const int32_t firstLine = load<int32_t>(data + 1);
  const uint32_t offset = load<uint32_t>(data + 5);
  std::span<const uint8_t> table(data + 9, size - 9);

  static const LineTableFormat kFormats[] = {LineTableFormat::kLnotab, LineTableFormat::kLinetable310,
                                             LineTableFormat::kLocationTable};
  // Every format on the same bytes, at the offset given and at a few derived ones.
  for (LineTableFormat f : kFormats) {
    for (uint32_t off : {offset, offset & 0xffffu, offset & ~1u, uint32_t{0}, UINT32_MAX,
                         static_cast<uint32_t>(2 * table.size())}) {
      std::optional<int> a = lineForOffset(f, table, firstLine, off);
      std::optional<int> b = lineForOffset(f, table, firstLine, off);
      check(a == b);
    }
  }
  // Extreme first lines must not overflow the accumulators.
  for (int first : {INT32_MIN, INT32_MAX, -1, 0}) {
    (void)lineForOffset(kFormats[selector % 3], table, first, offset);
  }

  const size_t maxEntries = 1 + (selector >> 2) % 64;
  std::vector<ExceptionTableEntry> limited = parseExceptionTable(table, maxEntries);
  check(limited.size() <= maxEntries);
  std::vector<ExceptionTableEntry> all = parseExceptionTable(table);
  check(all.size() <= 4096);
  check(all.size() <= table.size() / 4 + 1);
  for (const auto& e : all) check(e.start <= e.end);
  for (size_t i = 0; i < limited.size() && i < all.size(); ++i) {
    check(limited[i].start == all[i].start && limited[i].end == all[i].end && limited[i].target == all[i].target &&
          limited[i].depth == all[i].depth && limited[i].lasti == all[i].lasti);
  }

  std::vector<uint32_t> units = {offset / 2, offset, 0, UINT32_MAX};
  for (size_t i = 0; i < all.size() && i < 8; ++i) {
    units.push_back(all[i].start);
    if (all[i].end) units.push_back(all[i].end - 1);
    units.push_back(all[i].end);
  }
  for (uint32_t u : units) {
    std::optional<ExceptionTableEntry> e = exceptionEntryFor(table, u);
    if (!e) {
      // Nothing among the parsed entries may cover it... unless parsing stopped at the 4096 cap
      // and a later entry exists; only check when the table was parsed to its end.
      if (all.size() < 4096) {
        for (const auto& x : all) check(!(x.start <= u && u < x.end));
      }
      continue;
    }
    check(e->start <= u && u < e->end);
    const ExceptionTableEntry* firstCovering = nullptr;
    for (const auto& x : all) {
      if (x.start <= u && u < x.end) {
        firstCovering = &x;
        break;
      }
    }
    if (firstCovering) {
      check(firstCovering->start == e->start && firstCovering->end == e->end && firstCovering->target == e->target);
    }
  }
  return 0;
}
