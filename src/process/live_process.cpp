#include "process/live_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "process/socket_options.h"

namespace pyhang {

namespace {
constexpr uint64_t kPage = 4096;
// confirmTrial reads this many pages per process_vm_readv (512 KiB).
constexpr size_t kScratchPages = 128;
// What a trial records of the reads that bypass the page cache. Each is replayed by one system
// call while the target is stopped: past these, the trial is given up (the process is then read
// while stopped, as without a trial) rather than replay more (the tutorial replays 0-2, 1,000
// threads 3).
constexpr size_t kMaxObservedBytes = 16u << 20;
constexpr size_t kMaxObserved = 2048;

ErrorKind kindForErrno(int err) {
  switch (err) {
    case EPERM:
    case EACCES: return ErrorKind::kPermission;
    case ESRCH: return ErrorKind::kProcessGone;
    default: return ErrorKind::kUnmapped;
  }
}
}  // namespace

std::string readProcFile(const std::string& path, size_t maxBytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[8192];
  while (out.size() < maxBytes) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (out.size() > maxBytes) out.resize(maxBytes);
  return out;
}

pid_t liveThreadOf(pid_t pid) {
  auto stateOf = [&](const std::string& tid) {
    std::string stat = readProcFile(fmt::format("/proc/{}/task/{}/stat", pid, tid), 4096);
    auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? 'X' : stat[close + 2];
  };
  char leader = stateOf(std::to_string(pid));
  if (leader != 'Z' && leader != 'X') return pid;
  pid_t found = 0;
  DIR* d = opendir(fmt::format("/proc/{}/task", pid).c_str());
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char st = stateOf(e->d_name);
    if (st != 'Z' && st != 'X') {
      found = static_cast<pid_t>(std::atoi(e->d_name));
      break;
    }
  }
  closedir(d);
  return found;
}

LiveProcess::LiveProcess(pid_t pid) : pid_(pid), ioPid_(pid) {}

LiveProcess::~LiveProcess() {
  if (memFd_ >= 0) ::close(memFd_);
}

Result<void> LiveProcess::readUncached(uint64_t addr, void* out, size_t size) const {
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  ssize_t n = process_vm_readv(ioPid_, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(size)) return {};
  int err = n < 0 ? errno : 0;
  if (n < 0 && err != ENOSYS && err != EPERM) {
    if (err == ESRCH) return fail(ErrorKind::kProcessGone, "process exited", addr);
    if (err == EFAULT) return fail(ErrorKind::kUnmapped, "read", addr);
  }
  // Fallback: /proc/PID/mem (works where process_vm_readv is filtered).
  if (memFd_ < 0) {
    memFd_ = ::open(fmt::format("/proc/{}/mem", ioPid_).c_str(), O_RDONLY | O_CLOEXEC);
    if (memFd_ < 0) return fail(kindForErrno(errno), "open /proc/PID/mem", addr);
  }
  ssize_t m = pread(memFd_, out, size, static_cast<off_t>(addr));
  if (m == static_cast<ssize_t>(size)) return {};
  if (m < 0) return fail(kindForErrno(errno), "read", addr);
  if (m == 0 && ::kill(ioPid_, 0) != 0 && errno == ESRCH) return fail(ErrorKind::kProcessGone, "process exited", addr);
  return fail(m > 0 ? ErrorKind::kShortRead : ErrorKind::kUnmapped, "read", addr);
}

Result<void> LiveProcess::readObserved(uint64_t addr, void* out, size_t size) const {
  auto r = readUncached(addr, out, size);
  if (trial_ && !trialOverflow_) {
    if (observedBytes_ + size > kMaxObservedBytes || observed_.size() >= kMaxObserved) {
      trialOverflow_ = true;
    } else {
      Observed o;
      o.addr = addr;
      o.size = size;
      o.ok = static_cast<bool>(r);
      if (r) {
        const auto* p = static_cast<const uint8_t*>(out);
        o.bytes.assign(p, p + size);
        observedBytes_ += size;
      } else {
        o.kind = r.error().kind;
      }
      observed_.push_back(std::move(o));
    }
  }
  return r;
}

Result<void> LiveProcess::read(uint64_t addr, void* out, size_t size) const {
  if (size == 0) return {};
  if (addr + size < addr) return fail(ErrorKind::kUnmapped, "read wraps around", addr);
  if (size > 2 * kPage) return readObserved(addr, out, size);
  if (lastPage_ && (addr & ~(kPage - 1)) == lastPageAddr_ && (addr & (kPage - 1)) + size <= kPage) {
    std::memcpy(out, lastPage_ + (addr & (kPage - 1)), size);
    return {};
  }
  auto* dst = static_cast<uint8_t*>(out);
  uint64_t cur = addr;
  size_t left = size;
  while (left > 0) {
    uint64_t page = cur & ~(kPage - 1);
    auto it = cache_.find(page);
    if (it == cache_.end()) {
      std::vector<uint8_t> buf(kPage);
      auto r = readUncached(page, buf.data(), kPage);
      if (!r) {
        // The page may be only partly readable: read the exact range instead.
        return readObserved(addr, out, size);
      }
      it = cache_.emplace(page, std::move(buf)).first;
    }
    size_t off = cur - page;
    size_t n = std::min<size_t>(left, kPage - off);
    lastPageAddr_ = page;
    lastPage_ = it->second.data();
    std::memcpy(dst, it->second.data() + off, n);
    dst += n;
    cur += n;
    left -= n;
  }
  return {};
}

void LiveProcess::beginTrial() const {
  dropCache();
  trial_ = true;
  // Allocated and touched now, while the target runs: its page faults are not part of the stop.
  scratch_.assign(kScratchPages * kPage, 0);
}

bool LiveProcess::confirmTrial() const {
  if (!trial_) return false;
  trial_ = false;
  lastPage_ = nullptr;
  bool same = !trialOverflow_;
  // Pages in address order, so that neighbours go in one iovec.
  std::vector<std::pair<uint64_t, std::vector<uint8_t>*>> pages;
  pages.reserve(cache_.size());
  for (auto& [addr, bytes] : cache_) pages.emplace_back(addr, &bytes);
  std::sort(pages.begin(), pages.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (scratch_.size() < kScratchPages * kPage) scratch_.assign(kScratchPages * kPage, 0);
  std::vector<uint64_t> gone;   // pages that cannot be read now
  std::vector<iovec> remote;
  remote.reserve(kScratchPages);
  bool batchWorks = true;
  for (size_t first = 0; first < pages.size();) {
    size_t count = std::min(kScratchPages, pages.size() - first);
    ssize_t n = -1;
    if (batchWorks) {
      remote.clear();
      for (size_t i = first; i < first + count; ++i) {
        uint64_t a = pages[i].first;
        if (!remote.empty() && reinterpret_cast<uint64_t>(remote.back().iov_base) + remote.back().iov_len == a) {
          remote.back().iov_len += kPage;
        } else {
          remote.push_back(iovec{reinterpret_cast<void*>(a), kPage});
        }
      }
      iovec local{scratch_.data(), count * kPage};
      n = process_vm_readv(ioPid_, &local, 1, remote.data(), remote.size(), 0);
      if (n < 0 && errno == ESRCH) return false;  // gone: the second read says so
      if (n < 0 && (errno == ENOSYS || errno == EPERM)) batchWorks = false;
    }
    // Pages the batch did not bring (a short read stops at the first page that fails, or
    // process_vm_readv is filtered): one at a time, through the fallback.
    size_t whole = n > 0 ? static_cast<size_t>(n) / kPage : 0;
    for (size_t i = 0; i < count; ++i) {
      uint8_t* now = scratch_.data() + i * kPage;
      auto& [addr, cached] = pages[first + i];
      if (i >= whole && !readUncached(addr, now, kPage)) {
        gone.push_back(addr);
        same = false;
        continue;
      }
      if (std::memcmp(now, cached->data(), kPage) != 0) {
        std::memcpy(cached->data(), now, kPage);
        same = false;
      }
    }
    first += count;
  }
  for (uint64_t a : gone) cache_.erase(a);
  std::vector<uint8_t> buf;
  for (const auto& o : observed_) {
    if (!same) break;
    buf.resize(o.size);
    auto r = readUncached(o.addr, buf.data(), o.size);
    if (static_cast<bool>(r) != o.ok) same = false;
    else if (o.ok) same = std::memcmp(buf.data(), o.bytes.data(), o.size) == 0;
    else same = r.error().kind == o.kind;
  }
  observed_.clear();
  observed_.shrink_to_fit();
  observedBytes_ = 0;
  trialOverflow_ = false;
  return same;
}

Result<std::vector<MappedFile>> LiveProcess::maps() const {
  std::string text = readProcFile(fmt::format("/proc/{}/maps", ioPid_), 64 << 20);
  if (text.empty()) {
    if (::kill(ioPid_, 0) != 0 && errno == ESRCH) return fail(ErrorKind::kProcessGone, "no such process");
    return fail(ErrorKind::kPermission, fmt::format("cannot read /proc/{}/maps", pid_));
  }
  std::vector<MappedFile> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long start = 0, end = 0, offset = 0, inode = 0;
    char perms[8] = {};
    char dev[16] = {};
    int pathPos = 0;
    if (sscanf(line.c_str(), "%llx-%llx %7s %llx %15s %llu %n", &start, &end, perms, &offset, dev, &inode, &pathPos) < 6) {
      continue;
    }
    MappedFile m;
    m.device = dev;
    m.inode = inode;
    m.start = start;
    m.end = end;
    m.fileOffset = offset;
    m.readable = perms[0] == 'r';
    m.writable = perms[1] == 'w';
    m.executable = perms[2] == 'x';
    m.shared = perms[3] == 's';
    if (pathPos > 0 && static_cast<size_t>(pathPos) < line.size()) m.path = line.substr(static_cast<size_t>(pathPos));
    const std::string deleted = " (deleted)";
    if (m.path.size() > deleted.size() && m.path.compare(m.path.size() - deleted.size(), deleted.size(), deleted) == 0) {
      m.deleted = true;
    }
    if (!m.path.empty() && m.path[0] == '/' && !m.deleted) {
      // Read through the target's root so that files in containers resolve.
      m.localPath = fmt::format("/proc/{}/root{}", ioPid_, m.path);
    }
    out.push_back(std::move(m));
  }
  return out;
}

namespace {
// Parses "pid (comm) S ppid ..." where comm may contain spaces and parentheses.
bool parseStat(const std::string& stat, char& state, std::string& comm, pid_t& ppid) {
  auto open = stat.find('(');
  auto close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  comm = stat.substr(open + 1, close - open - 1);
  int pp = 0;
  char st = '?';
  if (sscanf(stat.c_str() + close + 1, " %c %d", &st, &pp) != 2) return false;
  state = st;
  ppid = pp;
  return true;
}
}  // namespace

Result<ProcStatus> LiveProcess::status() const {
  std::string stat = readProcFile(fmt::format("/proc/{}/stat", pid_));
  ProcStatus s;
  s.pid = pid_;
  if (stat.empty() || !parseStat(stat, s.state, s.comm, s.ppid)) {
    return fail(ErrorKind::kProcessGone, fmt::format("no process with pid {}", pid_));
  }
  if (s.state == 'Z') {
    // Field 52 (exit_code, Linux 3.5+): fields after the command start at 3 (the state).
    std::istringstream rest(stat.substr(stat.rfind(')') + 1));
    std::string field;
    for (int i = 3; i <= 52 && rest >> field; ++i) {
      if (i == 52 && !field.empty() && field.size() < 12 &&
          std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        s.waitStatus = std::stoi(field);
      }
    }
  }
  return s;
}

namespace {
// The inode of the pipe behind a file descriptor, 0 when it is not a pipe.
uint64_t socketInodeOf(pid_t pid, int64_t fd) {
  char buf[64];
  ssize_t n = readlink(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long inode = 0;
  if (sscanf(buf, "socket:[%llu]", &inode) != 1) return 0;
  return inode;
}

uint64_t pipeInodeOf(pid_t pid, int64_t fd) {
  char buf[64];
  ssize_t n = readlink(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long inode = 0;
  if (sscanf(buf, "pipe:[%llu]", &inode) != 1) return 0;
  return inode;
}
}  // namespace

std::vector<PipeFd> LiveProcess::pipeFds() const {
  std::vector<PipeFd> out;
  std::string dir = fmt::format("/proc/{}/fd", ioPid_);
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  size_t seen = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (++seen > 4096) break;
    int64_t fd = std::atoll(e->d_name);
    uint64_t inode = pipeInodeOf(ioPid_, fd);
    if (!inode) continue;
    // The link's mode says how the fd was opened (r: FMODE_READ, w: FMODE_WRITE).
    struct stat st;
    if (lstat(fmt::format("{}/{}", dir, fd).c_str(), &st) != 0) continue;
    out.push_back(PipeFd{fd, inode, (st.st_mode & S_IRUSR) != 0, (st.st_mode & S_IWUSR) != 0});
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const PipeFd& a, const PipeFd& b) { return a.fd < b.fd; });
  return out;
}

Result<std::vector<ProcThread>> LiveProcess::threads() const {
  std::vector<ProcThread> out;
  DIR* d = opendir(fmt::format("/proc/{}/task", pid_).c_str());
  if (!d) return fail(kindForErrno(errno), "cannot list threads");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    ProcThread t;
    t.tid = std::atoi(e->d_name);
    std::string base = fmt::format("/proc/{}/task/{}/", pid_, t.tid);
    pid_t ignored = 0;
    parseStat(readProcFile(base + "stat"), t.state, t.comm, ignored);
    t.wchan = readProcFile(base + "wchan", 256);
    if (t.wchan.find("select") != std::string::npos || t.wchan.find("poll") != std::string::npos) {
      // select(0, NULL, NULL, NULL, &tv) / pselect6(0, ...) / poll(NULL, 0, ms) / ppoll(NULL, 0, ...)
      std::string sc = readProcFile(base + "syscall", 512);
      long nr = -1;
      unsigned long long a0 = 1, a1 = 1, a2 = 1, a3 = 1;
      if (sscanf(sc.c_str(), "%ld %llx %llx %llx %llx", &nr, &a0, &a1, &a2, &a3) == 5) {
        t.sleepingInSelect = ((nr == 23 || nr == 270) && a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0) ||
                             ((nr == 7 || nr == 271) && a1 == 0);
      }
    }
    // A TCP send waiting for room shows wait_woken (sk_stream_wait_memory), as do other waits:
    // the system call (a write or send) and the descriptor (a socket) tell.
    const bool socketSend = t.wchan.find("sock_alloc_send_pskb") != std::string::npos ||
                            t.wchan.find("unix_stream_sendmsg") != std::string::npos ||
                            t.wchan.find("unix_wait_for_peer") != std::string::npos ||
                            t.wchan.find("sk_stream_wait_memory") != std::string::npos || t.wchan == "wait_woken";
    if (t.wchan.find("pipe_write") != std::string::npos || socketSend) {
      // "1 0x5 ..." : write(2) (or writev(2), 20; sendto(2), 44; sendmsg(2), 46) on fd 5.
      std::string sc = readProcFile(base + "syscall", 512);
      long nr = -1;
      unsigned long long fd = 0;
      bool call = false;
      if (sscanf(sc.c_str(), "%ld %llx", &nr, &fd) == 2 && fd < (1u << 30)) {
        call = nr == 1 || nr == 20 || (socketSend && (nr == 44 || nr == 46));
      }
      uint64_t inode = call ? (socketSend ? socketInodeOf(ioPid_, static_cast<int64_t>(fd))
                                          : pipeInodeOf(ioPid_, static_cast<int64_t>(fd)))
                            : 0;
      // A socket with a send timeout (setsockopt SO_SNDTIMEO) ends the send within it.
      if (inode && socketSend) {
        auto timeout = socketTimeoutSeconds(pid_, static_cast<long>(fd), true);
        if (timeout && *timeout > 0) inode = 0;
      }
      if (inode) {
        t.pipeWriteFd = static_cast<int64_t>(fd);
        t.pipeWriteInode = inode;
        t.pipeWriteSocket = socketSend;
      }
    }
    out.push_back(std::move(t));
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const ProcThread& a, const ProcThread& b) { return a.tid < b.tid; });
  return out;
}

std::vector<pid_t> LiveProcess::threadIds() const {
  std::vector<pid_t> out;
  DIR* d = opendir(fmt::format("/proc/{}/task", pid_).c_str());
  if (!d) return out;
  constexpr size_t kMaxThreads = 1 << 16;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    if (out.size() >= kMaxThreads) break;
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
// "Name:\tvalue" lines of a /proc status file.
std::optional<uint64_t> statusNumber(const std::string& status, std::string_view key, int base = 10) {
  size_t at = 0;
  while (at < status.size()) {
    size_t end = status.find('\n', at);
    if (end == std::string::npos) end = status.size();
    std::string_view line(status.data() + at, end - at);
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
      std::string value(line.substr(key.size() + 1));
      char* stop = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(value.c_str(), &stop, base);
      if (errno || stop == value.c_str()) return std::nullopt;
      return static_cast<uint64_t>(v);
    }
    at = end + 1;
  }
  return std::nullopt;
}
}  // namespace

ThreadActivity LiveProcess::threadActivity(pid_t tid) const {
  ThreadActivity a;
  std::string base = fmt::format("/proc/{}/task/{}/", pid_, tid);
  std::string status = readProcFile(base + "status", 1 << 14);
  auto stateAt = status.find("\nState:");
  auto vol = statusNumber(status, "voluntary_ctxt_switches");
  auto invol = statusNumber(status, "nonvoluntary_ctxt_switches");
  if (stateAt == std::string::npos || !vol || !invol) return a;
  size_t c = status.find_first_not_of(" \t", stateAt + 7);
  if (c == std::string::npos) return a;
  a.state = status[c];
  a.voluntarySwitches = *vol;
  a.involuntarySwitches = *invol;
  a.syscall = readProcFile(base + "syscall", 512);
  while (!a.syscall.empty() && (a.syscall.back() == '\n' || a.syscall.back() == ' ')) a.syscall.pop_back();
  a.read = true;
  return a;
}

std::optional<uint64_t> LiveProcess::caughtSignals() const {
  return statusNumber(readProcFile(fmt::format("/proc/{}/status", pid_), 1 << 14), "SigCgt", 16);
}

std::string LiveProcess::commandLine() const {
  std::string raw = readProcFile(fmt::format("/proc/{}/cmdline", ioPid_), 1 << 16);
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

std::string LiveProcess::executable() const {
  char buf[4096];
  ssize_t n = readlink(fmt::format("/proc/{}/exe", ioPid_).c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace pyhang
