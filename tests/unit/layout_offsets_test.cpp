// The compiled-in layout table (src/cpython/layout.cpp) against the offsets the interpreters'
// own DWARF gives (tests/data/offsets/<3.X>.json, written by tools/extract_layout_offsets.py
// from the pyenv builds 3.6.15 ... 3.13.0, which carry debug information).
//
// Rules: every offset the table sets must equal the DWARF's; a field the DWARF does not have
// must be -1 in the table. The table may leave -1 a field that exists but that pyhang does not
// read in that version (e.g. PyFrameObject.f_back in 3.11+). Every field of the table must be
// present in every file, so that a field added to PYHANG_LAYOUT_FIELDS without re-extracting is
// caught too.
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cpython/layout.h"

namespace pyhang::cpython {
namespace {

struct Extracted {
  VersionInfo version;
  std::map<std::string, std::optional<int64_t>> fields;
};

Extracted load(int minor) {
  const std::string path = std::string(PYHANG_TEST_DATA_DIR) + "/offsets/3." + std::to_string(minor) + ".json";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  Extracted e;
  if (!in) return e;
  const nlohmann::json j = nlohmann::json::parse(in);
  const std::string v = j.at("version").get<std::string>();
  EXPECT_EQ(std::sscanf(v.c_str(), "%d.%d.%d", &e.version.major, &e.version.minor, &e.version.micro), 3) << v;
  for (const auto& [name, value] : j.at("fields").items()) {
    e.fields[name] = value.is_null() ? std::nullopt : std::optional<int64_t>(value.get<int64_t>());
  }
  return e;
}

class LayoutOffsets : public testing::TestWithParam<int> {};

TEST_P(LayoutOffsets, TableMatchesDwarf) {
  // Given the DWARF offsets of the pyenv build of 3.minor
  const int minor = GetParam();
  const Extracted dwarf = load(minor);
  ASSERT_EQ(dwarf.version.minor, minor);
  // When the compiled-in layout of that exact version is looked up
  const auto layout = layoutFor(dwarf.version);
  ASSERT_TRUE(layout.has_value());
  // Then every field agrees with the DWARF
  int compared = 0;
  std::set<std::string> seen;
  forEachField(layout->offsets, [&](const char* name, int32_t value) {
    seen.insert(name);
    auto it = dwarf.fields.find(name);
    if (it == dwarf.fields.end()) {
      ADD_FAILURE() << name << " is missing from offsets/3." << minor << ".json: re-run tools/extract_layout_offsets.py";
      return;
    }
    if (!it->second) {
      EXPECT_EQ(value, -1) << "3." << minor << " " << name << ": the table sets " << value
                           << " but the interpreter has no such field";
    } else if (value != -1) {
      EXPECT_EQ(value, *it->second) << "3." << minor << " " << name << ": table " << value << ", DWARF "
                                    << *it->second;
      ++compared;
    }
  });
  for (const auto& [name, value] : dwarf.fields) {
    EXPECT_TRUE(seen.count(name)) << name << " in the extracted file is not a layout field";
  }
  // And the comparison is not vacuous
  EXPECT_GE(compared, 40) << "3." << minor;
}

INSTANTIATE_TEST_SUITE_P(Dwarf, LayoutOffsets, testing::Range(6, 14),
                         [](const testing::TestParamInfo<int>& p) { return "py3_" + std::to_string(p.param); });

TEST(LayoutOffsets, Python36RuntimeComesFromSymbols) {
  // 3.6 has no _PyRuntime: its rt_* offsets are filled at run time from libpython's symbols
  const auto l = layoutFor({3, 6, 15});
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->traits.runtime, RuntimeModel::kGlobals36);
  EXPECT_EQ(l->offsets.rt_interp_head, -1);
  EXPECT_EQ(l->offsets.rt_gilstate_current, -1);
  EXPECT_EQ(layoutFor({3, 7, 16})->traits.runtime, RuntimeModel::kRuntimeState);
}

TEST(LayoutOffsets, SupportedRange) {
  // Every minor from 3.6 to 3.15 has a table; 3.5 and 3.16 do not
  for (int minor = kMinSupportedMinor; minor <= kMaxSupportedMinor; ++minor) {
    EXPECT_TRUE(layoutFor({3, minor, 0}).has_value()) << minor;
  }
  EXPECT_EQ(kMinSupportedMinor, 6);
  EXPECT_EQ(kMaxSupportedMinor, 15);
  EXPECT_FALSE(layoutFor({3, 5, 10}).has_value());
  EXPECT_FALSE(layoutFor({3, 16, 0}).has_value());
}

TEST(LayoutOffsets, TraitsPerVersion) {
  // Line tables, task registries and _Py_DebugOffsets shapes, named per version
  EXPECT_EQ(layoutFor({3, 6, 0})->traits.lineTable, LineTableFormat::kLnotab);
  EXPECT_EQ(layoutFor({3, 7, 0})->traits.lineTable, LineTableFormat::kLnotab);
  EXPECT_EQ(layoutFor({3, 10, 0})->traits.lineTable, LineTableFormat::kLinetable310);
  EXPECT_EQ(layoutFor({3, 15, 0})->traits.lineTable, LineTableFormat::kLocationTable);
  EXPECT_EQ(layoutFor({3, 6, 0})->traits.tasks, TaskRegistry::kStatics36);
  EXPECT_EQ(layoutFor({3, 7, 0})->traits.tasks, TaskRegistry::kModuleWeakSet);
  EXPECT_EQ(layoutFor({3, 13, 0})->traits.tasks, TaskRegistry::kScheduledAndEager);
  EXPECT_EQ(layoutFor({3, 15, 0})->traits.tasks, TaskRegistry::kIntrusiveLists);
  EXPECT_EQ(layoutFor({3, 12, 0})->traits.debugOffsets, DebugOffsetsModel::kNone);
  EXPECT_EQ(layoutFor({3, 15, 0})->traits.debugOffsets, DebugOffsetsModel::k315);
  EXPECT_FALSE(layoutFor({3, 7, 0})->traits.lastiIsInstructionIndex);
  EXPECT_EQ(layoutFor({3, 7, 0})->traits.frames, FrameModel::kFrameObject);
}

}  // namespace
}  // namespace pyhang::cpython
