#include "memory/remote_memory.h"

namespace pyhang {

Result<std::string> RemoteMemory::readCString(uint64_t addr, size_t maxLen) const {
  std::string out;
  char chunk[64];
  while (out.size() < maxLen) {
    size_t want = std::min(sizeof(chunk), maxLen - out.size());
    // Read up to the end of the page first so that a string near an unmapped page still reads.
    uint64_t cur = addr + out.size();
    size_t toPage = 4096 - (cur & 4095);
    if (toPage < want) want = toPage;
    auto r = read(cur, chunk, want);
    if (!r) {
      if (out.empty()) return fail(r.error());
      return out;
    }
    for (size_t i = 0; i < want; ++i) {
      if (chunk[i] == '\0') return out;
      out.push_back(chunk[i]);
    }
  }
  return out;
}

Result<void> ImageMemory::read(uint64_t addr, void* out, size_t size) const {
  for (const auto& s : segments_) {
    if (addr >= s.addr && addr - s.addr <= s.bytes.size() && size <= s.bytes.size() - (addr - s.addr)) {
      std::memcpy(out, s.bytes.data() + (addr - s.addr), size);
      return {};
    }
  }
  return fail(ErrorKind::kUnmapped, "image read", addr);
}

}  // namespace pyhang
