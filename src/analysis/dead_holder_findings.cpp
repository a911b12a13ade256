// Findings for locks held by a thread or a process that has exited (see dead_holder_findings.h).
#include "analysis/dead_holder_findings.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace pyhang::explain {

void deadHolderFindings(const Snapshot& snap, const WaitGraph& g, const Explainer& ex, std::set<size_t>& involved,
                        Diagnosis& d) {
  // Held by a thread that has exited. Threads waiting for the same lock share one finding.
  std::map<std::pair<size_t, uint64_t>, size_t> deadLockFinding;   // (process, lock) -> finding
  for (size_t i = 0; i < g.units.size(); ++i) {
    const UnitState& u = g.units[i];
    if (involved.count(i) || !u.blockedForever() || !u.lockHolderUnknown || u.wait->op != WaitOp::kAcquire) continue;
    const Process& p = ex.proc(u.id);
    const SyncObject* lock = ex.object(p, u.waitLock);
    if (!lock) continue;
    std::string who;
    bool certain = false;
    std::string parentThread;   // a forked child's lock, owned by this thread of its parent (in the report)
    // Locks that record their owner: an RLock, a buffered stream's C lock, a module's import lock.
    const bool recordsOwner = lock->kind == ObjectKind::kRLock || lock->kind == ObjectKind::kIoBuffer ||
                              lock->kind == ObjectKind::kImportLock;
    if (recordsOwner && lock->ownerIdent && *lock->ownerIdent) {
      bool alive = std::any_of(p.threads.begin(), p.threads.end(), [&](const Thread& t) { return t.ident == *lock->ownerIdent; });
      if (alive) continue;
      // Live, a fork's copy is known from its mappings; from cores, the parent's core is read too
      // and has a thread of that ident (glibc's thread idents are addresses: the copy's).
      const int64_t parent = p.forkOf != 0 ? p.forkOf : p.source == "core" ? p.ppid : 0;
      if (parent > 0) {
        for (const auto& q : snap.processes) {
          if (q.pid != parent) continue;
          for (const auto& t : q.threads) {
            if (t.ident != *lock->ownerIdent) continue;
            parentThread = fmt::format("thread \"{}\" of the parent (pid {})", t.name.empty() ? "?" : t.name, q.pid);
          }
        }
      }
      auto it = p.exitedThreads.find(*lock->ownerIdent);
      auto known = p.knownThreadNames.find(*lock->ownerIdent);
      who = it != p.exitedThreads.end() && !it->second.empty() ? fmt::format("thread \"{}\"", it->second)
            : known != p.knownThreadNames.end()                 ? fmt::format("thread \"{}\"", known->second)
                                                                : fmt::format("thread 0x{:x}", *lock->ownerIdent);
      certain = true;
    } else if (lock->kind == ObjectKind::kSemLock && lock->locked.value_or(true)) {
      // A multiprocessing lock no inspected process holds: look for a child that has exited.
      std::vector<std::string> dead;
      for (const auto& c : p.children) {
        if (c.state == "zombie" || c.state == "exited" || c.returncode) {
          std::string how = c.returncode && *c.returncode < 0 ? fmt::format(", killed by signal {}", -*c.returncode)
                            : c.returncode ? fmt::format(", exit code {}", *c.returncode)
                            : c.state == "zombie" ? ", exited (a zombie, not reaped yet)"
                                                  : ", exited";
          dead.push_back(fmt::format("process {} (pid {}{})", c.name, c.pid, how));
        }
      }
      for (const auto& q : snap.processes) {
        if ((q.kernelState == 'Z' || q.kernelState == 'X') && q.ppid == p.pid &&
            std::none_of(p.children.begin(), p.children.end(), [&](const Process::Child& c) { return c.pid == q.pid; })) {
          dead.push_back(fmt::format("process {} (pid {}, exited: a zombie, not reaped yet)", q.commandLine, q.pid));
        }
      }
      if (dead.empty()) continue;
      Finding f;
      f.kind = "held-by-dead-process";
      f.lines.push_back("Found a deadlock (lock held by a process that has exited):");
      f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
      f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      f.lines.push_back("    which no live process holds (its semaphore is taken and no process counts an acquire);");
      f.lines.push_back(fmt::format("    it was most likely acquired and never released by {} (inferred).",
                                    fmt::join(dead, " or ")));
      f.summary = fmt::format("{} waits for a multiprocessing lock held by {}, which has exited", ex.threadLabel(u.id),
                              dead.front());
      f.participants.push_back(ex.participant(u, true));
      involved.insert(i);
      d.findings.push_back(std::move(f));
      continue;
    } else if (lock->kind == ObjectKind::kLock && lock->locked.value_or(true) && !p.exitedThreads.empty() &&
               std::all_of(g.units.begin(), g.units.end(), [&](const UnitState& v) {
                 // A live thread that is not blocked could have taken it with acquire().
                 return v.id.process != u.id.process || v.blockedForever();
               })) {
      std::vector<std::string> names;
      for (const auto& [ident, name] : p.exitedThreads) names.push_back(fmt::format("\"{}\"", name));
      who = fmt::format("{} {}", names.size() == 1 ? "thread" : "one of the threads", fmt::join(names, ", "));
    } else {
      continue;
    }
    if (auto same = deadLockFinding.find({u.id.process, u.waitLock}); same != deadLockFinding.end()) {
      Finding& shared = d.findings[same->second];
      shared.lines.push_back(fmt::format("  {} waits for the same lock", ex.threadLabel(u.id)));
      shared.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
      shared.participants.push_back(ex.participant(u, true));
      shared.participants.back().heldBy = who + " (exited)";
      involved.insert(i);
      continue;
    }
    deadLockFinding[{u.id.process, u.waitLock}] = d.findings.size();
    Finding f;
    f.kind = "held-by-dead-thread";
    f.lines.push_back(parentThread.empty() ? "Found a deadlock (lock held by a thread that has exited):"
                                           : "Found a deadlock (lock held at fork time by a thread of the parent):");
    f.lines.push_back(fmt::format("  {} {}", ex.threadLabel(u.id), ex.waitTarget(u)));
    f.lines.push_back(fmt::format("      {}", ex.atPhrase(u)));
    // A fork's copy: the owner may have been the parent's thread, copied holding it.
    const bool forked = certain && p.forkOf != 0;
    if (!parentThread.empty()) {
      f.lines.push_back(fmt::format("    which is owned by {}: this process was forked while that thread held it, and no "
                                    "thread of this copy will ever release it.", parentThread));
    } else if (forked) {
      f.lines.push_back(fmt::format("    which is owned by {}, which is not a thread of this process: it has exited without "
                                    "releasing it, or it was a thread of the parent (pid {}) that held the lock when "
                                    "fork() copied this process.", who, p.forkOf));
    } else if (certain) {
      f.lines.push_back(fmt::format("    which is owned by {}, which has exited without releasing it.", who));
    } else {
      f.lines.push_back("    which no live thread holds through a with block; it was most likely taken with acquire()");
      f.lines.push_back(fmt::format("    by {}, which has exited without releasing it (inferred).", who));
    }
    f.summary = !parentThread.empty()
                    ? fmt::format("{} waits for a lock that {} held when this process was forked", ex.threadLabel(u.id),
                                  parentThread)
                    : fmt::format("{} waits for a lock held by {} which has exited{}", ex.threadLabel(u.id), who,
                                  forked ? " (or was the parent's when this process was forked)" : "");
    f.participants.push_back(ex.participant(u, true));
    f.participants.back().heldBy = !parentThread.empty() ? parentThread + " (held at fork time)"
                                   : who + (forked ? " (exited, or the parent's at fork time)" : " (exited)");
    involved.insert(i);
    d.findings.push_back(std::move(f));
  }
}

}  // namespace pyhang::explain
