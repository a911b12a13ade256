// The process tree, from /proc.
#pragma once

#include <sys/types.h>

#include <vector>

namespace pyhang {

// Every descendant of `root`, breadth first (at most 4096): from the kernel's per-thread
// children lists, or else from one scan of /proc.
std::vector<pid_t> descendantsOf(pid_t root);

}  // namespace pyhang
