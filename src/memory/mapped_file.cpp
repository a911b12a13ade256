#include "memory/mapped_file.h"

#include <fmt/format.h>

namespace pyhang {

std::string sharedMappingKey(const std::vector<MappedFile>& maps, uint64_t addr) {
  for (const auto& m : maps) {
    if (addr < m.start || addr >= m.end || m.path.empty()) continue;
    if (!m.shared && m.path.find("/dev/shm/") == std::string::npos) return "";
    std::string path = m.path;
    const std::string deleted = " (deleted)";
    if (path.size() > deleted.size() && path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0) {
      path.resize(path.size() - deleted.size());
    }
    // glibc's sem_open creates "sem.XXXXXX" and links it to its final name, so processes can
    // see one semaphore under two names: the inode identifies it when /proc gives one.
    if (m.inode) return fmt::format("inode {}:{}:0x{:x}", m.device, m.inode, addr - m.start + m.fileOffset);
    return fmt::format("{}:0x{:x}", path, addr - m.start + m.fileOffset);
  }
  return "";
}

}  // namespace pyhang
