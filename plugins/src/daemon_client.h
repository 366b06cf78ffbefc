// daemon_client.h — the plugin's only I/O: HTTP/1.1 + JSON requests to
// idbridged over its UNIX socket (docs/protocol.md).
//
// Why one connection per request: the plugin is a guest; it keeps no socket
// open between calls, so a restarted daemon, a fork() in the host or an idle
// connection timing out never leaves a broken handle behind. A UNIX-socket
// connect costs microseconds next to a login.
// Errors are idb_status codes: the daemon's {"error":{"code":..}} mapped
// one-to-one; connect failures → IDB_E_DAEMON_UNAVAILABLE, deadlines →
// IDB_E_TIMEOUT, a refused peer → IDB_E_PERMISSION_DENIED.
// Thread-safety: DaemonClient is immutable after construction; Call() may run
// from many threads at once (each call has its own connection).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "idbridge.h"

namespace idb::plugin {

struct CallResult {
  idb_status status = IDB_E_INTERNAL;
  std::string message;   // detail for idb_last_error (never secret)
  nlohmann::json body;   // the daemon's JSON answer when status == IDB_OK
};

class DaemonClient {
 public:
  DaemonClient(std::string socket_path, uint32_t connect_timeout_ms, uint32_t request_timeout_ms,
               std::string application);

  // method "GET" or "POST"; `body` is sent as JSON for POST. The caller wipes
  // `body` if it carries a secret; Call wipes its own serialised copy.
  CallResult Call(const char* method, const std::string& path, const std::string& body) const;

  const std::string& application() const { return application_; }
  uint32_t request_timeout_ms() const { return request_timeout_ms_; }

 private:
  std::string socket_path_;
  uint32_t connect_timeout_ms_;
  uint32_t request_timeout_ms_;
  std::string application_;
};

// Wire error code ("bad_credentials") → idb_status; unknown codes → IDB_E_INTERNAL.
idb_status StatusFromWireCode(const std::string& code);

// Overwrites a string's bytes before it is freed (passwords, tokens, session ids).
void Wipe(std::string& s) noexcept;

}  // namespace idb::plugin
