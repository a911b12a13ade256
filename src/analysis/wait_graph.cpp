#include "analysis/wait_graph.h"

#include <algorithm>

namespace pyhang {

namespace {

bool isStdlib(const std::string& file) {
  static const char* kModules[] = {"/threading.py", "/queue.py", "/concurrent/futures/_base.py",
                                   "/concurrent/futures/thread.py"};
  if (file.find("python3") == std::string::npos && file.find("Lib/") == std::string::npos) return false;
  for (const char* m : kModules) {
    std::string_view sv(m);
    if (file.size() >= sv.size() && file.compare(file.size() - sv.size(), sv.size(), sv) == 0) return true;
  }
  return false;
}

const SyncObject* find(const Process& p, uint64_t addr) {
  auto it = p.objects.find(addr);
  return it == p.objects.end() ? nullptr : &it->second;
}

}  // namespace

uint64_t lockOf(const Process& p, uint64_t object) {
  const SyncObject* o = find(p, object);
  if (!o) return object;
  if (o->kind == ObjectKind::kLock || o->kind == ObjectKind::kRLock) return object;
  if (o->underlyingLock) return o->underlyingLock;
  return object;
}

const UnitState* WaitGraph::unit(const UnitId& id) const {
  for (const auto& u : units) {
    if (u.id == id) return &u;
  }
  return nullptr;
}

WaitGraph buildWaitGraph(const Snapshot& snap) {
  WaitGraph g;
  for (size_t pi = 0; pi < snap.processes.size(); ++pi) {
    const Process& p = snap.processes[pi];
    std::map<uint64_t, size_t> threadByIdent;
    for (size_t ti = 0; ti < p.threads.size(); ++ti) threadByIdent[p.threads[ti].ident] = ti;
    const size_t firstUnit = g.units.size();
    // Holds and waits of each thread.
    for (size_t ti = 0; ti < p.threads.size(); ++ti) {
      const Thread& t = p.threads[ti];
      UnitState u;
      u.id = {pi, ti};
      for (size_t fi = 0; fi < t.frames.size(); ++fi) {
        for (const auto& h : t.frames[fi].holds) {
          const SyncObject* o = find(p, h.object);
          // Holding a Semaphore is not holding its lock; it is counted as a holder of the semaphore.
          uint64_t lock = (o && o->kind == ObjectKind::kSemaphore) ? h.object : lockOf(p, h.object);
          u.holds.push_back(Hold{lock, h.object, fi, h.how, h.line});
        }
      }
      // RLocks record their owner; tstate locks are held by their thread until it exits.
      for (const auto& [addr, o] : p.objects) {
        if (o.kind == ObjectKind::kRLock && o.ownerIdent && *o.ownerIdent == t.ident && o.locked.value_or(false)) {
          bool known = std::any_of(u.holds.begin(), u.holds.end(), [&](const Hold& h) { return h.lock == addr; });
          if (!known) u.holds.push_back(Hold{addr, addr, SIZE_MAX, "owner", 0});
        }
        if (o.kind == ObjectKind::kLock && o.threadIdent && *o.threadIdent == t.ident) {
          u.holds.push_back(Hold{addr, addr, SIZE_MAX, "thread", 0});
        }
      }
      // The effective wait: a real lock acquired by the innermost frame, else the outermost
      // stdlib wait of the innermost run (Queue.get over Condition.wait over a waiter lock).
      if (!t.frames.empty()) {
        size_t last = t.frames.size() - 1;
        const Frame& inner = t.frames[last];
        const SyncObject* io = inner.waitsOn ? find(p, inner.waitsOn->object) : nullptr;
        if (inner.waitsOn && io && (io->kind == ObjectKind::kLock || io->kind == ObjectKind::kRLock) &&
            !io->threadIdent) {
          u.wait = inner.waitsOn;
          u.waitFrame = last;
        } else {
          for (size_t k = t.frames.size(); k-- > 0;) {
            const Frame& f = t.frames[k];
            if (f.kind == Frame::Kind::kMarker) break;
            if (f.waitsOn) {
              u.wait = f.waitsOn;
              u.waitFrame = k;
            }
            if (!isStdlib(f.location.file)) break;
          }
        }
        // Acquiring a thread's tstate lock (threading._shutdown, 3.8-3.12) waits for it to exit.
        if (u.wait && u.wait->op == WaitOp::kAcquire) {
          const SyncObject* wo = find(p, u.wait->object);
          if (wo && wo->kind == ObjectKind::kLock && wo->threadIdent) u.wait->op = WaitOp::kJoin;
        }
        if (u.wait) {
          // The program's own frame that made the call; the wait frame itself when the whole
          // stack is library code (a pool worker, Thread(target=event.wait)).
          size_t at = u.waitFrame;
          while (at > 0 && (isStdlib(t.frames[at].location.file) || t.frames[at].kind != Frame::Kind::kPython)) --at;
          if (isStdlib(t.frames[at].location.file) || t.frames[at].kind != Frame::Kind::kPython) at = u.waitFrame;
          u.atFrame = at;
        }
      }
      g.units.push_back(std::move(u));
    }
    // Edges.
    for (size_t ui = firstUnit; ui < g.units.size(); ++ui) {
      UnitState& u = g.units[ui];
      if (!u.wait) continue;
      const SyncObject* o = find(p, u.wait->object);
      if (u.wait->op == WaitOp::kJoin) {
        std::optional<uint64_t> ident = o ? o->threadIdent : std::nullopt;
        if (ident) {
          auto it = threadByIdent.find(*ident);
          if (it != threadByIdent.end()) u.edges.push_back(Edge{{pi, it->second}, u.wait->object, true});
        }
        continue;
      }
      if (u.wait->op != WaitOp::kAcquire) continue;
      uint64_t lock = (o && o->kind == ObjectKind::kSemaphore) ? u.wait->object : lockOf(p, u.wait->object);
      u.waitLock = lock;
      bool anyHolder = false;
      for (size_t vi = firstUnit; vi < g.units.size(); ++vi) {
        for (const auto& h : g.units[vi].holds) {
          if (h.lock != lock) continue;
          // The lock being entered by `with` is not held yet by the waiter's own innermost frame.
          u.edges.push_back(Edge{g.units[vi].id, lock, false});
          anyHolder = true;
          break;
        }
      }
      if (!anyHolder) u.lockHolderUnknown = true;
    }
  }
  return g;
}

}  // namespace pyhang
