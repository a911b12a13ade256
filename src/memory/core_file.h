// A core dump (from gcore or the kernel) as a RemoteMemory, plus what its notes say.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "memory/remote_memory.h"
#include "memory/mapped_file.h"

namespace pyhang {

struct CoreThread {
  int64_t tid = 0;
  int signal = 0;                 // pr_cursig
  uint64_t regs[27] = {};         // struct user_regs_struct, x86_64 order (rip = regs[16], rsp = regs[19])
  uint64_t fsBase = 0;            // regs[21]
};

struct CoreOptions {
  std::string executable;                     // optional override of the executable path
  std::vector<std::string> libSearchPaths;    // directories searched by file name
  std::string libSearchRoot;                  // prefix prepended to the recorded absolute paths
};

struct CoreInfo {
  int64_t pid = 0, ppid = 0;
  std::string fname;              // prpsinfo pr_fname
  std::string psargs;             // prpsinfo pr_psargs (command line, up to 80 chars)
  char state = 0;                 // prpsinfo pr_sname
  int signal = 0;                 // signal that caused the dump (NT_SIGINFO si_signo, else first thread's cursig)
  int64_t signalTid = 0;          // the thread that took it (first NT_PRSTATUS)
  bool looksLikeGcore = false;    // gdb's gcore (no siginfo / signal 0) rather than a kernel crash
  std::vector<CoreThread> threads;  // NT_PRSTATUS order
  std::vector<MappedFile> files;    // NT_FILE entries with localPath resolved
  std::vector<std::string> warnings;   // truncation, missing files, build-id mismatch ...
  std::string truncation;              // "N of M bytes present" when the file is cut short, else ""
};

// The executable a core was dumped from, as the core names it: the first mapped file whose base
// name begins with pr_fname (cut to 15 characters), else the first mapped file; "" without files.
std::string executableOf(const CoreInfo& info);

class CoreFile : public RemoteMemory {
 public:
  // Opens (and, for .zst/.lz4/.xz/.gz, decompresses into an unlinked temporary file) a core.
  // Fails with kIo / kImplausible for something that is not an x86_64 ELF core.
  static Result<std::unique_ptr<CoreFile>> open(const std::string& path, const CoreOptions& options);
  ~CoreFile() override;

  const CoreInfo& info() const { return info_; }

  // Reads from the dumped PT_LOAD contents; for ranges the core omitted (filesz < memsz, e.g.
  // read-only file-backed text/data), from the mapped file on disk. Shared file mappings the
  // kernel did not dump (/dev/shm) fail with kUnmapped.
  Result<void> read(uint64_t addr, void* out, size_t size) const override;

 private:
  CoreFile() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  CoreInfo info_;
};

}  // namespace pyhang
