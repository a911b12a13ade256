#include "session/gil_waits.h"

#include <map>
#include <set>

#include "analysis/confirmation.h"
#include "memory/core_file.h"
#include "native/stack_merger.h"

namespace pyhang {

namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The frames that decide: a wait for the GIL shows within the innermost few.
constexpr size_t kFramesNamed = 16;

}  // namespace

bool lookForGilWaitsInCores(Snapshot& snap, const InspectOptions& options) {
  if (!snap.diagnosis.ran || snap.diagnosis.findings.empty()) return false;
  if (options.nativeMode != native::NativeMode::kOff) return false;  // the markers are set already
  std::map<int64_t, std::set<int64_t>> tidsByPid;
  for (const auto& f : snap.diagnosis.findings) {
    for (const auto& [pid, tid] : threadsToConfirm(snap, f)) tidsByPid[pid].insert(tid);
  }
  bool marked = false;
  for (auto& p : snap.processes) {
    auto want = tidsByPid.find(p.pid);
    if (p.source != "core" || p.corePath.empty() || want == tidsByPid.end()) continue;
    auto core = CoreFile::open(p.corePath, options.core);
    if (!core) continue;  // read once already; a second failure leaves the finding as it is
    native::NativeCapture capture = native::captureCore(p.corePath, **core, p.executable);
    if (!capture.unwinder) continue;
    const std::string runtimeLibrary = baseName(p.python.library);
    for (auto& t : p.threads) {
      if (!want->second.count(t.tid) || t.waitingForGil) continue;
      for (const auto& raw : capture.stacks) {
        if (raw.tid != t.tid) continue;
        std::vector<Frame> named;
        for (const auto& f : raw.frames) {
          if (named.size() >= kFramesNamed) break;
          named.push_back(capture.unwinder->symbolize(f, false).back());
        }
        if (native::waitsForGil(named, runtimeLibrary)) {
          t.waitingForGil = true;
          t.holdsGil = false;
          marked = true;
        }
        break;
      }
    }
  }
  return marked;
}

}  // namespace pyhang
