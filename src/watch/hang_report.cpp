#include "watch/hang_report.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

namespace pyhang {

namespace {

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

Result<void> writeFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail(ErrorKind::kIo, fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  bool ok = writeAll(fd, text);
  int e = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) return fail(ErrorKind::kIo, fmt::format("cannot write {}: {}", path, std::strerror(e)));
  return {};
}

struct RunningTest {
  int64_t pid = 0;
  int64_t tid = 0;
  std::string name;  // FILE::NAME
};

std::vector<RunningTest> findRunningTests(const Snapshot& snapshot) {
  std::vector<RunningTest> out;
  auto isPytestCaller = [](const Frame& f) {
    const std::string& file = f.location.file;
    const std::string suffix = "_pytest/python.py";
    return f.kind == Frame::Kind::kPython && f.location.function == "pytest_pyfunc_call" &&
           file.size() >= suffix.size() &&
           file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& p : snapshot.processes) {
    for (const auto& t : p.threads) {
      // Frames are outermost first: the test is the next Python frame after pytest's call.
      for (size_t i = 0; i < t.frames.size(); ++i) {
        if (!isPytestCaller(t.frames[i])) continue;
        for (size_t j = i + 1; j < t.frames.size(); ++j) {
          const Frame& f = t.frames[j];
          if (f.kind != Frame::Kind::kPython) continue;
          std::string name = f.qualname.empty() ? f.location.function : f.qualname;
          out.push_back({p.pid, t.tid, fmt::format("{}::{}", f.location.file, name)});
          break;
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> runningPytestTests(const Snapshot& snapshot) {
  std::vector<std::string> out;
  for (const auto& t : findRunningTests(snapshot)) out.push_back(t.name);
  return out;
}

std::string runningTestLines(const Snapshot& snapshot) {
  std::string out;
  for (const auto& t : findRunningTests(snapshot)) {
    out += fmt::format("pyhang: running test {} (process {}, thread {})\n", t.name, t.pid, t.tid);
  }
  return out;
}

std::string hangHeadline(const Hang& hang, const WatchOptions& options) {
  const Diagnosis& d = hang.snapshot.diagnosis;
  switch (hang.kind) {
    case HangKind::kDeadlock: {
      if (d.findings.empty()) return "pyhang: stuck (deadlock)";
      const Finding& f = d.findings.front();
      std::string more = d.findings.size() > 1
                             ? fmt::format(" (and {} more findings)", d.findings.size() - 1)
                             : "";
      return fmt::format("pyhang: stuck (deadlock): {}: {}{}", f.kind, f.summary, more);
    }
    case HangKind::kIdle:
      return fmt::format(
          "pyhang: stuck (idle): no process used CPU and no Python stack changed for {:.1f} s; "
          "no deadlock found",
          seconds(hang.quietFor));
    case HangKind::kTimeout:
      return fmt::format(
          "pyhang: stuck (timeout): still running {:.1f} s after the start; no deadlock found",
          seconds(options.timeout.value_or(std::chrono::milliseconds(0))));
  }
  return "pyhang: stuck";
}

std::string withHang(const std::string& reportJson, const Hang& hang) {
  nlohmann::json doc = nlohmann::json::parse(reportJson, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return reportJson;
  doc["hang"] = {{"kind", hangKindName(hang.kind)},
                 {"quiet_seconds", seconds(hang.quietFor)},
                 {"pytest_tests", runningPytestTests(hang.snapshot)}};
  // As renderJson writes it: 2 spaces, sorted keys, a newline.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

ReportDirectory::ReportDirectory(std::string path) : path_(std::move(path)) {
  if (path_.empty()) {
    std::time_t now = std::time(nullptr);
    std::tm local = {};
    localtime_r(&now, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
    path_ = fmt::format("pyhang-{}-{}", stamp, getpid());
  }
}

Result<std::string> ReportDirectory::write(const std::string& text, const std::string& json) {
  if (::mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail(ErrorKind::kIo, fmt::format("cannot create the report directory {}: {}", path_,
                                            std::strerror(errno)));
  }
  ++written_;
  std::string base = written_ == 1 ? "report" : fmt::format("report-{}", written_);
  std::string textPath = fmt::format("{}/{}.txt", path_, base);
  if (auto r = writeFile(textPath, text); !r) return Failure{r.error()};
  if (auto r = writeFile(fmt::format("{}/{}.json", path_, base), json); !r)
    return Failure{r.error()};
  return textPath;
}

bool writeAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;
    return false;
  }
  return true;
}

}  // namespace pyhang
