// How the front door reports an error: one "pyhang:" line, a hint, and the documented exit code
// (cli/exit_codes.h) for the error's kind.
#pragma once

#include <string>

#include "common/result.h"

namespace pyhang::cli {

int exitCodeFor(const Error& e, bool core);
std::string hintFor(const Error& e, bool core);

// Writes the message (which may quote the target's paths and names, escaped) and the hint to
// stderr; returns `code`.
int failWith(const std::string& message, const std::string& hint, int code);
inline int failWith(const Error& e, bool core) {
  return failWith(e.message, e.hint.empty() ? hintFor(e, core) : e.hint, exitCodeFor(e, core));
}

}  // namespace pyhang::cli
