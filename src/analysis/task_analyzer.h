// The tasks' analysis, one process at a time: its state and passes (task_analysis.cpp: the
// graph, the cycle search and the run; task_deadlock_findings.cpp: cycles, self-deadlocks and
// locks held by finished tasks; task_loop_findings.cpp: event loops that can never run again;
// task_notes.cpp: annotations and notes; task_thread_findings.cpp: the findings that join tasks
// and threads). Internal to analysis/.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/task_words.h"
#include "analysis/wait_graph.h"
#include "snapshot/snapshot.h"

namespace pyhang::tasks {

constexpr size_t kMaxTaskNotes = 40;    // notes about tasks that are not deadlocked, per process
constexpr size_t kMaxListedTasks = 20;  // tasks spelled out in an all-blocked finding
constexpr size_t kMaxCycleSteps = 200000;
constexpr size_t kMaxCycleLength = 64;

struct Holder {
  size_t task = 0;   // index into Process::tasks
  size_t frame = 0;  // holding frame
  HeldObject hold;
};

struct TEdge {
  size_t to = 0;
  uint64_t object = 0;  // the lock or the awaited task
  bool viaLock = false;
};

class TaskAnalyzer {
 public:
  TaskAnalyzer(Snapshot& s, size_t pi)
      : snap_(s), p_(s.processes[pi]), d_(s.diagnosis), graph_(buildWaitGraph(s)) {
    for (const auto& u : graph_.units) {
      if (u.id.process == pi && u.blockedForever())
        blockedThreads_.insert(p_.threads[u.id.thread].tid);
    }
  }

  void run();

 private:
  void buildGraph();
  std::vector<std::vector<size_t>> findCycles() const;
  // `cycle` starts at a hub that awaits a gather/wait/TaskGroup when `siblings` (the hub's
  // children that each close the same cycle) has more than one task.
  void reportCycle(std::vector<size_t> cycle, const std::vector<size_t>& siblings);
  void reportFinishedHolders();
  void reportLoops();
  // A thread waits for a run_coroutine_threadsafe() future of a loop whose thread waits for the
  // first thread (a coroutine blocked the loop's thread on a lock the first thread holds).
  void reportThreadsafeCycles();
  void reportThreadsBehindTasks();
  std::string threadWait(const UnitState& u) const;
  std::string threadAt(const UnitState& u) const;
  Participant threadPart(const UnitState& u, const std::string& task,
                         const std::string& heldBy) const;
  void reportBystanders(Finding& f, const std::set<size_t>& members);
  void annotateAndNote();

  Participant participant(size_t i, bool withHolds) const;
  const Holder* holdOf(size_t task, uint64_t lock) const;
  std::string since(const Holder& h) const;
  std::string header(const char* what, size_t count, const Task& any) const;
  bool loopDead(const EventLoop& l, std::vector<size_t>* tasks) const;
  // The threads other than `loopTid` that could still wake a loop (call_soon_threadsafe): not
  // blocked forever, and not the thread of a loop that can never run again; as labels.
  std::vector<std::string> threadsThatCanWake(int64_t loopTid) const;
  // waitsForever, plus: awaiting a function whose executor thread is blocked forever.
  bool forever(const Task& t) const {
    if (waitsForever(t)) return true;
    return isPending(t) && t.await && t.await->kind == "executor" && !t.await->hasTimeout &&
           t.await->workerTid && blockedThreads_.count(t.await->workerTid);
  }

  Snapshot& snap_;
  Process& p_;
  Diagnosis& d_;
  std::map<uint64_t, size_t> byAddr_;
  std::map<uint64_t, std::vector<Holder>> holders_;  // lock -> pending tasks holding it
  std::vector<std::vector<TEdge>> edges_;
  std::vector<std::vector<size_t>> reverse_;  // who has an edge to a task
  std::set<size_t> involved_;
  std::set<int64_t> deadLoopTids_;
  std::map<size_t, size_t> findingOfTask_;  // task index -> index into d_.findings
  std::set<int64_t> blockedThreads_;        // tids of threads blocked forever
  std::set<int64_t> blockedLoopTids_;       // loops whose own thread is blocked (reported)
  WaitGraph graph_;
};

}  // namespace pyhang::tasks
