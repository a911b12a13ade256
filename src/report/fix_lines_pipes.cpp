// Fix lines for full pipes and read cycles (see fix_lines_internal.h).
#include "report/fix_lines_internal.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/object_state.h"

namespace pyhang::fix_lines_internal {

// The program's frame that awaits asyncio's Process.wait() in a task of a process of the finding.
const SourceLocation* aioProcWaitCaller(const Snapshot& s, const Finding& f) {
  for (const auto& p : s.processes) {
    bool inFinding = std::any_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
      return part.pid == p.pid;
    });
    if (!inFinding) continue;
    for (const auto& task : p.tasks) {
      for (size_t k = 1; k < task.frames.size(); ++k) {
        if (task.frames[k].location.function == "wait" && task.frames[k].location.file.ends_with("/asyncio/subprocess.py")) {
          return &task.frames[k - 1].location;
        }
      }
    }
  }
  return nullptr;
}

// The program's frame that awaits a read of an asyncio stream (StreamReader.read(), readline()...)
// in a task of the loop run by thread `tid`.
static const SourceLocation* aioStreamReadCaller(const Process& p, int64_t tid) {
  const EventLoop* loop = nullptr;
  for (const auto& l : p.loops) {
    if (l.tid == tid) loop = &l;
  }
  if (!loop) return nullptr;
  for (const auto& task : p.tasks) {
    if (task.loop && task.loop != loop->address) continue;
    for (size_t k = 1; k < task.frames.size(); ++k) {
      if (task.frames[k].location.file.ends_with("/asyncio/streams.py") &&
          !task.frames[k - 1].location.file.ends_with("/asyncio/streams.py")) {
        return &task.frames[k - 1].location;
      }
    }
  }
  return nullptr;
}

// A read cycle closed by a lock: the reader holds what the writer must take before it writes.
std::string readCycleFix(const Snapshot& s, const Finding& f) {
  for (const auto& reader : f.participants) {
    if (!reader.waitsFor || reader.waitsFor->op != WaitOp::kPipeRead) continue;
    for (const auto& [h, since] : reader.holds) {
      for (const auto& writer : f.participants) {
        if (&writer == &reader || !writer.waitsFor || writer.waitsFor->op == WaitOp::kPipeRead ||
            !h.object || writer.waitsFor->object != h.object) {
          continue;
        }
        const std::string held = nameOf(objectOf(s, reader.pid, h.object));
        return fmt::format("{} holds {} (since {}) while it waits to read at {}, and {}, which would write, must take {} "
                           "first (at {}): release {} before waiting for input, or wait with a timeout and release it "
                           "in between.",
                           who(reader), held, place(since), place(reader.at), who(writer), held, place(writer.at), held);
      }
    }
  }
  // The lock is held by a third party of the cycle: one that waits for the reader (a parent
  // running a child that asks the parent's own server, whose handler needs the lock).
  const Participant* reader = nullptr;
  for (const auto& part : f.participants) {
    if (part.waitsFor && part.waitsFor->op == WaitOp::kPipeRead) reader = &part;
  }
  if (!reader) return "";
  for (const auto& holder : f.participants) {
    if (&holder == reader || !holder.waitsFor || holder.waitsFor->op == WaitOp::kPipeRead) continue;
    for (const auto& [h, since] : holder.holds) {
      for (const auto& needer : f.participants) {
        if (&needer == &holder || &needer == reader || !needer.waitsFor || !h.object ||
            needer.waitsFor->op != WaitOp::kAcquire || needer.waitsFor->object != h.object || needer.pid != holder.pid) {
          continue;
        }
        const std::string held = nameOf(objectOf(s, holder.pid, h.object));
        return fmt::format("{} holds {} (since {}) while it waits at {}, and {}, which would answer the read at {}, must "
                           "take {} first (at {}): release {} before that wait.",
                           who(holder), held, place(since), place(holder.at), who(needer), place(reader->at), held,
                           place(needer.at), held);
      }
    }
  }
  // A parent waiting for its children to exit (os.wait(), waitpid(), join()) before it writes
  // what they read first.
  for (const auto& parent : f.participants) {
    const Process* pp = processOf(s, parent.pid);
    if (!pp || !parent.waitsFor || parent.waitsFor->op != WaitOp::kJoin || parent.at.file.empty()) continue;
    std::vector<std::string> fds;
    for (const auto& child : f.participants) {
      const Process* cp = processOf(s, child.pid);
      const Thread* ct = threadOf(s, child);
      if (!cp || !ct || !ct->readingFromPipe || cp->ppid != parent.pid || !child.waitsFor ||
          child.waitsFor->op != WaitOp::kPipeRead) {
        continue;
      }
      if (auto end = pp->writeEnds.find(child.waitsFor->object); end != pp->writeEnds.end()) {
        fds.push_back(fmt::format("fd {}", end->second));
      }
    }
    if (fds.empty()) continue;
    if (inFunction(threadOf(s, parent), "wait", "/subprocess.py")) {
      return fmt::format("close Popen's stdin before wait() at {} (proc.stdin.close()), or use communicate(input=...), which "
                         "writes the input and closes it: the child reads its stdin to the end first.", place(parent.at));
    }
    return fmt::format("write what the child{} read{} first ({} here; close {} if {} read to the end) before waiting for "
                       "{} to exit at {}, or wait from another thread.",
                       fds.size() > 1 ? "ren" : "", fds.size() > 1 ? "" : "s", fmt::join(fds, ", "),
                       fds.size() > 1 ? "them" : "it", fds.size() > 1 ? "they" : "it", fds.size() > 1 ? "them" : "it",
                       place(parent.at));
  }
  // A task awaiting a child's output before it wrote the input the child reads first.
  for (const auto& loop : f.participants) {
    if (!loop.waitsFor || loop.waitsFor->op != WaitOp::kPipeRead || loop.waitsFor->how.rfind("asyncio", 0) != 0) continue;
    const Process* rp = processOf(s, loop.pid);
    const SourceLocation* at = rp ? aioStreamReadCaller(*rp, loop.tid) : nullptr;
    for (const auto& child : f.participants) {
      const Process* cp = processOf(s, child.pid);
      const Thread* ct = threadOf(s, child);
      // (Its stdin: before 3.12 asyncio gives a child's stdin a socket pair, not a pipe.)
      if (!at || !cp || !ct || (!ct->readingFromPipe && ct->readingFd != 0) || cp->ppid != loop.pid || !child.waitsFor ||
          child.waitsFor->op != WaitOp::kPipeRead) {
        continue;
      }
      return fmt::format("write the child's input first (proc.stdin.write(...); await proc.stdin.drain(); and close it if "
                         "{} reads to the end) before awaiting its output at {}, or use `await proc.communicate(input)`: "
                         "the child reads its stdin before it writes.",
                         cp->name.empty() ? "the child" : cp->name, place(*at));
    }
  }
  return "";
}

std::string fullPipeFix(const Snapshot& s, const Finding& f) {
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    if (inFunction(t, "_feed", "/multiprocessing/queues.py")) {
      for (const auto& joiner : f.participants) {
        if (joiner.waitsFor && joiner.waitsFor->op == WaitOp::kJoin) {
          return fmt::format("get() before join(): read every item from the multiprocessing.Queue before joining the "
                             "process at {} (a process exits only once its queued data is in the pipe).", place(joiner.at));
        }
      }
      return "get() before join(): read every item from the multiprocessing.Queue before joining the process that "
             "put it.";
    }
  }
  if (const SourceLocation* at = aioProcWaitCaller(s, f)) {
    return fmt::format("use `await proc.communicate()` instead of `await proc.wait()` at {}: with stdout=PIPE or stderr=PIPE, "
                       "communicate() reads the pipes while it waits.", place(*at));
  }
  // A parent writing a child's stdin while the child writes a stdout (or stderr) nobody reads.
  for (const auto& parent : f.participants) {
    if (!parent.waitsFor || parent.waitsFor->op != WaitOp::kPipeWrite || parent.at.file.empty()) continue;
    for (const auto& child : f.participants) {
      const Process* cp = processOf(s, child.pid);
      if (!cp || cp->ppid != parent.pid || !child.waitsFor || child.waitsFor->op != WaitOp::kPipeWrite) continue;
      return fmt::format("use communicate(input=...) instead of writing the child's stdin at {}: it writes the input and "
                         "reads the output together (or write stdin from another thread).", place(parent.at));
    }
  }
  // A parent reading one of a child's pipes to its end (stdout) while the child, or a process it
  // started, fills another one (stderr) that only the parent could read. With asyncio the other
  // pipe's stream stopped reading when its buffer filled: the task's await names the place.
  for (const auto& reader : f.participants) {
    const Process* rp = processOf(s, reader.pid);
    if (!rp || !reader.waitsFor || reader.waitsFor->op != WaitOp::kPipeRead || reader.waitsFor->how.rfind("asyncio", 0) != 0) continue;
    const SourceLocation* at = aioStreamReadCaller(*rp, reader.tid);
    if (!at) continue;
    for (const auto& writer : f.participants) {
      if (writer.pid == reader.pid || !writer.waitsFor || writer.waitsFor->op != WaitOp::kPipeWrite) continue;
      auto other = rp->pipeReadEnds.find(writer.waitsFor->object);
      if (other == rp->pipeReadEnds.end()) continue;
      return fmt::format("use `await proc.communicate()` instead of reading one of the child's pipes to its end at {}: "
                         "asyncio stops reading the other pipe's stream once its buffer holds twice the stream's limit (128 "
                         "KiB by default), and then that pipe (fd {} here) fills and the child waits.", place(*at), other->second);
    }
  }
  for (const auto& reader : f.participants) {
    const Process* rp = processOf(s, reader.pid);
    if (!rp || !rp->isPython || !reader.waitsFor || reader.waitsFor->op != WaitOp::kPipeRead || reader.at.file.empty()) continue;
    for (const auto& writer : f.participants) {
      if (writer.pid == reader.pid || !writer.waitsFor || writer.waitsFor->op != WaitOp::kPipeWrite) continue;
      auto other = rp->pipeReadEnds.find(writer.waitsFor->object);
      if (other == rp->pipeReadEnds.end()) continue;
      return fmt::format("read the child's pipes together, with communicate() (or one of them in another thread), "
                         "instead of reading one to its end at {}: meanwhile its other pipe (fd {} here) fills and "
                         "nobody reads it.", place(reader.at), other->second);
    }
  }
  for (const auto& part : f.participants) {
    const Thread* t = threadOf(s, part);
    if (part.waitsFor && part.waitsFor->op == WaitOp::kJoin && inFunction(t, "wait", "/subprocess.py")) {
      return fmt::format("use communicate() instead of wait() at {}: with stdout=PIPE or stderr=PIPE, communicate() reads "
                         "the pipes while it waits.", place(part.at));
    }
  }
  const bool sockets = std::all_of(f.participants.begin(), f.participants.end(), [&](const Participant& part) {
    const Thread* t = threadOf(s, part);
    return !part.waitsFor || part.waitsFor->op != WaitOp::kPipeWrite || (t && t->writingSocket);
  });
  if (sockets) {
    return "read the socket in another thread (or with select, or non-blocking) while sending, so that the other "
           "side's send can finish.";
  }
  return "read the pipe in another thread (or with select) while waiting, so that the writer can finish.";
}

}  // namespace pyhang::fix_lines_internal
