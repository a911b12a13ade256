#include "analysis/wake_sites.h"

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
constexpr int kMaxLinesBack = 5000;
constexpr int kMaxFunctionLines = 20000;

int indentOf(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos || s[b] == '\r') return -1;
  return static_cast<int>(b);
}

bool nameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

bool identifier(const std::string& s) {
  return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) && std::all_of(s.begin(), s.end(), nameChar);
}

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
    if (!identifier(key) || key == "self" || std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    keys.push_back(key);
    if (keys.size() == kMaxKeys) break;
  }
  return keys;
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
int lineIn(const std::vector<Frame>& frames, const std::string& file, const std::string& function, int def, int end) {
  int line = 0;
  for (const auto& fr : frames) {
    if (fr.kind != Frame::Kind::kPython || fr.location.file != file || fr.location.function != function) continue;
    if (def > 0 && (fr.location.line < def || fr.location.line >= end)) continue;
    line = fr.location.line > 0 ? fr.location.line : line;
    if (line == 0) line = -1;  // in it, line unknown
  }
  return line;
}

bool participates(const Finding& f, int64_t pid, int64_t tid, const std::string& task) {
  return std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
    if (part.pid != pid) return false;
    return task.empty() ? (part.task.empty() && part.tid == tid) : part.task == task;
  });
}

void attachTo(Snapshot& snap, Finding& f, const SourceLines& source) {
  f.wakeSites.clear();
  std::set<std::tuple<int64_t, uint64_t, WaitOp>> seen;  // a queue's get() and join() want different calls
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
    if (methods.empty() || keys.empty()) continue;
    for (const auto& file : programFiles(*p, f)) {
      const std::vector<std::string>* lines = source(p->pid, file);
      if (!lines) continue;
      // A lock's release handed to a timer or a scheduler will be called by it.
      const bool references = std::find(methods.begin(), methods.end(), "release") != methods.end();
      for (const auto& call : findCalls(*lines, keys, methods, kMaxSitesPerFinding, references)) {
        if (f.wakeSites.size() >= kMaxSitesPerFinding) break;
        WakeSite site;
        site.object = o.address;
        site.pid = p->pid;
        site.call = call.key + "." + call.method + (call.reference ? "" : "()");
        auto [function, def] = enclosingFunction(*lines, call.line);
        site.at = SourceLocation{file, call.line, function};
        if (call.method == "release" && def > 0 && call.line > def) {
          const std::vector<std::string> before(lines->begin() + def, lines->begin() + (call.line - 1));
          site.afterOwnAcquire = !findCalls(before, {call.key}, {"acquire"}, 1).empty();
        }
        int end = def > 0 ? functionEnd(*lines, def) : 0;
        for (const auto& t : p->threads) {
          int line = lineIn(t.frames, file, function, def, end);
          if (line == 0) continue;
          site.runners.push_back({t.tid, t.name, "", std::max(line, 0), participates(f, p->pid, t.tid, "")});
        }
        for (const auto& task : p->tasks) {
          int line = lineIn(task.frames, file, function, def, end);
          if (line == 0) continue;
          WakeSite::Runner r{task.tid, "", task.name, std::max(line, 0), participates(f, p->pid, 0, task.name)};
          r.loopBlocked = !r.blocked && task.tid && participates(f, p->pid, task.tid, "");
          site.runners.push_back(r);
        }
        // A barrier's wait() that a party is in now: that party is counted already.
        const bool barrier = o.kind == ObjectKind::kBarrier || o.kind == ObjectKind::kAsyncBarrier;
        if (barrier && std::any_of(site.runners.begin(), site.runners.end(),
                                   [&](const WakeSite::Runner& r) { return r.line == call.line; })) {
          continue;
        }
        f.wakeSites.push_back(std::move(site));
      }
    }
  }
}

}  // namespace

std::vector<SourceCall> findCalls(const std::vector<std::string>& lines, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& methods, size_t max, bool references) {
  std::vector<SourceCall> out;
  constexpr size_t kMaxLines = 200000;
  constexpr size_t kMaxLineLength = 4096;
  // The code of each line with its comments and the insides of its string literals blanked:
  // a docstring or a message that spells `jobs.put()` is not a call. `open` is the quote of a
  // triple-quoted string that goes on past the line.
  std::string open;
  for (size_t i = 0; i < lines.size() && i < kMaxLines && out.size() < max; ++i) {
    if (lines[i].size() > kMaxLineLength) continue;
    std::string s = lines[i];
    for (size_t k = 0; k < s.size();) {
      if (!open.empty()) {
        size_t end = s.find(open, k);
        size_t stop = end == std::string::npos ? s.size() : end + open.size();
        std::fill(s.begin() + static_cast<long>(k), s.begin() + static_cast<long>(stop), ' ');
        if (end != std::string::npos) open.clear();
        k = stop;
        continue;
      }
      char c = s[k];
      if (c == '#') {
        s.erase(k);
        break;
      }
      if (c != '"' && c != '\'') {
        ++k;
        continue;
      }
      if (s.compare(k, 3, std::string(3, c)) == 0) {
        open = std::string(3, c);
        std::fill(s.begin() + static_cast<long>(k), s.begin() + static_cast<long>(k + 3), ' ');
        k += 3;
        continue;
      }
      size_t end = k + 1;
      while (end < s.size() && s[end] != c) end += s[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, s.size());
      std::fill(s.begin() + static_cast<long>(k), s.begin() + static_cast<long>(end), ' ');
      k = end;
    }
    bool found = false;
    for (const auto& key : keys) {
      if (key.empty() || found) continue;
      for (size_t at = s.find(key); at != std::string::npos && !found; at = s.find(key, at + 1)) {
        if (at > 0 && nameChar(s[at - 1])) continue;
        size_t dot = at + key.size();
        if (dot >= s.size() || s[dot] != '.') continue;
        for (const auto& method : methods) {
          if (s.compare(dot + 1, method.size(), method) != 0) continue;
          size_t paren = dot + 1 + method.size();
          while (paren < s.size() && s[paren] == ' ') ++paren;
          if (paren < s.size() && s[paren] == '(') {
            out.push_back(SourceCall{static_cast<int>(i) + 1, key, method});
            found = true;
            break;
          }
          if (references && paren < s.size() && (s[paren] == ')' || s[paren] == ',')) {
            out.push_back(SourceCall{static_cast<int>(i) + 1, key, method, true});
            found = true;
            break;
          }
        }
      }
    }
  }
  return out;
}

std::pair<std::string, int> enclosingFunction(const std::vector<std::string>& lines, int n) {
  if (n <= 0 || static_cast<size_t>(n) > lines.size()) return {"<module>", 0};
  int threshold = indentOf(lines[static_cast<size_t>(n) - 1]);
  for (int i = n - 1; i >= 1 && i >= n - kMaxLinesBack && threshold > 0; --i) {
    const std::string& s = lines[static_cast<size_t>(i) - 1];
    int ind = indentOf(s);
    if (ind < 0 || ind >= threshold) continue;
    std::string body = s.substr(static_cast<size_t>(ind));
    if (body[0] == '#') continue;
    threshold = ind;
    size_t name = body.rfind("def ", 0) == 0 ? 4 : body.rfind("async def ", 0) == 0 ? 10 : std::string::npos;
    if (name == std::string::npos) continue;
    size_t end = name;
    while (end < body.size() && nameChar(body[end])) ++end;
    if (end > name) return {body.substr(name, end - name), i};
  }
  return {"<module>", 0};
}

int functionEnd(const std::vector<std::string>& lines, int defLine) {
  if (defLine <= 0 || static_cast<size_t>(defLine) > lines.size()) return defLine;
  int base = indentOf(lines[static_cast<size_t>(defLine) - 1]);
  int n = defLine + 1;
  for (; n <= static_cast<int>(lines.size()) && n < defLine + kMaxFunctionLines; ++n) {
    const std::string& s = lines[static_cast<size_t>(n) - 1];
    int ind = indentOf(s);
    if (ind < 0 || s[static_cast<size_t>(ind)] == '#') continue;
    if (ind <= base) break;
  }
  return n;
}

void attachWakeSites(Snapshot& snapshot, const SourceLines& source) {
  if (!snapshot.diagnosis.ran) return;
  for (auto& f : snapshot.diagnosis.findings) attachTo(snapshot, f, source);
  for (auto& f : snapshot.diagnosis.unconfirmed) attachTo(snapshot, f, source);
}

}  // namespace pyhang
