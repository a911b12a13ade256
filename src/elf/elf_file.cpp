#include "elf/elf_file.h"

#include "common/files.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pyhang {

namespace {
Elf* asElf(void* p) { return static_cast<Elf*>(p); }
}  // namespace

Result<std::unique_ptr<ElfFile>> ElfFile::open(const std::string& path) {
  static const bool initialised = elf_version(EV_CURRENT) != EV_NONE;
  if (!initialised) return fail(ErrorKind::kIo, "libelf initialisation failed");
  int fd = openRegularFile(path);
  if (fd < 0) return fail(ErrorKind::kIo, path + ": " + std::strerror(errno));
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    if (elf) elf_end(elf);
    ::close(fd);
    return fail(ErrorKind::kImplausible, path + ": not an ELF file");
  }
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->path_ = path;
  f->fd_ = fd;
  f->elf_ = elf;
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) == nullptr) return fail(ErrorKind::kImplausible, path + ": bad ELF header");
  f->isExec_ = ehdr.e_type == ET_EXEC;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) {
        f->firstLoadDelta_ = (ph.p_vaddr & ~uint64_t{0xfff}) - (ph.p_offset & ~uint64_t{0xfff});
        break;
      }
    }
  }
  return f;
}

ElfFile::~ElfFile() {
  if (elf_) elf_end(asElf(elf_));
  if (fd_ >= 0) ::close(fd_);
}

std::optional<ElfSymbol> ElfFile::lookupIn(int sectionType, std::string_view name, bool ltoVariants) const {
  Elf* elf = asElf(elf_);
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != static_cast<GElf_Word>(sectionType)) continue;
    if (sh.sh_entsize == 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
      if (sym.st_value == 0 || sym.st_name == 0) continue;
      const char* n = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (!n) continue;
      std::string_view sv(n);
      if (sv == name) return ElfSymbol{sym.st_value, sym.st_size};
      if (ltoVariants && sv.size() > name.size() + 10 && sv.substr(0, name.size()) == name &&
          sv.substr(name.size(), 10) == ".lto_priv.") {
        return ElfSymbol{sym.st_value, sym.st_size};
      }
    }
  }
  return std::nullopt;
}

std::optional<ElfSymbol> ElfFile::symbol(std::string_view name) const {
  if (auto s = lookupIn(SHT_DYNSYM, name)) return s;
  return lookupIn(SHT_SYMTAB, name);
}

std::optional<ElfSymbol> ElfFile::staticSymbol(std::string_view name) const {
  return lookupIn(SHT_SYMTAB, name, /*ltoVariants=*/true);
}

std::optional<uint64_t> ElfFile::sectionAddress(std::string_view name) const {
  Elf* elf = asElf(elf_);
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return std::nullopt;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* n = elf_strptr(elf, shstrndx, sh.sh_name);
    if (n && name == n) return sh.sh_addr;
  }
  return std::nullopt;
}

std::string ElfFile::buildId() const {
  Elf* elf = asElf(elf_);
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    size_t offset = 0, nameAt = 0, descAt = 0;
    GElf_Nhdr note;
    while ((offset = gelf_getnote(data, offset, &note, &nameAt, &descAt)) > 0) {
      if (note.n_type != NT_GNU_BUILD_ID || note.n_namesz != 4 || note.n_descsz == 0 || note.n_descsz > 64 ||
          std::memcmp(static_cast<const char*>(data->d_buf) + nameAt, "GNU", 4) != 0) {
        continue;
      }
      static const char kHex[] = "0123456789abcdef";
      std::string hex;
      const auto* bytes = static_cast<const unsigned char*>(data->d_buf) + descAt;
      for (size_t i = 0; i < note.n_descsz; ++i) {
        hex += kHex[bytes[i] >> 4];
        hex += kHex[bytes[i] & 15];
      }
      return hex;
    }
  }
  return {};
}

std::string ElfFile::debugFilePath() const {
  std::string id = buildId();
  if (id.size() < 4) return {};
  return "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
}

}  // namespace pyhang
