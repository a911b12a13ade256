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

// Where each _Py_DebugOffsets group starts and, inside a group, the index (in 8-byte words
// after its size) of each field pyhang reads; -1: that version does not describe the field.
struct DebugOffsetsShape {
  int runtime, interp, tstate, iframe, code, tuple, gc;
  // interpreter_state
  int isId, isNext, isThreadsHead, isThreadsMain, isGc, isModules, isSysdict, isCevalGil;
  // thread_state
  int tsNext, tsInterp, tsCurrentFrame, tsThreadId, tsNativeThreadId, tsStatus, tsHoldsGil;
  // interpreter_frame
  int ifPrevious, ifExecutable, ifInstr, ifLocalsplus, ifOwner, ifStackpointer;
};
// 3.13: interpreter_state {id, next, threads_head, gc, imports_modules, sysdict, builtins,
// ceval_gil, ...}, thread_state {prev, next, interp, current_frame, thread_id,
// native_thread_id, datastack_chunk, status}.
constexpr DebugOffsetsShape kShape313{24, 48, 152, 224, 272, 400, 568,
                                      1, 2, 3, -1, 4, 5, 6, 8,
                                      2, 3, 4, 5, 6, 8, -1,
                                      1, 2, 3, 4, 5, -1};
// 3.14 inserts threads_main after threads_head and stackpointer into interpreter_frame.
constexpr DebugOffsetsShape kShape314{24, 48, 176, 248, 312, 448, 648,
                                      1, 2, 3, 4, 5, 6, 7, 9,
                                      2, 3, 4, 5, 6, 8, -1,
                                      1, 2, 3, 4, 5, 6};
// 3.15 inserts three frame pointers into thread_state before thread_id and adds holds_gil there;
// more type-object fields move the later groups.
constexpr DebugOffsetsShape kShape315{24, 48, 176, 312, 376, 544, 752,
                                      1, 2, 3, 4, 5, 6, 7, 9,
                                      2, 3, 4, 8, 9, 11, 12,
                                      1, 2, 3, 4, 5, 6};

const DebugOffsetsShape* shapeFor(DebugOffsetsModel model) {
  switch (model) {
    case DebugOffsetsModel::k313: return &kShape313;
    case DebugOffsetsModel::k314: return &kShape314;
    case DebugOffsetsModel::k315: return &kShape315;
    case DebugOffsetsModel::kNone: break;
  }
  return nullptr;
}

// Applies the target's own _Py_DebugOffsets (3.13+) to the layout when the table validates:
// cookie, the version it states, default (not free-threaded) build and plausible sizes.
bool applyDebugOffsets(const RemoteMemory& mem, uint64_t runtime, const VersionInfo& version,
                       PythonLayout& layout, std::vector<std::string>& warnings) {
  const DebugOffsetsShape* shapePtr = shapeFor(layout.traits.debugOffsets);
  if (shapePtr == nullptr) return false;
  const DebugOffsetsShape& shape = *shapePtr;
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
      if (f >= 0 && u64(group + 8 * f) >= size) return false;
    }
    return true;
  };
  const int ts = shape.tstate, in = shape.interp, fr = shape.iframe, co = shape.code;
  if (!inside(shape.runtime, {1, 2}) ||
      !inside(in, {shape.isId, shape.isNext, shape.isThreadsHead, shape.isThreadsMain, shape.isModules,
                   shape.isSysdict, shape.isCevalGil}) ||
      !inside(ts, {shape.tsNext, shape.tsInterp, shape.tsCurrentFrame, shape.tsThreadId,
                   shape.tsNativeThreadId, shape.tsStatus, shape.tsHoldsGil}) ||
      !inside(fr, {shape.ifPrevious, shape.ifExecutable, shape.ifInstr, shape.ifLocalsplus, shape.ifOwner,
                   shape.ifStackpointer}) ||
      !inside(co, {1, 2, 3, 4, 5, 6, 7, 8, 9})) {
    warnings.push_back("_Py_DebugOffsets failed validation: using compiled-in layouts");
    return false;
  }
  Layout& l = layout.offsets;
  auto set = [&](int32_t& field, int group, int index) {
    if (index >= 0) field = static_cast<int32_t>(u64(group + 8 * index));
  };
  set(l.rt_finalizing, shape.runtime, 1);
  set(l.rt_interp_head, shape.runtime, 2);
  set(l.is_id, in, shape.isId);
  set(l.is_next, in, shape.isNext);
  set(l.is_threads_head, in, shape.isThreadsHead);
  set(l.is_threads_main, in, shape.isThreadsMain);
  set(l.is_modules, in, shape.isModules);
  set(l.is_sysdict, in, shape.isSysdict);
  set(l.is_ceval_gil, in, shape.isCevalGil);
  set(l.ts_next, ts, shape.tsNext);
  set(l.ts_interp, ts, shape.tsInterp);
  set(l.ts_current_frame, ts, shape.tsCurrentFrame);
  set(l.ts_thread_id, ts, shape.tsThreadId);
  set(l.ts_native_thread_id, ts, shape.tsNativeThreadId);
  set(l.ts_status, ts, shape.tsStatus);
  set(l.ts_holds_gil, ts, shape.tsHoldsGil);
  set(l.if_previous, fr, shape.ifPrevious);
  set(l.if_code, fr, shape.ifExecutable);
  set(l.if_instr, fr, shape.ifInstr);
  set(l.if_localsplus, fr, shape.ifLocalsplus);
  set(l.if_owner, fr, shape.ifOwner);
  set(l.if_stackpointer, fr, shape.ifStackpointer);
  set(l.co_filename, co, 1);
  set(l.co_name, co, 2);
  set(l.co_qualname, co, 3);
  set(l.co_linetable, co, 4);
  set(l.co_firstlineno, co, 5);
  set(l.co_argcount, co, 6);
  set(l.co_localsplusnames, co, 7);
  set(l.co_localspluskinds, co, 8);
  set(l.co_code_adaptive, co, 9);
  set(l.tuple_items, shape.tuple, 1);
  l.is_gc_collecting = static_cast<int32_t>(u64(in + 8 * shape.isGc) + u64(shape.gc + 8));
  return true;
}

// What locateRuntime needs from one ELF file. Several processes of one run (--children, several
// pids) usually map the same libpython: it is opened and searched once per run.
struct ElfFacts {
  bool opened = false;
  std::optional<uint64_t> runtime;     // _PyRuntime (or the .PyRuntime section); 3.6: see below
  // 3.6 has no _PyRuntime: `runtime` is then the lowest of these globals, and each is kept as
  // its distance from it (-1: not found). interp_head and collecting are static: only the
  // full symbol table (.symtab) has them.
  bool globals36 = false;
  int32_t interpHead = -1, tstateCurrent = -1, gcCollecting = -1;
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
    } else if (auto cur = (*elf)->symbol("_PyThreadState_Current")) {
      f.globals36 = true;
      auto head = (*elf)->symbol("interp_head");
      auto gc = (*elf)->symbol("collecting");
      uint64_t base = cur->value;
      for (const auto& s : {head, gc}) {
        if (s && s->value < base) base = s->value;
      }
      auto rel = [&](const std::optional<ElfSymbol>& s) {
        return s && s->value - base < (1u << 30) ? static_cast<int32_t>(s->value - base) : -1;
      };
      f.runtime = base;
      f.tstateCurrent = rel(cur);
      f.interpHead = rel(head);
      f.gcCollecting = rel(gc);
    }
    if (f.runtime && !f.globals36) {
      if (auto pv = (*elf)->symbol("Py_Version")) f.pyVersion = pv->value;
    }
    if (f.runtime) {
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

// The load bias of a mapped ELF file: where its first page was mapped, minus its first PT_LOAD's.
std::optional<uint64_t> loadBias(const std::vector<MappedFile>& maps, const std::string& path, uint64_t firstLoadDelta) {
  uint64_t lowest = UINT64_MAX;
  for (const auto& m : maps) {
    if (m.path == path && m.fileOffset == 0 && m.start < lowest) lowest = m.start;
  }
  if (lowest == UINT64_MAX) return std::nullopt;
  return lowest - firstLoadDelta;
}

// 3.6's C tasks are registered only in static variables of the _asyncio extension.
void locateAsyncioStatics36(const std::vector<MappedFile>& maps, RuntimeLocation& loc) {
  for (const auto& m : maps) {
    auto slash = m.path.rfind('/');
    std::string base = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    if (m.fileOffset != 0 || m.deleted || base.rfind("_asyncio.", 0) != 0) continue;
    auto elf = ElfFile::open(m.localPath.empty() ? m.path : m.localPath);
    if (!elf) return;
    auto all = (*elf)->symbol("all_tasks");
    auto current = (*elf)->symbol("current_tasks");
    auto bias = (*elf)->isExecutable() ? std::optional<uint64_t>(0)
                                       : loadBias(maps, m.path, (*elf)->firstLoadVaddrMinusOffset());
    if (!bias) return;
    if (all) loc.asyncioAllTasks36 = *bias + all->value;
    if (current) loc.asyncioCurrentTasks36 = *bias + current->value;
    return;
  }
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
      auto b = loadBias(maps, path, elf.firstLoadVaddrMinusOffset);
      if (!b) continue;
      bias = *b;
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
    loc.layout = *layoutFor(*version);
    // The _Py_DebugOffsets header states whether this is a free-threaded build.
    if (loc.layout.traits.debugOffsets != DebugOffsetsModel::kNone) {
      auto ft = mem.readValue<uint64_t>(loc.runtimeAddress + 16);
      if (ft && *ft == 1) {
        return fail(ErrorKind::kUnsupported,
                    fmt::format("Python {} free-threaded builds are not supported yet", version->str()));
      }
    }
    if (loc.layout.traits.runtime == RuntimeModel::kGlobals36) {
      if (!elf.globals36 || elf.interpHead < 0) {
        return fail(ErrorKind::kUnsupported,
                    fmt::format("Python {}.{} in {}: the symbol interp_head is missing (a stripped libpython); "
                                "pyhang needs its full symbol table for Python 3.6",
                                version->major, version->minor, path));
      }
      Layout& l = loc.layout.offsets;
      l.rt_interp_head = elf.interpHead;
      l.rt_gilstate_current = elf.tstateCurrent;
      l.rt_gc_collecting = elf.gcCollecting;
      locateAsyncioStatics36(maps, loc);
    } else if (elf.globals36) {
      continue;  // a 3.7+ build always has _PyRuntime: this file is not the runtime
    }
    loc.usedDebugOffsets = applyDebugOffsets(mem, loc.runtimeAddress, *version, loc.layout, loc.warnings);
    return loc;
  }
  return fail(ErrorKind::kNotFound, "no Python runtime (_PyRuntime) found in the process's mapped files");
}

}  // namespace pyhang::cpython
