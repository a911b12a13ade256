#include "native/debuginfo_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace pyhang::native {

namespace {

bool isHex(const std::string& s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool makeDirs(const std::string& dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      cur = dir.substr(0, i);
      if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) return false;
    }
  }
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The build-id of an ELF file, from its notes ("" when it has none).
std::string buildIdOf(Elf* elf) {
  Elf_Scn* scn = nullptr;
  size_t guard = 0;
  while ((scn = elf_nextscn(elf, scn)) != nullptr && ++guard < 65536) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE || (shdr.sh_flags & SHF_COMPRESSED)) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    size_t offset = 0, nameOff = 0, descOff = 0;
    GElf_Nhdr nhdr;
    size_t notes = 0;
    while (offset < data->d_size && ++notes < 256 &&
           (offset = gelf_getnote(data, offset, &nhdr, &nameOff, &descOff)) > 0) {
      if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
          std::memcmp(static_cast<const char*>(data->d_buf) + nameOff, "GNU", 4) == 0 && nhdr.n_descsz <= 64) {
        std::string hex;
        const auto* bits = static_cast<const unsigned char*>(data->d_buf) + descOff;
        for (size_t i = 0; i < nhdr.n_descsz; ++i) hex += fmt::format("{:02x}", bits[i]);
        return hex;
      }
    }
  }
  return "";
}

// Bytes of compressed .debug_* sections.
uint64_t compressedDwarfBytes(Elf* elf) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return 0;
  uint64_t total = 0;
  Elf_Scn* scn = nullptr;
  size_t guard = 0;
  while ((scn = elf_nextscn(elf, scn)) != nullptr && ++guard < 65536) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_COMPRESSED)) continue;
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (name && std::strncmp(name, ".debug_", 7) == 0) total += shdr.sh_size;
  }
  return total;
}

// A usable copy: an ELF with the expected build-id and nothing compressed.
bool validCopy(int fd, const std::string& buildId) {
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (!elf) return false;
  bool ok = elf_kind(elf) == ELF_K_ELF && buildIdOf(elf) == buildId && compressedDwarfBytes(elf) == 0;
  elf_end(elf);
  return ok;
}

// Writes `src` (an ELF whose .debug_* sections are compressed) to `outFd` with every section
// uncompressed, the same section order, headers and program headers.
bool writeUncompressed(Elf* src, int outFd) {
  GElf_Ehdr ehdr;
  size_t phnum = 0, shstrndx = 0;
  if (!gelf_getehdr(src, &ehdr) || elf_getphdrnum(src, &phnum) != 0 || elf_getshdrstrndx(src, &shstrndx) != 0) {
    return false;
  }
  Elf* dst = elf_begin(outFd, ELF_C_WRITE, nullptr);
  if (!dst) return false;
  bool ok = gelf_newehdr(dst, gelf_getclass(src)) != nullptr;
  if (ok && phnum) {
    ok = gelf_newphdr(dst, phnum) != nullptr;
    for (size_t i = 0; ok && i < phnum; ++i) {
      GElf_Phdr ph;
      ok = gelf_getphdr(src, static_cast<int>(i), &ph) && gelf_update_phdr(dst, static_cast<int>(i), &ph);
    }
  }
  Elf_Scn* scn = nullptr;
  size_t guard = 0;
  while (ok && (scn = elf_nextscn(src, scn)) != nullptr && ++guard < 65536) {
    GElf_Shdr shdr;
    ok = gelf_getshdr(scn, &shdr) != nullptr;
    if (ok && (shdr.sh_flags & SHF_COMPRESSED)) {
      ok = elf_compress(scn, 0, 0) >= 0 && gelf_getshdr(scn, &shdr) != nullptr;
    }
    Elf_Scn* out = ok ? elf_newscn(dst) : nullptr;
    ok = out != nullptr;
    if (ok && shdr.sh_type != SHT_NULL) {
      Elf_Data* data = nullptr;
      size_t pieces = 0;
      while (ok && (data = elf_getdata(scn, data)) != nullptr && ++pieces < 1024) {
        Elf_Data* copy = elf_newdata(out);
        ok = copy != nullptr;
        if (ok) {
          copy->d_buf = data->d_buf;
          copy->d_type = data->d_type;
          copy->d_size = data->d_size;
          copy->d_off = data->d_off;
          copy->d_align = data->d_align;
          copy->d_version = data->d_version;
        }
      }
    }
    if (ok) ok = gelf_update_shdr(out, &shdr) != 0;
  }
  if (ok) {
    GElf_Ehdr out;
    ok = gelf_getehdr(dst, &out) != nullptr;
    if (ok) {
      std::memcpy(out.e_ident, ehdr.e_ident, EI_NIDENT);
      out.e_type = ehdr.e_type;
      out.e_machine = ehdr.e_machine;
      out.e_version = ehdr.e_version;
      out.e_entry = ehdr.e_entry;
      out.e_flags = ehdr.e_flags;
      out.e_shstrndx = static_cast<uint16_t>(shstrndx);
      ok = shstrndx < SHN_LORESERVE && gelf_update_ehdr(dst, &out) != 0;
    }
  }
  if (ok) ok = elf_update(dst, ELF_C_WRITE) >= 0;
  elf_end(dst);
  return ok;
}

// Keeps the directory under kDebuginfoCacheMaxBytes, oldest (least recently used) first.
void trim(const std::string& dir, const std::string& keep) {
  struct Entry {
    std::string path;
    uint64_t size;
    time_t mtime;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() < 7 || name.compare(name.size() - 6, 6, ".debug") != 0) continue;
      std::string path = dir + "/" + name;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      entries.push_back({path, static_cast<uint64_t>(st.st_size), st.st_mtime});
      total += static_cast<uint64_t>(st.st_size);
      if (entries.size() > 100000) break;
    }
    ::closedir(d);
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.mtime < b.mtime; });
  for (const auto& e : entries) {
    if (total <= kDebuginfoCacheMaxBytes) break;
    if (e.path == keep) continue;
    if (::unlink(e.path.c_str()) == 0) total -= e.size;
  }
}

}  // namespace

std::string debuginfoCacheDir() {
  if (const char* v = std::getenv("PYHANG_DEBUGINFO_CACHE")) {
    std::string s = v;
    if (s.empty() || s == "off" || s == "0" || s == "no") return "";
    return s;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') {
    return std::string(xdg) + "/pyhang/debuginfo";
  }
  if (const char* home = std::getenv("HOME"); home && home[0] == '/') {
    return std::string(home) + "/.cache/pyhang/debuginfo";
  }
  return "";
}

int uncompressedDebuginfo(int fd, const std::string& buildId, const std::string& dir, bool mayCreate,
                          std::string* path) {
  if (fd < 0 || dir.empty() || !isHex(buildId)) return -1;
  const std::string target = dir + "/" + buildId + ".debug";
  // A copy made before: use it (and mark it used, for trim()).
  int cached = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
  if (cached >= 0) {
    if (validCopy(cached, buildId)) {
      ::futimens(cached, nullptr);
      if (path) *path = target;
      return cached;
    }
    ::close(cached);
  }
  // Worth a copy? Only a file with this build-id and enough compressed DWARF.
  Elf* src = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, nullptr);
  if (!src) return -1;
  bool worth = elf_kind(src) == ELF_K_ELF && compressedDwarfBytes(src) >= kDebuginfoCacheMinCompressed &&
               buildIdOf(src) == buildId;
  if (!worth || !mayCreate || !makeDirs(dir)) {
    elf_end(src);
    return -1;
  }
  const std::string temp = fmt::format("{}/.{}.{}.tmp", dir, buildId, ::getpid());
  int out = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    elf_end(src);
    return -1;
  }
  bool ok = writeUncompressed(src, out);
  elf_end(src);
  ok = ok && validCopy(out, buildId) && ::fchmod(out, 0400) == 0 && ::rename(temp.c_str(), target.c_str()) == 0;
  if (!ok) {
    ::close(out);
    ::unlink(temp.c_str());
    return -1;
  }
  ::close(out);
  trim(dir, target);
  int fdOut = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
  if (fdOut >= 0 && path) *path = target;
  return fdOut;
}

}  // namespace pyhang::native
