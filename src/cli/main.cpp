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
#include "cli/exit_codes.h"
#include "common/heap.h"
#include "process/thread_stopper.h"
#include "report/json_report.h"
#include "report/terminal_text.h"
#include "report/text_report.h"
#include "session/inspector.h"
#include "session/second_look.h"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pyhang: shows what every thread of a hung Python program is doing, and why it is stuck.\n"
               "It reads the target's memory without running code in it (CPython 3.6-3.15, x86_64 Linux)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pyhang 0.1.0"));

  RenderOptions render;
  InspectOptions inspect;
  bool json = false;
  bool noAnalysis = false;
  std::vector<pid_t> pids;
  std::vector<std::string> corePaths;
  std::string executable;

  auto addCommon = [&](CLI::App* sub) {
    sub->add_flag("--locals", render.locals, "Show each frame's arguments and local variables");
    sub->add_flag("--json", json, "Print the report as JSON (schema: docs/json-schema.md)");
    sub->add_flag("--no-analysis", noAnalysis, "Print the stacks only, without the deadlock diagnosis");
    sub->add_flag("-v,--verbose", render.verbose, "Say more: how long the target was stopped, warnings");
    // --- native stacks (issue 4) ---
    auto* n = sub->add_flag_callback("--native", [&] { inspect.nativeMode = native::NativeMode::kNative; },
                                     "Show each thread's native (C) stack with the Python frames merged in, "
                                     "hiding CPython's own evaluation frames");
    auto* a = sub->add_flag_callback("--native-all", [&] { inspect.nativeMode = native::NativeMode::kAll; },
                                     "Like --native, but show every native frame");
    auto* l = sub->add_flag_callback("--native-last", [&] { inspect.nativeMode = native::NativeMode::kLast; },
                                     "Show the Python frames and only the native frames below the innermost one");
    n->excludes(a)->excludes(l);
    a->excludes(l);
    // --- end native stacks ---
  };
  auto* remote = app.add_subcommand("remote", "Inspect a running process (attaches with ptrace, read-only)");
  remote->add_option("pid", pids, "Process id(s): several are analysed together")
      ->required()
      ->check([](const std::string& s) -> std::string {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
          return "a process id is a number, not '" + s + "'";
        }
        return "";
      });
  remote->add_flag("--children", inspect.children, "Also inspect every descendant process (multiprocessing, subprocess)");
  remote->add_flag("--no-block", [&](int64_t) { inspect.blocking = false; },
                   "Do not stop the threads while reading (faster, but the snapshot may be inconsistent)");
  addCommon(remote);
  auto* core = app.add_subcommand("core", "Inspect a core dump (gcore, kernel, or .zst/.lz4/.xz/.gz compressed)");
  core->add_option("core", corePaths, "Core file(s) (several are analysed together)")->required();
  core->add_option("--executable", executable, "The executable that produced the core, if it moved");
  core->add_option("--lib-search-path", inspect.core.libSearchPaths,
                   "Directory where the core's libraries can be found by file name (repeatable)");
  core->add_option("--lib-search-root", inspect.core.libSearchRoot,
                   "Prefix for the absolute paths recorded in the core (a container's or another machine's root)");
  addCommon(core);
  app.footer(
      "Exit status: 0 no deadlock found, 1 deadlock found, 2 usage error, 3 no such process, 4 permission "
      "denied, 5 not a Python process, 6 unsupported Python, 7 process exited while read, 8 bad core file, "
      "10 internal error, 11 could not write the report.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  render.analysis = !noAnalysis;
  inspect.renderLocals = render.locals;
  inspect.core.executable = executable;
  if (!standardDescriptorsReady()) {
    return failWith("standard output is closed: there is nowhere to write the report",
                    "hint: redirect the output to a file, or to /dev/null to test", kExitWriteFailed);
  }
  installDetachOnSignal();
  preferHugePagesForHeap();

  const bool isCore = core->parsed();
  // `pyhang core CORE EXECUTABLE`: a second positional that is an executable, not a core.
  if (isCore && corePaths.size() == 2 && executable.empty() && access(corePaths[1].c_str(), X_OK) == 0) {
    executable = corePaths[1];
    corePaths.pop_back();
    inspect.core.executable = executable;
  }
  Result<Snapshot> result = isCore ? inspectCores(corePaths, inspect) : inspectLive(pids, inspect);
  if (!result) {
    const Error& e = result.error();
    return failWith(e.message, e.hint.empty() ? hintFor(e, isCore) : e.hint, exitCodeFor(e, isCore));
  }
  Snapshot snapshot = std::move(*result);
  if (render.analysis) {
    analyze(snapshot);
    // Live: a finding stands only if its threads are still blocked a moment later.
    if (!isCore) secondLook(snapshot);
    confirmFindings(snapshot);
  }
  native::mergeNativeStacks(snapshot, inspect.nativeMode);  // issue 4: after the analysis, which reads Python frames
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
