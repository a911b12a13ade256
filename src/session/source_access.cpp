#include "session/source_access.h"

#include <map>
#include <memory>

#include <fmt/format.h>

#include "cpython/source_files.h"

namespace pyhang {

SourceLines sourceLinesFor(const InspectOptions& options, bool isCore) {
  auto files = std::make_shared<std::map<int64_t, std::unique_ptr<cpython::SourceFiles>>>();
  std::string root = options.core.libSearchRoot;
  return [files, root, isCore](int64_t pid, const std::string& file) -> const std::vector<std::string>* {
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
    }
    return slot->lines(file);
  };
}

}  // namespace pyhang
