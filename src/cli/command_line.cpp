#include "cli/command_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace pyhang::cli {

const char* const kDescription =
    "pyhang shows what every thread of a hung Python program is doing, and why it is stuck.\n"
    "It reads the target's memory without running code in it (CPython 3.6-3.15, x86_64 Linux).";
const char* const kUsageRemote = "pyhang remote PID [PID...] [OPTIONS]";
const char* const kUsageCore = "pyhang core CORE [CORE...] [EXECUTABLE] [OPTIONS]";

const std::vector<Example>& examples() {
  static const std::vector<Example> list = {
      {"sudo pyhang remote 4242", "why is process 4242 stuck?"},
      {"sudo pyhang remote --children --native 4242", "the same, with its child processes and the C stacks"},
      {"pyhang core core.4242 /usr/bin/python3 --json", "read a core dump, and print the report as JSON"},
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
  };
  return list;
}

namespace {

// --help shows our usage lines: CLI11's own would read `core [OPTIONS] core...` and hide that a
// last argument may be the executable.
class Formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string) const override {
    if (app->get_name() == "remote") return fmt::format("Usage: {}\n", kUsageRemote);
    if (app->get_name() == "core") return fmt::format("Usage: {}\n", kUsageCore);
    return fmt::format("Usage: {}\n       {}\n", kUsageRemote, kUsageCore);
  }
};

std::string footer() {
  std::string s = "Exit status:\n";
  for (const auto& e : exitStatuses()) s += fmt::format("  {:>2} {}\n", e.code, e.meaning);
  s += "\nExamples:\n";
  for (const auto& e : examples()) s += fmt::format("  {}\n      {}\n", e.command, e.meaning);
  return s;
}

void addCommon(CLI::App* sub, Settings& s) {
  sub->add_flag("--locals", s.render.locals, "Show each frame's arguments and local variables");
  sub->add_flag("--json", s.json, "Print the report as JSON (schema: pyhang.schema.json)");
  sub->add_flag("--no-analysis", s.noAnalysis, "Print the stacks only, without the deadlock diagnosis");
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
    for (const CLI::App* other : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (other != sub && lookup(other, name).known && guess.empty()) {
        p.hint = fmt::format("hint: {} is an option of 'pyhang {}' only", name, other->get_name());
      }
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
  const char* needHint = "hint: pyhang remote PID reads a running process, pyhang core CORE a core dump; pyhang --help says more";
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
    return UsageProblem{"a subcommand is needed: remote (a running process) or core (a core dump)", needHint};
  }
  const CLI::App* sub = subcommandNamed(app, args[subIndex]);
  if (!sub) {
    std::string guess = closestWord(args[subIndex], {"remote", "core"});
    return UsageProblem{fmt::format("unknown subcommand '{}'", args[subIndex]),
                        guess.empty() ? std::string(needHint) : fmt::format("hint: did you mean 'pyhang {}'?", guess)};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (i == subIndex) continue;
    if (args[i] == "--") break;
    if (!isOptionWord(args[i])) continue;
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
