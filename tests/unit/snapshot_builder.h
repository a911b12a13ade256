// Builders of hand-made Snapshots for the analysis tests: threads, frames with the evidence the
// readers leave (holds, waits), sync objects, and a Given that collects them and analyses.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/deadlock_analysis.h"
#include "snapshot/snapshot.h"

namespace pyhang::test {

inline constexpr const char* kProg = "/srv/app/prog.py";
inline constexpr const char* kThreadingPy = "/usr/lib/python3.12/threading.py";
inline constexpr const char* kQueuePy = "/usr/lib/python3.12/queue.py";
inline constexpr int64_t kPid = 4242;

inline uint64_t identOf(int64_t tid) { return 0x7f0000000000ull + static_cast<uint64_t>(tid) * 0x1000; }

// A frame under construction: `prog("worker", 15).holds(lock_a, 12).acquires(lock_b)`.
struct FrameB {
  Frame f;
  FrameB(std::string file, std::string function, int line) {
    f.kind = Frame::Kind::kPython;
    f.location = SourceLocation{std::move(file), line, function};
    f.qualname = std::move(function);
  }
  FrameB& holds(uint64_t obj, int line, std::string how = "with") {
    f.holds.push_back(HeldObject{obj, std::move(how), line});
    return *this;
  }
  FrameB& waits(WaitOp op, uint64_t obj, std::string how, bool timeout = false) {
    WaitInfo w;
    w.op = op;
    w.object = obj;
    w.how = std::move(how);
    w.hasTimeout = timeout;
    f.waitsOn = w;
    return *this;
  }
  FrameB& acquires(uint64_t obj, std::string how = "with") { return waits(WaitOp::kAcquire, obj, std::move(how)); }
  FrameB& acquiresWithTimeout(uint64_t obj) { return waits(WaitOp::kAcquire, obj, "acquire()", true); }
  FrameB& joins(uint64_t threadObj, bool timeout = false) { return waits(WaitOp::kJoin, threadObj, "join()", timeout); }
  FrameB& source(std::string text) {
    f.sourceLine = std::move(text);
    return *this;
  }
  FrameB& qual(std::string q) {
    f.qualname = std::move(q);
    return *this;
  }
  FrameB& arg(std::string name, uint64_t addr) {
    Variable v;
    v.name = std::move(name);
    v.address = addr;
    v.isArgument = true;
    f.arguments.push_back(std::move(v));
    return *this;
  }
  FrameB& local(std::string name, uint64_t addr) {
    Variable v;
    v.name = std::move(name);
    v.address = addr;
    f.locals.push_back(std::move(v));
    return *this;
  }
  operator Frame() const { return f; }
};

inline FrameB prog(std::string function, int line) { return FrameB(kProg, std::move(function), line); }
inline FrameB threadingPy(std::string function, int line) { return FrameB(kThreadingPy, std::move(function), line); }
inline FrameB queuePy(std::string function, int line) { return FrameB(kQueuePy, std::move(function), line); }

inline Frame marker(std::string what) {
  Frame f;
  f.kind = Frame::Kind::kMarker;
  f.marker = std::move(what);
  return f;
}

inline Thread thread(int64_t tid, std::string name, std::vector<Frame> frames) {
  Thread t;
  t.tid = tid;
  t.ident = identOf(tid);
  t.isMain = name == "MainThread";
  t.name = std::move(name);
  t.frames = std::move(frames);
  t.kernelState = "S";
  t.wchan = "futex_wait_queue";
  return t;
}

// A thread running Python code (no wait): the kernel says R and it holds the GIL.
inline Thread running(int64_t tid, std::string name, std::vector<Frame> frames) {
  Thread t = thread(tid, std::move(name), std::move(frames));
  t.kernelState = "R";
  t.wchan = "";
  t.holdsGil = true;
  return t;
}

inline SyncObject syncObject(uint64_t addr, ObjectKind kind, std::string type, std::string name) {
  SyncObject o;
  o.address = addr;
  o.kind = kind;
  o.type = std::move(type);
  if (!name.empty()) o.names.push_back(std::move(name));
  return o;
}
inline SyncObject lockObj(uint64_t addr, std::string name, bool locked = true) {
  SyncObject o = syncObject(addr, ObjectKind::kLock, "_thread.lock", std::move(name));
  o.locked = locked;
  return o;
}
inline SyncObject rlockObj(uint64_t addr, std::string name, uint64_t ownerIdent, uint64_t count = 1) {
  SyncObject o = syncObject(addr, ObjectKind::kRLock, "_thread.RLock", std::move(name));
  o.locked = count > 0;
  o.ownerIdent = ownerIdent;
  o.count = count;
  return o;
}
inline SyncObject condObj(uint64_t addr, std::string name, uint64_t lock) {
  SyncObject o = syncObject(addr, ObjectKind::kCondition, "threading.Condition", std::move(name));
  o.underlyingLock = lock;
  return o;
}
inline SyncObject queueObj(uint64_t addr, std::string name, uint64_t mutex) {
  SyncObject o = syncObject(addr, ObjectKind::kQueue, "queue.Queue", std::move(name));
  o.underlyingLock = mutex;
  return o;
}
inline SyncObject semaphoreObj(uint64_t addr, std::string name, uint64_t condLock, int value) {
  SyncObject o = syncObject(addr, ObjectKind::kSemaphore, "threading.Semaphore", std::move(name));
  o.underlyingLock = condLock;
  o.attrs["_value"] = std::to_string(value);
  return o;
}
inline SyncObject eventObj(uint64_t addr, std::string name, uint64_t condLock) {
  SyncObject o = syncObject(addr, ObjectKind::kEvent, "threading.Event", std::move(name));
  o.underlyingLock = condLock;
  o.attrs["_flag"] = "False";
  return o;
}
inline SyncObject threadObj(uint64_t addr, int64_t tid, std::string threadName) {
  SyncObject o = syncObject(addr, ObjectKind::kThread, "threading.Thread", "");
  o.threadIdent = identOf(tid);
  o.threadName = std::move(threadName);
  o.threadAlive = true;
  return o;
}
// A thread's tstate lock (<= 3.12): held by that thread until it exits.
inline SyncObject tstateLockObj(uint64_t addr, int64_t tid) {
  SyncObject o = syncObject(addr, ObjectKind::kLock, "_thread.lock", "");
  o.locked = true;
  o.threadIdent = identOf(tid);
  return o;
}

// The snapshot being built: one process unless more are added.
struct Given {
  Snapshot snap;
  Given() { addProcess(kPid); }
  Process& addProcess(int64_t pid) {
    snap.processes.emplace_back();
    snap.processes.back().pid = pid;
    snap.processes.back().source = "live";
    return snap.processes.back();
  }
  Process& proc(size_t i = 0) { return snap.processes[i]; }
  Given& object(SyncObject o, size_t process = 0) {
    uint64_t a = o.address;
    proc(process).objects[a] = std::move(o);
    return *this;
  }
  // Threads are listed as the interpreter lists them: add the newest first.
  Given& with(Thread t, size_t process = 0) {
    proc(process).threads.push_back(std::move(t));
    return *this;
  }
  const Diagnosis& analyze() {
    pyhang::analyze(snap);
    return snap.diagnosis;
  }
};

}  // namespace pyhang::test
