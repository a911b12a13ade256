#include "process/fd_peers.h"

#include <dirent.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace pyhang {

namespace {
constexpr size_t kMaxProcesses = 16384;
constexpr size_t kMaxPeers = 1 << 20;
}  // namespace

std::optional<std::vector<FdEnd>> fdEnds(pid_t pid, size_t cap) {
  std::vector<FdEnd> out;
  std::string dir = fmt::format("/proc/{}/fd", pid);
  DIR* d = opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ESRCH) return out;
    return std::nullopt;
  }
  size_t seen = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (++seen > cap) break;
    std::string path = dir + "/" + e->d_name;
    char buf[64];
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) continue;
    buf[n] = '\0';
    unsigned long long inode = 0;
    FdEnd end;
    end.fd = std::atoll(e->d_name);
    if (std::sscanf(buf, "pipe:[%llu]", &inode) == 1) {
      // The link's mode says how the fd was opened (w: FMODE_WRITE).
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) continue;
      end.pipe = true;
      end.writable = (st.st_mode & S_IWUSR) != 0;
    } else if (std::sscanf(buf, "socket:[%llu]", &inode) != 1) {
      continue;
    }
    end.inode = inode;
    out.push_back(end);
  }
  closedir(d);
  return out;
}

namespace {

// Sends one socket-diagnostics dump request (`req`, after its netlink header) and hands every
// answer's header to `each` until the kernel is done, `each` returns false, or a bound is hit.
template <typename Request, typename Each>
void sockDiagDump(const Request& req, Each each) {
  int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (s < 0) return;
  struct {
    nlmsghdr nlh;
    Request req;
  } request{};
  request.nlh.nlmsg_len = sizeof(request);
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.req = req;
  if (send(s, &request, sizeof(request), 0) != static_cast<ssize_t>(sizeof(request))) {
    close(s);
    return;
  }
  alignas(nlmsghdr) char buf[32768];
  bool done = false;
  for (int rounds = 0; !done && rounds < 100000; ++rounds) {
    ssize_t n = recv(s, buf, sizeof(buf), 0);
    if (n <= 0) break;
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR || !each(h)) {
        done = true;
        break;
      }
    }
  }
  close(s);
}

// One established TCP connection end as the kernel lists it.
struct TcpEnd {
  std::array<uint32_t, 4> src{}, dst{};
  uint16_t sport = 0, dport = 0;
  uint32_t rqueue = 0, wqueue = 0;
};

// Hands every TCP socket of `family` in one of `states` (a TCP_* bit mask) to `each(inode, end,
// state)`; sockets no process holds yet (accepted by nobody) have inode 0.
template <typename Each>
void dumpTcpSockets(int family, uint32_t states, Each each) {
  inet_diag_req_v2 req{};
  req.sdiag_family = static_cast<uint8_t>(family);
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = states;
  size_t seen = 0;
  sockDiagDump(req, [&](const nlmsghdr* h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return true;
    inet_diag_msg msg{};
    std::memcpy(&msg, NLMSG_DATA(h), sizeof(msg));
    TcpEnd end;
    std::memcpy(end.src.data(), msg.id.idiag_src, sizeof(msg.id.idiag_src));
    std::memcpy(end.dst.data(), msg.id.idiag_dst, sizeof(msg.id.idiag_dst));
    end.sport = msg.id.idiag_sport;
    end.dport = msg.id.idiag_dport;
    end.rqueue = msg.idiag_rqueue;
    end.wqueue = msg.idiag_wqueue;
    each(static_cast<uint64_t>(msg.idiag_inode), end, msg.idiag_state);
    return ++seen < kMaxPeers;
  });
}

// Appends the established TCP sockets of `family` (inode -> its end) to `ends`.
void dumpTcp(int family, std::unordered_map<uint64_t, TcpEnd>& ends) {
  dumpTcpSockets(family, 1u << TCP_ESTABLISHED, [&](uint64_t inode, const TcpEnd& end, uint8_t) {
    if (inode) ends[inode] = end;
  });
}

}  // namespace

std::unordered_map<uint64_t, uint64_t> unixSocketPeers(std::unordered_map<uint64_t, uint32_t>* queued) {
  std::unordered_map<uint64_t, uint64_t> peers;
  unix_diag_req req{};
  req.sdiag_family = AF_UNIX;
  req.udiag_states = ~0u;
  req.udiag_show = UDIAG_SHOW_PEER | (queued ? UDIAG_SHOW_RQLEN : 0);
  sockDiagDump(req, [&](const nlmsghdr* h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) return true;
    const auto* msg = static_cast<const unix_diag_msg*>(NLMSG_DATA(h));
    int attrLeft = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(*msg)));
    auto* attr = reinterpret_cast<const rtattr*>(msg + 1);
    for (; RTA_OK(attr, attrLeft); attr = RTA_NEXT(attr, attrLeft)) {
      if (attr->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(attr) >= sizeof(uint32_t)) {
        uint32_t peer = 0;
        std::memcpy(&peer, RTA_DATA(attr), sizeof(peer));
        if (peer) peers[msg->udiag_ino] = peer;
      } else if (queued && attr->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(attr) >= sizeof(unix_diag_rqlen) &&
                 msg->udiag_state != TCP_LISTEN && queued->size() < kMaxPeers) {
        unix_diag_rqlen rql{};
        std::memcpy(&rql, RTA_DATA(attr), sizeof(rql));
        if (rql.udiag_rqueue) (*queued)[msg->udiag_ino] = rql.udiag_rqueue;
      }
    }
    return peers.size() < kMaxPeers;
  });
  return peers;
}

std::unordered_map<uint64_t, uint64_t> tcpSocketPeers(bool withQueuedBytes) {
  std::unordered_map<uint64_t, TcpEnd> ends;
  dumpTcp(AF_INET, ends);
  dumpTcp(AF_INET6, ends);
  using Key = std::tuple<std::array<uint32_t, 4>, uint16_t, std::array<uint32_t, 4>, uint16_t>;
  std::map<Key, uint64_t> byAddress;
  for (const auto& [inode, e] : ends) byAddress[Key{e.src, e.sport, e.dst, e.dport}] = inode;
  std::unordered_map<uint64_t, uint64_t> peers;
  for (const auto& [inode, e] : ends) {
    auto other = byAddress.find(Key{e.dst, e.dport, e.src, e.sport});
    if (other == byAddress.end() || other->second == inode) continue;
    // Bytes queued either way may still reach a reader: no certain peer then.
    const TcpEnd& o = ends.at(other->second);
    if (!withQueuedBytes && (e.rqueue || e.wqueue || o.rqueue || o.wqueue)) continue;
    peers[inode] = other->second;
  }
  return peers;
}

UnixAcceptQueues unixAcceptQueues() {
  UnixAcceptQueues out;
  unix_diag_req req{};
  req.sdiag_family = AF_UNIX;
  req.udiag_states = (1u << TCP_LISTEN) | (1u << TCP_ESTABLISHED);
  req.udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN;
  size_t seen = 0;
  sockDiagDump(req, [&](const nlmsghdr* h) {
    if (++seen > kMaxPeers) {
      out.complete = false;
      return false;
    }
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) return true;
    const auto* msg = static_cast<const unix_diag_msg*>(NLMSG_DATA(h));
    if (msg->udiag_type != SOCK_STREAM && msg->udiag_type != SOCK_SEQPACKET) return true;
    int attrLeft = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(*msg)));
    for (auto* attr = reinterpret_cast<const rtattr*>(msg + 1); RTA_OK(attr, attrLeft); attr = RTA_NEXT(attr, attrLeft)) {
      if (msg->udiag_state == TCP_ESTABLISHED && attr->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(attr) >= sizeof(uint32_t)) {
        uint32_t peer = 1;
        std::memcpy(&peer, RTA_DATA(attr), sizeof(peer));
        if (!peer) out.unaccepted.insert(msg->udiag_ino);
      } else if (msg->udiag_state == TCP_LISTEN && attr->rta_type == UNIX_DIAG_RQLEN &&
                 RTA_PAYLOAD(attr) >= sizeof(unix_diag_rqlen)) {
        unix_diag_rqlen rql{};
        std::memcpy(&rql, RTA_DATA(attr), sizeof(rql));
        if (rql.udiag_rqueue) out.listeners.insert(msg->udiag_ino);
      }
    }
    return true;
  });
  return out;
}

std::unordered_map<uint64_t, uint64_t> tcpPendingAccepts() {
  using Addr = std::tuple<std::array<uint32_t, 4>, uint16_t>;
  std::map<std::pair<Addr, Addr>, bool> unaccepted;  // (local, remote) of ends no process holds
  std::map<Addr, uint64_t> listeners;
  std::vector<std::pair<uint64_t, TcpEnd>> held;
  for (int family : {AF_INET, AF_INET6}) {
    dumpTcpSockets(family, (1u << TCP_ESTABLISHED) | (1u << TCP_LISTEN), [&](uint64_t inode, const TcpEnd& e, uint8_t state) {
      if (state == TCP_LISTEN) {
        if (inode) listeners[Addr{e.src, e.sport}] = inode;
      } else if (!inode) {
        unaccepted[{Addr{e.src, e.sport}, Addr{e.dst, e.dport}}] = true;
      } else if (held.size() < kMaxPeers) {
        held.emplace_back(inode, e);
      }
    });
  }
  std::unordered_map<uint64_t, uint64_t> out;
  if (unaccepted.empty()) return out;
  for (const auto& [inode, e] : held) {
    if (!unaccepted.count({Addr{e.dst, e.dport}, Addr{e.src, e.sport}})) continue;
    // The listener bound to the other end's address, or to every address (0.0.0.0, [::]).
    auto l = listeners.find(Addr{e.dst, e.dport});
    if (l == listeners.end()) l = listeners.find(Addr{std::array<uint32_t, 4>{}, e.dport});
    if (l != listeners.end()) out[inode] = l->second;
  }
  return out;
}

namespace {

// The processes other than `skip` holding one of `inodes` (pipes: a write end; else sockets),
// at most 16 per inode, looking at every process in /proc (bounded).
std::map<uint64_t, std::vector<pid_t>> holders(const std::set<uint64_t>& inodes, const std::set<pid_t>& skip, bool pipes,
                                               bool readEnds = false) {
  std::map<uint64_t, std::vector<pid_t>> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  size_t seen = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (skip.count(pid)) continue;
    if (++seen > kMaxProcesses) break;
    auto ends = fdEnds(pid);
    if (!ends) continue;
    for (const FdEnd& end : *ends) {
      if (end.pipe != pipes || (pipes && end.writable == readEnds) || !inodes.count(end.inode)) continue;
      auto& pids = out[end.inode];
      if (pids.size() < 16 && std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
    }
  }
  closedir(d);
  return out;
}

}  // namespace

std::map<uint64_t, std::vector<pid_t>> pipeWriters(const std::set<uint64_t>& pipes, const std::set<pid_t>& skip) {
  return holders(pipes, skip, true);
}

std::map<uint64_t, std::vector<pid_t>> pipeReaders(const std::set<uint64_t>& pipes, const std::set<pid_t>& skip) {
  return holders(pipes, skip, true, true);
}

std::map<uint64_t, std::vector<pid_t>> socketHolders(const std::set<uint64_t>& sockets, const std::set<pid_t>& skip) {
  return holders(sockets, skip, false);
}

std::set<uint64_t> heldElsewhere(const std::set<uint64_t>& pipes, const std::set<uint64_t>& sockets,
                                 const std::set<pid_t>& known, bool pipeReadEnds) {
  std::set<uint64_t> out;
  std::set<uint64_t> all = pipes;
  all.insert(sockets.begin(), sockets.end());
  DIR* d = opendir("/proc");
  if (!d) return all;
  size_t seen = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (known.count(pid)) continue;
    auto ends = ++seen > kMaxProcesses ? std::nullopt : fdEnds(pid);
    if (!ends) {
      out = all;
      break;
    }
    for (const FdEnd& end : *ends) {
      if ((end.pipe && end.writable != pipeReadEnds && pipes.count(end.inode)) || (!end.pipe && sockets.count(end.inode))) {
        out.insert(end.inode);
      }
    }
  }
  closedir(d);
  return out;
}

}  // namespace pyhang
