// daemon_client.cc — see daemon_client.h.
#include "daemon_client.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <httplib.h>

#include "common/buffered_socket_stream.h"

namespace idb::plugin {

void Wipe(std::string& s) noexcept {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

idb_status StatusFromWireCode(const std::string& code) {
  static const std::map<std::string, idb_status> kCodes = {
      {"bad_credentials", IDB_E_BAD_CREDENTIALS},
      {"account_disabled", IDB_E_ACCOUNT_DISABLED},
      {"account_locked", IDB_E_ACCOUNT_LOCKED},
      {"account_expired", IDB_E_ACCOUNT_EXPIRED},
      {"password_expired", IDB_E_PASSWORD_EXPIRED},
      {"must_change_password", IDB_E_MUST_CHANGE_PASSWORD},
      {"no_profile_mapped", IDB_E_NO_PROFILE},
      {"directory_unavailable", IDB_E_DIRECTORY_UNAVAILABLE},
      {"bad_request", IDB_E_BAD_ARGUMENT},
      {"unknown_session", IDB_E_SESSION_UNKNOWN},
      {"unsupported", IDB_E_UNSUPPORTED},
      {"pending", IDB_E_PENDING},
      {"forbidden", IDB_E_PERMISSION_DENIED},
      {"token_invalid", IDB_E_TOKEN_INVALID},
      {"unavailable", IDB_E_DAEMON_UNAVAILABLE},
      {"internal", IDB_E_INTERNAL},
      {"password_policy", IDB_E_PASSWORD_POLICY},
  };
  auto it = kCodes.find(code);
  return it == kCodes.end() ? IDB_E_INTERNAL : it->second;
}

namespace {

CallResult Fail(idb_status s, std::string message) {
  CallResult r;
  r.status = s;
  r.message = std::move(message);
  return r;
}

}  // namespace

// One keep-alive connection to the daemon: httplib's client plus what the
// pool needs to know — how many sockets it opened (so Call can tell a reused
// socket from a new one) and which process opened the current one (fork) —
// speaking through a BufferedSocketStream: the request's headers and body
// leave in one send (one wake-up of the daemon, not two), sends never raise
// SIGPIPE (MSG_NOSIGNAL), and the gathered request, which holds the
// password, is wiped after sending.
// Used by one call at a time; not shared between threads while in use.
class DaemonConnection final : public httplib::ClientImpl {
 public:
  DaemonConnection(const std::string& socket_path, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds request_timeout)
      : httplib::ClientImpl(socket_path, 80) {
    set_address_family(AF_UNIX);
    set_keep_alive(true);
    set_connection_timeout(connect_timeout);
    set_read_timeout(request_timeout);
    set_write_timeout(request_timeout);
  }
  // In a forked child the socket is the parent's: close our copy of the fd
  // only. httplib's own destructor would shutdown() it, which ends the
  // connection for the parent as well.
  ~DaemonConnection() override {
    if (owner_pid_ != ::getpid()) AbandonInheritedSocket();
  }

  uint64_t sockets_opened() const { return sockets_opened_; }
  bool OpenedBy(pid_t pid) const { return owner_pid_ == pid; }
  bool HasOpenSocket() const { return is_socket_open() != 0; }

  void AbandonInheritedSocket() noexcept {
    std::lock_guard<std::mutex> lock(socket_mutex_);
    if (socket_.sock != INVALID_SOCKET) {
      ::close(socket_.sock);
      socket_.sock = INVALID_SOCKET;
    }
  }

 protected:
  // httplib calls this (under its socket mutex) whenever it needs a new
  // socket: the first request, or a reused socket it found closed by the peer.
  bool create_and_connect_socket(Socket& socket, httplib::Error& error) override {
    ++sockets_opened_;
    owner_pid_ = ::getpid();
    return httplib::ClientImpl::create_and_connect_socket(socket, error);
  }

  // httplib calls this for each request on the connected socket.
  bool process_socket(const Socket& socket, std::function<bool(httplib::Stream& strm)> callback) override {
    BufferedSocketStream strm(socket.sock,
                              std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_),
                              std::chrono::seconds(write_timeout_sec_) + std::chrono::microseconds(write_timeout_usec_));
    return callback(strm);
  }

 private:
  uint64_t sockets_opened_ = 0;
  pid_t owner_pid_ = ::getpid();
};

namespace {

httplib::Result Send(DaemonConnection& conn, const char* method, const std::string& path,
                     const std::string& body) {
  return (std::strcmp(method, "GET") == 0) ? conn.Get(path) : conn.Post(path, body, "application/json");
}

// A read that fails this close to the request timeout is the timeout: httplib
// reports both a deadline and an EOF as Error::Read.
constexpr std::chrono::milliseconds kTimeoutSlack(50);

}  // namespace

DaemonClient::DaemonClient(std::string socket_path, uint32_t connect_timeout_ms,
                           uint32_t request_timeout_ms, std::string application)
    : socket_path_(std::move(socket_path)),
      connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms),
      application_(std::move(application)) {}

DaemonClient::~DaemonClient() = default;

std::unique_ptr<DaemonConnection> DaemonClient::NewConnection() const {
  return std::make_unique<DaemonConnection>(socket_path_, std::chrono::milliseconds(connect_timeout_ms_),
                                            std::chrono::milliseconds(request_timeout_ms_));
}

std::unique_ptr<DaemonConnection> DaemonClient::Acquire(pid_t self) const {
  std::unique_ptr<DaemonConnection> mine;
  std::vector<std::unique_ptr<DaemonConnection>> inherited;  // destroyed after unlocking
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : idle_) {
      if (!c->OpenedBy(self)) inherited.push_back(std::move(c));
    }
    if (!inherited.empty()) {
      idle_.erase(std::remove(idle_.begin(), idle_.end(), nullptr), idle_.end());
    }
    if (!idle_.empty()) {
      mine = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  return mine ? std::move(mine) : NewConnection();
}

void DaemonClient::Release(std::unique_ptr<DaemonConnection> conn, pid_t self) const noexcept {
  if (!conn->OpenedBy(self) || !conn->HasOpenSocket()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
  // else: `conn` is closed when the parameter is destroyed, after `lock`.
}

void DaemonClient::CloseIdle() const noexcept {
  std::vector<std::unique_ptr<DaemonConnection>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing.swap(idle_);
  }
}

CallResult DaemonClient::Call(const char* method, const std::string& path,
                              const std::string& body) const {
  const auto request_ms = std::chrono::milliseconds(request_timeout_ms_);

  const pid_t self = ::getpid();
  std::unique_ptr<DaemonConnection> conn = Acquire(self);
  const uint64_t opened_before = conn->sockets_opened();
  auto start = std::chrono::steady_clock::now();
  httplib::Result res = Send(*conn, method, path, body);
  auto waited = std::chrono::steady_clock::now() - start;

  // Stale pooled connection: the request went over a socket this call did
  // not open, and failed at the transport level before any status line came
  // back (write error, or EOF/reset while waiting for the answer). Retry once
  // on a new connection. This is safe for a login POST only because the
  // daemon closes an idle connection (keep-alive timeout, worker handed to a
  // waiting connection, restart) without reading from it, so a request that
  // raced with that close was never processed. Two cases it cannot tell
  // apart, both rare: a daemon that read the request and then died (a retry
  // then finds no daemon, or a restarted one, which sees the request once),
  // and httplib 0.11.4 reporting a body cut short with the same Error::Read.
  // Never retried: a failure on a socket this call opened, any answer, and a
  // read that ran into the request timeout (that is IDB_E_TIMEOUT).
  if (!res && conn->sockets_opened() == opened_before &&
      (res.error() == httplib::Error::Write || res.error() == httplib::Error::Read) &&
      waited < request_ms - kTimeoutSlack) {
    conn = NewConnection();
    start = std::chrono::steady_clock::now();
    res = Send(*conn, method, path, body);
    waited = std::chrono::steady_clock::now() - start;
  }

  if (!res) {
    // `conn` is dropped: httplib already closed its socket after the failure.
    switch (res.error()) {
      case httplib::Error::ConnectionTimeout:
        return Fail(IDB_E_TIMEOUT, "connecting to idbridged at " + socket_path_ + " timed out");
      case httplib::Error::Read:
        if (waited >= request_ms - kTimeoutSlack) {
          return Fail(IDB_E_TIMEOUT, "idbridged did not answer within " +
                                         std::to_string(request_timeout_ms_) + " ms");
        }
        return Fail(IDB_E_DAEMON_UNAVAILABLE, "idbridged closed the connection at " + socket_path_);
      default:
        return Fail(IDB_E_DAEMON_UNAVAILABLE,
                    "cannot reach idbridged at " + socket_path_ + ": " + httplib::to_string(res.error()));
    }
  }
  // Back to the pool unless the daemon said it closes the connection (httplib
  // has then closed the socket already) or the pool is full.
  if (res->get_header_value("Connection") != "close") Release(std::move(conn), self);
  conn.reset();

  nlohmann::json answer = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (res->status == 200) {
    if (answer.is_discarded() || !answer.is_object()) {
      return Fail(IDB_E_PROTOCOL, "idbridged answered " + path + " with something that is not a JSON object");
    }
    CallResult ok;
    ok.status = IDB_OK;
    ok.body = std::move(answer);
    return ok;
  }
  if (answer.is_object() && answer.contains("error") && answer["error"].is_object()) {
    const auto& e = answer["error"];
    std::string code = e.value("code", std::string());
    std::string message = e.value("message", std::string());
    idb_status s = StatusFromWireCode(code);
    if (s == IDB_E_INTERNAL && code != "internal") message = "unknown error code '" + code + "': " + message;
    return Fail(s, message.empty() ? code : message);
  }
  switch (res->status) {
    case 403: return Fail(IDB_E_PERMISSION_DENIED, "idbridged refused this process");
    case 404: return Fail(IDB_E_PROTOCOL, "idbridged does not know " + path + " (older daemon?)");
    case 503: return Fail(IDB_E_DAEMON_UNAVAILABLE, "idbridged is not ready");
    default: return Fail(IDB_E_INTERNAL, "idbridged answered HTTP " + std::to_string(res->status));
  }
}

}  // namespace idb::plugin
