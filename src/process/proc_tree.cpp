#include "process/proc_tree.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "process/live_process.h"

namespace pyhang {

namespace {

// The children of every thread of `pid` (/proc/PID/task/TID/children); nullopt when the kernel
// does not provide those files.
std::optional<std::vector<pid_t>> childrenFromTasks(pid_t pid) {
  std::vector<pid_t> out;
  DIR* d = opendir(fmt::format("/proc/{}/task", pid).c_str());
  if (!d) return out;   // gone
  bool any = false;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string path = fmt::format("/proc/{}/task/{}/children", pid, e->d_name);
    if (access(path.c_str(), R_OK) != 0) continue;
    any = true;
    std::string text = readProcFile(path, 1 << 16);
    for (size_t i = 0; i < text.size();) {
      size_t j = text.find(' ', i);
      if (j == std::string::npos) j = text.size();
      if (pid_t c = static_cast<pid_t>(std::atol(text.substr(i, j - i).c_str())); c > 0) out.push_back(c);
      i = j + 1;
    }
  }
  closedir(d);
  if (!any) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::vector<pid_t>> childrenOf(pid_t pid) {
  if (access(fmt::format("/proc/{}/task", pid).c_str(), R_OK) != 0) return std::nullopt;
  return childrenFromTasks(pid);
}

// Every descendant of `root`, breadth first: from the kernel's per-thread children lists, or
// else from one scan of /proc.
std::vector<pid_t> descendantsOf(pid_t root) {
  if (childrenFromTasks(root)) {
    std::vector<pid_t> out;
    std::vector<pid_t> queue{root};
    std::set<pid_t> seen{root};
    for (size_t i = 0; i < queue.size() && out.size() < 4096; ++i) {
      for (pid_t c : childrenFromTasks(queue[i]).value_or(std::vector<pid_t>{})) {
        if (seen.insert(c).second) {
          queue.push_back(c);
          out.push_back(c);
        }
      }
    }
    return out;
  }
  std::multimap<pid_t, pid_t> childrenOf;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      pid_t pid = std::atoi(e->d_name);
      LiveProcess p(pid);
      if (auto st = p.status()) childrenOf.emplace(st->ppid, pid);
    }
    closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> queue{root};
  std::set<pid_t> seen{root};
  for (size_t i = 0; i < queue.size() && out.size() < 4096; ++i) {
    auto range = childrenOf.equal_range(queue[i]);
    for (auto it = range.first; it != range.second; ++it) {
      if (seen.insert(it->second).second) {
        queue.push_back(it->second);
        out.push_back(it->second);
      }
    }
  }
  return out;
}

}  // namespace pyhang
