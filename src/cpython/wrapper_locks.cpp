#include "cpython/wrapper_locks.h"

#include <algorithm>

namespace pyhang::cpython {

namespace {

constexpr size_t kMaxAttrs = 32;      // attributes looked at per object
constexpr size_t kMaxLocks = 4;       // locks returned per wrapper

// The source file of the module that defined the class of `obj` (heap types only).
std::string classFile(const ObjectReader& objects, uint64_t obj) {
  auto t = objects.typeOf(obj);
  if (!t || (*t)->module.empty() || (*t)->module == "builtins") return "";
  auto file = objects.moduleGlobal((*t)->module, "__file__");
  if (!file || !*file) return "";
  return objects.readStr(*file, 4096).value_or("");
}

int indentOf(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  return i == std::string::npos ? -1 : static_cast<int>(i);
}

// The body (line indexes) of the block opened at `start` (a class or def line), by indentation.
std::vector<size_t> blockBody(const std::vector<std::string>& lines, size_t start) {
  std::vector<size_t> body;
  int base = indentOf(lines[start]);
  for (size_t i = start + 1; i < lines.size() && i < start + 3000; ++i) {
    int ind = indentOf(lines[i]);
    if (ind < 0) continue;
    if (ind <= base) break;
    body.push_back(i);
  }
  return body;
}

// The lines of `name`'s __enter__ in the class `className` of `lines`: `def __enter__` itself,
// or the method it aliases (`__enter__ = acquire`). Empty when not found.
std::vector<std::string> enterBody(const std::vector<std::string>& lines, const std::string& className) {
  std::vector<std::string> out;
  for (size_t c = 0; c < lines.size(); ++c) {
    const std::string& l = lines[c];
    size_t at = l.find_first_not_of(" \t");
    if (at == std::string::npos || l.compare(at, 6 + className.size(), "class " + className) != 0) continue;
    char next = l.size() > at + 6 + className.size() ? l[at + 6 + className.size()] : ':';
    if (next != '(' && next != ':' && next != ' ') continue;
    std::vector<size_t> body = blockBody(lines, c);
    std::string method = "__enter__";
    for (size_t i : body) {
      std::string t = lines[i].substr(static_cast<size_t>(std::max(0, indentOf(lines[i]))));
      if (t.rfind("__enter__ = ", 0) == 0) method = t.substr(12, t.find_first_of(" #", 12) - 12);
    }
    for (size_t i : body) {
      std::string t = lines[i].substr(static_cast<size_t>(std::max(0, indentOf(lines[i]))));
      if (t.rfind("def " + method + "(", 0) != 0) continue;
      for (size_t k : blockBody(lines, i)) out.push_back(lines[k]);
      return out;
    }
  }
  return out;
}

bool mentions(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace

std::vector<WrappedLock> wrappedLocks(const ObjectReader& objects, const SyncReader& sync, SourceFiles& sources,
                                      uint64_t wrapper) {
  std::vector<WrappedLock> found;
  if (sync.classify(wrapper) != ObjectKind::kUnknown) return found;
  std::string file = classFile(objects, wrapper);
  const std::vector<std::string>* lines = file.empty() ? nullptr : sources.lines(file);
  if (!lines) return found;
  // The class's __enter__ itself must take the lock: a wrapper that only counts batches on
  // entry, while other methods lock and unlock, holds nothing inside its `with`.
  auto t = objects.typeOf(wrapper);
  std::vector<std::string> enter = t ? enterBody(*lines, (*t)->name) : std::vector<std::string>{};
  auto managed = [&](const std::string& path) {
    std::string self = "self." + path;
    return (mentions(enter, self + ".acquire(") || mentions(enter, self + ".__enter__(")) &&
           (mentions(*lines, self + ".release(") || mentions(*lines, self + ".__exit__("));
  };
  auto consider = [&](uint64_t value, const std::string& path) {
    if (found.size() >= kMaxLocks || sync.classify(value) != ObjectKind::kLock) return false;
    if (managed(path)) found.push_back(WrappedLock{value, path});
    return true;
  };
  for (const auto& [name, value] : objects.attrs(wrapper, kMaxAttrs)) {
    if (!value || consider(value, name)) continue;
    // One level further (self.db.lock): only through program objects, not builtin containers.
    auto t = objects.typeOf(value);
    if (!t || (*t)->module.empty() || (*t)->module == "builtins" || sync.classify(value) != ObjectKind::kUnknown) continue;
    for (const auto& [inner, v2] : objects.attrs(value, kMaxAttrs)) {
      if (v2) consider(v2, name + "." + inner);
    }
  }
  return found;
}

bool releaseAhead(SourceFiles& sources, const std::string& file, int firstLine, int line, const std::string& path) {
  const std::vector<std::string>* lines = sources.lines(file);
  if (!lines || firstLine <= 0 || line < firstLine || line > static_cast<int>(lines->size())) return false;
  // The method's body: from its def (the code's first line may be a decorator) by indentation.
  size_t def = static_cast<size_t>(firstLine) - 1;
  while (def < lines->size() && def < static_cast<size_t>(firstLine) + 20 &&
         (*lines)[def].find("def ") == std::string::npos) {
    ++def;
  }
  if (def >= lines->size()) return false;
  std::string self = "self." + path;
  bool ahead = false;
  for (size_t i : blockBody(*lines, def)) {
    const std::string& text = (*lines)[i];
    bool releases = text.find(self + ".release(") != std::string::npos || text.find(self + ".__exit__(") != std::string::npos;
    // Any `with` on the lock, or a release on an earlier line: the lock is not simply held
    // until a release still ahead.
    if (text.find("with " + self) != std::string::npos) return false;
    if (releases && static_cast<int>(i) + 1 < line) return false;
    if (releases) ahead = true;
  }
  return ahead;
}

}  // namespace pyhang::cpython
