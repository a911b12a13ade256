#include "cli/errors.h"

#include <unistd.h>

#include <iostream>

#include "cli/exit_codes.h"
#include "report/terminal_text.h"

namespace pyhang::cli {

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

int failWith(const std::string& message, const std::string& hint, int code) {
  std::cerr << "pyhang: " << escapeForTerminal(message) << "\n" << hint << "\n";
  std::cerr.flush();
  return code;
}

}  // namespace pyhang::cli
