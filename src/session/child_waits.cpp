#include "session/child_waits.h"

#include <algorithm>

#include "process/proc_tree.h"

namespace pyhang {

void confirmAnyChildWaits(Snapshot& snap) {
  for (auto& p : snap.processes) {
    if (p.pid <= 0 || p.source == "core") continue;
    if (std::none_of(p.threads.begin(), p.threads.end(), [](const Thread& t) { return t.waitingForChild == -1; })) continue;
    // A zombie child ends the wait at once (it is about to be reaped); one outside the report
    // may exit at any time.
    const auto children = childrenOf(static_cast<pid_t>(p.pid));
    bool complete = children && !children->empty();
    for (pid_t c : children.value_or(std::vector<pid_t>{})) {
      complete &= std::any_of(snap.processes.begin(), snap.processes.end(), [&](const Process& q) {
        return q.pid == c && !q.threads.empty() && q.kernelState != 'Z' && q.kernelState != 'X';
      });
    }
    if (complete) continue;
    for (auto& t : p.threads) {
      if (t.waitingForChild == -1) t.waitingForChild = 0;
    }
  }
}

}  // namespace pyhang
