#include "session/semaphore_sharers.h"

#include <dirent.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "process/live_process.h"

namespace pyhang {

namespace {

constexpr size_t kMaxProcesses = 8192;
constexpr size_t kMaxMapsBytes = 1 << 20;
constexpr size_t kMaxSharers = 8;

// The (device, inode) of each multiprocessing semaphore file mapped in `maps` (POSIX named
// semaphores live in /dev/shm/sem.NAME; multiprocessing unlinks them at once: "(deleted)").
std::set<std::pair<std::string, uint64_t>> semaphoreFiles(const std::string& maps) {
  std::set<std::pair<std::string, uint64_t>> out;
  std::istringstream in(maps);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("/dev/shm/sem.") == std::string::npos) continue;
    char dev[32] = {};
    unsigned long long inode = 0;
    if (std::sscanf(line.c_str(), "%*s %*s %*s %31s %llu", dev, &inode) != 2 || inode == 0) continue;
    out.emplace(dev, inode);
  }
  return out;
}

}  // namespace

void attachSemaphoreSharers(Snapshot& snap) {
  std::set<int64_t> shown;
  std::vector<std::pair<Process*, std::set<std::pair<std::string, uint64_t>>>> mine;
  for (auto& p : snap.processes) {
    if (p.pid > 0) shown.insert(p.pid);
    if (p.pid <= 0 || p.source != "live" || p.kernelState == 'Z' || p.kernelState == 'X') continue;
    auto files = semaphoreFiles(readProcFile(fmt::format("/proc/{}/maps", p.pid), kMaxMapsBytes));
    if (!files.empty()) mine.emplace_back(&p, std::move(files));
  }
  if (mine.empty()) return;
  DIR* d = opendir("/proc");
  if (!d) return;
  size_t looked = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9' || ++looked > kMaxProcesses) continue;
    const int64_t pid = std::strtoll(e->d_name, nullptr, 10);
    if (shown.count(pid)) continue;
    const std::string maps = readProcFile(fmt::format("/proc/{}/maps", pid), kMaxMapsBytes);
    if (maps.find("/dev/shm/sem.") == std::string::npos) continue;
    const auto theirs = semaphoreFiles(maps);
    for (auto& [p, files] : mine) {
      bool shares = false;
      for (const auto& f : theirs) shares |= files.count(f) > 0;
      if (!shares || p->semaphoreSharers.size() >= kMaxSharers) continue;
      std::string cmd = LiveProcess(static_cast<pid_t>(pid)).commandLine();
      if (cmd.size() > 60) cmd = cmd.substr(0, 60) + "...";
      p->semaphoreSharers.emplace_back(pid, cmd);
    }
  }
  closedir(d);
}

}  // namespace pyhang
