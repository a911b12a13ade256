#include "process/socket_options.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

namespace pyhang {

namespace {

#ifndef SYS_pidfd_open
constexpr long SYS_pidfd_open = 434;
#endif
#ifndef SYS_pidfd_getfd
constexpr long SYS_pidfd_getfd = 438;
#endif

class Fd {
 public:
  explicit Fd(long fd) : fd_(static_cast<int>(fd)) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::optional<double> socketTimeoutSeconds(pid_t pid, long fd, bool send) {
  if (pid <= 0 || fd < 0 || fd >= (1L << 30)) return std::nullopt;
  Fd pidfd(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd.get() < 0) return std::nullopt;
  Fd copy(syscall(SYS_pidfd_getfd, pidfd.get(), static_cast<int>(fd), 0));  // O_CLOEXEC
  if (copy.get() < 0) return std::nullopt;
  timeval tv{};
  socklen_t len = sizeof tv;
  if (getsockopt(copy.get(), SOL_SOCKET, send ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, &len) != 0 || len != sizeof tv) {
    return std::nullopt;
  }
  if (tv.tv_sec < 0 || tv.tv_usec < 0) return std::nullopt;
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace pyhang
