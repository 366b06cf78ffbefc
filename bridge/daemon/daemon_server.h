// daemon_server.h — a running idbridged: DaemonCore behind the UNIX socket.
//
// Why a class (not only main.cc): tests and benchmarks start the daemon
// in-process on a temp socket; idbridged's main() does the same plus signals.
// Start() loads the configuration, opens the store, removes a stale socket
// file (refusing if another daemon answers on it or the path is not a
// socket), binds, applies daemon.socket_mode, and serves on a worker pool of
// daemon.threads, then starts the optional TCP listeners (daemon.tls,
// daemon.oidc_redirect). Every connection passes the SO_PEERCRED allow-list of the
// *current* configuration (a reload changes it for new connections).
// Ownership: owns the core, the server and its listening thread; Stop() (or
// the destructor) stops listening, waits for the thread and unlinks the socket.
// Thread-safety: Stop() and Reload() may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "daemon/daemon_core.h"
#include "daemon/oidc_redirect_listener.h"
#include "daemon/tls_listener.h"
#include "daemon/unix_http_server.h"

namespace idb::daemon {

class DaemonServer {
 public:
  static Result<std::unique_ptr<DaemonServer>> Start(DaemonOptions options);
  ~DaemonServer();
  DaemonServer(const DaemonServer&) = delete;
  DaemonServer& operator=(const DaemonServer&) = delete;

  void Stop();
  // Same as POST /v1/reload by root (used for SIGHUP).
  Reply Reload();
  DaemonCore& core() { return *core_; }
  const std::string& socket_path() const { return socket_path_; }

 private:
  explicit DaemonServer(std::unique_ptr<DaemonCore> core);
  Status Listen();

  std::unique_ptr<DaemonCore> core_;
  std::unique_ptr<PeerCheckedServer> server_;
  std::unique_ptr<TlsListener> tls_;  // only when daemon.tls is set
  std::unique_ptr<OidcRedirectListener> oidc_redirect_;  // only when daemon.oidc_redirect is set
  std::string socket_path_;
  std::thread thread_;
  bool stopped_ = false;
};

// Refuses when `path` exists and is not a socket, or a daemon answers on it;
// unlinks a stale socket. Exposed for tests.
Status PrepareSocketPath(const std::string& path);

}  // namespace idb::daemon
