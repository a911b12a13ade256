// pyhang's documented exit codes (README "Exit codes"; keep both in sync).
#pragma once

namespace pyhang {

enum ExitCode : int {
  kExitNoDeadlock = 0,       // report printed, no deadlock found (or --no-analysis)
  kExitDeadlock = 1,         // report printed, a deadlock was found
  kExitUsage = 2,            // bad command line
  kExitNoSuchProcess = 3,    // no such process, or it is a zombie
  kExitPermission = 4,       // ptrace / memory access refused
  kExitNotPython = 5,        // no CPython runtime in the target
  kExitUnsupported = 6,      // a Python version or build pyhang cannot read
  kExitProcessGone = 7,      // the process exited while it was being read
  kExitBadCore = 8,          // the core file is unreadable, not a core, or too damaged to use
  kExitInternal = 10,        // anything else
  kExitWriteFailed = 11,     // could not write the report (full disk, closed stdout, reader gone)
  // `pyhang run` returns the command's own status (128 + N when a signal N killed it), or:
  kExitHangNotWaited = 124,  // a hang was reported and, per --on-hang, the command was killed or left
  kExitCannotRun = 126,      // the command was found but could not be started
  kExitCommandNotFound = 127,  // the command was not found
};

}  // namespace pyhang
