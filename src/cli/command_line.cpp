#include "cli/command_line.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace pyhang::cli {

const char* const kDescription =
    "pyhang shows what every thread of a hung Python program is doing, and why it is stuck.\n"
    "It reads the target's memory without running code in it (CPython 3.6-3.15, x86_64 Linux).";
const char* const kUsageRemote = "pyhang remote PID [PID...] [OPTIONS]";
const char* const kUsageCore = "pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]";
const char* const kUsageRun = "pyhang run [OPTIONS] -- COMMAND [ARGS...]";
const char* const kUsageWatch = "pyhang watch PID [OPTIONS]";

const char* usageOf(const std::string& subcommand) {
  if (subcommand == "core") return kUsageCore;
  if (subcommand == "run") return kUsageRun;
  if (subcommand == "watch") return kUsageWatch;
  return kUsageRemote;
}

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text) {
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end);
  double factor = unit == "ms" ? 1 : unit == "" || unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000 : -1;
  if (factor < 0 || !std::isfinite(value) || value < 0 || value * factor > 1e12) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(value * factor)));
}

bool colorWanted(const std::string& when, int fd) {
  if (when == "always") return true;
  if (when == "never") return false;
  const char* noColor = std::getenv("NO_COLOR");
  if (noColor && *noColor) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return isatty(fd) == 1;
}

const std::vector<Example>& examples() {
  static const std::vector<Example> list = {
      {"sudo pyhang remote 4242", "why is process 4242 stuck?"},
      {"sudo pyhang remote --children --native 4242", "the same, with its child processes and the C stacks"},
      {"pyhang core core.4242 /usr/bin/python3 --json", "read a core dump, and print the report as JSON"},
      {"pyhang run --idle 5m --on-hang kill -- python3 -m pytest",
       "run the tests; if they deadlock or sit idle for 5 minutes, write the report and kill them"},
      {"sudo pyhang watch --children --once 4242", "wait until process 4242 (or a child) gets stuck, then report"},
  };
  return list;
}

const std::vector<ExitStatus>& exitStatuses() {
  static const std::vector<ExitStatus> list = {
      {0, "no deadlock found (the report is printed; also with --no-analysis)"},
      {1, "deadlock found (the report is printed)"},
      {2, "usage error"},
      {3, "no such process (or it is a zombie)"},
      {4, "permission denied (ptrace or memory access refused)"},
      {5, "not a Python process (no CPython runtime found)"},
      {6, "unsupported Python (a version or build pyhang cannot read)"},
      {7, "process exited while read"},
      {8, "bad core file (unreadable, not a core, or too damaged)"},
      {10, "internal error"},
      {11, "could not write the report"},
      {124, "run: a hang was reported and the command was killed or left running (--on-hang kill, leave); "
            "otherwise run returns the command's own status (128+N when signal N killed it)"},
      {126, "run: the command could not be started"},
      {127, "run: the command was not found"},
  };
  return list;
}

namespace {

// --help shows our usage lines: CLI11's own would read `core [OPTIONS] core...` and hide that a
// last argument may be the executable.
class Formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string) const override {
    if (app->get_parent() != nullptr) return fmt::format("Usage: {}\n", usageOf(app->get_name()));
    return fmt::format("Usage: {}\n       {}\n       {}\n       {}\n", kUsageRemote, kUsageCore, kUsageRun,
                       kUsageWatch);
  }
};

std::string footer() {
  std::string s = "Exit status:\n";
  for (const auto& e : exitStatuses()) s += fmt::format("  {:>2} {}\n", e.code, e.meaning);
  s += "\nExamples:\n";
  for (const auto& e : examples()) s += fmt::format("  {}\n      {}\n", e.command, e.meaning);
  return s;
}

void addRendering(CLI::App* sub, Settings& s);

void addCommon(CLI::App* sub, Settings& s) {
  sub->add_flag("--locals", s.render.locals, "Show each frame's arguments and local variables");
  sub->add_flag("--json", s.json, "Print the report as JSON (schema: pyhang.schema.json)");
  sub->add_flag("--no-analysis", s.noAnalysis, "Print the stacks only, without the deadlock diagnosis");
  addRendering(sub, s);
}

std::string checkDuration(const std::string& v) {
  return parseDuration(v) ? "" : "takes a duration such as 30s, 500ms, 5m or 1h, not '" + v + "'";
}

// The watching options of run and watch.
void addWatching(CLI::App* sub, Settings& s) {
  sub->add_option("--interval", s.intervalSeconds,
                  "Seconds between two progress checks (reads /proc only; default 1)")
      ->type_name("S")
      ->check([](const std::string& v) -> std::string {
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        return !v.empty() && *end == '\0' && d >= 0.01 && d <= 3600 ? "" : "takes seconds from 0.01 to 3600, not '" + v + "'";
      });
  sub->add_option("--idle", s.idle,
                  "Also call the processes stuck when none of them used CPU and no Python stack changed for "
                  "DURATION (reported as idle, unless it is a deadlock)")
      ->type_name("DURATION")
      ->check(checkDuration);
}

void addRendering(CLI::App* sub, Settings& s) {
  sub->add_option("--color", s.color, "Colour the text report: auto (on a terminal, unless NO_COLOR is set), always, never")
      ->type_name("WHEN")
      ->check([](const std::string& v) -> std::string {
        return v == "auto" || v == "always" || v == "never" ? "" : "takes auto, always or never, not '" + v + "'";
      });
  sub->add_flag("-v,--verbose", s.render.verbose, "Say more: how long the target was stopped, warnings");
  auto* n = sub->add_flag_callback("--native", [&s] { s.inspect.nativeMode = native::NativeMode::kNative; },
                                   "Show each thread's native (C) stack with the Python frames merged in, "
                                   "hiding CPython's own evaluation frames");
  auto* a = sub->add_flag_callback("--native-all", [&s] { s.inspect.nativeMode = native::NativeMode::kAll; },
                                   "Like --native, but show every native frame");
  auto* l = sub->add_flag_callback("--native-last", [&s] { s.inspect.nativeMode = native::NativeMode::kLast; },
                                   "Show the Python frames and only the native frames below the innermost one");
  n->excludes(a)->excludes(l);
  a->excludes(l);
}

struct OptionInfo {
  bool known = false;
  bool takesValue = false;
};

OptionInfo lookup(const CLI::App* app, const std::string& name) {
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_positional()) continue;
    bool match = false;
    for (const auto& l : o->get_lnames()) match |= name == "--" + l;
    for (const auto& s : o->get_snames()) match |= name == "-" + s;
    if (match) return {true, o->get_items_expected_max() > 0};
  }
  return {};
}

std::vector<std::string> optionNames(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_positional() || o->get_group().empty()) continue;
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
  }
  return out;
}

const CLI::App* subcommandNamed(const CLI::App& app, const std::string& name) {
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (s->get_name() == name) return s;
  }
  return nullptr;
}

// What is wrong with the option word at args[i] for sub (nullopt: nothing); advances i past a
// separate value.
std::optional<UsageProblem> checkOption(const CLI::App& app, const CLI::App* sub, const std::vector<std::string>& args,
                                        size_t& i) {
  const std::string& a = args[i];
  if (a.rfind("--", 0) == 0) {
    size_t eq = a.find('=');
    std::string name = a.substr(0, eq);
    OptionInfo info = lookup(sub, name);
    if (!info.known) info = lookup(&app, name);
    if (info.known) {
      if (info.takesValue && eq == std::string::npos) ++i;
      return std::nullopt;
    }
    UsageProblem p{fmt::format("unknown option '{}' for 'pyhang {}'", name, sub->get_name()), ""};
    std::string guess = closestWord(name, optionNames(sub));
    std::vector<std::string> others;  // the commands that do take it
    for (const CLI::App* other : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (other != sub && lookup(other, name).known) others.push_back(fmt::format("'pyhang {}'", other->get_name()));
    }
    if (others.size() == 1) p.hint = fmt::format("hint: {} is an option of {} only", name, others.front());
    if (others.size() > 1) {
      std::string last = others.back();
      others.pop_back();
      p.hint = fmt::format("hint: {} is an option of {} and {}", name, fmt::join(others, ", "), last);
    }
    if (name == "--children" && sub->get_name() == "core") {
      p.hint = "hint: a core holds one process: name the children's cores too (pyhang core CORE CORE...)";
    }
    if (!guess.empty()) p.hint = fmt::format("hint: did you mean '{}'?", guess);
    if (p.hint.empty()) p.hint = fmt::format("hint: pyhang {} --help lists its options", sub->get_name());
    return p;
  }
  // Short options, possibly grouped (-vh); one that takes a value ends the group.
  for (size_t k = 1; k < a.size(); ++k) {
    std::string name = std::string("-") + a[k];
    OptionInfo info = lookup(sub, name);
    if (!info.known) info = lookup(&app, name);
    if (!info.known) {
      return UsageProblem{fmt::format("unknown option '{}' for 'pyhang {}'", name, sub->get_name()),
                          fmt::format("hint: pyhang {} --help lists its options", sub->get_name())};
    }
    if (info.takesValue) {
      if (k + 1 == a.size()) ++i;
      break;
    }
  }
  return std::nullopt;
}

bool isOptionWord(const std::string& a) { return a.size() > 1 && a[0] == '-'; }

}  // namespace

void define(CLI::App& app, Settings& s) {
  app.formatter(std::make_shared<Formatter>());
  app.require_subcommand(1);
  app.footer(footer());
  s.remote = app.add_subcommand("remote", "Inspect a running process (attaches with ptrace, read-only)");
  s.remote->add_option("PID", s.pids, "Process id(s): several are analysed together")
      ->required()
      ->type_name("")
      ->check([](const std::string& v) -> std::string {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
          return "a process id is a number, not '" + v + "'";
        }
        return "";
      });
  s.remote->add_flag("--children", s.inspect.children, "Also inspect every descendant process (multiprocessing, subprocess)");
  s.remote->add_flag("--no-block", [&s](int64_t) { s.inspect.blocking = false; },
                     "Do not stop the threads while reading (faster, but the snapshot may be inconsistent)");
  addCommon(s.remote, s);
  s.remote->footer(footer());
  s.core = app.add_subcommand("core", "Inspect a core dump (gcore, kernel, or .zst/.lz4/.xz/.gz compressed)");
  s.core->add_option("CORE", s.corePaths,
                     "Core file(s), analysed together; a last argument that is an executable file is the program "
                     "that dumped them")
      ->required()
      ->type_name("");
  s.core->add_option("--executable", s.executable, "The executable that produced the core, if it moved")->type_name("FILE");
  s.core->add_option("--lib-search-path", s.inspect.core.libSearchPaths,
                     "Directory where the core's libraries can be found by file name (repeatable)")
      ->type_name("DIR");
  s.core->add_option("--lib-search-root", s.inspect.core.libSearchRoot,
                     "Prefix for the absolute paths recorded in the core (a container's or another machine's root)")
      ->type_name("DIR");
  addCommon(s.core, s);
  s.core->footer(footer());

  s.run = app.add_subcommand("run", "Run a command and report when its processes hang (deadlock, idle, timeout)");
  s.run->add_option("COMMAND", s.command,
                    "The command and its arguments, after --; its output and exit status pass through")
      ->required()
      ->type_name("");
  s.run->add_option("--output", s.outputDir,
                    "Directory for the reports (report.txt, report.json); default: "
                    "pyhang-DATE-TIME-PID in the working directory, created on the first report")
      ->type_name("DIR");
  s.run->add_option("--on-hang", s.onHang,
                    "After a report: wait for the command (default), kill its processes (pyhang exits 124), or "
                    "leave them running (pyhang exits 124)")
      ->type_name("ACTION")
      ->check([](const std::string& v) -> std::string {
        return v == "wait" || v == "kill" || v == "leave" ? "" : "takes wait, kill or leave, not '" + v + "'";
      });
  s.run->add_option("--timeout", s.timeout, "Report DURATION after the start, whatever the state")
      ->type_name("DURATION")
      ->check(checkDuration);
  addWatching(s.run, s);
  s.run->add_flag("--locals", s.render.locals, "Show each frame's arguments and local variables");
  addRendering(s.run, s);
  s.run->footer(footer());

  s.watch = app.add_subcommand("watch", "Watch a running process and report each time it gets stuck");
  s.watch->add_option("PID", s.pids, "The process id")
      ->required()
      ->expected(1)
      ->type_name("")
      ->check([](const std::string& v) -> std::string {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
          return "a process id is a number, not '" + v + "'";
        }
        return "";
      });
  s.watch->add_flag("--children", s.inspect.children, "Also watch every descendant process (multiprocessing, subprocess)");
  s.watch->add_flag("--once", s.once, "Exit after the first report (status 1 for a deadlock, 0 otherwise)");
  addWatching(s.watch, s);
  s.watch->add_flag("--locals", s.render.locals, "Show each frame's arguments and local variables");
  s.watch->add_flag("--json", s.json, "Print each report as JSON (schema: pyhang.schema.json)");
  addRendering(s.watch, s);
  s.watch->footer(footer());
}

std::string closestWord(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  size_t bestDistance = std::max<size_t>(1, word.size() / 3) + 1;
  for (const auto& k : known) {
    // Levenshtein distance, one row at a time.
    std::vector<size_t> row(k.size() + 1);
    for (size_t j = 0; j <= k.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= k.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (word[i - 1] == k[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    if (row[k.size()] < bestDistance) {
      bestDistance = row[k.size()];
      best = k;
    }
  }
  if (!best.empty()) return best;
  // A unique abbreviation (--child) is a typo too.
  for (const auto& k : known) {
    if (word.size() >= 3 && k.rfind(word, 0) == 0) {
      if (!best.empty()) return "";
      best = k;
    }
  }
  return best;
}

std::optional<UsageProblem> normalize(const CLI::App& app, std::vector<std::string>& args) {
  const char* needHint = "hint: pyhang remote PID reads a running process, pyhang core CORE a core dump, pyhang run -- "
                         "COMMAND runs one and watches it; pyhang --help says more";
  size_t subIndex = args.size();
  bool helpOrVersion = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (!isOptionWord(a)) {
      subIndex = i;
      break;
    }
    std::string name = a.substr(0, a.find('='));
    if (lookup(&app, name).known) {
      helpOrVersion = true;
      continue;
    }
    // An option of a subcommand, given before it: its value (if separate) is skipped.
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      OptionInfo info = lookup(sub, name);
      if (info.known && !known) {
        known = true;
        if (info.takesValue && a.find('=') == std::string::npos) ++i;
      }
    }
    if (!known) {
      std::vector<std::string> all = optionNames(&app);
      for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        for (auto& n : optionNames(sub)) all.push_back(n);
      }
      std::string guess = closestWord(name, all);
      return UsageProblem{fmt::format("unknown option '{}'", name),
                          guess.empty() ? std::string(needHint) : fmt::format("hint: did you mean '{}'?", guess)};
    }
  }
  if (subIndex == args.size()) {
    if (helpOrVersion) return std::nullopt;  // CLI11 answers --help and --version
    return UsageProblem{"a subcommand is needed: remote (a running process), core (a core dump), run (a command "
                        "to watch) or watch (a running process to watch)", needHint};
  }
  const CLI::App* sub = subcommandNamed(app, args[subIndex]);
  if (!sub) {
    std::string guess = closestWord(args[subIndex], {"remote", "core", "run", "watch"});
    return UsageProblem{fmt::format("unknown subcommand '{}'", args[subIndex]),
                        guess.empty() ? std::string(needHint) : fmt::format("hint: did you mean 'pyhang {}'?", guess)};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (i == subIndex) continue;
    if (args[i] == "--") break;
    if (!isOptionWord(args[i])) {
      // `pyhang run python3 -u app.py`: the command starts at its first word, as if after --.
      if (sub->get_name() == "run" && i > subIndex) {
        args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "--");
        break;
      }
      continue;
    }
    if (auto p = checkOption(app, sub, args, i)) return p;
  }
  // The subcommand first: CLI11 gives the options before it to the top-level app.
  std::rotate(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(subIndex),
              args.begin() + static_cast<std::ptrdiff_t>(subIndex) + 1);
  return std::nullopt;
}

UsageProblem describe(const CLI::ParseError& e, const CLI::App& app) {
  const CLI::App* sub = nullptr;
  for (const CLI::App* s : app.get_subcommands()) sub = s;
  std::string subName = sub ? sub->get_name() : "";
  std::string hint = sub ? fmt::format("hint: pyhang {} --help lists its arguments and options", subName)
                         : "hint: pyhang --help lists the subcommands";
  std::string what = e.what();
  if (e.get_name() == "RequiredError" && subName == "remote") {
    return {"'pyhang remote' needs the id of the process to inspect",
            "hint: pyhang remote PID (find it with: ps -ef | grep python)"};
  }
  if (e.get_name() == "RequiredError" && subName == "run") {
    return {"'pyhang run' needs a command to run", "hint: pyhang run [OPTIONS] -- COMMAND [ARGS...]"};
  }
  if (e.get_name() == "RequiredError" && subName == "watch") {
    return {"'pyhang watch' needs the id of the process to watch", "hint: pyhang watch PID (find it with: ps -ef | grep python)"};
  }
  if (e.get_name() == "RequiredError" && subName == "core") {
    return {"'pyhang core' needs a core file", "hint: pyhang core CORE [EXECUTABLE]; take one with: gcore PID"};
  }
  if (e.get_name() == "ExtrasError") {
    // "The following argument(s) was/were not expected: a b"
    size_t colon = what.find(": ");
    return {fmt::format("unexpected argument{} '{}'", what.find("arguments") != std::string::npos ? "s" : "",
                        colon == std::string::npos ? what : what.substr(colon + 2)),
            hint};
  }
  // CLI11 says "NAME: problem": a positional's check speaks for itself, an option leads the sentence.
  size_t colon = what.find(": ");
  if (colon != std::string::npos && what.find(' ') > colon) {
    std::string name = what.substr(0, colon), rest = what.substr(colon + 2);
    if (e.get_name() == "ArgumentMismatch" && rest.find("required") != std::string::npos) {
      return {fmt::format("{} needs a value", name), hint};
    }
    what = name[0] == '-' ? name + " " + rest : rest;
  }
  if (e.get_name() == "ExcludesError") hint = "hint: give one of --native, --native-all and --native-last";
  return {what, hint};
}

}  // namespace pyhang::cli
