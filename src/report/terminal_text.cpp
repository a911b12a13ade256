#include "report/terminal_text.h"

#include <fmt/format.h>

namespace pyhang {

namespace {

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 if it is not valid
// (overlong forms, surrogates and code points past U+10FFFF are invalid too).
size_t decodeUtf8(std::string_view s, size_t i, char32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  if (n == 1) {
    cp = c;
    return 1;
  }
  char32_t v = c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  cp = v;
  return n;
}

bool isBidiControl(char32_t cp) { return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069); }

}  // namespace

std::string escapeForTerminal(std::string_view text) {
  // The common case, plain printable ASCII, is copied as is.
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) break;
    ++i;
  }
  if (i == text.size()) return std::string(text);
  std::string out(text.substr(0, i));
  out.reserve(text.size() + 16);
  while (i < text.size()) {
    char32_t cp = 0;
    size_t n = decodeUtf8(text, i, cp);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp == '\n') out += "\\n";
    else if (cp == '\r') out += "\\r";
    else if (cp == '\t') out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += fmt::format("\\x{:02x}", static_cast<unsigned>(cp));
    else if (isBidiControl(cp)) out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    else out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string shortenForTerminal(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);  // never more characters than bytes
  // Characters, not bytes: 80 emoji are as short on screen as 80 letters. A byte that is not
  // UTF-8 counts as one character (it is shown as one escape).
  size_t i = 0, kept = 0;
  while (i < text.size() && kept < limit) {
    char32_t cp = 0;
    size_t n = decodeUtf8(text, i, cp);
    i += n ? n : 1;
    ++kept;
  }
  size_t rest = 0;
  for (size_t j = i; j < text.size(); ++rest) {
    char32_t cp = 0;
    size_t n = decodeUtf8(text, j, cp);
    j += n ? n : 1;
  }
  if (rest == 0) return std::string(text);
  return fmt::format("{}[... {} more characters]", text.substr(0, i), rest);
}

}  // namespace pyhang
