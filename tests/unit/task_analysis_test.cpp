// Tests for src/analysis/task_analysis (asyncio): analyze() over hand-built snapshots
// whose tasks carry the evidence the asyncio reader leaves (coroutine frames with `async with`
// holds, what each task awaits, the loop's state). Checks findings, participants, bystanders,
// explanation lines, notes, annotations and the verdict.
#include "analysis/task_analysis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "analysis/deadlock_analysis.h"
#include "cpython/asyncio_reader.h"
#include "snapshot/snapshot.h"

namespace pyhang {
namespace {

constexpr const char* kProg = "/srv/app/svc.py";
constexpr const char* kLocksPy = "/usr/lib/python3.12/asyncio/locks.py";
constexpr const char* kSelectorsPy = "/usr/lib/python3.12/selectors.py";
constexpr int64_t kPid = 4242;
constexpr int64_t kLoopTid = 4242;
constexpr uint64_t kLoop = 0x7f0000100000;

Frame frame(const char* file, const char* function, int line, const char* source = "") {
  Frame f;
  f.location = SourceLocation{file, line, function};
  f.qualname = function;
  f.sourceLine = source;
  return f;
}

struct TaskB {
  Task t;
  TaskB(uint64_t address, std::string name, std::string coroutine) {
    t.address = address;
    t.name = std::move(name);
    t.coroutine = std::move(coroutine);
    t.state = "pending";
    t.loop = kLoop;
    t.tid = kLoopTid;
  }
  TaskB& frame(const char* function, int line, const char* source = "") {
    t.frames.push_back(pyhang::frame(kProg, function, line, source));
    return *this;
  }
  TaskB& stdlib(const char* function, int line) {
    t.frames.push_back(pyhang::frame(kLocksPy, function, line));
    return *this;
  }
  TaskB& holds(uint64_t obj, int line) {
    t.frames.back().holds.push_back(HeldObject{obj, "async with", line});
    return *this;
  }
  TaskB& awaits(std::string kind, uint64_t obj, size_t frameIndex, std::string how = "await") {
    TaskAwait a;
    a.kind = std::move(kind);
    a.object = obj;
    a.how = std::move(how);
    a.frameIndex = frameIndex;
    t.await = a;
    return *this;
  }
  TaskB& children(std::vector<uint64_t> c) {
    t.await->children = std::move(c);
    return *this;
  }
  TaskB& timeout(double firesIn) {
    t.await->hasTimeout = true;
    t.await->firesIn = firesIn;
    return *this;
  }
  operator Task() const { return t; }
};

struct Snap {
  Snapshot s;
  Snap() {
    Process p;
    p.pid = kPid;
    p.source = "live";
    Thread main;
    main.tid = kLoopTid;
    main.ident = 0x7f00000a0000;
    main.name = "MainThread";
    main.isMain = true;
    main.frames.push_back(frame("/srv/app/svc.py", "<module>", 40));
    main.frames.push_back(frame(kSelectorsPy, "select", 468));
    main.wchan = "do_epoll_wait";
    main.kernelState = "S";
    p.threads.push_back(main);
    EventLoop l;
    l.address = kLoop;
    l.type = "asyncio.unix_events._UnixSelectorEventLoop";
    l.tid = kLoopTid;
    l.stateRead = true;
    LoopFd wake;
    wake.fd = 4;
    wake.read = true;
    wake.wakeup = true;
    wake.callback = "_read_from_self";
    wake.what = "the loop's own wake-up socket";
    l.fds.push_back(wake);
    p.loops.push_back(l);
    s.processes.push_back(p);
  }
  Process& p() { return s.processes[0]; }
  Snap& task(const Task& t) {
    p().tasks.push_back(t);
    return *this;
  }
  Snap& lock(uint64_t addr, std::string name, bool locked = true, ObjectKind kind = ObjectKind::kAsyncLock) {
    SyncObject o;
    o.address = addr;
    o.kind = kind;
    o.type = kind == ObjectKind::kAsyncSemaphore ? "asyncio.locks.Semaphore" : "asyncio.locks.Lock";
    o.names = {std::move(name)};
    o.locked = locked;
    p().objects[addr] = o;
    return *this;
  }
  Snap& object(uint64_t addr, ObjectKind kind, std::string type, std::string name) {
    SyncObject o;
    o.address = addr;
    o.kind = kind;
    o.type = std::move(type);
    o.names = {std::move(name)};
    p().objects[addr] = o;
    return *this;
  }
  Snapshot& run() {
    analyze(s);
    return s;
  }
};

const Finding* findingOf(const Snapshot& s, const std::string& kind) {
  for (const auto& f : s.diagnosis.findings) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

bool hasLine(const Finding& f, const std::string& line) {
  return std::find(f.lines.begin(), f.lines.end(), line) != f.lines.end();
}

bool anyLineStartsWith(const Finding& f, const std::string& prefix) {
  return std::any_of(f.lines.begin(), f.lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

std::vector<std::string> taskNames(const std::vector<Participant>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.task);
  std::sort(out.begin(), out.end());
  return out;
}

constexpr uint64_t kT1 = 0x7f0000001000, kT2 = 0x7f0000002000, kT3 = 0x7f0000003000, kT4 = 0x7f0000004000;
constexpr uint64_t kLockA = 0x7f0000010000, kLockB = 0x7f0000020000, kEvent = 0x7f0000030000;

TEST(TaskAnalysis, AwaitCycleBetweenTwoTasks) {
  Snap s;
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 20, "await wait_for(other)").frame("wait_for", 8, "await other")
             .awaits("task", kT2, 1));
  s.task(TaskB(kT2, "Task-2", "wait_for").frame("wait_for", 8, "await other").awaits("task", kT1, 0));
  Snapshot& r = s.run();
  ASSERT_EQ(r.diagnosis.findings.size(), 1u);
  const Finding& f = r.diagnosis.findings[0];
  EXPECT_EQ(f.kind, "await-cycle");
  EXPECT_EQ(taskNames(f.participants), (std::vector<std::string>{"Task-1", "Task-2"}));
  for (const auto& p : f.participants) {
    EXPECT_EQ(p.tid, kLoopTid);
    EXPECT_EQ(p.thread, "MainThread");
    EXPECT_EQ(p.at.line, 8);
  }
  EXPECT_EQ(f.lines[0], "Found a deadlock (await cycle) between 2 tasks of the event loop in Thread 4242 \"MainThread\":");
  EXPECT_TRUE(hasLine(f, "  Task \"Task-1\" (main) awaits Task \"Task-2\" (wait_for)"));
  EXPECT_TRUE(hasLine(f, "      at svc.py:8 in wait_for (await other)"));
  EXPECT_TRUE(anyLineStartsWith(f, "  The event loop in Thread 4242 \"MainThread\" has nothing else to run"));
  EXPECT_EQ(r.diagnosis.verdict, "deadlock");
  EXPECT_EQ(r.diagnosis.verdictLine, "Verdict: DEADLOCK (await-cycle): 2 tasks await each other in a cycle.");
  // The loop thread's "waits in select" note is replaced by what its tasks do.
  for (const auto& n : r.diagnosis.notes) EXPECT_EQ(n.find("Thread 4242 \"MainThread\" waits"), std::string::npos) << n;
}

TEST(TaskAnalysis, SelfDeadlockThroughAsyncWith) {
  Snap s;
  s.lock(kLockA, "lock");
  s.task(TaskB(kT1, "Task-1", "main")
             .frame("main", 26, "await task1(lock)")
             .frame("task1", 15, "await task2(lock)").holds(kLockA, 14)
             .frame("task2", 8, "async with lock:")
             .stdlib("__aenter__", 14)
             .stdlib("acquire", 113)
             .awaits("lock", kLockA, 2, "async with"));
  Snapshot& r = s.run();
  const Finding* f = findingOf(r, "self-deadlock");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lines[0], "Found a deadlock (self-deadlock) in Task \"Task-1\" (main) of the event loop in Thread 4242 \"MainThread\":");
  EXPECT_TRUE(hasLine(*f, "  Task \"Task-1\" (main) waits to acquire lock <asyncio.locks.Lock at 0x7f0000010000>"));
  EXPECT_TRUE(hasLine(*f, "      at svc.py:8 in task2 (async with lock:)"));
  EXPECT_TRUE(hasLine(*f, "      inside __aenter__ (locks.py:14) -> acquire (locks.py:113)"));
  EXPECT_TRUE(hasLine(*f, "    which it already holds itself since svc.py:14 in task1 (async with)"));
  ASSERT_EQ(f->participants.size(), 1u);
  ASSERT_EQ(f->participants[0].holds.size(), 1u);
  EXPECT_EQ(f->participants[0].holds[0].second.line, 14);
  EXPECT_EQ(r.diagnosis.verdictLine,
            "Verdict: DEADLOCK (self-deadlock): Task \"Task-1\" (main) waits for asyncio.Lock lock, which it already holds.");
  // Annotations on the task's frames, not on threads.
  size_t onTask = 0;
  for (const auto& a : r.diagnosis.annotations) onTask += a.task == kT1;
  EXPECT_EQ(onTask, 2u);
}

TEST(TaskAnalysis, LockOrderCycleWithGatherBystander) {
  Snap s;
  s.lock(kLockA, "lock1").lock(kLockB, "lock2");
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 24, "await asyncio.gather(...)").awaits("gather", 0, 0, "gather()")
             .children({kT2, kT3}));
  s.task(TaskB(kT2, "Task-2", "task").frame("task", 11, "async with lock2:").holds(kLockA, 8)
             .stdlib("__aenter__", 14).stdlib("acquire", 113).awaits("lock", kLockB, 0, "async with"));
  s.task(TaskB(kT3, "Task-3", "task").frame("task", 11, "async with lock2:").holds(kLockB, 8)
             .stdlib("__aenter__", 14).stdlib("acquire", 113).awaits("lock", kLockA, 0, "async with"));
  Snapshot& r = s.run();
  ASSERT_EQ(r.diagnosis.findings.size(), 1u);
  const Finding& f = r.diagnosis.findings[0];
  EXPECT_EQ(f.kind, "lock-order-cycle");
  EXPECT_EQ(taskNames(f.participants), (std::vector<std::string>{"Task-2", "Task-3"}));
  EXPECT_EQ(taskNames(f.bystanders), (std::vector<std::string>{"Task-1"}));
  EXPECT_TRUE(hasLine(f, "    which is held by Task \"Task-3\" (task) since svc.py:8 in task"));
  EXPECT_TRUE(hasLine(f, "Stuck behind it: Task \"Task-1\" (main) awaits gather() of Task \"Task-2\" (task), Task \"Task-3\" "
                         "(task) at svc.py:24 in main (await asyncio.gather(...))."));
  // The loop line comes before the bystanders.
  auto loopLine = std::find_if(f.lines.begin(), f.lines.end(),
                               [](const std::string& l) { return l.find("has nothing else to run") != std::string::npos; });
  auto stuck = std::find_if(f.lines.begin(), f.lines.end(),
                            [](const std::string& l) { return l.rfind("Stuck behind it:", 0) == 0; });
  EXPECT_LT(loopLine, stuck);
  EXPECT_EQ(r.diagnosis.verdictLine,
            "Verdict: DEADLOCK (lock-order-cycle): 2 tasks wait for each other's asyncio locks in a lock-order cycle; "
            "1 more task is stuck behind.");
}

TEST(TaskAnalysis, TaskGroupJoinCycleIsOneFinding) {
  Snap s;
  s.lock(kLockA, "ledger_lock");
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 24, "async with asyncio.TaskGroup() as tg:").holds(kLockA, 23)
             .awaits("taskgroup", 0x7f0000050000, 0, "async with TaskGroup").children({kT2, kT3}));
  s.task(TaskB(kT2, "writer-1", "write_entry").frame("write_entry", 16).stdlib("acquire", 113)
             .awaits("lock", kLockA, 0, "async with"));
  s.task(TaskB(kT3, "writer-2", "write_entry").frame("write_entry", 16).stdlib("acquire", 113)
             .awaits("lock", kLockA, 0, "async with"));
  Snapshot& r = s.run();
  ASSERT_EQ(r.diagnosis.findings.size(), 1u);
  const Finding& f = r.diagnosis.findings[0];
  EXPECT_EQ(f.kind, "join-cycle");
  EXPECT_EQ(taskNames(f.participants), (std::vector<std::string>{"Task-1", "writer-1", "writer-2"}));
  EXPECT_EQ(f.lines[0], "Found a deadlock (join cycle) between 3 tasks of the event loop in Thread 4242 \"MainThread\":");
  EXPECT_TRUE(hasLine(f, "  Task \"Task-1\" (main) waits for the tasks of its TaskGroup: Task \"writer-1\" (write_entry), "
                         "Task \"writer-2\" (write_entry)"));
  EXPECT_EQ(std::count(f.lines.begin(), f.lines.end(), "    which is held by Task \"Task-1\" (main) since svc.py:23 in main"), 2);
}

TEST(TaskAnalysis, HeldByFinishedTaskNamesItAndItsException) {
  Snap s;
  s.lock(kLockA, "lock");
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 19, "await lock.acquire()").stdlib("acquire", 113)
             .awaits("lock", kLockA, 0, "acquire()"));
  Task gone;
  gone.name = "Task-2";
  gone.coroutine = "task";
  gone.state = "finished";
  gone.exception = "Exception('Something bad happened')";
  gone.evidence = "asyncio logged \"Task exception was never retrieved\" for it";
  gone.definedAt = SourceLocation{kProg, 7, "task"};
  gone.acquireLines = {9};
  s.task(gone);
  Snapshot& r = s.run();
  ASSERT_EQ(r.diagnosis.findings.size(), 1u);
  const Finding& f = r.diagnosis.findings[0];
  EXPECT_EQ(f.kind, "held-by-finished-task");
  EXPECT_TRUE(hasLine(f, "    which no pending task holds: Task \"Task-2\" (task) acquired it with acquire() at svc.py:9 in task"));
  EXPECT_TRUE(anyLineStartsWith(f, "    and has finished with Exception('Something bad happened') without releasing it"));
  EXPECT_TRUE(anyLineStartsWith(f, "  The event loop in Thread 4242 \"MainThread\" has nothing else to run"));
  EXPECT_EQ(r.diagnosis.verdictLine,
            "Verdict: DEADLOCK (held-by-finished-task): Task \"Task-1\" (main) waits for asyncio.Lock lock, held by "
            "Task \"Task-2\" (task) which has finished with Exception('Something bad happened').");
}

TEST(TaskAnalysis, UnheldLockWithoutEvidenceNeedsADeadLoop) {
  // The loop still has a timer: some task may release the lock later (it took it with acquire()).
  Snap s;
  s.lock(kLockA, "lock");
  s.p().loops[0].timers = 1;
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 19).awaits("lock", kLockA, 0, "acquire()"));
  s.task(TaskB(kT2, "Task-2", "holder").frame("holder", 5).awaits("sleep", 0, 0, "sleep()").timeout(30));
  Snapshot& r = s.run();
  EXPECT_TRUE(r.diagnosis.findings.empty());
  EXPECT_EQ(r.diagnosis.verdict, "no-deadlock");
}

TEST(TaskAnalysis, AllBlockedLoop) {
  Snap s;
  s.object(kEvent, ObjectKind::kAsyncEvent, "asyncio.locks.Event", "service.config_loaded");
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 31).awaits("gather", 0, 0, "gather()").children({kT2, kT3}));
  s.task(TaskB(kT2, "Task-2", "Service.work").frame("work", 22).awaits("event", kEvent, 0, "wait()"));
  s.task(TaskB(kT3, "Task-3", "Service.work").frame("work", 22).awaits("event", kEvent, 0, "wait()"));
  Snapshot& r = s.run();
  ASSERT_EQ(r.diagnosis.findings.size(), 1u);
  const Finding& f = r.diagnosis.findings[0];
  EXPECT_EQ(f.kind, "all-blocked");
  EXPECT_EQ(f.participants.size(), 3u);
  EXPECT_EQ(f.lines[0], "Found a hang (all tasks blocked): the event loop in Thread 4242 \"MainThread\" can never run again.");
  EXPECT_TRUE(hasLine(f, "  Task \"Task-2\" (Service.work) waits for event service.config_loaded <asyncio.locks.Event at "
                         "0x7f0000030000> to be set"));
}

TEST(TaskAnalysis, LoopWithTimersOrIoIsNotAllBlocked) {
  for (int variant = 0; variant < 3; ++variant) {
    Snap s;
    s.object(kEvent, ObjectKind::kAsyncEvent, "asyncio.locks.Event", "ev");
    s.task(TaskB(kT1, "Task-1", "main").frame("main", 31).awaits("event", kEvent, 0, "wait()"));
    if (variant == 0) s.p().loops[0].timers = 1;
    if (variant == 1) {
      LoopFd fd;
      fd.fd = 6;
      fd.read = true;
      fd.callback = "_accept_connection";
      fd.what = "a listening socket";
      s.p().loops[0].fds.push_back(fd);
    }
    if (variant == 2) s.p().loops[0].readyCallbacks = 1;
    Snapshot& r = s.run();
    EXPECT_TRUE(r.diagnosis.findings.empty()) << variant;
    EXPECT_EQ(r.diagnosis.verdict, "no-deadlock") << variant;
    EXPECT_TRUE(std::any_of(r.diagnosis.notes.begin(), r.diagnosis.notes.end(), [](const std::string& n) {
      return n.rfind("Task \"Task-1\" (main) waits for event ev <asyncio.locks.Event at 0x7f0000030000> to be set at svc.py:31", 0) == 0;
    })) << variant;
  }
}

TEST(TaskAnalysis, SleepingTaskIsNotDeadlocked) {
  Snap s;
  s.p().loops[0].timers = 1;
  s.p().loops[0].nextTimerIn = 3599.5;
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 14, "await t").awaits("task", kT2, 0));
  s.task(TaskB(kT2, "Task-2", "nap").frame("nap", 7, "await asyncio.sleep(3600)").awaits("sleep", 0, 0, "sleep()")
             .timeout(3599.5));
  Snapshot& r = s.run();
  EXPECT_TRUE(r.diagnosis.findings.empty());
  const auto& n = r.diagnosis.notes;
  EXPECT_NE(std::find(n.begin(), n.end(), "Task \"Task-2\" (nap) sleeps for 3600 s more at svc.py:7 in nap (await asyncio.sleep(3600))."),
            n.end());
  EXPECT_NE(std::find(n.begin(), n.end(),
                      "The event loop in Thread 4242 \"MainThread\" has 2 pending tasks; it waits for 1 timer, the next in 3600 s."),
            n.end());
}

TEST(TaskAnalysis, AnotherLiveThreadCouldWakeTheLoop) {
  Snap s;
  Thread worker;
  worker.tid = 4300;
  worker.ident = 0x7f00000b0000;
  worker.name = "ticker";
  worker.frames.push_back(frame(kProg, "tick", 50, "time.sleep(1)"));
  worker.kernelState = "S";
  worker.wchan = "hrtimer_nanosleep";
  s.p().threads.push_back(worker);
  s.object(kEvent, ObjectKind::kAsyncEvent, "asyncio.locks.Event", "ev");
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 31).awaits("event", kEvent, 0, "wait()"));
  Snapshot& r = s.run();
  EXPECT_TRUE(r.diagnosis.findings.empty());
  EXPECT_TRUE(std::any_of(r.diagnosis.notes.begin(), r.diagnosis.notes.end(), [](const std::string& n) {
    return n.find("only another thread could still wake it (call_soon_threadsafe): Thread 4300 \"ticker\"") != std::string::npos;
  }));
}

TEST(TaskAnalysis, ExecutorTaskBlockedBehindAThreadThatWaitsForever) {
  Snap s;
  constexpr uint64_t kGate = 0x7f0000060000;
  SyncObject gate;
  gate.address = kGate;
  gate.kind = ObjectKind::kEvent;
  gate.type = "threading.Event";
  gate.names = {"gate"};
  s.p().objects[kGate] = gate;
  Thread worker;
  worker.tid = 4301;
  worker.ident = 0x7f00000c0000;
  worker.name = "asyncio_0";
  Frame run = frame("/usr/lib/python3.12/concurrent/futures/thread.py", "run", 58);
  Frame load = frame(kProg, "blocking_load", 12, "gate.wait()");
  Frame wait = frame("/usr/lib/python3.12/threading.py", "wait", 655);
  WaitInfo w;
  w.op = WaitOp::kWait;
  w.object = kGate;
  w.how = "wait()";
  wait.waitsOn = w;
  worker.frames = {run, load, wait};
  s.p().threads.push_back(worker);
  s.task(TaskB(kT1, "Task-1", "main").frame("main", 17, "await asyncio.to_thread(blocking_load)")
             .awaits("executor", 0x7f0000070000, 0, "to_thread()"));
  s.p().tasks[0].await->workerTid = 4301;
  Snapshot& r = s.run();
  const Finding* f = findingOf(r, "all-blocked");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(hasLine(*f, "  Task \"Task-1\" (main) awaits a function running in Thread 4301 \"asyncio_0\" (asyncio.to_thread)"));
  EXPECT_TRUE(hasLine(*f, "    and Thread 4301 \"asyncio_0\" waits forever itself (see its traceback)"));
  // The executor's thread is a participant too, at its own wait (its wake sites get looked for).
  auto part = std::find_if(f->participants.begin(), f->participants.end(),
                             [](const Participant& x) { return x.task.empty() && x.tid == 4301; });
  ASSERT_NE(part, f->participants.end());
  EXPECT_EQ(part->at.line, 12);
  ASSERT_TRUE(part->waitsFor);
  EXPECT_EQ(part->waitsFor->object, kGate);
}

TEST(TaskAnalysis, HostileGraphsDoNotCrash) {
  // Tasks awaiting unknown addresses, themselves, children that loop back, frame indexes out of
  // range, and finished tasks with nothing known.
  Snap s;
  s.task(TaskB(kT1, "Task-1", "a").awaits("task", kT1, 99));
  s.task(TaskB(kT2, "Task-2", "b").frame("b", 1).awaits("gather", 0, 7).children({kT2, kT3, 0xdead, kT2}));
  s.task(TaskB(kT3, "Task-3", "c").frame("c", 1).awaits("lock", 0xbeef, 0));
  s.task(TaskB(kT4, "", "").awaits("taskgroup", 0, SIZE_MAX).children({kT1, kT2, kT3, kT4}));
  Task gone;
  gone.state = "finished";
  s.task(gone);
  for (int i = 0; i < 60; ++i) {
    s.task(TaskB(0x7f1000000000 + 0x100 * static_cast<uint64_t>(i), "chain-" + std::to_string(i), "link")
               .frame("link", 3)
               .awaits("task", 0x7f1000000000 + 0x100 * static_cast<uint64_t>((i + 1) % 60), 0));
  }
  Snapshot& r = s.run();
  EXPECT_EQ(r.diagnosis.verdict, "deadlock");
  size_t longest = 0;
  for (const auto& f : r.diagnosis.findings) {
    if (f.kind == "await-cycle") longest = std::max(longest, f.participants.size());
  }
  EXPECT_EQ(longest, 60u);
}

TEST(TaskAnalysis, WaitPhrases) {
  Process p;
  SyncObject q;
  q.address = 0x10;
  q.kind = ObjectKind::kAsyncQueue;
  q.type = "asyncio.queues.Queue";
  q.names = {"jobs"};
  q.attrs["qsize"] = "0";
  q.attrs["_unfinished_tasks"] = "1";
  p.objects[0x10] = q;
  Task t = TaskB(kT1, "Task-1", "main").frame("main", 3).awaits("queue", 0x10, 0, "join()");
  EXPECT_EQ(taskWaitPhrase(p, t), "waits until every item of queue jobs <asyncio.queues.Queue at 0x10> is task_done() (1 not done)");
  t.await->how = "get()";
  EXPECT_EQ(taskWaitPhrase(p, t), "waits for an item from queue jobs <asyncio.queues.Queue at 0x10> (0 items)");
  t.await->kind = "io";
  t.await->fd = 7;
  t.await->detail = "reading from a stream";
  EXPECT_EQ(taskWaitPhrase(p, t), "waits for I/O on fd 7 (reading from a stream)");
  t.await->kind = "ready";
  EXPECT_EQ(taskWaitPhrase(p, t), "is scheduled to run");
  EXPECT_EQ(taskLabel(t), "Task \"Task-1\" (main)");
}

TEST(FinishedTaskRepr, ParsesWhatAsyncioLogs) {
  Task t;
  ASSERT_TRUE(cpython::parseFinishedTaskRepr(
      "<Task finished name='Task-2' coro=<task() done, defined at /srv/app/svc.py:7> "
      "exception=Exception('Something bad happened')>",
      t));
  EXPECT_EQ(t.name, "Task-2");
  EXPECT_EQ(t.coroutine, "task");
  EXPECT_EQ(t.definedAt.file, "/srv/app/svc.py");
  EXPECT_EQ(t.definedAt.line, 7);
  EXPECT_EQ(t.definedAt.function, "task");
  EXPECT_EQ(t.exception, "Exception('Something bad happened')");
  EXPECT_EQ(t.state, "finished");
  EXPECT_EQ(t.address, 0u);
  Task q;
  ASSERT_TRUE(cpython::parseFinishedTaskRepr(
      "<Task finished name=\"it's\" coro=<Worker.run() done, defined at w.py:12> exception=KeyError('k>')>", q));
  EXPECT_EQ(q.name, "it's");
  EXPECT_EQ(q.coroutine, "Worker.run");
  EXPECT_EQ(q.definedAt.function, "run");
  EXPECT_EQ(q.exception, "KeyError('k>')");
}

TEST(FinishedTaskRepr, RejectsOtherText) {
  Task t;
  for (const char* text : {"", "<Task finished name=", "<Task pending name='Task-1' coro=<main() running at x.py:3>>",
                           "<Task finished name='x' coro=<f() done, defined at x.py:1> result=None>",
                           "<Task finished name='unterminated", "<Task finished name='a' coro=<f() done"}) {
    EXPECT_FALSE(cpython::parseFinishedTaskRepr(text, t)) << text;
  }
}

}  // namespace
}  // namespace pyhang
