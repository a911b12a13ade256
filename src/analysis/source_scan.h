// Reading the program's own Python source as text, never running it: the calls of a method on a
// name (`jobs.put(`), the uses of a function (`end_lease()`, `Timer(60, end_lease)`), and the
// function around a line. Comments and string literals are skipped; every scan is bounded.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pyhang {

// A call `<key>.<method>(` (or a use of a function) in a source file: its line, and the key and
// method matched.
struct SourceCall {
  int line = 0;
  std::string key;
  std::string method;
  bool reference = false;  // `key.method` passed along, not called (`Timer(60, lease.release)`)
  std::string receiver;    // the dotted name the method is called on, ending with key: "south.busy"
};

// Calls `key.method(` for any of `keys` and `methods` in `lines` (a key preceded by a character
// that cannot end a longer name, so `jobs.put(` does not match `myjobs.put(`), not in comments or
// strings; at most `max`, in file order. With `references`, also `key.method` followed by `)` or
// `,`: the bound method handed to a timer, a scheduler or a callback list.
std::vector<SourceCall> findCalls(const std::vector<std::string>& lines, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& methods, size_t max, bool references = false);

// The uses of the function (or method) `name` in `lines`: calls `name(` and `obj.name(`, and
// references `name` or `obj.name` followed by `)` or `,` (handed to a Timer, call_later, a
// callback list; not a Thread's or Process's `target=`, which runs on that thread's own stack);
// never its own `def`. `key` is empty and `method` is `name`; at most `max`.
std::vector<SourceCall> findFunctionUses(const std::vector<std::string>& lines, const std::string& name, size_t max);

// The function whose body holds line `n` (1-based): its name and the line of its `def`, or
// ("<module>", 0) at a module's top level. A nested function gives the innermost one.
std::pair<std::string, int> enclosingFunction(const std::vector<std::string>& lines, int n);

// The line after the last line of the body of the function defined at `defLine` (by indentation).
int functionEnd(const std::vector<std::string>& lines, int defLine);

// A Python identifier (ASCII).
bool isIdentifier(const std::string& s);

}  // namespace pyhang
