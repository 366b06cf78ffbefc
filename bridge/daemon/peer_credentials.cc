// peer_credentials.cc — see peer_credentials.h.
#include "daemon/peer_credentials.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace idb::daemon {

namespace {
thread_local bool t_has_peer = false;
thread_local PeerCredentials t_peer;
}  // namespace

std::string PeerCredentials::ToString() const {
  return "uid=" + std::to_string(uid) + " gid=" + std::to_string(gid) + " pid=" + std::to_string(pid);
}

Result<PeerCredentials> ReadPeerCredentials(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
    return Internal(std::string("SO_PEERCRED failed: ") + std::strerror(errno));
  }
  PeerCredentials p;
  p.uid = cred.uid;
  p.gid = cred.gid;
  p.pid = cred.pid;
  return p;
}

bool PeerAllowed(const PeerCredentials& peer, const std::vector<uid_t>& uids, const std::vector<gid_t>& gids) {
  return std::find(uids.begin(), uids.end(), peer.uid) != uids.end() ||
         std::find(gids.begin(), gids.end(), peer.gid) != gids.end();
}

std::optional<PeerCredentials> CurrentPeer() {
  if (!t_has_peer) return std::nullopt;
  return t_peer;
}

ScopedPeer::ScopedPeer(const PeerCredentials& peer) {
  t_peer = peer;
  t_has_peer = true;
}

ScopedPeer::~ScopedPeer() { t_has_peer = false; }

}  // namespace idb::daemon
