// The process reader: reads the runtime's interpreters, each one's GIL, GC state and threads,
// then links what the threads wait for (executor work, process pools) and reads asyncio; names
// multiprocessing's helper processes. The parts: process_reader_threads.cpp (a thread and its
// frames), process_reader_frames.cpp (a frame's variables and holds), process_reader_objects.cpp
// (the synchronisation objects and their names).
#include "cpython/process_reader.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "cpython/asyncio_reader.h"
#include "cpython/pool_work.h"
#include "cpython/process_reader_internal.h"
#include "cpython/signal_reader.h"

namespace pyhang::cpython::process_internal {

Result<void> Reader::run() {
  out_.python.major = layout_.version.major;
  out_.python.minor = layout_.version.minor;
  out_.python.micro = layout_.version.micro;
  out_.python.versionString = layout_.version.micro || layout_.version.minor >= 11
                                  ? layout_.version.str()
                                  : fmt::format("{}.{}", layout_.version.major, layout_.version.minor);
  out_.python.library = rt_.file;
  out_.python.usedDebugOffsets = rt_.usedDebugOffsets;
  out_.python.staticBuild = rt_.staticBuild;
  for (const auto& w : rt_.warnings) out_.warnings.push_back(w);

  const uint64_t runtime = rt_.runtimeAddress;
  PYHANG_TRY(head, mem_.readPtr(at(runtime, o_.rt_interp_head)));
  if (head == 0) {
    out_.warnings.push_back("the interpreter is not initialised (starting up or already finalized)");
    return {};
  }
  if (o_.rt_main_thread >= 0) mainThreadIdent_ = mem_.readPtr(at(runtime, o_.rt_main_thread)).value_or(0);
  if (o_.rt_finalizing >= 0 && mem_.readPtr(at(runtime, o_.rt_finalizing)).value_or(0) != 0) {
    out_.warnings.push_back("the interpreter is shutting down (finalizing)");
  }
  std::unordered_set<uint64_t> seenInterps;
  uint64_t interp = head;
  bool first = true;
  while (interp && seenInterps.size() < opts_.limits.maxInterpreters && seenInterps.insert(interp).second) {
    // 3.6 has no interpreter ids: they are numbered in list order (the main one is the first).
    int64_t id = o_.is_id >= 0 ? mem_.readValue<int64_t>(at(interp, o_.is_id)).value_or(-1)
                               : static_cast<int64_t>(seenInterps.size()) - 1;
    if (first || id == 0) {
      if (auto modules = mem_.readPtr(at(interp, o_.is_modules)); modules && *modules) {
        objects_.setModulesDict(*modules);
        readThreading();
        if (auto current = objects_.moduleGlobal("multiprocessing.process", "_current_process")) {
          if (auto n = objects_.attr(*current, "_name")) out_.name = objects_.readStr(*n, 256).value_or("");
        }
        if (auto argv = objects_.moduleGlobal("sys", "argv")) {
          if (auto items = objects_.listItems(*argv, 256)) {
            for (uint64_t a : *items) out_.argv.push_back(objects_.readStr(a, 4096).value_or("?"));
          }
        }
        readStartDirectory();
      }
    }
    first = false;
    std::pair<bool, uint64_t> gil{false, 0};
    uint64_t gilAddr = 0;
    if (o_.rt_gil >= 0) gilAddr = at(runtime, o_.rt_gil);
    else if (o_.is_ceval_gil >= 0) gilAddr = mem_.readPtr(at(interp, o_.is_ceval_gil)).value_or(0);
    if (gilAddr) {
      if (std::find(out_.gilStates.begin(), out_.gilStates.end(), gilAddr) == out_.gilStates.end()) {
        out_.gilStates.push_back(gilAddr);
      }
      gil.first = mem_.readValue<int32_t>(gilAddr + 16).value_or(0) != 0;
      gil.second = mem_.readPtr(gilAddr + 8).value_or(0);
    } else if (o_.rt_gilstate_current >= 0) {
      // 3.6 keeps the GIL in unexported globals; the thread state swapped in is the one that
      // holds it (PyEval_SaveThread swaps it out before it drops the GIL).
      gil.second = mem_.readPtr(at(runtime, o_.rt_gilstate_current)).value_or(0);
      gil.first = gil.second != 0;
    }
    bool collecting = false;
    if (o_.rt_gc_collecting >= 0) collecting = mem_.readValue<int32_t>(at(runtime, o_.rt_gc_collecting)).value_or(0) == 1;
    else if (o_.is_gc_collecting >= 0) collecting = mem_.readValue<int32_t>(at(interp, o_.is_gc_collecting)).value_or(0) == 1;
    if (collecting) out_.gcCollecting = true;

    std::unordered_set<uint64_t> seenThreads;
    auto ts = mem_.readPtr(at(interp, o_.is_threads_head));
    uint64_t tstate = ts.value_or(0);
    size_t before = out_.threads.size();
    while (tstate && seenThreads.size() < opts_.limits.maxThreads && seenThreads.insert(tstate).second) {
      readThread(tstate, interp, static_cast<int>(id), gil, collecting);
      tstate = mem_.readPtr(at(tstate, o_.ts_next)).value_or(0);
    }
    if (seenThreads.size() >= opts_.limits.maxThreads) {
      out_.warnings.push_back(fmt::format("more than {} threads: the rest are not shown", opts_.limits.maxThreads));
    }
    // The collector runs on the thread that holds the GIL when no __del__ frame shows it.
    if (collecting) {
      bool marked = false;
      for (size_t i = before; i < out_.threads.size(); ++i) marked |= out_.threads[i].gcCollecting;
      if (!marked) {
        for (size_t i = before; i < out_.threads.size(); ++i) {
          if (out_.threads[i].holdsGil) out_.threads[i].gcCollecting = true;
        }
      }
    }
    interp = mem_.readPtr(at(interp, o_.is_next)).value_or(0);
  }
  nameObjects();
  // Thread objects waited on by join(): record which thread they stand for.
  for (auto& [addr, obj] : out_.objects) {
    if (obj.kind == ObjectKind::kThread && obj.threadIdent) {
      bool alive = false;
      for (const auto& t : out_.threads) alive |= t.ident == *obj.threadIdent;
      obj.threadAlive = alive;
    }
  }
  for (const auto& [ident, threadObj] : threading_.threadsByIdent) {
    if (auto name = objects_.attr(threadObj, "_name")) {
      out_.knownThreadNames[ident] = objects_.readStr(*name, 256).value_or("");
    }
  }
  // A future some thread waits for, computed by an executor worker: the worker is what it waits for.
  for (const auto& [future, ident] : runningFutures_) {
    auto it = out_.objects.find(future);
    if (it == out_.objects.end() || it->second.kind != ObjectKind::kFuture) continue;
    it->second.threadIdent = ident;
    for (const auto& th : out_.threads) {
      if (th.ident == ident) it->second.threadName = th.name;
    }
  }
  linkProcessPoolWork(objects_, out_);
  linkThreadPoolWork(objects_, out_);
  linkMpThreadPoolWork(objects_, out_);
  linkPoolResultHandlers(objects_, out_);
  readAsyncio(AsyncioInputs{mem_, rt_, objects_, codes_, walker_, sync_, opts_, sources_}, out_);  // asyncio tasks
  return {};
}

void Reader::readStartDirectory() {
  auto main = objects_.moduleGlobal("__main__", "__file__");
  auto path = objects_.moduleGlobal("sys", "path");
  if (!main || !*main || !path || !*path) return;
  const std::string file = objects_.readStr(*main, 4096).value_or("");
  auto items = objects_.listItems(*path, 1);
  if (file.empty() || file[0] == '/' || !items || items->empty()) return;
  std::string first = objects_.readStr(items->front(), 4096).value_or("");
  if (first.empty() || first[0] != '/' || first.find("/../") != std::string::npos) return;
  while (first.size() > 1 && first.back() == '/') first.pop_back();
  // `python dir/app.py` from /srv: __file__ "dir/app.py", sys.path[0] "/srv/dir".
  std::string dir = file.find('/') == std::string::npos ? "" : file.substr(0, file.rfind('/'));
  while (dir.rfind("./", 0) == 0) dir = dir.substr(2);
  if (dir == ".") dir.clear();
  if (dir.find("..") != std::string::npos) return;
  std::string start = first;
  if (!dir.empty()) {
    if (first.size() <= dir.size() || first.compare(first.size() - dir.size(), dir.size(), dir) != 0 ||
        first[first.size() - dir.size() - 1] != '/') {
      return;
    }
    start = first.substr(0, first.size() - dir.size() - 1);
    if (start.empty()) start = "/";
  }
  out_.startDirectory = start;
  sources_.setStartDirectory(start);
}

}  // namespace pyhang::cpython::process_internal

namespace pyhang::cpython {

namespace {
// multiprocessing's helper processes call themselves MainProcess: name them after what they run.
void nameServiceProcess(Process& p) {
  if (!p.name.empty() && p.name != "MainProcess") return;
  for (const auto& t : p.threads) {
    if (!t.isMain) continue;
    for (const auto& f : t.frames) {
      const std::string& file = f.location.file;
      if (f.location.function != "main" || file.find("/multiprocessing/") == std::string::npos) continue;
      if (file.ends_with("/resource_tracker.py") || file.ends_with("/semaphore_tracker.py")) {
        p.name = "resource tracker";
      } else if (file.ends_with("/forkserver.py")) {
        p.name = "forkserver";
      }
    }
    // A child that the forkserver forked runs inside the forkserver's main() too: its own work
    // starts at BaseProcess._bootstrap.
    for (const auto& f : t.frames) {
      if (f.location.function == "_bootstrap" && f.location.file.ends_with("/multiprocessing/process.py") &&
          p.name == "forkserver") {
        p.name.clear();
      }
    }
  }
}
}  // namespace

Result<void> readPythonProcess(const RemoteMemory& mem, const RuntimeLocation& runtime, const ReadOptions& options,
                               Process& out) {
  process_internal::Reader reader(mem, runtime, options, out);
  auto r = reader.run();
  if (r) out.signalHandlers = readSignalHandlers(reader.objects(), runtime);
  nameServiceProcess(out);
  return r;
}

}  // namespace pyhang::cpython
