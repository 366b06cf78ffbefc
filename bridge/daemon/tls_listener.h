// tls_listener.h — the optional TCP + TLS listener (daemon.tls) for fleet-app
// servers on other hosts. Off by default.
//
// Why: a fleet application server that is not on the daemon's host cannot use
// the UNIX socket. It gets the same /v1 API over HTTPS (cpp-httplib SSLServer,
// OpenSSL, TLS 1.2 minimum, TCP_NODELAY), and must authenticate itself:
//  - client_ca_file: a client certificate signed by that CA is required
//    (verified in the TLS handshake);
//  - client_tokens_file: an `Authorization: Bearer <token>` header matching one
//    line of the file is required (SHA-256 digests compared in constant time;
//    the tokens themselves are not kept in memory);
//  - both set: both are required.
// Admin endpoints (reload, revoke) are refused over TLS: administer locally.
// The listener's settings are read at start; changing them needs a restart.
// Ownership: borrows the DaemonCore (must outlive it); owns its server and
// thread. Thread-safety: Stop() may be called from any thread, once.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "common/result.h"
#include "daemon/daemon_core.h"
#include "daemon/daemon_settings.h"

namespace idb::daemon {

class TlsListener {
 public:
  static Result<std::unique_ptr<TlsListener>> Start(const TlsListenerSettings& settings, DaemonCore& core,
                                                    int threads);
  ~TlsListener();
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;
  void Stop();

 private:
  TlsListener() = default;
  std::unique_ptr<httplib::SSLServer> server_;
  std::vector<std::string> token_digests_;  // raw SHA-256 of each accepted token
  std::thread thread_;
  bool stopped_ = false;
};

// Reads one token per line (blank lines and '#' comments ignored); refuses a
// file readable by group/others or one without any token.
Result<std::vector<std::string>> LoadTokenDigests(const std::string& path);

}  // namespace idb::daemon
