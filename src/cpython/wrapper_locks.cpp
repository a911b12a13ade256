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
  auto managed = [&](const std::string& path) {
    std::string self = "self." + path;
    return (mentions(*lines, self + ".acquire(") || mentions(*lines, "with " + self + ":") ||
            mentions(*lines, self + ".__enter__(")) &&
           (mentions(*lines, self + ".release(") || mentions(*lines, "with " + self + ":") ||
            mentions(*lines, self + ".__exit__("));
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

bool releasedBefore(SourceFiles& sources, const std::string& file, int firstLine, int line, const std::string& path) {
  const std::vector<std::string>* lines = sources.lines(file);
  if (!lines || firstLine <= 0 || line <= firstLine) return false;
  std::string self = "self." + path;
  for (int ln = firstLine; ln < line && ln <= static_cast<int>(lines->size()) && ln < firstLine + 2000; ++ln) {
    const std::string& text = (*lines)[static_cast<size_t>(ln) - 1];
    if (text.find(self + ".release(") != std::string::npos || text.find(self + ".__exit__(") != std::string::npos) return true;
  }
  return false;
}

}  // namespace pyhang::cpython
