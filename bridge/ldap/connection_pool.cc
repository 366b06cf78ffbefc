#include "ldap/connection_pool.h"

#include <algorithm>

namespace idb::ldap {

ServerSet::ServerSet(std::vector<std::string> uris, std::chrono::seconds retry_after, Clock clock)
    : uris_(std::move(uris)), retry_after_(retry_after), clock_(std::move(clock)), state_(uris_.size()) {}

std::vector<size_t> ServerSet::Candidates() const {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> out;
  for (size_t i = 0; i < uris_.size(); ++i) {
    if (state_[i].failures == 0 || now >= state_[i].retry_at) out.push_back(i);
  }
  return out;
}

bool ServerSet::IsDown(size_t i) const {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  return state_[i].failures > 0 && now < state_[i].retry_at;
}

void ServerSet::MarkDown(size_t i) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  State& s = state_[i];
  s.failures = std::min(s.failures + 1, 4);
  s.retry_at = now + retry_after_ * (1 << (s.failures - 1));
}

void ServerSet::MarkUp(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  state_[i] = State{};
}

ConnectionPool::ConnectionPool(ConnectOptions options, std::shared_ptr<ServerSet> servers, std::string bind_dn,
                               Secret bind_password, size_t max_size)
    : options_(std::move(options)),
      servers_(std::move(servers)),
      bind_dn_(std::move(bind_dn)),
      bind_password_(std::move(bind_password)),
      max_size_(std::max<size_t>(1, max_size)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::~Lease() {
  if (pool_) pool_->Return(std::move(conn_), server_, false, reused_);
}

void ConnectionPool::Lease::ServerFailed() {
  if (!pool_) return;
  pool_->Return(std::move(conn_), server_, true, reused_);
  pool_ = nullptr;
  conn_.reset();
}

void ConnectionPool::Return(std::optional<Connection> conn, size_t server, bool server_failed, bool reused) {
  const bool failed = server_failed || (conn && !conn->healthy());
  // A timeout means a hung server even on a reused connection.
  const bool hung = conn && conn->timed_out();
  if (failed && (!reused || hung)) servers_->MarkDown(server);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed && conn) {
      idle_.push_back(Idle{std::move(*conn), server});
    } else {
      --total_;
      if (failed && reused && !hung) {
        // Probably closed while idle: the server's other idle connections are
        // as old; drop them so the retry gets a fresh connection.
        for (auto it = idle_.begin(); it != idle_.end();) {
          if (it->server == server) {
            it = idle_.erase(it);
            --total_;
          } else {
            ++it;
          }
        }
      }
    }
  }
  cv_.notify_all();
}

size_t ConnectionPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

Result<ConnectionPool::Lease> ConnectionPool::OpenNew() {
  std::string why;
  for (size_t i : servers_->Candidates()) {
    ConnectOptions o = options_;
    o.uri = servers_->uri(i);
    auto conn = Connection::Open(o);
    if (!conn.ok()) {
      if (conn.status().code() == ErrorCode::kUnavailable) servers_->MarkDown(i);
      why += (why.empty() ? "" : "; ") + conn.status().message();
      continue;
    }
    if (!bind_dn_.empty()) {
      BindResult br;
      Status st = conn->Bind(bind_dn_, bind_password_, &br);
      if (st.code() == ErrorCode::kUnavailable) {
        servers_->MarkDown(i);
        why += (why.empty() ? "" : "; ") + st.message();
        continue;
      }
      if (!st.ok()) {
        return FailedPrecondition("service account " + bind_dn_ + " refused by " + o.uri + ": " + st.message());
      }
    }
    servers_->MarkUp(i);
    return Lease(this, std::move(*conn), i, false);
  }
  return Unavailable(why.empty() ? "every directory server is backing off after failures" : why);
}

Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.operation_timeout;
  while (true) {
    while (!idle_.empty()) {
      Idle idle = std::move(idle_.front());
      idle_.pop_front();
      if (servers_->IsDown(idle.server)) {
        --total_;  // its server failed meanwhile: drop it
        continue;
      }
      return Lease(this, std::move(idle.conn), idle.server, true);
    }
    if (total_ < max_size_) {
      ++total_;
      lock.unlock();
      auto lease = OpenNew();
      if (!lease.ok()) {
        lock.lock();
        --total_;
        cv_.notify_one();
      }
      return lease;
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return DeadlineExceeded("every directory connection stayed busy");
    }
  }
}

}  // namespace idb::ldap
