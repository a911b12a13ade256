#include "session/inspector.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <map>

#include <fmt/format.h>

#include "cpython/process_reader.h"
#include "cpython/runtime_locator.h"
#include "process/live_process.h"
#include "process/thread_stopper.h"

namespace pyhang {

namespace {

Error withHint(const Error& e, const std::string& prefix) {
  Error out = e;
  out.message = prefix + e.message;
  return out;
}

}  // namespace

Result<Process> inspectLive(pid_t pid, const InspectOptions& options) {
  LiveProcess proc(pid);
  auto status = proc.status();
  if (!status) {
    return fail(ErrorKind::kProcessGone, fmt::format("no such process: {}", pid));
  }
  if (status->state == 'Z' || status->state == 'X') {
    return fail(ErrorKind::kProcessGone,
                fmt::format("process {} is a zombie: it has exited and waits for its parent (pid {}) to reap it",
                            pid, status->ppid));
  }
  Process out;
  out.pid = pid;
  out.ppid = status->ppid;
  out.source = "live";
  out.commandLine = proc.commandLine();
  out.executable = proc.executable();
  if (access(fmt::format("/proc/{}/mem", pid).c_str(), R_OK) != 0 && errno == EACCES) {
    return fail(ErrorKind::kPermission, fmt::format("permission denied reading process {}: {}", pid,
                                                    ptracePermissionHint(pid)));
  }
  PYHANG_TRY(maps, proc.maps());
  auto runtime = cpython::locateRuntime(proc, maps, out.executable);
  if (!runtime) {
    if (runtime.error().kind == ErrorKind::kNotFound) {
      return fail(ErrorKind::kNotFound, fmt::format("process {} ({}) is not a Python process: {}", pid,
                                                    out.executable, runtime.error().message));
    }
    if (runtime.error().kind == ErrorKind::kPermission) {
      return fail(ErrorKind::kPermission,
                  fmt::format("permission denied reading process {}: {}", pid, ptracePermissionHint(pid)));
    }
    return fail(runtime.error());
  }
  // Kernel view of each thread (before stopping: a stopped thread reads as 't').
  std::map<int64_t, ProcThread> kernelThreads;
  if (auto ts = proc.threads()) {
    for (auto& t : *ts) kernelThreads[t.tid] = t;
  }

  std::unique_ptr<ThreadStopper> stopper;
  if (options.blocking) {
    auto s = ThreadStopper::stopAll(pid);
    if (!s) {
      if (s.error().kind == ErrorKind::kPermission) return fail(withHint(s.error(), fmt::format("process {}: ", pid)));
      return fail(s.error());
    }
    stopper = std::move(*s);
  }
  cpython::ReadOptions ro;
  ro.renderLocals = options.renderLocals;
  ro.limits = options.limits;
  ro.localPath = [pid](const std::string& path) {
    if (!path.empty() && path[0] == '/') return fmt::format("/proc/{}/root{}", pid, path);
    return fmt::format("/proc/{}/cwd/{}", pid, path);
  };
  auto r = cpython::readPythonProcess(proc, *runtime, ro, out);
  if (stopper) out.stopMilliseconds = stopper->resume();
  if (!r) {
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      return fail(ErrorKind::kProcessGone, fmt::format("process {} exited while it was being read", pid));
    }
    return fail(r.error());
  }
  for (auto& t : out.threads) {
    auto it = kernelThreads.find(t.tid);
    if (it == kernelThreads.end()) {
      // Before 3.11 the tid comes from threading or glibc: accept only a real thread of this process.
      if (t.tid != 0) t.warnings.push_back(fmt::format("thread id {} not found in /proc; shown as 0", t.tid));
      t.tid = 0;
      continue;
    }
    t.kernelState = std::string(1, it->second.state);
    t.wchan = it->second.wchan;
  }
  return out;
}

Result<Process> inspectCore(const std::string& corePath, const InspectOptions& options) {
  auto core = CoreFile::open(corePath, options.core);
  if (!core) return fail(core.error());
  const CoreInfo& info = (*core)->info();
  Process out;
  out.pid = info.pid;
  out.ppid = info.ppid;
  out.source = "core";
  out.commandLine = info.psargs;
  out.terminatingSignal = info.signal;
  out.signalTid = info.signalTid;
  out.fromGcore = info.looksLikeGcore;
  for (const auto& w : info.warnings) out.warnings.push_back(w);
  std::string exe = options.core.executable;
  if (exe.empty() && !info.files.empty()) {
    // The executable is the first file mapped with offset 0 whose name matches pr_fname.
    for (const auto& f : info.files) {
      auto slash = f.path.rfind('/');
      std::string base = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
      if (!info.fname.empty() && base.rfind(info.fname, 0) == 0) {
        exe = f.path;
        break;
      }
    }
    if (exe.empty()) exe = info.files.front().path;
  }
  out.executable = exe;
  auto runtime = cpython::locateRuntime(**core, info.files, exe);
  if (!runtime) {
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
  auto r = cpython::readPythonProcess(**core, *runtime, ro, out);
  if (!r) return fail(r.error());
  // gcore records only argv[0]; the kernel cuts the command line at 80 bytes. sys.argv is whole.
  if (!out.argv.empty()) {
    std::string first = out.commandLine.substr(0, out.commandLine.find(' '));
    std::string line = first.empty() ? exe : first;
    for (const auto& a : out.argv) line += " " + a;
    out.commandLine = line;
  }
  std::map<int64_t, bool> coreTids;
  for (const auto& t : info.threads) coreTids[t.tid] = true;
  for (auto& t : out.threads) {
    if (t.tid != 0 && !coreTids.count(t.tid)) {
      t.warnings.push_back(fmt::format("thread id {} is not in the core; shown as 0", t.tid));
      t.tid = 0;
    }
  }
  return out;
}

}  // namespace pyhang
