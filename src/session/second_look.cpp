#include "session/second_look.h"

#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "analysis/confirmation.h"
#include "process/live_process.h"
#include "process/proc_tree.h"

namespace pyhang {

namespace {

using Look = std::map<std::pair<int64_t, int64_t>, ThreadActivity>;

// Every thread of the watched processes, Python or not.
Look look(const std::set<int64_t>& pids) {
  Look out;
  for (int64_t pid : pids) {
    LiveProcess proc(static_cast<pid_t>(pid));
    for (pid_t tid : proc.threadIds()) out[{pid, tid}] = proc.threadActivity(tid);
  }
  return out;
}

// Blocked and unchanged between the two looks: the same state (asleep, or a zombie leader whose
// process goes on in its other threads), the same system call and no context switch.
bool still(const Look& a, const Look& b, const std::pair<int64_t, int64_t>& id) {
  auto x = a.find(id), y = b.find(id);
  if (x == a.end() || y == b.end()) return false;
  char st = y->second.state;
  return (st == 'S' || st == 'Z') && x->second.sameAs(y->second) && y->second.syscall != "running";
}

// Blocked in a different system call than the one the stop interrupted (or on another futex, fd):
// it woke and went on, even if it has been still since (a lock handed to it at the stop, taken
// and released again, while the thread that took it next sleeps with it).
bool leftItsCall(const Thread& t, const Look& look, const std::pair<int64_t, int64_t>& id) {
  auto it = look.find(id);
  if (!t.stopCall || it == look.end() || !it->second.read) return false;
  const std::string& line = it->second.syscall;   // "202 0x7f0e2c0013a0 0x80 0x0 ... sp pc"
  char* end = nullptr;
  long number = std::strtol(line.c_str(), &end, 10);
  if (end == line.c_str()) return false;   // "running", or unreadable: the comparison of looks decides
  if (number != t.stopCall->first) return true;
  constexpr long kRestartSyscall = 219;    // a wait with a timeout, resumed: its arguments are not shown
  if (number == kRestartSyscall) return false;
  uint64_t arg0 = std::strtoull(end, nullptr, 16);
  return arg0 != t.stopCall->second;
}

}  // namespace

void secondLook(Snapshot& snap, std::chrono::milliseconds interval) {
  if (!snap.diagnosis.ran || snap.diagnosis.findings.empty()) return;
  std::set<std::pair<int64_t, int64_t>> watched;
  std::set<int64_t> pids;
  std::set<int64_t> wholeProcesses;   // all-blocked: every thread counts, Python or not
  for (const auto& f : snap.diagnosis.findings) {
    for (const auto& id : threadsToConfirm(snap, f)) {
      watched.insert(id);
      pids.insert(id.first);
      if (f.kind == "all-blocked") wholeProcesses.insert(id.first);
    }
  }
  std::set<int64_t> live;
  for (const auto& p : snap.processes) {
    if (pids.count(p.pid) && p.source == "live" && p.pid > 0) live.insert(p.pid);
  }
  if (live.empty()) return;
  for (int64_t pid : wholeProcesses) {
    if (live.count(pid)) {
      for (pid_t tid : LiveProcess(static_cast<pid_t>(pid)).threadIds()) watched.insert({pid, tid});
    }
  }
  // Descendants the report does not show could still end an all-blocked program's waits, or a
  // self-deadlock's on a multiprocessing lock (write into a pipe, release a shared semaphore, exit): name them, except multiprocessing's own
  // service processes.
  std::set<int64_t> shown;
  for (const auto& p : snap.processes) shown.insert(p.pid);
  for (auto& p : snap.processes) {
    if (!live.count(p.pid)) continue;
    for (pid_t c : descendantsOf(static_cast<pid_t>(p.pid))) {
      if (shown.count(c) || p.uninspectedChildren.size() >= 64) continue;
      LiveProcess child(c);
      auto st = child.status();
      if (!st || st->state == 'Z' || st->state == 'X') continue;
      std::string cmd = child.commandLine();
      // The service processes themselves (direct children); the forkserver's own children, the
      // workers, carry its command line too and count.
      if (st->ppid == p.pid && (cmd.find("multiprocessing.resource_tracker") != std::string::npos ||
                                cmd.find("multiprocessing.semaphore_tracker") != std::string::npos ||
                                cmd.find("multiprocessing.forkserver") != std::string::npos)) {
        continue;
      }
      constexpr size_t kMaxCommand = 60;
      if (cmd.size() > kMaxCommand) cmd = cmd.substr(0, kMaxCommand) + "...";
      p.uninspectedChildren.emplace_back(c, cmd.empty() ? "[" + st->comm + "]" : cmd);
    }
  }
  auto considered = [&](const std::pair<int64_t, int64_t>& id) { return live.count(id.first) > 0 && watched.count(id); };

  // Looks `interval` apart until every watched thread stays put between two of them. The first
  // ones may catch a thread still returning into its system call after the detach (on a loaded
  // machine that can take a few intervals); a thread that keeps moving for a quarter of a second
  // is not blocked.
  constexpr int kMaxLooks = 25;
  Look first = look(live);
  Look second;
  for (int n = 1; n < kMaxLooks; ++n) {
    std::this_thread::sleep_for(interval);
    second = look(live);
    bool allStill = true;
    for (const auto& id : watched) allStill &= !considered(id) || still(first, second, id);
    if (allStill || n + 1 == kMaxLooks) break;
    first = std::move(second);
  }
  for (auto& p : snap.processes) {
    if (!live.count(p.pid)) continue;
    std::set<int64_t> python;
    for (auto& t : p.threads) {
      python.insert(t.tid);
      std::pair<int64_t, int64_t> id{p.pid, t.tid};
      if (!t.tid || !watched.count(id)) continue;
      t.ranAfter = !still(first, second, id) || leftItsCall(t, second, id);
      auto it = second.find(id);
      t.stateAfter = it == second.end() || !it->second.read ? "" : std::string(1, it->second.state);
    }
    if (!wholeProcesses.count(p.pid)) continue;
    for (const auto& [id, activity] : second) {
      if (id.first == p.pid && !python.count(id.second) && !still(first, second, id)) {
        p.otherThreadsThatRan.push_back(id.second);
      }
    }
  }
}

}  // namespace pyhang
