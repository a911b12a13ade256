// File locks (flock(2), fcntl(2) record locks, open file description locks) from the kernel's
// tables: who holds the lock a blocked thread waits for. Live processes only; read from
// /proc/locks and /proc/PID/fdinfo, never from the target's memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pyhang {

// One row of /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 fe:00:10953453 0 EOF", a waiter's row
// with "->" after the number.
struct FileLockRow {
  std::string kind;     // FLOCK, POSIX, OFDLCK, LEASE, DELEG
  bool waiting = false; // "->": blocked, waiting for the lock of the row before it
  bool write = false;   // WRITE (exclusive), else READ (shared)
  int64_t pid = 0;      // the holder's pid as the kernel records it (-1 for OFD locks)
  std::string key;      // the file: "fe:00:10953453" (device major:minor:inode, as /proc/locks)
};

// The rows of a /proc/locks text; malformed rows are skipped, at most `maxRows` kept.
std::vector<FileLockRow> parseProcLocks(std::string_view text, size_t maxRows = 65536);

// The file an open descriptor refers to, keyed as /proc/locks keys it ("fe:00:10953453");
// "" when it cannot be read.
std::string fileLockKey(pid_t pid, long fd);

// The locks a process holds through its open descriptors (from /proc/PID/fdinfo: only locks
// not waited for): file key -> the descriptor. At most `cap` descriptors looked at.
std::map<std::string, int64_t> heldFileLocks(pid_t pid, size_t cap = 4096);

}  // namespace pyhang
