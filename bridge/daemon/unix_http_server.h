// unix_http_server.h — cpp-httplib's Server with a SO_PEERCRED gate on every
// accepted UNIX-socket connection.
//
// Why this shape: cpp-httplib 0.11.4 (Debian) has no per-connection hook —
// set_socket_options() only sees the listening socket and Request carries no
// fd. Its one per-connection entry point is the virtual
// `process_and_close_socket(sock)` (SSLServer overrides it the same way). We
// override it: read the peer's credentials, refuse peers not on the allow-list
// with a 403 JSON answer before reading anything, and otherwise run
// httplib's own request processing (`process_request`, protected) over our
// own socket Stream, with the peer published to handlers via ScopedPeer.
// The keep-alive loop mirrors httplib's (max count, keep-alive timeout, stop
// when the listening socket closes).
// Ownership: owns nothing beyond httplib::Server. Thread-safety: as
// httplib::Server; `admit` is called concurrently from worker threads.
#pragma once

#include <functional>

#include <httplib.h>

#include "daemon/peer_credentials.h"

namespace idb::daemon {

class PeerCheckedServer : public httplib::Server {
 public:
  // `admit` decides per connection; `on_refused` is told about refusals (log,
  // metrics). Both must be thread-safe.
  PeerCheckedServer(std::function<bool(const PeerCredentials&)> admit,
                    std::function<void(const PeerCredentials&)> on_refused);

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::function<bool(const PeerCredentials&)> admit_;
  std::function<void(const PeerCredentials&)> on_refused_;
};

}  // namespace idb::daemon
