// A socket's own timeouts (SO_RCVTIMEO, SO_SNDTIMEO, set with setsockopt): a recv() or send()
// blocked on such a socket ends within that time, though its system call shows no timeout.
#pragma once

#include <sys/types.h>

#include <optional>

namespace pyhang {

// The receive (send == false) or send timeout of descriptor `fd` of process `pid`, in seconds:
// 0 when none is set, nullopt when it cannot be read (not a socket, no permission, a kernel
// before 5.6). Read through a duplicate of the descriptor (pidfd_getfd(2), which needs the same
// permission as ptrace): the target's descriptor and socket are left as they are, and the
// duplicate is closed at once.
std::optional<double> socketTimeoutSeconds(pid_t pid, long fd, bool send);

}  // namespace pyhang
