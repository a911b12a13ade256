// Internal to CoreFile (core_file.cpp, core_notes.cpp, core_mapped_files.cpp, core_decompress.cpp):
// the limits and helpers they share, the records of segments, notes and NT_FILE mappings, and
// CoreFile::Impl. Not for use outside src/memory/core_*.cpp.
#pragma once

#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "memory/core_file.h"

namespace pyhang::core_internal {

constexpr uint64_t kPageSize = 4096;
constexpr size_t kMaxWarningsPerKind = 16;

std::string errnoText(int e);

template <class T>
T loadAt(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Lowercase hex of n bytes (build-ids).
std::string hex(const uint8_t* p, size_t n);

// dir + "/" + rest, with no doubled slashes; rest alone when dir is empty.
std::string joinPath(const std::string& dir, const std::string& rest);

struct FdCloser {
  int fd = -1;
  explicit FdCloser(int f = -1) : fd(f) {}
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  void reset(int f) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
};

struct ElfCloser {
  Elf* elf = nullptr;
  ~ElfCloser() {
    if (elf) elf_end(elf);
  }
};

// ELF notes.

struct Note {
  std::string name;  // without the NUL
  uint32_t type;
  const uint8_t* desc;
  size_t descSize;
};

// Walks the notes in [p, p + len); stops (with `*bad` set to the offset) at the first note whose
// header or payload does not fit.
template <class F>
void forEachNote(const uint8_t* p, size_t len, size_t align, F&& f, std::optional<size_t>* bad = nullptr) {
  size_t pos = 0;
  while (len >= 12 && pos <= len - 12) {
    uint32_t namesz = loadAt<uint32_t>(p + pos);
    uint32_t descsz = loadAt<uint32_t>(p + pos + 4);
    uint32_t type = loadAt<uint32_t>(p + pos + 8);
    uint64_t nameOff = pos + 12;
    uint64_t descOff = nameOff + alignUp(namesz, align);
    uint64_t next = descOff + alignUp(descsz, align);
    if (descOff > len || descsz > len - descOff) {
      if (bad) *bad = pos;
      return;
    }
    std::string name(reinterpret_cast<const char*>(p + nameOff), namesz);
    while (!name.empty() && name.back() == '\0') name.pop_back();
    f(Note{std::move(name), type, p + descOff, descsz});
    if (next > len) return;  // the last note may lack its final padding
    pos = static_cast<size_t>(next);
  }
}

struct Segment {
  uint64_t vaddr, memsz, offset, filesz;
  uint32_t flags;
};

struct FileRange {
  uint64_t start, end, fileOffset;
  size_t entry;                  // index into CoreInfo::files
  size_t local = SIZE_MAX;       // index into Impl::locals
  bool allowDisk = false;
  std::string refusal;           // why not, for the error message
};

struct RawFile {  // an NT_FILE entry
  uint64_t start, end, offset;
  std::string path;
};

struct NoteSummary {
  bool intact = false;  // every note segment fully present
  bool gdbNote = false, haveSiginfo = false, havePrpsinfo = false;
  int siginfoSigno = 0;
  uint64_t entryAddr = 0, phdrAddr = 0;
  std::vector<RawFile> files;
};

struct LocalFile {
  std::string path;
  bool tried = false;
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string error;
};

}  // namespace pyhang::core_internal

namespace pyhang {

struct CoreFile::Impl {
  using Segment = core_internal::Segment;
  using FileRange = core_internal::FileRange;
  using LocalFile = core_internal::LocalFile;
  using NoteSummary = core_internal::NoteSummary;

  std::string path;
  std::string what;         // the path, for messages ("... (decompressed)")
  uint8_t* core = nullptr;  // mmapped core (private, so libelf may scribble)
  size_t coreSize = 0;
  size_t mapSize = 0;
  std::vector<Segment> segments;  // sorted by vaddr, non-overlapping
  std::vector<FileRange> ranges;  // sorted by start, non-overlapping
  mutable std::mutex mu;
  mutable std::vector<LocalFile> locals;

  ~Impl() {
    if (core && mapSize) ::munmap(core, mapSize);
    for (auto& l : locals)
      if (l.data && l.size) ::munmap(const_cast<uint8_t*>(l.data), l.size);
  }

  Result<void> load(const CoreOptions& options, CoreInfo& info);
  Result<void> mapCore(CoreInfo& info);
  Result<void> readProgramHeaders(CoreInfo& info, std::vector<GElf_Phdr>& notes, bool& truncated);
  NoteSummary parseNotes(const std::vector<GElf_Phdr>& notes, CoreInfo& info) const;
  std::string buildIdInCore(uint64_t start, uint64_t end, bool& isElf) const;
  void indexFiles(NoteSummary& notes, const CoreOptions& options, CoreInfo& info);

  const Segment* findSegment(uint64_t addr) const {
    auto it = std::upper_bound(segments.begin(), segments.end(), addr,
                               [](uint64_t a, const Segment& s) { return a < s.vaddr; });
    if (it == segments.begin()) return nullptr;
    --it;
    return addr - it->vaddr < it->memsz ? &*it : nullptr;
  }
  // First segment starting above addr, for bounding a read through a gap.
  const Segment* nextSegment(uint64_t addr) const {
    auto it = std::upper_bound(segments.begin(), segments.end(), addr,
                               [](uint64_t a, const Segment& s) { return a < s.vaddr; });
    return it == segments.end() ? nullptr : &*it;
  }
  const FileRange* findRange(uint64_t addr) const {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), addr,
                               [](uint64_t a, const FileRange& r) { return a < r.start; });
    if (it == ranges.begin()) return nullptr;
    --it;
    return addr < it->end ? &*it : nullptr;
  }

  // Reads only bytes present in the core file itself (no disk fallback).
  bool readDumped(uint64_t addr, void* out, size_t n) const {
    auto* dst = static_cast<uint8_t*>(out);
    while (n > 0) {
      const Segment* s = findSegment(addr);
      if (!s) return false;
      uint64_t off = addr - s->vaddr;
      if (off >= s->filesz) return false;
      uint64_t chunk = std::min<uint64_t>(n, s->filesz - off);
      uint64_t fo = s->offset + off;
      if (fo > coreSize || chunk > coreSize - fo) return false;
      std::memcpy(dst, core + fo, chunk);
      dst += chunk;
      addr += chunk;
      n -= chunk;
    }
    return true;
  }

  // Reads up to `n` bytes at addr from the file mapped there; returns how many were read.
  Result<size_t> readFromFile(uint64_t addr, uint8_t* out, size_t n) const;
};

}  // namespace pyhang
