// Compressed cores: detection by magic, and streaming decompression (zstd, lz4, xz, gzip) into an
// unlinked temporary file, checked as it comes against the core's own headers and the free space.
#include "memory/core_decompress.h"

#include <elf.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <lzma.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "memory/core_file_internal.h"

namespace pyhang::core_internal {

namespace {

constexpr uint64_t kMaxDecompressed = uint64_t{1} << 40;  // 1 TiB: a bomb, not a core
constexpr size_t kIoChunk = size_t{1} << 20;

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

}  // namespace

Compression detectCompression(const uint8_t* m, size_t n) {
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return Compression::kZstd;
  if (n >= 4 && m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4d && m[3] == 0x18) return Compression::kLz4;
  if (n >= 4 && m[0] == 0x02 && m[1] == 0x21 && m[2] == 0x4c && m[3] == 0x18) return Compression::kLz4Legacy;
  if (n >= 6 && std::memcmp(m, "\xfd" "7zXZ\0", 6) == 0) return Compression::kXz;
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return Compression::kGzip;
  return Compression::kNone;
}

Result<int> decompressToTempFile(int fd, const std::string& path, Compression comp,
                                 std::vector<std::string>& warnings) {
  PYHANG_TRY(tmp, makeTempFile());
  FdCloser tmpFd(tmp);
  struct statvfs vfs;
  uint64_t freeBytes = ::fstatvfs(tmp, &vfs) == 0 ? uint64_t{vfs.f_bavail} * vfs.f_frsize : kMaxDecompressed;
  Sink sink(tmp, path, tempDir(), freeBytes);
  Result<Decompressed> d = Decompressed{};
  switch (comp) {
    case Compression::kZstd: d = decompressZstd(fd, sink, path); break;
    case Compression::kLz4: d = decompressLz4(fd, sink, path); break;
    case Compression::kXz: d = decompressXz(fd, sink, path); break;
    case Compression::kGzip: d = decompressGzip(fd, sink, path); break;
    default: break;
  }
  if (!d) return fail(d.error().withContext(fmt::format("decompressing {}", path)));
  if (!d->problem.empty()) {
    if (sink.total() < sizeof(Elf64_Ehdr))
      return fail(ErrorKind::kImplausible, fmt::format("{} looks {}-compressed but cannot be decompressed: {}",
                                                       path, compressionName(comp), d->problem));
    warnings.push_back(fmt::format("{} ({}): {}; using the {} bytes decompressed so far", path,
                                   compressionName(comp), d->problem, sink.total()));
  }
  if (sink.full()) {
    warnings.push_back(fmt::format("{} ({}): the stream goes on past the {} bytes the core's program headers "
                                   "describe; decompression stopped after {} bytes",
                                   path, compressionName(comp), sink.described(), sink.total()));
  }
  int out = tmpFd.fd;
  tmpFd.fd = -1;
  return out;
}

}  // namespace pyhang::core_internal
