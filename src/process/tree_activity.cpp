#include "process/tree_activity.h"

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "process/live_process.h"
#include "process/proc_tree.h"

namespace pyhang {

namespace {

constexpr size_t kMaxThreads = 4096;

// /proc/PID/task/TID/schedstat: "run_ns wait_ns timeslices"; without CONFIG_SCHED_INFO, utime
// and stime of /proc/PID/task/TID/stat (coarser: clock ticks).
std::optional<ThreadCpu> threadCpu(pid_t pid, pid_t tid) {
  std::string sched = readProcFile(fmt::format("/proc/{}/task/{}/schedstat", pid, tid), 256);
  if (!sched.empty()) {
    ThreadCpu cpu;
    char* end = nullptr;
    cpu.runNanoseconds = std::strtoull(sched.c_str(), &end, 10);
    std::strtoull(end, &end, 10);
    cpu.timeslices = std::strtoull(end, &end, 10);
    return cpu;
  }
  std::string stat = readProcFile(fmt::format("/proc/{}/task/{}/stat", pid, tid), 4096);
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  const char* p = stat.c_str() + close + 1;
  ThreadCpu cpu;
  for (int field = 3; field <= 15 && *p; ++field) {
    char* end = nullptr;
    while (*p == ' ') ++p;
    if (field == 3) {
      if (*p == 'Z' || *p == 'X') return std::nullopt;
      ++p;
      continue;
    }
    uint64_t v = std::strtoull(p, &end, 10);
    if (end == p) return std::nullopt;
    if (field == 14 || field == 15) cpu.runNanoseconds += v;
    p = end;
  }
  return cpu;
}

std::map<pid_t, ThreadCpu> processCpu(pid_t pid) {
  std::map<pid_t, ThreadCpu> out;
  LiveProcess process(pid);
  auto status = process.status();
  if (!status || status->state == 'Z' || status->state == 'X') return out;
  std::vector<pid_t> tids = process.threadIds();
  if (tids.size() > kMaxThreads) tids.resize(kMaxThreads);
  for (pid_t tid : tids) {
    if (auto cpu = threadCpu(pid, tid)) out[tid] = *cpu;
  }
  return out;
}

}  // namespace

TreeActivity sampleTree(pid_t root, bool descendants) {
  TreeActivity out;
  std::vector<pid_t> pids{root};
  if (descendants) {
    for (pid_t p : descendantsOf(root)) pids.push_back(p);
  }
  for (pid_t pid : pids) {
    auto threads = processCpu(pid);
    if (!threads.empty()) out.processes[pid] = std::move(threads);
  }
  return out;
}

}  // namespace pyhang
