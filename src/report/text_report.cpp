#include "report/text_report.h"

#include <fmt/format.h>

#include <map>

namespace pyhang {

namespace {

void renderVariables(std::ostream& out, const char* title, const std::vector<Variable>& vars) {
  if (vars.empty()) return;
  out << "      " << title << ":\n";
  for (const auto& v : vars) out << "        " << v.name << ": " << v.repr << "\n";
}

std::string threadHeader(const Thread& t) {
  std::string s = fmt::format("Traceback for thread {}", t.tid);
  if (!t.name.empty()) s += fmt::format(" ({})", t.name);
  if (t.isMain && t.name != "MainThread") s += " [Main thread]";
  if (t.holdsGil) s += " [Has the GIL]";
  if (t.waitingForGil) s += " [Waiting for the GIL]";
  if (t.gcCollecting) s += " [Garbage collecting]";
  return s + " (most recent call last):";
}

}  // namespace

void renderText(const Snapshot& snap, const RenderOptions& opts, std::ostream& out) {
  std::map<std::tuple<int64_t, int64_t, size_t>, std::vector<std::string>> notes;
  for (const auto& a : snap.diagnosis.annotations) notes[{a.pid, a.tid, a.frameIndex}].push_back(a.text);

  bool firstProcess = true;
  for (const auto& p : snap.processes) {
    if (!firstProcess) out << "\n";
    firstProcess = false;
    out << fmt::format("Process {}", p.pid);
    if (!p.name.empty()) out << fmt::format(" [{}]", p.name);
    if (!p.commandLine.empty()) out << ": " << p.commandLine;
    out << "\n";
    if (!p.isPython) {
      if (p.kernelState == 'Z' || p.kernelState == 'X') {
        out << "Not running: it has exited and is a zombie waiting to be reaped by its parent "
            << fmt::format("(pid {})\n\n", p.ppid);
        continue;
      }
      out << fmt::format("Not a Python process; what the kernel says about its threads (parent pid {}):\n", p.ppid);
      for (const auto& t : p.threads) {
        out << fmt::format("    Thread {} ({}): state {}{}\n", t.tid, t.name, t.kernelState,
                           t.wchan.empty() || t.wchan == "0" ? "" : ", waiting in " + t.wchan);
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
    if (opts.verbose && p.source == "live") out << fmt::format("The process was stopped for {:.3f} ms\n", p.stopMilliseconds);
    for (const auto& w : p.warnings) out << "WARNING: " << w << "\n";
    out << "\n";
    for (const auto& t : p.threads) {
      out << threadHeader(t) << "\n";
      for (const auto& w : t.warnings) out << "    WARNING: " << w << "\n";
      bool anyPython = false;
      for (size_t i = 0; i < t.frames.size(); ++i) {
        const Frame& f = t.frames[i];
        if (f.kind == Frame::Kind::kMarker) {
          out << fmt::format("    <{}: the frames below were called by it>\n", f.marker);
          continue;
        }
        if (f.kind == Frame::Kind::kNative) {
          out << fmt::format("    (C) File \"{}\", line {}, in {} ({})\n", f.location.file, f.location.line,
                             f.location.function, f.library);
          continue;
        }
        anyPython = true;
        if (!f.marker.empty()) {
          out << fmt::format("    (Python) <unreadable frame: {}>\n", f.marker);
          continue;
        }
        out << fmt::format("    (Python) File \"{}\", line {}, in {}\n", f.location.file, f.location.line,
                           f.location.function);
        if (!f.sourceLine.empty()) out << "        " << f.sourceLine << "\n";
        auto it = notes.find({p.pid, t.tid, i});
        if (it != notes.end()) {
          for (const auto& n : it->second) out << "        >>> " << n << "\n";
        }
        if (opts.locals) {
          renderVariables(out, "Arguments", f.arguments);
          renderVariables(out, "Locals", f.locals);
        }
      }
      if (!anyPython) out << "    (no Python frames)\n";
      out << "\n";
    }
  }
  for (const auto& w : snap.warnings) out << "WARNING: " << w << "\n";
  if (!opts.analysis || !snap.diagnosis.ran) return;
  const Diagnosis& d = snap.diagnosis;
  for (const auto& f : d.findings) {
    for (const auto& line : f.lines) out << line << "\n";
    out << "\n";
  }
  for (const auto& n : d.notes) out << n << "\n";
  if (!d.notes.empty()) out << "\n";
  out << d.verdictLine << "\n";
}

}  // namespace pyhang
