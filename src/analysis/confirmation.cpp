#include "analysis/confirmation.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "analysis/deadlock_analysis.h"
#include "analysis/wait_graph.h"

namespace pyhang {

namespace {

const Process* processOf(const Snapshot& snap, int64_t pid) {
  for (const auto& p : snap.processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

std::string threadWords(const Snapshot& snap, const Process& p, const Thread& t) {
  std::string who = t.name.empty() ? fmt::format("thread {}", t.tid) : fmt::format("thread {} \"{}\"", t.tid, t.name);
  if (snap.processes.size() > 1) who = fmt::format("process {} {}", p.pid, who);
  return who;
}

}  // namespace

std::vector<std::pair<int64_t, int64_t>> threadsToConfirm(const Snapshot& snap, const Finding& f) {
  std::vector<std::pair<int64_t, int64_t>> out;
  bool anyThread = false;
  std::set<int64_t> pids;
  for (const auto& part : f.participants) {
    // Tasks wait for each other whatever their loop's thread does; only "nothing can ever run
    // again" depends on that thread staying asleep.
    if ((!part.task.empty() && f.kind != "all-blocked") || part.tid == 0) continue;
    anyThread = true;
    out.emplace_back(part.pid, part.tid);
    pids.insert(part.pid);
  }
  if (!anyThread) return {};
  if (f.kind == "all-blocked") {
    for (int64_t pid : pids) {
      if (const Process* p = processOf(snap, pid)) {
        for (const auto& t : p->threads) {
          if (t.tid) out.emplace_back(pid, t.tid);
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// An all-blocked finding whose waits another process could end, while that process is not in
// the report: what it waits for instead, or "" when nothing like it.
std::string uninspectedWakeSource(const Snapshot& snap, const Finding& f) {
  if (f.kind != "all-blocked" && f.kind != "self-deadlock") return "";
  std::set<int64_t> pids;
  bool crossProcess = false;
  for (const auto& part : f.participants) {
    const Process* p = processOf(snap, part.pid);
    if (!p || !pids.insert(part.pid).second) continue;
    // A thread waiting again for a multiprocessing Lock or Semaphore it took: another process
    // may release it.
    if (f.kind == "self-deadlock") {
      crossProcess |= part.waitsFor && crossProcessWait(*p, *part.waitsFor);
      continue;
    }
    // Any wait of the process, the library's service threads' included (a Pool's result
    // handler waits for the workers' results).
    for (const auto& t : p->threads) {
      for (const auto& fr : t.frames) crossProcess |= fr.waitsOn && crossProcessWait(*p, *fr.waitsOn);
    }
  }
  if (!crossProcess) return "";
  std::set<int64_t> shown;
  for (const auto& p : snap.processes) shown.insert(p.pid);
  std::vector<std::string> others;
  for (int64_t pid : pids) {
    const Process* p = processOf(snap, pid);
    for (const auto& [cpid, cmd] : p->uninspectedChildren) others.push_back(fmt::format("{} ({})", cpid, cmd));
    if (p->source != "core") continue;
    // A core: the children the program knows of that have not exited, which no core here shows.
    for (const auto& c : p->children) {
      if (!shown.count(c.pid) && !c.returncode) {
        others.push_back(c.name.empty() ? fmt::format("{}", c.pid) : fmt::format("{} ({})", c.pid, c.name));
      }
    }
  }
  // A multiprocessing child read without its parent: the parent (and the siblings it started)
  // hold the other ends of its queues, pipes and shared locks.
  std::vector<std::string> parents;
  for (int64_t pid : pids) {
    const Process* p = processOf(snap, pid);
    bool mpChild = (!p->name.empty() && p->name != "MainProcess") ||
                   p->commandLine.find("multiprocessing") != std::string::npos;
    if (mpChild && p->ppid > 1 && !shown.count(p->ppid)) {
      std::string parent = fmt::format("its parent process {}", p->ppid);
      if (std::find(parents.begin(), parents.end(), parent) == parents.end()) parents.push_back(parent);
    }
  }
  // Processes outside the tree that map the same multiprocessing semaphores (a detached helper).
  std::vector<std::string> sharers;
  for (int64_t pid : pids) {
    for (const auto& [spid, cmd] : processOf(snap, pid)->semaphoreSharers) {
      std::string s = cmd.empty() ? fmt::format("{}", spid) : fmt::format("{} ({})", spid, cmd);
      if (std::find(sharers.begin(), sharers.end(), s) == sharers.end()) sharers.push_back(std::move(s));
    }
  }
  if (others.empty() && parents.empty() && !sharers.empty()) {
    return fmt::format("{} {}, which {} this program's multiprocessing semaphores and {} not in this report (inspect {} too)",
                       sharers.size() == 1 ? "process" : "processes", fmt::join(sharers, ", "),
                       sharers.size() == 1 ? "maps" : "map", sharers.size() == 1 ? "is" : "are",
                       sharers.size() == 1 ? "it" : "them");
  }
  if (others.empty() && !parents.empty()) {
    bool core = processOf(snap, *pids.begin())->source == "core";
    return fmt::format("{} (or a process it started), which {} not in this report ({})", fmt::join(parents, " or "),
                       parents.size() == 1 ? "is" : "are",
                       core ? "take a core of it and of its children too and pass all the cores"
                            : fmt::format("inspect the whole tree: pyhang remote {} --children",
                                          processOf(snap, *pids.begin())->ppid));
  }
  if (others.empty()) return "";
  std::string list = others.size() > 4 ? fmt::format("{} and {} more", fmt::join(others.begin(), others.begin() + 4, ", "),
                                                     others.size() - 4)
                                       : fmt::format("{}", fmt::join(others, ", "));
  bool core = processOf(snap, *pids.begin())->source == "core";
  return fmt::format("{} {}, which {} not in this report ({})", others.size() == 1 ? "child process" : "child processes",
                     list, others.size() == 1 ? "is" : "are",
                     core ? (others.size() == 1 ? "take a core of it too and pass all the cores" : "take cores of them too and pass all the cores") : (others.size() == 1 ? "add --children to inspect it" : "add --children to inspect them"));
}

// What a participant waits for when another process ends that wait through state a core does
// not keep: data in a pipe or socket (a multiprocessing Queue or Connection), or the count of a
// shared semaphore (a multiprocessing Event, Condition, Barrier or Semaphore; a Lock's holder is
// recorded in the holder's own memory, so it is not among these). "" for any other wait.
std::string unkeptChannel(const Process& p, const WaitInfo& w) {
  if (w.op == WaitOp::kIo || w.op == WaitOp::kPipeRead || w.op == WaitOp::kPipeWrite) return "I/O";
  auto it = p.objects.find(w.object);
  if (!w.object || it == p.objects.end()) return "";
  const SyncObject& o = it->second;
  if (o.type.rfind("multiprocessing.", 0) != 0) return "";
  std::string name = o.names.empty() ? o.type : o.names.front();
  if (w.op == WaitOp::kQueueGet || w.op == WaitOp::kQueuePut || w.op == WaitOp::kQueueJoin) {
    return fmt::format("queue {}", name);
  }
  static const char* kCounted[] = {"multiprocessing.synchronize.Event", "multiprocessing.synchronize.Condition",
                                   "multiprocessing.synchronize.Barrier", "multiprocessing.synchronize.Semaphore",
                                   "multiprocessing.synchronize.BoundedSemaphore"};
  for (const char* t : kCounted) {
    if (o.type == t) return fmt::format("{} {}", o.type.substr(o.type.rfind('.') + 1), name);
  }
  return "";
}

// An all-blocked finding across processes read from their cores, in which a process waits for
// another through a pipe or a shared semaphore: each core is a different moment (gcore takes one
// process at a time), and what one process sent in between is in none of them. A busy
// request/response pair looks exactly like a hung one there.
std::string coresApart(const Snapshot& snap, const Finding& f) {
  if (f.kind != "all-blocked") return "";
  std::set<int64_t> pids;
  for (const auto& part : f.participants) {
    const Process* p = processOf(snap, part.pid);
    if (!p || p->source != "core") return "";
    pids.insert(part.pid);
  }
  if (pids.size() < 2) return "";
  // Safe when one process alone waits that way and its core was written after every other:
  // a process that acted between two cores was woken after its own core, by one taken later
  // than that (the first to wake needs a later one to wake it), and only the last core's
  // process can wait on what is in no core.
  std::set<int64_t> channelWaiters;
  for (const auto& part : f.participants) {
    const Process* p = processOf(snap, part.pid);
    if (part.waitsFor && !unkeptChannel(*p, *part.waitsFor).empty()) channelWaiters.insert(part.pid);
  }
  if (channelWaiters.empty()) return "";
  if (channelWaiters.size() == 1) {
    const Process* last = processOf(snap, *channelWaiters.begin());
    bool afterAll = last->coreWrittenNs > 0 && std::all_of(snap.processes.begin(), snap.processes.end(), [&](const Process& q) {
                      return &q == last || (q.coreWrittenNs > 0 && q.coreWrittenNs < last->coreWrittenNs);
                    });
    if (afterAll) return "";
  }
  // Name the waiter whose core is the earliest: the one a later process may have fed.
  const Participant* earliest = nullptr;
  for (const auto& part : f.participants) {
    if (!channelWaiters.count(part.pid) || !part.waitsFor || unkeptChannel(*processOf(snap, part.pid), *part.waitsFor).empty()) continue;
    if (!earliest || processOf(snap, part.pid)->coreWrittenNs < processOf(snap, earliest->pid)->coreWrittenNs) earliest = &part;
  }
  if (!earliest) return "";
  const Process* p = processOf(snap, earliest->pid);
  std::string channel = unkeptChannel(*p, *earliest->waitsFor);
  const Thread* t = nullptr;
  for (const auto& th : p->threads) {
    if (th.tid == earliest->tid) t = &th;
  }
  std::string who = t ? threadWords(snap, *p, *t) : fmt::format("process {}", p->pid);
  return fmt::format("the cores were taken one process at a time, and {} waits on {}, which a process whose core was "
                     "taken later may have fed between the cores (a core keeps neither a pipe's data nor a shared "
                     "semaphore's count); read the processes live to confirm: pyhang remote {} --children",
                     who, channel, snap.processes.front().pid);
}

}  // namespace

void confirmFindings(Snapshot& snap) {
  Diagnosis& d = snap.diagnosis;
  if (!d.ran) return;
  std::vector<Finding> kept;
  for (auto& f : d.findings) {
    if (std::string outside = uninspectedWakeSource(snap, f); !outside.empty()) {
      f.unconfirmedBecause = outside + " could still end the waits";
      d.waitingFor.push_back(std::move(outside));
      d.unconfirmed.push_back(std::move(f));
      continue;
    }
    std::string because = coresApart(snap, f);
    for (const auto& [pid, tid] : because.empty() ? threadsToConfirm(snap, f) : std::vector<std::pair<int64_t, int64_t>>{}) {
      const Process* p = processOf(snap, pid);
      if (!p) continue;
      for (const auto& t : p->threads) {
        if (t.tid != tid) continue;
        // Its frames say it waits, but it was not waiting in the kernel: woken a moment before
        // the stop (a lock handed to it, an event set), or running. A thread blocked for good
        // always sits in a system call.
        if (t.atStop == "running" || t.atStop == "returned") {
          because = fmt::format("{} {} when pyhang stopped the threads", threadWords(snap, *p, t),
                                t.atStop == "running" ? "was running, not waiting," : "had just been woken");
          break;
        }
        if (!t.ranAfter.value_or(false)) continue;
        because = fmt::format("{} {} a moment later", threadWords(snap, *p, t),
                              t.stateAfter == "R" ? "was running" : "had moved on");
        break;
      }
      if (!because.empty()) break;
      if (f.kind == "all-blocked" && !p->otherThreadsThatRan.empty()) {
        because = fmt::format("thread {} of process {}, a thread without Python frames, was running a moment later",
                              p->otherThreadsThatRan.front(), pid);
        break;
      }
    }
    if (because.empty()) {
      kept.push_back(std::move(f));
    } else {
      f.unconfirmedBecause = because;
      d.unconfirmed.push_back(std::move(f));
    }
  }
  d.findings = std::move(kept);
  markParticipantStates(snap);
  setVerdict(d);
}

}  // namespace pyhang
