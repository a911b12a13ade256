// asyncio: the entry point and the run of the reader (see asyncio_reader_internal.h for its
// parts): discovery, loops, tasks, who awaits whom, the order tasks are shown in, names.
#include "cpython/asyncio_reader.h"

#include "cpython/asyncio_reader_internal.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace pyhang::cpython::asyncio_internal {

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string asyncioModuleOf(const std::string& file) {
  if (stdlibModuleOf(file) != "asyncio") return "";
  auto pos = file.rfind("/asyncio/");
  if (pos == std::string::npos) return "";
  std::string rest = file.substr(pos + 9);
  if (endsWith(rest, ".py")) rest.resize(rest.size() - 3);
  return rest;
}

const Variable* findVar(const Frame& f, std::string_view name) {
  for (const auto* vars : {&f.arguments, &f.locals}) {
    for (const auto& v : *vars) {
      if (v.name == name) return &v;
    }
  }
  return nullptr;
}

uint64_t varAddr(const Frame& f, std::string_view name) {
  const Variable* v = findVar(f, name);
  return v ? v->address : 0;
}

double monotonicNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// ---------------------------------------------------------------------------------------------
// Attributes

std::optional<uint64_t> AioReader::attr(uint64_t obj, std::string_view name) const {
  return objects_.attr(obj, name);
}

void AioReader::run() {
  if (!objects_.moduleDict("asyncio")) return;  // never imported: no tasks
  now_ = monotonicNow();
  collectThreadStates();
  to_ = taskOffsets(minor_, false);
  discoverTasks();
  chooseOffsets();
  findRunningLoops();
  // Executor workers: thread -> the concurrent.futures.Future of the work item it runs.
  for (const auto& t : out_.threads) {
    for (const auto& f : t.frames) {
      if (f.location.function != "run" || !endsWith(f.location.file, "/concurrent/futures/thread.py")) continue;
      if (uint64_t item = varAddr(f, "self")) {
        if (auto fut = objects_.attr(item, "future")) workerOfFuture_[*fut] = t.tid;
      }
    }
  }
  // Read tasks; gather/TaskGroup children not in the registries are added as they are found.
  // (Reserved: a Task is copied, not moved, when the vector grows.)
  out_.tasks.reserve(out_.tasks.size() + std::min(candidates_.size() + 64, kMaxTasks));
  for (size_t i = 0; i < candidates_.size() && i < kMaxTasks; ++i) {
    readTask(candidates_[i].first);
    out_.tasks.back().eager = candidates_[i].second;
  }
  if (candidates_.size() >= kMaxTasks) {
    out_.warnings.push_back(fmt::format("asyncio: more than {} tasks; the rest are not shown", kMaxTasks));
  }
  // Who awaits whom.
  std::unordered_map<uint64_t, size_t> byAddr;
  for (size_t i = 0; i < out_.tasks.size(); ++i) byAddr[out_.tasks[i].address] = i;
  std::set<std::pair<uint64_t, uint64_t>> linked;
  auto link = [&](uint64_t awaited, uint64_t by) {
    auto it = byAddr.find(awaited);
    if (it == byAddr.end() || awaited == 0 || by == 0) return;
    auto& v = out_.tasks[it->second].awaitedBy;
    if (v.size() < kMaxChildren && linked.insert({awaited, by}).second) v.push_back(by);
  };
  for (const auto& t : out_.tasks) {
    if (!t.await) continue;
    if (t.await->kind == "task") link(t.await->object, t.address);
    for (uint64_t c : t.await->children) link(c, t.address);
  }
  for (const auto& [task, by] : cAwaitedBy_) {
    for (uint64_t b : by) {
      if (isTask(b)) link(task, b);
    }
  }
  // Sort: by loop thread, then by task number ("Task-12" after "Task-2"), then by name.
  // (As std::stoll did: leading digits after "Task-"; none, or too many, sorts last.)
  auto number = [](const std::string& name) -> int64_t {
    if (name.rfind("Task-", 0) != 0) return INT64_MAX;
    int64_t n = 0;
    size_t i = 5;
    for (; i < name.size() && i < 5 + 18 && std::isdigit(static_cast<unsigned char>(name[i])); ++i) n = n * 10 + (name[i] - '0');
    return i == 5 ? INT64_MAX : n;
  };
  {
    std::vector<std::pair<int64_t, size_t>> keys;
    keys.reserve(out_.tasks.size());
    for (size_t i = 0; i < out_.tasks.size(); ++i) keys.emplace_back(number(out_.tasks[i].name), i);
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return out_.tasks[a.second].name < out_.tasks[b.second].name;
    });
    std::vector<Task> sorted;
    sorted.reserve(out_.tasks.size());
    for (const auto& k : keys) sorted.push_back(std::move(out_.tasks[k.second]));
    out_.tasks = std::move(sorted);
  }
  nameObjects();
  // Locks some task waits for that no pending task holds: look for finished tasks.
  std::unordered_set<uint64_t> heldByTasks;
  for (const auto& o : out_.tasks) {
    for (const auto& f : o.frames) {
      for (const auto& h : f.holds) heldByTasks.insert(h.object);
    }
  }
  bool orphanLock = false;
  for (const auto& t : out_.tasks) {
    if (!t.await || (t.await->kind != "lock" && t.await->kind != "semaphore") || !t.await->object) continue;
    auto it = out_.objects.find(t.await->object);
    if (it == out_.objects.end() || !it->second.locked.value_or(false)) continue;
    orphanLock |= !heldByTasks.count(t.await->object);
  }
  if (orphanLock) findFinishedTasks();
}

}  // namespace pyhang::cpython::asyncio_internal

namespace pyhang::cpython {

void readAsyncio(const AsyncioInputs& in, Process& out) {
  asyncio_internal::AioReader reader(in, out);
  reader.run();
}

}  // namespace pyhang::cpython
