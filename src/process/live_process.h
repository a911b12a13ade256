// A live process: memory through process_vm_readv (with /proc/PID/mem as fallback), and what
// /proc says about it. Reads are cached by page: callers stop the target first, so the cache is
// one consistent snapshot.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "memory/remote_memory.h"
#include "process/mapped_file.h"

namespace pyhang {

struct ProcStatus {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';      // R, S, D, T, t, Z, X
  std::string comm;
};

struct ProcThread {
  pid_t tid = 0;
  char state = '?';
  std::string comm;
  std::string wchan;
  // Blocked writing into a pipe (wait channel *pipe_write): the fd written and the pipe's inode.
  int64_t pipeWriteFd = -1;
  uint64_t pipeWriteInode = 0;
  bool pipeWriteSocket = false;   // the inode is a Unix socket's (a socketpair, a Pipe()), not a pipe's
  // In select()/poll() without any file descriptor: a sleep (time.sleep before 3.11).
  bool sleepingInSelect = false;
};

// An open file descriptor that is a pipe end (/proc/PID/fd/N -> "pipe:[inode]").
// What the kernel says a thread is doing at one moment: enough to tell whether it ran between
// two looks (a thread blocked for good keeps its state, its system call and its counts).
struct ThreadActivity {
  bool read = false;           // false: the thread is gone, or /proc could not be read
  char state = '?';            // R, S, D, T, t, Z
  std::string syscall;         // /proc/PID/task/TID/syscall: "running", or the call and its args
  uint64_t voluntarySwitches = 0;
  uint64_t involuntarySwitches = 0;
  bool sameAs(const ThreadActivity& o) const {
    return read && o.read && state == o.state && syscall == o.syscall &&
           voluntarySwitches == o.voluntarySwitches && involuntarySwitches == o.involuntarySwitches;
  }
};

struct PipeFd {
  int64_t fd = -1;
  uint64_t inode = 0;
  bool read = false;
  bool write = false;
};

class LiveProcess : public RemoteMemory {
 public:
  explicit LiveProcess(pid_t pid);
  ~LiveProcess() override;

  pid_t pid() const { return pid_; }
  // The task whose /proc entries and memory stand for the process: the pid itself, or, once its
  // main thread has exited (pthread_exit) while other threads run on, one of those: the kernel
  // empties the exited leader's maps, exe, root and cwd.
  pid_t ioPid() const { return ioPid_; }
  void readThrough(pid_t tid) {
    ioPid_ = tid;
    if (memFd_ >= 0) ::close(memFd_);
    memFd_ = -1;
  }
  Result<void> read(uint64_t addr, void* out, size_t size) const override;
  void dropCache() const {
    cache_.clear();
    lastPage_ = nullptr;
  }

  Result<std::vector<MappedFile>> maps() const;
  Result<ProcStatus> status() const;
  Result<std::vector<ProcThread>> threads() const;
  // The pipe ends the process has open (at most 4096 fds are looked at).
  std::vector<PipeFd> pipeFds() const;
  // The ids of the process's threads (the task directory), sorted; empty when it is gone.
  std::vector<pid_t> threadIds() const;
  ThreadActivity threadActivity(pid_t tid) const;
  // The signals the process catches (SigCgt of /proc/PID/status), bit N-1 for signal N.
  std::optional<uint64_t> caughtSignals() const;
  std::string commandLine() const;
  std::string executable() const;

 private:
  Result<void> readUncached(uint64_t addr, void* out, size_t size) const;

  pid_t pid_;
  pid_t ioPid_;
  mutable int memFd_ = -1;
  mutable std::unordered_map<uint64_t, std::vector<uint8_t>> cache_;
  // The page of the previous read: readers walk one object field after field, so most reads hit
  // it without a hash lookup. Points into cache_ (its nodes never move).
  mutable uint64_t lastPageAddr_ = 0;
  mutable const uint8_t* lastPage_ = nullptr;
};

// A thread of `pid` that has not exited (the main one if it runs), 0 when there is none: the
// process is gone, or a zombie.
pid_t liveThreadOf(pid_t pid);
inline bool processHasLiveThread(pid_t pid) { return liveThreadOf(pid) != 0; }

// Reads a whole small /proc file; "" when it cannot.
std::string readProcFile(const std::string& path, size_t maxBytes = 1 << 20);

}  // namespace pyhang
