// CoreFile's mapped files: matches each NT_FILE mapping with a file on disk (--executable,
// --lib-search-root, --lib-search-path, the recorded path), checks build-ids against the core's,
// decides where reading from disk is sound, and serves the undumped ranges from those files.
#include "memory/core_file_internal.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "common/files.h"

namespace pyhang {

namespace {

using namespace core_internal;

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

const char kDeletedSuffix[] = " (deleted)";

// Mappings whose contents live only in memory (or change under us): never read from disk.
bool looksShared(const std::string& path) {
  static const char* const prefixes[] = {"/dev/", "/run/shm/", "/SYSV", "/memfd:", "/proc/", "/sys/",
                                         "anon_inode:", "/anon_hugepage", "/[", "/drm", "/dmabuf:"};
  for (const char* p : prefixes)
    if (startsWith(path, p)) return true;
  return path.empty() || path[0] != '/';
}

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct DiskElf {
  bool isElf = false;
  std::string buildId;  // hex, "" if none
  std::vector<GElf_Phdr> loads;
};

DiskElf readDiskElf(const std::string& path) {
  DiskElf out;
  FdCloser fd(openRegularFile(path));
  if (fd.fd < 0) return out;
  unsigned char magic[SELFMAG];
  if (::pread(fd.fd, magic, SELFMAG, 0) != SELFMAG || std::memcmp(magic, ELFMAG, SELFMAG) != 0) return out;
  out.isElf = true;
  ElfCloser e;
  e.elf = elf_begin(fd.fd, ELF_C_READ_MMAP, nullptr);
  if (!e.elf || elf_kind(e.elf) != ELF_K_ELF) return out;
  const void* id = nullptr;
  ssize_t n = dwelf_elf_gnu_build_id(e.elf, &id);
  if (n > 0 && id) out.buildId = hex(static_cast<const uint8_t*>(id), static_cast<size_t>(std::min<ssize_t>(n, 64)));
  size_t phnum = 0;
  if (elf_getphdrnum(e.elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum && i < 4096; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(e.elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) out.loads.push_back(ph);
    }
  }
  return out;
}

}  // namespace

Result<size_t> CoreFile::Impl::readFromFile(uint64_t addr, uint8_t* out, size_t n) const {
  const FileRange* r = findRange(addr);
  if (!r) return fail(ErrorKind::kUnmapped, "address not in the core (not dumped, no file mapping)", addr);
  if (!r->allowDisk) return fail(ErrorKind::kUnmapped, r->refusal, addr);
  n = static_cast<size_t>(std::min<uint64_t>(n, r->end - addr));
  const LocalFile* lf;
  {
    std::lock_guard<std::mutex> lock(mu);
    LocalFile& l = locals[r->local];
    if (!l.tried) {
      l.tried = true;
      int fd = openRegularFile(l.path);
      if (fd < 0) {
        l.error = errnoText(errno);
      } else {
        struct stat st;
        if (::fstat(fd, &st) != 0) {
          l.error = errnoText(errno);
        } else if (st.st_size > 0) {
          void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
          if (m == MAP_FAILED) {
            l.error = errnoText(errno);
          } else {
            l.data = static_cast<const uint8_t*>(m);
            l.size = static_cast<size_t>(st.st_size);
          }
        }
        ::close(fd);
      }
    }
    lf = &l;
  }
  if (!lf->error.empty())
    return fail(ErrorKind::kIo, fmt::format("cannot read {}: {}", lf->path, lf->error), addr);
  uint64_t off = r->fileOffset + (addr - r->start);
  uint64_t avail = off < lf->size ? lf->size - off : 0;
  uint64_t copy = std::min<uint64_t>(avail, n);
  if (copy) std::memcpy(out, lf->data + off, copy);
  if (copy < n) {
    // The rest of the page holding EOF reads as zeros in the target; past it the target faults.
    uint64_t pageEnd = alignUp(lf->size, kPageSize);
    uint64_t zeroEnd = std::min<uint64_t>(off + n, std::max<uint64_t>(pageEnd, off));
    if (off + copy < zeroEnd) std::memset(out + copy, 0, zeroEnd - (off + copy));
    if (off + n > zeroEnd)
      return fail(ErrorKind::kUnmapped,
                  fmt::format("beyond the end of {} ({} bytes)", lf->path, lf->size), addr + (zeroEnd - off));
  }
  return n;
}

// The GNU build-id of the ELF mapped at [start, end) from file offset 0, from dumped bytes only;
// "" if the core does not hold it. Sets isElf when the dumped first page is an ELF header.
std::string CoreFile::Impl::buildIdInCore(uint64_t start, uint64_t end, bool& isElf) const {
  Elf64_Ehdr feh;
  if (!readDumped(start, &feh, sizeof feh) || std::memcmp(feh.e_ident, ELFMAG, SELFMAG) != 0) return "";
  isElf = true;
  if (feh.e_ident[EI_CLASS] != ELFCLASS64 || feh.e_phentsize != sizeof(Elf64_Phdr) || feh.e_phnum > 256) return "";
  uint64_t span = end - start;
  if (feh.e_phoff >= span || uint64_t{feh.e_phnum} * sizeof(Elf64_Phdr) > span - feh.e_phoff) return "";
  std::vector<Elf64_Phdr> phs(feh.e_phnum);
  if (!readDumped(start + feh.e_phoff, phs.data(), phs.size() * sizeof(Elf64_Phdr))) return "";
  std::string id;
  for (const auto& ph : phs) {
    // The first mapping shows file offset X at start + X.
    if (ph.p_type != PT_NOTE || ph.p_filesz == 0 || ph.p_filesz > 65536) continue;
    if (ph.p_offset >= span || ph.p_filesz > span - ph.p_offset) continue;
    std::vector<uint8_t> buf(ph.p_filesz);
    if (!readDumped(start + ph.p_offset, buf.data(), buf.size())) continue;
    forEachNote(buf.data(), buf.size(), ph.p_align == 8 ? 8 : 4, [&](const Note& n) {
      if (n.name == "GNU" && n.type == NT_GNU_BUILD_ID && n.descSize > 0 && id.empty())
        id = hex(n.desc, std::min<size_t>(n.descSize, 64));
    });
    if (!id.empty()) break;
  }
  return id;
}

void CoreFile::Impl::indexFiles(NoteSummary& notes, const CoreOptions& options, CoreInfo& info) {
  std::vector<RawFile>& files = notes.files;
  std::sort(files.begin(), files.end(), [](const RawFile& a, const RawFile& b) { return a.start < b.start; });
  {
    size_t overlaps = 0;
    std::vector<RawFile> kept;
    for (auto& f : files) {
      if (!kept.empty() && f.start < kept.back().end) {
        ++overlaps;
        continue;
      }
      kept.push_back(std::move(f));
    }
    if (overlaps) info.warnings.push_back(fmt::format("NT_FILE: ignored {} overlapping entries", overlaps));
    files = std::move(kept);
  }

  // The main executable: the mapping holding AT_ENTRY (or AT_PHDR), else one named like pr_fname.
  std::string exePath;
  for (uint64_t a : {notes.entryAddr, notes.phdrAddr}) {
    if (!exePath.empty() || a == 0) continue;
    for (const auto& f : files)
      if (a >= f.start && a < f.end) exePath = f.path;
  }
  if (exePath.empty() && !info.fname.empty()) {
    for (const auto& f : files) {
      std::string b = baseName(f.path);
      if (endsWith(b, kDeletedSuffix)) b.resize(b.size() - (sizeof kDeletedSuffix - 1));
      if (b.compare(0, info.fname.size(), info.fname) == 0) {
        exePath = f.path;
        break;
      }
    }
  }
  if (!options.executable.empty() && exePath.empty())
    info.warnings.push_back(fmt::format("cannot tell which mapping is the main executable; {} is not used",
                                        options.executable));

  // Resolve each distinct path once.
  struct Resolved {
    bool shared = false, deleted = false;
    bool isElf = false;       // by the core's dumped header, or the local file
    std::string coreBuildId;  // from the dumped header page, "" if unknown
    std::string local;        // chosen local file, "" if none
    bool verified = false;    // local build-id equals the core's
    DiskElf disk;             // of `local`
    size_t localIndex = SIZE_MAX;
  };
  std::map<std::string, const RawFile*> headerMapping;  // path -> its mapping at file offset 0
  for (const auto& f : files)
    if (f.offset == 0) headerMapping.emplace(f.path, &f);
  std::map<std::string, Resolved> resolved;
  size_t missingCount = 0;
  for (const auto& f : files) {
    if (resolved.count(f.path)) continue;
    Resolved r;
    r.deleted = endsWith(f.path, kDeletedSuffix);
    std::string clean = r.deleted ? f.path.substr(0, f.path.size() - (sizeof kDeletedSuffix - 1)) : f.path;
    r.shared = looksShared(clean);
    if (auto it = headerMapping.find(f.path); it != headerMapping.end())
      r.coreBuildId = buildIdInCore(it->second->start, it->second->end, r.isElf);

    if (!r.shared) {
      std::vector<std::string> candidates;
      bool isExe = f.path == exePath;
      if (!options.executable.empty() && isExe) candidates.push_back(options.executable);
      if (!options.libSearchRoot.empty() && !clean.empty() && clean[0] == '/')
        candidates.push_back(joinPath(options.libSearchRoot, clean));
      for (const auto& dir : options.libSearchPaths)
        if (!dir.empty()) candidates.push_back(joinPath(dir, baseName(clean)));
      // A file now at a deleted file's path is another file, unless its build-id says otherwise.
      if (!r.deleted || !r.coreBuildId.empty()) candidates.push_back(clean);
      std::vector<std::string> mismatches;
      for (const auto& c : candidates) {
        struct stat cst;
        if (::stat(c.c_str(), &cst) != 0 || !S_ISREG(cst.st_mode)) continue;
        DiskElf d = readDiskElf(c);
        if (!r.coreBuildId.empty()) {
          if (d.buildId != r.coreBuildId) {
            mismatches.push_back(fmt::format("{} (build-id {})", c, d.buildId.empty() ? "none" : d.buildId));
            continue;
          }
          r.verified = true;
        }
        r.local = c;
        r.isElf = r.isElf || d.isElf;
        r.disk = std::move(d);
        break;
      }
      bool elfLike = r.isElf || isExe || clean.find(".so") != std::string::npos;
      const char* hint = isExe ? "--executable, --lib-search-root or --lib-search-path"
                               : "--lib-search-root or --lib-search-path";
      if (!mismatches.empty()) {
        std::string list;
        for (const auto& mm : mismatches) list += (list.empty() ? "" : ", ") + mm;
        if (r.local.empty())
          info.warnings.push_back(fmt::format("{}: build-id mismatch: the core recorded {}, but found {}; its "
                                              "undumped memory cannot be read; use {} to supply the matching file",
                                              f.path, r.coreBuildId, list, hint));
        else
          info.warnings.push_back(fmt::format("{}: ignored {}: build-id differs from the core's {}; using {} "
                                              "(check {})", f.path, list, r.coreBuildId, r.local, hint));
      } else if (r.local.empty() && (!r.deleted || elfLike)) {
        if (missingCount++ < kMaxWarningsPerKind) {
          if (r.deleted)
            info.warnings.push_back(fmt::format("{}: the file was deleted and no copy with a matching build-id "
                                                "was found; use {} to supply it", f.path, hint));
          else if (elfLike)
            info.warnings.push_back(fmt::format("{}: not found; code and read-only data the core did not dump "
                                                "cannot be read; use {} to point at a copy", f.path, hint));
          else
            info.warnings.push_back(fmt::format("mapped file {} not found; its undumped pages cannot be read",
                                                f.path));
        }
      }
      if (!r.local.empty()) {
        r.localIndex = locals.size();
        locals.push_back(LocalFile{r.local});
      }
    }
    resolved.emplace(f.path, std::move(r));
  }
  if (missingCount > kMaxWarningsPerKind)
    info.warnings.push_back(fmt::format("... and {} more mapped files not found", missingCount - kMaxWarningsPerKind));

  for (auto& f : files) {
    const Resolved& r = resolved[f.path];
    MappedFile mf;
    mf.start = f.start;
    mf.end = f.end;
    mf.fileOffset = f.offset;
    mf.path = f.path;
    mf.localPath = r.local;
    mf.shared = r.shared;
    mf.deleted = r.deleted;
    bool permsKnown = false;
    if (const Segment* seg = findSegment(f.start)) {
      permsKnown = true;
      mf.readable = seg->flags & PF_R;
      mf.writable = seg->flags & PF_W;
      mf.executable = seg->flags & PF_X;
    } else {
      // gcore writes no PT_LOAD for what it did not dump: take the flags from the file's own headers.
      for (const auto& ph : r.disk.loads) {
        uint64_t lo = ph.p_offset & ~(kPageSize - 1), hi = ph.p_offset + ph.p_filesz;
        if (f.offset >= lo && f.offset < hi) {
          permsKnown = true;
          mf.readable = ph.p_flags & PF_R;
          mf.writable = ph.p_flags & PF_W;
          mf.executable = ph.p_flags & PF_X;
          break;
        }
      }
      if (!permsKnown) {
        mf.readable = true;
        mf.writable = mf.executable = false;
      }
    }

    FileRange fr{f.start, f.end, f.offset, info.files.size()};
    fr.local = r.localIndex;
    if (r.shared)
      fr.refusal = fmt::format("{} is shared memory or a device the core did not dump; it cannot be read", f.path);
    else if (r.local.empty())
      fr.refusal = r.deleted ? fmt::format("{} was not dumped and the deleted file is not available", f.path)
                             : fmt::format("{} was not dumped and the file is not available", f.path);
    else if (r.deleted && !r.verified)
      fr.refusal = fmt::format("{} was not dumped and its replacement cannot be verified", f.path);
    else if (permsKnown && mf.writable)
      fr.refusal = fmt::format("writable mapping of {} was not dumped; the file may differ from memory", f.path);
    else
      fr.allowDisk = true;
    ranges.push_back(std::move(fr));
    info.files.push_back(std::move(mf));
  }
}

}  // namespace pyhang
