// connection_pool.h — failover across a directory's servers and a bounded
// pool of reusable connections.
//
// Why: a login must not pay a TCP + TLS handshake (the raw ceiling keeps
// connections open), and one of two servers dying must lose no login that the
// other could serve. ServerSet remembers which servers failed and skips them
// with back-off (retry_after, doubling per consecutive failure, capped at 8×);
// ConnectionPool hands out connections exclusively (libldap handles are not
// safe for concurrent operations), opens new ones on the first server that is
// not backing off, and drops connections whose server failed.
// A pool with a bind DN keeps its connections bound as that service account;
// one without keeps them for user binds only (never for searches), so a
// connection left bound as some user is never used with someone else's rights.
// Ownership: the pool owns idle connections; a Lease owns one connection while
// it is out and gives it back on destruction.
// Thread-safety: ServerSet and ConnectionPool are safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret.h"
#include "ldap/connection.h"

namespace idb::ldap {

using Clock = std::function<std::chrono::system_clock::time_point()>;

class ServerSet {
 public:
  ServerSet(std::vector<std::string> uris, std::chrono::seconds retry_after, Clock clock);
  size_t size() const { return uris_.size(); }
  const std::string& uri(size_t i) const { return uris_[i]; }
  // Servers not backing off, in configured order.
  std::vector<size_t> Candidates() const;
  bool IsDown(size_t i) const;
  void MarkDown(size_t i);
  void MarkUp(size_t i);

 private:
  struct State {
    int failures = 0;
    std::chrono::system_clock::time_point retry_at;
  };
  const std::vector<std::string> uris_;
  const std::chrono::seconds retry_after_;
  const Clock clock_;
  mutable std::mutex mu_;
  std::vector<State> state_;  // guarded by mu_
};

class ConnectionPool {
 public:
  // `options.uri` is ignored: servers come from `servers`. Empty `bind_dn` =
  // anonymous connections for user binds.
  ConnectionPool(ConnectOptions options, std::shared_ptr<ServerSet> servers, std::string bind_dn, Secret bind_password,
                 size_t max_size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)), server_(o.server_), reused_(o.reused_) {
      o.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() { return &*conn_; }
    Connection& operator*() { return *conn_; }
    size_t server() const { return server_; }
    // The server failed during an operation: drop the connection. A fresh
    // connection failing means the server is down (back off); a reused one
    // may just have been closed while idle (AD drops idle connections after
    // 15 minutes): then the server's other idle connections are dropped too
    // and the caller's retry opens a new one, which decides.
    void ServerFailed();

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, Connection conn, size_t server, bool reused)
        : pool_(pool), conn_(std::move(conn)), server_(server), reused_(reused) {}
    ConnectionPool* pool_;
    std::optional<Connection> conn_;
    size_t server_;
    bool reused_;
  };

  // A connection, bound as the service account when the pool has one.
  // kUnavailable: no server could be reached (the message lists why);
  // kFailedPrecondition: the service account was refused;
  // kDeadlineExceeded: every connection stayed busy for the operation timeout.
  Result<Lease> Acquire();

  size_t idle_count() const;

 private:
  struct Idle {
    Connection conn;
    size_t server;
  };
  void Return(std::optional<Connection> conn, size_t server, bool server_failed, bool reused);
  Result<Lease> OpenNew();

  const ConnectOptions options_;
  const std::shared_ptr<ServerSet> servers_;
  const std::string bind_dn_;
  const Secret bind_password_;
  const size_t max_size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Idle> idle_;  // guarded by mu_
  size_t total_ = 0;       // connections open or being opened; guarded by mu_
};

}  // namespace idb::ldap
