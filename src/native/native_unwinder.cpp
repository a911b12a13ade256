#include "native/native_unwinder.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "memory/core_file.h"
#include "native/debuginfo_cache.h"

namespace pyhang::native {

namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "__libc_start_main@@GLIBC_2.34" -> "__libc_start_main"
std::string stripSymbolVersion(const char* name) {
  std::string s(name);
  auto at = s.find('@');
  if (at != std::string::npos && at > 0) s.resize(at);
  return s;
}

std::string dwflError() {
  const char* m = dwfl_errmsg(-1);
  return m ? m : "unknown libdwfl error";
}

// The unwinder whose libdwfl callbacks are running: libdwfl's find_elf callback gets no user
// argument, so the path mappings it needs are found through this (pyhang is single-threaded).
thread_local NativeUnwinder::Impl* tCurrent = nullptr;

}  // namespace

struct NativeUnwinder::Impl {
  enum class Kind { kLive, kCoreLibdwfl, kCoreMemory };
  Kind kind = Kind::kLive;
  pid_t pid = 0;
  Dwfl_Callbacks callbacks{};
  char* debuginfoPath = nullptr;
  std::string cacheDir = debuginfoCacheDir();   // uncompressed debug info (debuginfo_cache.h)
  bool unwinding = false;                        // the target may be stopped: make no cache entry
  Dwfl* dwfl = nullptr;
  // Cores.
  int coreFd = -1;
  Elf* coreElf = nullptr;
  const CoreFile* core = nullptr;
  std::map<std::string, std::string> localPaths;   // path in the target -> path to open here
  size_t nextCoreThread = 0;
  Dwfl_Thread_Callbacks threadCallbacks{};
  // Function symbols of each module, sorted by address (libdwfl's own lookup scans the whole
  // symbol table for every address).
  struct Symbol {
    uint64_t start = 0, end = 0;
    const char* name = nullptr;
    int rank = 0;                 // at one address: global > weak > local
  };
  std::unordered_map<Dwfl_Module*, std::vector<Symbol>> symbols;
  const char* symbolFor(Dwfl_Module* mod, uint64_t addr);
  // Symbolization cache: [debug info][activation] pc -> frames.
  std::unordered_map<uint64_t, std::vector<Frame>> cache[2][2];

  ~Impl() {
    if (dwfl) dwfl_end(dwfl);
    if (coreElf) elf_end(coreElf);
    if (coreFd >= 0) ::close(coreFd);
  }

  std::vector<Frame> symbolize(uint64_t pc, bool activation, bool debugInfo);
};

namespace {

// RAII: makes `impl` the target of the libdwfl callbacks for the duration of a call.
class CurrentGuard {
 public:
  explicit CurrentGuard(NativeUnwinder::Impl* impl) : saved_(tCurrent) { tCurrent = impl; }
  ~CurrentGuard() { tCurrent = saved_; }

 private:
  NativeUnwinder::Impl* saved_;
};

int openReturning(const std::string& path, char** fileName) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && fileName) *fileName = ::strdup(path.c_str());
  return fd;
}

// Live: the file as the target sees it (through its root, for containers), else libdwfl's own
// lookup (which also handles [vdso] and deleted files by reading the target's memory).
int findElfLive(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, char** fileName,
                Elf** elfp) {
  if (tCurrent && modname && modname[0] == '/') {
    std::string local = fmt::format("/proc/{}/root{}", tCurrent->pid, modname);
    if (::access(local.c_str(), R_OK) == 0) {
      int fd = openReturning(local, fileName);
      if (fd >= 0) return fd;
    }
  }
  return dwfl_linux_proc_find_elf(mod, userdata, modname, base, fileName, elfp);
}

// Cores: the file CoreFile resolved (--lib-search-path / --lib-search-root, build-id checked),
// else libdwfl's build-id lookup.
int findElfCore(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, char** fileName,
                Elf** elfp) {
  if (tCurrent && modname) {
    auto it = tCurrent->localPaths.find(modname);
    if (it != tCurrent->localPaths.end()) {
      int fd = openReturning(it->second, fileName);
      if (fd >= 0) return fd;
    }
  }
  return dwfl_build_id_find_elf(mod, userdata, modname, base, fileName, elfp);
}

// Debug info: a separate debug file whose DWARF is compressed is replaced by its uncompressed
// copy from the cache (debuginfo_cache.h), found or made by build-id, before libdwfl's own lookup
// -- which would otherwise open the compressed file and keep it. Everything else is libdwfl's
// standard lookup (build-id, .gnu_debuglink, /usr/lib/debug).
int findDebuginfo(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, const char* fileName,
                  const char* debuglinkFile, GElf_Word debuglinkCrc, char** debuginfoFileName) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int len = tCurrent && !tCurrent->cacheDir.empty() ? dwfl_module_build_id(mod, &bits, &vaddr) : 0;
  if (len > 0 && len <= 64 && bits) {
    std::string hex;
    for (int i = 0; i < len; ++i) hex += fmt::format("{:02x}", bits[i]);
    const std::string original = "/usr/lib/debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
    int fd = ::open(original.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      std::string path;
      int copy = uncompressedDebuginfo(fd, hex, tCurrent->cacheDir, !tCurrent->unwinding, &path);
      ::close(fd);
      if (copy >= 0) {
        if (debuginfoFileName) *debuginfoFileName = ::strdup(path.c_str());
        return copy;
      }
    }
  }
  return dwfl_standard_find_debuginfo(mod, userdata, modname, base, fileName, debuglinkFile, debuglinkCrc,
                                      debuginfoFileName);
}

// --- the CoreFile-backed thread state (compressed cores, or when libdwfl cannot attach) -----

pid_t coreNextThread(Dwfl*, void* arg, void** threadArg) {
  auto* impl = static_cast<NativeUnwinder::Impl*>(arg);
  const auto& threads = impl->core->info().threads;
  while (impl->nextCoreThread < threads.size() && impl->nextCoreThread < kMaxNativeThreads) {
    const CoreThread& t = threads[impl->nextCoreThread++];
    if (t.tid <= 0 || t.tid > INT32_MAX) continue;
    *threadArg = const_cast<CoreThread*>(&t);
    return static_cast<pid_t>(t.tid);
  }
  return 0;
}

bool coreMemoryRead(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  auto* impl = static_cast<NativeUnwinder::Impl*>(arg);
  uint64_t v = 0;
  if (!impl->core->read(addr, &v, sizeof v)) return false;
  *result = v;
  return true;
}

bool coreSetInitialRegisters(Dwfl_Thread* thread, void* threadArg) {
  const auto* t = static_cast<const CoreThread*>(threadArg);
  // struct user_regs_struct (x86_64) -> DWARF register numbers 0..16 (rax, rdx, rcx, rbx, rsi,
  // rdi, rbp, rsp, r8..r15, rip).
  static const int kFromUser[17] = {10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16};
  Dwarf_Word regs[17];
  for (int i = 0; i < 17; ++i) regs[i] = t->regs[kFromUser[i]];
  if (!dwfl_thread_state_registers(thread, 0, 17, regs)) return false;
  dwfl_thread_state_register_pc(thread, t->regs[16]);
  return true;
}

// --- unwinding ---------------------------------------------------------------------------

int onFrame(Dwfl_Frame* state, void* arg) {
  auto* s = static_cast<RawNativeStack*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation)) {
    s->error = dwflError();
    return DWARF_CB_ABORT;
  }
  if (s->frames.size() >= kMaxNativeFrames) {
    s->truncated = true;
    return DWARF_CB_ABORT;
  }
  if (pc == 0 && !s->frames.empty()) {   // CFI ends a stack with an undefined return address, not 0
    s->error = "a null return address (the stack's memory is missing or zeroed)";
    return DWARF_CB_ABORT;
  }
  s->frames.push_back(RawNativeFrame{pc, activation});
  return DWARF_CB_OK;
}

int onThread(Dwfl_Thread* thread, void* arg) {
  auto* all = static_cast<std::vector<RawNativeStack>*>(arg);
  if (all->size() >= kMaxNativeThreads) return DWARF_CB_ABORT;
  RawNativeStack s;
  s.tid = dwfl_thread_tid(thread);
  int r = dwfl_thread_getframes(thread, onFrame, &s);
  if (r != 0 && !s.truncated && s.error.empty()) s.error = dwflError();
  all->push_back(std::move(s));
  return DWARF_CB_OK;
}

// --- symbolization -----------------------------------------------------------------------

std::string dieName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, at, &attr)) {
      if (const char* s = dwarf_formstring(&attr)) return demangle(s);
    }
  }
  if (dwarf_attr_integrate(die, DW_AT_name, &attr)) {
    if (const char* s = dwarf_formstring(&attr)) return s;
  }
  return "";
}

// Where an inlined subroutine was called from (its DW_AT_call_file / DW_AT_call_line).
void callSite(Dwarf_Die* cudie, Dwarf_Die* inlined, std::string& file, int& line) {
  file.clear();
  line = 0;
  Dwarf_Attribute attr;
  Dwarf_Word v = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &v) == 0 && v < (1u << 30)) {
    line = static_cast<int>(v);
  }
  if (dwarf_attr(inlined, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &v) == 0) {
    Dwarf_Files* files = nullptr;
    size_t nfiles = 0;
    if (dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && v < nfiles) {
      if (const char* f = dwarf_filesrc(files, v, nullptr, nullptr)) file = f;
    }
  }
}

}  // namespace

std::string demangle(const std::string& name) {
  if (name.size() < 2 || name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || !out) {
    std::free(out);
    return name;
  }
  std::string s(out);
  std::free(out);
  return s;
}

const char* NativeUnwinder::Impl::symbolFor(Dwfl_Module* mod, uint64_t addr) {
  auto it = symbols.find(mod);
  if (it == symbols.end()) {
    std::vector<Symbol> list;
    int n = dwfl_module_getsymtab(mod);
    if (n > 0) list.reserve(static_cast<size_t>(std::min(n, 1 << 22)));
    for (int i = 1; i < n && i < (1 << 22); ++i) {
      GElf_Sym sym;
      GElf_Addr value = 0;
      const char* name = dwfl_module_getsym_info(mod, i, &sym, &value, nullptr, nullptr, nullptr);
      int type = GELF_ST_TYPE(sym.st_info);
      if (!name || !*name || sym.st_size == 0 || sym.st_shndx == SHN_UNDEF) continue;
      if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE) continue;
      int bind = GELF_ST_BIND(sym.st_info);
      int rank = bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
      list.push_back(Symbol{value, value + sym.st_size, name, rank});
    }
    std::sort(list.begin(), list.end(), [](const Symbol& a, const Symbol& b) {
      return a.start != b.start ? a.start < b.start : a.rank > b.rank;
    });
    it = symbols.emplace(mod, std::move(list)).first;
  }
  const auto& list = it->second;
  auto up = std::upper_bound(list.begin(), list.end(), addr, [](uint64_t a, const Symbol& s) { return a < s.start; });
  // The symbol that starts closest below addr and contains it (a few may nest or overlap).
  const Symbol* best = nullptr;
  int steps = 0;
  for (auto k = up; k != list.begin() && steps < 64; ++steps) {
    --k;
    if (best && k->start < best->start) break;
    if (addr < k->end && (!best || k->rank > best->rank)) best = &*k;
  }
  return best ? best->name : nullptr;
}

std::vector<Frame> NativeUnwinder::Impl::symbolize(uint64_t pc, bool activation, bool debugInfo) {
  auto& c = cache[debugInfo ? 1 : 0][activation ? 1 : 0];
  if (auto it = c.find(pc); it != c.end()) return it->second;
  // A return address points after the call: look up the call itself.
  const uint64_t at = activation || pc == 0 ? pc : pc - 1;
  Frame phys;
  phys.kind = Frame::Kind::kNative;
  phys.pc = pc;
  std::vector<Frame> out;
  Dwfl_Module* mod = dwfl ? dwfl_addrmodule(dwfl, at) : nullptr;
  if (!mod) {
    phys.location.function = "???";
    phys.library = "???";
    out.push_back(std::move(phys));
    c.emplace(pc, out);
    return out;
  }
  const char* modname = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::string lib = modname ? baseName(modname) : "???";
  const std::string deleted = " (deleted)";
  if (lib.size() > deleted.size() && lib.compare(lib.size() - deleted.size(), deleted.size(), deleted) == 0) {
    lib.resize(lib.size() - deleted.size());
  }
  phys.library = lib;
  if (const char* name = symbolFor(mod, at)) phys.location.function = demangle(stripSymbolVersion(name));
  // Debug info: the chain of inlined functions at this address, and file:line of each.
  Dwarf_Addr bias = 0;
  if (!debugInfo) {
    if (phys.location.function.empty()) phys.location.function = "???";
    out.push_back(std::move(phys));
    if (c.size() < 65536) c.emplace(pc, out);
    return out;
  }
  if (Dwarf_Die* cudie = dwfl_module_addrdie(mod, at, &bias)) {
    std::string file;
    int line = 0;
    if (Dwfl_Line* l = dwfl_module_getsrc(mod, at)) {
      Dwarf_Addr a = 0;
      if (const char* f = dwfl_lineinfo(l, &a, &line, nullptr, nullptr, nullptr)) file = f;
    }
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(cudie, at - bias, &scopes);
    bool sawSubprogram = false;
    for (int i = 0; i < n && i < 256; ++i) {
      int tag = dwarf_tag(&scopes[i]);
      if (tag == DW_TAG_inlined_subroutine) {
        if (out.size() >= kMaxInlineDepth) continue;
        Frame f;
        f.kind = Frame::Kind::kNative;
        f.pc = pc;
        f.inlined = true;
        f.library = lib;
        f.location.function = dieName(&scopes[i]);
        if (f.location.function.empty()) f.location.function = "???";
        f.location.file = file;
        f.location.line = line;
        out.push_back(std::move(f));
        callSite(cudie, &scopes[i], file, line);
      } else if (tag == DW_TAG_subprogram) {
        if (phys.location.function.empty()) phys.location.function = dieName(&scopes[i]);
        sawSubprogram = true;
        break;
      }
    }
    std::free(scopes);
    if (sawSubprogram || n <= 0 || !out.empty()) {
      phys.location.file = file;
      phys.location.line = line;
    }
  }
  if (phys.location.function.empty()) phys.location.function = "???";
  out.push_back(std::move(phys));
  if (c.size() < 65536) c.emplace(pc, out);
  return out;
}

NativeUnwinder::NativeUnwinder() : impl_(std::make_unique<Impl>()) {}
NativeUnwinder::~NativeUnwinder() = default;

Result<std::unique_ptr<NativeUnwinder>> NativeUnwinder::forLive(pid_t pid) {
  std::unique_ptr<NativeUnwinder> u(new NativeUnwinder());
  Impl& impl = *u->impl_;
  impl.kind = Impl::Kind::kLive;
  impl.pid = pid;
  impl.callbacks.find_elf = findElfLive;
  impl.callbacks.find_debuginfo = findDebuginfo;
  impl.callbacks.debuginfo_path = &impl.debuginfoPath;
  CurrentGuard guard(&impl);
  impl.dwfl = dwfl_begin(&impl.callbacks);
  if (!impl.dwfl) return fail(ErrorKind::kIo, "libdwfl: " + dwflError());
  dwfl_report_begin(impl.dwfl);
  int r = dwfl_linux_proc_report(impl.dwfl, pid);
  if (dwfl_report_end(impl.dwfl, nullptr, nullptr) != 0 || r != 0) {
    return fail(ErrorKind::kIo, fmt::format("cannot list the modules of process {}: {}", pid,
                                            r > 0 ? std::strerror(r) : dwflError()));
  }
  // The threads are ptrace-stopped by ThreadStopper: libdwfl must not attach or detach them.
  r = dwfl_linux_proc_attach(impl.dwfl, pid, /*assume_ptrace_stopped=*/true);
  if (r != 0) {
    return fail(ErrorKind::kIo, fmt::format("cannot attach libdwfl to process {}: {}", pid,
                                            r > 0 ? std::strerror(r) : dwflError()));
  }
  return u;
}

Result<std::unique_ptr<NativeUnwinder>> NativeUnwinder::forCore(const std::string& corePath, const CoreFile& core,
                                                                const std::string& executable) {
  std::unique_ptr<NativeUnwinder> u(new NativeUnwinder());
  Impl& impl = *u->impl_;
  impl.core = &core;
  impl.pid = static_cast<pid_t>(core.info().pid);
  for (const auto& f : core.info().files) {
    if (!f.localPath.empty() && !f.path.empty()) impl.localPaths.emplace(f.path, f.localPath);
  }
  impl.callbacks.find_elf = findElfCore;
  impl.callbacks.find_debuginfo = findDebuginfo;
  impl.callbacks.debuginfo_path = &impl.debuginfoPath;
  CurrentGuard guard(&impl);
  std::string localExe = executable;
  if (auto it = impl.localPaths.find(executable); it != impl.localPaths.end()) localExe = it->second;

  // 1. libdwfl reads the core itself (a plain ELF core).
  impl.coreFd = ::open(corePath.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl.coreFd >= 0) {
    impl.coreElf = elf_begin(impl.coreFd, ELF_C_READ_MMAP, nullptr);
    GElf_Ehdr ehdr;
    if (impl.coreElf && elf_kind(impl.coreElf) == ELF_K_ELF && gelf_getehdr(impl.coreElf, &ehdr) &&
        ehdr.e_type == ET_CORE && ehdr.e_machine == EM_X86_64) {
      impl.dwfl = dwfl_begin(&impl.callbacks);
      if (impl.dwfl) {
        dwfl_report_begin(impl.dwfl);
        int n = dwfl_core_file_report(impl.dwfl, impl.coreElf, localExe.empty() ? nullptr : localExe.c_str());
        dwfl_report_end(impl.dwfl, nullptr, nullptr);
        if (n > 0 && dwfl_core_file_attach(impl.dwfl, impl.coreElf) >= 0) {
          impl.kind = Impl::Kind::kCoreLibdwfl;
          return u;
        }
        u->warnings_.push_back(fmt::format("libdwfl could not read the core ({}); native stacks are unwound "
                                           "from pyhang's own view of it",
                                           n <= 0 ? "no modules" : dwflError()));
        dwfl_end(impl.dwfl);
        impl.dwfl = nullptr;
      }
    }
    if (impl.coreElf) elf_end(impl.coreElf);
    impl.coreElf = nullptr;
    ::close(impl.coreFd);
    impl.coreFd = -1;
  }

  // 2. Compressed (or odd) cores: modules from the core's file list, memory and registers
  //    from CoreFile.
  impl.kind = Impl::Kind::kCoreMemory;
  impl.dwfl = dwfl_begin(&impl.callbacks);
  if (!impl.dwfl) return fail(ErrorKind::kIo, "libdwfl: " + dwflError());
  dwfl_report_begin(impl.dwfl);
  std::set<std::string> executablePaths;
  for (const auto& f : core.info().files) {
    if (f.executable) executablePaths.insert(f.path);
  }
  std::set<std::string> reported;
  size_t modules = 0;
  for (const auto& f : core.info().files) {
    if (f.fileOffset != 0 || f.localPath.empty() || !executablePaths.count(f.path)) continue;
    if (!reported.insert(f.path).second || reported.size() > 4096) continue;
    if (dwfl_report_elf(impl.dwfl, f.path.c_str(), f.localPath.c_str(), -1, f.start, false)) ++modules;
  }
  dwfl_report_end(impl.dwfl, nullptr, nullptr);
  if (modules == 0) return fail(ErrorKind::kNotFound, "none of the core's libraries could be opened");
  impl.threadCallbacks.next_thread = coreNextThread;
  impl.threadCallbacks.memory_read = coreMemoryRead;
  impl.threadCallbacks.set_initial_registers = coreSetInitialRegisters;
  if (!dwfl_attach_state(impl.dwfl, nullptr, impl.pid > 0 ? impl.pid : 1, &impl.threadCallbacks, &impl)) {
    return fail(ErrorKind::kIo, "libdwfl: " + dwflError());
  }
  return u;
}

std::vector<RawNativeStack> NativeUnwinder::unwindAll() {
  std::vector<RawNativeStack> all;
  CurrentGuard guard(impl_.get());
  impl_->nextCoreThread = 0;
  impl_->unwinding = true;
  if (dwfl_getthreads(impl_->dwfl, onThread, &all) != 0 && all.empty()) {
    warnings_.push_back("native stacks could not be unwound: " + dwflError());
  }
  impl_->unwinding = false;
  return all;
}

std::vector<Frame> NativeUnwinder::symbolize(const RawNativeFrame& frame, bool debugInfo) {
  CurrentGuard guard(impl_.get());
  return impl_->symbolize(frame.pc, frame.activation, debugInfo);
}

std::vector<Frame> NativeUnwinder::symbolize(const RawNativeStack& stack, bool debugInfo) {
  CurrentGuard guard(impl_.get());
  std::vector<Frame> out;
  for (const auto& f : stack.frames) {
    if (out.size() >= kMaxNativeFrames) break;
    for (auto& fr : impl_->symbolize(f.pc, f.activation, debugInfo)) out.push_back(std::move(fr));
  }
  return out;
}

}  // namespace pyhang::native
