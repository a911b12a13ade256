// The core-file path of inspection: one Process per core, read from its notes and memory.
#include "session/inspector.h"

#include <sys/stat.h>

#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "cpython/process_reader.h"
#include "cpython/runtime_locator.h"
#include "memory/mapped_file.h"
#include "process/kernel_wait.h"
#include "session/io_buffer_waits.h"

namespace pyhang {

namespace {

constexpr int64_t kSysFutex = 202;  // x86_64

Result<Process> inspectCore(const std::string& corePath, const InspectOptions& options) {
  auto core = CoreFile::open(corePath, options.core);
  if (!core) return fail(core.error());
  const CoreInfo& info = (*core)->info();
  if (info.threads.empty() && !info.truncation.empty()) {
    // gdb writes the notes after the memory: a gcore cut short loses them all.
    return fail(ErrorKind::kImplausible,
                fmt::format("core {} is truncated ({}): its notes (threads, registers, mapped files) are lost", corePath,
                            info.truncation));
  }
  Process out;
  out.pid = info.pid;
  out.ppid = info.ppid;
  out.source = "core";
  out.corePath = corePath;
  struct stat st {};
  if (::stat(corePath.c_str(), &st) == 0) {
    out.coreWrittenNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  out.commandLine = info.psargs;
  out.terminatingSignal = info.signal;
  out.signalTid = info.signalTid;
  out.fromGcore = info.looksLikeGcore;
  for (const auto& w : info.warnings) out.warnings.push_back(w);
  std::string exe = options.core.executable;
  if (exe.empty()) exe = executableOf(info);
  out.executable = exe;
  auto runtime = cpython::locateRuntime(**core, info.files, exe);
  if (!runtime) {
    if (runtime.error().kind == ErrorKind::kNotFound && !info.truncation.empty()) {
      return fail(ErrorKind::kImplausible, fmt::format("core {} is truncated ({}) and no Python runtime is found in "
                                                       "what is left: {}",
                                                       corePath, info.truncation, runtime.error().message));
    }
    if (runtime.error().kind == ErrorKind::kNotFound) {
      return fail(ErrorKind::kNotFound, fmt::format("core {} is not from a Python process (or its libraries are "
                                                    "missing: try --lib-search-root): {}",
                                                    corePath, runtime.error().message));
    }
    return fail(runtime.error());
  }
  cpython::ReadOptions ro;
  ro.renderLocals = options.renderLocals;
  ro.limits = options.limits;
  ro.localPath = [root = options.core.libSearchRoot](const std::string& path) {
    return root.empty() ? path : root + path;
  };
  const auto* files = &info.files;
  ro.sharedKeyOf = [files](uint64_t addr) { return sharedMappingKey(*files, addr); };
  auto r = cpython::readPythonProcess(**core, *runtime, ro, out);
  if (!r) return fail(r.error());
  // gcore records only argv[0]; the kernel cuts the command line at 80 bytes. sys.argv is whole.
  if (!out.argv.empty()) {
    std::string first = out.commandLine.substr(0, out.commandLine.find(' '));
    std::string line = first.empty() ? exe : first;
    for (const auto& a : out.argv) line += " " + a;
    out.commandLine = line;
  }
  out.osThreadCount = static_cast<int64_t>(info.threads.size());
  std::map<int64_t, const CoreThread*> coreTids;
  for (const auto& t : info.threads) coreTids[t.tid] = &t;
  for (auto& t : out.threads) {
    // A forked child's one thread may still carry the id of the parent's thread (3.8 to 3.10).
    if (out.threads.size() == 1 && info.threads.size() == 1) t.tid = info.threads.front().tid;
    auto ct = coreTids.find(t.tid);
    if (t.tid != 0 && ct == coreTids.end()) {
      t.warnings.push_back(fmt::format("thread id {} is not in the core; shown as 0", t.tid));
      t.tid = 0;
    } else if (ct != coreTids.end() && static_cast<int64_t>(ct->second->regs[15]) == kSysFutex &&
               callAtStop(static_cast<int64_t>(ct->second->regs[15]), static_cast<int64_t>(ct->second->regs[10])) ==
                   std::string_view("blocked")) {
      t.futexAddress = ct->second->regs[14];  // orig_rax, rax and rdi in user_regs_struct order
    }
  }
  attachIoBufferWaits(out);
  if (options.nativeMode != native::NativeMode::kOff) {
    native::NativeCapture capture = native::captureCore(corePath, **core, exe);
    native::attachNativeStacks(capture, out, options.nativeMode, {});
  }
  return out;
}

}  // namespace

Result<Snapshot> inspectCores(const std::vector<std::string>& corePaths, const InspectOptions& options) {
  Snapshot snap;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const auto& path : corePaths) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && !seen.insert({st.st_dev, st.st_ino}).second) {
      snap.warnings.push_back(fmt::format("{} was given twice (or under two names): read once", path));
      continue;
    }
    auto p = inspectCore(path, options);
    if (!p) {
      if (corePaths.size() == 1) return fail(p.error());
      snap.warnings.push_back(fmt::format("{}: {}", path, p.error().message));
      continue;
    }
    snap.processes.push_back(std::move(*p));
  }
  if (snap.processes.empty()) return fail(ErrorKind::kIo, "none of the cores could be read");
  return snap;
}

}  // namespace pyhang
