// daemon_client.h — the plugin's only I/O: HTTP/1.1 + JSON requests to
// idbridged over its UNIX socket (docs/protocol.md).
//
// Why a small pool of keep-alive connections: a login is one round trip, and
// on a VM where every context switch is expensive, opening a new connection
// per call (connect, the daemon's accept thread waking, the hand-off to a
// worker) cost more CPU than the request itself (issue #5: DaemonClient::Call
// was ~13 % of a host's CPU). So each DaemonClient keeps at most kMaxIdle idle
// connections; a call takes one (or opens a new one when none is idle), uses
// it alone, and gives it back unless the pool is full or the daemon answered
// `Connection: close`. Many threads still call concurrently: each holds its
// own connection for the duration of its call.
// What the guest must still survive, and how:
//  - a stale connection (the daemon's keep-alive timeout, a restart, a reload,
//    or the daemon handing the worker to a waiting connection): httplib checks
//    a reused socket before sending and reconnects if the daemon closed it;
//    if the daemon closes it in the instant after that check, the request
//    fails at the transport level with no status line, and Call retries ONCE
//    on a new connection. Never after a response arrived, never when the
//    failed attempt was already on a new connection, never on a timeout
//    (IDB_E_TIMEOUT keeps meaning "the daemon was too slow").
//  - fork(): every connection remembers the pid that opened it. In a child,
//    inherited connections are closed with close() only — never shutdown(),
//    which would cut the parent's connection too — and the child opens its own.
//  - SIGPIPE: never raised — every send goes through BufferedSocketStream,
//    which sends with MSG_NOSIGNAL (Debian's httplib itself does not).
// Errors are idb_status codes: the daemon's {"error":{"code":..}} mapped
// one-to-one; connect failures → IDB_E_DAEMON_UNAVAILABLE, deadlines →
// IDB_E_TIMEOUT, a refused peer → IDB_E_PERMISSION_DENIED.
// Ownership: owns its idle connections; CloseIdle() (idb_client_close) and the
// destructor close them.
// Thread-safety: Call() and CloseIdle() may run from many threads at once
// (a mutex guards the idle pool; a connection is used by one call at a time).
// After fork() in a multi-threaded host, the usual POSIX rule applies: the
// child may call this only if no other parent thread was inside Call().
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idbridge.h"

namespace idb::plugin {

struct CallResult {
  idb_status status = IDB_E_INTERNAL;
  std::string message;   // detail for idb_last_error (never secret)
  nlohmann::json body;   // the daemon's JSON answer when status == IDB_OK
};

class DaemonConnection;  // a keep-alive httplib client (daemon_client.cc)

class DaemonClient {
 public:
  // Idle connections kept per client; more concurrent calls open more
  // connections, which are closed after their call.
  static constexpr size_t kMaxIdle = 4;

  DaemonClient(std::string socket_path, uint32_t connect_timeout_ms, uint32_t request_timeout_ms,
               std::string application);
  ~DaemonClient();
  DaemonClient(const DaemonClient&) = delete;
  DaemonClient& operator=(const DaemonClient&) = delete;

  // method "GET" or "POST"; `body` is sent as JSON for POST. The caller wipes
  // `body` if it carries a secret. Known limit: cpp-httplib builds the request
  // in buffers of its own that are freed without being overwritten, so a
  // password may stay in freed heap memory of the host until reused.
  CallResult Call(const char* method, const std::string& path, const std::string& body) const;

  // Closes every idle connection (in a forked child: without shutdown()).
  // Calls made later open new ones.
  void CloseIdle() const noexcept;

  const std::string& application() const { return application_; }
  uint32_t request_timeout_ms() const { return request_timeout_ms_; }

 private:
  // `self` is the calling process's pid (one getpid() per call, not per step).
  std::unique_ptr<DaemonConnection> Acquire(pid_t self) const;
  std::unique_ptr<DaemonConnection> NewConnection() const;
  void Release(std::unique_ptr<DaemonConnection> conn, pid_t self) const noexcept;

  std::string socket_path_;
  uint32_t connect_timeout_ms_;
  uint32_t request_timeout_ms_;
  std::string application_;

  // The pool is not part of the client's logical state: Call() is const.
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<DaemonConnection>> idle_;  // guarded by mu_
};

// Wire error code ("bad_credentials") → idb_status; unknown codes → IDB_E_INTERNAL.
idb_status StatusFromWireCode(const std::string& code);

// Overwrites a string's bytes before it is freed (passwords, tokens, session ids).
void Wipe(std::string& s) noexcept;

}  // namespace idb::plugin
