#include "session/source_access.h"

#include <map>
#include <memory>

#include <fmt/format.h>

#include "cpython/source_files.h"

namespace pyhang {

SourceLines sourceLinesFor(const InspectOptions& options, bool isCore, const Snapshot& snapshot) {
  auto files = std::make_shared<std::map<int64_t, std::unique_ptr<cpython::SourceFiles>>>();
  std::string root = options.core.libSearchRoot;
  std::map<int64_t, std::string> starts;
  for (const auto& p : snapshot.processes) {
    if (!p.startDirectory.empty()) starts[p.pid] = p.startDirectory;
  }
  return [files, root, isCore, starts](int64_t pid, const std::string& file) -> const std::vector<std::string>* {
    auto& slot = (*files)[pid];
    if (!slot) {
      if (isCore) {
        slot = std::make_unique<cpython::SourceFiles>(
            [root](const std::string& path) { return root.empty() ? path : root + path; });
      } else {
        slot = std::make_unique<cpython::SourceFiles>([pid](const std::string& path) {
          if (!path.empty() && path[0] == '/') return fmt::format("/proc/{}/root{}", pid, path);
          return fmt::format("/proc/{}/cwd/{}", pid, path);
        });
      }
      if (auto s = starts.find(pid); s != starts.end()) slot->setStartDirectory(s->second);
    }
    return slot->lines(file);
  };
}

}  // namespace pyhang
