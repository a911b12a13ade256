// libFuzzer target: CoreFile::open on an arbitrary file (ELF core, or zstd/lz4/xz/gzip-compressed
// data), then reads through it: around every thread's registers and every NT_FILE mapping, at
// two addresses taken from the end of the input, and, when the core maps a Python, the whole
// runtime locator and process reader with small limits.
//
// The input is written to a memfd and opened as /proc/self/fd/N, the way a user names a file.
// Decompressed output is capped by RLIMIT_FSIZE (64 MiB) so that a small compression bomb costs
// an error, not the disk (CoreFile itself accepts up to 1 TiB, by design).
//
// Seed helper: PYHANG_FUZZ_CORE_RECORD=<core> makes the binary open that core, run the same
// reads through a recording memory, print the touched address ranges ("0xLO 0xHI" per line,
// page-rounded) on stdout and exit; fuzz/make_seed.py uses them to shrink real gcores.
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cpython/process_reader.h"
#include "cpython/runtime_locator.h"
#include "memory/core_file.h"

using namespace pyhang;

namespace {

int gMemfd = -1;

class RecordingMemory : public RemoteMemory {
 public:
  explicit RecordingMemory(const RemoteMemory& inner) : inner_(inner) {}
  Result<void> read(uint64_t addr, void* out, size_t size) const override {
    auto r = inner_.read(addr, out, size);
    if (r && size) ranges.emplace_back(addr, addr + size);
    return r;
  }
  mutable std::vector<std::pair<uint64_t, uint64_t>> ranges;

 private:
  const RemoteMemory& inner_;
};

size_t readSome(const RemoteMemory& mem, uint64_t addr, size_t n) {
  std::vector<uint8_t> buf(n);
  auto r = mem.read(addr, buf.data(), n);
  size_t sink = r ? buf[n - 1] : r.error().describe().size();
  return sink;
}

size_t exercise(const CoreFile& core, const RemoteMemory& mem, uint64_t extraA, uint64_t extraB) {
  const CoreInfo& info = core.info();
  size_t sink = info.fname.size() + info.psargs.size() + info.warnings.size();
  for (size_t i = 0; i < info.threads.size() && i < 4; ++i) {
    const CoreThread& t = info.threads[i];
    sink += readSome(mem, t.regs[19], 64);        // rsp
    sink += readSome(mem, t.regs[16], 16);        // rip
    sink += readSome(mem, t.fsBase, 8);
  }
  for (size_t i = 0; i < info.files.size() && i < 8; ++i) {
    const MappedFile& f = info.files[i];
    sink += readSome(mem, f.start, 64);
    sink += readSome(mem, f.end - 8, 16);         // crosses the end of the mapping
    sink += readSome(mem, f.start, 3 * 4096 + 5); // across pages (and maybe segments)
  }
  for (uint64_t a : {extraA, extraB}) {
    sink += readSome(mem, a, 1);
    sink += readSome(mem, a, 8);
    sink += readSome(mem, a, 4096 + 8);
    if (auto s = mem.readCString(a, 300)) sink += s->size();
  }
  if (!info.files.empty()) {
    std::string exe = executableOf(info);
    auto rt = cpython::locateRuntime(mem, info.files, exe);
    if (rt) {
      cpython::ReadOptions ro;
      ro.renderLocals = true;
      ro.limits.maxThreads = 16;
      ro.limits.maxFrames = 64;
      ro.limits.maxStringBytes = 4096;
      ro.limits.maxDictEntries = 1024;
      ro.limits.maxLocals = 256;
      ro.localPath = [](const std::string&) { return std::string(); };
      Process p;
      auto r = cpython::readPythonProcess(mem, *rt, ro, p);
      sink += p.threads.size() + (r ? 0 : 1);
    } else {
      sink += rt.error().describe().size();
    }
  }
  return sink;
}

[[noreturn]] void recordRanges(const char* path) {
  auto core = CoreFile::open(path, CoreOptions{});
  if (!core) {
    std::fprintf(stderr, "record: %s\n", core.error().describe().c_str());
    std::exit(2);
  }
  RecordingMemory rec(**core);
  (void)exercise(**core, rec, 0, 0);
  std::vector<std::pair<uint64_t, uint64_t>> v;
  for (auto [lo, hi] : rec.ranges) v.emplace_back(lo & ~uint64_t{4095}, (hi + 4095) & ~uint64_t{4095});
  std::sort(v.begin(), v.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : v) {
    if (!merged.empty() && r.first <= merged.back().second) merged.back().second = std::max(merged.back().second, r.second);
    else merged.push_back(r);
  }
  for (const auto& [lo, hi] : merged) std::printf("0x%llx 0x%llx\n", (unsigned long long)lo, (unsigned long long)hi);
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* p = std::getenv("PYHANG_FUZZ_CORE_RECORD")) recordRanges(p);
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit lim{};
  getrlimit(RLIMIT_FSIZE, &lim);
  rlim_t cap = rlim_t{64} << 20;
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > cap) {
    lim.rlim_cur = cap;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  gMemfd = static_cast<int>(memfd_create("pyhang-fuzz-core", MFD_CLOEXEC));
  if (gMemfd < 0) {
    std::perror("memfd_create");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (ftruncate(gMemfd, 0) != 0) std::abort();
  size_t off = 0;
  while (off < size) {
    ssize_t w = pwrite(gMemfd, data + off, size - off, static_cast<off_t>(off));
    if (w <= 0) std::abort();
    off += static_cast<size_t>(w);
  }
  uint64_t extraA = 0, extraB = 0;
  if (size >= 16) {
    std::memcpy(&extraA, data + size - 16, 8);
    std::memcpy(&extraB, data + size - 8, 8);
  }
  std::string path = "/proc/self/fd/" + std::to_string(gMemfd);
  auto core = CoreFile::open(path, CoreOptions{});
  if (!core) {
    volatile size_t n = core.error().describe().size();
    (void)n;
    return 0;
  }
  volatile size_t sink = exercise(**core, **core, extraA, extraB);
  (void)sink;
  return 0;
}
