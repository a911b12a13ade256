#include "report/terminal_text.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

namespace pyhang {
namespace {

TEST(TerminalText, PrintableTextIsKept) {
  EXPECT_EQ(escapeForTerminal("plain ascii ~!"), "plain ascii ~!");
  EXPECT_EQ(escapeForTerminal("módulo_ñandú └── ✓ 漢字 😀"), "módulo_ñandú └── ✓ 漢字 😀");
  EXPECT_EQ(escapeForTerminal("a\\x1b"), "a\\x1b");  // a backslash stays as it is
}

TEST(TerminalText, EveryC0AndC1ControlAndDelIsEscaped) {
  for (unsigned c = 1; c < 0x20; ++c) {
    std::string s(1, static_cast<char>(c));
    std::string e = escapeForTerminal(s);
    for (char x : e) EXPECT_GE(static_cast<unsigned char>(x), 0x20) << c;
  }
  EXPECT_EQ(escapeForTerminal(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escapeForTerminal("\x1b]0;pwned\x07\x1b[2J"), "\\x1b]0;pwned\\x07\\x1b[2J");
  EXPECT_EQ(escapeForTerminal("x\nVerdict: forged\r\t"), "x\\nVerdict: forged\\r\\t");
  EXPECT_EQ(escapeForTerminal("\x7f"), "\\x7f");
  for (unsigned c = 0x80; c < 0xa0; ++c) {  // C1 as code points (UTF-8: C2 80 .. C2 9F)
    std::string s{static_cast<char>(0xc2), static_cast<char>(c)};
    char want[8];
    snprintf(want, sizeof want, "\\x%02x", c);
    EXPECT_EQ(escapeForTerminal(s), want) << c;
  }
  EXPECT_EQ(escapeForTerminal("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is printable
}

TEST(TerminalText, InvalidUtf8BytesAreEscaped) {
  EXPECT_EQ(escapeForTerminal("\x9b" "2J"), "\\x9b2J");      // a raw CSI byte
  EXPECT_EQ(escapeForTerminal("caf\xe9"), "caf\\xe9");        // Latin-1
  EXPECT_EQ(escapeForTerminal("\xc0\x9b"), "\\xc0\\x9b");     // overlong
  EXPECT_EQ(escapeForTerminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escapeForTerminal("\xf0\x9f"), "\\xf0\\x9f");     // cut short
}

TEST(TerminalText, BidiOverridesAreEscaped) {
  EXPECT_EQ(escapeForTerminal("a\u202eb\u2066c"), "a\\u202eb\\u2066c");
}

TEST(TerminalText, StreamEscapesStringsButNotLiterals) {
  std::ostringstream s;
  TerminalOut out(s);
  std::string name = "evil\nVerdict: forged";
  out << "Thread (" << name << ")\n" << std::string_view("\x1b") << "\n";
  EXPECT_EQ(s.str(), "Thread (evil\\nVerdict: forged)\n\\x1b\n");
}

}  // namespace
}  // namespace pyhang
