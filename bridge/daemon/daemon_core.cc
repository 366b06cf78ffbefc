// daemon_core.cc — see daemon_core.h.
#include "daemon/daemon_core.h"

#include <chrono>
#include <iostream>
#include <tuple>
#include <thread>
#include <utility>

#include "core/engine.h"
#include "core/ip_network.h"
#include "daemon/audited_action.h"
#include "daemon/log.h"
#include "oidc/oidc_provider.h"
#include "common/names.h"
#include "store/sqlite_store.h"

namespace idb::daemon {

namespace {

constexpr size_t kMaxUserLength = 256;

int64_t ToUnix(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

nlohmann::json DiagnosticsJson(const std::vector<Diagnostic>& errors) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : errors) {
    list.push_back({{"file", d.file}, {"line", d.line}, {"column", d.column}, {"message", d.message},
                    {"text", d.ToString()}});
  }
  return list;
}

std::string JoinDiagnostics(const std::vector<Diagnostic>& errors) {
  std::string out;
  for (const auto& d : errors) out += d.ToString() + "\n";
  if (!out.empty()) out.pop_back();
  return out;
}

constexpr size_t kMaxClientInfoBytes = 64;  // application, workstation

// A login's origin, checked: the history's client text and the end user's
// address (canonical), or the reason the request is refused.
struct CheckedOrigin {
  std::string client;
  std::string address;
  LoginFailure failure = LoginFailure::kNone;
  std::string detail;
};

Status CheckClientInfo(const std::string& value, const char* what) {
  if (value.empty()) return Status::Ok();
  if (value.size() > kMaxClientInfoBytes)
    return InvalidArgument(std::string(what) + " is longer than " + std::to_string(kMaxClientInfoBytes) + " bytes");
  return ValidateName(value, what);
}

CheckedOrigin CheckOrigin(const Caller& caller, const LoginContext& context) {
  CheckedOrigin o;
  o.client = caller.client;
  Status s = CheckClientInfo(context.application, "application");
  if (s.ok()) s = CheckClientInfo(context.workstation, "workstation");
  if (!s.ok()) {
    o.failure = LoginFailure::kInvalidInput;
    o.detail = s.message();
    return o;
  }
  if (!context.application.empty()) o.client += " app=" + context.application;
  if (!context.workstation.empty()) o.client += " workstation=" + context.workstation;
  if (!context.client_address.empty()) {
    auto address = NormalizeClientAddress(context.client_address);
    if (!address.ok()) {
      o.failure = LoginFailure::kInvalidInput;
      o.detail = address.status().message() + ": " + Quoted(context.client_address);
      return o;
    }
    o.address = *address;
  }
  return o;
}

// A refusal the plugin made itself (LoginContext::refusal): what history records.
std::pair<LoginFailure, std::string> PluginRefusal(const std::string& refusal) {
  static const struct {
    const char* name;
    LoginFailure failure;
    const char* detail;
  } kRefusals[] = {
      {"empty_password", LoginFailure::kEmptyPassword, "empty password"},
      {"password_too_long", LoginFailure::kInvalidInput, "password too long"},
      {"password_not_utf8", LoginFailure::kInvalidInput, "password is not valid UTF-8"},
      {"user_empty", LoginFailure::kInvalidUserName, "empty user name"},
      {"user_too_long", LoginFailure::kInvalidUserName, "user name longer than 256 bytes (recorded cut)"},
      {"user_not_utf8", LoginFailure::kInvalidUserName, "user name is not valid UTF-8 (recorded with \\xNN escapes)"},
      {"token_empty", LoginFailure::kTokenInvalid, "empty token"},
      {"token_too_long", LoginFailure::kTokenInvalid, "token longer than 16384 bytes"},
      {"token_not_utf8", LoginFailure::kTokenInvalid, "token is not valid UTF-8"},
      {"client_info_invalid", LoginFailure::kInvalidInput,
       "client address, workstation or application not valid UTF-8 or too long (left out)"},
  };
  for (const auto& r : kRefusals) {
    if (refusal == r.name) return {r.failure, std::string("refused by the plugin: ") + r.detail};
  }
  return {LoginFailure::kInvalidInput, "refused by the plugin for an unknown reason " + Quoted(refusal)};
}

// An admin action refused because its security-log entry could not be
// written: 503, the store's reason, and that nothing changed.
Reply AuditRefusal(const Status& s) {
  return ErrorReply(503, "unavailable", s.message());
}

std::string MethodOf(const std::string& source) {
  auto colon = source.find(':');
  return colon == std::string::npos ? source : source.substr(0, colon);
}

}  // namespace

Reply ErrorReply(int status, const std::string& code, const std::string& message) {
  Reply r;
  r.status = status;
  r.body = {{"error", {{"code", code}, {"message", message}}}};
  return r;
}

std::pair<int, std::string> PublicLoginError(LoginFailure f) {
  switch (f) {
    case LoginFailure::kNone: return {200, "ok"};
    case LoginFailure::kBadCredentials:
    case LoginFailure::kUnknownUser:
    case LoginFailure::kEmptyPassword:
    case LoginFailure::kInvalidUserName: return {401, "bad_credentials"};
    case LoginFailure::kAccountDisabled: return {403, "account_disabled"};
    case LoginFailure::kAccountLocked:
    case LoginFailure::kThrottled: return {403, "account_locked"};
    case LoginFailure::kAccountExpired: return {403, "account_expired"};
    case LoginFailure::kPasswordExpired: return {403, "password_expired"};
    case LoginFailure::kMustChangePassword: return {403, "must_change_password"};
    case LoginFailure::kNoProfileMapped: return {403, "no_profile_mapped"};
    case LoginFailure::kDirectoryUnavailable: return {503, "directory_unavailable"};
    case LoginFailure::kTokenInvalid:
    case LoginFailure::kTokenExpired: return {401, "token_invalid"};
    case LoginFailure::kInternal: return {500, "internal"};
    case LoginFailure::kInvalidInput: return {400, "bad_request"};
  }
  return {500, "internal"};
}

DaemonCore::DaemonCore(DaemonOptions options, std::unique_ptr<store::Store> store)
    : options_(std::move(options)), store_(std::move(store)) {
  clock_ = options_.clock ? options_.clock : [] { return std::chrono::system_clock::now(); };
  // Replaced by Create() once the configuration says which commit mode.
  StartHistory(LoginHistoryWriter::CommitMode::kAfterAnswer, LoginHistoryWriter::Options{}.max_queue);
}

void DaemonCore::StartHistory(LoginHistoryWriter::CommitMode mode, size_t max_queue) {
  LoginHistoryWriter::Options history_options;
  history_options.mode = mode;
  history_options.max_queue = max_queue;
  history_ = std::make_unique<LoginHistoryWriter>(*store_, history_options,
                                                  [this](const Status& s, size_t rows, bool lost) {
                                                    metrics_.CountHistoryWriteFailure(lost ? rows : 0);
                                                    LogError(s.ToString() + " (" + std::to_string(rows) +
                                                             (lost ? " rows lost at shutdown)" : " rows wait for a retry)"));
                                                  });
}

Result<std::unique_ptr<DaemonCore>> DaemonCore::Create(DaemonOptions options) {
  ConfigLoad load = LoadConfig(options.config_path);
  if (!load.ok()) return InvalidArgument(JoinDiagnostics(load.errors));
  const std::string store_path = options.store_override ? *options.store_override : load.config->store.path;
  if (store_path.empty()) return InvalidArgument(options.config_path + ": store.path is not set (or use --store)");
  store::SqliteStoreOptions store_options;
  store_options.create_if_missing = true;
  store_options.history_retention_days = load.config->store.history_retention_days;
  auto store = store::OpenSqliteStore(store_path, store_options);
  if (!store.ok()) return Status(store.status().code(), "store " + store_path + ": " + store.status().message());
  std::unique_ptr<DaemonCore> core(new DaemonCore(std::move(options), std::move(store).value()));
  // The history writer as configured (store.history_*; not reloadable).
  core->history_.reset();
  core->StartHistory(load.config->store.history_commit_before_answer ? LoginHistoryWriter::CommitMode::kBeforeAnswer
                                                                     : LoginHistoryWriter::CommitMode::kAfterAnswer,
                     static_cast<size_t>(load.config->store.history_queue_rows));
  std::vector<Diagnostic> errors;
  auto runtime = core->BuildRuntime(&errors);
  if (!runtime.ok()) return runtime.status();
  core->runtime_ = *runtime;
  core->sessions_.set_max_sessions(static_cast<size_t>((*runtime)->settings.max_sessions));
  return core;
}

Result<std::shared_ptr<const Runtime>> DaemonCore::BuildRuntime(std::vector<Diagnostic>* errors) {
  ConfigLoad load = LoadConfig(options_.config_path);
  if (!load.ok()) {
    *errors = load.errors;
    return InvalidArgument(JoinDiagnostics(load.errors));
  }
  auto settings = ParseDaemonSettings(*load.config, errors);
  if (!settings) return InvalidArgument(JoinDiagnostics(*errors));
  if (options_.socket_override) settings->socket_path = *options_.socket_override;
  AuthenticatorDeps deps;
  deps.store = store_.get();
  deps.local_admin_dummy_iterations = options_.local_admin_dummy_iterations;
  std::shared_ptr<LoginThrottle> throttle;
  {
    std::lock_guard<std::mutex> lock(throttle_mu_);
    throttle = local_admin_throttle_ && local_admin_throttle_settings_ == settings->local_admin_throttle
                   ? local_admin_throttle_
                   : std::make_shared<InMemoryLoginThrottle>(settings->local_admin_throttle);
  }
  deps.local_admin_throttle = settings->local_admin_throttle_enabled ? throttle : nullptr;
  deps.clock = clock_;
  ThrottleRegistry previous;
  {
    std::lock_guard<std::mutex> lock(throttle_mu_);
    previous = directory_throttles_;
  }
  ThrottleRegistry in_use;
  deps.previous_throttles = &previous;
  deps.throttles_in_use = &in_use;
  auto auth = BuildAuthenticators(*load.config, *settings, deps, errors);
  if (!errors->empty() || auth == nullptr) return InvalidArgument(JoinDiagnostics(*errors));
  {
    // Only a configuration that is taken into use replaces the throttles.
    std::lock_guard<std::mutex> lock(throttle_mu_);
    local_admin_throttle_ = throttle;
    local_admin_throttle_settings_ = settings->local_admin_throttle;
    directory_throttles_ = std::move(in_use);
  }
  auto rt = std::make_shared<Runtime>();
  rt->config = load.config;
  rt->settings = std::move(*settings);
  rt->auth = std::move(auth);
  return std::shared_ptr<const Runtime>(std::move(rt));
}

std::shared_ptr<const Runtime> DaemonCore::runtime() const {
  std::lock_guard<std::mutex> lock(runtime_mu_);
  return runtime_;
}

uint64_t DaemonCore::RecordLogin(const std::string& user, const std::string& method, const std::string& source,
                                 LoginFailure f, const std::string& client, const std::string& detail,
                                 const std::string& client_address, const std::string& typed_user, bool admitted) {
  metrics_.CountLogin(method, LoginFailureName(f));
  store::LoginRecord rec;
  rec.time = Now();
  rec.user = user.substr(0, kMaxUserLength);
  rec.typed_user = (typed_user.empty() ? user : typed_user).substr(0, kMaxUserLength);
  rec.method = method;
  rec.source = source;
  rec.success = f == LoginFailure::kNone;
  rec.reason = LoginFailureName(f);
  rec.client = client;
  rec.detail = detail;
  rec.client_address = client_address;
  LogInfo("login user=" + Log::Quote(rec.user) +
          (rec.typed_user != rec.user ? " typed=" + Log::Quote(rec.typed_user) : std::string()) + " method=" + method +
          " source=" + source + " result=" + rec.reason + " address=" + Log::Quote(client_address) +
          " client=" + Log::Quote(client) + (detail.empty() ? "" : " detail=" + Log::Quote(detail)));
  return history_->Enqueue(std::move(rec), admitted);
}

Reply DaemonCore::RefuseForHistory(const std::string& user, const std::string& method, const std::string& source,
                                   const std::string& client, const std::string& client_address,
                                   const std::string& why) {
  metrics_.CountLogin(method, kHistoryUnavailableReason);
  store::LoginRecord rec;
  rec.time = Now();
  rec.user = user.substr(0, kMaxUserLength);
  rec.method = method;
  rec.source = source;
  rec.reason = kHistoryUnavailableReason;
  rec.client = client;
  rec.detail = why;
  rec.client_address = client_address;
  LogWarn("login refused user=" + Log::Quote(rec.user) + " method=" + method + " result=" + rec.reason +
          " address=" + Log::Quote(client_address) + " client=" + Log::Quote(client) + " detail=" + Log::Quote(why));
  history_->Enqueue(std::move(rec), /*admitted=*/false);
  return ErrorReply(503, "unavailable", "the login history cannot be written; sign-in refused");
}

void DaemonCore::Audit(const std::string& actor, const std::string& action, const std::string& target,
                       const std::string& before, const std::string& after) {
  store::SecurityEvent e;
  e.actor = actor;
  e.action = action;
  e.target = target;
  e.before = before;
  e.after = after;
  auto r = store_->AppendSecurityEvent(e, Now());
  if (!r.ok()) LogError("security log: " + r.status().ToString());
}

Reply DaemonCore::SessionReply(const SessionRecord& s, bool include_id) const {
  Reply r;
  const auto rt = runtime();
  const SystemTime now = Now();
  int64_t expires_in = std::chrono::duration_cast<std::chrono::seconds>(s.expires - now).count();
  if (expires_in < 0) expires_in = 0;
  if (include_id) r.body["session"] = s.id;
  r.body["user"] = s.user;
  r.body["source"] = s.source;
  r.body["stale"] = s.stale;
  r.body["expires_in"] = expires_in;
  r.body["expires_unix"] = ToUnix(s.expires);
  r.body["refresh_in"] = rt->settings.session_refresh_s;
  r.body["refreshed_unix"] = ToUnix(s.refreshed);
  r.body["decisions"] = s.decisions ? s.decisions->ToJson() : nlohmann::json::object();
  return r;
}

Reply DaemonCore::FinishLogin(const AuthOutcome& outcome, const std::string& method, const std::string& source,
                              const std::string& attempted_user, const std::string& client,
                              const std::string& client_address) {
  // Fail closed: a login whose history row has no place is refused.
  if (!history_->Admit())
    return RefuseForHistory(attempted_user, method, source, client, client_address, "history queue full");
  if (!outcome.ok()) {
    // A failed guess is recorded against the account it resolved to, with
    // the typed spelling beside it.
    RecordLogin(outcome.account.empty() ? attempted_user : outcome.account, method, source, outcome.failure, client,
                outcome.detail, client_address, attempted_user);
    // An account state is told only once the password was proven right.
    const LoginFailure shown =
        IsAccountState(outcome.failure) && !outcome.password_proven ? LoginFailure::kBadCredentials : outcome.failure;
    auto [status, code] = PublicLoginError(shown);
    return ErrorReply(status, code, "sign-in refused: " + code);
  }
  Identity identity = outcome.success.identity;
  identity.client_address = client_address;  // for client_network rules; kept for refreshes
  const auto rt = runtime();
  const SystemTime now = Now();
  auto adjustments = store_->AdjustmentsFor(identity.user, now);
  if (!adjustments.ok()) {
    RecordLogin(identity.user, method, source, LoginFailure::kInternal, client,
                "store: " + adjustments.status().ToString(), client_address);
    return ErrorReply(500, "internal", "the store cannot be read; sign-in refused");
  }
  auto decisions = std::make_shared<const DecisionSet>(Evaluate(*rt->config->policy, identity, *adjustments, now));
  if (!decisions->login_allowed()) {
    RecordLogin(identity.user, method, source, LoginFailure::kNoProfileMapped, client, "", client_address);
    return ErrorReply(403, "no_profile_mapped", "no security profile is mapped to this user");
  }
  if (Status s = ValidateUserName(identity.user); s.ok())
    history_->EnqueueIdentity(store::KnownUser{identity, now});
  else
    LogError("known users: " + s.ToString());
  SessionRecord rec;
  rec.user = identity.user;
  rec.method = method;
  rec.source = source;
  rec.client = client;
  rec.identity = identity;
  rec.decisions = decisions;
  rec.stale = outcome.success.offline;
  rec.created = now;
  rec.refreshed = now;
  rec.expires = now + std::chrono::seconds(rt->settings.session_ttl_s);
  auto id = sessions_.Create(rec, now);
  if (!id.ok()) {
    RecordLogin(identity.user, method, source, LoginFailure::kInternal, client, id.status().message(), client_address);
    return ErrorReply(503, "unavailable", id.status().message());
  }
  rec.id = *id;
  const uint64_t ticket = RecordLogin(identity.user, method, source, LoginFailure::kNone, client,
                                      outcome.success.offline ? "offline" : "", client_address, attempted_user);
  if (Status durable = history_->WaitDurable(ticket); !durable.ok()) {  // store.history_commit: before_answer
    sessions_.Remove(rec.id);
    metrics_.CountLogin(method, kHistoryUnavailableReason);
    LogError("login of " + Log::Quote(identity.user) + " refused: " + durable.ToString());
    return ErrorReply(503, "unavailable", "the login history cannot be written; sign-in refused");
  }
  metrics_.CountDecisionSetServed();
  return SessionReply(rec, /*include_id=*/true);
}

void DaemonCore::SpendDecoys(const std::vector<std::shared_ptr<Authenticator>>& authenticators, size_t from,
                             const LoginRequest& request, AuthOutcome* outcome) {
  for (size_t i = from; i < authenticators.size(); ++i) {
    AuthOutcome d;
    try {
      d = authenticators[i]->Decoy(request);
    } catch (...) {
      continue;
    }
    if (d.failure == LoginFailure::kThrottled && outcome->failure != LoginFailure::kThrottled) {
      // A later throttle refuses the name: answer as it would have for a name
      // unknown before it, keeping the first reason in the detail.
      outcome->detail = std::string(LoginFailureName(outcome->failure)) + ": " + outcome->detail + "; " +
                        authenticators[i]->name() + ": " + d.detail;
      outcome->failure = LoginFailure::kThrottled;
    }
  }
}

void DaemonCore::PaceRefusal(const AuthOutcome& outcome, std::chrono::steady_clock::time_point started) {
  const bool looks_like_wrong_password =
      outcome.failure == LoginFailure::kBadCredentials || outcome.failure == LoginFailure::kUnknownUser ||
      (IsAccountState(outcome.failure) && !outcome.password_proven);
  if (!looks_like_wrong_password) return;
  if (!outcome.account.empty()) refusal_pacer_.RecordAccountRefusal(std::chrono::steady_clock::now() - started);
  std::this_thread::sleep_until(started + refusal_pacer_.Floor());
}

Reply DaemonCore::Login(const std::string& user, Secret password, const LoginContext& context,
                        const Caller& caller) {
  const CheckedOrigin origin = CheckOrigin(caller, context);
  const std::string& client = origin.client;
  const std::string& address = origin.address;
  AuthOutcome outcome;
  // Refused before any authenticator is asked, each with its history row: a
  // refusal the plugin made itself, a bad origin field, an empty password, a
  // bad user name. None of them counts for the throttle.
  if (!context.refusal.empty()) {
    std::tie(outcome.failure, outcome.detail) = PluginRefusal(context.refusal);
    RecordLogin(user, "password", "", outcome.failure, client, outcome.detail, address, user, /*admitted=*/false);
    if (outcome.failure == LoginFailure::kEmptyPassword) return ErrorReply(401, "bad_credentials", "sign-in refused: bad_credentials");
    return ErrorReply(400, "bad_request", "sign-in refused: " + outcome.detail);
  }
  if (origin.failure != LoginFailure::kNone) {
    RecordLogin(user, "password", "", origin.failure, client, origin.detail, address, user, /*admitted=*/false);
    return ErrorReply(400, "bad_request", "sign-in refused: " + origin.detail);
  }
  if (password.empty()) {
    outcome.failure = LoginFailure::kEmptyPassword;
    return FinishLogin(outcome, "password", "", user, client, address);
  }
  if (user.empty() || user.size() > kMaxUserLength || user.find('\0') != std::string::npos) {
    outcome.failure = LoginFailure::kInvalidUserName;
    return FinishLogin(outcome, "password", "", user, client, address);
  }
  const auto started = std::chrono::steady_clock::now();
  const auto rt = runtime();
  LoginRequest request;
  request.user = user;
  request.password = std::move(password);
  request.client = address;  // the throttle counts the end user's machine, never the host process
  bool unavailable = false;
  std::string unavailable_detail;
  const auto& password_auth = rt->auth->password;
  for (size_t i = 0; i < password_auth.size(); ++i) {
    const auto& auth = password_auth[i];
    const auto start = std::chrono::steady_clock::now();
    AuthOutcome o;
    try {
      o = auth->Authenticate(request);
    } catch (...) {
      o.failure = LoginFailure::kInternal;
      o.detail = auth->name() + " threw";
    }
    metrics_.ObserveDirectoryLatency(
        auth->name(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (o.failure == LoginFailure::kUnknownUser) continue;
    if (o.failure == LoginFailure::kDirectoryUnavailable) {
      unavailable = true;
      unavailable_detail += auth->name() + ": " + o.detail + "; ";
      continue;
    }
    if (o.ok() && o.success.identity.source.empty()) o.success.identity.source = auth->name();
    if (!o.ok() && o.failure != LoginFailure::kThrottled) {
      SpendDecoys(password_auth, i + 1, request, &o);
      PaceRefusal(o, started);
    }
    return FinishLogin(o, MethodOf(auth->name()), auth->name(), user, client, address);
  }
  outcome.failure = unavailable ? LoginFailure::kDirectoryUnavailable : LoginFailure::kUnknownUser;
  outcome.detail = unavailable_detail;
  PaceRefusal(outcome, started);
  return FinishLogin(outcome, "password", "", user, client, address);
}

Reply DaemonCore::LoginToken(Secret token, const LoginContext& context, const Caller& caller) {
  const CheckedOrigin origin = CheckOrigin(caller, context);
  const std::string& client = origin.client;
  const std::string& address = origin.address;
  const auto rt = runtime();
  if (!context.refusal.empty()) {
    auto [failure, detail] = PluginRefusal(context.refusal);
    RecordLogin("", "oidc", "", failure, client, detail, address, "", /*admitted=*/false);
    return ErrorReply(400, "bad_request", "sign-in refused: " + detail);
  }
  if (origin.failure != LoginFailure::kNone) {
    RecordLogin("", "oidc", "", origin.failure, client, origin.detail, address, "", /*admitted=*/false);
    return ErrorReply(400, "bad_request", "sign-in refused: " + origin.detail);
  }
  if (rt->auth->token.empty()) {
    metrics_.CountLogin("oidc", "unsupported");
    return ErrorReply(501, "unsupported", "token login is not configured in idbridged (no oidc section)");
  }
  if (token.empty()) {
    AuthOutcome o;
    o.failure = LoginFailure::kTokenInvalid;
    return FinishLogin(o, "oidc", "", "", client, address);
  }
  AuthOutcome last;
  last.failure = LoginFailure::kTokenInvalid;
  std::string source;
  for (const auto& auth : rt->auth->token) {
    AuthOutcome o;
    try {
      o = auth->AuthenticateToken(token, client);
    } catch (...) {
      o.failure = LoginFailure::kInternal;
    }
    source = auth->name();
    if (o.ok()) {
      if (o.success.identity.source.empty()) o.success.identity.source = auth->name();
      return FinishLogin(o, "oidc", auth->name(), o.success.identity.user, client, address);
    }
    last = o;
  }
  return FinishLogin(last, "oidc", source, "", client, address);
}

Reply DaemonCore::FlowBegin(const std::string& kind, const Caller& caller) {
  const auto rt = runtime();
  if (rt->auth->oidc.empty()) {
    metrics_.CountLogin("oidc", "unsupported");
    return ErrorReply(501, "unsupported", kind + " login is not configured in idbridged (no oidc section)");
  }
  std::string redirect_uri;
  if (kind == "browser") {
    std::lock_guard<std::mutex> lock(browser_mu_);
    redirect_uri = browser_redirect_uri_;
  }
  if (kind == "browser" && redirect_uri.empty()) {
    return ErrorReply(501, "unsupported",
                      "browser login needs the redirect listener (daemon.oidc_redirect, then a restart); "
                      "use the device flow");
  }
  const SystemTime now = Now();
  auto start = oidc_flows_.Begin(kind == "browser" ? FlowKind::kBrowser : FlowKind::kDevice, rt->auth->oidc,
                                 redirect_uri, caller.owner, now);
  if (!start.ok()) {
    if (start.error() == oidc::OidcError::kTooManyFlows) return ErrorReply(503, "unavailable", start.failure().detail);
    LogWarn(kind + " login could not start: " + start.failure().ToStatus().ToString());
    auto [status, code] = PublicLoginError(ToLoginFailure(start.error()));
    return ErrorReply(status, code, kind + " login could not start: " + oidc::OidcErrorName(start.error()));
  }
  Reply r;
  r.body = {{"flow", start->id},
            {"user_code", start->user_code},
            {"verification_uri", start->verification_uri},
            {"verification_uri_complete", start->verification_uri_complete},
            {"interval", start->interval_s},
            {"expires_unix", ToUnix(start->expires)}};
  return r;
}

Reply DaemonCore::FlowPoll(const std::string& flow, const Caller& caller) {
  FlowPollOutcome polled = oidc_flows_.Poll(flow, caller.owner, Now());
  if (polled.state == FlowPollOutcome::State::kUnknown) {
    return ErrorReply(404, "unknown_session", "unknown or expired sign-in flow");
  }
  if (polled.state == FlowPollOutcome::State::kPending) {
    Reply r = ErrorReply(202, "pending", "waiting for the user to finish signing in");
    r.body["slow_down"] = polled.slow_down;
    return r;
  }
  AuthOutcome outcome = oidc::ToAuthOutcome(*polled.result);
  const std::string source = polled.provider->source();
  if (outcome.ok() && outcome.success.identity.source.empty()) outcome.success.identity.source = source;
  return FinishLogin(outcome, "oidc", source, outcome.ok() ? outcome.success.identity.user : "", caller.client);
}

void DaemonCore::EnableBrowserFlow(const std::string& redirect_uri) {
  std::lock_guard<std::mutex> lock(browser_mu_);
  browser_redirect_uri_ = redirect_uri;
}

RedirectPage DaemonCore::BrowserRedirect(const std::multimap<std::string, std::string>& query) {
  auto result = oidc_flows_.HandleRedirect(query, Now());
  RedirectPage page;
  page.html = oidc::RedirectPageHtml(result);
  if (result.ok()) {
    // Tell the person at the browser what the app's poll will get: a provider
    // sign-in that the mapping gives no access is not "signed in". (The poll
    // maps again, under the configuration in force then, and decides.)
    const SystemTime now = Now();
    auto adjustments = store_->AdjustmentsFor(result->user, now);
    if (!adjustments.ok()) {
      page.status = 503;
      page.html = oidc::RedirectUndecidedPageHtml();
      LogError("browser sign-in redirect: store: " + adjustments.status().ToString());
      return page;
    }
    if (!Evaluate(*runtime()->config->policy, result.value(), *adjustments, now).login_allowed()) {
      page.status = 403;
      page.html = oidc::RedirectNoAccessPageHtml(result->user);
      LogInfo("browser sign-in redirect accepted for " + Log::Quote(result->user) +
              ", who has no security profile; the app's poll will be refused");
      return page;
    }
    LogInfo("browser sign-in redirect accepted for " + Log::Quote(result->user) + "; waiting for the app's poll");
    return page;
  }
  switch (result.error()) {
    case oidc::OidcError::kInvalidRequest:
    case oidc::OidcError::kFlowUnknown:
    case oidc::OidcError::kFlowExpired: page.status = 400; break;
    case oidc::OidcError::kProviderUnavailable:
    case oidc::OidcError::kProviderError: page.status = 502; break;
    default: page.status = 403;
  }
  LogWarn(std::string("browser sign-in redirect refused: ") + oidc::OidcErrorName(result.error()) + ": " +
          Log::Quote(result.failure().detail));
  return page;
}

Reply DaemonCore::GetSession(const std::string& id) {
  if (!LooksLikeSessionId(id)) return ErrorReply(404, "unknown_session", "unknown or expired session");
  auto s = sessions_.Get(id, Now());
  if (!s) return ErrorReply(404, "unknown_session", "unknown or expired session");
  metrics_.CountDecisionSetServed();
  return SessionReply(*s, /*include_id=*/false);
}

Reply DaemonCore::RefreshSession(const std::string& id) {
  if (!LooksLikeSessionId(id)) return ErrorReply(404, "unknown_session", "unknown or expired session");
  const SystemTime now = Now();
  auto s = sessions_.Get(id, now);
  if (!s) return ErrorReply(404, "unknown_session", "unknown or expired session");
  const auto rt = runtime();
  Identity identity = s->identity;
  bool stale = s->stale;
  if (Authenticator* auth = rt->auth->ByName(s->source)) {
    const auto start = std::chrono::steady_clock::now();
    Result<Identity> fresh = auth->Lookup(s->user);
    metrics_.ObserveDirectoryLatency(
        auth->name(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (fresh.ok()) {
      identity = std::move(fresh).value();
      if (identity.source.empty()) identity.source = s->source;
      identity.client_address = s->identity.client_address;  // where the session signed in from
      stale = false;
    } else if (fresh.status().code() == ErrorCode::kNotFound) {
      sessions_.Remove(id);
      Audit("idbridged", "session.end", s->user, "null", "{\"reason\":\"user gone from " + s->source + "\"}");
      return ErrorReply(404, "unknown_session", "the user no longer exists; session ended");
    } else if (fresh.status().code() == ErrorCode::kUnavailable) {
      stale = true;  // keep the last known groups, marked stale
    }
    // kFailedPrecondition: this source cannot look users up; keep the identity.
  } else if (rt->auth->HasTokenSource(s->source)) {
    // OpenID sessions: the provider cannot be asked without a token; keep the
    // identity from the login and re-evaluate overrides, limits and mappings.
  } else if (s->source != "local") {
    // The authenticator was removed from the configuration: end the session.
    sessions_.Remove(id);
    return ErrorReply(404, "unknown_session", "the login method of this session is no longer configured");
  } else {
    // Local admin disabled by configuration: end its sessions.
    sessions_.Remove(id);
    return ErrorReply(404, "unknown_session", "local administrator logins are disabled");
  }
  auto adjustments = store_->AdjustmentsFor(s->user, now);
  if (!adjustments.ok()) {
    LogError("refresh: store: " + adjustments.status().ToString());
    return ErrorReply(503, "unavailable", "the store cannot be read; decisions not refreshed");
  }
  auto decisions = std::make_shared<const DecisionSet>(Evaluate(*rt->config->policy, identity, *adjustments, now));
  if (!sessions_.Update(id, identity, decisions, stale, now)) {
    return ErrorReply(404, "unknown_session", "unknown or expired session");
  }
  s->identity = identity;
  s->decisions = decisions;
  s->stale = stale;
  s->refreshed = now;
  metrics_.CountDecisionSetServed();
  return SessionReply(*s, /*include_id=*/false);
}

Reply DaemonCore::Logout(const std::string& id, const Caller& caller) {
  if (!LooksLikeSessionId(id)) return ErrorReply(404, "unknown_session", "unknown or expired session");
  auto s = sessions_.Get(id, Now());
  if (!s || !sessions_.Remove(id)) return ErrorReply(404, "unknown_session", "unknown or expired session");
  LogInfo("logout user=" + Log::Quote(s->user) + " client=" + Log::Quote(caller.client));
  Reply r;
  r.body = {{"ok", true}};
  return r;
}

Reply DaemonCore::Check(const std::string& id, const std::string& permission, const std::string& location,
                        const std::string& warehouse) {
  if (permission.empty()) return ErrorReply(400, "bad_request", "'permission' is required");
  std::optional<SessionRecord> s;
  if (LooksLikeSessionId(id)) s = sessions_.Get(id, Now());
  bool allow = s && s->decisions && s->decisions->Check(permission, location, warehouse);
  metrics_.CountCheck(allow);
  Reply r;
  r.body = {{"allow", allow}};
  if (!s) r.body["reason"] = "unknown or expired session";
  return r;
}

Reply DaemonCore::Reload(const Caller& caller) {
  if (!caller.admin) return ErrorReply(403, "forbidden", "reload needs an admin uid (daemon.admin_uids)");
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  const auto old = runtime();
  std::vector<Diagnostic> errors;
  auto fresh = BuildRuntime(&errors);
  if (!fresh.ok()) {
    metrics_.CountReload(false);
    LogError("reload rejected, keeping configuration " + old->config->files_hash.substr(0, 12) + ":\n" +
             fresh.status().message());
    nlohmann::json after = {{"rejected", true}, {"errors", errors.size()}};
    Audit(caller.client, "config.reload.rejected", options_.config_path,
          nlohmann::json({{"files_hash", old->config->files_hash}}).dump(), after.dump());
    Reply r = ErrorReply(422, "invalid_config", "the new configuration is invalid; the old one stays");
    r.body["error"]["errors"] = DiagnosticsJson(errors);
    r.body["files_hash"] = old->config->files_hash;
    return r;
  }
  if ((*fresh)->settings.socket_path != old->settings.socket_path) {
    LogWarn("daemon.socket changed; the new path takes effect at the next restart");
  }
  const auto& a = (*fresh)->settings.oidc_redirect;
  const auto& b = old->settings.oidc_redirect;
  if (a.enabled != b.enabled || a.host != b.host || a.port != b.port || a.redirect_uri != b.redirect_uri) {
    LogWarn("daemon.oidc_redirect changed; it takes effect at the next restart");
  }
  const store::SecurityEvent entry{caller.client, "config.reload", options_.config_path,
                                  nlohmann::json({{"files_hash", old->config->files_hash}}).dump(),
                                  nlohmann::json({{"files_hash", (*fresh)->config->files_hash}}).dump()};
  Status audited = RunAudited(*store_, entry, Now(), [&] {
    {
      std::lock_guard<std::mutex> lock(runtime_mu_);
      runtime_ = *fresh;
    }
    sessions_.set_max_sessions(static_cast<size_t>((*fresh)->settings.max_sessions));
  });
  if (!audited.ok()) {
    metrics_.CountReload(false);
    LogError("reload refused, keeping configuration " + old->config->files_hash.substr(0, 12) + ": " +
             audited.ToString());
    return AuditRefusal(audited);
  }
  metrics_.CountReload(true);
  LogInfo("configuration reloaded: " + (*fresh)->config->files_hash);
  Reply r;
  r.body = {{"ok", true}, {"files_hash", (*fresh)->config->files_hash}};
  return r;
}

Reply DaemonCore::Revoke(const std::string& user, const Caller& caller) {
  if (!caller.admin) return ErrorReply(403, "forbidden", "revoke needs an admin uid (daemon.admin_uids)");
  if (user.empty() || user.size() > kMaxUserLength) return ErrorReply(400, "bad_request", "'user' is required");
  const store::SecurityEvent entry{caller.client, "session.revoke", user, "null",
                                  nlohmann::json({{"sessions", sessions_.CountUser(user)}}).dump()};
  size_t n = 0;
  Status audited = RunAudited(*store_, entry, Now(), [&] { n = sessions_.RevokeUser(user); });
  if (!audited.ok()) {
    LogError("revoke of " + Log::Quote(user) + " by " + caller.client + " refused: " + audited.ToString());
    return AuditRefusal(audited);
  }
  LogInfo("revoked " + std::to_string(n) + " session(s) of " + Log::Quote(user) + " by " + caller.client);
  Reply r;
  r.body = {{"revoked", n}};
  return r;
}

Reply DaemonCore::Health() const {
  const auto rt = runtime();
  Reply r;
  nlohmann::json problems = nlohmann::json::array();
  if (Status s = store_->CheckStoreFile(); !s.ok()) problems.push_back(s.message() + " (admin actions are refused)");
  const LoginHistoryWriter::Backlog backlog = history_->backlog();
  if (backlog.failing) {
    problems.push_back("the login history cannot be written (" + backlog.last_error + "); " +
                       std::to_string(backlog.queued_rows) + " rows wait for a retry; logins are refused once " +
                       "the queue is full");
  }
  r.body = {{"status", problems.empty() ? "ok" : "degraded"},
            {"protocol", kProtocolVersion},
            {"version", "0.1.0"},
            {"files_hash", rt->config->files_hash},
            {"sessions", sessions_.Count()},
            {"history_queued_rows", backlog.queued_rows}};
  if (!problems.empty()) r.body["problems"] = problems;
  return r;
}

std::string DaemonCore::MetricsText() const {
  const LoginHistoryWriter::Backlog backlog = history_->backlog();
  metrics_.SetHistoryBacklog(backlog.queued_rows, backlog.failing, history_->failed_commits());
  return metrics_.Render(sessions_.Count());
}

Reply DaemonCore::ChangePassword(const std::string& user, Secret old_password, Secret new_password,
                                 const std::string& typed_address, const std::string& application,
                                 const Caller& caller) {
  std::string client_address;
  if (!typed_address.empty()) {
    auto normalized = NormalizeClientAddress(typed_address);
    if (!normalized.ok())
      return ErrorReply(400, "bad_request", "'client_address' must be an IP address or a host name of at most 253 bytes");
    client_address = *normalized;
  }
  std::string client = application.empty() ? caller.client : caller.client + " app=" + application;
  if (!client_address.empty()) client += " addr=" + client_address;
  PasswordChangeOutcome outcome;
  if (old_password.empty() || new_password.empty()) {
    outcome.failure = PasswordChangeFailure::kEmptyPassword;
    return FinishPasswordChange(outcome, user, client);
  }
  if (user.empty() || user.size() > kMaxUserLength || user.find('\0') != std::string::npos) {
    outcome.failure = PasswordChangeFailure::kInvalidUserName;
    return FinishPasswordChange(outcome, user, client);
  }
  const auto rt = runtime();
  PasswordChangeRequest request;
  request.user = user;
  request.old_password = std::move(old_password);
  request.new_password = std::move(new_password);
  request.client = client;
  // An answer that says nothing about the user (unavailable, no TLS, cannot
  // change) lets the next directory try; the first that knows the user decides.
  std::optional<PasswordChangeOutcome> undecided;
  for (const auto& auth : rt->auth->password) {
    PasswordChangeOutcome o;
    try {
      o = auth->ChangePassword(request);
    } catch (...) {
      o.failure = PasswordChangeFailure::kInternal;
      o.detail = auth->name() + " threw";
    }
    if (o.failure == PasswordChangeFailure::kUnknownUser && o.source.empty()) continue;
    if (o.failure == PasswordChangeFailure::kUnknownUser || o.failure == PasswordChangeFailure::kDirectoryUnavailable ||
        o.failure == PasswordChangeFailure::kTlsRequired || o.failure == PasswordChangeFailure::kUnsupported) {
      if (!undecided || undecided->failure == PasswordChangeFailure::kUnknownUser ||
          o.failure == PasswordChangeFailure::kDirectoryUnavailable) {
        undecided = std::move(o);
      }
      continue;
    }
    return FinishPasswordChange(o, user, client);
  }
  if (undecided) return FinishPasswordChange(*undecided, user, client);
  outcome.failure = PasswordChangeFailure::kUnknownUser;
  outcome.detail = "no password directory knows the user";
  return FinishPasswordChange(outcome, user, client);
}

Reply DaemonCore::FinishPasswordChange(const PasswordChangeOutcome& outcome, const std::string& user,
                                       const std::string& client) {
  const std::string reason = PasswordChangeReason(outcome.failure);
  store::LoginRecord rec;
  rec.time = Now();
  rec.user = user.substr(0, kMaxUserLength);
  rec.method = "password_change";
  rec.source = outcome.source;
  rec.success = outcome.ok();
  rec.reason = reason;
  rec.client = client;
  rec.detail = outcome.detail;
  metrics_.CountLogin("password_change", reason);
  LogInfo("password change user=" + Log::Quote(rec.user) + " source=" + outcome.source + " result=" + reason +
          " client=" + Log::Quote(client) + (outcome.detail.empty() ? "" : " detail=" + Log::Quote(outcome.detail)));
  history_->Enqueue(std::move(rec));
  Audit(client, outcome.ok() ? "password.change" : "password.change.refused", user.substr(0, kMaxUserLength), "null",
        nlohmann::json({{"source", outcome.source}, {"result", reason}}).dump());
  if (outcome.ok()) {
    Reply r;
    r.body = {{"ok", true}, {"source", outcome.source}};
    return r;
  }
  const int status = PasswordChangeHttpStatus(outcome.failure);
  const std::string code = PasswordChangePublicCode(outcome.failure);
  if (IsPolicyRefusal(outcome.failure)) {
    const std::string sentence =
        outcome.user_reason.empty() ? PolicySentence(outcome.failure) : outcome.user_reason;
    Reply r = ErrorReply(status, code, sentence);
    r.body["error"]["policy"] = reason;
    return r;
  }
  if (outcome.failure == PasswordChangeFailure::kTlsRequired) {
    return ErrorReply(status, code, "password changes are refused: the directory is not reached through TLS");
  }
  if (outcome.failure == PasswordChangeFailure::kUnsupported) {
    return ErrorReply(status, code, "password changes are not possible with this idbridged configuration");
  }
  return ErrorReply(status, code, "password change refused: " + code);
}

}  // namespace idb::daemon
