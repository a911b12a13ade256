// Pass 2 of the wait graph: the edges from each waiting thread to the threads that can end its
// wait (see wait_graph_internal.h).
#include "analysis/wait_graph.h"

#include "analysis/wait_graph_internal.h"
#include "analysis/pool_waits.h"

#include <algorithm>
#include <map>

namespace pyhang::wait_graph_internal {

void addEdges(WaitGraph& g, const Snapshot& snap) {
  // A wait for work still queued in a ThreadPoolExecutor whose every worker is blocked for good
  // (the waiter itself among them, for a task waiting on work it queued behind itself): nothing
  // will ever run it. It waits for all of the workers.
  auto starveOn = [&g](UnitState& u, uint64_t pool) {
    if (!pool) return;
    std::vector<UnitId> workers;
    for (const auto& v : g.units) {
      if (v.id.process != u.id.process || v.poolQueue != pool) continue;
      if (!(v.id == u.id) && !v.blockedForever()) return;
      workers.push_back(v.id);
    }
    if (workers.empty()) return;
    for (const auto& w : workers) u.edges.push_back(Edge{w, u.wait->object, true});
    u.starvedPool = pool;
    u.starvedPoolWorkers = workers.size();
  };
  for (auto& u : g.units) {
    if (!u.wait) continue;
    const size_t pi = u.id.process;
    const Process& p = snap.processes[pi];
    const SyncObject* o = find(p, u.wait->object);
    if (u.wait->op == WaitOp::kJoin) {
      if ((o && o->kind == ObjectKind::kProcess) || u.wait->targetPid) {
        u.waitPid = o && o->kind == ObjectKind::kProcess ? o->pid : u.wait->targetPid;
        u.waitPidMissing = true;
        // Any child (-1): whichever exits first ends the wait; it waits for all of them.
        for (size_t qi = 0; qi < snap.processes.size(); ++qi) {
          const Process& q = snap.processes[qi];
          const bool waited = u.waitPid == -1 ? q.ppid == p.pid && q.pid > 0 : q.pid == u.waitPid;
          if (!waited || q.threads.empty()) continue;
          u.waitPidMissing = false;
          // A process exits when its main thread does (non-daemon threads are joined by it).
          size_t main = 0;
          for (size_t ti = 0; ti < q.threads.size(); ++ti) {
            if (q.threads[ti].isMain) main = ti;
          }
          u.edges.push_back(Edge{{qi, main}, u.wait->object, true});
        }
        continue;
      }
      std::optional<uint64_t> ident = o ? o->threadIdent : std::nullopt;
      if (ident) {
        for (size_t ti = 0; ti < p.threads.size(); ++ti) {
          if (p.threads[ti].ident == *ident) u.edges.push_back(Edge{{pi, ti}, u.wait->object, true});
        }
      }
      continue;
    }
    if (u.wait->op == WaitOp::kPipeWrite || u.wait->op == WaitOp::kPipeRead) {
      // Any other thread of a process holding the other end (a read end for a full pipe; the
      // write end or socket peer for a read) could end the wait: the thread is stuck only when
      // every one of them waits forever itself; then it waits for all of them.
      const bool writing = u.wait->op == WaitOp::kPipeWrite;
      std::vector<UnitId> others;
      bool allStuck = true;
      for (const auto& v : g.units) {
        const Process& q = snap.processes[v.id.process];
        if (v.id == u.id || !(writing ? q.pipeReadEnds : q.writeEnds).count(u.wait->object)) continue;
        others.push_back(v.id);
        allStuck &= v.blockedForever();
      }
      if (others.empty()) {
        // Only the waiter's own thread holds the other end: nothing else will ever write (or
        // read); a signal handler that might is weighed with the verdict.
        u.waitPidMissing = !(writing ? p.pipeReadEnds : p.writeEnds).count(u.wait->object);
        continue;
      }
      if (allStuck) {
        for (const auto& o : others) u.edges.push_back(Edge{o, u.wait->object, false, true});
      }
      continue;
    }
    if (u.wait->op == WaitOp::kFileLock) {
      // Any thread of a process holding the lock could release it (its own process included: a
      // second open() of a file it already flock()ed): stuck only when every one of them waits
      // forever; then it waits for all of them.
      const std::vector<int64_t>& holders = p.threads[u.id.thread].fileLockHolders;
      std::vector<UnitId> others;
      bool allStuck = !u.waitPidMissing;
      for (const auto& v : g.units) {
        const int64_t vpid = snap.processes[v.id.process].pid;
        if (std::find(holders.begin(), holders.end(), vpid) == holders.end()) continue;
        others.push_back(v.id);
        allStuck &= v.blockedForever();
      }
      if (allStuck) {
        for (const auto& o : others) u.edges.push_back(Edge{o, u.wait->object, false, false, true});
      }
      continue;
    }
    if (u.wait->op == WaitOp::kFutureResult) {
      // A future that a task sets when it finishes (run_coroutine_threadsafe), while the task
      // awaits a function still queued in a ThreadPoolExecutor at its full size: done only once
      // a worker of that pool is free (the loop's thread, idle, cannot help).
      for (size_t k = 0; k < p.tasks.size() && !u.starvedPool; ++k) {
        const auto& fs = p.tasks[k].completesFutures;
        if (std::find(fs.begin(), fs.end(), u.wait->object) == fs.end()) continue;
        starveOn(u, taskStarvedPool(p, p.tasks[k]));
        if (u.starvedPool) u.starvedTask = k;
      }
      if (u.starvedPool) continue;
      // A future of run_coroutine_threadsafe() whose callback still waits in an event loop's
      // ready queue: done only once that loop's thread runs it.
      // Likewise one that a task of a running loop will complete (its coroutine has started).
      int64_t loopTid = 0;
      for (const auto& l : p.loops) {
        const auto& fs = l.threadsafeFutures;
        if (l.tid && std::find(fs.begin(), fs.end(), u.wait->object) != fs.end()) loopTid = l.tid;
      }
      u.loopNotStarted = loopTid != 0;
      for (const auto& task : p.tasks) {
        const auto& fs = task.completesFutures;
        if (task.tid && std::find(fs.begin(), fs.end(), u.wait->object) != fs.end()) {
          loopTid = task.tid;
          u.loopNotStarted = false;
        }
      }
      for (size_t ti = 0; ti < p.threads.size() && loopTid; ++ti) {
        if (p.threads[ti].tid != loopTid) continue;
        u.edges.push_back(Edge{{pi, ti}, u.wait->object, true});
        u.loopThread = UnitId{pi, ti};
        u.hasLoopThread = true;
      }
      if (u.hasLoopThread) continue;
      // A future that an executor worker is computing is done when that worker finishes it.
      if (o && o->kind == ObjectKind::kFuture && o->threadIdent) {
        for (size_t ti = 0; ti < p.threads.size(); ++ti) {
          if (p.threads[ti].ident == *o->threadIdent) u.edges.push_back(Edge{{pi, ti}, u.wait->object, true});
        }
        continue;
      }
      // A multiprocessing Pool job: the worker process whose `worker` loop has it as `job` runs
      // it (a ThreadPool's: a worker thread of this process). An idle worker still has its last
      // job as `job`: it runs nothing. A job no worker runs may be queued in a ThreadPool whose
      // workers are all blocked: starvation, as for a ThreadPoolExecutor.
      if (auto job = o ? o->attrs.find("job") : std::map<std::string, std::string>::const_iterator{};
          o && job != o->attrs.end()) {
        for (const auto& v : g.units) {
          if (v.id == u.id || (v.wait && v.wait->how.rfind("for work", 0) == 0)) continue;
          const Thread& wt = snap.processes[v.id.process].threads[v.id.thread];
          for (const auto& f : wt.frames) {
            if (f.location.function != "worker" || !f.location.file.ends_with("/multiprocessing/pool.py")) continue;
            for (const auto& var : f.locals) {
              if (var.name == "job" && var.repr == job->second) {
                u.edges.push_back(Edge{v.id, u.wait->object, true});
                u.poolJobWorker = v.id;
                u.hasPoolJobWorker = true;
              }
            }
          }
        }
        if (!u.hasPoolJobWorker) starveOn(u, queuedFuturePool(o));
        // Neither running nor queued: done by a worker, its result on its way to the waiter
        // through the pool's result handler thread. While that thread runs a callback of the
        // program's, it delivers nothing else.
        auto handler = o->attrs.find("delivered_by");
        if (!u.hasPoolJobWorker && !u.starvedPool && handler != o->attrs.end()) {
          for (const auto& v : g.units) {
            const Thread& ht = p.threads[v.id.thread];
            if (v.id.process != pi || std::to_string(ht.tid) != handler->second || !v.wait) continue;
            if (v.wait->how.rfind("for results", 0) == 0) continue;   // idle: waiting for results
            u.edges.push_back(Edge{v.id, u.wait->object, true});
            u.resultHandler = v.id;
            u.hasResultHandler = true;
          }
        }
        continue;
      }
      // A ProcessPoolExecutor future: the worker process of the waiter's process running its
      // work id computes it.
      if (auto work = o ? o->attrs.find("work_id") : std::map<std::string, std::string>::const_iterator{};
          o && work != o->attrs.end()) {
        for (const auto& v : g.units) {
          const Process& q = snap.processes[v.id.process];
          const Thread& wt = q.threads[v.id.thread];
          if (v.id.process == pi || !descendsFrom(snap, q, p.pid) || wt.poolWorkId < 0 ||
              std::to_string(wt.poolWorkId) != work->second) {
            continue;
          }
          u.edges.push_back(Edge{v.id, u.wait->object, true});
          u.poolJobWorker = v.id;
          u.hasPoolJobWorker = true;
        }
        if (u.hasPoolJobWorker) continue;
      }
      // A future still queued in a ThreadPoolExecutor runs when one of the pool's workers is
      // free; the pool starts no new worker after the submit. When every worker is blocked for
      // good (the waiter itself among them, for a task waiting on work it submitted to its own
      // pool), nothing will ever run it. The pool: the one whose work queue holds the future's
      // work item (a future made elsewhere, by run_coroutine_threadsafe() or by hand, is no
      // pool's to run).
      starveOn(u, queuedFuturePool(o));
      continue;
    }
    if (u.wait->op == WaitOp::kWait) {
      // concurrent.futures.wait() or as_completed() in a pool worker, for futures still queued
      // in its own pool (their _waiters hold the call's waiter): starvation, as for result().
      uint64_t pool = futuresWaitPool(p, p.threads[u.id.thread]);
      if (pool && pool == u.poolQueue) starveOn(u, pool);
      continue;
    }
    if (u.wait->op != WaitOp::kAcquire) continue;
    uint64_t lock = (o && o->kind == ObjectKind::kSemaphore) ? u.wait->object : lockOf(p, u.wait->object);
    // An RLock locked with no owner is changing hands: its owner is written just after the lock
    // is taken and cleared just before it is released (or handed to a waiter). Whoever takes it
    // runs on; a snapshot (a core above all) caught the moment, not a hang.
    if (const SyncObject* l = find(p, lock);
        l && l->kind == ObjectKind::kRLock && l->locked.value_or(false) && l->ownerIdent && *l->ownerIdent == 0) {
      u.wait.reset();
      continue;
    }
    u.waitLock = lock;
    u.waitKey = lockKey(snap, pi, lock);
    bool anyHolder = false;
    bool aHolderCanRelease = false;
    for (const auto& v : g.units) {
      for (const auto& h : v.holds) {
        if (h.key != u.waitKey) continue;
        u.edges.push_back(Edge{v.id, lock, false});
        anyHolder = true;
        aHolderCanRelease |= !v.blockedForever();
        break;
      }
    }
    // A threading lock held across an await: an asyncio task suspended inside `with lock:`
    // holds it, and only its event loop's thread can resume the task to release it.
    for (size_t ti = 0; ti < p.tasks.size() && !anyHolder; ++ti) {
      const Task& task = p.tasks[ti];
      if (!task.tid || task.state != "pending") continue;
      for (size_t fi = 0; fi < task.frames.size() && !anyHolder; ++fi) {
        for (const auto& h : task.frames[fi].holds) {
          if (h.throughWrapper || h.doubtful || (h.object != lock && lockOf(p, h.object) != lock)) continue;
          for (size_t vi = 0; vi < p.threads.size(); ++vi) {
            if (p.threads[vi].tid != task.tid) continue;
            u.edges.push_back(Edge{{pi, vi}, lock, false});
            u.lockTask = ti;
            u.lockTaskFrame = fi;
            u.lockTaskLine = h.line;
            anyHolder = true;
          }
          if (anyHolder) break;
        }
      }
    }
    if (!anyHolder) u.lockHolderUnknown = true;
    // A semaphore has several holders, and any one of them releasing a permit ends the wait:
    // while one of them still runs, the waiter is not part of a cycle.
    if (o && o->kind == ObjectKind::kSemaphore && aHolderCanRelease) u.edges.clear();
  }
}

}  // namespace pyhang::wait_graph_internal
