// How `run` and `watch` present a hang: a headline, and `run`'s report files.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "watch/hang_watcher.h"

namespace pyhang {

// One line: "pyhang: stuck (deadlock): ...", "pyhang: stuck (idle): ..." or "... (timeout): ...".
std::string hangHeadline(const Hang& hang, const WatchOptions& options);

// The pytest tests the snapshot's threads are running, "FILE::NAME" (NAME the qualified name on
// 3.11+): the Python frame that pytest's pytest_pyfunc_call (_pytest/python.py) called.
std::vector<std::string> runningPytestTests(const Snapshot& snapshot);

// The headline's next lines: "pyhang: running test FILE::NAME (process P, thread T)", one per test.
std::string runningTestLines(const Snapshot& snapshot);

// The JSON report (renderJson's) with the top-level "hang" object: {"kind", "quiet_seconds",
// "pytest_tests"}.
std::string withHang(const std::string& reportJson, const Hang& hang);

// The directory the reports go to, created on the first one: report.txt and report.json, then
// report-2.txt, report-2.json and so on for later hangs of the same run.
class ReportDirectory {
 public:
  // `path` empty: pyhang-YYYYmmdd-HHMMSS-PID in the working directory (the time is now).
  explicit ReportDirectory(std::string path);
  const std::string& path() const { return path_; }
  // Writes one report; returns the text file's path.
  Result<std::string> write(const std::string& text, const std::string& json);

 private:
  std::string path_;
  int written_ = 0;
};

// Writes all of `text` to `fd`; false on an error (errno set).
bool writeAll(int fd, const std::string& text);

}  // namespace pyhang
