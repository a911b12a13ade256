#include "analysis/pool_waits.h"

#include <algorithm>
#include <cstdlib>

namespace pyhang {

uint64_t queuedFuturePool(const SyncObject* o) {
  if (!o || o->kind != ObjectKind::kFuture) return 0;
  auto state = o->attrs.find("_state");
  auto queued = o->attrs.find("queued_in");
  // A Pool result (ApplyResult, MapResult) has no _state: the reader marks it queued only while
  // a task of its job waits in the pool's inqueue.
  const bool pending = state != o->attrs.end() ? state->second.find("PENDING") != std::string::npos : o->attrs.count("job") > 0;
  if (!pending || queued == o->attrs.end()) return 0;
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

bool descendsFrom(const Snapshot& snap, const Process& q, int64_t pid) {
  int64_t parent = q.ppid;
  for (int depth = 0; depth < 4 && parent > 0; ++depth) {
    if (parent == pid) return true;
    auto it = std::find_if(snap.processes.begin(), snap.processes.end(), [&](const Process& r) { return r.pid == parent; });
    if (it == snap.processes.end()) return false;
    parent = it->ppid;
  }
  return false;
}

size_t idlePoolWorkers(const Snapshot& snap, int64_t pid, const SyncObject* result) {
  if (!result || result->kind != ObjectKind::kFuture || !result->attrs.count("job")) return 0;
  size_t idle = 0;
  for (const auto& q : snap.processes) {
    if (q.pid == pid || !descendsFrom(snap, q, pid)) continue;
    for (const auto& t : q.threads) {
      // Pool's `worker` loop: idle while the frame it calls is the task queue's get().
      for (size_t k = 0; k < t.frames.size(); ++k) {
        const Frame& f = t.frames[k];
        if (f.location.function != "worker" || !f.location.file.ends_with("/multiprocessing/pool.py")) continue;
        if (k + 1 >= t.frames.size() || !t.frames[k + 1].location.file.ends_with("/multiprocessing/queues.py")) return 0;
        ++idle;
      }
    }
  }
  return idle;
}

uint64_t taskStarvedPool(const Process& p, const Task& t) {
  if (t.state != "pending" || !t.await || t.await->kind != "executor" || t.await->hasTimeout || !t.await->concurrentFuture)
    return 0;
  auto q = p.futuresQueuedIn.find(t.await->concurrentFuture);
  if (q == p.futuresQueuedIn.end() || !p.poolsAtMaxWorkers.count(q->second)) return 0;
  for (const auto& l : p.loops) {
    if (l.address != t.loop) continue;
    if (!l.stateRead || l.stopping || l.readyCallbacks > 0 || l.timers > 0) return 0;
    return q->second;
  }
  return 0;
}

}  // namespace pyhang
