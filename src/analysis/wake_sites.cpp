#include "analysis/wake_sites.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "analysis/wait_graph.h"

namespace pyhang {
namespace {

constexpr size_t kMaxSitesPerFinding = 8;
constexpr size_t kMaxFilesPerProcess = 32;
constexpr size_t kMaxKeys = 4;
constexpr size_t kMaxHelperUses = 4;
// The calls that would end a wait of `op` on `o`; none when the object's own state says who
// can (a lock someone holds, a thread to join).
std::vector<std::string> wakeMethods(const SyncObject& o, WaitOp op, bool lockHeldByNobody) {
  switch (o.kind) {
    case ObjectKind::kQueue:
    case ObjectKind::kAsyncQueue:
      if (op == WaitOp::kQueueGet) return {"put", "put_nowait"};
      if (op == WaitOp::kQueuePut) return {"get", "get_nowait"};
      if (op == WaitOp::kQueueJoin) return {"task_done"};
      return {};
    case ObjectKind::kEvent:
    case ObjectKind::kAsyncEvent: return {"set"};
    case ObjectKind::kCondition:
    case ObjectKind::kAsyncCondition: return {"notify", "notify_all", "notifyAll"};
    case ObjectKind::kSemaphore:
    case ObjectKind::kAsyncSemaphore: return {"release"};
    case ObjectKind::kLock:
    case ObjectKind::kAsyncLock:
      if (lockHeldByNobody) return {"release"};
      return {};
    case ObjectKind::kAsyncFuture: return {"set_result", "set_exception"};
    // A concurrent future still queued in a pool ends when someone cancels it (a watchdog).
    case ObjectKind::kFuture: return {"cancel", "set_result", "set_exception"};
    case ObjectKind::kBarrier:
    case ObjectKind::kAsyncBarrier: return {"wait"};   // the parties still to come
    default: return {};
  }
}

// The names the program's source may use for the object: the last part of each name it has
// ("jobs" for self.jobs).
std::vector<std::string> keysOf(const SyncObject& o) {
  std::vector<std::string> keys;
  for (const auto& n : o.names) {
    std::string key = n.substr(n.rfind('.') == std::string::npos ? 0 : n.rfind('.') + 1);
    if (!isIdentifier(key) || key == "self" || std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    keys.push_back(key);
    if (keys.size() == kMaxKeys) break;
  }
  return keys;
}

// A receiver (`south.busy`) that is the name of another object of the process and not of `o`
// (`north.busy`): the call is on that one. A name pyhang does not know may be either.
bool namesAnotherObject(const Process& p, const SyncObject& o, const std::string& receiver) {
  if (receiver.find('.') == std::string::npos || receiver.rfind("self.", 0) == 0) return false;
  if (std::find(o.names.begin(), o.names.end(), receiver) != o.names.end()) return false;
  return std::any_of(p.objects.begin(), p.objects.end(), [&](const auto& entry) {
    const auto& names = entry.second.names;
    return entry.first != o.address && std::find(names.begin(), names.end(), receiver) != names.end();
  });
}

// The program's own source files in the process, the waiters' files first.
std::vector<std::string> programFiles(const Process& p, const Finding& f) {
  std::vector<std::string> files;
  auto add = [&](const std::string& file) {
    if (file.empty() || file[0] == '<' || isLibraryCode(file) || files.size() >= kMaxFilesPerProcess) return;
    if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  };
  for (const auto& part : f.participants) {
    if (part.pid == p.pid) add(part.at.file);
  }
  for (const auto& t : p.threads) {
    for (const auto& fr : t.frames) {
      if (fr.kind == Frame::Kind::kPython) add(fr.location.file);
    }
  }
  for (const auto& task : p.tasks) {
    for (const auto& fr : task.frames) {
      if (fr.kind == Frame::Kind::kPython) add(fr.location.file);
    }
  }
  return files;
}

// Where a stack is inside the function (file, name, def line..end): the innermost such frame.
// `at`: that frame's index (frames run outermost first).
int lineIn(const std::vector<Frame>& frames, const std::string& file, const std::string& function, int def, int end,
           size_t* at = nullptr) {
  // A process forked by multiprocessing keeps its parent's frames under Process._bootstrap, and
  // never returns to them (it exits when its target returns): not a place it runs.
  size_t first = 0;
  for (size_t i = frames.size(); i-- > 1;) {
    const Frame& fr = frames[i];
    if (fr.kind == Frame::Kind::kPython && fr.location.function == "_bootstrap" &&
        fr.location.file.ends_with("multiprocessing/process.py")) {
      first = i;
      break;
    }
  }
  int line = 0;
  for (size_t i = first; i < frames.size(); ++i) {
    const Frame& fr = frames[i];
    if (fr.kind != Frame::Kind::kPython || fr.location.file != file || fr.location.function != function) continue;
    if (def > 0 && (fr.location.line < def || fr.location.line >= end)) continue;
    line = fr.location.line > 0 ? fr.location.line : line;
    if (line == 0) line = -1;  // in it, line unknown
    if (at) *at = i;
  }
  return line;
}

// The signal handler that runs inside frame `at` of a stack (its function), "" when none.
std::string handlerAbove(const std::vector<Frame>& frames, size_t at) {
  for (size_t i = at + 1; i + 1 < frames.size(); ++i) {
    if (frames[i].kind == Frame::Kind::kMarker && frames[i].marker == "signal handler" &&
        frames[i + 1].kind == Frame::Kind::kPython) {
      return frames[i + 1].qualname.empty() ? frames[i + 1].location.function : frames[i + 1].qualname;
    }
  }
  return "";
}

bool participates(const Finding& f, int64_t pid, int64_t tid, const std::string& task) {
  return std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
    if (part.pid != pid) return false;
    return task.empty() ? (part.task.empty() && part.tid == tid) : part.task == task;
  });
}

// The threads and tasks of `p` in the function around `at` (its def..end in `lines`); for an
// object processes share (a multiprocessing queue), those of every process of the snapshot.
void addRunners(const Snapshot& snap, const Process& p, const Finding& f, const std::vector<std::string>& lines,
                WakeSite& site) {
  auto [function, def] = enclosingFunction(lines, site.at.line);
  int end = def > 0 ? functionEnd(lines, def) : 0;
  const bool shared = crossProcessObject(p, site.object);
  for (const auto& q : snap.processes) {
    if (&q != &p && !shared) continue;
    for (const auto& t : q.threads) {
      size_t at = 0;
      int line = lineIn(t.frames, site.at.file, function, def, end, &at);
      if (line == 0) continue;
      WakeSite::Runner r{q.pid, "", t.tid, t.name, "", std::max(line, 0), participates(f, q.pid, t.tid, "")};
      if (&q != &p) r.process = q.name.empty() ? fmt::format("pid {}", q.pid) : fmt::format("{} (pid {})", q.name, q.pid);
      if (r.blocked) r.interruptedBy = handlerAbove(t.frames, at);
      site.runners.push_back(r);
    }
    for (const auto& task : q.tasks) {
      int line = lineIn(task.frames, site.at.file, function, def, end);
      if (line == 0) continue;
      WakeSite::Runner r{q.pid, "", task.tid, "", task.name, std::max(line, 0), participates(f, q.pid, 0, task.name)};
      if (&q != &p) r.process = q.name.empty() ? fmt::format("pid {}", q.pid) : fmt::format("{} (pid {})", q.name, q.pid);
      r.loopBlocked = !r.blocked && task.tid && participates(f, q.pid, task.tid, "");
      site.runners.push_back(r);
    }
  }
}

// `await name(` or `await obj.name(` on the line: the coroutine runs in the awaiting task (not
// `await gather(name(...))`, whose coroutines become tasks of their own).
bool awaitedThere(const std::string& text, const std::string& name) {
  for (size_t at = text.find("await "); at != std::string::npos; at = text.find("await ", at + 1)) {
    size_t begin = at + 6, end = begin;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' || text[end] == '.')) {
      ++end;
    }
    if (end >= text.size() || text[end] != '(' || end - begin < name.size()) continue;
    size_t start = end - name.size();
    if (text.compare(start, name.size(), name) == 0 && (start == begin || text[start - 1] == '.')) return true;
  }
  return false;
}

// A helper function that makes a wake call (`def end_lease(): lease.release()`) is woken through
// by whoever calls it or hands it to a timer: one site per such use, in the program's files.
void addHelperUses(const Snapshot& snap, const Process& p, Finding& f, const SourceLines& source, const std::vector<std::string>& files,
                   const WakeSite& direct) {
  // A wrapper's own method of the same name (`def release(self): self._lock.release()`) or a
  // protocol method: its uses are every `.release()` in the program, not calls of this helper.
  static const std::set<std::string> kGeneric = {
      "release", "acquire", "set", "clear", "wait", "notify", "notify_all", "put", "put_nowait", "get", "get_nowait",
      "task_done", "join", "cancel", "set_result", "set_exception", "close", "stop", "start", "run", "shutdown"};
  const std::string& name = direct.at.function;
  if (name == "<module>" || name.size() < 3 || kGeneric.count(name) || name.rfind("__", 0) == 0) return;
  const std::vector<std::string>* helperLines = source(p.pid, direct.at.file);
  if (!helperLines) return;
  auto [helper, def] = enclosingFunction(*helperLines, direct.at.line);
  const int end = def > 0 ? functionEnd(*helperLines, def) : 0;
  if (def <= 0) return;
  // A call of a coroutine function only makes a coroutine: it runs in the task that awaits it
  // there, or in a task of its own (create_task(), gather()), whose frames show the direct site.
  const std::string& defText = (*helperLines)[static_cast<size_t>(def) - 1];
  const bool coroutine = defText.find("async def") != std::string::npos;
  size_t added = 0;
  for (const auto& file : files) {
    const std::vector<std::string>* lines = source(p.pid, file);
    if (!lines) continue;
    for (const auto& use : findFunctionUses(*lines, helper, kMaxHelperUses)) {
      if (f.wakeSites.size() >= kMaxSitesPerFinding || added >= kMaxHelperUses) return;
      if (file == direct.at.file && use.line >= def && use.line < end) continue;  // recursion
      if (coroutine && !awaitedThere((*lines)[static_cast<size_t>(use.line) - 1], helper)) continue;
      WakeSite site;
      site.object = direct.object;
      site.pid = direct.pid;
      site.call = direct.call;
      site.afterOwnAcquire = direct.afterOwnAcquire;
      site.reference = use.reference;
      site.at = SourceLocation{file, use.line, enclosingFunction(*lines, use.line).first};
      site.via = direct.at;
      addRunners(snap, p, f, *lines, site);
      f.wakeSites.push_back(std::move(site));
      ++added;
    }
  }
}

// A ThreadPoolExecutor's shutdown(cancel_futures=True) cancels every future still queued in it.
void addShutdownCancels(const Snapshot& snap, const Process& p, Finding& f, const SourceLines& source, const std::vector<std::string>& files,
                        uint64_t future) {
  for (const auto& file : files) {
    const std::vector<std::string>* lines = source(p.pid, file);
    if (!lines) continue;
    for (const auto& use : findFunctionUses(*lines, "shutdown", kMaxSitesPerFinding)) {
      if (f.wakeSites.size() >= kMaxSitesPerFinding) return;
      const std::string& text = (*lines)[static_cast<size_t>(use.line) - 1];
      if (use.reference || text.find("cancel_futures=True") == std::string::npos) continue;
      WakeSite site;
      site.object = future;
      site.pid = p.pid;
      site.call = "shutdown(cancel_futures=True)";
      site.at = SourceLocation{file, use.line, enclosingFunction(*lines, use.line).first};
      addRunners(snap, p, f, *lines, site);
      f.wakeSites.push_back(std::move(site));
    }
  }
}

void attachTo(Snapshot& snap, Finding& f, const SourceLines& source) {
  f.wakeSites.clear();
  std::set<std::tuple<int64_t, uint64_t, WaitOp>> seen;  // a queue's get() and join() want different calls
  std::vector<std::pair<const Process*, size_t>> direct;  // the sites to follow one call up
  std::vector<std::tuple<const Process*, std::vector<std::string>, uint64_t>> queuedFutures;
  for (const auto& part : f.participants) {
    if (!part.waitsFor || !part.waitsFor->object || f.wakeSites.size() >= kMaxSitesPerFinding) continue;
    if (!seen.insert({part.pid, part.waitsFor->object, part.waitsFor->op}).second) continue;
    const Process* p = nullptr;
    for (const auto& proc : snap.processes) {
      if (proc.pid == part.pid) p = &proc;
    }
    if (!p) continue;
    auto it = p->objects.find(part.waitsFor->object);
    if (it == p->objects.end()) continue;
    const SyncObject& o = it->second;
    bool heldByNobody = part.heldBy.empty() && std::none_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
      return std::any_of(x.holds.begin(), x.holds.end(), [&](const auto& h) { return h.first.object == o.address; });
    });
    // A plain Lock taken with acquire() has no owner: any thread may release it (a gate, a lease).
    heldByNobody |= std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& x) {
      return std::any_of(x.holds.begin(), x.holds.end(),
                         [&](const auto& h) { return h.first.object == o.address && h.first.how.rfind("acquire()", 0) == 0; });
    });
    std::vector<std::string> methods = wakeMethods(o, part.waitsFor->op, heldByNobody);
    std::vector<std::string> keys = keysOf(o);
    const std::vector<std::string> files = programFiles(*p, f);
    if (o.kind == ObjectKind::kFuture && o.attrs.count("queued_in")) queuedFutures.emplace_back(p, files, o.address);
    if (methods.empty() || keys.empty()) continue;
    for (const auto& file : files) {
      const std::vector<std::string>* lines = source(p->pid, file);
      if (!lines) continue;
      // A lock's release handed to a timer or a scheduler will be called by it.
      const bool references = std::find(methods.begin(), methods.end(), "release") != methods.end();
      for (const auto& call : findCalls(*lines, keys, methods, kMaxSitesPerFinding, references)) {
        if (f.wakeSites.size() >= kMaxSitesPerFinding) break;
        if (namesAnotherObject(*p, o, call.receiver)) continue;
        WakeSite site;
        site.object = o.address;
        site.pid = p->pid;
        site.call = call.key + "." + call.method + (call.reference ? "" : "()");
        site.reference = call.reference;
        auto [function, def] = enclosingFunction(*lines, call.line);
        site.at = SourceLocation{file, call.line, function};
        if (call.method == "release" && def > 0 && call.line > def) {
          const std::vector<std::string> before(lines->begin() + def, lines->begin() + (call.line - 1));
          site.afterOwnAcquire = !findCalls(before, {call.key}, {"acquire"}, 1).empty();
        }
        addRunners(snap, *p, f, *lines, site);
        // A barrier's wait() that a party is in now: that party is counted already.
        const bool barrier = o.kind == ObjectKind::kBarrier || o.kind == ObjectKind::kAsyncBarrier;
        if (barrier && std::any_of(site.runners.begin(), site.runners.end(),
                                   [&](const WakeSite::Runner& r) { return r.line == call.line; })) {
          continue;
        }
        f.wakeSites.push_back(std::move(site));
        direct.emplace_back(p, f.wakeSites.size() - 1);
      }
    }
  }
  for (const auto& [p, files, future] : queuedFutures) addShutdownCancels(snap, *p, f, source, files, future);
  // Then one call up: the helpers' callers, each direct site once (a copy: the list grows).
  for (const auto& [p, index] : direct) {
    if (f.wakeSites.size() >= kMaxSitesPerFinding) break;
    const WakeSite site = f.wakeSites[index];
    if (site.reference) continue;
    addHelperUses(snap, *p, f, source, programFiles(*p, f), site);
  }
}

}  // namespace

void attachWakeSites(Snapshot& snapshot, const SourceLines& source) {
  if (!snapshot.diagnosis.ran) return;
  for (auto& f : snapshot.diagnosis.findings) attachTo(snapshot, f, source);
  for (auto& f : snapshot.diagnosis.unconfirmed) attachTo(snapshot, f, source);
}

}  // namespace pyhang
