#include "session/file_lock_holders.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "process/file_locks.h"
#include "process/live_process.h"
#include "process/proc_tree.h"

namespace pyhang {

void attachFileLockHolders(Snapshot& snap) {
  std::set<std::string> wanted;
  for (const auto& p : snap.processes) {
    for (const auto& t : p.threads) {
      if (!t.fileLockKey.empty()) wanted.insert(t.fileLockKey);
    }
  }
  if (wanted.empty()) return;
  // A thread stopped and let go again restarts its flock() and queues again as a waiter: right
  // after the snapshot its row may not be back yet. Look a few times, a few milliseconds apart.
  std::vector<FileLockRow> rows;
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt) usleep(5000);
    rows = parseProcLocks(readProcFile("/proc/locks", size_t{16} << 20));
    // One waiting row per waiting thread: two threads of a process waiting for the same file
    // are two rows, and one of them may not be back yet.
    std::map<std::pair<std::string, int64_t>, int> queued, waiting;
    for (const auto& r : rows) {
      if (r.waiting) ++queued[{r.key, r.pid}];
    }
    for (const auto& p : snap.processes) {
      for (const auto& t : p.threads) {
        if (!t.fileLockKey.empty()) ++waiting[{t.fileLockKey, p.pid}];
      }
    }
    const bool allQueued = std::all_of(waiting.begin(), waiting.end(), [&](const auto& w) { return queued[w.first] >= w.second; });
    if (allQueued) break;
  }
  for (auto& p : snap.processes) {
    if (p.pid <= 0 || p.kernelState == 'Z' || p.kernelState == 'X') continue;
    for (const auto& [key, fd] : heldFileLocks(static_cast<pid_t>(p.pid))) {
      if (wanted.count(key)) p.heldFileLocks.emplace(key, fd);
    }
  }
  // The table once more: a lock that changed hands while the holders' descriptors were read
  // gives a picture of no one moment. Such a key counts as released (its waits may end). Only
  // the holders' rows count: a waiter re-queuing after the stop is not a change of hands.
  std::set<std::string> moving;
  {
    auto rowsOf = [&](const std::vector<FileLockRow>& all) {
      std::map<std::string, std::vector<std::tuple<bool, bool, int64_t>>> byKey;
      for (const auto& r : all) {
        if (!r.waiting && wanted.count(r.key)) byKey[r.key].emplace_back(r.waiting, r.write, r.pid);
      }
      return byKey;
    };
    auto before = rowsOf(rows);
    auto after = rowsOf(parseProcLocks(readProcFile("/proc/locks", size_t{16} << 20)));
    for (const auto& key : wanted) {
      if (before[key] != after[key]) moving.insert(key);
    }
  }
  auto inReport = [&](int64_t pid) -> const Process* {
    for (const auto& p : snap.processes) {
      if (p.pid == pid) return &p;
    }
    return nullptr;
  };
  for (auto& p : snap.processes) {
    for (auto& t : p.threads) {
      if (t.fileLockKey.empty()) continue;
      // Still waiting (its row says so), when the kernel's table was read after the snapshot.
      const bool stillWaiting = std::any_of(rows.begin(), rows.end(), [&](const FileLockRow& r) {
        return r.waiting && r.key == t.fileLockKey && r.pid == p.pid;
      });
      if (!stillWaiting || moving.count(t.fileLockKey)) {
        // It got the lock (or gave up) meanwhile: who holds the file now says nothing of it.
        t.fileLockGone = true;
        t.fileLockOutsideHolder = true;
        continue;
      }
      bool outside = false;
      std::set<int64_t> holders;
      for (const auto& q : snap.processes) {
        if (q.heldFileLocks.count(t.fileLockKey)) holders.insert(q.pid);
      }
      for (const auto& r : rows) {
        if (r.waiting || r.key != t.fileLockKey) continue;
        // The kernel names the process that took the lock (-1 for an open file description
        // lock, 0 for one in another pid namespace). A flock() belongs to an open file, which
        // that process may have handed to others (fork) and closed: it holds the lock only if
        // its own descriptors show it.
        const Process* q = r.pid > 0 ? inReport(r.pid) : nullptr;
        if (!q || !q->heldFileLocks.count(t.fileLockKey)) outside = true;
        if (!q && r.pid > 0 && t.fileLockOtherHolders.size() < 4) {
          LiveProcess other(static_cast<pid_t>(r.pid));
          auto st = other.status();
          if (!st) continue;
          constexpr size_t kMaxCommand = 80;
          std::string cmd = other.commandLine();
          if (cmd.empty()) cmd = "[" + st->comm + "]";
          std::replace_if(cmd.begin(), cmd.end(), [](char c) { return c == '\n' || c == '\t' || c == '\r'; }, ' ');
          if (cmd.size() > kMaxCommand) cmd = cmd.substr(0, kMaxCommand) + "...";
          t.fileLockOtherHolders.emplace_back(r.pid, cmd);
        }
      }
      // A holder's open file is shared with the children it forked after taking the lock: one
      // that is not in the report could release it.
      for (int64_t h : holders) {
        for (pid_t c : descendantsOf(static_cast<pid_t>(h))) {
          auto st = LiveProcess(c).status();
          if (!inReport(c) && st && st->state != 'Z' && st->state != 'X') outside = true;
        }
      }
      if (holders.empty()) outside = true;
      t.fileLockHolders.assign(holders.begin(), holders.end());
      t.fileLockOutsideHolder = outside;
    }
  }
}

}  // namespace pyhang
