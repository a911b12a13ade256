// A live process: memory through process_vm_readv (with /proc/PID/mem as fallback), and what
// /proc says about it. Reads are cached by page: callers stop the target first, so the cache is
// one consistent snapshot, or read it while it runs inside a trial (beginTrial) and check the
// trial once it is stopped (confirmTrial).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "memory/remote_memory.h"
#include "memory/mapped_file.h"

namespace pyhang {

struct ProcStatus {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';      // R, S, D, T, t, Z, X
  std::string comm;
  int waitStatus = -1;   // a zombie's wait status (exit code field of /proc/PID/stat), -1 unknown
};

struct ProcThread {
  pid_t tid = 0;
  char state = '?';
  std::string comm;
  std::string wchan;
  // Blocked writing into a pipe (wait channel *pipe_write): the fd written and the pipe's inode.
  int64_t pipeWriteFd = -1;
  uint64_t pipeWriteInode = 0;
  bool pipeWriteSocket = false;   // the inode is a socket's (a socketpair, a Pipe(), TCP), not a pipe's
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
    observed_.clear();
    observedBytes_ = 0;
    trialOverflow_ = false;
  }
  // A trial read: drops the cache and from now on records every read (pages, and the reads that
  // bypass the cache or fail), so that a read made while the target runs can be checked once it
  // is stopped.
  void beginTrial() const;
  // Call with the target stopped. Re-reads everything the trial read (pages in batches of several
  // iovecs per process_vm_readv) and compares: true when every page and every other read gives
  // the same bytes (or the same failure) now, so that what was read from them is what a read now
  // would give. Otherwise false, and the cache holds the pages as they are now (those that cannot
  // be read any more are dropped): a second read, stopped, starts from them. Ends the trial.
  bool confirmTrial() const;
  // Pages in the cache (for the statistics of the bench).
  size_t cachedPages() const { return cache_.size(); }

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
  // readUncached, recorded during a trial.
  Result<void> readObserved(uint64_t addr, void* out, size_t size) const;

  pid_t pid_;
  pid_t ioPid_;
  mutable int memFd_ = -1;
  mutable std::unordered_map<uint64_t, std::vector<uint8_t>> cache_;
  // The page of the previous read: readers walk one object field after field, so most reads hit
  // it without a hash lookup. Points into cache_ (its nodes never move).
  mutable uint64_t lastPageAddr_ = 0;
  mutable const uint8_t* lastPage_ = nullptr;
  // A trial's reads that bypassed the cache: a range larger than two pages, a range on a page
  // that could not be read whole, or a read that failed. At most 2,048 of them and 16 MiB in all
  // (more fails the trial).
  struct Observed {
    uint64_t addr = 0;
    size_t size = 0;
    bool ok = false;
    ErrorKind kind = ErrorKind::kUnmapped;
    std::vector<uint8_t> bytes;
  };
  mutable bool trial_ = false;
  mutable bool trialOverflow_ = false;
  mutable std::vector<Observed> observed_;
  mutable size_t observedBytes_ = 0;
  // The buffer confirmTrial reads into, allocated and touched by beginTrial (before the stop).
  mutable std::vector<uint8_t> scratch_;
};

// A thread of `pid` that has not exited (the main one if it runs), 0 when there is none: the
// process is gone, or a zombie.
pid_t liveThreadOf(pid_t pid);
inline bool processHasLiveThread(pid_t pid) { return liveThreadOf(pid) != 0; }

// Reads a whole small /proc file; "" when it cannot.
std::string readProcFile(const std::string& path, size_t maxBytes = 1 << 20);

}  // namespace pyhang
