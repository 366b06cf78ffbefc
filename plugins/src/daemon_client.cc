// daemon_client.cc — see daemon_client.h.
#include "daemon_client.h"

#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <map>
#include <utility>

#include <httplib.h>

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
  };
  auto it = kCodes.find(code);
  return it == kCodes.end() ? IDB_E_INTERNAL : it->second;
}

DaemonClient::DaemonClient(std::string socket_path, uint32_t connect_timeout_ms,
                           uint32_t request_timeout_ms, std::string application)
    : socket_path_(std::move(socket_path)),
      connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms),
      application_(std::move(application)) {}

namespace {

// Debian's libcpp-httplib 0.11.4 is built with CPPHTTPLIB_SEND_FLAGS 0 (no
// MSG_NOSIGNAL), so a daemon dying mid-request would raise SIGPIPE in the
// host. Like libpq, block SIGPIPE in the calling thread for the call and
// swallow one that we caused, then restore the thread's mask. No handler is
// installed and other threads are untouched.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, SIGPIPE);
        const timespec zero{0, 0};
        sigtimedwait(&only, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_mask_{};
  bool was_pending_ = false;
};

CallResult Fail(idb_status s, std::string message) {
  CallResult r;
  r.status = s;
  r.message = std::move(message);
  return r;
}

}  // namespace

CallResult DaemonClient::Call(const char* method, const std::string& path,
                              const std::string& body) const {
  SigpipeGuard no_sigpipe;
  httplib::ClientImpl cli(socket_path_, 80);
  cli.set_address_family(AF_UNIX);
  cli.set_keep_alive(false);
  const auto connect_ms = std::chrono::milliseconds(connect_timeout_ms_);
  const auto request_ms = std::chrono::milliseconds(request_timeout_ms_);
  cli.set_connection_timeout(connect_ms);
  cli.set_read_timeout(request_ms);
  cli.set_write_timeout(request_ms);

  const auto start = std::chrono::steady_clock::now();
  httplib::Result res = (std::strcmp(method, "GET") == 0)
                            ? cli.Get(path)
                            : cli.Post(path, body, "application/json");
  if (!res) {
    const auto waited = std::chrono::steady_clock::now() - start;
    switch (res.error()) {
      case httplib::Error::ConnectionTimeout:
        return Fail(IDB_E_TIMEOUT, "connecting to idbridged at " + socket_path_ + " timed out");
      case httplib::Error::Read:
        if (waited >= request_ms - std::chrono::milliseconds(50)) {
          return Fail(IDB_E_TIMEOUT, "idbridged did not answer within " +
                                         std::to_string(request_timeout_ms_) + " ms");
        }
        return Fail(IDB_E_DAEMON_UNAVAILABLE, "idbridged closed the connection at " + socket_path_);
      default:
        return Fail(IDB_E_DAEMON_UNAVAILABLE,
                    "cannot reach idbridged at " + socket_path_ + ": " + httplib::to_string(res.error()));
    }
  }

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
