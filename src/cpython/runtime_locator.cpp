#include "cpython/runtime_locator.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "elf/elf_file.h"

namespace pyhang::cpython {

namespace {

bool looksLikePythonFile(const std::string& path) {
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base.find("python") != std::string::npos;
}

// Versions before 3.11 have no Py_Version symbol: take it from the file name.
std::optional<VersionInfo> versionFromFileName(const std::string& path) {
  static const std::regex re(R"((?:lib)?python(\d)\.(\d+))");
  std::smatch m;
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (!std::regex_search(base, m, re)) return std::nullopt;
  VersionInfo v;
  v.major = std::stoi(m[1]);
  v.minor = std::stoi(m[2]);
  return v;
}

VersionInfo decodeHexVersion(uint32_t hex) {
  VersionInfo v;
  v.major = static_cast<int>(hex >> 24);
  v.minor = static_cast<int>((hex >> 16) & 0xff);
  v.micro = static_cast<int>((hex >> 8) & 0xff);
  return v;
}

// Where each _Py_DebugOffsets group starts, per layout of that struct (it changed in 3.14).
struct DebugOffsetsShape {
  int runtime, interp, tstate, iframe, code, tuple, gc;
  bool hasThreadsMain, hasStackPointer;
};
constexpr DebugOffsetsShape kShape313{24, 48, 152, 224, 272, 400, 568, false, false};
constexpr DebugOffsetsShape kShape314{24, 48, 176, 248, 312, 448, 648, true, true};

// Applies the target's own _Py_DebugOffsets (3.13+) to the layout when the table validates:
// cookie, the version it states, default (not free-threaded) build and plausible sizes.
bool applyDebugOffsets(const RemoteMemory& mem, uint64_t runtime, const VersionInfo& version,
                       PythonLayout& layout, std::vector<std::string>& warnings) {
  if (version.minor < 13) return false;
  const DebugOffsetsShape& shape = version.minor == 13 ? kShape313 : kShape314;
  std::vector<uint8_t> raw(static_cast<size_t>(shape.gc + 16));
  if (!mem.read(runtime, raw.data(), raw.size())) return false;
  auto u64 = [&](int off) {
    uint64_t v;
    std::memcpy(&v, raw.data() + off, 8);
    return v;
  };
  if (std::memcmp(raw.data(), "xdebugpy", 8) != 0) {
    warnings.push_back("_Py_DebugOffsets cookie missing: using compiled-in layouts");
    return false;
  }
  VersionInfo stated = decodeHexVersion(static_cast<uint32_t>(u64(8)));
  if (stated.major != version.major || stated.minor != version.minor) {
    warnings.push_back("_Py_DebugOffsets states another version: using compiled-in layouts");
    return false;
  }
  if (u64(16) != 0) return false;  // free-threaded: rejected earlier with a clear message
  // Every offset must lie inside its struct.
  auto inside = [&](int group, std::initializer_list<int> fields) {
    uint64_t size = u64(group);
    if (size == 0 || size > (1u << 22)) return false;
    for (int f : fields) {
      if (u64(group + 8 * f) >= size) return false;
    }
    return true;
  };
  int ts = shape.tstate, in = shape.interp, fr = shape.iframe, co = shape.code;
  int ih = shape.hasThreadsMain ? 1 : 0;  // 3.14 inserts threads_main after threads_head
  if (!inside(shape.runtime, {1, 2}) || !inside(in, {1, 2, 3, 4, 5 + ih, 6 + ih, 8 + ih}) ||
      !inside(ts, {2, 3, 4, 5, 6, 8}) || !inside(fr, {1, 2, 3, 4, 5}) ||
      !inside(co, {1, 2, 3, 4, 5, 6, 7, 8, 9})) {
    warnings.push_back("_Py_DebugOffsets failed validation: using compiled-in layouts");
    return false;
  }
  Layout& l = layout.offsets;
  auto set = [](int32_t& field, uint64_t v) { field = static_cast<int32_t>(v); };
  set(l.rt_finalizing, u64(shape.runtime + 8));
  set(l.rt_interp_head, u64(shape.runtime + 16));
  set(l.is_id, u64(in + 8));
  set(l.is_next, u64(in + 16));
  set(l.is_threads_head, u64(in + 24));
  if (shape.hasThreadsMain) set(l.is_threads_main, u64(in + 32));
  uint64_t gcOffset = u64(in + 8 * (4 + ih));
  set(l.is_modules, u64(in + 8 * (5 + ih)));
  set(l.is_sysdict, u64(in + 8 * (6 + ih)));
  set(l.is_ceval_gil, u64(in + 8 * (8 + ih)));
  set(l.ts_next, u64(ts + 16));
  set(l.ts_interp, u64(ts + 24));
  set(l.ts_current_frame, u64(ts + 32));
  set(l.ts_thread_id, u64(ts + 40));
  set(l.ts_native_thread_id, u64(ts + 48));
  set(l.ts_status, u64(ts + 64));
  set(l.if_previous, u64(fr + 8));
  set(l.if_code, u64(fr + 16));
  set(l.if_instr, u64(fr + 24));
  set(l.if_localsplus, u64(fr + 32));
  set(l.if_owner, u64(fr + 40));
  if (shape.hasStackPointer) set(l.if_stackpointer, u64(fr + 48));
  set(l.co_filename, u64(co + 8));
  set(l.co_name, u64(co + 16));
  set(l.co_qualname, u64(co + 24));
  set(l.co_linetable, u64(co + 32));
  set(l.co_firstlineno, u64(co + 40));
  set(l.co_argcount, u64(co + 48));
  set(l.co_localsplusnames, u64(co + 56));
  set(l.co_localspluskinds, u64(co + 64));
  set(l.co_code_adaptive, u64(co + 72));
  set(l.tuple_items, u64(shape.tuple + 8));
  set(l.is_gc_collecting, gcOffset + u64(shape.gc + 8));
  return true;
}

// What locateRuntime needs from one ELF file. Several processes of one run (--children, several
// pids) usually map the same libpython: it is opened and searched once per run.
struct ElfFacts {
  bool opened = false;
  std::optional<uint64_t> runtime;     // _PyRuntime (or the .PyRuntime section)
  std::optional<uint64_t> pyVersion;   // Py_Version
  std::optional<uint64_t> handlers;    // signalmodule.c's static Handlers[] (3.8-3.11)
  bool isExecutable = false;
  uint64_t firstLoadVaddrMinusOffset = 0;
};

ElfFacts factsOf(const std::string& localPath) {
  static std::mutex mu;
  static std::map<std::string, ElfFacts> cache;
  struct stat st {};
  std::string key = localPath;
  if (stat(localPath.c_str(), &st) == 0) {
    key += fmt::format("|{}:{}:{}.{}", st.st_dev, st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  ElfFacts f;
  if (auto elf = ElfFile::open(localPath)) {
    f.opened = true;
    if (auto sym = (*elf)->symbol("_PyRuntime")) {
      f.runtime = sym->value;
    } else if (auto sec = (*elf)->sectionAddress(".PyRuntime"); sec && *sec != 0) {
      // 3.10+ keep _PyRuntime in its own section, which survives stripping of the symbol table.
      f.runtime = *sec;
    }
    if (f.runtime) {
      if (auto pv = (*elf)->symbol("Py_Version")) f.pyVersion = pv->value;
      if (auto h = (*elf)->staticSymbol("Handlers")) {
        f.handlers = h->value;
      } else if (!(*elf)->sectionAddress(".symtab").has_value()) {
        // A stripped build (Debian's): its detached debug information, when installed (python3.X-dbg).
        std::string debug = (*elf)->debugFilePath();
        if (!debug.empty() && access(debug.c_str(), R_OK) == 0) {
          if (auto dbg = ElfFile::open(debug)) {
            if (auto h = (*dbg)->staticSymbol("Handlers")) f.handlers = h->value;
          }
        }
      }
    }
    f.isExecutable = (*elf)->isExecutable();
    f.firstLoadVaddrMinusOffset = (*elf)->firstLoadVaddrMinusOffset();
  }
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() < 4096) cache.emplace(key, f);
  return f;
}

}  // namespace

Result<RuntimeLocation> locateRuntime(const RemoteMemory& mem, const std::vector<MappedFile>& maps,
                                      const std::string& executablePath) {
  // Candidate files: those with "python" in their name first (libpython, python3.X), then the
  // executable, then everything else (an embedding program may link Python statically).
  std::vector<std::string> order;
  std::set<std::string> seen;
  auto consider = [&](const std::string& p) {
    if (!p.empty() && seen.insert(p).second) order.push_back(p);
  };
  std::map<std::string, std::string> localOf;
  for (const auto& m : maps) {
    if (!m.path.empty() && m.path[0] == '/' && !m.deleted) localOf.emplace(m.path, m.localPath.empty() ? m.path : m.localPath);
  }
  for (const auto& [path, local] : localOf) {
    if (looksLikePythonFile(path)) consider(path);
  }
  consider(executablePath);
  for (const auto& [path, local] : localOf) {
    if (path.find("/dev/") != 0 && path.find(".so") == std::string::npos) consider(path);
  }

  for (const auto& path : order) {
    auto localIt = localOf.find(path);
    if (localIt == localOf.end()) continue;
    const ElfFacts elf = factsOf(localIt->second);
    if (!elf.opened || !elf.runtime) continue;
    uint64_t bias = 0;
    if (!elf.isExecutable) {
      // Load bias: where the file's first page was mapped, minus its first PT_LOAD's page.
      uint64_t lowest = UINT64_MAX;
      for (const auto& m : maps) {
        if (m.path == path && m.fileOffset == 0 && m.start < lowest) lowest = m.start;
      }
      if (lowest == UINT64_MAX) continue;
      bias = lowest - elf.firstLoadVaddrMinusOffset;
    }
    RuntimeLocation loc;
    loc.runtimeAddress = bias + *elf.runtime;
    if (elf.handlers) loc.signalHandlers = bias + *elf.handlers;
    loc.file = path;
    loc.staticBuild = path == executablePath || elf.isExecutable ||
                      path.find("libpython") == std::string::npos;

    std::optional<VersionInfo> version;
    if (elf.pyVersion) {
      auto hex = mem.readValue<uint32_t>(bias + *elf.pyVersion);
      if (hex) version = decodeHexVersion(*hex);
    }
    if (!version) version = versionFromFileName(path);
    if (!version) version = versionFromFileName(executablePath);
    if (!version) {
      return fail(ErrorKind::kUnsupported, fmt::format("found _PyRuntime in {} but cannot tell its Python version", path));
    }
    if (version->major != 3 || version->minor < kMinSupportedMinor || version->minor > kMaxSupportedMinor) {
      return fail(ErrorKind::kUnsupported,
                  fmt::format("Python {}.{} is not supported (pyhang reads CPython 3.{}-3.{})", version->major,
                              version->minor, kMinSupportedMinor, kMaxSupportedMinor));
    }
    if (version->minor >= 13) {
      auto ft = mem.readValue<uint64_t>(loc.runtimeAddress + 16);
      if (ft && *ft == 1) {
        return fail(ErrorKind::kUnsupported,
                    fmt::format("Python {} free-threaded builds are not supported yet", version->str()));
      }
    }
    loc.layout = *layoutFor(*version);
    loc.usedDebugOffsets = applyDebugOffsets(mem, loc.runtimeAddress, *version, loc.layout, loc.warnings);
    return loc;
  }
  return fail(ErrorKind::kNotFound, "no Python runtime (_PyRuntime) found in the process's mapped files");
}

}  // namespace pyhang::cpython
