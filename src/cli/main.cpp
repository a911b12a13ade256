// pyhang: why is this Python program stuck? The front door: parse options, build a snapshot,
// analyse it, render it, map the outcome to an exit code.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "analysis/confirmation.h"
#include "analysis/deadlock_analysis.h"
#include "analysis/wake_sites.h"
#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "cli/version.h"
#include "common/heap.h"
#include "process/thread_stopper.h"
#include "report/json_report.h"
#include "report/terminal_text.h"
#include "report/text_report.h"
#include "session/gil_waits.h"
#include "session/inspector.h"
#include "session/second_look.h"
#include "session/source_access.h"

namespace {

using namespace pyhang;

int exitCodeFor(const Error& e, bool core) {
  switch (e.kind) {
    case ErrorKind::kPermission: return kExitPermission;
    case ErrorKind::kNotFound: return kExitNotPython;
    case ErrorKind::kUnsupported: return kExitUnsupported;
    case ErrorKind::kProcessGone: return e.message.find("exited while") != std::string::npos ? kExitProcessGone : kExitNoSuchProcess;
    case ErrorKind::kIo:
    case ErrorKind::kImplausible:
    case ErrorKind::kShortRead:
    case ErrorKind::kUnmapped: return core ? kExitBadCore : kExitInternal;
  }
  return kExitInternal;
}

std::string hintFor(const Error& e, bool core) {
  switch (e.kind) {
    case ErrorKind::kPermission:
      // As root, a refusal is no missing privilege: the error says what it is (and brings its hint).
      return geteuid() == 0 ? "hint: check kernel.yama.ptrace_scope, other tracers (TracerPid in /proc/PID/status) and "
                              "security modules; --no-block reads without attaching"
                            : "hint: run pyhang as root (sudo) or grant it CAP_SYS_PTRACE";
    case ErrorKind::kNotFound:
      return core ? "hint: pass the executable (pyhang core CORE EXECUTABLE) or --lib-search-root if files moved"
                  : "hint: pass the pid of the python process itself (see: ps -ef | grep python)";
    case ErrorKind::kUnsupported: return "hint: pyhang reads CPython 3.6 to 3.15 (default, GIL builds) on x86_64 Linux";
    case ErrorKind::kProcessGone: return "hint: check the pid with ps; a process that exits cannot be inspected, take a core (gcore) next time";
    default: return core ? "hint: check that the file is a complete ELF core dump" : "hint: run with -v and report the problem";
  }
}

// An error before any report: the message may quote the target's paths and names.
int failWith(const std::string& message, const std::string& hint, int code) {
  std::cerr << "pyhang: " << escapeForTerminal(message) << "\n" << hint << "\n";
  std::cerr.flush();
  return code;
}

// The standard descriptors must exist before anything is opened: a file pyhang opens would
// otherwise become fd 1 or 2, and the report or an error would be written into it.
bool standardDescriptorsReady() {
  for (int fd : {0, 2}) {
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {  // it took a lower free descriptor (a closed stdout): move it
        dup2(null, fd);
        close(null);
      }
    }
  }
  return !(fcntl(1, F_GETFD) < 0 && errno == EBADF);
}

// Writes the whole report to fd 1. A reader that went away (EPIPE, `| head`) is no reason for a
// message, but the report was not written: both give kExitWriteFailed.
int writeReport(const std::string& text, int code) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(1, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    int err = n < 0 ? errno : EIO;
    if (err == EPIPE) return kExitWriteFailed;
    return failWith(fmt::format("could not write the report to standard output: {}", std::strerror(err)),
                    "hint: check the disk or file the output goes to (or send it elsewhere)", kExitWriteFailed);
  }
  return code;
}

// --color=auto: colour only for a terminal, and not when NO_COLOR is set (https://no-color.org:
// any non-empty value) or the terminal says it cannot show it.
bool colorWanted(const std::string& when) {
  if (when == "always") return true;
  if (when == "never") return false;
  const char* noColor = std::getenv("NO_COLOR");
  if (noColor && *noColor) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return isatty(1) == 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{cli::kDescription};
  app.set_version_flag("--version", std::string("pyhang ") + kPyhangVersion);
  cli::Settings settings;
  cli::define(app, settings);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto problem = cli::normalize(app, args)) {
    // `pyhang` alone: the usage between the error and its hint.
    std::string hint = problem->hint;
    if (args.empty()) hint = fmt::format("Usage: {}\n       {}\n{}", cli::kUsageRemote, cli::kUsageCore, hint);
    return failWith(problem->message, hint, kExitUsage);
  }
  try {
    // CLI11 takes the arguments last first.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    cli::UsageProblem problem = cli::describe(e, app);
    return failWith(problem.message, problem.hint, kExitUsage);
  }
  RenderOptions& render = settings.render;
  InspectOptions& inspect = settings.inspect;
  const bool json = settings.json;
  const bool noAnalysis = settings.noAnalysis;
  std::vector<std::string>& corePaths = settings.corePaths;
  std::string& executable = settings.executable;
  render.color = !json && colorWanted(settings.color);
  render.analysis = !noAnalysis;
  inspect.renderLocals = render.locals;
  inspect.core.executable = executable;
  if (!standardDescriptorsReady()) {
    return failWith("standard output is closed: there is nowhere to write the report",
                    "hint: redirect the output to a file, or to /dev/null to test", kExitWriteFailed);
  }
  installDetachOnSignal();
  preferHugePagesForHeap();

  const bool isCore = settings.core->parsed();
  // `pyhang core CORE [CORE...] EXECUTABLE`: a last positional that is an executable, not a core
  // (cores are not executable files).
  if (isCore && corePaths.size() >= 2 && executable.empty() && access(corePaths.back().c_str(), X_OK) == 0) {
    executable = corePaths.back();
    corePaths.pop_back();
    inspect.core.executable = executable;
  }
  Result<Snapshot> result = isCore ? inspectCores(corePaths, inspect) : inspectLive(settings.pids, inspect);
  if (!result) {
    const Error& e = result.error();
    return failWith(e.message, e.hint.empty() ? hintFor(e, isCore) : e.hint, exitCodeFor(e, isCore));
  }
  Snapshot snapshot = std::move(*result);
  if (render.analysis) {
    analyze(snapshot);
    // Live: a finding stands only if its threads are still blocked a moment later.
    if (!isCore) secondLook(snapshot);
    // A core: a thread its Python frame shows in a lock's acquire may be waiting for the GIL
    // instead, woken with the lock: its native stack says so.
    if (isCore && lookForGilWaitsInCores(snapshot, inspect)) analyze(snapshot);
    confirmFindings(snapshot);
    attachWakeSites(snapshot, sourceLinesFor(inspect, isCore));
  }
  native::mergeNativeStacks(snapshot, inspect.nativeMode);  // after the analysis, which reads Python frames
  // Every target thread runs again by now: the report is rendered whole, then written, so that a
  // write error is seen (and reported) exactly.
  std::ostringstream report;
  if (json) {
    renderJson(snapshot, render, report);
  } else {
    renderText(snapshot, render, report);
  }
  int code = render.analysis && snapshot.diagnosis.verdict == "deadlock" ? kExitDeadlock : kExitNoDeadlock;
  code = writeReport(report.str(), code);
  // Leave without freeing the snapshot's many small allocations one by one (a twentieth of a run
  // on a large program).
  std::fflush(nullptr);
  std::_Exit(code);
}
