// pyhang's command line, defined once: the program parses with it, and the build generates the
// man page and the shell completions from the same definition (src/cli/docgen_main.cpp), so the
// three cannot drift apart.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "report/options.h"
#include "session/inspector.h"

namespace pyhang::cli {

struct Settings {
  RenderOptions render;
  InspectOptions inspect;
  bool json = false;
  bool noAnalysis = false;
  std::string color = "auto";
  std::vector<pid_t> pids;
  std::vector<std::string> corePaths;
  std::string executable;
  // run and watch
  std::vector<std::string> command;   // run: the command and its arguments
  std::string outputDir;              // run --output
  std::string onHang = "wait";        // run --on-hang: wait, kill or leave
  double intervalSeconds = 1.0;       // --interval
  std::string idle;                   // --idle DURATION ("" when not given)
  std::string timeout;                // run --timeout DURATION
  bool once = false;                  // watch --once
  CLI::App* remote = nullptr;
  CLI::App* core = nullptr;
  CLI::App* run = nullptr;
  CLI::App* watch = nullptr;
};

// A duration as the options take it: a number with an optional unit, ms, s, m or h ("1.5",
// "500ms", "2m"); nullopt when it is not one (or negative).
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);

// --color=auto: colour only for a terminal on `fd`, and not when NO_COLOR is set (any non-empty
// value, https://no-color.org) or TERM=dumb.
bool colorWanted(const std::string& when, int fd);

// What pyhang is, for --help and the man page.
extern const char* const kDescription;

// The usage lines: `pyhang` alone prints them, and they head the man page's synopsis.
extern const char* const kUsageRemote;  // "pyhang remote PID [PID...] [OPTIONS]"
extern const char* const kUsageCore;    // "pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]"
extern const char* const kUsageRun;     // "pyhang run [OPTIONS] -- COMMAND [ARGS...]"
extern const char* const kUsageWatch;   // "pyhang watch PID [OPTIONS]"
// The usage line of a subcommand by its name.
const char* usageOf(const std::string& subcommand);

// The examples and the exit statuses, for --help's end and the man page.
struct Example {
  const char* command;
  const char* meaning;
};
const std::vector<Example>& examples();
struct ExitStatus {
  int code;
  const char* meaning;
};
const std::vector<ExitStatus>& exitStatuses();

// Adds the subcommands and options to app, bound to settings (which must outlive app).
void define(CLI::App& app, Settings& settings);

// A mistake CLI11 would report badly, found before it parses: no subcommand, an unknown
// subcommand or option (with the closest known one), with the hint that fixes it.
struct UsageProblem {
  std::string message;  // without the "pyhang: " prefix
  std::string hint;     // a whole "hint: ..." line
};

// Checks args (argv without argv[0]) against app's definition and moves options given before
// the subcommand after it (`pyhang --json remote 42` is `pyhang remote 42 --json`).
std::optional<UsageProblem> normalize(const CLI::App& app, std::vector<std::string>& args);

// The known word closest to word (a typo of at most a third of its letters), or "".
std::string closestWord(const std::string& word, const std::vector<std::string>& known);

// A CLI11 parse error as one "pyhang:" line and a hint.
UsageProblem describe(const CLI::ParseError& e, const CLI::App& app);

}  // namespace pyhang::cli
