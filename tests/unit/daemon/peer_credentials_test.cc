// peer_credentials_test.cc — SO_PEERCRED and the allow-list.
#include "daemon/peer_credentials.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace idb::daemon {
namespace {

TEST(PeerCredentials, SocketPairReportsOurOwnProcess) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto peer = ReadPeerCredentials(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  EXPECT_EQ(peer->uid, ::getuid());
  EXPECT_EQ(peer->gid, ::getgid());
  EXPECT_EQ(peer->pid, ::getpid());
}

TEST(PeerCredentials, NotASocketIsAnError) {
  EXPECT_FALSE(ReadPeerCredentials(-1).ok());
}

TEST(PeerCredentials, AllowedByUidOrByGid) {
  PeerCredentials p;
  p.uid = 1000;
  p.gid = 998;
  EXPECT_TRUE(PeerAllowed(p, {1000}, {}));
  EXPECT_TRUE(PeerAllowed(p, {}, {998}));
  EXPECT_FALSE(PeerAllowed(p, {0}, {0}));
  EXPECT_FALSE(PeerAllowed(p, {}, {}));
}

TEST(PeerCredentials, CurrentPeerIsScopedToTheConnection) {
  EXPECT_FALSE(CurrentPeer().has_value());
  {
    PeerCredentials p;
    p.uid = 7;
    ScopedPeer scope(p);
    ASSERT_TRUE(CurrentPeer().has_value());
    EXPECT_EQ(CurrentPeer()->uid, 7u);
  }
  EXPECT_FALSE(CurrentPeer().has_value());
}

TEST(PeerCredentials, ToStringNamesUidGidPid) {
  PeerCredentials p;
  p.uid = 1;
  p.gid = 2;
  p.pid = 3;
  EXPECT_EQ(p.ToString(), "uid=1 gid=2 pid=3");
}

}  // namespace
}  // namespace idb::daemon
