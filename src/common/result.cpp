#include "common/result.h"

#include <fmt/format.h>

namespace pyhang {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnmapped: return "unmapped";
    case ErrorKind::kShortRead: return "short read";
    case ErrorKind::kPermission: return "permission denied";
    case ErrorKind::kProcessGone: return "process gone";
    case ErrorKind::kImplausible: return "implausible data";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kIo: return "I/O error";
  }
  return "error";
}

std::string Error::describe() const {
  if (address != 0) return fmt::format("{} ({} at 0x{:x})", message, errorKindName(kind), address);
  return fmt::format("{} ({})", message, errorKindName(kind));
}

}  // namespace pyhang
