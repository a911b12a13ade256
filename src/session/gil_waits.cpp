#include "session/gil_waits.h"

#include <map>
#include <set>

#include "analysis/confirmation.h"
#include "memory/core_file.h"
#include "native/stack_merger.h"
#include "process/kernel_wait.h"

namespace pyhang {

namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The frames that decide: a wait for the GIL shows within the innermost few.
constexpr size_t kFramesNamed = 16;

// struct _gil_runtime_state: 208 bytes on every version pyhang reads (216 free-threaded); its
// condition variables and mutexes are what a thread waiting for the GIL blocks on.
constexpr uint64_t kGilStateSize = 216;
constexpr uint64_t kSysFutex = 202, kSysRestartSyscall = 219;

// From a core's registers: the thread is in futex(2) (or resuming one through restart_syscall,
// whose registers keep the original arguments) on an address inside a GIL state. Needs no
// symbols, so it also works for stripped builds.
bool blockedOnGil(const CoreThread& ct, const std::vector<uint64_t>& gilStates) {
  const uint64_t origRax = ct.regs[15], rdi = ct.regs[14];
  if (origRax != kSysFutex && origRax != kSysRestartSyscall) return false;
  for (uint64_t g : gilStates) {
    if (rdi >= g && rdi < g + kGilStateSize) return true;
  }
  return false;
}

}  // namespace

CoreWait coreWait(const CoreThread& ct, const std::vector<uint64_t>& gilStates) {
  // Outside any system call, or leaving one that had returned: the thread was executing code
  // when the core was taken (every wait it could be in blocks in the kernel), woken or not
  // blocked yet. A lock handed to a thread whose futex had just returned looked held by no
  // one, with every thread waiting for it.
  const std::string at = callAtStop(static_cast<int64_t>(ct.regs[15]), static_cast<int64_t>(ct.regs[10]));
  if (at != "blocked") return CoreWait::kRunning;
  return blockedOnGil(ct, gilStates) ? CoreWait::kGil : CoreWait::kBlocked;
}

bool lookForGilWaitsInCores(Snapshot& snap, const InspectOptions& options) {
  if (!snap.diagnosis.ran || snap.diagnosis.findings.empty()) return false;
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
    size_t left = 0;
    for (auto& t : p.threads) {
      if (!want->second.count(t.tid) || t.waitingForGil) continue;
      for (const auto& ct : (*core)->info().threads) {
        if (ct.tid != t.tid) continue;
        const CoreWait wait = coreWait(ct, p.gilStates);
        if (wait == CoreWait::kRunning) {
          t.kernelState.assign(1, 'R');  // not = "R": GCC 12 warns (-Wrestrict, a false positive)
          marked = true;
        } else if (wait == CoreWait::kGil) {
          t.waitingForGil = true;
          t.holdsGil = false;
          marked = true;
        }
      }
      left += t.waitingForGil || t.kernelState == "R" ? 0 : 1;
    }
    // With --native the stacks were merged already: their markers are set.
    if (!left || options.nativeMode != native::NativeMode::kOff) continue;
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
