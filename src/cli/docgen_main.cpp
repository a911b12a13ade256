// pyhang-docgen man|bash|zsh|fish: writes pyhang(1) or a shell completion to stdout. The build
// runs it; every option, description and example comes from the same definition the program
// parses with (cli::define), so the man page and completions cannot drift from `--help`.
#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/version.h"

namespace {

using namespace pyhang;

struct Opt {
  std::vector<std::string> names;  // "-v", "--verbose"
  std::string value;               // "WHEN", "FILE", "DIR", or "" for a flag
  std::string description;
};

std::vector<Opt> optionsOf(const CLI::App* app) {
  std::vector<Opt> out;
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_positional() || o->get_group().empty()) continue;
    Opt opt;
    for (const auto& s : o->get_snames()) opt.names.push_back("-" + s);
    for (const auto& l : o->get_lnames()) opt.names.push_back("--" + l);
    if (o->get_items_expected_max() > 0) opt.value = o->get_type_name();
    opt.description = o->get_description();
    out.push_back(opt);
  }
  return out;
}

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

// The values a completion offers for an option's argument, by its type name.
std::string valueWords(const std::string& type) {
  if (type == "WHEN") return "auto always never";
  if (type == "ACTION") return "wait kill leave";
  return "";
}

// remote and watch take process ids: the completions offer the Python processes.
bool takesPid(const CLI::App* sub) { return sub->get_name() == "remote" || sub->get_name() == "watch"; }

// --- man page -----------------------------------------------------------------------------------

std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

void man(const CLI::App& app) {
  std::cout << fmt::format(".TH PYHANG 1 \"\" \"pyhang {}\" \"User Commands\"\n", roff(kPyhangVersion));
  std::cout << ".SH NAME\npyhang \\- show what every thread of a hung Python program does, and why it is stuck\n";
  std::cout << ".SH SYNOPSIS\n.nf\n" << roff(cli::kUsageRemote) << "\n" << roff(cli::kUsageCore) << "\n"
            << roff(cli::kUsageRun) << "\n" << roff(cli::kUsageWatch) << "\npyhang \\-\\-help | \\-\\-version\n.fi\n";
  std::cout << ".SH DESCRIPTION\n" << roff(app.get_description()) << "\n";
  std::cout << ".PP\nIt prints every thread's Python traceback, then explains the hang: who waits for what "
               "(a lock, a condition, an event, a queue, a thread, a process or an asyncio task), who holds "
               "it, and whether the waits form a cycle.\n";
  std::cout << ".SH COMMANDS\n";
  for (const CLI::App* sub : subcommands(app)) {
    std::cout << ".SS \"" << roff(cli::usageOf(sub->get_name())) << "\"\n";
    std::cout << roff(sub->get_description()) << ".\n";
    for (const CLI::Option* o : sub->get_options()) {
      if (!o->get_positional()) continue;
      std::cout << ".TP\n.I " << o->get_name(true) << "\n" << roff(o->get_description()) << "\n";
    }
    for (const Opt& o : optionsOf(sub)) {
      std::string names;
      for (const auto& n : o.names) names += (names.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", roff(n));
      std::cout << ".TP\n" << names << (o.value.empty() ? "" : " \\fI" + o.value + "\\fR") << "\n"
                << roff(o.description) << "\n";
    }
  }
  std::cout << ".SH EXIT STATUS\n";
  for (const auto& e : cli::exitStatuses()) std::cout << ".TP\n.B " << e.code << "\n" << roff(e.meaning) << "\n";
  std::cout << ".SH ENVIRONMENT\n"
               ".TP\n.B NO_COLOR\nWhen set and not empty, \\fB\\-\\-color=auto\\fR does not colour the report.\n"
               ".TP\n.B TMPDIR\nWhere a compressed core is inflated (into an unlinked file).\n"
               ".TP\n.B PYHANG_DEBUGINFO_CACHE\nWhere uncompressed debug information is kept "
               "(default ~/.cache/pyhang/debuginfo; \\fBoff\\fR: not at all).\n";
  std::cout << ".SH EXAMPLES\n";
  for (const auto& e : cli::examples()) {
    std::cout << ".TP\n.B " << roff(e.command) << "\n" << roff(e.meaning) << "\n";
  }
  std::cout << ".SH SEE ALSO\n.BR gcore (1),\n.BR coredumpctl (1),\n.BR ptrace (2)\n";
}

// --- shell completions --------------------------------------------------------------------------

// Processes whose command name or argv[0] starts with "python": what `pyhang remote` offers.
const char* kBashPids = R"(_pyhang_python_pids() {
    local d comm argv0
    for d in /proc/[0-9]*; do
        { IFS= read -r comm < "$d/comm"; } 2>/dev/null || continue
        { IFS= read -r -d '' argv0 < "$d/cmdline"; } 2>/dev/null
        case "$comm ${argv0##*/}" in
            python*|*" python"*) printf '%s\n' "${d#/proc/}" ;;
        esac
    done
}
)";

void bash(const CLI::App& app) {
  std::cout << "# bash completion for pyhang (generated by pyhang-docgen from the command line definition)\n"
            << kBashPids << "\n_pyhang() {\n"
            << "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub= i\n"
            << "    # --color=WHEN: bash splits the word at '='\n"
            << "    if [[ $cur == = ]]; then cur=; elif [[ $prev == = ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; fi\n"
            << "    [[ ${COMP_WORDS[COMP_CWORD-1]} == = ]] && prev=${COMP_WORDS[COMP_CWORD-2]}\n"
            << "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
            << "        case ${COMP_WORDS[i]} in remote|core|run|watch) sub=${COMP_WORDS[i]}; break ;; esac\n"
            << "    done\n    case $prev in\n";
  std::vector<std::string> seen;
  for (const CLI::App* sub : subcommands(app)) {
    for (const Opt& o : optionsOf(sub)) {
      if (o.value.empty() || std::find(seen.begin(), seen.end(), o.names.back()) != seen.end()) continue;
      seen.push_back(o.names.back());
      std::string action = o.value == "DIR"    ? "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\"))"
                           : o.value == "FILE" ? "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))"
                                               : fmt::format("COMPREPLY=($(compgen -W '{}' -- \"$cur\"))", valueWords(o.value));
      std::cout << fmt::format("        {}) {}; return ;;\n", o.names.back(), action);
    }
  }
  std::cout << "    esac\n    case $sub in\n";
  std::string top;
  for (const CLI::App* sub : subcommands(app)) top += sub->get_name() + " ";
  std::cout << fmt::format("        '') COMPREPLY=($(compgen -W '{}--help --version' -- \"$cur\")) ;;\n", top);
  for (const CLI::App* sub : subcommands(app)) {
    std::string words;
    for (const Opt& o : optionsOf(sub)) words += o.names.back() + (o.value.empty() ? " " : "= ");
    std::string positional =
        takesPid(sub)           ? "COMPREPLY=($(compgen -W \"$(_pyhang_python_pids)\" -- \"$cur\"))"
        : sub->get_name() == "run" ? "COMPREPLY=($(compgen -c -- \"$cur\"))"
                                   : "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))";
    std::cout << fmt::format("        {}) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W '{}' -- \"$cur\"));\n"
                             "            [[ ${{COMPREPLY[0]}} == *= ]] && compopt -o nospace 2>/dev/null\n"
                             "            else {}; fi ;;\n",
                             sub->get_name(), words, positional);
  }
  std::cout << "    esac\n}\ncomplete -F _pyhang pyhang\n";
}

// A word in single quotes for zsh.
std::string zshQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// An _arguments description in [...]: brackets would end it early.
std::string zshDescription(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

void zsh(const CLI::App& app) {
  std::cout << "#compdef pyhang\n# zsh completion for pyhang (generated by pyhang-docgen from the command line definition)\n\n"
               "_pyhang_python_pids() {\n"
               "  local -a pids\n  local d comm argv0\n"
               "  for d in /proc/<->(N); do\n"
               "    comm=$(<$d/comm) 2>/dev/null || continue\n"
               "    argv0=${${(0)\"$(<$d/cmdline)\"}[1]} 2>/dev/null\n"
               "    [[ $comm == python* || ${argv0:t} == python* ]] && pids+=(${d:t}:$comm)\n"
               "  done\n  _describe -t pids 'Python process' pids\n}\n\n_pyhang() {\n"
               "  local curcontext=$curcontext state line\n"
               "  _arguments -C '(- *)'{-h,--help}'[Show the help]' '(- *)--version[Show the version]' \\\n"
               "    '1:subcommand:->subcommand' '*::argument:->argument'\n"
               "  case $state in\n    subcommand)\n      local -a subcommands=(\n";
  for (const CLI::App* sub : subcommands(app)) {
    std::cout << "        " << zshQuote(sub->get_name() + ":" + sub->get_description()) << "\n";
  }
  std::cout << "      )\n      _describe -t subcommands subcommand subcommands ;;\n    argument)\n      case $line[1] in\n";
  for (const CLI::App* sub : subcommands(app)) {
    std::cout << "        " << sub->get_name() << ")\n          _arguments \\\n";
    for (const Opt& o : optionsOf(sub)) {
      std::string action = o.value.empty()    ? ""
                           : o.value == "DIR" ? ":directory:_files -/"
                           : o.value == "FILE" ? ":file:_files"
                                              : fmt::format(":{}:({})", o.value, valueWords(o.value));
      for (const auto& n : o.names) {
        bool joined = !o.value.empty() && n.size() > 2;  // --color=WHEN (and --color WHEN)
        std::cout << "            " << zshQuote(n + (joined ? "=" : "") + "[" + zshDescription(o.description) + "]" + action)
                  << " \\\n";
      }
    }
    std::cout << "            "
              << (takesPid(sub)               ? "'*:process id:_pyhang_python_pids'"
                  : sub->get_name() == "run" ? "'*::command:_normal'"
                                             : "'*:core file:_files'")
              << " ;;\n";
  }
  std::cout << "      esac ;;\n  esac\n}\n\n_pyhang \"$@\"\n";
}

std::string fishQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

void fish(const CLI::App& app) {
  std::cout << "# fish completion for pyhang (generated by pyhang-docgen from the command line definition)\n"
               "function __pyhang_python_pids\n"
               "    for d in /proc/*\n"
               "        string match -qr '^/proc/[0-9]+$' -- $d; or continue\n"
               // cat, not a redirection: fish warns on its own stderr when a process is gone
               "        set -l comm (cat $d/comm 2>/dev/null); or continue\n"
               "        set -l argv0 (cat $d/cmdline 2>/dev/null | string split0)[1]\n"
               "        if string match -q 'python*' -- $comm; or string match -q 'python*' -- (string replace -r '.*/' '' -- \"$argv0\")\n"
               "            printf '%s\\t%s\\n' (string replace /proc/ '' -- $d) $comm\n"
               "        end\n"
               "    end\nend\n\ncomplete -c pyhang -f\n"
               "complete -c pyhang -n __fish_use_subcommand -s h -l help -d 'Show the help'\n"
               "complete -c pyhang -n __fish_use_subcommand -l version -d 'Show the version'\n";
  for (const CLI::App* sub : subcommands(app)) {
    std::cout << fmt::format("complete -c pyhang -n __fish_use_subcommand -a {} -d {}\n", sub->get_name(),
                             fishQuote(sub->get_description()));
  }
  for (const CLI::App* sub : subcommands(app)) {
    std::string cond = fmt::format("-n '__fish_seen_subcommand_from {}'", sub->get_name());
    for (const Opt& o : optionsOf(sub)) {
      std::string names;
      for (const auto& n : o.names) names += (n.size() == 2 ? " -s " + n.substr(1) : " -l " + n.substr(2));
      std::string value = o.value.empty()      ? ""
                          : o.value == "DIR"   ? " -x -a '(__fish_complete_directories)'"
                          : o.value == "FILE" ? " -r -F"
                                              : fmt::format(" -x -a '{}'", valueWords(o.value));
      std::cout << fmt::format("complete -c pyhang {}{}{} -d {}\n", cond, names, value, fishQuote(o.description));
    }
    std::cout << fmt::format("complete -c pyhang {} {}\n", cond,
                             takesPid(sub)               ? "-x -a '(__pyhang_python_pids)'"
                             : sub->get_name() == "run" ? "-x -a '(__fish_complete_command)'"
                                                        : "-F");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{cli::kDescription};
  cli::Settings settings;
  cli::define(app, settings);
  std::string what = argc == 2 ? argv[1] : "";
  if (what == "man") man(app);
  else if (what == "bash") bash(app);
  else if (what == "zsh") zsh(app);
  else if (what == "fish") fish(app);
  else {
    std::cerr << "usage: pyhang-docgen man|bash|zsh|fish\n";
    return 2;
  }
  return std::cout.flush() ? 0 : 1;
}
