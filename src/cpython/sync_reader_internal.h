// Internal to SyncReader (sync_reader.cpp, sync_frame_waits.cpp, sync_stdlib_waits.cpp): the
// helpers they share. Not for use outside them.
#pragma once

#include <string>
#include <string_view>

namespace pyhang::cpython::sync_internal {

inline bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace pyhang::cpython::sync_internal
