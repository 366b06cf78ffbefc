// unix_http_server.h — cpp-httplib's Server with a SO_PEERCRED gate on every
// accepted UNIX-socket connection.
//
// Why this shape: cpp-httplib 0.11.4 (Debian) has no per-connection hook —
// set_socket_options() only sees the listening socket and Request carries no
// fd. Its one per-connection entry point is the virtual
// `process_and_close_socket(sock)` (SSLServer overrides it the same way). We
// override it: read the peer's credentials, refuse peers not on the allow-list
// with a 403 JSON answer before reading anything, and otherwise run
// httplib's own request processing (`process_request`, protected) over a
// BufferedSocketStream (the answer leaves in one send; a request is read
// without polling again once the idle wait saw it arrive), with the peer
// published to handlers via ScopedPeer.
// The keep-alive loop mirrors httplib's (max count, keep-alive timeout, stop
// when the listening socket closes), with one addition: each open connection
// holds a worker thread, and plugins keep idle connections pooled, so an idle
// connection that has served at least one request gives its worker up (is
// closed without reading from it) as soon as another accepted connection is
// waiting for a worker while every worker is taken (not merely queued for the
// instant before a free worker picks it up). The workers come from
// SetWorkerThreads(), a httplib::ThreadPool that counts queued-but-not-started
// connections and running ones.
// Ownership: owns nothing beyond httplib::Server. Thread-safety: as
// httplib::Server; `admit`, `on_refused` and `on_accepted` are called
// concurrently from worker threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include <httplib.h>

#include "daemon/peer_credentials.h"

namespace idb::daemon {

class PeerCheckedServer : public httplib::Server {
 public:
  // `admit` decides per connection; `on_refused` is told about refusals (log,
  // metrics). `on_accepted` is told about every connection a worker takes up
  // (refused ones included). All must be thread-safe.
  PeerCheckedServer(std::function<bool(const PeerCredentials&)> admit,
                    std::function<void(const PeerCredentials&)> on_refused,
                    std::function<void()> on_accepted = nullptr);

  // Serve on `n` worker threads (one per open connection). Call before listening.
  void SetWorkerThreads(size_t n);

  // How often an idle keep-alive connection looks for a waiting connection.
  static constexpr int kIdleSliceMs = 25;

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::function<bool(const PeerCredentials&)> admit_;
  std::function<void(const PeerCredentials&)> on_refused_;
  std::function<void()> on_accepted_;
  // True when a queued connection cannot get a worker: some wait and every
  // worker is taken (a connection queued while a worker is free is picked up
  // at once and must not make idle connections give up theirs).
  bool ConnectionsStarve() const;

  // Connections accepted and queued, not yet taken up by a worker.
  std::atomic<int> waiting_for_worker_{0};
  // Workers running a connection, and how many there are.
  std::atomic<int> busy_workers_{0};
  int worker_threads_ = 0;
};

}  // namespace idb::daemon
