#include "analysis/pool_waits.h"

#include <cstdlib>

namespace pyhang {

uint64_t queuedFuturePool(const SyncObject* o) {
  if (!o || o->kind != ObjectKind::kFuture) return 0;
  auto state = o->attrs.find("_state");
  auto queued = o->attrs.find("queued_in");
  if (state == o->attrs.end() || state->second.find("PENDING") == std::string::npos || queued == o->attrs.end()) return 0;
  return std::strtoull(queued->second.c_str(), nullptr, 16);
}

uint64_t futuresWaitPool(const Process& p, const Thread& t) {
  for (const auto& f : t.frames) {
    if ((f.location.function != "wait" && f.location.function != "as_completed") ||
        !f.location.file.ends_with("/concurrent/futures/_base.py")) {
      continue;
    }
    for (const auto& v : f.locals) {
      auto q = v.name == "waiter" ? p.waitersQueuedIn.find(v.address) : p.waitersQueuedIn.end();
      if (q != p.waitersQueuedIn.end()) return q->second;
    }
  }
  return 0;
}

}  // namespace pyhang
