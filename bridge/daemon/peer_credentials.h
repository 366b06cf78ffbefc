// peer_credentials.h — who is on the other end of a UNIX-socket connection.
//
// Why: the daemon decides logins for a whole fleet application; only the
// processes IT names in `daemon.allowed_uids/allowed_gids` may talk to it.
// The kernel tells us the peer's uid/gid/pid (SO_PEERCRED), which cannot be
// forged by the client, unlike anything it sends.
// The connection's credentials are also made available to request handlers of
// the same worker thread (CurrentPeer), for history ("uid=1000 pid=42") and
// admin checks.
// Thread-safety: ReadPeerCredentials/PeerAllowed are pure; CurrentPeer is
// thread-local.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace idb::daemon {

struct PeerCredentials {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
  std::string ToString() const;  // "uid=1000 gid=1000 pid=42"
};

Result<PeerCredentials> ReadPeerCredentials(int fd);

// Allowed when the uid is in `uids` or the gid is in `gids`.
bool PeerAllowed(const PeerCredentials& peer, const std::vector<uid_t>& uids, const std::vector<gid_t>& gids);

// The credentials of the connection the calling worker thread is serving, or
// nullopt outside a UNIX-socket request (e.g. the TLS listener).
std::optional<PeerCredentials> CurrentPeer();

// Sets CurrentPeer() for the lifetime of the object (one connection).
class ScopedPeer {
 public:
  explicit ScopedPeer(const PeerCredentials& peer);
  ~ScopedPeer();
  ScopedPeer(const ScopedPeer&) = delete;
  ScopedPeer& operator=(const ScopedPeer&) = delete;
};

}  // namespace idb::daemon
