// The target's Python source files, read from this machine (through the target's root for live
// processes), cached per file: the text of a frame's line, the `with` statements around it, and
// the acquire() calls above it that no release() follows. Files are read with readTextLines, which
// never opens FIFOs or devices and bounds what it reads.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pyhang::cpython {

class SourceFiles {
 public:
  // `localPath` maps a path as the target sees it to one this process can open ("" = as is).
  explicit SourceFiles(std::function<std::string(const std::string&)> localPath) : localPath_(std::move(localPath)) {}

  // Where a relative path that cannot be opened as given is tried next (the target's start
  // directory); "" for none.
  void setStartDirectory(std::string dir) { startDirectory_ = std::move(dir); }

  // Line `n` (1-based) of `file`, without its indentation; "" when unknown.
  std::string line(const std::string& file, int n);
  // All lines of `file`, or nullptr when it cannot be read (or is a pseudo-file like "<string>").
  const std::vector<std::string>* lines(const std::string& file);
  // The lines of the `with` / `async with` statements enclosing line `n`, outermost first (by
  // indentation, up to the enclosing def or class).
  std::vector<int> enclosingWiths(const std::string& file, int n);
  // Lines of the function defined at `defLine` (its body, by indentation) that contain `needle`.
  std::vector<int> linesInFunction(const std::string& file, int defLine, std::string_view needle);

 private:
  std::function<std::string(const std::string&)> localPath_;
  std::string startDirectory_;
  std::unordered_map<std::string, std::vector<std::string>> files_;
};

// `x.acquire(` calls on lines [first, current) that no later `x.release(` in that range undoes:
// expression -> line of its acquire(). At most 2000 lines before `current` are looked at.
std::map<std::string, int> openAcquires(const std::vector<std::string>& lines, int first, int current);

// Whether the acquire() on `acquireLine` may not hold its lock at `current`: it sits in a block
// other than `with` (an `if`, a loop, a `try`), or a release by another name follows it.
bool doubtfulAcquire(const std::vector<std::string>& lines, int acquireLine, int current);

}  // namespace pyhang::cpython
