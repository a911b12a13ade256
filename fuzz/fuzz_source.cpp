// libFuzzer target: the source search behind "Calls that would end these waits" (findCalls,
// enclosingFunction, functionEnd) on arbitrary text, as a target's source file may hold.
//
// Input: [0] line selector, rest = the file (split at '\n'). Besides "no crash", it checks:
//   * findCalls returns at most `max` calls, in file order, each on a line that exists and
//     that contains the key and the method it names;
//   * enclosingFunction gives a def line before the line asked about (or 0), and functionEnd
//     a line after that def.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "analysis/wake_sites.h"

using namespace pyhang;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<std::string> lines(1);
  for (size_t i = 1; i < size; ++i) {
    if (data[i] == '\n') lines.emplace_back();
    else lines.back().push_back(static_cast<char>(data[i]));
  }
  const size_t max = 1 + data[0] % 8;
  auto calls = findCalls(lines, {"jobs", "ready", "q"}, {"put", "set", "task_done", "put_nowait"}, max);
  check(calls.size() <= max);
  int last = 0;
  for (const auto& c : calls) {
    check(c.line >= 1 && static_cast<size_t>(c.line) <= lines.size() && c.line > last);
    last = c.line;
    const std::string& s = lines[static_cast<size_t>(c.line) - 1];
    check(s.find(c.key) != std::string::npos && s.find(c.method) != std::string::npos);
  }
  int n = 1 + static_cast<int>(data[0]) % static_cast<int>(lines.size());
  auto [name, def] = enclosingFunction(lines, n);
  check(def >= 0 && def < n);
  check((def == 0) == (name == "<module>"));
  if (def > 0) check(functionEnd(lines, def) > def);
  return 0;
}
