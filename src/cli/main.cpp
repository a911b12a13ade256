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

#include "cli/command_line.h"
#include "cli/errors.h"
#include "cli/exit_codes.h"
#include "cli/run_watch.h"
#include "cli/version.h"
#include "common/heap.h"
#include "process/thread_stopper.h"
#include "session/diagnosis_pipeline.h"

namespace {

using namespace pyhang;
using cli::failWith;

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
  CLI::App app{cli::kDescription};
  app.set_version_flag("--version", std::string("pyhang ") + kPyhangVersion);
  cli::Settings settings;
  cli::define(app, settings);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto problem = cli::normalize(app, args)) {
    // `pyhang` alone: the usage between the error and its hint.
    std::string hint = problem->hint;
    if (args.empty()) {
      hint = fmt::format("Usage: {}\n       {}\n       {}\n       {}\n{}", cli::kUsageRemote, cli::kUsageCore,
                         cli::kUsageRun, cli::kUsageWatch, hint);
    }
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
  render.color = !json && cli::colorWanted(settings.color, 1);
  render.analysis = !noAnalysis;
  inspect.renderLocals = render.locals;
  inspect.core.executable = executable;
  if (!standardDescriptorsReady()) {
    return failWith("standard output is closed: there is nowhere to write the report",
                    "hint: redirect the output to a file, or to /dev/null to test", kExitWriteFailed);
  }
  installDetachOnSignal();
  preferHugePagesForHeap();
  if (settings.run->parsed()) return cli::runCommand(settings);
  if (settings.watch->parsed()) return cli::watchProcess(settings);

  const bool isCore = settings.core->parsed();
  // `pyhang core CORE [CORE...] EXECUTABLE`: a last positional that is an executable, not a core
  // (cores are not executable files).
  if (isCore && corePaths.size() >= 2 && executable.empty() && access(corePaths.back().c_str(), X_OK) == 0) {
    executable = corePaths.back();
    corePaths.pop_back();
    inspect.core.executable = executable;
  }
  Result<Snapshot> result = isCore ? diagnoseCores(corePaths, inspect, render.analysis)
                                   : diagnoseLive(settings.pids, inspect, render.analysis);
  if (!result) return failWith(result.error(), isCore);
  const Snapshot& snapshot = *result;
  // Every target thread runs again by now: the report is rendered whole, then written, so that a
  // write error is seen (and reported) exactly.
  std::string report = renderReport(snapshot, render, json);
  int code = render.analysis && snapshot.diagnosis.verdict == "deadlock" ? kExitDeadlock : kExitNoDeadlock;
  code = writeReport(report, code);
  // Leave without freeing the snapshot's many small allocations one by one (a twentieth of a run
  // on a large program).
  std::fflush(nullptr);
  std::_Exit(code);
}
