// daemon_core.h — idbridged's request logic, independent of HTTP: logins,
// sessions, refresh, check, logout, reload, revoke, health, metrics.
//
// Why apart from the HTTP layer: unit tests drive it directly with an
// injected clock, and the TLS listener reuses it. Every method answers a Reply
// (HTTP status + JSON body, docs/protocol.md); errors are
// {"error":{"code","message"}} with the public codes of the protocol — a login
// never tells "no such user" from "wrong password".
//
// Configuration lives in an immutable Runtime snapshot (config + daemon
// settings + authenticators). Readers copy the shared_ptr under a short mutex;
// Reload() builds a complete new snapshot and swaps it in one assignment, so
// an in-flight request finishes with the snapshot it started with and an
// invalid configuration never replaces a valid one.
//
// Login history rows and known-user identities are group-committed by a
// LoginHistoryWriter (store.history_commit: durable within ~20 ms after the
// answer, or before it); a login whose row has no place in its bounded queue
// is refused. Admin actions (reload, revoke) take effect only once their
// security-log entry is durable (audited_action.h).
//
// Ownership: owns the Store (opened once; its path is not reloadable), the
// session table, the metrics and the history writer (stopped and drained
// before the store closes).
// Thread-safety: every public method is safe for concurrent use.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/secret.h"
#include "core/config.h"
#include "daemon/authenticator_factory.h"
#include "daemon/daemon_settings.h"
#include "daemon/login_history_writer.h"
#include "daemon/metrics.h"
#include "daemon/oidc_flows.h"
#include "daemon/refusal_pacer.h"
#include "daemon/session_table.h"
#include "store/store.h"

namespace idb::daemon {

constexpr int kProtocolVersion = 1;

struct DaemonOptions {
  std::string config_path;
  std::optional<std::string> socket_override;  // --socket
  std::optional<std::string> store_override;   // --store
  std::function<SystemTime()> clock;           // default: system_clock::now
  // Cost of the dummy PBKDF2 for unknown local admins (tests lower it).
  int local_admin_dummy_iterations = 600'000;
};

struct Runtime {
  std::shared_ptr<const Config> config;
  DaemonSettings settings;
  std::shared_ptr<const AuthenticatorSet> auth;
};

struct Reply {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
};

// Who is calling (from SO_PEERCRED or the TLS listener).
struct Caller {
  std::string client;  // "uid=1000 gid=1000 pid=42" / "tls 203.0.113.4:5123"
  bool admin = false;  // uid in daemon.admin_uids
  std::string owner = {};  // owns the sign-in flows it begins: "uid=1000"; every TLS client: "tls"
};

// Where a login comes from, as the application tells it (docs/protocol.md
// "POST /v1/login"). Login validates every field; a bad one is refused with
// a history row.
struct LoginContext {
  std::string application;     // the host's own name; at most 64 bytes
  std::string client_address;  // the end user's machine: IP literal or host name; "" = not given
  std::string workstation;     // the end user's machine name, free text; at most 64 bytes
  // The plugin refused the attempt itself and reports it (no password sent):
  // "empty_password", "password_too_long", "password_not_utf8", "user_empty",
  // "user_too_long", "user_not_utf8", "token_empty", "token_too_long",
  // "token_not_utf8", "client_info_invalid". "" = a real attempt.
  std::string refusal;
};

// The page the redirect listener answers the browser with.
struct RedirectPage {
  int status = 200;
  std::string html;
};

Reply ErrorReply(int status, const std::string& code, const std::string& message);

class DaemonCore {
 public:
  // Loads the configuration (errors: kInvalidArgument with every
  // "file:line:col: message", one per line) and opens the store.
  static Result<std::unique_ptr<DaemonCore>> Create(DaemonOptions options);

  std::shared_ptr<const Runtime> runtime() const;
  SystemTime Now() const { return clock_(); }

  Reply Login(const std::string& user, Secret password, const LoginContext& context, const Caller& caller);
  Reply LoginToken(Secret token, const LoginContext& context, const Caller& caller);
  Reply Login(const std::string& user, Secret password, const std::string& application, const Caller& caller) {
    return Login(user, std::move(password), LoginContext{application, "", "", ""}, caller);
  }
  Reply LoginToken(Secret token, const std::string& application, const Caller& caller) {
    return LoginToken(std::move(token), LoginContext{application, "", "", ""}, caller);
  }
  Reply FlowBegin(const std::string& kind, const Caller& caller);  // "device" | "browser"
  Reply FlowPoll(const std::string& flow, const Caller& caller);
  // The browser flow's redirect (daemon.oidc_redirect listener): checks the
  // state and lets the provider exchange the code; the app's FlowPoll then
  // completes. Never creates a session by itself.
  RedirectPage BrowserRedirect(const std::multimap<std::string, std::string>& query);
  // Called once the redirect listener serves `redirect_uri`; until then
  // FlowBegin("browser") answers unsupported.
  void EnableBrowserFlow(const std::string& redirect_uri);
  Reply GetSession(const std::string& id);
  Reply RefreshSession(const std::string& id);
  Reply Logout(const std::string& id, const Caller& caller);
  Reply Check(const std::string& id, const std::string& permission, const std::string& location,
              const std::string& warehouse);
  Reply Reload(const Caller& caller);
  Reply Revoke(const std::string& user, const Caller& caller);
  Reply Health() const;
  std::string MetricsText() const;
  // The user's own password change (old password required) in the directory
  // that knows the user; `client_address` ("" or an IP literal / host name)
  // is where the person is, as the host reports it. Every attempt is recorded
  // in the login history and the security log (reason, never a password).
  // Unknown user and wrong old password give the same answer.
  Reply ChangePassword(const std::string& user, Secret old_password, Secret new_password,
                       const std::string& client_address, const std::string& application, const Caller& caller);

  Metrics& metrics() { return metrics_; }
  SessionTable& sessions() { return sessions_; }
  store::Store& store() { return *store_; }
  // Waits until every login-history row queued so far is committed.
  void FlushHistory() { history_->Flush(); }

 private:
  DaemonCore(DaemonOptions options, std::unique_ptr<store::Store> store);
  // Builds a snapshot from a config file; diagnostics on failure.
  Result<std::shared_ptr<const Runtime>> BuildRuntime(std::vector<Diagnostic>* errors);
  Reply SessionReply(const SessionRecord& s, bool include_id) const;
  // Queues the row (its place taken by Admit() unless `admitted` is false: a
  // refusal recorded from the refusal reserve); returns its ticket.
  uint64_t RecordLogin(const std::string& user, const std::string& method, const std::string& source, LoginFailure f,
                       const std::string& client, const std::string& detail, const std::string& client_address = "",
                       const std::string& typed_user = "", bool admitted = true);
  // A login refused because its history row cannot be kept or made durable.
  Reply RefuseForHistory(const std::string& user, const std::string& method, const std::string& source,
                         const std::string& client, const std::string& client_address, const std::string& why);
  void StartHistory(LoginHistoryWriter::CommitMode mode, size_t max_queue);
  void Audit(const std::string& actor, const std::string& action, const std::string& target,
             const std::string& before, const std::string& after);
  Reply FinishPasswordChange(const PasswordChangeOutcome& outcome, const std::string& user, const std::string& client);
  // Runs Decoy() on authenticators[from..]: after a refusal decided early,
  // the work (and throttle counts) an unknown name would have cost there.
  void SpendDecoys(const std::vector<std::shared_ptr<Authenticator>>& authenticators, size_t from,
                   const LoginRequest& request, AuthOutcome* outcome);
  // Answers a password-login refusal that looks like a wrong password no
  // sooner than the pacer's floor after `started` (refusal_pacer.h).
  void PaceRefusal(const AuthOutcome& outcome, std::chrono::steady_clock::time_point started);
  Reply FinishLogin(const AuthOutcome& outcome, const std::string& method, const std::string& source,
                    const std::string& attempted_user, const std::string& client,
                    const std::string& client_address = "");

  DaemonOptions options_;
  std::function<SystemTime()> clock_;
  OidcFlowTable oidc_flows_;                 // device and browser sign-ins between begin and poll
  std::mutex browser_mu_;                    // guards browser_redirect_uri_
  std::string browser_redirect_uri_;         // empty: no redirect listener, no browser flow
  std::unique_ptr<store::Store> store_;
  mutable std::mutex runtime_mu_;            // guards runtime_ (the pointer, not the object)
  std::shared_ptr<const Runtime> runtime_;
  std::mutex reload_mu_;                     // one reload at a time
  SessionTable sessions_{100000};
  // The break-glass local admin's throttle; outlives reloads that keep its
  // settings (daemon.local_admin_throttle). Guarded by throttle_mu_.
  std::mutex throttle_mu_;
  std::shared_ptr<LoginThrottle> local_admin_throttle_;
  ThrottleSettings local_admin_throttle_settings_;
  ThrottleRegistry directory_throttles_;  // same rule, per directory
  RefusalPacer refusal_pacer_;
  mutable Metrics metrics_;  // thread-safe counters; MetricsText() refreshes the history gauges
  // Last member: destroyed (drained, joined) before metrics_ and store_.
  std::unique_ptr<LoginHistoryWriter> history_;
};

// LoginFailure → (HTTP status, public wire code). Unknown user = bad credentials.
std::pair<int, std::string> PublicLoginError(LoginFailure f);

}  // namespace idb::daemon
