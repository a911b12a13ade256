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

#include "memory/core_file.h"

#include "common/files.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <lz4frame.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>

namespace pyhang {

namespace {

constexpr uint64_t kPageSize = 4096;
constexpr size_t kMaxPhdrs = size_t{1} << 22;         // far above vm.max_map_count
constexpr uint64_t kMaxFileEntries = uint64_t{1} << 22;
constexpr size_t kMaxThreads = size_t{1} << 20;
constexpr size_t kMaxWarningsPerKind = 16;
constexpr uint64_t kMaxDecompressed = uint64_t{1} << 40;  // 1 TiB: a bomb, not a core
constexpr size_t kIoChunk = size_t{1} << 20;

// Offsets in the x86_64 note payloads (struct elf_prstatus / elf_prpsinfo).
constexpr size_t kPrstatusCursig = 12;
constexpr size_t kPrstatusPid = 32;
constexpr size_t kPrstatusReg = 112;
constexpr size_t kPrstatusMinSize = kPrstatusReg + 27 * 8;  // 328 (336 with pr_fpvalid)
constexpr size_t kPrpsinfoState = 1;                        // pr_sname
constexpr size_t kPrpsinfoPid = 24;
constexpr size_t kPrpsinfoPpid = 28;
constexpr size_t kPrpsinfoFname = 40;
constexpr size_t kPrpsinfoPsargs = 56;
constexpr size_t kPrpsinfoSize = 136;

std::string errnoText(int e) {
  char buf[256];
  return std::string(strerror_r(e, buf, sizeof buf));
}

template <class T>
T loadAt(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

// A string from a fixed-size, possibly unterminated char array.
std::string fixedString(const uint8_t* p, size_t n) {
  size_t len = 0;
  while (len < n && p[len] != 0) ++len;
  std::string s(reinterpret_cast<const char*>(p), len);
  while (!s.empty() && s.back() == ' ') s.pop_back();  // the kernel turns argv NULs into spaces
  return s;
}

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

std::string joinPath(const std::string& dir, const std::string& rest) {
  if (dir.empty()) return rest;
  std::string a = dir;
  while (a.size() > 1 && a.back() == '/') a.pop_back();
  size_t i = 0;
  while (i < rest.size() && rest[i] == '/') ++i;
  return a + "/" + rest.substr(i);
}

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

void initLibelf() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

// ---------------------------------------------------------------------------------------------
// Decompression into an unlinked temporary file.

enum class Compression { kNone, kZstd, kLz4, kXz, kGzip, kLz4Legacy };

Compression detectCompression(const uint8_t* m, size_t n) {
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return Compression::kZstd;
  if (n >= 4 && m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4d && m[3] == 0x18) return Compression::kLz4;
  if (n >= 4 && m[0] == 0x02 && m[1] == 0x21 && m[2] == 0x4c && m[3] == 0x18) return Compression::kLz4Legacy;
  if (n >= 6 && std::memcmp(m, "\xfd" "7zXZ\0", 6) == 0) return Compression::kXz;
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return Compression::kGzip;
  return Compression::kNone;
}

const char* compressionName(Compression c) {
  switch (c) {
    case Compression::kZstd: return "zstd";
    case Compression::kLz4: return "lz4";
    case Compression::kLz4Legacy: return "lz4 (legacy)";
    case Compression::kXz: return "xz";
    case Compression::kGzip: return "gzip";
    case Compression::kNone: break;
  }
  return "none";
}

std::string tempDir() {
  const char* env = std::getenv("TMPDIR");
  return (env && *env) ? env : "/tmp";
}

Result<int> makeTempFile() {
  std::string dir = tempDir();
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string templ = joinPath(dir, "pyhang-core-XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return fail(ErrorKind::kIo, fmt::format("cannot create a temporary file in {}: {}", dir, errnoText(e)));
  }
  ::unlink(buf.data());
  return fd;
}

// Receives decompressed bytes and writes them to the temporary file, checking them as they come,
// so that a small compressed file cannot fill the disk (a decompression bomb):
//  - the first bytes must be the header of an x86_64 ELF core, or decompression stops there;
//  - once the program headers have arrived, no more is decompressed than they (and the section
//    headers gdb appends) say the core occupies, plus kDecompressMargin;
//  - never more than the temporary directory's free space minus kTempReserve (statvfs), and a core
//    whose program headers claim more than that is refused at once.
// A core with more than 65534 segments (PN_XNUM) keeps its true count in a section header that
// gdb writes at the very end: only the free-space and kMaxDecompressed limits apply to it.
constexpr size_t kHeaderWindow = size_t{1} << 20;          // the program headers must lie in it
constexpr uint64_t kDecompressMargin = uint64_t{1} << 20;  // 1 MiB past what the headers describe
constexpr uint64_t kTempReserve = uint64_t{64} << 20;      // left free in the temporary directory

class Sink {
 public:
  Sink(int fd, std::string path, std::string dir, uint64_t freeBytes)
      : fd_(fd), path_(std::move(path)), dir_(std::move(dir)), free_(freeBytes) {
    limit_ = std::min<uint64_t>(kMaxDecompressed, free_ > kTempReserve ? free_ - kTempReserve : 0);
  }

  Result<void> write(const void* data, size_t n) {
    if (n == 0 || full_) return {};
    const char* p = static_cast<const char*>(data);
    if (!headerDone_) {
      size_t take = std::min(n, kHeaderWindow - head_.size());
      head_.insert(head_.end(), p, p + take);
      auto ok = examineHeader();
      if (!ok) return fail(ok.error());
    }
    if (total_ + n > limit_) {
      if (!described_) {
        return fail(ErrorKind::kImplausible,
                    fmt::format("decompressing {} would leave less than {} MiB free in {} ({} bytes free); "
                                "set TMPDIR to a directory with more room",
                                path_, kTempReserve >> 20, dir_, free_));
      }
      n = static_cast<size_t>(limit_ - total_);
      full_ = true;
    }
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        return fail(ErrorKind::kIo, fmt::format("writing the decompressed core to a temporary file in {}: {}", dir_,
                                                errnoText(e)));
      }
      p += w;
      n -= static_cast<size_t>(w);
      total_ += static_cast<uint64_t>(w);
    }
    return {};
  }
  uint64_t total() const { return total_; }
  // The stream went on past what the core's program headers describe: decompression stopped.
  bool full() const { return full_; }
  uint64_t described() const { return described_; }

 private:
  Result<void> examineHeader() {
    const uint8_t* h = head_.data();
    if (head_.size() >= SELFMAG && std::memcmp(h, ELFMAG, SELFMAG) != 0)
      return fail(ErrorKind::kImplausible,
                  fmt::format("{} is not an ELF core: its decompressed data does not start with the ELF magic", path_));
    if (head_.size() < sizeof(Elf64_Ehdr)) return {};
    Elf64_Ehdr eh;
    std::memcpy(&eh, h, sizeof eh);
    if (h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_CORE || eh.e_machine != EM_X86_64)
      return fail(ErrorKind::kImplausible,
                  fmt::format("{} holds an ELF file that is not an x86_64 core dump (class {}, type {}, machine {})",
                              path_, h[EI_CLASS], eh.e_type, eh.e_machine));
    if (eh.e_phnum == PN_XNUM) {
      headerDone_ = true;  // the true count is at the end of the file: only the other limits
      return {};
    }
    uint64_t phEnd = uint64_t{eh.e_phoff} + uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
    if (eh.e_phnum == 0 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff < sizeof(Elf64_Ehdr) ||
        phEnd > kHeaderWindow)
      return fail(ErrorKind::kImplausible,
                  fmt::format("{}: implausible program headers ({} of {} bytes at offset {})", path_, eh.e_phnum,
                              eh.e_phentsize, eh.e_phoff));
    if (head_.size() < phEnd) return {};
    headerDone_ = true;
    uint64_t need = phEnd;
    if (eh.e_shoff && eh.e_shnum && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shoff < (uint64_t{1} << 62))
      need = std::max<uint64_t>(need, eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr));
    for (size_t i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      std::memcpy(&ph, h + eh.e_phoff + i * sizeof ph, sizeof ph);
      if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE) continue;
      if (ph.p_offset + ph.p_filesz < ph.p_offset) continue;  // wraps: ignored when read, too
      need = std::max<uint64_t>(need, ph.p_offset + ph.p_filesz);
    }
    if (need > limit_)
      return fail(ErrorKind::kImplausible,
                  fmt::format("{} would need {} bytes once decompressed (so its program headers say), more than "
                              "pyhang allows itself in {} ({} bytes free, {} MiB kept free); set TMPDIR to a "
                              "directory with more room, or decompress it by hand",
                              path_, need, dir_, free_, kTempReserve >> 20));
    described_ = need;
    limit_ = std::min(limit_, need + kDecompressMargin);
    return {};
  }

  int fd_;
  std::string path_, dir_;
  uint64_t free_;
  uint64_t limit_;
  uint64_t total_ = 0;
  uint64_t described_ = 0;
  bool headerDone_ = false;
  bool full_ = false;
  std::vector<uint8_t> head_;
};

// Reads the next chunk of compressed input; 0 at EOF.
Result<size_t> readChunk(int fd, std::vector<uint8_t>& buf, const std::string& path) {
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    int e = errno;
    return fail(ErrorKind::kIo, fmt::format("reading {}: {}", path, errnoText(e)));
  }
}

// Outcome of a decompression: a hard error (I/O), or a possibly incomplete stream described by
// `problem` (corrupt data or an early end), which becomes a warning if some output was produced.
struct Decompressed {
  std::string problem;
};

Result<Decompressed> decompressZstd(int in, Sink& sink, const std::string& path) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (!ds) return fail(ErrorKind::kIo, "out of memory creating a zstd stream");
  struct Free {
    ZSTD_DStream* d;
    ~Free() { ZSTD_freeDStream(d); }
  } guard{ds};
  ZSTD_initDStream(ds);
  std::vector<uint8_t> inBuf(ZSTD_DStreamInSize() > kIoChunk ? ZSTD_DStreamInSize() : kIoChunk);
  std::vector<uint8_t> outBuf(ZSTD_DStreamOutSize() > kIoChunk ? ZSTD_DStreamOutSize() : kIoChunk);
  size_t last = 1;  // 0 once a frame is complete and flushed
  for (;;) {
    PYHANG_TRY(n, readChunk(in, inBuf, path));
    if (n == 0) break;
    ZSTD_inBuffer ib{inBuf.data(), n, 0};
    ZSTD_outBuffer ob{outBuf.data(), outBuf.size(), 0};
    // Keep going while input remains or the output filled up (the decoder may hold more).
    do {
      ob.pos = 0;
      size_t before = ib.pos;
      size_t r = ZSTD_decompressStream(ds, &ob, &ib);
      if (ZSTD_isError(r)) return Decompressed{fmt::format("corrupt zstd data: {}", ZSTD_getErrorName(r))};
      auto w = sink.write(outBuf.data(), ob.pos);
      if (!w) return fail(w.error());
      if (sink.full()) return Decompressed{};
      if (ob.pos > 0 || ib.pos > before) last = r;  // an idle call only hints at the next frame
    } while (ib.pos < ib.size || ob.pos == ob.size);
  }
  if (last != 0) return Decompressed{"the zstd stream ends early (truncated file?)"};
  return Decompressed{};
}

Result<Decompressed> decompressLz4(int in, Sink& sink, const std::string& path) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
    return fail(ErrorKind::kIo, "cannot create an lz4 decompression context");
  struct Free {
    LZ4F_dctx* c;
    ~Free() { LZ4F_freeDecompressionContext(c); }
  } guard{ctx};
  std::vector<uint8_t> inBuf(kIoChunk), outBuf(4 * kIoChunk);
  size_t last = 1;
  for (;;) {
    PYHANG_TRY(n, readChunk(in, inBuf, path));
    if (n == 0) break;
    const uint8_t* src = inBuf.data();
    size_t left = n;
    while (left > 0) {
      size_t dstSize = outBuf.size(), srcSize = left;
      size_t r = LZ4F_decompress(ctx, outBuf.data(), &dstSize, src, &srcSize, nullptr);
      if (LZ4F_isError(r)) return Decompressed{fmt::format("corrupt lz4 data: {}", LZ4F_getErrorName(r))};
      auto w = sink.write(outBuf.data(), dstSize);
      if (!w) return fail(w.error());
      if (sink.full()) return Decompressed{};
      src += srcSize;
      left -= srcSize;
      last = r;
      if (srcSize == 0 && dstSize == 0) return Decompressed{"the lz4 decoder made no progress"};
    }
  }
  for (;;) {  // flush buffered output
    size_t dstSize = outBuf.size(), srcSize = 0;
    size_t r = LZ4F_decompress(ctx, outBuf.data(), &dstSize, nullptr, &srcSize, nullptr);
    if (LZ4F_isError(r)) return Decompressed{fmt::format("corrupt lz4 data: {}", LZ4F_getErrorName(r))};
    auto w = sink.write(outBuf.data(), dstSize);
    if (!w) return fail(w.error());
    if (sink.full()) return Decompressed{};
    if (dstSize == 0) break;
    last = r;
  }
  if (last != 0) return Decompressed{"the lz4 frame ends early (truncated file?)"};
  return Decompressed{};
}

Result<Decompressed> decompressXz(int in, Sink& sink, const std::string& path) {
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return fail(ErrorKind::kIo, "cannot create an xz decoder");
  struct Free {
    lzma_stream* s;
    ~Free() { lzma_end(s); }
  } guard{&strm};
  std::vector<uint8_t> inBuf(kIoChunk), outBuf(4 * kIoChunk);
  bool eof = false;
  for (;;) {
    if (strm.avail_in == 0 && !eof) {
      PYHANG_TRY(n, readChunk(in, inBuf, path));
      strm.next_in = inBuf.data();
      strm.avail_in = n;
      if (n == 0) eof = true;
    }
    strm.next_out = outBuf.data();
    strm.avail_out = outBuf.size();
    lzma_ret r = lzma_code(&strm, eof ? LZMA_FINISH : LZMA_RUN);
    auto w = sink.write(outBuf.data(), outBuf.size() - strm.avail_out);
    if (!w) return fail(w.error());
    if (sink.full()) return Decompressed{};
    if (r == LZMA_STREAM_END) return Decompressed{};
    if (r == LZMA_OK) continue;
    if (r == LZMA_BUF_ERROR && eof) return Decompressed{"the xz stream ends early (truncated file?)"};
    if (r == LZMA_MEM_ERROR) return fail(ErrorKind::kIo, "out of memory decompressing xz data");
    return Decompressed{fmt::format("corrupt xz data (liblzma error {})", static_cast<int>(r))};
  }
}

Result<Decompressed> decompressGzip(int in, Sink& sink, const std::string& path) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return fail(ErrorKind::kIo, "cannot create a zlib stream");
  struct Free {
    z_stream* z;
    ~Free() { inflateEnd(z); }
  } guard{&zs};
  std::vector<uint8_t> inBuf(kIoChunk), outBuf(4 * kIoChunk);
  bool eof = false, ended = false;
  for (;;) {
    if (zs.avail_in == 0 && !eof) {
      PYHANG_TRY(n, readChunk(in, inBuf, path));
      zs.next_in = inBuf.data();
      zs.avail_in = static_cast<uInt>(n);
      if (n == 0) eof = true;
    }
    if (eof && zs.avail_in == 0) {
      if (ended) return Decompressed{};
      // Let inflate emit what it holds, then report the early end.
      zs.next_out = outBuf.data();
      zs.avail_out = static_cast<uInt>(outBuf.size());
      int r = inflate(&zs, Z_SYNC_FLUSH);
      auto w = sink.write(outBuf.data(), outBuf.size() - zs.avail_out);
      if (!w) return fail(w.error());
      if (sink.full() || r == Z_STREAM_END) return Decompressed{};
      if (zs.avail_out == 0) continue;
      return Decompressed{"the gzip stream ends early (truncated file?)"};
    }
    if (ended) {  // another gzip member follows (concatenated .gz)
      if (inflateReset(&zs) != Z_OK) return Decompressed{"cannot restart the gzip stream"};
      ended = false;
    }
    zs.next_out = outBuf.data();
    zs.avail_out = static_cast<uInt>(outBuf.size());
    int r = inflate(&zs, Z_NO_FLUSH);
    auto w = sink.write(outBuf.data(), outBuf.size() - zs.avail_out);
    if (!w) return fail(w.error());
    if (sink.full()) return Decompressed{};
    if (r == Z_STREAM_END) {
      ended = true;
      continue;
    }
    if (r == Z_OK || r == Z_BUF_ERROR) continue;
    if (r == Z_MEM_ERROR) return fail(ErrorKind::kIo, "out of memory decompressing gzip data");
    return Decompressed{fmt::format("corrupt gzip data: {}", zs.msg ? zs.msg : "inflate error")};
  }
}

// ---------------------------------------------------------------------------------------------
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

}  // namespace

// ---------------------------------------------------------------------------------------------

struct CoreFile::Impl {
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
    PYHANG_TRY(tmp, makeTempFile());
    FdCloser tmpFd(tmp);
    struct statvfs vfs;
    uint64_t freeBytes = ::fstatvfs(tmp, &vfs) == 0 ? uint64_t{vfs.f_bavail} * vfs.f_frsize : kMaxDecompressed;
    Sink sink(tmp, path, tempDir(), freeBytes);
    Result<Decompressed> d = Decompressed{};
    switch (comp) {
      case Compression::kZstd: d = decompressZstd(fd.fd, sink, path); break;
      case Compression::kLz4: d = decompressLz4(fd.fd, sink, path); break;
      case Compression::kXz: d = decompressXz(fd.fd, sink, path); break;
      case Compression::kGzip: d = decompressGzip(fd.fd, sink, path); break;
      default: break;
    }
    if (!d) return fail(d.error().withContext(fmt::format("decompressing {}", path)));
    if (!d->problem.empty()) {
      if (sink.total() < sizeof(Elf64_Ehdr))
        return fail(ErrorKind::kImplausible, fmt::format("{} looks {}-compressed but cannot be decompressed: {}",
                                                         path, compressionName(comp), d->problem));
      info.warnings.push_back(fmt::format("{} ({}): {}; using the {} bytes decompressed so far", path,
                                          compressionName(comp), d->problem, sink.total()));
    }
    if (sink.full()) {
      info.warnings.push_back(fmt::format("{} ({}): the stream goes on past the {} bytes the core's program headers "
                                          "describe; decompression stopped after {} bytes",
                                          path, compressionName(comp), sink.described(), sink.total()));
    }
    fd.reset(tmpFd.fd);
    tmpFd.fd = -1;
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

NoteSummary CoreFile::Impl::parseNotes(const std::vector<GElf_Phdr>& notes, CoreInfo& info) const {
  NoteSummary sum;
  sum.intact = !notes.empty();
  size_t noteWarnings = 0;
  auto noteWarning = [&](std::string msg) {
    if (noteWarnings++ < kMaxWarningsPerKind) info.warnings.push_back(std::move(msg));
  };
  auto onNote = [&](const Note& n) {
    if (n.name == "GDB") sum.gdbNote = true;
    if (n.name != "CORE") return;
    switch (n.type) {
      case NT_PRSTATUS: {
        if (n.descSize < kPrstatusMinSize) {
          noteWarning(fmt::format("NT_PRSTATUS note of {} bytes is too short for x86_64; ignored", n.descSize));
          return;
        }
        if (info.threads.size() >= kMaxThreads) return;
        CoreThread t;
        t.tid = loadAt<int32_t>(n.desc + kPrstatusPid);
        t.signal = loadAt<int16_t>(n.desc + kPrstatusCursig);
        std::memcpy(t.regs, n.desc + kPrstatusReg, sizeof t.regs);
        t.fsBase = t.regs[21];
        info.threads.push_back(t);
        return;
      }
      case NT_PRPSINFO: {
        if (n.descSize < kPrpsinfoSize) {
          noteWarning(fmt::format("NT_PRPSINFO note of {} bytes is too short; ignored", n.descSize));
          return;
        }
        sum.havePrpsinfo = true;
        info.state = static_cast<char>(n.desc[kPrpsinfoState]);
        info.pid = loadAt<int32_t>(n.desc + kPrpsinfoPid);
        info.ppid = loadAt<int32_t>(n.desc + kPrpsinfoPpid);
        info.fname = fixedString(n.desc + kPrpsinfoFname, 16);
        info.psargs = fixedString(n.desc + kPrpsinfoPsargs, 80);
        return;
      }
      case NT_SIGINFO: {
        if (n.descSize < 12) return;
        sum.haveSiginfo = true;
        sum.siginfoSigno = loadAt<int32_t>(n.desc);
        return;
      }
      case NT_AUXV: {
        for (size_t i = 0; i + 16 <= n.descSize; i += 16) {
          uint64_t key = loadAt<uint64_t>(n.desc + i), val = loadAt<uint64_t>(n.desc + i + 8);
          if (key == AT_NULL) break;
          if (key == AT_ENTRY) sum.entryAddr = val;
          if (key == AT_PHDR) sum.phdrAddr = val;
        }
        return;
      }
      case NT_FILE: {
        if (n.descSize < 16) {
          noteWarning("NT_FILE note too short; ignored");
          return;
        }
        uint64_t count = loadAt<uint64_t>(n.desc), pageSize = loadAt<uint64_t>(n.desc + 8);
        uint64_t fit = (n.descSize - 16) / 24;
        if (count > fit || count > kMaxFileEntries) {
          noteWarning(fmt::format("NT_FILE claims {} entries but has room for {}; ignored", count, fit));
          return;
        }
        // The kernel counts offsets in pages of page_size 4096; gdb writes page_size 1 and bytes.
        if (pageSize == 0 || pageSize > (uint64_t{1} << 30)) {
          noteWarning(fmt::format("NT_FILE has implausible page size {}; ignored", pageSize));
          return;
        }
        const uint8_t* names = n.desc + 16 + count * 24;
        const uint8_t* namesEnd = n.desc + n.descSize;
        size_t skipped = 0;
        for (uint64_t i = 0; i < count; ++i) {
          const uint8_t* q = n.desc + 16 + i * 24;
          uint64_t s = loadAt<uint64_t>(q), en = loadAt<uint64_t>(q + 8), pg = loadAt<uint64_t>(q + 16);
          const uint8_t* z =
              names < namesEnd ? static_cast<const uint8_t*>(std::memchr(names, 0, namesEnd - names)) : nullptr;
          if (!z) {
            skipped += count - i;
            break;
          }
          std::string name(reinterpret_cast<const char*>(names), z - names);
          names = z + 1;
          if (s >= en || pg > std::numeric_limits<uint64_t>::max() / pageSize ||
              pg * pageSize + (en - s) < pg * pageSize) {
            ++skipped;
            continue;
          }
          sum.files.push_back(RawFile{s, en, pg * pageSize, std::move(name)});
        }
        if (skipped) noteWarning(fmt::format("NT_FILE: ignored {} malformed entries", skipped));
        return;
      }
      default: return;
    }
  };

  for (const auto& ph : notes) {
    uint64_t off = ph.p_offset, len = ph.p_filesz;
    if (off >= coreSize) {
      sum.intact = false;
      noteWarning(fmt::format("note segment at core offset {} is past the end of the truncated core", off));
      continue;
    }
    if (len > coreSize - off) {
      sum.intact = false;
      noteWarning(fmt::format("note segment at core offset {} is cut short by truncation ({} of {} bytes)", off,
                              coreSize - off, len));
      len = coreSize - off;
    }
    std::optional<size_t> bad;
    forEachNote(core + off, static_cast<size_t>(len), 4, onNote, &bad);
    if (bad)
      noteWarning(fmt::format("note at core offset {} runs past the end of its segment; it and the notes after "
                              "it are ignored", off + *bad));
  }
  return sum;
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
