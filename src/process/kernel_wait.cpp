#include "process/kernel_wait.h"

#include <arpa/inet.h>
#include <sys/uio.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <algorithm>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "process/file_locks.h"
#include "process/live_process.h"
#include "process/socket_options.h"

namespace pyhang {

namespace {

// x86_64 system call numbers.
enum : long {
  kRead = 0, kWrite = 1, kPoll = 7, kPread = 17, kReadv = 19, kSelect = 23, kPause = 34, kNanosleep = 35,
  kConnect = 42, kFcntl = 72, kFlock = 73, kAccept = 43, kSendto = 44, kRecvfrom = 45, kSendmsg = 46, kRecvmsg = 47, kWait4 = 61,
  kRtSigtimedwait = 128, kRtSigsuspend = 130, kFutex = 202, kEpollWait = 232, kClockNanosleep = 230,
  kWaitid = 247, kPselect6 = 270, kPpoll = 271, kEpollPwait = 281, kAccept4 = 288, kRecvmmsg = 299,
  kEpollPwait2 = 441, kRestartSyscall = 219,
};

std::string hexAddress(const std::string& hex, bool v6) {
  // /proc/net/tcp: "0100007F:1F90" (little-endian words); tcp6: 32 hex digits.
  auto colon = hex.find(':');
  if (colon == std::string::npos) return hex;
  unsigned port = static_cast<unsigned>(std::strtoul(hex.c_str() + colon + 1, nullptr, 16));
  std::string addr = hex.substr(0, colon);
  char text[INET6_ADDRSTRLEN] = {};
  if (!v6 && addr.size() == 8) {
    in_addr a{};
    a.s_addr = static_cast<uint32_t>(std::strtoul(addr.c_str(), nullptr, 16));
    inet_ntop(AF_INET, &a, text, sizeof(text));
    return fmt::format("{}:{}", text, port);
  }
  if (v6 && addr.size() == 32) {
    in6_addr a{};
    for (int w = 0; w < 4; ++w) {
      uint32_t word = static_cast<uint32_t>(std::strtoul(addr.substr(static_cast<size_t>(w) * 8, 8).c_str(), nullptr, 16));
      std::memcpy(&a.s6_addr[w * 4], &word, 4);
    }
    inet_ntop(AF_INET6, &a, text, sizeof(text));
    return fmt::format("[{}]:{}", text, port);
  }
  return hex;
}

// The row of /proc/PID/net/{tcp,tcp6,udp,udp6,unix} for a socket inode; "" when none.
std::string findSocketRow(pid_t pid, uint64_t inode);

// The socket's description. The tables are read in pieces, and a table that changes meanwhile
// (other connections opening and closing) can skip rows: look again before giving up.
std::string socketByInode(pid_t pid, uint64_t inode) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (std::string row = findSocketRow(pid, inode); !row.empty()) return row;
  }
  return fmt::format("socket:[{}]", inode);
}

std::string findSocketRow(pid_t pid, uint64_t inode) {
  struct Table { const char* file; const char* proto; bool v6; };
  static const Table kInet[] = {{"tcp", "TCP", false}, {"tcp6", "TCP", true}, {"udp", "UDP", false}, {"udp6", "UDP", true}};
  std::string want = std::to_string(inode);
  for (const auto& t : kInet) {
    std::istringstream in(readProcFile(fmt::format("/proc/{}/net/{}", pid, t.file), 4 << 20));
    std::string line;
    std::getline(in, line);   // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, ino;
      if (!(f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> ino)) continue;
      if (ino != want) continue;
      std::string l = hexAddress(local, t.v6), r = hexAddress(remote, t.v6);
      if (st == "0A") return fmt::format("{} socket listening on {}", t.proto, l);
      if (r.find(":0") == r.size() - 2 && (r.rfind("0.0.0.0", 0) == 0 || r.rfind("[::]", 0) == 0)) {
        return fmt::format("{} socket {}", t.proto, l);
      }
      return fmt::format("{} socket {} -> {}", t.proto, l, r);
    }
  }
  std::istringstream in(readProcFile(fmt::format("/proc/{}/net/unix", pid), 4 << 20));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string num, refs, proto, flags, type, st, ino, path;
    if (!(f >> num >> refs >> proto >> flags >> type >> st >> ino)) continue;
    if (ino != want) continue;
    f >> path;
    return path.empty() ? "Unix socket (unnamed)" : fmt::format("Unix socket {}", path);
  }
  // Netlink: "sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode"; the kernel is the writer.
  std::istringstream nl(readProcFile(fmt::format("/proc/{}/net/netlink", pid), 1 << 20));
  std::getline(nl, line);
  while (std::getline(nl, line)) {
    std::istringstream f(line);
    std::string sk, eth, npid, groups, rmem, wmem, dump, locks, drops, ino;
    if (!(f >> sk >> eth >> npid >> groups >> rmem >> wmem >> dump >> locks >> drops >> ino) || ino != want) continue;
    static const std::pair<const char*, const char*> kFamilies[] = {
        {"0", "NETLINK_ROUTE"}, {"4", "NETLINK_SOCK_DIAG"}, {"9", "NETLINK_AUDIT"},
        {"15", "NETLINK_KOBJECT_UEVENT"}, {"16", "NETLINK_GENERIC"}};
    for (const auto& [number, name] : kFamilies) {
      if (eth == number) return fmt::format("netlink socket {}", name);
    }
    return "netlink socket";
  }
  return "";
}

// "[signalfd]" -> "signalfd for SIGHUP, SIGUSR1"; "[pidfd]" -> "pidfd of pid 4321"; "[eventfd]" ->
// "eventfd": the details from /proc/PID/fdinfo/FD.
std::string describeAnonInode(pid_t pid, long fd, std::string kind) {
  if (kind.size() > 2 && kind.front() == '[' && kind.back() == ']') kind = kind.substr(1, kind.size() - 2);
  if (kind != "signalfd" && kind != "pidfd") return kind;
  std::istringstream in(readProcFile(fmt::format("/proc/{}/fdinfo/{}", pid, fd), 4096));
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long mask = 0;
    long long target = 0;
    if (kind == "signalfd" && std::sscanf(line.c_str(), "sigmask: %llx", &mask) == 1) {
      std::vector<std::string> names;
      for (int signo = 1; signo <= 64 && names.size() < 8; ++signo) {
        if (!(mask >> (signo - 1) & 1)) continue;
        const char* abbrev = signo < SIGRTMIN ? sigabbrev_np(signo) : nullptr;
        names.push_back(abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signo));
      }
      return names.empty() ? kind : fmt::format("signalfd for {}", fmt::join(names, ", "));
    }
    if (kind == "pidfd" && std::sscanf(line.c_str(), "Pid: %lld", &target) == 1) {
      return target > 0 ? fmt::format("pidfd of pid {}", target) : "pidfd of a process that exited";
    }
  }
  return kind;
}

}  // namespace

std::string describeFd(pid_t pid, long fd) {
  if (fd < 0) return {};
  char buf[512];
  ssize_t n = readlink(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  std::string target(buf, static_cast<size_t>(n));
  unsigned long long inode = 0;
  if (std::sscanf(target.c_str(), "socket:[%llu]", &inode) == 1) return socketByInode(pid, inode);
  if (target.rfind("pipe:", 0) == 0) return "a pipe (" + target + ")";
  if (target.rfind("/dev/pts/", 0) == 0 || target.rfind("/dev/tty", 0) == 0) return "the terminal " + target;
  if (target.rfind("anon_inode:", 0) == 0) return describeAnonInode(pid, fd, target.substr(11));
  return target;
}

namespace {

// A timespec / timeval argument of the blocked call, read from the target (read-only); seconds.
std::optional<double> remoteSeconds(pid_t pid, unsigned long long addr, bool timeval) {
  if (addr == 0) return std::nullopt;
  int64_t v[2] = {};
  iovec local{v, sizeof(v)};
  iovec remote{reinterpret_cast<void*>(addr), sizeof(v)};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof(v))) return std::nullopt;
  const double fraction = timeval ? 1e6 : 1e9;
  if (v[0] < 0 || v[1] < 0 || v[1] >= static_cast<int64_t>(fraction) || v[0] > (int64_t{1} << 40)) return std::nullopt;
  return static_cast<double>(v[0]) + static_cast<double>(v[1]) / fraction;
}

constexpr unsigned kPollIn = 0x1, kPollPri = 0x2, kPollOut = 0x4;  // POLLIN, POLLPRI, POLLOUT (= EPOLL*)

// The descriptors of a poll(2) call's pollfd array (struct pollfd: int fd, short events, short
// revents), read from the target; negative ones are ignored by the kernel and here. `inputOnly`:
// whether every one of them waits for input only (POLLIN / POLLPRI).
std::vector<int64_t> polledFds(pid_t pid, unsigned long long addr, unsigned long long nfds, bool* inputOnly) {
  std::vector<int64_t> out;
  *inputOnly = false;
  if (addr == 0 || nfds == 0 || nfds > 64) return out;
  int32_t raw[64 * 2] = {};
  const size_t bytes = static_cast<size_t>(nfds) * 8;
  iovec local{raw, bytes};
  iovec remote{reinterpret_cast<void*>(addr), bytes};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(bytes)) return out;
  *inputOnly = true;
  for (size_t i = 0; i < nfds; ++i) {
    if (raw[2 * i] < 0) continue;
    out.push_back(raw[2 * i]);
    const unsigned events = static_cast<uint16_t>(raw[2 * i + 1] & 0xffff);
    *inputOnly &= (events & (kPollIn | kPollPri)) != 0 && (events & kPollOut) == 0;
  }
  return out;
}

// The descriptors set in a select(2) fd_set of `nfds` bits at `addr` in the target (none when
// addr is 0), at most 1024 bits read; nullopt when it cannot be read.
std::optional<std::vector<int64_t>> selectedFds(pid_t pid, unsigned long long addr, unsigned long long nfds) {
  std::vector<int64_t> out;
  if (addr == 0) return out;
  if (nfds == 0 || nfds > 1024) return std::nullopt;
  uint64_t words[1024 / 64] = {};
  const size_t bytes = static_cast<size_t>((nfds + 63) / 64) * 8;
  iovec local{words, bytes};
  iovec remote{reinterpret_cast<void*>(addr), bytes};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(bytes)) return std::nullopt;
  for (size_t fd = 0; fd < nfds; ++fd) {
    if (words[fd / 64] >> (fd % 64) & 1) out.push_back(static_cast<int64_t>(fd));
  }
  return out;
}

// The descriptors an epoll instance watches, from /proc/PID/fdinfo/EPFD ("tfd: 5 events: 19
// ..."), at most 64 (more: empty); `inputOnly` as for polledFds (EPOLLIN = POLLIN ...).
std::vector<int64_t> epollFds(pid_t pid, unsigned long long epfd, bool* inputOnly) {
  std::vector<int64_t> out;
  *inputOnly = false;
  if (epfd > 0x7fffffff) return out;
  std::istringstream in(readProcFile(fmt::format("/proc/{}/fdinfo/{}", pid, epfd), 16384));
  std::string line;
  bool input = true;
  while (std::getline(in, line)) {
    long long fd = -1;
    unsigned events = 0;
    if (std::sscanf(line.c_str(), "tfd: %lld events: %x", &fd, &events) != 2) continue;
    if (fd < 0 || out.size() >= 64) return {};
    out.push_back(fd);
    input &= (events & (kPollIn | kPollPri)) != 0 && (events & kPollOut) == 0;
  }
  *inputOnly = input && !out.empty();
  return out;
}

std::string seconds(double s) {
  if (s < 10) return fmt::format("{:.1f} s", s);
  return fmt::format("{:.0f} s", s);
}

// "is sleeping (time.sleep or similar, 3597 s left)": an absolute deadline gives the time left;
// a relative one only the length of the whole sleep, since its start is unknown.
std::string sleepText(std::optional<double> left, std::optional<double> length) {
  if (left) return fmt::format("is sleeping (time.sleep or similar, {} left)", seconds(std::max(0.0, *left)));
  if (length) return fmt::format("is sleeping (time.sleep or similar, a sleep of {})", seconds(*length));
  return "is sleeping (time.sleep or similar)";
}

std::string clockNanosleepText(pid_t pid, const unsigned long long* a) {
  constexpr unsigned long long kTimerAbstime = 1;
  auto request = remoteSeconds(pid, a[2], false);
  if (!(a[1] & kTimerAbstime)) return sleepText(std::nullopt, request);
  timespec now{};
  if (!request || a[0] > 11 || clock_gettime(static_cast<clockid_t>(a[0]), &now) != 0) return sleepText(std::nullopt, std::nullopt);
  return sleepText(*request - (static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9), std::nullopt);
}

}  // namespace

KernelWait describeKernelWait(pid_t pid, pid_t tid) {
  KernelWait w;
  std::string sc = readProcFile(fmt::format("/proc/{}/task/{}/syscall", pid, tid), 512);
  long nr = -1;
  unsigned long long a[6] = {};
  if (std::sscanf(sc.c_str(), "%ld %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) < 2) {
    return w;
  }
  // A call interrupted by a stop (a tracer's, pyhang's own earlier look) and resumed through
  // restart_syscall(2): poll(2), relative sleeps and futex waits come back so, their arguments
  // still in the registers /proc shows. The wait channel says which call it was.
  if (nr == kRestartSyscall) {
    std::string wchan = readProcFile(fmt::format("/proc/{}/task/{}/wchan", pid, tid), 128);
    if (wchan.find("poll_schedule_timeout") != std::string::npos || wchan.find("do_sys_poll") != std::string::npos) {
      nr = kPoll;
    } else if (wchan.find("futex") != std::string::npos) {
      nr = kFutex;
    } else if (wchan.find("nanosleep") != std::string::npos) {
      w.kind = "sleep";
      w.text = sleepText(std::nullopt, std::nullopt);
      return w;
    }
  }
  auto fdText = [&](unsigned long long fd) {
    std::string what = describeFd(pid, static_cast<long>(fd));
    return what.empty() ? fmt::format("fd {}", fd) : fmt::format("{} (fd {})", what, fd);
  };
  switch (nr) {
    case kRead: case kReadv: case kPread: case kRecvfrom: case kRecvmsg: case kRecvmmsg: {
      w.kind = "io";
      w.readFd = static_cast<int64_t>(a[0] & 0x7fffffff);
      std::string what = describeFd(pid, static_cast<long>(a[0]));
      if (what.rfind("the terminal", 0) == 0) w.text = fmt::format("waits for input from {} (fd {})", what, a[0]);
      else w.text = fmt::format("waits to read from {}", fdText(a[0]));
      // A socket with a receive timeout (setsockopt SO_RCVTIMEO) ends the read within it.
      if (what.find("socket") != std::string::npos) {
        if (auto timeout = socketTimeoutSeconds(pid, static_cast<long>(w.readFd), false); timeout && *timeout > 0) {
          w.readFd = -1;
          w.text += fmt::format(", with a {:g} s receive timeout (SO_RCVTIMEO)", *timeout);
        }
      }
      break;
    }
    case kWrite: case kSendto: case kSendmsg:
      w.kind = "io";
      w.text = fmt::format("waits to write to {}", fdText(a[0]));
      break;
    case kAccept: case kAccept4:
      w.kind = "accept";
      w.text = fmt::format("waits for a connection on {}", fdText(a[0]));
      break;
    case kConnect:
      w.kind = "io";
      w.text = fmt::format("waits for a connection to complete on {}", fdText(a[0]));
      break;
    case kPoll: case kPpoll:
      if (a[1] == 0) {
        w.kind = "sleep";
        std::optional<double> length;
        if (nr == kPpoll) length = remoteSeconds(pid, a[2], false);
        else if (static_cast<int>(a[2]) >= 0) length = static_cast<int>(a[2]) / 1000.0;
        w.text = sleepText(std::nullopt, length);
        break;
      }
      w.kind = "poll";
      {
        bool inputOnly = false;
        w.polledFds = polledFds(pid, a[0], a[1], &inputOnly);
        // No timeout (poll: a negative one; ppoll: none), one descriptor, input only: as good as
        // a read on it. A poll() resumed through restart_syscall (after any stop, pyhang's own
        // earlier look included) keeps its arguments in the registers, the original timeout too.
        const bool forever = nr == kPoll ? static_cast<int>(a[2]) < 0 : a[2] == 0;
        w.noTimeout = forever;
        if (forever && inputOnly && w.polledFds.size() == 1) {
          w.readFd = w.polledFds.front();
          w.text = fmt::format("waits in poll() for input on {}, with no timeout", fdText(static_cast<unsigned long long>(w.readFd)));
          break;
        }
      }
      if (!w.polledFds.empty() && w.polledFds.size() <= 4) {
        std::vector<std::string> fds;
        for (int64_t fd : w.polledFds) fds.push_back(fdText(static_cast<unsigned long long>(fd)));
        w.text = fmt::format("waits in poll() for I/O on {}", fmt::join(fds, ", "));
      } else {
        w.text = fmt::format("waits in poll() for I/O on {} file descriptor{}", a[1], a[1] == 1 ? "" : "s");
      }
      break;
    case kSelect: case kPselect6:
      if (a[0] == 0) {
        w.kind = "sleep";
        w.text = sleepText(std::nullopt, remoteSeconds(pid, a[4], nr == kSelect));
        break;
      }
      w.kind = "poll";
      w.text = "waits in select() for I/O";
      w.noTimeout = a[4] == 0;
      {
        // select.select([fd], [], []) with no timeout (a NULL pointer): as good as a read on fd.
        // CPython passes all three sets, the unused ones empty.
        auto reads = selectedFds(pid, a[1], a[0]);
        auto writes = selectedFds(pid, a[2], a[0]);
        auto excepts = selectedFds(pid, a[3], a[0]);
        if (!reads || !writes || !excepts) break;
        if (reads->size() + writes->size() + excepts->size() <= 4) {
          w.polledFds = *reads;
          w.polledFds.insert(w.polledFds.end(), writes->begin(), writes->end());
        }
        if (a[4] == 0 && reads->size() == 1 && writes->empty() && excepts->empty()) {
          w.readFd = reads->front();
          w.text = fmt::format("waits in select() for input on {}, with no timeout", fdText(static_cast<unsigned long long>(w.readFd)));
        } else if (!reads->empty() && reads->size() <= 4 && writes->empty()) {
          std::vector<std::string> fds;
          for (int64_t fd : *reads) fds.push_back(fdText(static_cast<unsigned long long>(fd)));
          w.text = fmt::format("waits in select() for input on {}", fmt::join(fds, ", "));
        }
      }
      break;
    case kEpollWait: case kEpollPwait: case kEpollPwait2: {
      w.kind = "poll";
      w.text = "waits in epoll for I/O (an event loop or selector)";
      // No timeout (a negative one; epoll_pwait2: none) on one descriptor, for input only: as
      // good as a read on it (a selector thread waiting for its own wake-up socket).
      const bool forever = nr == kEpollPwait2 ? a[3] == 0 : static_cast<int>(a[3]) < 0;
      w.noTimeout = forever;
      bool inputOnly = false;
      std::vector<int64_t> fds = forever ? epollFds(pid, a[0], &inputOnly) : std::vector<int64_t>{};
      if (inputOnly && fds.size() == 1) {
        w.readFd = fds.front();
        w.polledFds = fds;
        w.text = fmt::format("waits in epoll for input on {}, with no timeout", fdText(static_cast<unsigned long long>(w.readFd)));
      }
      break;
    }
    case kNanosleep:
      w.kind = "sleep";
      w.text = sleepText(std::nullopt, remoteSeconds(pid, a[0], false));
      break;
    case kClockNanosleep:
      w.kind = "sleep";
      w.text = clockNanosleepText(pid, a);
      break;
    case kPause: case kRtSigsuspend: case kRtSigtimedwait:
      w.kind = "signal";
      w.text = "waits for a signal";
      break;
    case kWait4: case kWaitid:
    {
      // wait4's pid is a pid_t in the register's lower half: wait4(-1) (any child, as a shell
      // waits) reads as 0x00000000ffffffff.
      const int32_t child = static_cast<int32_t>(static_cast<uint32_t>(a[0]));
      w.kind = "child";
      if (child > 0 && nr == kWait4) w.childPid = child;
      // wait4(-1, ..., options) without WNOHANG: whichever child exits first ends it.
      constexpr unsigned long long kWNoHang = 1;
      w.anyChild = child == -1 && nr == kWait4 && !(a[2] & kWNoHang);
      w.text = child > 0 && nr == kWait4 ? fmt::format("waits for child process {} to exit", child)
                                         : "waits for a child process to exit";
      break;
    }
    case kFlock: case kFcntl: {
      // flock(fd, LOCK_EX or LOCK_SH) without LOCK_NB; fcntl(fd, F_SETLKW or F_OFD_SETLKW, ...).
      constexpr unsigned long long kLockSh = 1, kLockEx = 2, kSetLkw = 7, kOfdSetLkw = 38;
      if (nr == kFcntl && a[1] != kSetLkw && a[1] != kOfdSetLkw) {
        w.kind = "other";
        w.text = fmt::format("is in system call {}", nr);
        break;
      }
      w.kind = "filelock";
      w.lockFd = static_cast<int64_t>(a[0] & 0x7fffffff);
      w.lockKey = fileLockKey(pid, static_cast<long>(w.lockFd));
      w.lockPath = describeFd(pid, static_cast<long>(w.lockFd));
      w.lockCall = nr == kFcntl ? (a[1] == kSetLkw ? "a record lock (fcntl F_SETLKW, as lockf() takes)"
                                                   : "an open file description lock (fcntl F_OFD_SETLKW)")
                   : (a[1] & kLockEx) ? "an exclusive flock()"
                   : (a[1] & kLockSh) ? "a shared flock()"
                                      : "an flock()";
      w.text = fmt::format("waits for {} on {}", w.lockCall, fdText(a[0]));
      break;
    }
    case kFutex:
      w.kind = "futex";
      w.text = "is blocked on a futex in C code (a lock or condition)";
      break;
    default:
      w.kind = "other";
      w.text = fmt::format("is in system call {}", nr);
      break;
  }
  return w;
}

const char* callAtStop(int64_t origRax, int64_t rax) {
  if (origRax < 0) return "running";
  // EINTR, ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK: the stop (or the
  // signal that dumped the core) interrupted the wait, which the kernel restarts or Python retries.
  switch (rax) {
    case -4: case -512: case -513: case -514: case -516: return "blocked";
    default: break;
  }
  // A send into a full socket that the stop cut short returns the bytes it moved (sendall() and
  // the like send the rest); the thread is as blocked as before.
  switch (origRax) {
    case kWrite: case 18 /* pwrite64 */: case 20 /* writev */: case 40 /* sendfile */: case kSendto:
    case kSendmsg: case 307 /* sendmmsg */:
      return rax > 0 ? "blocked" : "returned";
    default: return "returned";
  }
}

}  // namespace pyhang
