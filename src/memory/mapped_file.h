// A file mapping of the target, from /proc/PID/maps or a core's NT_FILE note.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pyhang {

struct MappedFile {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t fileOffset = 0;   // bytes
  std::string path;          // as the target saw it ("/usr/lib/.../libpython3.12.so.1.0")
  std::string localPath;     // where pyhang can open it now (may differ for cores), "" if missing
  bool readable = true, writable = false, executable = false, shared = false;
  bool deleted = false;      // "(deleted)"
  std::string device;        // "00:1b" (live only)
  uint64_t inode = 0;        // live only; identifies a shared file even when renamed or deleted
};

// Where an address lies in a shared file mapping, as a key that two processes mapping the same
// file agree on ("inode 00:1b:123:0x40", or "/dev/shm/sem.mp-x:0x40" without an inode); "" when
// the address is in no shared mapping.
std::string sharedMappingKey(const std::vector<MappedFile>& maps, uint64_t addr);

}  // namespace pyhang
