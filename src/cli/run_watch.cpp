#include "cli/run_watch.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "cli/errors.h"
#include "cli/exit_codes.h"
#include "process/live_process.h"
#include "process/tree_activity.h"
#include "report/terminal_text.h"
#include "session/diagnosis_pipeline.h"
#include "watch/command_runner.h"
#include "watch/hang_report.h"
#include "watch/hang_watcher.h"

namespace pyhang::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After an inspection: the stopped threads restart their system calls at once; this is more than
// enough for that to be over before the next sample.
constexpr milliseconds kSettle{50};
// How often `run` looks whether the command has exited.
constexpr milliseconds kReapPoll{50};

WatchOptions watchOptionsFrom(const Settings& s) {
  WatchOptions w;
  w.interval = milliseconds(static_cast<int64_t>(s.intervalSeconds * 1000));
  if (!s.idle.empty()) w.idle = parseDuration(s.idle);
  if (!s.timeout.empty()) w.timeout = parseDuration(s.timeout);
  return w;
}

WatchProbes probesFor(pid_t root, bool descendants, const InspectOptions& inspect) {
  WatchProbes probes;
  probes.sample = [root, descendants] { return sampleTree(root, descendants); };
  probes.inspect = [root, inspect] { return diagnoseLive({root}, inspect, true); };
  probes.settle = [] { std::this_thread::sleep_for(kSettle); };
  return probes;
}

void say(const std::string& line) { writeAll(2, line + "\n"); }

}  // namespace

int runCommand(const Settings& s) {
  WatchOptions options = watchOptionsFrom(s);
  InspectOptions inspect = s.inspect;
  inspect.children = true;  // the whole tree counts
  inspect.anyRoot = true;   // the command may be a shell that runs Python
  RenderOptions plain = s.render;
  plain.color = false;
  RenderOptions terminal = s.render;
  terminal.color = colorWanted(s.color, 2);

  CommandRunner runner;
  CommandRunner::Started started = runner.start(s.command);
  if (started.pid == 0) {
    bool missing = started.error == ENOENT;
    return failWith(
        fmt::format("cannot run '{}': {}", s.command.front(), std::strerror(started.error)),
        missing ? "hint: check the command's name and PATH"
                : "hint: check that the file is an executable",
        missing ? kExitCommandNotFound : kExitCannotRun);
  }
  runner.forwardSignals();
  HangWatcher watcher(options, probesFor(started.pid, true, inspect), Clock::now());
  ReportDirectory reports(s.outputDir);
  bool warned = false;
  Clock::time_point nextCheck = Clock::now() + options.interval;
  while (true) {
    if (auto status = runner.poll()) return *status;
    // A signal forwarded: the command is being stopped; pyhang waits for it and reports nothing.
    if (CommandRunner::forwardedSignal() != 0) return runner.wait();
    Clock::time_point now = Clock::now();
    if (now < nextCheck) {
      std::this_thread::sleep_for(std::min<Clock::duration>(kReapPoll, nextCheck - now));
      continue;
    }
    auto checked = watcher.check(now);
    nextCheck = Clock::now() + options.interval;
    if (CommandRunner::forwardedSignal() != 0) continue;
    if (!checked) {
      if (!warned)
        say("pyhang: cannot inspect the command's processes: " +
            escapeForTerminal(checked.error().message));
      warned = true;
      continue;
    }
    if (!*checked) continue;
    const Hang& hang = **checked;
    std::string headline = hangHeadline(hang, options) + "\n" + runningTestLines(hang.snapshot);
    std::string text = headline + "\n" + renderReport(hang.snapshot, plain, false);
    auto written = reports.write(text, withHang(renderReport(hang.snapshot, plain, true), hang));
    writeAll(2, (terminal.color ? headline + "\n" + renderReport(hang.snapshot, terminal, false)
                                : text));
    if (written) {
      say(fmt::format("pyhang: report written to {} and {}.json", *written,
                      written->substr(0, written->size() - 4)));
    } else {
      say("pyhang: " + written.error().message);
    }
    if (s.onHang == "kill") {
      runner.killTree();
      say(fmt::format("pyhang: killed the command's processes; exit status {}",
                      int(kExitHangNotWaited)));
      return kExitHangNotWaited;
    }
    if (s.onHang == "leave") {
      say(fmt::format("pyhang: leaving the command running (pid {}); exit status {}", started.pid,
                      int(kExitHangNotWaited)));
      return kExitHangNotWaited;
    }
  }
}

int watchProcess(const Settings& s) {
  pid_t pid = s.pids.front();
  if (!processHasLiveThread(pid)) {
    return failWith(fmt::format("no such process: {}", pid), "hint: check the pid with ps",
                    kExitNoSuchProcess);
  }
  WatchOptions options = watchOptionsFrom(s);
  InspectOptions inspect = s.inspect;
  inspect.anyRoot = inspect.children;  // with its children, the process may be a shell
  RenderOptions render = s.render;
  render.color = !s.json && colorWanted(s.color, 1);
  HangWatcher watcher(options, probesFor(pid, inspect.children, inspect), Clock::now());
  while (true) {
    auto checked = watcher.check(Clock::now());
    if (watcher.gone()) {
      say(fmt::format("pyhang: process {} exited", pid));
      return kExitNoDeadlock;
    }
    if (!checked) return failWith(checked.error(), false);
    if (*checked) {
      const Hang& hang = **checked;
      std::string headline = hangHeadline(hang, options) + "\n" + runningTestLines(hang.snapshot);
      std::string report = renderReport(hang.snapshot, render, s.json);
      if (s.json) report = withHang(report, hang);
      bool ok = s.json ? writeAll(2, headline) && writeAll(1, report)
                       : writeAll(1, headline + "\n" + report + "\n");
      if (!ok) {
        if (errno == EPIPE) return kExitWriteFailed;
        return failWith(
            fmt::format("could not write the report to standard output: {}", std::strerror(errno)),
            "hint: check the disk or file the output goes to (or send it elsewhere)",
            kExitWriteFailed);
      }
      if (s.once) return hang.kind == HangKind::kDeadlock ? kExitDeadlock : kExitNoDeadlock;
    }
    std::this_thread::sleep_for(options.interval);
  }
}

}  // namespace pyhang::cli
