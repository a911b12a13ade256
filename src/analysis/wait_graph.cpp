#include "analysis/wait_graph.h"

#include "analysis/wait_graph_internal.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace pyhang {

using wait_graph_internal::find;
using wait_graph_internal::isPlainLock;

// Could a process other than the waiter's end this wait? Multiprocessing primitives, process
// joins, pipes and sockets, and the library's service loops that wait for worker processes.
bool crossProcessWait(const Process& p, const WaitInfo& w) {
  if (w.op == WaitOp::kIo || w.op == WaitOp::kPipeWrite || w.op == WaitOp::kPipeRead || w.op == WaitOp::kFileLock) return true;
  if (w.op == WaitOp::kJoin && w.targetPid) return true;
  if (!w.object) return true;   // a service loop: "for results from the pool's workers"
  return crossProcessObject(p, w.object);
}

bool crossProcessObject(const Process& p, uint64_t object) {
  auto it = p.objects.find(object);
  if (it == p.objects.end()) return false;
  const SyncObject& o = it->second;
  switch (o.kind) {
    case ObjectKind::kSemLock:
    case ObjectKind::kMpLock:
    case ObjectKind::kProcess:
    case ObjectKind::kManagerLock: return true;
    default: break;
  }
  if (o.type.find("multiprocessing") != std::string::npos) return true;
  auto under = p.objects.find(o.underlyingLock);
  return under != p.objects.end() && under->second.kind == ObjectKind::kSemLock;
}

bool isStdlib(const std::string& file) {
  static const char* kModules[] = {"/threading.py", "/queue.py", "/concurrent/futures/_base.py",
                                   "/concurrent/futures/thread.py", "/subprocess.py", "/selectors.py"};
  if (file.find("python3") == std::string::npos && file.find("Lib/") == std::string::npos) return false;
  if (file.find("/multiprocessing/") != std::string::npos) return true;
  for (const char* m : kModules) {
    std::string_view sv(m);
    if (file.size() >= sv.size() && file.compare(file.size() - sv.size(), sv.size(), sv) == 0) return true;
  }
  return false;
}

bool isLibraryCode(const std::string& file) {
  if (isStdlib(file) || file.rfind("<frozen ", 0) == 0) return true;
  if (file.find("/site-packages/") != std::string::npos || file.find("/dist-packages/") != std::string::npos) return false;
  return file.find("/lib/python3.") != std::string::npos || file.find("/Lib/") != std::string::npos;
}

namespace wait_graph_internal {

const SyncObject* find(const Process& p, uint64_t addr) {
  auto it = p.objects.find(addr);
  return it == p.objects.end() ? nullptr : &it->second;
}

bool isPlainLock(const SyncObject* o) {
  return o && (o->kind == ObjectKind::kLock || o->kind == ObjectKind::kRLock || o->kind == ObjectKind::kSemLock ||
               o->kind == ObjectKind::kImportLock || o->kind == ObjectKind::kIoBuffer);
}

}  // namespace wait_graph_internal

uint64_t lockOf(const Process& p, uint64_t object) {
  const SyncObject* o = find(p, object);
  if (!o) return object;
  if (isPlainLock(o)) return object;
  if (o->underlyingLock) return o->underlyingLock;
  return object;
}

std::string lockKey(const Snapshot& s, size_t process, uint64_t lock) {
  const SyncObject* o = find(s.processes[process], lock);
  if (o && !o->sharedKey.empty()) return "shm:" + o->sharedKey;
  return fmt::format("{}:{:x}", process, lock);
}

const UnitState* WaitGraph::unit(const UnitId& id) const {
  size_t i = indexOf(id);
  return i == SIZE_MAX ? nullptr : &units[i];
}

size_t WaitGraph::indexOf(const UnitId& id) const {
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].id == id) return i;
  }
  return SIZE_MAX;
}

void unifySharedNames(Snapshot& snap) {
  auto isSemlockPath = [](const std::string& n) {
    return n.size() > 9 && n.compare(n.size() - 9, 9, "._semlock") == 0;
  };
  std::map<std::string, std::vector<std::string>> wrapperNames, otherNames;
  auto add = [](std::vector<std::string>& v, const std::string& n) {
    if (std::find(v.begin(), v.end(), n) == v.end() && v.size() < 8) v.push_back(n);
  };
  for (const auto& p : snap.processes) {
    for (const auto& [addr, o] : p.objects) {
      std::string key = o.sharedKey;
      bool wrapper = false;
      if (key.empty() && o.underlyingLock) {
        auto it = p.objects.find(o.underlyingLock);
        if (it != p.objects.end()) key = it->second.sharedKey;
        wrapper = true;
      }
      if (key.empty()) continue;
      for (const auto& n : o.names) {
        // "first_lock._semlock" names the program's first_lock (spawn: no wrapper in view).
        if (!wrapper && isSemlockPath(n)) add(wrapperNames[key], n.substr(0, n.size() - 9));
        else add(wrapperNames[key], n);
      }
    }
  }
  for (auto& p : snap.processes) {
    for (auto& [addr, o] : p.objects) {
      if (o.kind != ObjectKind::kSemLock || o.sharedKey.empty()) continue;
      std::vector<std::string> names = wrapperNames[o.sharedKey];
      if (names.empty()) names = otherNames[o.sharedKey];
      if (!names.empty()) o.names = names;
    }
  }
}

WaitGraph buildWaitGraph(const Snapshot& snap) {
  WaitGraph g;
  // Pass 1: every thread's holds and effective wait.
  for (size_t pi = 0; pi < snap.processes.size(); ++pi) {
    const Process& p = snap.processes[pi];
    for (size_t ti = 0; ti < p.threads.size(); ++ti) g.units.push_back(wait_graph_internal::unitState(snap, pi, ti));
  }
  // A lock held through a context manager by more than one thread, or also held in a surer way
  // by another, has no certain holder: drop those guesses.
  {
    std::map<std::string, std::set<size_t>> holders;
    for (size_t ui = 0; ui < g.units.size(); ++ui) {
      for (const auto& h : g.units[ui].holds) holders[h.key].insert(ui);
    }
    for (size_t ui = 0; ui < g.units.size(); ++ui) {
      auto& hs = g.units[ui].holds;
      // The same for an acquire() inferred from the source of a plain Lock, which has one holder.
      const Process& p = snap.processes[g.units[ui].id.process];
      auto guessed = [&](const Hold& h) {
        if (h.throughWrapper) return true;
        const SyncObject* o = find(p, h.lock);
        return h.how.rfind("acquire() (from the source)", 0) == 0 && o && o->kind == ObjectKind::kLock;
      };
      hs.erase(std::remove_if(hs.begin(), hs.end(), [&](const Hold& h) { return guessed(h) && holders[h.key].size() > 1; }),
               hs.end());
    }
  }
  // Waits that only something outside the snapshot can end (a process not inspected, a pipe end
  // no unit holds), known before any edge asks whether a unit waits forever.
  for (auto& u : g.units) {
    if (!u.wait) continue;
    const Process& p = snap.processes[u.id.process];
    const SyncObject* o = find(p, u.wait->object);
    if (u.wait->op == WaitOp::kJoin && ((o && o->kind == ObjectKind::kProcess) || u.wait->targetPid)) {
      int64_t pid = o && o->kind == ObjectKind::kProcess ? o->pid : u.wait->targetPid;
      // Any child (-1): the session kept it only with every child in the report.
      u.waitPidMissing = std::none_of(snap.processes.begin(), snap.processes.end(), [&](const Process& q) {
        return (pid == -1 ? q.ppid == p.pid && q.pid > 0 : q.pid == pid) && !q.threads.empty();
      });
    } else if (u.wait->op == WaitOp::kFileLock) {
      const Thread& t = p.threads[u.id.thread];
      u.waitPidMissing = t.fileLockOutsideHolder || t.fileLockHolders.empty();
    } else if (u.wait->op == WaitOp::kPipeWrite || u.wait->op == WaitOp::kPipeRead) {
      // The waiter's own process holding the other end counts as inside even when the waiter
      // is its only thread (a parent that never closed its copy of a child's write end).
      const bool writing = u.wait->op == WaitOp::kPipeWrite;
      u.waitPidMissing = std::none_of(g.units.begin(), g.units.end(), [&](const UnitState& v) {
        const Process& q = snap.processes[v.id.process];
        return (writing ? q.pipeReadEnds : q.writeEnds).count(u.wait->object) > 0;
      });
    }
  }
  // Pass 2: edges, across processes for shared semaphores and process joins.
  wait_graph_internal::addEdges(g, snap);
  return g;
}

}  // namespace pyhang
