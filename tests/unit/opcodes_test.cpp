// Tests for src/cpython/opcodes.{h,cpp} and the generated opcodes_data.inc. The expected numbers
// below were read from the interpreters' own opcode/dis modules (3.6.15 ... 3.15.2).
#include "cpython/opcodes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace pyhang::cpython {
namespace {

// Expects `name` to exist in 3.minor with the given number, base name and cache count.
void expectOpcode(int minor, std::string_view name, int number, std::string_view base,
                  int caches) {
  SCOPED_TRACE("3." + std::to_string(minor) + " " + std::string(name));
  // When the name is looked up
  const int op = opcodeNumber(minor, name);
  // Then it has the interpreter's number, base and cache count
  ASSERT_EQ(op, number);
  const OpcodeInfo info = opcodeInfo(minor, static_cast<uint8_t>(op));
  EXPECT_EQ(std::string_view(info.name), name);
  EXPECT_EQ(baseOpcodeName(minor, static_cast<uint8_t>(op)), base);
  EXPECT_EQ(info.caches, caches);
}

TEST(OpcodeTable, Py38And39HaveTheirOwnInstructions) {
  // Given 3.8 / 3.9 tables (no specialisation, no caches)
  expectOpcode(8, "SETUP_WITH", 143, "SETUP_WITH", 0);
  expectOpcode(8, "CALL_METHOD", 161, "CALL_METHOD", 0);
  expectOpcode(8, "LOAD_METHOD", 160, "LOAD_METHOD", 0);
  expectOpcode(8, "BEGIN_FINALLY", 53, "BEGIN_FINALLY", 0);
  expectOpcode(8, "CALL_FUNCTION", 131, "CALL_FUNCTION", 0);
  expectOpcode(9, "RERAISE", 48, "RERAISE", 0);
  expectOpcode(9, "LOAD_ASSERTION_ERROR", 74, "LOAD_ASSERTION_ERROR", 0);
  // Then instructions of other versions are absent
  EXPECT_EQ(opcodeNumber(8, "RERAISE"), -1);
  EXPECT_EQ(opcodeNumber(9, "BEGIN_FINALLY"), -1);
  EXPECT_EQ(opcodeNumber(8, "CALL"), -1);
}

TEST(OpcodeTable, Py310) {
  expectOpcode(10, "GEN_START", 129, "GEN_START", 0);
  expectOpcode(10, "MATCH_CLASS", 152, "MATCH_CLASS", 0);
  expectOpcode(10, "SETUP_WITH", 143, "SETUP_WITH", 0);
  expectOpcode(10, "CALL_METHOD", 161, "CALL_METHOD", 0);
}

TEST(OpcodeTable, Py311SpecialisedInstructionsDeoptimise) {
  expectOpcode(11, "CACHE", 0, "CACHE", 0);
  expectOpcode(11, "CALL", 171, "CALL", 4);
  expectOpcode(11, "CALL_ADAPTIVE", 22, "CALL", 4);
  expectOpcode(11, "PRECALL", 166, "PRECALL", 1);
  expectOpcode(11, "PRECALL_ADAPTIVE", 64, "PRECALL", 1);
  expectOpcode(11, "LOAD_GLOBAL", 116, "LOAD_GLOBAL", 5);
  expectOpcode(11, "LOAD_GLOBAL_BUILTIN", 48, "LOAD_GLOBAL", 5);
  expectOpcode(11, "LOAD_METHOD", 160, "LOAD_METHOD", 10);
  expectOpcode(11, "LOAD_ATTR", 106, "LOAD_ATTR", 4);
  expectOpcode(11, "BINARY_SUBSCR", 25, "BINARY_SUBSCR", 4);
  expectOpcode(11, "LOAD_FAST__LOAD_FAST", 46, "LOAD_FAST", 0);
  expectOpcode(11, "EXTENDED_ARG_QUICK", 34, "EXTENDED_ARG", 0);
  expectOpcode(11, "JUMP_BACKWARD_QUICK", 38, "JUMP_BACKWARD", 0);
  expectOpcode(11, "RESUME_QUICK", 150, "RESUME", 0);
  expectOpcode(11, "BEFORE_WITH", 53, "BEFORE_WITH", 0);
  EXPECT_EQ(opcodeNumber(11, "INSTRUMENTED_CALL"), -1);
}

TEST(OpcodeTable, Py312SpecialisedAndInstrumented) {
  expectOpcode(12, "CALL", 171, "CALL", 3);
  expectOpcode(12, "CALL_PY_EXACT_ARGS", 23, "CALL", 3);
  expectOpcode(12, "LOAD_ATTR", 106, "LOAD_ATTR", 9);
  expectOpcode(12, "LOAD_ATTR_METHOD_NO_DICT", 81, "LOAD_ATTR", 9);
  expectOpcode(12, "LOAD_GLOBAL", 116, "LOAD_GLOBAL", 4);
  expectOpcode(12, "INSTRUMENTED_CALL", 241, "CALL", 3);
  expectOpcode(12, "INSTRUMENTED_FOR_ITER", 248, "FOR_ITER", 1);
  expectOpcode(12, "INSTRUMENTED_END_FOR", 251, "END_FOR", 0);
  // INSTRUMENTED_LINE / _INSTRUCTION stand for an instruction kept in co_monitoring
  expectOpcode(12, "INSTRUMENTED_LINE", 254, "INSTRUMENTED_LINE", 0);
  expectOpcode(12, "INSTRUMENTED_INSTRUCTION", 253, "INSTRUMENTED_INSTRUCTION", 0);
  expectOpcode(12, "RESERVED", 17, "RESERVED", 0);
  expectOpcode(12, "BEFORE_WITH", 53, "BEFORE_WITH", 0);
}

TEST(OpcodeTable, Py313) {
  expectOpcode(13, "CALL", 53, "CALL", 3);
  expectOpcode(13, "INSTRUMENTED_CALL", 244, "CALL", 3);
  expectOpcode(13, "CALL_KW", 57, "CALL_KW", 0);
  expectOpcode(13, "INSTRUMENTED_CALL_KW", 245, "CALL_KW", 0);
  expectOpcode(13, "TO_BOOL", 40, "TO_BOOL", 3);
  expectOpcode(13, "TO_BOOL_BOOL", 215, "TO_BOOL", 3);
  expectOpcode(13, "JUMP_BACKWARD", 77, "JUMP_BACKWARD", 1);
  expectOpcode(13, "POP_JUMP_IF_TRUE", 100, "POP_JUMP_IF_TRUE", 1);
  expectOpcode(13, "INSTRUMENTED_POP_JUMP_IF_TRUE", 250, "POP_JUMP_IF_TRUE", 1);
  expectOpcode(13, "RESUME_CHECK", 207, "RESUME", 0);
  expectOpcode(13, "LOAD_ATTR_METHOD_NO_DICT", 195, "LOAD_ATTR", 9);
  expectOpcode(13, "ENTER_EXECUTOR", 70, "ENTER_EXECUTOR", 0);
}

TEST(OpcodeTable, Py314) {
  expectOpcode(14, "LOAD_SPECIAL", 95, "LOAD_SPECIAL", 0);
  expectOpcode(14, "BINARY_OP", 44, "BINARY_OP", 5);
  expectOpcode(14, "BINARY_OP_SUBSCR_LIST_INT", 137, "BINARY_OP", 5);
  expectOpcode(14, "CALL", 52, "CALL", 3);
  expectOpcode(14, "INSTRUMENTED_CALL", 250, "CALL", 3);
  expectOpcode(14, "CALL_KW", 55, "CALL_KW", 3);
  expectOpcode(14, "NOT_TAKEN", 28, "NOT_TAKEN", 0);
  expectOpcode(14, "INSTRUMENTED_NOT_TAKEN", 240, "NOT_TAKEN", 0);
  expectOpcode(14, "LOAD_CONST_IMMORTAL", 190, "LOAD_CONST", 0);
  expectOpcode(14, "JUMP_BACKWARD_JIT", 175, "JUMP_BACKWARD", 1);
  expectOpcode(14, "LOAD_ATTR_METHOD_NO_DICT", 182, "LOAD_ATTR", 9);
  expectOpcode(14, "ENTER_EXECUTOR", 255, "ENTER_EXECUTOR", 0);
  expectOpcode(14, "INSTRUMENTED_LINE", 254, "INSTRUMENTED_LINE", 0);
  EXPECT_EQ(opcodeNumber(14, "BEFORE_WITH"), -1);
}

TEST(OpcodeTable, Python36And37And315) {
  // 3.6: no LOAD_METHOD yet, `with` is SETUP_WITH / WITH_CLEANUP_START (as in 3.7)
  expectOpcode(6, "SETUP_WITH", 143, "SETUP_WITH", 0);
  expectOpcode(6, "WITH_CLEANUP_START", 81, "WITH_CLEANUP_START", 0);
  expectOpcode(6, "CALL_FUNCTION", 131, "CALL_FUNCTION", 0);
  expectOpcode(6, "YIELD_FROM", 72, "YIELD_FROM", 0);
  EXPECT_EQ(opcodeNumber(6, "LOAD_METHOD"), -1);
  expectOpcode(7, "LOAD_METHOD", 160, "LOAD_METHOD", 0);
  expectOpcode(7, "CALL_METHOD", 161, "CALL_METHOD", 0);
  expectOpcode(7, "SETUP_WITH", 143, "SETUP_WITH", 0);
  // 3.15: renumbered again; specialised forms keep their family's caches
  expectOpcode(15, "CACHE", 0, "CACHE", 0);
  expectOpcode(15, "CALL", 50, "CALL", 3);
  expectOpcode(15, "CALL_KW", 53, "CALL_KW", 3);
  expectOpcode(15, "LOAD_ATTR", 79, "LOAD_ATTR", 9);
  expectOpcode(15, "LOAD_ATTR_METHOD_NO_DICT", 188, "LOAD_ATTR", 9);
  expectOpcode(15, "RESUME", 128, "RESUME", 1);
  expectOpcode(15, "ENTER_EXECUTOR", 254, "ENTER_EXECUTOR", 0);
  expectOpcode(15, "INSTRUMENTED_LINE", 253, "INSTRUMENTED_LINE", 0);
  EXPECT_EQ(opcodeNumber(15, "YIELD_FROM"), -1);
}

TEST(OpcodeTable, UnknownVersionsOpcodesAndNames) {
  // Given versions outside 3.6..3.15, and an opcode number unused in 3.8
  for (int minor : {5, 16, -1, 1000}) {
    // Then lookups give the documented "unknown" answer
    const OpcodeInfo info = opcodeInfo(minor, 100);
    EXPECT_STREQ(info.name, "<unknown>");
    EXPECT_EQ(info.base, 100);
    EXPECT_EQ(info.caches, 0);
    EXPECT_EQ(opcodeNumber(minor, "CALL"), -1);
  }
  const OpcodeInfo unused = opcodeInfo(8, 0);
  EXPECT_STREQ(unused.name, "<unknown>");
  EXPECT_EQ(unused.base, 0);
  EXPECT_EQ(opcodeNumber(12, ""), -1);
  EXPECT_EQ(opcodeNumber(12, "<unknown>"), -1);
  EXPECT_EQ(opcodeNumber(12, "<0>"), -1);
  EXPECT_EQ(opcodeNumber(12, "call"), -1);  // names are case-sensitive
}

class OpcodeTableInvariants : public testing::TestWithParam<int> {};

TEST_P(OpcodeTableInvariants, EveryOpcodeIsConsistent) {
  const int minor = GetParam();
  std::set<std::string> names;
  int known = 0;
  for (int op = 0; op < 256; ++op) {
    SCOPED_TRACE("3." + std::to_string(minor) + " opcode " + std::to_string(op));
    // Given each opcode number
    const OpcodeInfo info = opcodeInfo(minor, static_cast<uint8_t>(op));
    ASSERT_NE(info.name, nullptr);
    const std::string name = info.name;
    if (name == "<unknown>") {
      EXPECT_EQ(info.base, op);
      EXPECT_EQ(info.caches, 0);
      continue;
    }
    ++known;
    // Then names are real, unique and round-trip through opcodeNumber
    EXPECT_NE(name.front(), '<');
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
    EXPECT_EQ(opcodeNumber(minor, name), op);
    // And the base is a known, generic opcode with the same inline cache layout
    const OpcodeInfo base = opcodeInfo(minor, info.base);
    EXPECT_STRNE(base.name, "<unknown>");
    EXPECT_EQ(base.base, info.base) << "base of " << name << " is itself specialised";
    EXPECT_EQ(base.caches, info.caches) << name;
    // And INSTRUMENTED_X stands for X whenever X exists
    const std::string prefix = "INSTRUMENTED_";
    if (name.compare(0, prefix.size(), prefix) == 0) {
      const int plain = opcodeNumber(minor, name.substr(prefix.size()));
      if (plain >= 0) {
        EXPECT_EQ(info.base, plain) << name;
      }
    }
    // And before 3.11 there is neither specialisation nor inline caches
    if (minor < 11) {
      EXPECT_EQ(info.base, op);
      EXPECT_EQ(info.caches, 0);
    }
  }
  EXPECT_GT(known, 100);
  if (minor >= 11) {
    EXPECT_EQ(opcodeNumber(minor, "CACHE"), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Opcode, OpcodeTableInvariants, testing::Range(6, 16),
                         [](const testing::TestParamInfo<int>& info) {
                           return "py3_" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace pyhang::cpython
