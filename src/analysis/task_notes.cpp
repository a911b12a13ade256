// The tasks' annotations (what each task awaits and holds, on its frames) and the notes about
// the tasks and loops that no finding explains.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "analysis/explainer.h"
#include "analysis/task_analysis.h"
#include "analysis/task_analyzer.h"

namespace pyhang::tasks {

void TaskAnalyzer::annotateAndNote() {
  size_t noted = 0, skipped = 0;
  for (size_t i = 0; i < p_.tasks.size(); ++i) {
    const Task& t = p_.tasks[i];
    if (!isPending(t)) continue;
    if (t.await && t.await->frameIndex < t.frames.size()) {
      std::string text = taskWaitPhrase(p_, t);
      if (t.await->kind == "running" && blockedThreads_.count(t.tid)) {
        text = "is running, and blocks its event loop's thread (see the thread's traceback): no other task can run";
      }
      if (text.rfind("waits ", 0) == 0) text = "waiting " + text.substr(6);
      else if (text.rfind("awaits ", 0) == 0) text = "awaiting " + text.substr(7);
      else if (text.rfind("sleeps", 0) == 0) text = "sleeping" + text.substr(6);
      if (!edges_[i].empty() && edges_[i].front().viaLock) {
        std::vector<std::string> hs;
        for (const auto& e : edges_[i]) hs.push_back(e.to == i ? "itself" : taskLabel(p_.tasks[e.to]));
        text += fmt::format(", held by {}", fmt::join(hs, ", "));
      }
      d_.annotations.push_back(Annotation{p_.pid, t.tid, t.await->frameIndex, text, t.address});
    }
    for (size_t fi = 0; fi < t.frames.size(); ++fi) {
      for (const auto& h : t.frames[fi].holds) {
        if (objectOf(p_, h.object) == nullptr) continue;
        std::string text = fmt::format("holds {}", objectLabel(p_, h.object, &t.frames[fi]));
        if (h.line) text += fmt::format(" since line {}", h.line);
        if (h.how == "async with") text += " (async with)";
        else if (h.how.rfind("acquire()", 0) == 0) text += " (taken with acquire(), inferred from the source)";
        d_.annotations.push_back(Annotation{p_.pid, t.tid, fi, text, t.address});
      }
    }
    if (involved_.count(i)) continue;
    if (noted >= kMaxTaskNotes) {
      ++skipped;
      continue;
    }
    std::string at = atPhrase(t);
    d_.notes.push_back(fmt::format("{} {}{}.", taskLabel(t), taskWaitPhrase(p_, t), at.empty() ? "" : " " + at));
    ++noted;
  }
  if (skipped) d_.notes.push_back(fmt::format("... and {} more tasks.", skipped));
  // What each running loop is doing, when it is not dead.
  for (const auto& l : p_.loops) {
    if (!l.tid || deadLoopTids_.count(l.tid) || !l.stateRead) continue;
    if (const Thread* th = threadOf(p_, l.tid); th && !th->frames.empty() &&
        th->frames.back().location.file.find("/selectors.py") == std::string::npos) {
      // The loop's thread is not waiting in the selector: a callback or coroutine runs (or blocks).
      if (blockedLoopTids_.count(l.tid) || blockedThreads_.count(l.tid)) {
        d_.notes.push_back(fmt::format("The event loop in {} cannot run: its thread is blocked inside a coroutine or "
                                       "callback ({} ready callback{}).",
                                       threadLabel(snap_, p_, l.tid), l.readyCallbacks, l.readyCallbacks == 1 ? " waits" : "s wait"));
        continue;
      }
    }
    size_t pending = 0;
    for (const auto& t : p_.tasks) pending += t.loop == l.address && isPending(t);
    std::vector<std::string> parts;
    if (l.readyCallbacks) parts.push_back(fmt::format("{} ready callback{}", l.readyCallbacks, l.readyCallbacks == 1 ? "" : "s"));
    if (l.timers) {
      std::string next = l.nextTimerIn ? fmt::format(", the next in {}", fmtSeconds(*l.nextTimerIn)) : "";
      parts.push_back(fmt::format("{} timer{}{}", l.timers, l.timers == 1 ? "" : "s", next));
    }
    std::vector<std::string> fds;
    for (const auto& fd : l.fds) {
      if (!fd.wakeup) fds.push_back(fmt::format("fd {} ({})", fd.fd, fd.what));
    }
    if (!fds.empty()) parts.push_back(fmt::format("I/O on {}", fmt::join(fds, ", ")));
    d_.notes.push_back(fmt::format("The event loop in {} has {} pending task{}{}{}.", threadLabel(snap_, p_, l.tid), pending,
                                   pending == 1 ? "" : "s", parts.empty() ? "" : "; it waits for ",
                                   fmt::join(parts, "; ")));
  }
}

}  // namespace pyhang::tasks
