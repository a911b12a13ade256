#include "analysis/source_scan.h"

#include <algorithm>
#include <cctype>

namespace pyhang {
namespace {

constexpr int kMaxLinesBack = 5000;
constexpr int kMaxFunctionLines = 20000;
constexpr size_t kMaxLines = 200000;
constexpr size_t kMaxLineLength = 4096;

int indentOf(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos || s[b] == '\r') return -1;
  return static_cast<int>(b);
}

bool nameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// The code of a line with its comment and the insides of its string literals blanked: a
// docstring or a message that spells `jobs.put()` is not a call. `open` is the quote of a
// triple-quoted string that goes on past the line (carried from line to line).
std::string codeOf(const std::string& line, std::string& open) {
  std::string s = line;
  for (size_t k = 0; k < s.size();) {
    if (!open.empty()) {
      size_t end = s.find(open, k);
      size_t stop = end == std::string::npos ? s.size() : end + open.size();
      std::fill(s.begin() + static_cast<long>(k), s.begin() + static_cast<long>(stop), ' ');
      if (end != std::string::npos) open.clear();
      k = stop;
      continue;
    }
    char c = s[k];
    if (c == '#') {
      s.erase(k);
      break;
    }
    if (c != '"' && c != '\'') {
      ++k;
      continue;
    }
    if (s.compare(k, 3, std::string(3, c)) == 0) {
      open = std::string(3, c);
      std::fill(s.begin() + static_cast<long>(k), s.begin() + static_cast<long>(k + 3), ' ');
      k += 3;
      continue;
    }
    size_t end = k + 1;
    while (end < s.size() && s[end] != c) end += s[end] == '\\' ? 2 : 1;
    end = std::min(end + 1, s.size());
    std::fill(s.begin() + static_cast<long>(k), s.begin() + static_cast<long>(end), ' ');
    k = end;
  }
  return s;
}

}  // namespace

bool isIdentifier(const std::string& s) {
  return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) && std::all_of(s.begin(), s.end(), nameChar);
}

std::vector<SourceCall> findCalls(const std::vector<std::string>& lines, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& methods, size_t max, bool references) {
  std::vector<SourceCall> out;
  std::string open;
  for (size_t i = 0; i < lines.size() && i < kMaxLines && out.size() < max; ++i) {
    if (lines[i].size() > kMaxLineLength) continue;
    const std::string s = codeOf(lines[i], open);
    bool found = false;
    for (const auto& key : keys) {
      if (key.empty() || found) continue;
      for (size_t at = s.find(key); at != std::string::npos && !found; at = s.find(key, at + 1)) {
        if (at > 0 && nameChar(s[at - 1])) continue;
        size_t dot = at + key.size();
        if (dot >= s.size() || s[dot] != '.') continue;
        // The whole dotted receiver: `south.busy` for `south.busy.release()`.
        size_t from = at;
        while (from > 0 && (nameChar(s[from - 1]) || s[from - 1] == '.')) --from;
        const std::string receiver = s.substr(from, dot - from);
        for (const auto& method : methods) {
          if (s.compare(dot + 1, method.size(), method) != 0) continue;
          size_t paren = dot + 1 + method.size();
          while (paren < s.size() && s[paren] == ' ') ++paren;
          if (paren < s.size() && s[paren] == '(') {
            out.push_back(SourceCall{static_cast<int>(i) + 1, key, method, false, receiver});
            found = true;
            break;
          }
          if (references && paren < s.size() && (s[paren] == ')' || s[paren] == ',')) {
            out.push_back(SourceCall{static_cast<int>(i) + 1, key, method, true, receiver});
            found = true;
            break;
          }
        }
      }
    }
  }
  return out;
}

std::vector<SourceCall> findFunctionUses(const std::vector<std::string>& lines, const std::string& name, size_t max) {
  std::vector<SourceCall> out;
  if (!isIdentifier(name)) return out;
  std::string open;
  for (size_t i = 0; i < lines.size() && i < kMaxLines && out.size() < max; ++i) {
    if (lines[i].size() > kMaxLineLength) continue;
    const std::string s = codeOf(lines[i], open);
    for (size_t at = s.find(name); at != std::string::npos; at = s.find(name, at + 1)) {
      size_t after = at + name.size();
      if ((at > 0 && nameChar(s[at - 1])) || (after < s.size() && nameChar(s[after]))) continue;
      // Not the function's own definition.
      size_t before = s.find_last_not_of(' ', at == 0 ? 0 : at - 1);
      if (at > 0 && before != std::string::npos && before >= 2 && s.compare(before - 2, 3, "def") == 0) continue;
      while (after < s.size() && s[after] == ' ') ++after;
      if (after >= s.size()) continue;
      const bool call = s[after] == '(';
      if (!call && s[after] != ')' && s[after] != ',') continue;
      // A thread's or a process's target runs in it, on its stack, not later from a timer.
      size_t start = at;
      while (start > 0 && (nameChar(s[start - 1]) || s[start - 1] == '.')) --start;
      size_t eq = s.find_last_not_of(' ', start == 0 ? 0 : start - 1);
      if (!call && start > 0 && eq != std::string::npos && s[eq] == '=') {
        size_t kw = s.find_last_not_of(' ', eq == 0 ? 0 : eq - 1);
        if (kw != std::string::npos && kw >= 5 && s.compare(kw - 5, 6, "target") == 0) continue;
      }
      out.push_back(SourceCall{static_cast<int>(i) + 1, "", name, !call});
      break;
    }
  }
  return out;
}

std::pair<std::string, int> enclosingFunction(const std::vector<std::string>& lines, int n) {
  if (n <= 0 || static_cast<size_t>(n) > lines.size()) return {"<module>", 0};
  int threshold = indentOf(lines[static_cast<size_t>(n) - 1]);
  for (int i = n - 1; i >= 1 && i >= n - kMaxLinesBack && threshold > 0; --i) {
    const std::string& s = lines[static_cast<size_t>(i) - 1];
    int ind = indentOf(s);
    if (ind < 0 || ind >= threshold) continue;
    std::string body = s.substr(static_cast<size_t>(ind));
    if (body[0] == '#') continue;
    threshold = ind;
    size_t name = body.rfind("def ", 0) == 0 ? 4 : body.rfind("async def ", 0) == 0 ? 10 : std::string::npos;
    if (name == std::string::npos) continue;
    size_t end = name;
    while (end < body.size() && nameChar(body[end])) ++end;
    if (end > name) return {body.substr(name, end - name), i};
  }
  return {"<module>", 0};
}

int functionEnd(const std::vector<std::string>& lines, int defLine) {
  if (defLine <= 0 || static_cast<size_t>(defLine) > lines.size()) return defLine;
  int base = indentOf(lines[static_cast<size_t>(defLine) - 1]);
  int n = defLine + 1;
  for (; n <= static_cast<int>(lines.size()) && n < defLine + kMaxFunctionLines; ++n) {
    const std::string& s = lines[static_cast<size_t>(n) - 1];
    int ind = indentOf(s);
    if (ind < 0 || s[static_cast<size_t>(ind)] == '#') continue;
    if (ind <= base) break;
  }
  return n;
}

}  // namespace pyhang
