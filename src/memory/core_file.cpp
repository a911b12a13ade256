// CoreFile: an x86_64 Linux ELF core (kernel or gdb's gcore) as a RemoteMemory.
//
// The core (or, for compressed cores, its decompressed copy in an unlinked temporary file) is
// mmapped, never read into memory. libelf parses the ELF and program headers; the notes are
// parsed by hand with every length checked against the segment, since the file is untrusted.
//
// Memory the core did not dump (read-only file-backed text and data: the kernel writes a
// PT_LOAD with p_filesz < p_memsz, gdb writes no PT_LOAD at all) is served from the mapped file
// on disk, found through NT_FILE and CoreOptions, and only when that is known to be sound: never
// for shared-memory-like paths (/dev/shm, memfd, SysV, devices, "(deleted)" files whose build-id
// cannot be verified), never for writable mappings, never from an ELF whose build-id differs
// from the one the core recorded.

//
// This file: opening the core (mapping it, decompressing it through core_decompress.cpp), the ELF
// and program headers, the load sequence, and the memory-read interface. The notes are parsed in
// core_notes.cpp, the mapped files resolved and read in core_mapped_files.cpp.

#include "memory/core_file.h"

#include "common/files.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "memory/core_decompress.h"
#include "memory/core_file_internal.h"

namespace pyhang {

namespace core_internal {

std::string errnoText(int e) {
  char buf[256];
  return std::string(strerror_r(e, buf, sizeof buf));
}

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

std::string joinPath(const std::string& dir, const std::string& rest) {
  if (dir.empty()) return rest;
  std::string a = dir;
  while (a.size() > 1 && a.back() == '/') a.pop_back();
  size_t i = 0;
  while (i < rest.size() && rest[i] == '/') ++i;
  return a + "/" + rest.substr(i);
}

}  // namespace core_internal

namespace {

using namespace core_internal;

constexpr size_t kMaxPhdrs = size_t{1} << 22;         // far above vm.max_map_count

void initLibelf() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

}  // namespace

Result<void> CoreFile::Impl::mapCore(CoreInfo& info) {
  FdCloser fd(openRegularFile(path));
  if (fd.fd < 0) {
    int e = errno;
    Error err{ErrorKind::kIo, fmt::format("cannot open core {}: {}", path, errnoText(e)), 0, ""};
    if (e == ENOENT || e == ENOTDIR) err.hint = "hint: check the path of the core file";
    else if (e == EACCES || e == EPERM) err.hint = "hint: the core file is not readable by this user (try sudo)";
    return fail(err);
  }
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) {
    int e = errno;
    return fail(ErrorKind::kIo, fmt::format("cannot stat core {}: {}", path, errnoText(e)));
  }
  if (S_ISDIR(st.st_mode)) return fail(ErrorKind::kIo, fmt::format("core {} is a directory", path));
  if (!S_ISREG(st.st_mode)) return fail(ErrorKind::kIo, fmt::format("core {} is not a regular file", path));

  uint8_t magic[8] = {};
  ssize_t got = ::pread(fd.fd, magic, sizeof magic, 0);
  if (got < 0) {
    int e = errno;
    return fail(ErrorKind::kIo, fmt::format("cannot read core {}: {}", path, errnoText(e)));
  }
  Compression comp = detectCompression(magic, static_cast<size_t>(got));
  if (comp == Compression::kLz4Legacy)
    return fail(ErrorKind::kUnsupported,
                fmt::format("{} uses the legacy lz4 format; recompress with `lz4` (frame format)", path));
  if (comp != Compression::kNone) {
    PYHANG_TRY(tmp, decompressToTempFile(fd.fd, path, comp, info.warnings));
    fd.reset(tmp);
    if (::fstat(fd.fd, &st) != 0) {
      int e = errno;
      return fail(ErrorKind::kIo, fmt::format("cannot stat the decompressed core: {}", errnoText(e)));
    }
    what = fmt::format("{} (decompressed)", path);
  }

  coreSize = static_cast<size_t>(st.st_size);
  if (coreSize < sizeof(Elf64_Ehdr)) {
    if (coreSize >= SELFMAG && std::memcmp(magic, ELFMAG, SELFMAG) == 0 && comp == Compression::kNone)
      return fail(ErrorKind::kImplausible,
                  fmt::format("{} is truncated inside its ELF header ({} bytes)", what, coreSize));
    return fail(ErrorKind::kImplausible, fmt::format("{} is not an ELF core (only {} bytes)", what, coreSize));
  }
  // Private and writable, as libelf's own ELF_C_READ_MMAP: nothing can reach the file.
  void* m = ::mmap(nullptr, coreSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd.fd, 0);
  if (m == MAP_FAILED) {
    int e = errno;
    return fail(ErrorKind::kIo, fmt::format("cannot mmap core {}: {}", what, errnoText(e)));
  }
  core = static_cast<uint8_t*>(m);
  mapSize = coreSize;
  return {};
}

Result<void> CoreFile::Impl::readProgramHeaders(CoreInfo& info, std::vector<GElf_Phdr>& notes, bool& truncated) {
  // Identity checks before libelf sees the data.
  if (std::memcmp(core, ELFMAG, SELFMAG) != 0)
    return fail(ErrorKind::kImplausible, fmt::format("{} is not an ELF file (no ELF magic)", what));
  if (core[EI_CLASS] != ELFCLASS64 || core[EI_DATA] != ELFDATA2LSB)
    return fail(ErrorKind::kImplausible,
                fmt::format("{} is not a 64-bit little-endian ELF file; only x86_64 cores are supported", what));

  ElfCloser e;
  e.elf = elf_memory(reinterpret_cast<char*>(core), coreSize);
  if (!e.elf || elf_kind(e.elf) != ELF_K_ELF)
    return fail(ErrorKind::kImplausible, fmt::format("{}: libelf cannot parse it: {}", what, elf_errmsg(-1)));
  GElf_Ehdr eh;
  if (!gelf_getehdr(e.elf, &eh))
    return fail(ErrorKind::kImplausible, fmt::format("{}: bad ELF header: {}", what, elf_errmsg(-1)));
  if (eh.e_type != ET_CORE)
    return fail(ErrorKind::kImplausible,
                fmt::format("{} is an ELF file but not a core dump (e_type {}{})", what, eh.e_type,
                            eh.e_type == ET_EXEC  ? ", an executable"
                            : eh.e_type == ET_DYN ? ", a shared object or PIE executable"
                            : eh.e_type == ET_REL ? ", an object file"
                                                  : ""));
  if (eh.e_machine != EM_X86_64)
    return fail(ErrorKind::kImplausible, fmt::format("{} is a core for ELF machine {}, but only x86_64 (62) is "
                                                     "supported", what, eh.e_machine));

  size_t phnum = 0;
  if (elf_getphdrnum(e.elf, &phnum) != 0)  // handles PN_XNUM (more than 65534 segments)
    return fail(ErrorKind::kImplausible,
                fmt::format("{}: cannot read the program header count: {}", what, elf_errmsg(-1)));
  if (phnum > kMaxPhdrs)
    return fail(ErrorKind::kImplausible, fmt::format("{}: implausible program header count {}", what, phnum));
  if (phnum == 0) return fail(ErrorKind::kImplausible, fmt::format("{}: core has no program headers", what));
  uint64_t expected = eh.e_phoff + uint64_t{phnum} * sizeof(Elf64_Phdr);
  if (eh.e_phoff > coreSize || expected > coreSize)
    return fail(ErrorKind::kImplausible,
                fmt::format("core is truncated: {} of {} bytes present, not even the program headers ({})",
                            coreSize, expected, what));
  // gdb writes section headers after everything else.
  if (eh.e_shoff != 0 && eh.e_shnum != 0 && eh.e_shentsize == sizeof(Elf64_Shdr) &&
      eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) > eh.e_shoff)
    expected = std::max<uint64_t>(expected, eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr));

  size_t badSegments = 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e.elf, static_cast<int>(i), &ph))
      return fail(ErrorKind::kImplausible,
                  fmt::format("{}: cannot read program header {}: {}", what, i, elf_errmsg(-1)));
    if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE) continue;
    if (ph.p_offset + ph.p_filesz < ph.p_offset) {
      ++badSegments;
      continue;
    }
    if (ph.p_filesz) expected = std::max<uint64_t>(expected, ph.p_offset + ph.p_filesz);
    if (ph.p_type == PT_NOTE) {
      notes.push_back(ph);
      continue;
    }
    if (ph.p_memsz == 0) continue;
    if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr || ph.p_filesz > ph.p_memsz) {
      ++badSegments;
      continue;
    }
    segments.push_back(Segment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags});
  }
  if (badSegments)
    info.warnings.push_back(fmt::format("{}: ignored {} malformed PT_LOAD/PT_NOTE headers", what, badSegments));
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
  std::vector<Segment> kept;
  size_t overlaps = 0;
  for (const auto& s : segments) {
    if (!kept.empty() && s.vaddr < kept.back().vaddr + kept.back().memsz) {
      ++overlaps;
      continue;
    }
    kept.push_back(s);
  }
  if (overlaps) info.warnings.push_back(fmt::format("{}: ignored {} overlapping PT_LOAD segments", what, overlaps));
  segments = std::move(kept);

  truncated = expected > coreSize;
  if (truncated) info.truncation = fmt::format("{} of {} bytes present", coreSize, expected);
  if (truncated)
    info.warnings.push_back(fmt::format("core is truncated: {} of {} bytes present; memory past the end "
                                        "cannot be read", coreSize, expected));
  return {};
}

Result<void> CoreFile::Impl::load(const CoreOptions& options, CoreInfo& info) {
  initLibelf();
  auto mapped = mapCore(info);
  if (!mapped) return mapped;
  std::vector<GElf_Phdr> notes;
  bool truncated = false;
  auto headers = readProgramHeaders(info, notes, truncated);
  if (!headers) return headers;

  NoteSummary sum = parseNotes(notes, info);
  if (notes.empty() && !truncated)
    return fail(ErrorKind::kImplausible, fmt::format("{}: core has no PT_NOTE segment", what));
  if (info.threads.empty()) {
    if (sum.intact)
      return fail(ErrorKind::kImplausible,
                  fmt::format("{}: the notes hold no NT_PRSTATUS (thread status); the core is corrupt", what));
    info.warnings.push_back("no thread status (NT_PRSTATUS) survived the truncation: no threads or registers");
  }
  if (!sum.havePrpsinfo && sum.intact)
    info.warnings.push_back("core has no NT_PRPSINFO note: pid and command line unknown");
  if (info.pid == 0 && !info.threads.empty()) info.pid = info.threads.front().tid;

  // The kernel puts the thread that took the signal first, and sets pr_cursig to the signal in
  // every thread. gdb 13 writes NT_SIGINFO too, but with si_signo SIGSTOP (from its attach),
  // leaves pr_cursig 0 (unless the thread really stopped on a signal under gdb) and adds a "GDB"
  // note (NT_GDB_TDESC); older gdb wrote no NT_SIGINFO.
  info.signalTid = info.threads.empty() ? 0 : info.threads.front().tid;
  int firstCursig = info.threads.empty() ? 0 : info.threads.front().signal;
  info.looksLikeGcore =
      sum.gdbNote || !sum.haveSiginfo || sum.siginfoSigno == 0 || (!info.threads.empty() && firstCursig == 0);
  info.signal = info.looksLikeGcore ? firstCursig : sum.siginfoSigno;

  indexFiles(sum, options, info);
  return {};
}

// ---------------------------------------------------------------------------------------------

std::string executableOf(const CoreInfo& info) {
  for (const auto& f : info.files) {
    auto slash = f.path.rfind('/');
    std::string base = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
    if (!info.fname.empty() && base.rfind(info.fname, 0) == 0) return f.path;
  }
  return info.files.empty() ? "" : info.files.front().path;
}

Result<std::unique_ptr<CoreFile>> CoreFile::open(const std::string& path, const CoreOptions& options) {
  std::unique_ptr<CoreFile> cf(new CoreFile());
  cf->impl_ = std::make_unique<Impl>();
  cf->impl_->path = path;
  cf->impl_->what = path;
  auto r = cf->impl_->load(options, cf->info_);
  if (!r) return fail(r.error());
  return cf;
}

CoreFile::~CoreFile() = default;

Result<void> CoreFile::read(uint64_t addr, void* out, size_t size) const {
  if (size == 0) return {};
  if (addr + size < addr) return fail(ErrorKind::kUnmapped, "read wraps around the address space", addr);
  const Impl& im = *impl_;
  auto* dst = static_cast<uint8_t*>(out);
  uint64_t cur = addr;
  size_t left = size;
  while (left > 0) {
    const Segment* s = im.findSegment(cur);
    size_t done;
    if (s) {
      uint64_t off = cur - s->vaddr;
      uint64_t n = std::min<uint64_t>(left, s->memsz - off);
      if (off < s->filesz) {
        n = std::min<uint64_t>(n, s->filesz - off);
        uint64_t fo = s->offset + off;
        if (fo > im.coreSize || n > im.coreSize - fo)
          return fail(ErrorKind::kShortRead,
                      fmt::format("core is truncated: segment data at core offset {} is missing ({} bytes present)",
                                  std::max<uint64_t>(fo, im.coreSize), im.coreSize),
                      fo >= im.coreSize ? cur : cur + (im.coreSize - fo));
        std::memcpy(dst, im.core + fo, n);
        done = static_cast<size_t>(n);
      } else {
        // Part of the mapping the core left out: from the mapped file, if that is sound.
        auto r = im.readFromFile(cur, dst, static_cast<size_t>(n));
        if (!r) {
          Error err = r.error();
          if (!im.findRange(cur))
            err = Error{ErrorKind::kUnmapped, "memory not dumped in the core and not file-backed", cur};
          return fail(err);
        }
        done = *r;
      }
    } else {
      // No segment here. gcore omits undumped mappings entirely; NT_FILE may still cover them.
      uint64_t n = left;
      if (const Segment* next = im.nextSegment(cur)) n = std::min<uint64_t>(n, next->vaddr - cur);
      auto r = im.readFromFile(cur, dst, static_cast<size_t>(n));
      if (!r) {
        if (!im.findRange(cur)) return fail(ErrorKind::kUnmapped, "address not in the core", cur);
        return fail(r.error());
      }
      done = *r;
    }
    if (done == 0) return fail(ErrorKind::kUnmapped, "read made no progress", cur);
    dst += done;
    cur += done;
    left -= done;
  }
  return {};
}

}  // namespace pyhang
