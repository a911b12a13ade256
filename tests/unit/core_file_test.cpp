// Tests for src/memory/core_file.{h,cpp} on real cores: a helper process forked from this test
// (heap pattern, two adjacent anonymous mappings, a read-only file mapping, /dev/shm and memfd
// shared mappings, a dlopened copy of a library, three threads) is dumped with gdb's `gcore` and,
// where /proc/sys/kernel/core_pattern allows, by the kernel (SIGABRT). The cores are then read
// plain, compressed (zstd, lz4, xz, gzip command-line tools), truncated, corrupted, and with their
// libraries relocated under a search root.
#include "memory/core_file.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace pyhang {
namespace {

namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr size_t kHeapPatternSize = 3 * 4096 + 123;
constexpr char kFileString[] = "pyhang core_file_test: contents of a read-only file mapping";
constexpr char kHelperName[] = "pyhang-corehelp";  // 15 chars: fits pr_fname / comm
constexpr size_t kShmSize = 8192;

uint8_t heapByte(size_t i) { return static_cast<uint8_t>((i * 131 + 17) ^ (i >> 7)); }
uint8_t spanByte(size_t i) { return static_cast<uint8_t>((i * 29 + 5) ^ 0x5a); }
uint8_t shmByte(size_t i) { return static_cast<uint8_t>(i * 7 + 1); }

// What the helper tells the test, through a pipe.
struct HelperReport {
  int32_t pid = 0;
  int32_t tids[3] = {};
  uint64_t heapAddr = 0;     // kHeapPatternSize bytes of heapByte()
  uint64_t spanAddr = 0;     // 2 pages of spanByte(): page 0 rw-, page 1 r-- (two VMAs)
  uint64_t fileAddr = 0;     // kFileString, a private read-only mapping of dataFile
  uint64_t shmAddr = 0;      // kShmSize bytes of shmByte(), MAP_SHARED of shmFile (0: none)
  uint64_t memfdAddr = 0;    // kShmSize bytes of shmByte(), MAP_SHARED of a memfd (0: none)
  uint64_t libAddr = 0;      // a function in the dlopened library copy (0: none)
  uint64_t textAddr = 0;     // a function in this executable's text
  uint64_t fsBase = 0;       // the main thread's fs base
};

struct HelperConfig {
  std::string dataFile;
  std::string shmFile;  // under /dev/shm, "" to skip
  std::string libCopy;  // "" to skip
  std::string cwd;      // for kernel cores
  bool abortAfterReport = false;
};

uint64_t currentFsBase() {
  uint64_t v;
  asm volatile("mov %%fs:0, %0" : "=r"(v));
  return v;
}

__attribute__((noinline)) int helperTextMarker(int x) { return x * 3 + 7; }

[[noreturn]] void runHelper(int fd, const HelperConfig& cfg) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, kHelperName);
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);  // gdb is our sibling: needed with yama ptrace_scope 1
  if (!cfg.cwd.empty() && chdir(cfg.cwd.c_str()) != 0) _exit(10);
  HelperReport rep;
  rep.pid = getpid();

  auto* heap = static_cast<uint8_t*>(std::malloc(kHeapPatternSize));
  for (size_t i = 0; i < kHeapPatternSize; ++i) heap[i] = heapByte(i);
  rep.heapAddr = reinterpret_cast<uint64_t>(heap);

  void* span = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (span == MAP_FAILED) _exit(11);
  for (size_t i = 0; i < 8192; ++i) static_cast<uint8_t*>(span)[i] = spanByte(i);
  mprotect(static_cast<uint8_t*>(span) + 4096, 4096, PROT_READ);
  rep.spanAddr = reinterpret_cast<uint64_t>(span);

  int dfd = open(cfg.dataFile.c_str(), O_RDONLY);
  if (dfd < 0) _exit(12);
  void* fm = mmap(nullptr, sizeof kFileString, PROT_READ, MAP_PRIVATE, dfd, 0);
  if (fm == MAP_FAILED) _exit(13);
  close(dfd);
  rep.fileAddr = reinterpret_cast<uint64_t>(fm);

  auto fillShared = [&](int sfd) -> uint64_t {
    if (sfd < 0 || ftruncate(sfd, kShmSize) != 0) return 0;
    void* m = mmap(nullptr, kShmSize, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    close(sfd);
    if (m == MAP_FAILED) return 0;
    for (size_t i = 0; i < kShmSize; ++i) static_cast<uint8_t*>(m)[i] = shmByte(i);
    return reinterpret_cast<uint64_t>(m);
  };
  if (!cfg.shmFile.empty()) rep.shmAddr = fillShared(open(cfg.shmFile.c_str(), O_RDWR | O_CREAT, 0600));
  rep.memfdAddr = fillShared(static_cast<int>(syscall(SYS_memfd_create, "pyhang-test", 0)));

  if (!cfg.libCopy.empty()) {
    void* h = dlopen(cfg.libCopy.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h) {
      for (const char* sym : {"LZ4_versionNumber", "ZSTD_versionNumber", "zlibVersion", "elf_version"}) {
        if (void* s = dlsym(h, sym)) {
          rep.libAddr = reinterpret_cast<uint64_t>(s);
          break;
        }
      }
    }
  }
  rep.textAddr = reinterpret_cast<uint64_t>(&helperTextMarker);
  rep.fsBase = currentFsBase();

  static std::atomic<int32_t> tids[2];
  for (int i = 0; i < 2; ++i) {
    std::thread([i] {
      tids[i] = static_cast<int32_t>(syscall(SYS_gettid));
      for (;;) pause();
    }).detach();
  }
  while (tids[0] == 0 || tids[1] == 0) usleep(100);
  rep.tids[0] = rep.pid;
  rep.tids[1] = tids[0];
  rep.tids[2] = tids[1];
  if (write(fd, &rep, sizeof rep) != static_cast<ssize_t>(sizeof rep)) _exit(14);
  close(fd);
  if (cfg.abortAfterReport) abort();
  for (;;) pause();
}

// A forked helper, always killed and reaped.
struct Helper {
  pid_t pid = -1;
  HelperReport report;
  int status = 0;
  bool reaped = false;

  ~Helper() { kill(); }
  void kill() {
    if (pid > 0 && !reaped) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      reaped = true;
    }
  }
  // Waits for the helper to die on its own (kernel core case).
  bool wait(int timeoutMs) {
    for (int t = 0; t < timeoutMs; t += 10) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        reaped = true;
        return true;
      }
      usleep(10000);
    }
    return false;
  }
  std::string start(const HelperConfig& cfg) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
    fflush(nullptr);
    pid = fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
      close(fds[0]);
      if (cfg.abortAfterReport) {
        rlimit rl{RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &rl);
        prctl(PR_SET_DUMPABLE, 1);
      }
      runHelper(fds[1], cfg);
    }
    close(fds[1]);
    pollfd p{fds[0], POLLIN, 0};
    size_t got = 0;
    auto* dst = reinterpret_cast<char*>(&report);
    while (got < sizeof report) {
      if (poll(&p, 1, 10000) <= 0) break;
      ssize_t n = read(fds[0], dst + got, sizeof report - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(fds[0]);
    return got == sizeof report ? "" : "helper did not report";
  }
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<uint8_t> readFileBytes(const std::string& path, uint64_t off, size_t n) {
  std::vector<uint8_t> out(n);
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return {};
  ssize_t r = pread(fd, out.data(), n, static_cast<off_t>(off));
  close(fd);
  if (r != static_cast<ssize_t>(n)) return {};
  return out;
}

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

int run(const std::string& cmd) {
  int r = std::system(cmd.c_str());
  return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

bool haveTool(const std::string& tool) { return run("command -v " + tool + " >/dev/null 2>&1") == 0; }

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The core's program headers, read with libelf independently of CoreFile.
struct Phdrs {
  std::vector<GElf_Phdr> loads, notes;
  uint64_t phEnd = 0;  // end of the program header table
  const GElf_Phdr* loadAt(uint64_t addr) const {
    for (const auto& p : loads)
      if (addr >= p.p_vaddr && addr - p.p_vaddr < p.p_memsz) return &p;
    return nullptr;
  }
  // Whether [addr, addr+n) is dumped in the core (possibly across adjacent segments), and the
  // core offset where its last byte ends.
  bool dumped(uint64_t addr, size_t n, uint64_t* fileEnd = nullptr) const {
    uint64_t end = addr + n, last = 0;
    while (addr < end) {
      const GElf_Phdr* p = loadAt(addr);
      if (!p || addr >= p->p_vaddr + p->p_filesz) return false;
      uint64_t stop = std::min<uint64_t>(end, p->p_vaddr + p->p_filesz);
      last = std::max<uint64_t>(last, p->p_offset + (stop - p->p_vaddr));
      addr = stop;
    }
    if (fileEnd) *fileEnd = last;
    return true;
  }
};

Phdrs readPhdrs(const std::string& path) {
  Phdrs out;
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return out;
  Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t n = 0;
  GElf_Ehdr eh;
  if (e && gelf_getehdr(e, &eh) && elf_getphdrnum(e, &n) == 0) {
    out.phEnd = eh.e_phoff + n * eh.e_phentsize;
    for (size_t i = 0; i < n; ++i) {
      GElf_Phdr ph;
      if (!gelf_getphdr(e, static_cast<int>(i), &ph)) continue;
      if (ph.p_type == PT_LOAD) out.loads.push_back(ph);
      if (ph.p_type == PT_NOTE) out.notes.push_back(ph);
    }
  }
  if (e) elf_end(e);
  close(fd);
  return out;
}

std::vector<std::string> selfArgv() {
  std::string raw = readFile("/proc/self/cmdline");
  std::vector<std::string> out;
  size_t s = 0;
  for (size_t i = 0; i < raw.size(); ++i)
    if (raw[i] == '\0') {
      out.push_back(raw.substr(s, i - s));
      s = i + 1;
    }
  return out;
}

std::string joinedCmdline() {
  std::string j;
  for (const auto& a : selfArgv()) j += (j.empty() ? "" : " ") + a;
  return j;
}

bool hasWarning(const CoreInfo& info, const std::string& a, const std::string& b = "") {
  for (const auto& w : info.warnings)
    if (w.find(a) != std::string::npos && w.find(b) != std::string::npos) return true;
  return false;
}

std::string allWarnings(const CoreInfo& info) {
  std::string s;
  for (const auto& w : info.warnings) s += "  " + w + "\n";
  return s;
}

const MappedFile* fileAt(const CoreInfo& info, uint64_t addr) {
  for (const auto& f : info.files)
    if (addr >= f.start && addr < f.end) return &f;
  return nullptr;
}

std::vector<uint8_t> heapPattern() {
  std::vector<uint8_t> v(kHeapPatternSize);
  for (size_t i = 0; i < v.size(); ++i) v[i] = heapByte(i);
  return v;
}

std::string selfExe() { return fs::read_symlink("/proc/self/exe").string(); }

// A mapped shared library of this process that is small and harmless to dlopen a second copy of.
std::string pickLibraryToCopy() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::vector<std::string> paths;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash != std::string::npos) paths.push_back(line.substr(slash));
  }
  for (const char* want : {"liblz4.so", "libzstd.so", "libz.so", "libelf"})
    for (const auto& p : paths)
      if (fs::path(p).filename().string().rfind(want, 0) == 0) return p;
  return "";
}

Result<std::unique_ptr<CoreFile>> openCore(const std::string& path, const CoreOptions& o = {}) {
  return CoreFile::open(path, o);
}

// ---- the shared gcore -------------------------------------------------------------------------

class CoreFileGcore : public ::testing::Test {
 protected:
  static inline fs::path dir;
  static inline HelperReport rep;
  static inline std::string core;        // gcore output
  static inline std::string dataFile, shmFile, libCopy, libStash;
  static inline std::string skip, failure;
  static inline uint64_t parentFsBase = 0;

  static void SetUpTestSuite() {
    if (kSanitized) {
      skip = "gdb takes minutes over a sanitizer build's shadow memory";
      return;
    }
    if (!haveTool("gcore")) {
      skip = "gcore (gdb) is not installed";
      return;
    }
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t && *t ? t : "/tmp") + "/pyhang-core-test-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) {
      failure = "mkdtemp failed";
      return;
    }
    dir = buf.data();
    dataFile = (dir / "data.txt").string();
    writeFile(dataFile, std::string(kFileString, sizeof kFileString));
    if (fs::is_directory("/dev/shm")) shmFile = "/dev/shm/pyhang-core-test-" + std::to_string(getpid());
    std::string lib = pickLibraryToCopy();
    if (!lib.empty()) {
      fs::create_directories(dir / "lib");
      libCopy = (dir / "lib" / ("libpyhangcopy-" + fs::path(lib).filename().string())).string();
      fs::copy_file(lib, libCopy);
    }
    parentFsBase = currentFsBase();

    Helper h;
    HelperConfig cfg{dataFile, shmFile, libCopy, "", false};
    std::string err = h.start(cfg);
    if (!err.empty()) {
      failure = err;
      return;
    }
    rep = h.report;
    std::string prefix = (dir / "gcore").string();
    std::string log = (dir / "gcore.log").string();
    int rc = run("timeout 60 gcore -o " + shellQuote(prefix) + " " + std::to_string(h.pid) + " >" +
                 shellQuote(log) + " 2>&1");
    h.kill();
    core = prefix + "." + std::to_string(rep.pid);
    if (rc != 0 || !fs::exists(core)) {
      std::string scope = readFile("/proc/sys/kernel/yama/ptrace_scope");
      std::string msg = "gcore failed (rc " + std::to_string(rc) + "): " + readFile(log);
      if (!scope.empty() && scope[0] >= '2')
        skip = msg + " (kernel.yama.ptrace_scope is " + scope.substr(0, 1) + ": attaching is not allowed)";
      else
        failure = msg;
      core.clear();
      return;
    }
    // Later changes must not show through: the shm file now holds other bytes, and the library
    // copy is gone from where the process loaded it.
    if (!shmFile.empty()) writeFile(shmFile, std::string(kShmSize, '\xee'));
    if (!libCopy.empty()) {
      fs::create_directories(dir / "stash");
      libStash = (dir / "stash" / fs::path(libCopy).filename()).string();
      fs::rename(libCopy, libStash);
    }
  }

  static void TearDownTestSuite() {
    if (!shmFile.empty()) unlink(shmFile.c_str());
    if (!dir.empty()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }

  void SetUp() override {
    if (!failure.empty()) GTEST_FAIL() << failure;
    if (!skip.empty()) GTEST_SKIP() << skip;
  }

  std::string tmp(const std::string& name) const { return (dir / name).string(); }
};

TEST_F(CoreFileGcore, ProcessAndThreads) {
  auto c = openCore(core);
  ASSERT_TRUE(c) << c.error().describe();
  const CoreInfo& info = (*c)->info();
  EXPECT_EQ(info.pid, rep.pid);
  EXPECT_EQ(info.ppid, getpid());
  // gdb fills pr_fname from the executable's name (first 16 bytes, unterminated), not from comm
  // as the kernel does (observed with gdb 13); accept either.
  std::string exeBase = fs::path(selfArgv()[0]).filename().string().substr(0, 16);
  EXPECT_TRUE(info.fname == kHelperName || info.fname == exeBase) << info.fname;
  // gdb reads /proc/PID/cmdline as one C string: only argv[0] survives (observed with gdb 13).
  std::string full = joinedCmdline();
  ASSERT_FALSE(info.psargs.empty());
  EXPECT_EQ(full.substr(0, info.psargs.size()), info.psargs);
  EXPECT_GE(info.psargs.size(), std::min<size_t>(selfArgv()[0].size(), 79));
  EXPECT_TRUE(info.looksLikeGcore);
  EXPECT_EQ(info.signal, 0);

  std::set<int64_t> want(std::begin(rep.tids), std::end(rep.tids)), got;
  for (const auto& t : info.threads) got.insert(t.tid);
  EXPECT_EQ(got, want);
  ASSERT_EQ(info.threads.size(), 3u);
  EXPECT_TRUE(want.count(info.signalTid));
  std::set<uint64_t> fsBases;
  for (const auto& t : info.threads) {
    EXPECT_NE(t.regs[16], 0u) << "rip of " << t.tid;
    EXPECT_NE(t.regs[19], 0u) << "rsp of " << t.tid;
    EXPECT_EQ(t.fsBase, t.regs[21]);
    fsBases.insert(t.fsBase);
    if (t.tid == rep.pid) {
      EXPECT_EQ(t.fsBase, rep.fsBase);
    }
  }
  EXPECT_EQ(fsBases.size(), 3u);
  EXPECT_EQ(rep.fsBase, parentFsBase);  // fork keeps the TLS block
}

TEST_F(CoreFileGcore, HeapAndAdjacentSegments) {
  auto c = openCore(core);
  ASSERT_TRUE(c) << c.error().describe();
  auto heap = (*c)->readBytes(rep.heapAddr, kHeapPatternSize);
  ASSERT_TRUE(heap) << heap.error().describe();
  EXPECT_EQ(*heap, heapPattern());

  Phdrs ph = readPhdrs(core);
  const GElf_Phdr* a = ph.loadAt(rep.spanAddr);
  const GElf_Phdr* b = ph.loadAt(rep.spanAddr + 4096);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a, b) << "the two protections should give two PT_LOAD segments";
  auto span = (*c)->readBytes(rep.spanAddr + 4096 - 100, 200);
  ASSERT_TRUE(span) << span.error().describe();
  for (size_t i = 0; i < 200; ++i) ASSERT_EQ((*span)[i], spanByte(4096 - 100 + i)) << i;

  auto v = (*c)->readValue<uint64_t>(rep.heapAddr + 8);
  ASSERT_TRUE(v);
  uint64_t expect;
  auto pat = heapPattern();
  std::memcpy(&expect, pat.data() + 8, 8);
  EXPECT_EQ(*v, expect);

  auto none = (*c)->read(8, &expect, 8);  // page 0 is never mapped
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::kUnmapped);
  auto wrap = (*c)->read(~uint64_t{0} - 3, &expect, 8);
  ASSERT_FALSE(wrap);
}

TEST_F(CoreFileGcore, UndumpedTextComesFromTheFile) {
  auto c = openCore(core);
  ASSERT_TRUE(c) << c.error().describe();
  Phdrs ph = readPhdrs(core);
  EXPECT_FALSE(ph.dumped(rep.textAddr, 64)) << "gcore was expected to leave read-only text out";
  const MappedFile* mf = fileAt((*c)->info(), rep.textAddr);
  ASSERT_NE(mf, nullptr);
  EXPECT_EQ(mf->path, selfExe());
  EXPECT_EQ(mf->localPath, selfExe());
  EXPECT_TRUE(mf->executable);
  EXPECT_FALSE(mf->writable);
  auto bytes = (*c)->readBytes(rep.textAddr, 64);
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(0, std::memcmp(bytes->data(), reinterpret_cast<const void*>(&helperTextMarker), 64));
  EXPECT_EQ(*bytes, readFileBytes(selfExe(), mf->fileOffset + (rep.textAddr - mf->start), 64));

  // Every undumped read-only file mapping reads as the file does.
  size_t checked = 0;
  for (const auto& f : (*c)->info().files) {
    if (f.localPath.empty() || f.writable || f.shared || ph.dumped(f.start, 1)) continue;
    size_t n = static_cast<size_t>(std::min<uint64_t>(f.end - f.start, 256));
    auto want = readFileBytes(f.localPath, f.fileOffset, n);
    if (want.empty()) continue;  // mapping past EOF
    auto got = (*c)->readBytes(f.start, n);
    ASSERT_TRUE(got) << f.path << ": " << got.error().describe();
    EXPECT_EQ(*got, want) << f.path << " at offset " << f.fileOffset;
    ++checked;
  }
  EXPECT_GT(checked, 5u);

  // A read starting in dumped memory and running into the undumped text of the same file.
  for (const auto& f : (*c)->info().files) {
    if (f.path != selfExe() || f.fileOffset != 0 || !ph.dumped(f.start, 1)) continue;
    const MappedFile* next = fileAt((*c)->info(), f.end);
    if (!next || ph.dumped(f.end, 1) || next->writable) continue;
    auto got = (*c)->readBytes(f.end - 32, 64);
    ASSERT_TRUE(got) << got.error().describe();
    auto head = readFileBytes(selfExe(), f.fileOffset + (f.end - f.start) - 32, 32);
    auto tail = readFileBytes(selfExe(), next->fileOffset, 32);
    EXPECT_TRUE(std::equal(head.begin(), head.end(), got->begin()));
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), got->begin() + 32));
  }
}

TEST_F(CoreFileGcore, FileMappingsAndSharedMemory) {
  auto c = openCore(core);
  ASSERT_TRUE(c) << c.error().describe();
  const CoreInfo& info = (*c)->info();

  const MappedFile* df = fileAt(info, rep.fileAddr);
  ASSERT_NE(df, nullptr);
  EXPECT_EQ(df->path, dataFile);
  EXPECT_EQ(df->localPath, dataFile);
  EXPECT_FALSE(df->shared);
  EXPECT_FALSE(df->writable);
  auto s = (*c)->readCString(rep.fileAddr, 200);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, kFileString);

  Phdrs ph = readPhdrs(core);
  for (uint64_t addr : {rep.shmAddr, rep.memfdAddr}) {
    if (addr == 0) continue;
    const MappedFile* mf = fileAt(info, addr);
    ASSERT_NE(mf, nullptr);
    EXPECT_TRUE(mf->shared) << mf->path;
    EXPECT_EQ(mf->localPath, "") << mf->path;
    auto got = (*c)->readBytes(addr, kShmSize);
    if (ph.dumped(addr, kShmSize)) {
      ASSERT_TRUE(got) << mf->path << ": " << got.error().describe();
      for (size_t i = 0; i < kShmSize; ++i) ASSERT_EQ((*got)[i], shmByte(i)) << mf->path;
    } else {
      ASSERT_FALSE(got) << mf->path << " must not be guessed from the file";
      EXPECT_EQ(got.error().kind, ErrorKind::kUnmapped);
    }
  }
  if (rep.memfdAddr) {
    EXPECT_TRUE(fileAt(info, rep.memfdAddr)->deleted);
  }
}

TEST_F(CoreFileGcore, MissingLibrary) {
  if (libCopy.empty() || rep.libAddr == 0) GTEST_SKIP() << "no library copy was loaded";
  auto c = openCore(core);
  ASSERT_TRUE(c) << c.error().describe();
  const CoreInfo& info = (*c)->info();
  const MappedFile* mf = fileAt(info, rep.libAddr);
  ASSERT_NE(mf, nullptr);
  EXPECT_EQ(mf->path, libCopy);
  EXPECT_EQ(mf->localPath, "");
  EXPECT_TRUE(hasWarning(info, libCopy, "--lib-search-root")) << allWarnings(info);
  auto got = (*c)->readBytes(rep.libAddr, 16);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::kUnmapped);

  // Found by file name in a search directory.
  CoreOptions o;
  o.libSearchPaths = {tmp("nonexistent-dir"), tmp("stash")};
  auto c2 = openCore(core, o);
  ASSERT_TRUE(c2) << c2.error().describe();
  const MappedFile* mf2 = fileAt((*c2)->info(), rep.libAddr);
  ASSERT_NE(mf2, nullptr);
  EXPECT_EQ(mf2->localPath, libStash);
  EXPECT_FALSE(hasWarning((*c2)->info(), libCopy)) << allWarnings((*c2)->info());
  auto got2 = (*c2)->readBytes(rep.libAddr, 16);
  ASSERT_TRUE(got2) << got2.error().describe();
  EXPECT_EQ(*got2, readFileBytes(libStash, mf2->fileOffset + (rep.libAddr - mf2->start), 16));

  // A different ELF under that name is refused by build-id.
  fs::create_directories(tmp("wrong"));
  fs::copy_file("/bin/true", tmp("wrong") + "/" + fs::path(libCopy).filename().string(),
                fs::copy_options::overwrite_existing);
  o.libSearchPaths = {tmp("wrong")};
  auto c3 = openCore(core, o);
  ASSERT_TRUE(c3) << c3.error().describe();
  EXPECT_EQ(fileAt((*c3)->info(), rep.libAddr)->localPath, "");
  EXPECT_TRUE(hasWarning((*c3)->info(), libCopy, "build-id")) << allWarnings((*c3)->info());
  EXPECT_TRUE(hasWarning((*c3)->info(), libCopy, "--lib-search-path")) << allWarnings((*c3)->info());
  EXPECT_FALSE((*c3)->readBytes(rep.libAddr, 16));
}

TEST_F(CoreFileGcore, MissingDataFile) {
  std::string moved = dataFile + ".moved";
  fs::rename(dataFile, moved);
  auto c = openCore(core);
  fs::rename(moved, dataFile);
  ASSERT_TRUE(c) << c.error().describe();
  const MappedFile* df = fileAt((*c)->info(), rep.fileAddr);
  ASSERT_NE(df, nullptr);
  EXPECT_EQ(df->localPath, "");
  EXPECT_TRUE(hasWarning((*c)->info(), dataFile)) << allWarnings((*c)->info());
  auto s = (*c)->readBytes(rep.fileAddr, 8);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kUnmapped);
}

TEST_F(CoreFileGcore, LibSearchRoot) {
  auto c = openCore(core);
  ASSERT_TRUE(c) << c.error().describe();
  // Copy libc and ld.so under a root, and change one byte of libc's text in the copy, so that
  // reading it proves the copy is what is read.
  fs::path root = tmp("root");
  std::set<std::string> copied;
  uint64_t probe = 0, probeOffset = 0;
  std::string libcPath;
  for (const auto& f : (*c)->info().files) {
    std::string base = fs::path(f.path).filename().string();
    if (base.rfind("libc.so", 0) != 0 && base.rfind("ld-linux", 0) != 0) continue;
    if (!copied.count(f.path)) {
      fs::path dst = root / f.path.substr(1);
      fs::create_directories(dst.parent_path());
      fs::copy_file(f.path, dst, fs::copy_options::overwrite_existing);
      copied.insert(f.path);
    }
    if (base.rfind("libc.so", 0) == 0 && f.executable && probe == 0) {
      probe = f.start + 0x1234;
      probeOffset = f.fileOffset + 0x1234;
      libcPath = f.path;
    }
  }
  ASSERT_EQ(copied.size(), 2u) << "expected libc and ld.so among the mappings";
  ASSERT_NE(probe, 0u);
  std::string libcCopy = (root / libcPath.substr(1)).string();
  auto orig = readFileBytes(libcPath, probeOffset, 1);
  ASSERT_EQ(orig.size(), 1u);
  {
    int fd = open(libcCopy.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    uint8_t flipped = orig[0] ^ 0xff;
    ASSERT_EQ(pwrite(fd, &flipped, 1, static_cast<off_t>(probeOffset)), 1);
    close(fd);
  }

  CoreOptions o;
  o.libSearchRoot = root.string() + "/";
  auto r = openCore(core, o);
  ASSERT_TRUE(r) << r.error().describe();
  for (const auto& f : (*r)->info().files) {
    if (!copied.count(f.path)) continue;
    EXPECT_EQ(f.localPath, (root / f.path.substr(1)).string());
  }
  EXPECT_FALSE(hasWarning((*r)->info(), "libc.so")) << allWarnings((*r)->info());
  auto b = (*r)->readValue<uint8_t>(probe);
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_EQ(*b, static_cast<uint8_t>(orig[0] ^ 0xff));
  // Without the root: the system file.
  auto b0 = (*c)->readValue<uint8_t>(probe);
  ASSERT_TRUE(b0);
  EXPECT_EQ(*b0, orig[0]);

  // A libc under the root that is another ELF: refused by build-id, the system one is used.
  fs::copy_file("/bin/true", libcCopy, fs::copy_options::overwrite_existing);
  auto w = openCore(core, o);
  ASSERT_TRUE(w) << w.error().describe();
  EXPECT_TRUE(hasWarning((*w)->info(), libcCopy, "build-id")) << allWarnings((*w)->info());
  EXPECT_EQ(fileAt((*w)->info(), probe)->localPath, libcPath);
  auto b1 = (*w)->readValue<uint8_t>(probe);
  ASSERT_TRUE(b1);
  EXPECT_EQ(*b1, orig[0]);
}

TEST_F(CoreFileGcore, ExecutableOverride) {
  std::string copy = tmp("exe-copy");
  fs::copy_file(selfExe(), copy, fs::copy_options::overwrite_existing);
  CoreOptions o;
  o.executable = copy;
  auto c = openCore(core, o);
  ASSERT_TRUE(c) << c.error().describe();
  for (const auto& f : (*c)->info().files)
    if (f.path == selfExe()) {
      EXPECT_EQ(f.localPath, copy);
    }
  auto bytes = (*c)->readBytes(rep.textAddr, 32);
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(0, std::memcmp(bytes->data(), reinterpret_cast<const void*>(&helperTextMarker), 32));
  fs::remove(copy);

  o.executable = "/bin/true";  // wrong build-id: warned about and not used
  auto w = openCore(core, o);
  ASSERT_TRUE(w) << w.error().describe();
  EXPECT_TRUE(hasWarning((*w)->info(), "/bin/true", "build-id")) << allWarnings((*w)->info());
  EXPECT_EQ(fileAt((*w)->info(), rep.textAddr)->localPath, selfExe());
}

TEST_F(CoreFileGcore, Compressed) {
  struct Variant {
    const char* tool;
    const char* package;
    std::string cmd;  // {in} {out}
  };
  const std::vector<Variant> variants = {
      {"zstd", "zstd", "zstd -q -1 -f -o {out} {in}"},
      {"lz4", "lz4", "lz4 -q -1 -f {in} {out}"},
      {"xz", "xz-utils", "xz -q -0 -T1 -c {in} > {out}"},
      {"gzip", "gzip", "gzip -q -1 -c {in} > {out}"},
  };
  auto subst = [](std::string s, const std::string& in, const std::string& out) {
    s.replace(s.find("{in}"), 4, shellQuote(in));
    s.replace(s.find("{out}"), 5, shellQuote(out));
    return s;
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.tool);
    if (!haveTool(v.tool)) {
      ADD_FAILURE() << v.tool << " is not installed (apt-get install " << v.package << ")";
      continue;
    }
    // No telling suffix: detection is by magic bytes.
    std::string out = tmp(std::string("core-compressed-") + v.tool + ".bin");
    ASSERT_EQ(run(subst(v.cmd, core, out)), 0);
    auto c = openCore(out);
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ((*c)->info().pid, rep.pid);
    EXPECT_EQ((*c)->info().threads.size(), 3u);
    EXPECT_TRUE((*c)->info().warnings.empty() || !hasWarning((*c)->info(), "truncated"))
        << allWarnings((*c)->info());
    auto heap = (*c)->readBytes(rep.heapAddr, kHeapPatternSize);
    ASSERT_TRUE(heap) << heap.error().describe();
    EXPECT_EQ(*heap, heapPattern());
    auto text = (*c)->readBytes(rep.textAddr, 16);
    ASSERT_TRUE(text) << text.error().describe();

    // A compressed core cut in half: opens with a warning, or fails cleanly.
    std::string cut = out + ".cut";
    fs::copy_file(out, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(out) / 2);
    auto h = openCore(cut);
    if (h) {
      EXPECT_TRUE(hasWarning((*h)->info(), "truncated") || hasWarning((*h)->info(), "ends early") ||
                  hasWarning((*h)->info(), "corrupt"))
          << allWarnings((*h)->info());
      auto r = (*h)->readBytes(rep.heapAddr, kHeapPatternSize);
      if (r) {
        EXPECT_EQ(*r, heapPattern());
      }
    } else {
      EXPECT_TRUE(h.error().kind == ErrorKind::kImplausible || h.error().kind == ErrorKind::kIo)
          << h.error().describe();
    }
    fs::remove(out);
    fs::remove(cut);
  }
  // Garbage behind a compression magic.
  std::string bogus = tmp("bogus.zst");
  writeFile(bogus, std::string("\x28\xb5\x2f\xfd", 4) + std::string(100, 'x'));
  auto b = openCore(bogus);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind, ErrorKind::kImplausible) << b.error().describe();
  std::string gz = tmp("true.gz");
  ASSERT_EQ(run("gzip -c /bin/true > " + shellQuote(gz)), 0);
  auto g = openCore(gz);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().kind, ErrorKind::kImplausible) << g.error().describe();
}

// Cuts a copy of `core` at several points; open succeeds (with a truncation warning) or fails
// cleanly, and every read either returns the right bytes or fails.
void checkTruncations(const std::string& core, const std::string& work, const HelperReport& rep) {
  Phdrs ph = readPhdrs(core);
  ASSERT_FALSE(ph.notes.empty());
  uint64_t size = fs::file_size(core);
  const GElf_Phdr& note = ph.notes.front();
  uint64_t heapEnd = 0;
  ASSERT_TRUE(ph.dumped(rep.heapAddr, kHeapPatternSize, &heapEnd));
  uint64_t loadMin = UINT64_MAX, loadMax = 0;
  for (const auto& l : ph.loads)
    if (l.p_filesz) {
      loadMin = std::min(loadMin, l.p_offset);
      loadMax = std::max(loadMax, l.p_offset + l.p_filesz);
    }
  std::vector<std::pair<std::string, uint64_t>> cuts = {
      {"empty", 0},
      {"inside the ELF header", 10},
      {"inside the program headers", 64 + 56 + 20},
      {"right after the program headers", ph.phEnd},
      {"in the middle of the notes", note.p_offset + note.p_filesz / 2},
      {"right after the notes", note.p_offset + note.p_filesz},
      {"mid-way through the segments", loadMin + (loadMax - loadMin) / 2},
      {"just before the end of the heap data", heapEnd - 1},
      {"right after the heap data", heapEnd},
      {"one byte short", size - 1},
  };
  const std::string cutFile = work + "/truncated-core";
  const auto pattern = heapPattern();
  for (const auto& [what, at] : cuts) {
    SCOPED_TRACE(what + " (" + std::to_string(at) + " of " + std::to_string(size) + ")");
    if (at > size) continue;
    fs::copy_file(core, cutFile, fs::copy_options::overwrite_existing);
    fs::resize_file(cutFile, at);
    auto c = openCore(cutFile);
    if (at < ph.phEnd) {
      ASSERT_FALSE(c);
      EXPECT_EQ(c.error().kind, ErrorKind::kImplausible) << c.error().describe();
      continue;
    }
    ASSERT_TRUE(c) << c.error().describe();
    const CoreInfo& info = (*c)->info();
    if (at < size) {
      EXPECT_TRUE(hasWarning(info, "core is truncated:", std::to_string(at) + " of ")) << allWarnings(info);
    }
    bool notesPresent = note.p_offset + note.p_filesz <= at;
    if (notesPresent) {
      EXPECT_EQ(info.threads.size(), 3u);
      EXPECT_EQ(info.pid, rep.pid);
    }
    auto heap = (*c)->readBytes(rep.heapAddr, kHeapPatternSize);
    if (heapEnd <= at) {
      ASSERT_TRUE(heap) << heap.error().describe();
      EXPECT_EQ(*heap, pattern);
    } else {
      ASSERT_FALSE(heap);
      EXPECT_TRUE(heap.error().kind == ErrorKind::kShortRead || heap.error().kind == ErrorKind::kUnmapped)
          << heap.error().describe();
    }
    // Every dumped segment: its first and last bytes read iff present.
    for (const auto& l : ph.loads) {
      if (l.p_filesz == 0) continue;
      for (uint64_t off : {uint64_t{0}, l.p_filesz - 8}) {
        uint64_t v;
        auto r = (*c)->read(l.p_vaddr + off, &v, 8);
        bool present = l.p_offset + off + 8 <= at;
        EXPECT_EQ(static_cast<bool>(r), present) << std::hex << l.p_vaddr + off;
        if (!r) {
          EXPECT_TRUE(r.error().kind == ErrorKind::kShortRead || r.error().kind == ErrorKind::kUnmapped);
        }
      }
    }
  }
  fs::remove(cutFile);
}

TEST_F(CoreFileGcore, Truncated) { checkTruncations(core, dir.string(), rep); }

TEST_F(CoreFileGcore, CorruptNotes) {
  Phdrs ph = readPhdrs(core);
  ASSERT_FALSE(ph.notes.empty());
  const GElf_Phdr& note = ph.notes.front();
  std::string bad = tmp("corrupt-core");
  fs::copy_file(core, bad, fs::copy_options::overwrite_existing);
  int fd = open(bad.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (unsigned seed = 1; seed <= 5; ++seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> junk(note.p_filesz);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(note.p_offset)),
              static_cast<ssize_t>(junk.size()));
    auto c = openCore(bad);
    ASSERT_FALSE(c) << "seed " << seed;
    EXPECT_EQ(c.error().kind, ErrorKind::kImplausible) << c.error().describe();
  }
  close(fd);

  // Targeted damage: single corrupted words all over the notes never crash, and when the core
  // still opens the heap reads correctly (the loads are intact).
  std::string orig = readFile(core);
  std::string mutated = tmp("mutated-core");
  fs::copy_file(core, mutated, fs::copy_options::overwrite_existing);
  fd = open(mutated.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::mt19937 rng(42);
  const uint32_t evil[] = {0, 1, 3, 4, 0x7fffffff, 0x80000000u, 0xffffffffu, 0xfffffff0u, 24, 4096};
  const auto pattern = heapPattern();
  for (int iter = 0; iter < 150; ++iter) {
    uint64_t pos = note.p_offset + (rng() % (note.p_filesz / 4)) * 4;
    uint32_t val = iter % 3 == 0 ? static_cast<uint32_t>(rng()) : evil[rng() % std::size(evil)];
    ASSERT_EQ(pwrite(fd, &val, 4, static_cast<off_t>(pos)), 4);
    auto c = openCore(mutated);
    if (c) {
      auto heap = (*c)->readBytes(rep.heapAddr, kHeapPatternSize);
      if (heap) {
        EXPECT_EQ(*heap, pattern);
      }
      for (const auto& f : (*c)->info().files) {
        uint8_t b[16];
        (void)(*c)->read(f.start, b, sizeof b);
      }
    } else {
      EXPECT_EQ(c.error().kind, ErrorKind::kImplausible) << c.error().describe();
    }
    ASSERT_EQ(pwrite(fd, orig.data() + pos, 4, static_cast<off_t>(pos)), 4);
  }
  close(fd);
  fs::remove(bad);
  fs::remove(mutated);
}

TEST_F(CoreFileGcore, WrongMachine) {
  std::string bad = tmp("aarch64-core");
  fs::copy_file(core, bad, fs::copy_options::overwrite_existing);
  int fd = open(bad.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint16_t machine = EM_AARCH64;
  ASSERT_EQ(pwrite(fd, &machine, 2, offsetof(Elf64_Ehdr, e_machine)), 2);
  close(fd);
  auto c = openCore(bad);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kImplausible);
  EXPECT_NE(c.error().message.find("x86_64"), std::string::npos) << c.error().message;
  fs::remove(bad);
}

// ---- errors without a core ---------------------------------------------------------------------

TEST(CoreFileErrors, NotACore) {
  auto t = CoreFile::open("/bin/true", {});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::kImplausible);
  EXPECT_NE(t.error().message.find("not a core"), std::string::npos) << t.error().message;

  auto missing = CoreFile::open("/nonexistent/pyhang/core.123", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kIo);
  EXPECT_NE(missing.error().message.find("/nonexistent/pyhang/core.123"), std::string::npos);

  auto d = CoreFile::open("/", {});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, ErrorKind::kIo);

  char templ[] = "/tmp/pyhang-core-errors-XXXXXX";
  int fd = mkstemp(templ);
  ASSERT_GE(fd, 0);
  close(fd);
  auto empty = CoreFile::open(templ, {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::kImplausible);
  writeFile(templ, "this is a text file, not a core dump\n");
  auto text = CoreFile::open(templ, {});
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::kImplausible);
  EXPECT_NE(text.error().message.find("not an ELF"), std::string::npos) << text.error().message;
  unlink(templ);

  if (getuid() != 0) {
    // Unreadable file (root can read anything, so only checked as a normal user).
    char t2[] = "/tmp/pyhang-core-errors-XXXXXX";
    int f2 = mkstemp(t2);
    ASSERT_GE(f2, 0);
    close(f2);
    chmod(t2, 0);
    auto u = CoreFile::open(t2, {});
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().kind, ErrorKind::kIo);
    unlink(t2);
  }
}

// ---- a kernel-written core ---------------------------------------------------------------------

TEST(CoreFileKernel, AbortedProcess) {
  std::string pattern = readFile("/proc/sys/kernel/core_pattern");
  while (!pattern.empty() && (pattern.back() == '\n' || pattern.back() == ' ')) pattern.pop_back();
  if (pattern.empty() || pattern[0] == '|')
    GTEST_SKIP() << "kernel.core_pattern is '" << pattern << "' (a pipe to a handler); cannot collect the core";
  if (pattern[0] == '/')
    GTEST_SKIP() << "kernel.core_pattern is '" << pattern << "' (an absolute path this test does not control)";
  rlimit rl;
  if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_max == 0)
    GTEST_SKIP() << "the hard RLIMIT_CORE is 0";

  const char* t = std::getenv("TMPDIR");
  std::string templ = std::string(t && *t ? t : "/tmp") + "/pyhang-kcore-test-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  ASSERT_NE(mkdtemp(buf.data()), nullptr);
  fs::path dir = buf.data();
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  std::string dataFile = (dir / "data.txt").string();
  writeFile(dataFile, std::string(kFileString, sizeof kFileString));
  fs::create_directories(dir / "cwd");

  Helper h;
  HelperConfig cfg{dataFile, "", "", (dir / "cwd").string(), true};
  ASSERT_EQ(h.start(cfg), "");
  ASSERT_TRUE(h.wait(20000)) << "the helper did not abort";
  ASSERT_TRUE(WIFSIGNALED(h.status));
  EXPECT_EQ(WTERMSIG(h.status), SIGABRT);
  if (!WCOREDUMP(h.status))
    GTEST_SKIP() << "the kernel wrote no core (core_pattern '" << pattern << "')";
  std::string core;
  for (const auto& e : fs::directory_iterator(dir / "cwd"))
    if (e.is_regular_file()) core = e.path().string();
  if (core.empty()) GTEST_SKIP() << "no core file appeared in the helper's cwd (core_pattern '" << pattern << "')";
  const HelperReport& rep = h.report;

  auto c = CoreFile::open(core, {});
  ASSERT_TRUE(c) << c.error().describe();
  const CoreInfo& info = (*c)->info();
  EXPECT_FALSE(info.looksLikeGcore);
  EXPECT_EQ(info.signal, SIGABRT);
  EXPECT_EQ(info.signalTid, rep.pid);
  EXPECT_EQ(info.pid, rep.pid);
  EXPECT_EQ(info.ppid, getpid());
  EXPECT_EQ(info.fname, kHelperName);
  std::string raw = readFile("/proc/self/cmdline");
  std::string expectArgs = raw.substr(0, std::min<size_t>(raw.size(), 79));
  std::replace(expectArgs.begin(), expectArgs.end(), '\0', ' ');
  while (!expectArgs.empty() && expectArgs.back() == ' ') expectArgs.pop_back();
  EXPECT_EQ(info.psargs, expectArgs);
  std::set<int64_t> want(std::begin(rep.tids), std::end(rep.tids)), got;
  for (const auto& th : info.threads) got.insert(th.tid);
  EXPECT_EQ(got, want);
  ASSERT_FALSE(info.threads.empty());
  EXPECT_EQ(info.threads.front().signal, SIGABRT);
  EXPECT_EQ(info.threads.front().fsBase, rep.fsBase);
  EXPECT_TRUE(info.warnings.empty() || !hasWarning(info, "truncated")) << allWarnings(info);

  auto heap = (*c)->readBytes(rep.heapAddr, kHeapPatternSize);
  ASSERT_TRUE(heap) << heap.error().describe();
  EXPECT_EQ(*heap, heapPattern());
  auto span = (*c)->readBytes(rep.spanAddr + 4000, 200);
  ASSERT_TRUE(span) << span.error().describe();
  for (size_t i = 0; i < 200; ++i) ASSERT_EQ((*span)[i], spanByte(4000 + i));

  // The kernel writes a PT_LOAD with p_filesz 0 for the text it leaves out.
  Phdrs ph = readPhdrs(core);
  const GElf_Phdr* text = ph.loadAt(rep.textAddr);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->p_filesz, 0u);
  EXPECT_TRUE(text->p_flags & PF_X);
  auto bytes = (*c)->readBytes(rep.textAddr, 64);
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(0, std::memcmp(bytes->data(), reinterpret_cast<const void*>(&helperTextMarker), 64));
  const MappedFile* mf = fileAt(info, rep.textAddr);
  ASSERT_NE(mf, nullptr);
  EXPECT_TRUE(mf->executable && mf->readable && !mf->writable);
  EXPECT_EQ(mf->localPath, selfExe());

  auto s = (*c)->readCString(rep.fileAddr, 200);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*s, kFileString);
  if (rep.memfdAddr) {  // deleted shared memory: the kernel dumps it
    auto m = (*c)->readBytes(rep.memfdAddr, kShmSize);
    ASSERT_TRUE(m) << m.error().describe();
    for (size_t i = 0; i < kShmSize; ++i) ASSERT_EQ((*m)[i], shmByte(i));
    EXPECT_TRUE(fileAt(info, rep.memfdAddr)->deleted);
  }

  checkTruncations(core, dir.string(), rep);
}

}  // namespace
}  // namespace pyhang
