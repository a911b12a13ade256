// The process tree, from /proc.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace pyhang {

// Every descendant of `root`, breadth first (at most 4096): from the kernel's per-thread
// children lists, or else from one scan of /proc.
std::vector<pid_t> descendantsOf(pid_t root);

// The children of `pid` (zombies included) from the kernel's per-thread children lists;
// nullopt when the kernel does not provide them or the process is gone.
std::optional<std::vector<pid_t>> childrenOf(pid_t pid);

}  // namespace pyhang
