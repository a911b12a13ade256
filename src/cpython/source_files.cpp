#include "cpython/source_files.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "common/files.h"

namespace pyhang::cpython {

namespace {

int indentOf(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  return b == std::string::npos ? -1 : static_cast<int>(b);
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, e - b + 1);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The file system's bytes of a co_filename as ObjectReader::readStr writes it: a name that is
// not UTF-8 was decoded by Python with surrogateescape, each undecodable byte 0xXY becoming
// U+DCXY, which readStr writes as the text "\udcxy" (as Python's tracebacks show it). Those
// are turned back into the bytes; everything else is kept.
std::string fileSystemBytes(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name.compare(i, 4, "\\udc") == 0 && i + 6 <= name.size()) {
      int hi = hexValue(name[i + 4]), lo = hexValue(name[i + 5]);
      if (hi >= 8 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 5;
        continue;
      }
    }
    out.push_back(name[i]);
  }
  return out;
}

}  // namespace

const std::vector<std::string>* SourceFiles::lines(const std::string& file) {
  if (file.empty() || file[0] == '<') return nullptr;
  auto it = files_.find(file);
  if (it == files_.end()) {
    if (files_.size() > 512) return nullptr;
    const std::string path = localPath_ ? localPath_(file) : file;
    const std::string bytes = fileSystemBytes(path);
    std::vector<std::string> text = readTextLines(bytes);
    // A name really containing the text "\udcxy" (no surrogateescape involved) is tried as is.
    if (text.empty() && bytes != path) text = readTextLines(path);
    if (text.empty() && file[0] != '/' && !startDirectory_.empty()) {
      const std::string absolute = startDirectory_ + "/" + file;
      text = readTextLines(fileSystemBytes(localPath_ ? localPath_(absolute) : absolute));
    }
    it = files_.emplace(file, std::move(text)).first;
  }
  return &it->second;
}

std::string SourceFiles::line(const std::string& file, int n) {
  const auto* all = lines(file);
  if (!all || n <= 0 || static_cast<size_t>(n) > all->size()) return {};
  return trim((*all)[static_cast<size_t>(n) - 1]);
}

std::vector<int> SourceFiles::enclosingWiths(const std::string& file, int n) {
  std::vector<int> out;
  const auto* all = lines(file);
  if (!all || n <= 0 || static_cast<size_t>(n) > all->size()) return out;
  int threshold = indentOf((*all)[static_cast<size_t>(n) - 1]);
  for (int i = n - 1; i >= 1 && threshold > 0; --i) {
    const std::string& s = (*all)[static_cast<size_t>(i) - 1];
    int ind = indentOf(s);
    if (ind < 0 || ind >= threshold) continue;
    std::string body = s.substr(static_cast<size_t>(ind));
    if (body.rfind("#", 0) == 0) continue;
    threshold = ind;
    if (body.rfind("with ", 0) == 0 || body.rfind("async with ", 0) == 0) out.push_back(i);
    if (body.rfind("def ", 0) == 0 || body.rfind("async def ", 0) == 0 || body.rfind("class ", 0) == 0) break;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<int> SourceFiles::linesInFunction(const std::string& file, int defLine, std::string_view needle) {
  std::vector<int> out;
  const auto* all = lines(file);
  if (!all || defLine <= 0 || static_cast<size_t>(defLine) > all->size()) return out;
  // Decorators: the code object's first line may be a decorator; find the def.
  size_t def = static_cast<size_t>(defLine) - 1;
  for (size_t k = 0; k < 20 && def < all->size(); ++k, ++def) {
    std::string t = trim((*all)[def]);
    if (t.rfind("def ", 0) == 0 || t.rfind("async def ", 0) == 0) break;
  }
  if (def >= all->size()) return out;
  int base = indentOf((*all)[def]);
  for (size_t i = def + 1; i < all->size() && i < def + 2000; ++i) {
    int ind = indentOf((*all)[i]);
    if (ind < 0) continue;
    if (ind <= base) break;
    if ((*all)[i].find(needle) != std::string::npos) out.push_back(static_cast<int>(i) + 1);
  }
  return out;
}

std::map<std::string, int> openAcquires(const std::vector<std::string>& lines, int first, int current) {
  std::map<std::string, int> open;
  first = std::max(1, first);
  current = std::min<int>(current, static_cast<int>(lines.size()) + 1);
  if (current - first > 2000) first = current - 2000;
  // The bodies of functions and classes defined inside this one ran elsewhere (another task,
  // thread or call), if at all: their lines are skipped. A def on the first line (after its
  // decorators) is the function's own; a module's body has none.
  bool expectOwn = true;
  int nested = -1;  // indent of the nested def/class whose body is being skipped
  for (int ln = first; ln < current; ++ln) {
    const std::string& text = lines[static_cast<size_t>(ln) - 1];
    const size_t ind = text.find_first_not_of(" \t");
    if (ind == std::string::npos || text[ind] == '#') continue;
    if (nested >= 0 && static_cast<int>(ind) > nested) continue;
    nested = -1;
    const std::string_view head = std::string_view(text).substr(ind);
    const bool def = head.starts_with("def ") || head.starts_with("async def ");
    if ((def && !expectOwn) || head.starts_with("class ")) {
      nested = static_cast<int>(ind);
      continue;
    }
    if (!head.starts_with("@")) expectOwn = false;
    for (const char* verb : {".acquire(", ".release("}) {
      size_t pos = 0;
      while ((pos = text.find(verb, pos)) != std::string::npos) {
        size_t b = pos;
        while (b > 0 && (std::isalnum(static_cast<unsigned char>(text[b - 1])) || text[b - 1] == '_' || text[b - 1] == '.')) {
          --b;
        }
        std::string expr = text.substr(b, pos - b);
        if (!expr.empty()) {
          if (verb[1] == 'a') open[expr] = ln;
          else open.erase(expr);
        }
        pos += 1;
      }
    }
  }
  return open;
}

bool doubtfulAcquire(const std::vector<std::string>& lines, int acquireLine, int current) {
  auto indent = [](const std::string& l) -> int {
    size_t i = l.find_first_not_of(" \t");
    return i == std::string::npos || l[i] == '#' ? -1 : static_cast<int>(i);
  };
  if (acquireLine < 1 || acquireLine > static_cast<int>(lines.size())) return true;
  // The blocks around the acquire(), up to the def: any but `with` may not have run it.
  int level = indent(lines[static_cast<size_t>(acquireLine) - 1]);
  for (int ln = acquireLine - 1; ln >= 1 && ln > acquireLine - 2000 && level > 0; --ln) {
    const std::string& text = lines[static_cast<size_t>(ln) - 1];
    int ind = indent(text);
    if (ind < 0 || ind >= level) continue;
    level = ind;
    std::string head = text.substr(static_cast<size_t>(ind));
    if (head.rfind("def ", 0) == 0 || head.rfind("async def ", 0) == 0) break;
    if (head.rfind("with ", 0) != 0 && head.rfind("async with ", 0) != 0) return true;
  }
  // A release by another name between the acquire() and the current line (a helper, the
  // Condition built on the lock) may have given it back.
  for (int ln = acquireLine + 1; ln < current && ln <= static_cast<int>(lines.size()); ++ln) {
    const std::string& text = lines[static_cast<size_t>(ln) - 1];
    if (text.find("release(") != std::string::npos || text.find("unlock(") != std::string::npos ||
        text.find("__exit__(") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace pyhang::cpython
