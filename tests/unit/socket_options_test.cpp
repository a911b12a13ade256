// socketTimeoutSeconds on this process's own descriptors: real sockets and a pipe.
#include "process/socket_options.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace pyhang {
namespace {

TEST(SocketOptions, ReadsTheReceiveAndSendTimeouts) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  timeval rcv{2, 500000}, snd{0, 0};
  ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv), 0);
  ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd), 0);
  auto r = socketTimeoutSeconds(getpid(), sv[0], false);
  auto s = socketTimeoutSeconds(getpid(), sv[0], true);
  auto other = socketTimeoutSeconds(getpid(), sv[1], false);
  ASSERT_TRUE(r && s && other);
  EXPECT_DOUBLE_EQ(*r, 2.5);
  EXPECT_DOUBLE_EQ(*s, 0.0);
  EXPECT_DOUBLE_EQ(*other, 0.0);
  close(sv[0]);
  close(sv[1]);
}

TEST(SocketOptions, NotASocketOrNoDescriptorIsUnknown) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(socketTimeoutSeconds(getpid(), p[0], false));
  close(p[0]);
  close(p[1]);
  EXPECT_FALSE(socketTimeoutSeconds(getpid(), 1 << 20, false));
  EXPECT_FALSE(socketTimeoutSeconds(getpid(), -1, true));
  EXPECT_FALSE(socketTimeoutSeconds(0, 0, true));
}

}  // namespace
}  // namespace pyhang
