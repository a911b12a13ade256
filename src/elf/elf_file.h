// Symbols, sections and load information of an ELF file on disk (libelf, mmapped).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pyhang {

struct ElfSymbol {
  uint64_t value = 0;
  uint64_t size = 0;
};

class ElfFile {
 public:
  static Result<std::unique_ptr<ElfFile>> open(const std::string& path);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  const std::string& path() const { return path_; }
  bool isExecutable() const { return isExec_; }   // ET_EXEC: addresses are absolute
  // Page-aligned p_vaddr - p_offset of the first PT_LOAD, for the load-bias computation.
  uint64_t firstLoadVaddrMinusOffset() const { return firstLoadDelta_; }

  // Looks in .dynsym, then .symtab.
  std::optional<ElfSymbol> symbol(std::string_view name) const;
  // A static symbol, also under the name link-time optimisation gives it ("Handlers.lto_priv.0").
  std::optional<ElfSymbol> staticSymbol(std::string_view name) const;
  std::optional<uint64_t> sectionAddress(std::string_view name) const;
  // The GNU build-id note, in hex ("" when there is none).
  std::string buildId() const;
  // Where Debian-style detached debug information for this file would be:
  // /usr/lib/debug/.build-id/xx/rest.debug ("" without a build-id).
  std::string debugFilePath() const;

 private:
  ElfFile() = default;
  std::optional<ElfSymbol> lookupIn(int sectionType, std::string_view name, bool ltoVariants = false) const;

  std::string path_;
  int fd_ = -1;
  void* elf_ = nullptr;  // Elf*
  bool isExec_ = false;
  uint64_t firstLoadDelta_ = 0;
};

}  // namespace pyhang
