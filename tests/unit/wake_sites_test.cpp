// The source search behind "Calls that would end these waits": text functions on Python source,
// and the sites attached to a finding from a snapshot.
#include "analysis/wake_sites.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace pyhang {
namespace {

const std::vector<std::string> kSource = {
    "\"\"\"A service. The docstring mentions jobs.put() and ready.set().",  // 1
    "ready.set() in a docstring line too",                                 // 2
    "\"\"\"",                                                              // 3
    "import queue",                                                        // 4
    "jobs = queue.Queue()",                                                // 5
    "",                                                                    // 6
    "class Feeder:",                                                       // 7
    "    def feed(self, item):",                                           // 8
    "        # jobs.put(item) was here",                                   // 9
    "        log('jobs.put(%r)' % item)",                                  // 10
    "        self.jobs.put(item)  # the real one",                          // 11
    "        myjobs.put(item)",                                            // 12
    "",                                                                    // 13
    "    def stop(self):",                                                 // 14
    "        jobs.put_nowait (None)",                                      // 15
    "",                                                                    // 16
    "def main():",                                                         // 17
    "    def inner():",                                                    // 18
    "        ready.set()",                                                 // 19
    "    inner()",                                                         // 20
    "ready.set()",                                                         // 21
};

TEST(WakeSites, FindCallsSkipsDocstringsCommentsStringsAndLongerNames) {
  auto calls = findCalls(kSource, {"jobs"}, {"put", "put_nowait"}, 10);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].line, 11);
  EXPECT_EQ(calls[0].method, "put");
  EXPECT_EQ(calls[1].line, 15);
  EXPECT_EQ(calls[1].method, "put_nowait");
  auto sets = findCalls(kSource, {"ready"}, {"set"}, 10);
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].line, 19);
  EXPECT_EQ(sets[1].line, 21);
  EXPECT_EQ(findCalls(kSource, {"ready"}, {"set"}, 1).size(), 1u);
}

TEST(WakeSites, EnclosingFunctionAndItsEnd) {
  EXPECT_EQ(enclosingFunction(kSource, 11), (std::pair<std::string, int>{"feed", 8}));
  EXPECT_EQ(enclosingFunction(kSource, 15), (std::pair<std::string, int>{"stop", 14}));
  EXPECT_EQ(enclosingFunction(kSource, 19), (std::pair<std::string, int>{"inner", 18}));
  EXPECT_EQ(enclosingFunction(kSource, 20), (std::pair<std::string, int>{"main", 17}));
  EXPECT_EQ(enclosingFunction(kSource, 21), (std::pair<std::string, int>{"<module>", 0}));
  EXPECT_EQ(enclosingFunction(kSource, 999), (std::pair<std::string, int>{"<module>", 0}));
  EXPECT_EQ(functionEnd(kSource, 8), 14);
  EXPECT_EQ(functionEnd(kSource, 18), 20);
  EXPECT_EQ(functionEnd(kSource, 17), 21);
}

TEST(WakeSites, UnterminatedStringsAndHugeLinesEndTheSearchSafely) {
  std::vector<std::string> odd = {"x = '''never closed", "jobs.put(1)", std::string(10000, 'j') + "jobs.put(1)",
                                  "\"\\\\\" jobs.put(2)"};
  auto calls = findCalls(odd, {"jobs"}, {"put"}, 10);
  EXPECT_TRUE(calls.empty());
  std::vector<std::string> escaped = {"s = \"a\\\"b\"; jobs.put(2)"};
  ASSERT_EQ(findCalls(escaped, {"jobs"}, {"put"}, 10).size(), 1u);
}

// A thread `tid` named `name` whose one Python frame is at `at`.
Thread threadIn(int64_t tid, const std::string& name, const SourceLocation& at) {
  Thread t;
  t.tid = tid;
  t.name = name;
  Frame f;
  f.kind = Frame::Kind::kPython;
  f.location = at;
  t.frames = {f};
  return t;
}

// A snapshot of process 10 with `threads`, whose first thread waits (`op`) on `object` in a
// finding of `kind`.
Snapshot waitingOn(Process p, const std::vector<Thread>& threads, const std::string& kind, WaitOp op, uint64_t object) {
  Snapshot snap;
  p.pid = 10;
  p.threads = threads;
  snap.processes.push_back(p);
  Finding f;
  f.kind = kind;
  Participant part;
  part.pid = 10;
  part.tid = threads.front().tid;
  part.thread = threads.front().name;
  part.at = threads.front().frames.front().location;
  WaitInfo w;
  w.op = op;
  w.object = object;
  part.waitsFor = w;
  f.participants.push_back(part);
  snap.diagnosis.ran = true;
  snap.diagnosis.findings.push_back(f);
  return snap;
}

const std::vector<std::string> kLease = {
    "import threading, time",                               // 1
    "busy = threading.Lock()",                              // 2
    "def end_lease():",                                     // 3
    "    log('end_lease() called')",                        // 4
    "    busy.release()",                                   // 5
    "def maintenance():",                                   // 6
    "    while True:",                                      // 7
    "        time.sleep(3600)",                             // 8
    "        end_lease()  # end_lease(",                    // 9
    "def arm(self):",                                       // 10
    "    threading.Timer(60, self.end_lease).start()",      // 11
    "    t = Timer(60, end_lease_later)",                   // 12
    "    end_lease",                                        // 13
    "    end_lease (",                                      // 14
    "    threading.Thread(target = end_lease, daemon=True)", // 15
    "    south.busy.release()",                             // 16
};

TEST(WakeSites, FindFunctionUsesFindsCallsAndHandOffsButNotTheDefinition) {
  auto uses = findFunctionUses(kLease, "end_lease", 10);
  ASSERT_EQ(uses.size(), 3u);
  EXPECT_EQ(uses[0].line, 9);
  EXPECT_FALSE(uses[0].reference);
  EXPECT_EQ(uses[1].line, 11);
  EXPECT_TRUE(uses[1].reference);
  EXPECT_EQ(uses[2].line, 14);
  EXPECT_FALSE(uses[2].reference);
  EXPECT_EQ(findFunctionUses(kLease, "end_lease", 1).size(), 1u);
  auto releases = findCalls(kLease, {"busy"}, {"release"}, 10);
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0].receiver, "busy");
  EXPECT_EQ(releases[1].receiver, "south.busy");
  EXPECT_TRUE(findFunctionUses(kLease, "not a name", 10).empty());
}

TEST(WakeSites, AHelperThatMakesTheCallIsFollowedOneCallUp) {
  // Given a lease taken with acquire() and a thread sleeping in maintenance(), which calls
  // end_lease(), which releases the lease
  Process p;
  SyncObject busy;
  busy.address = 0x2000;
  busy.kind = ObjectKind::kLock;
  busy.names = {"busy", "north.busy"};
  p.objects[busy.address] = busy;
  SyncObject southBusy = busy;
  southBusy.address = 0x3000;
  southBusy.names = {"south.busy"};
  p.objects[southBusy.address] = southBusy;
  Snapshot snap = waitingOn(p,
                            {threadIn(11, "reporter", {"/srv/lease.py", 30, "report"}),
                             threadIn(12, "maintenance", {"/srv/lease.py", 8, "maintenance"})},
                            "lock-order-cycle", WaitOp::kAcquire, busy.address);
  // When the wake sites are attached
  attachWakeSites(snap, [&](int64_t, const std::string& file) -> const std::vector<std::string>* {
    return file == "/srv/lease.py" ? &kLease : nullptr;
  });
  // Then the release itself, its call in maintenance() (run by the sleeper) and the helper handed
  // to a Timer are found; not the thread's target, nor the release of the other station's lease
  const auto& sites = snap.diagnosis.findings[0].wakeSites;
  ASSERT_EQ(sites.size(), 4u);
  EXPECT_EQ(sites[0].call, "busy.release()");
  EXPECT_EQ(sites[0].at.function, "end_lease");
  EXPECT_TRUE(sites[0].via.file.empty());
  EXPECT_TRUE(sites[0].runners.empty());
  EXPECT_EQ(sites[1].call, "busy.release()");
  EXPECT_EQ(sites[1].at.line, 9);
  EXPECT_EQ(sites[1].at.function, "maintenance");
  EXPECT_EQ(sites[1].via.line, 5);
  EXPECT_EQ(sites[1].via.function, "end_lease");
  EXPECT_FALSE(sites[1].reference);
  ASSERT_EQ(sites[1].runners.size(), 1u);
  EXPECT_EQ(sites[1].runners[0].tid, 12);
  EXPECT_EQ(sites[2].at.line, 11);
  EXPECT_EQ(sites[2].at.function, "arm");
  EXPECT_TRUE(sites[2].reference);
  EXPECT_EQ(sites[3].at.line, 14);
}

TEST(WakeSites, AWrapperMethodOfTheSameNameIsNotFollowedToEveryCallOfThatName) {
  // Given a Mutex wrapper whose release() releases the waited-for lock, and an unrelated
  // `cache.release()` in a function a sleeping thread runs
  const std::vector<std::string> source = {
      "class Mutex:",                         // 1
      "    def release(self):",               // 2
      "        self._lock.release()",          // 3
      "def janitor():",                       // 4
      "    time.sleep(60)",                   // 5
      "    cache.release()",                  // 6
  };
  Process p;
  SyncObject lock;
  lock.address = 0x4000;
  lock.kind = ObjectKind::kLock;
  lock.names = {"self._lock"};
  p.objects[lock.address] = lock;
  Snapshot snap = waitingOn(p,
                            {threadIn(11, "worker", {"/srv/m.py", 30, "work"}),
                             threadIn(12, "janitor", {"/srv/m.py", 5, "janitor"})},
                            "lock-order-cycle", WaitOp::kAcquire, lock.address);
  // When the wake sites are attached
  attachWakeSites(snap, [&](int64_t, const std::string&) -> const std::vector<std::string>* { return &source; });
  // Then only the wrapper's own call is a site: janitor()'s cache.release() is not its caller
  const auto& sites = snap.diagnosis.findings[0].wakeSites;
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].at.line, 3);
  EXPECT_TRUE(sites[0].via.file.empty());
}

TEST(WakeSites, ACoroutineHelperRunsWhereItIsAwaitedNotWhereItIsCalled) {
  // Given a coroutine function that takes from a queue, started as two tasks by main() and
  // awaited by drain()
  const std::vector<std::string> source = {
      "async def stage(outbox, inbox):",                       // 1
      "    await outbox.put(await inbox.get())",               // 2
      "async def main():",                                     // 3
      "    a = asyncio.create_task(stage(to_b, to_a))",         // 4
      "    await asyncio.gather(stage(to_a, to_b))",            // 5
      "async def drain():",                                    // 6
      "    await stage(to_b, to_a)",                           // 7
  };
  Process p;
  SyncObject queue;
  queue.address = 0x5000;
  queue.kind = ObjectKind::kAsyncQueue;
  queue.names = {"inbox"};
  p.objects[queue.address] = queue;
  Snapshot snap = waitingOn(p, {threadIn(11, "MainThread", {"/srv/s.py", 5, "main"})}, "all-blocked",
                            WaitOp::kQueuePut, queue.address);
  // When the wake sites are attached
  attachWakeSites(snap, [&](int64_t, const std::string&) -> const std::vector<std::string>* { return &source; });
  // Then the call itself and the await in drain() are sites; main()'s calls only make coroutines
  // for other tasks
  const auto& sites = snap.diagnosis.findings[0].wakeSites;
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].at.line, 2);
  EXPECT_EQ(sites[1].at.line, 7);
  EXPECT_EQ(sites[1].via.line, 2);
}

TEST(WakeSites, AttachedToAFindingWithWhoRunsEachFunction) {
  // Given a process whose "waiter" waits on `jobs` and whose "feeder" is inside feed()
  Process p;
  SyncObject jobs;
  jobs.address = 0x1000;
  jobs.kind = ObjectKind::kQueue;
  jobs.names = {"self.jobs", "jobs"};
  p.objects[jobs.address] = jobs;
  Snapshot snap = waitingOn(p,
                            {threadIn(11, "waiter", {"/srv/app.py", 20, "main"}),
                             threadIn(12, "feeder", {"/srv/app.py", 10, "feed"})},
                            "all-blocked", WaitOp::kQueueGet, jobs.address);
  std::set<std::string> asked;
  // When the wake sites are attached
  attachWakeSites(snap, [&](int64_t pid, const std::string& file) -> const std::vector<std::string>* {
    asked.insert(file);
    return pid == 10 && file == "/srv/app.py" ? &kSource : nullptr;
  });
  // Then both calls are found, with the feeder (not a participant) running feed()
  const auto& sites = snap.diagnosis.findings[0].wakeSites;
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(asked, std::set<std::string>{"/srv/app.py"});
  EXPECT_EQ(sites[0].call, "jobs.put()");
  EXPECT_EQ(sites[0].at.line, 11);
  EXPECT_EQ(sites[0].at.function, "feed");
  ASSERT_EQ(sites[0].runners.size(), 1u);
  EXPECT_EQ(sites[0].runners[0].tid, 12);
  EXPECT_EQ(sites[0].runners[0].line, 10);
  EXPECT_FALSE(sites[0].runners[0].blocked);
  EXPECT_EQ(sites[1].call, "jobs.put_nowait()");
  EXPECT_EQ(sites[1].at.function, "stop");
  EXPECT_TRUE(sites[1].runners.empty());
}


const std::vector<std::string> kForked = {
    "import multiprocessing",  // 1
    "def feed(jobs):",         // 2
    "    jobs.put(1)",         // 3
    "def main():",             // 4
    "    p.start()",           // 5
    "    jobs.get()",          // 6
    "    jobs.put(2)",         // 7
};

TEST(WakeSites, AMultiprocessingQueueIsPutIntoByAnyProcessNotByAForkedCopyOfTheParent) {
  // Given a parent (pid 10) whose main thread waits on a multiprocessing queue in main(), and a
  // forked child (pid 20) that runs feed() under Process._bootstrap, above its copy of main()
  Process parent;
  SyncObject jobs;
  jobs.address = 0x1000;
  jobs.kind = ObjectKind::kQueue;
  jobs.type = "multiprocessing.queues.Queue";
  jobs.names = {"jobs"};
  parent.objects[jobs.address] = jobs;
  Snapshot snap = waitingOn(parent, {threadIn(10, "MainThread", {"/srv/app.py", 6, "main"})}, "all-blocked",
                            WaitOp::kQueueGet, jobs.address);
  Process child;
  child.pid = 20;
  child.name = "feeder";
  Thread worker = threadIn(20, "MainThread", {"/srv/app.py", 5, "main"});
  Frame bootstrap;
  bootstrap.kind = Frame::Kind::kPython;
  bootstrap.location = {"/usr/lib/python3.12/multiprocessing/process.py", 314, "_bootstrap"};
  Frame feed;
  feed.kind = Frame::Kind::kPython;
  feed.location = {"/srv/app.py", 3, "feed"};
  worker.frames.push_back(bootstrap);
  worker.frames.push_back(feed);
  child.threads = {worker};
  snap.processes.push_back(child);
  // When the wake sites are attached
  attachWakeSites(snap, [&](int64_t, const std::string& file) -> const std::vector<std::string>* {
    return file == "/srv/app.py" ? &kForked : nullptr;
  });
  // Then the child runs feed(), and only the parent runs main(): the child's main() frame is
  // its parent's, copied by fork(), to which it never returns
  const auto& sites = snap.diagnosis.findings[0].wakeSites;
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].at.line, 3);
  ASSERT_EQ(sites[0].runners.size(), 1u);
  EXPECT_EQ(sites[0].runners[0].pid, 20);
  EXPECT_EQ(sites[0].runners[0].process, "feeder (pid 20)");
  EXPECT_FALSE(sites[0].runners[0].blocked);
  EXPECT_EQ(sites[1].at.line, 7);
  ASSERT_EQ(sites[1].runners.size(), 1u);
  EXPECT_EQ(sites[1].runners[0].pid, 10);
  EXPECT_EQ(sites[1].runners[0].process, "");
  EXPECT_EQ(sites[1].runners[0].line, 6);
  EXPECT_TRUE(sites[1].runners[0].blocked);
}

}  // namespace
}  // namespace pyhang
