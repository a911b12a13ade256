// The cheap progress check behind `run` and `watch`: how much CPU every thread of a process tree
// has used so far, read from /proc without stopping anything. Two samples that are the same mean
// that nothing in the tree ran in between (and so that nothing in it can have changed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

namespace pyhang {

struct ThreadCpu {
  uint64_t runNanoseconds = 0;  // time on a CPU (schedstat), or utime+stime in ticks without it
  uint64_t timeslices = 0;      // times it was scheduled in (0 without schedstat)
  bool operator==(const ThreadCpu& o) const {
    return runNanoseconds == o.runNanoseconds && timeslices == o.timeslices;
  }
};

struct TreeActivity {
  // pid -> tid -> CPU used; a process or thread that appears or goes away is activity too.
  std::map<pid_t, std::map<pid_t, ThreadCpu>> processes;
  bool operator==(const TreeActivity& o) const { return processes == o.processes; }
  bool empty() const { return processes.empty(); }
};

// `root` (when it has not exited) and, with `descendants`, every process below it (at most 4096
// processes, 4096 threads each). Zombies count as gone.
TreeActivity sampleTree(pid_t root, bool descendants);

}  // namespace pyhang
