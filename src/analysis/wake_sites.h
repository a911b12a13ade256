// Who could wake a wait: for each finding, the places in the program's own source that would end
// its participants' waits (`jobs.put()` for a get() on jobs, `ready.set()` for ready.wait()),
// found by the names the program uses for the object, and which threads or tasks are running the
// functions those places are in. Found by name in the text, so it may be incomplete; it explains,
// it never decides a verdict. Pure: the source text comes through `SourceLines`.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "snapshot/snapshot.h"

namespace pyhang {

// The lines of `file` as process `pid` sees it, or nullptr when it cannot be read.
using SourceLines = std::function<const std::vector<std::string>*(int64_t pid, const std::string& file)>;

// Fills Finding::wakeSites of every finding (and unconfirmed finding) of the diagnosis.
void attachWakeSites(Snapshot& snapshot, const SourceLines& source);

// A call `<key>.<method>(` in a source file: its line, and the key and method matched.
struct SourceCall {
  int line = 0;
  std::string key;
  std::string method;
  bool reference = false;  // `key.method` passed along, not called (`Timer(60, lease.release)`)
};

// Calls `key.method(` for any of `keys` and `methods` in `lines` (a key preceded by a character
// that cannot end a longer name, so `jobs.put(` does not match `myjobs.put(`), not in comments or
// strings; at most `max`, in file order. With `references`, also `key.method` followed by `)` or
// `,`: the bound method handed to a timer, a scheduler or a callback list.
std::vector<SourceCall> findCalls(const std::vector<std::string>& lines, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& methods, size_t max, bool references = false);

// The function whose body holds line `n` (1-based): its name and the line of its `def`, or
// ("<module>", 0) at a module's top level. A nested function gives the innermost one.
std::pair<std::string, int> enclosingFunction(const std::vector<std::string>& lines, int n);

// The line after the last line of the body of the function defined at `defLine` (by indentation).
int functionEnd(const std::vector<std::string>& lines, int defLine);

}  // namespace pyhang
