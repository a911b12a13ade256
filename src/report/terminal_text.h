// Text from the target made safe for a terminal. Thread names, paths, command lines, source
// lines, reprs and symbol names are the target's to choose: a raw ESC, CSI or newline in them
// could retitle the window, clear the screen or forge a report line. Every such character is
// shown as a visible escape instead.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace pyhang {

// Escapes C0 controls (0x00-0x1f, including tab and newline), DEL, C1 controls (U+0080-U+009F),
// the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069: they reorder what the
// reader sees) and bytes that are not valid UTF-8. C0 and C1 appear as `\xNN` (with `\n`, `\r`,
// `\t` for the common three), the bidi characters as `\uNNNN`, a stray byte as `\xNN`. A backslash
// is kept as it is: the output is for reading, not for parsing back.
std::string escapeForTerminal(std::string_view text);

// An output stream for the text report in which every string is escaped, and the only line
// breaks are the renderer's own: string literals (const char*) pass as they are, everything
// else (std::string, string_view) goes through escapeForTerminal. The renderer never builds a
// literal from target data, so a newline in a thread name cannot start a new report line.
// Cuts text longer than limit characters and marks the cut visibly: "first part[... 1234 more
// characters]". A source line of megabytes (a minified file) or a huge repr would bury the
// report; JSON keeps the whole text.
std::string shortenForTerminal(std::string_view text, size_t limit);

// What a part of the text report is, for its colour.
enum class Style { kHeader, kWait, kFinding, kFindingHead, kDeadlock, kNoDeadlock };

class TerminalOut {
 public:
  explicit TerminalOut(std::ostream& out, bool color = false) : out_(out), color_(color) {}
  // ANSI SGR sequences, or "" when colour is off: the text is the same either way. They are
  // literals, so they pass unescaped; target text can never produce one.
  const char* on(Style style) const {
    if (!color_) return "";
    switch (style) {
      case Style::kHeader: return "\x1b[1m";               // bold
      case Style::kWait: return "\x1b[33m";                // yellow
      case Style::kFinding: return "\x1b[31m";             // red
      case Style::kFindingHead: return "\x1b[1;31m";       // bold red
      case Style::kDeadlock: return "\x1b[1;37;41m";       // bold white on red
      case Style::kNoDeadlock: return "\x1b[1;32m";        // bold green
    }
    return "";
  }
  const char* off() const { return color_ ? "\x1b[0m" : ""; }
  TerminalOut& operator<<(const char* literal) {
    out_ << literal;
    return *this;
  }
  TerminalOut& operator<<(std::string_view text) {
    out_ << escapeForTerminal(text);
    return *this;
  }
  TerminalOut& operator<<(const std::string& text) { return *this << std::string_view(text); }
  TerminalOut& operator<<(char c) = delete;  // a char could be a byte of target data: use a string

 private:
  std::ostream& out_;
  bool color_;
};

}  // namespace pyhang
