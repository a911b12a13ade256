// Native (C-level) stacks of every thread of a live process or a core, with elfutils' libdwfl.
// Two phases, so that the target stays stopped for as short a time as possible:
//
//   1. unwindAll(): while the threads are stopped (live) — only the program counters of each
//      thread's frames, read with the modules' CFI (.eh_frame / .debug_frame);
//   2. symbolize(): afterwards, once the threads run again — function (demangled), inlined
//      frames, file and line from DWARF when there is debug info, and the library.
//
// Everything read comes from the target or from files that may be damaged: every loop is
// bounded, and a failure costs a thread its native stack (with a warning), never the report.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace pyhang {
class CoreFile;
}

namespace pyhang::native {

constexpr size_t kMaxNativeFrames = 512;   // per thread
constexpr size_t kMaxNativeThreads = 4096;
constexpr size_t kMaxInlineDepth = 32;     // inlined frames shown for one program counter

struct RawNativeFrame {
  uint64_t pc = 0;
  bool activation = true;   // the pc is where the thread is (innermost, or interrupted by a
                            // signal); otherwise a return address, looked up at pc - 1
};

struct RawNativeStack {
  int64_t tid = 0;
  std::vector<RawNativeFrame> frames;   // innermost first
  std::string error;                    // why unwinding stopped early ("" when it ended normally)
  bool truncated = false;               // more than kMaxNativeFrames frames
};

class NativeUnwinder {
 public:
  // A live process whose threads are all ptrace-stopped already (ThreadStopper): libdwfl reads
  // their registers with ptrace and their memory with process_vm_readv, and attaches nothing.
  static Result<std::unique_ptr<NativeUnwinder>> forLive(pid_t pid);
  // A core. `corePath` is read by libdwfl when it is a plain ELF core; compressed cores (and
  // cores libdwfl cannot attach to) are unwound through `core`, which pyhang already opened
  // (decompressed, with --lib-search-path / --lib-search-root applied to the libraries).
  static Result<std::unique_ptr<NativeUnwinder>> forCore(const std::string& corePath, const CoreFile& core,
                                                         const std::string& executable);
  ~NativeUnwinder();
  NativeUnwinder(const NativeUnwinder&) = delete;
  NativeUnwinder& operator=(const NativeUnwinder&) = delete;

  // Phase 1: every thread's program counters (threads in the order the kernel / core lists them).
  std::vector<RawNativeStack> unwindAll();

  // Phase 2: the frames of one program counter, innermost first: the inlined functions (inlined
  // = true) and last the function the code belongs to. Without `debugInfo`, only that last frame,
  // named from the symbol table (cheap: DWARF is neither loaded nor, when compressed, inflated).
  // Results are cached by pc.
  std::vector<Frame> symbolize(const RawNativeFrame& frame, bool debugInfo = true);

  // A whole stack, innermost first (at most kMaxNativeFrames frames).
  std::vector<Frame> symbolize(const RawNativeStack& stack, bool debugInfo = true);

  // Problems that are not tied to one thread (e.g. "no modules found").
  const std::vector<std::string>& warnings() const { return warnings_; }

  struct Impl;  // libdwfl state (opaque; public only for the callbacks in the .cpp)

 private:
  NativeUnwinder();
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> warnings_;
};

// "_ZN3foo3barEv" -> "foo::bar()"; anything else is returned unchanged.
std::string demangle(const std::string& name);

}  // namespace pyhang::native
