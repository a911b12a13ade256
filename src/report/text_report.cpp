#include "report/text_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <set>

#include "analysis/task_analysis.h"
#include "report/fix_lines.h"
#include "report/object_state.h"
#include "report/terminal_text.h"

namespace pyhang {

namespace {

// Longest text shown whole: a source line, a name, a repr (JSON has them whole).
constexpr size_t kLongestLine = 300;
constexpr size_t kLongestName = 120;

void renderVariables(TerminalOut& out, const std::string& indent, const char* title, const std::vector<Variable>& vars) {
  if (vars.empty()) return;
  out << indent << "      " << title << ":\n";
  for (const auto& v : vars) out << indent << "        " << shortenForTerminal(v.name, kLongestName) << ": " << shortenForTerminal(v.repr, kLongestLine) << "\n";
}

std::string threadHeader(const Thread& t) {
  // A thread state with no OS thread id yet (or any more): a thread being started or ending.
  if (t.tid == 0 && t.frames.empty()) {
    return "Traceback for a thread state without an OS thread (a thread starting or ending):";
  }
  std::string s = fmt::format("Traceback for thread {}", t.tid);
  if (!t.name.empty()) s += fmt::format(" ({})", shortenForTerminal(t.name, kLongestName));
  if (t.isMain && t.name != "MainThread") s += " [Main thread]";
  if (t.holdsGil) s += " [Has the GIL]";
  if (t.waitingForGil) s += " [Waiting for the GIL]";
  if (t.droppingGil) s += " [Dropping the GIL]";
  if (t.gcCollecting) s += " [Garbage collecting]";
  // The analysis's one-word state, as jstack prints a thread's state next to its name.
  if (!t.state.empty()) {
    std::string word = t.state;
    std::replace(word.begin(), word.end(), '-', ' ');
    s += fmt::format(" [{}]", word);
  }
  return s + " (most recent call last):";
}

// --- asyncio: a running loop's tasks, as a tree of who awaits whom -------------------

using TaskNotes = std::map<std::pair<uint64_t, size_t>, std::vector<std::string>>;

std::string fmtSeconds(double s) { return s < 10 ? fmt::format("{:.1f} s", s) : fmt::format("{:.0f} s", s); }

std::string loopSummary(const Process& p, const EventLoop& l) {
  size_t pending = 0;
  for (const auto& t : p.tasks) pending += t.loop == l.address && t.address && (t.state == "pending" || t.state == "running");
  std::vector<std::string> parts;
  parts.push_back(fmt::format("{} pending task{}", pending, pending == 1 ? "" : "s"));
  if (!l.stateRead) {
    parts.push_back("its state could not be read");
  } else {
    parts.push_back(l.readyCallbacks ? fmt::format("{} ready callback{}", l.readyCallbacks, l.readyCallbacks == 1 ? "" : "s")
                                     : "no ready callbacks");
    if (l.timers) {
      parts.push_back(fmt::format("{} timer{}{}", l.timers, l.timers == 1 ? "" : "s",
                                  l.nextTimerIn ? fmt::format(" (next in {})", fmtSeconds(*l.nextTimerIn)) : ""));
    } else {
      parts.push_back("no timers");
    }
    std::vector<std::string> fds;
    for (const auto& fd : l.fds) fds.push_back(fmt::format("fd {} ({})", fd.fd, fd.what));
    parts.push_back(fds.empty() ? "no file descriptors watched" : "watching " + fmt::format("{}", fmt::join(fds, ", ")));
    if (l.stopping) parts.push_back("stopping");
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

// Children in the await tree: the pending tasks a task awaits directly or through
// gather/wait/TaskGroup.
std::vector<size_t> awaitedTasks(const Process& p, const Task& t, const std::map<uint64_t, size_t>& byAddr) {
  std::vector<size_t> out;
  if (!t.await) return out;
  auto add = [&](uint64_t a) {
    auto it = byAddr.find(a);
    if (it == byAddr.end()) return;
    const Task& c = p.tasks[it->second];
    if (c.state != "pending" && c.state != "running") return;
    out.push_back(it->second);
  };
  if (t.await->kind == "task") add(t.await->object);
  for (uint64_t c : t.await->children) add(c);
  std::sort(out.begin(), out.end());  // task-list order (by task number), not the set's order
  out.erase(std::unique(out.begin(), out.end()), out.end());  // (not a find per child: gathers can be big)
  return out;
}

void renderTaskNode(TerminalOut& out, const Process& p, const Task& t, const std::string& head, const std::string& body,
                    const RenderOptions& opts, const TaskNotes& notes, const std::string& suffix) {
  std::string state = t.state;
  if (t.eager) state += ", eager";
  out << head << fmt::format("(T) {} ({}) [{}]{}", t.name, t.coroutine.empty() ? "?" : t.coroutine, state, suffix) << "\n";
  if (!suffix.empty()) return;
  for (const auto& w : t.warnings) out << body << "WARNING: " << w << "\n";
  for (size_t i = 0; i < t.frames.size(); ++i) {
    const Frame& f = t.frames[i];
    if (!f.marker.empty()) {
      out << body << fmt::format("<unreadable frame: {}>", f.marker) << "\n";
      continue;
    }
    out << body << fmt::format("File \"{}\", line {}, in {}", f.location.file, f.location.line, f.location.function) << "\n";
    if (!f.sourceLine.empty()) out << body << "    " << shortenForTerminal(f.sourceLine, kLongestLine) << "\n";
    auto it = notes.find({t.address, i});
    if (it != notes.end()) {
      for (const auto& n : it->second) out << body << "    " << out.on(Style::kWait) << ">>> " << n << out.off() << "\n";
    }
    if (opts.locals) {
      renderVariables(out, body, "Arguments", f.arguments);
      renderVariables(out, body, "Locals", f.locals);
    }
  }
  bool noted = t.await && notes.count({t.address, t.await->frameIndex});
  if (!noted) {
    std::string phrase = taskWaitPhrase(p, t);
    if (!phrase.empty()) out << body << out.on(Style::kWait) << ">>> " << phrase << out.off() << "\n";
  }
  if (!t.exception.empty()) out << body << ">>> finished with " << t.exception << "\n";
}

void renderTaskTree(TerminalOut& out, const Process& p, const std::vector<size_t>& tasks, const RenderOptions& opts,
                    const TaskNotes& notes) {
  std::map<uint64_t, size_t> byAddr;
  for (size_t i = 0; i < p.tasks.size(); ++i) {
    if (p.tasks[i].address) byAddr[p.tasks[i].address] = i;
  }
  std::set<size_t> awaited;
  for (size_t i : tasks) {
    if (p.tasks[i].state != "pending" && p.tasks[i].state != "running") continue;
    for (size_t c : awaitedTasks(p, p.tasks[i], byAddr)) awaited.insert(c);
  }
  std::vector<size_t> roots;
  for (size_t i : tasks) {
    if (!awaited.count(i)) roots.push_back(i);
  }
  // Tasks on a cycle are awaited by someone and are no root: start from the first of them.
  std::set<size_t> shown;
  struct Item {
    size_t task;
    std::string prefix;
    bool last;
  };
  auto renderFrom = [&](const std::vector<size_t>& starts) {
    for (size_t r = 0; r < starts.size(); ++r) {
      if (shown.count(starts[r])) continue;
      std::vector<Item> stack{{starts[r], "", true}};
      size_t steps = 0;
      while (!stack.empty() && ++steps < 200000) {
        Item it = stack.back();
        stack.pop_back();
        const Task& t = p.tasks[it.task];
        std::string head = it.prefix + (it.last ? "└── " : "├── ");
        std::string childPrefix = it.prefix + (it.last ? "    " : "│   ");
        if (shown.count(it.task)) {
          renderTaskNode(out, p, t, head, childPrefix, opts, notes, " (shown above: it is awaited more than once, or the awaits form a cycle)");
          continue;
        }
        shown.insert(it.task);
        std::vector<size_t> kids = awaitedTasks(p, t, byAddr);
        renderTaskNode(out, p, t, head, childPrefix + (kids.empty() ? "    " : "│   "), opts, notes, "");
        for (size_t k = kids.size(); k-- > 0;) stack.push_back({kids[k], childPrefix, k + 1 == kids.size()});
      }
    }
  };
  renderFrom(roots);
  std::vector<size_t> rest;
  for (size_t i : tasks) {
    if (!shown.count(i)) rest.push_back(i);
  }
  if (!rest.empty()) out << "    (tasks that await each other in a cycle)\n";
  renderFrom(rest);
}

void renderAsyncioLoop(TerminalOut& out, const Process& p, const EventLoop& l, const RenderOptions& opts,
                       const TaskNotes& notes) {
  out << fmt::format("Asyncio event loop <{} at 0x{:x}>", l.type, l.address);
  if (l.tid) out << fmt::format(" run by thread {}", l.tid);
  out << ": " << loopSummary(p, l) << "\n";
  for (const auto& w : l.warnings) out << "    WARNING: " << w << "\n";
  if (!l.ready.empty()) out << fmt::format("    ready: {}", fmt::join(l.ready, ", ")) << "\n";
  std::vector<size_t> tasks;
  for (size_t i = 0; i < p.tasks.size(); ++i) {
    if (p.tasks[i].address && p.tasks[i].loop == l.address) tasks.push_back(i);
  }
  renderTaskTree(out, p, tasks, opts, notes);
  out << "\n";
}

TaskNotes taskNotes(const Snapshot& snap, const Process& p, const RenderOptions& opts) {
  TaskNotes notes;
  if (opts.analysis && snap.diagnosis.ran) {
    for (const auto& a : snap.diagnosis.annotations) {
      if (a.task && a.pid == p.pid) notes[{a.task, a.frameIndex}].push_back(a.text);
    }
  }
  return notes;
}

void renderOtherTasks(TerminalOut& out, const Process& p, const RenderOptions& opts, const TaskNotes& notes) {
  std::set<uint64_t> running;
  for (const auto& l : p.loops) {
    if (l.tid) running.insert(l.address);
  }
  std::vector<size_t> idle, finished;
  for (size_t i = 0; i < p.tasks.size(); ++i) {
    const Task& t = p.tasks[i];
    if (!t.address) finished.push_back(i);
    else if (!running.count(t.loop)) idle.push_back(i);
  }
  if (!idle.empty()) {
    out << "Asyncio tasks of event loops that no thread is running:\n";
    renderTaskTree(out, p, idle, opts, notes);
    out << "\n";
  }
  if (!finished.empty()) {
    out << "Asyncio tasks that have finished (no longer in memory):\n";
    for (size_t i : finished) {
      const Task& t = p.tasks[i];
      out << fmt::format("    (T) {} ({}), defined at {}:{}: finished{}", t.name, t.coroutine, t.definedAt.file,
                         t.definedAt.line, t.exception.empty() ? "" : " with " + t.exception) << "\n";
      for (int line : t.acquireLines) out << fmt::format("        calls acquire() at line {}", line) << "\n";
      if (!t.evidence.empty()) out << "        (" << t.evidence << ")\n";
    }
    out << "\n";
  }
}
// --- end asyncio -----------------------------------------------------------------------------

// The quantities of the objects a finding's threads wait for, one short line each ("State of
// connection_slots: 0 of 3 permits free").
void renderFindingState(TerminalOut& out, const Snapshot& snap, const Finding& f) {
  std::vector<const Process*> procs;
  auto objects = findingObjects(snap, f, &procs, /*withHolds=*/false);
  std::set<std::string> said;  // a semaphore shared by processes reads the same in each
  for (size_t i = 0; i < objects.size(); ++i) {
    const SyncObject& o = *objects[i];
    auto q = quantitiesOf(*procs[i], o);
    if (!q) continue;
    // "locked" alone (a Lock, a multiprocessing Lock held elsewhere) says nothing the finding does not.
    bool onlyLocked = q->locked.value_or(false) && !q->owner && !q->count && !q->permitsFree;
    if (onlyLocked) continue;
    std::string text = quantitiesText(*q, o.kind);
    if (text.empty()) continue;
    std::string line = "  State of " + shortenForTerminal(objectShortName(o), kLongestName) + ": " + text;
    if (!said.insert(line).second) continue;
    out << line << "\n";
  }
}

}  // namespace

void renderText(const Snapshot& snap, const RenderOptions& opts, std::ostream& stream) {
  // Every string below goes through TerminalOut: the one place where the target's text is
  // escaped before it can reach a terminal.
  TerminalOut out(stream, opts.color);
  std::map<std::tuple<int64_t, int64_t, size_t>, std::vector<std::string>> notes;
  for (const auto& a : snap.diagnosis.annotations) {
    if (a.task) continue;  // a task's coroutine frame: printed with the tasks (asyncio)
    notes[{a.pid, a.tid, a.frameIndex}].push_back(a.text);
  }

  bool firstProcess = true;
  for (const auto& p : snap.processes) {
    if (!firstProcess) out << "\n";
    firstProcess = false;
    out << fmt::format("Process {}", p.pid);
    if (!p.name.empty()) out << fmt::format(" [{}]", p.name);
    // One line: `python -c "..."` programs carry newlines (escaped like every other string).
    if (!p.commandLine.empty()) out << ": " << p.commandLine;
    out << "\n";
    if (!p.isPython) {
      if (p.kernelState == 'Z' || p.kernelState == 'X') {
        out << "Not running: it has exited and is a zombie waiting to be reaped by its parent "
            << fmt::format("(pid {})", p.ppid) << "\n\n";
        continue;
      }
      out << fmt::format("Not a Python process; what the kernel says about its threads (parent pid {}):", p.ppid) << "\n";
      for (const auto& t : p.threads) {
        out << fmt::format("    Thread {} ({}): state {}{}", t.tid, t.name, t.kernelState,
                           t.wchan.empty() || t.wchan == "0" ? "" : ", waiting in " + t.wchan) << "\n";
      }
      out << "\n";
      continue;
    }
    out << fmt::format("Python {} ({}{}), {}", p.python.versionString, p.python.library,
                       p.python.staticBuild ? ", static" : "", p.source == "core" ? "core dump" : "live process");
    if (p.source == "core") {
      if (p.terminatingSignal) out << fmt::format(", killed by signal {} in thread {}", p.terminatingSignal, p.signalTid);
      if (p.fromGcore) out << ", snapshot taken with gcore";
    }
    out << "\n";
    if (opts.verbose && p.source == "live") out << fmt::format("The process was stopped for {:.3f} ms", p.stopMilliseconds) << "\n";
    for (const auto& w : p.warnings) out << "WARNING: " << w << "\n";
    out << "\n";
    for (const auto& t : p.threads) {
      out << out.on(Style::kHeader) << threadHeader(t) << out.off() << "\n";
      for (const auto& w : t.warnings) out << "    WARNING: " << w << "\n";
      bool anyPython = false;
      for (size_t i = 0; i < t.frames.size(); ++i) {
        const Frame& f = t.frames[i];
        if (f.kind == Frame::Kind::kMarker) {
          out << fmt::format("    <{}: the frames below were called by it>", f.marker) << "\n";
          continue;
        }
        if (f.kind == Frame::Kind::kNative) {  // PyStack's layout
          out << fmt::format("    (C) File \"{}\", line {}, in {}{} ({})",
                             f.location.file.empty() ? "???" : f.location.file, f.location.line,
                             f.location.function, f.inlined ? " [inlined]" : "", f.library) << "\n";
          continue;
        }
        anyPython = true;
        if (!f.marker.empty()) {
          out << fmt::format("    (Python) <unreadable frame: {}>", f.marker) << "\n";
          continue;
        }
        out << fmt::format("    (Python) File \"{}\", line {}, in {}", shortenForTerminal(f.location.file, kLongestLine),
                           f.location.line, shortenForTerminal(f.location.function, kLongestName)) << "\n";
        if (!f.sourceLine.empty()) out << "        " << shortenForTerminal(f.sourceLine, kLongestLine) << "\n";
        auto it = notes.find({p.pid, t.tid, i});
        if (it != notes.end()) {
          for (const auto& n : it->second) out << "        " << out.on(Style::kWait) << ">>> " << n << out.off() << "\n";
        }
        if (opts.locals) {
          renderVariables(out, "", "Arguments", f.arguments);
          renderVariables(out, "", "Locals", f.locals);
        }
      }
      if (!anyPython) out << "    (no Python frames)\n";
      out << "\n";
      for (const auto& l : p.loops) {  // asyncio: the loop this thread runs, and its tasks
        if (l.tid && l.tid == t.tid) renderAsyncioLoop(out, p, l, opts, taskNotes(snap, p, opts));
      }
    }
    if (!p.tasks.empty()) renderOtherTasks(out, p, opts, taskNotes(snap, p, opts));  // asyncio
  }
  for (const auto& w : snap.warnings) out << "WARNING: " << w << "\n";
  if (!opts.analysis || !snap.diagnosis.ran) return;
  const Diagnosis& d = snap.diagnosis;
  for (const auto& f : d.findings) {
    for (size_t i = 0; i < f.lines.size(); ++i) {
      out << out.on(i == 0 ? Style::kFindingHead : Style::kFinding) << f.lines[i] << out.off() << "\n";
    }
    renderFindingState(out, snap, f);
    for (const auto& l : wakeSiteLines(f)) out << shortenForTerminal(l, 2 * kLongestLine) << "\n";
    // One line, whatever the names in it: the target chose them.
    if (std::string fix = fixLine(snap, f); !fix.empty()) out << "  Fix: " << shortenForTerminal(fix, 4 * kLongestLine) << "\n";
    out << "\n";
  }
  for (const auto& f : d.unconfirmed) {
    out << "Not confirmed (" << f.kind << "): " << f.summary << ", but " << f.unconfirmedBecause << ".\n\n";
  }
  for (const auto& n : d.notes) out << n << "\n";
  if (!d.notes.empty()) out << "\n";
  out << out.on(d.verdict == "deadlock" ? Style::kDeadlock : Style::kNoDeadlock) << d.verdictLine << out.off() << "\n";
}

}  // namespace pyhang
