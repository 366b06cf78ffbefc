#include "ldap/ldap_authenticator.h"

#include <algorithm>
#include <cctype>

#include "auth/user_name_fold.h"
#include "core/dn.h"
#include "ldap/ad_account.h"
#include "ldap/filter.h"

namespace idb::ldap {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

AuthOutcome Outcome(LoginFailure f, std::string detail) {
  AuthOutcome o;
  o.failure = f;
  o.detail = std::move(detail);
  return o;
}

}  // namespace

Result<std::unique_ptr<LdapAuthenticator>> LdapAuthenticator::Create(DirectoryConfig config,
                                                                     LdapAuthenticatorOptions options) {
  if (config.uris.empty()) return InvalidArgument("directory '" + config.name + "' has no uris");
  Secret password;
  Status setup_error;
  if (!config.bind_dn.empty()) {
    auto p = LoadBindPassword(config);
    if (p.ok()) {
      password = std::move(*p);
    } else {
      setup_error = p.status();
    }
  } else if (config.user_bind_template.empty()) {
    return InvalidArgument("directory '" + config.name + "' has neither a service account nor a user_bind_template");
  }
  if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
  if (!options.throttle && config.throttle_enabled) {
    options.throttle = std::make_shared<InMemoryLoginThrottle>(config.throttle);
  }
  if (!options.credential_cache && config.offline.enabled) {
    CredentialCacheSettings s;
    s.pbkdf2_iterations = config.offline.hash_iterations;
    s.max_age = config.offline.max_age;
    s.max_failures = config.offline.max_failures;
    s.lockout_duration = config.offline.lockout;
    options.credential_cache = std::make_shared<InMemoryCredentialCache>(s);
  }
  return std::unique_ptr<LdapAuthenticator>(
      new LdapAuthenticator(std::move(config), std::move(options), std::move(password), std::move(setup_error)));
}

LdapAuthenticator::LdapAuthenticator(DirectoryConfig config, LdapAuthenticatorOptions options, Secret bind_password,
                                     Status setup_error)
    : config_(std::move(config)),
      clock_(std::move(options.clock)),
      throttle_(std::move(options.throttle)),
      cache_(config_.offline.enabled ? std::move(options.credential_cache) : nullptr),
      servers_(std::make_shared<ServerSet>(config_.uris, config_.server_retry_after, clock_)),
      group_cache_(config_.group_cache_ttl),
      setup_error_(std::move(setup_error)) {
  const size_t size = static_cast<size_t>(config_.pool_size);
  if (!config_.bind_dn.empty() && setup_error_.ok()) {
    service_pool_ = std::make_unique<ConnectionPool>(BaseOptions(), servers_, config_.bind_dn, std::move(bind_password), size);
  }
  bind_pool_ = std::make_unique<ConnectionPool>(BaseOptions(), servers_, "", Secret(), size);
}

ConnectOptions LdapAuthenticator::BaseOptions() const {
  ConnectOptions o;
  o.start_tls = config_.start_tls;
  o.tls_verify = config_.tls_verify;
  o.ca_file = config_.ca_file;
  o.connect_timeout = config_.connect_timeout;
  o.operation_timeout = config_.operation_timeout;
  o.password_policy_control = !config_.IsActiveDirectory();
  return o;
}

std::vector<std::string> LdapAuthenticator::UserAttributes() const {
  std::vector<std::string> a = {config_.user_name_attribute, "pwdAccountLockedTime"};
  if (config_.IsActiveDirectory()) {
    for (const char* x : {"userAccountControl", "accountExpires", "pwdLastSet", "objectGUID"}) a.emplace_back(x);
  } else {
    a.emplace_back("entryUUID");  // operational: returned only when asked for by name
  }
  for (const auto& x : UserAttributesForGroups(config_)) a.push_back(x);
  for (const auto& [claim, attr] : config_.claims) a.push_back(attr);
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

// Runs `op` on a service connection, moving to the next server when the
// current one fails (kUnavailable) mid-operation.
#define IDB_WITH_SERVICE_CONNECTION(T, op)                                               \
  [&]() -> Result<T> {                                                                   \
    Status last = Unavailable("no directory server could be asked");                     \
    for (size_t attempt = 0; attempt <= servers_->size(); ++attempt) {                   \
      auto lease = service_pool_->Acquire();                                             \
      if (!lease.ok()) return lease.status();                                            \
      Result<T> r = op(**lease);                                                         \
      if (!r.ok() && r.status().code() == ErrorCode::kUnavailable) {                     \
        lease->ServerFailed();                                                           \
        last = r.status();                                                               \
        continue;                                                                        \
      }                                                                                  \
      return r;                                                                          \
    }                                                                                    \
    return last;                                                                         \
  }()

Result<LdapAuthenticator::Found> LdapAuthenticator::FindUser(const std::string& account) {
  const std::string filter = FormatFilter(config_.user_filter, account);
  const std::vector<std::string> attrs = UserAttributes();
  auto search = [&](Connection& conn) -> Result<Found> {
    auto r = conn.Search(config_.user_search_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, 2);
    if (!r.ok()) {
      if (r.status().code() == ErrorCode::kFailedPrecondition) return Internal("user filter matched more than one entry");
      return r.status();
    }
    if (r->empty()) return NotFound("no entry matches the user filter");
    if (r->size() > 1) return Internal("user filter matched " + std::to_string(r->size()) + " entries");
    Found f;
    f.entry = std::move(r->front());
    f.canonical = f.entry.First(Lower(config_.user_name_attribute));
    if (f.canonical.empty()) f.canonical = account;
    return f;
  };
  return IDB_WITH_SERVICE_CONNECTION(Found, search);
}

Result<Identity> LdapAuthenticator::BuildIdentity(Connection& conn, const Found& found) {
  auto groups = ResolveGroups(conn, config_, found.entry, &group_cache_, clock_());
  if (!groups.ok()) return groups.status();
  Identity id;
  id.user = found.canonical;
  id.source = config_.SourceName();
  id.groups = std::move(*groups);
  for (const auto& [claim, attr] : config_.claims) {
    const auto& v = found.entry.Values(Lower(attr));
    if (!v.empty()) id.claims[claim] = v;
  }
  return id;
}

std::string LdapAuthenticator::NameKey(const std::string& name) const {
  auto folded = FoldUserName(name);
  // A name that cannot be folded (malformed UTF-8) is keyed on its bytes.
  return config_.name + "/name:" + (folded.ok() ? *folded : Lower(name));
}

std::string LdapAuthenticator::AccountKey(const Entry& entry) const {
  if (std::string uuid = entry.First("entryuuid"); !uuid.empty()) return config_.name + "/id:" + Lower(uuid);
  if (std::string guid = entry.First("objectguid"); !guid.empty()) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : guid) {
      hex.push_back(kHex[c >> 4]);
      hex.push_back(kHex[c & 0x0f]);
    }
    return config_.name + "/id:" + hex;
  }
  return config_.name + "/dn:" + Lower(entry.dn);
}

std::string LdapAuthenticator::DecoyDn() const {
  return "cn=idbridge-no-such-account," + (config_.user_search_base.empty() ? config_.GroupBase()
                                                                            : config_.user_search_base);
}

AuthOutcome LdapAuthenticator::Fail(LoginFailure f, std::string detail, const LoginRequest& request,
                                    const std::string& throttle_key) {
  if (throttle_) throttle_->RecordFailure(throttle_key, request.client, clock_());
  return Outcome(f, std::move(detail));
}

AuthOutcome LdapAuthenticator::Offline(const std::string& cache_key, const LoginRequest& request,
                                       const std::string& throttle_key, const std::string& why) {
  if (!cache_) return Outcome(LoginFailure::kDirectoryUnavailable, why);
  auto id = cache_->Verify(cache_key, request.password, clock_());
  if (id.ok()) {
    AuthOutcome o;
    o.success.identity = std::move(*id);
    o.success.offline = true;
    o.detail = "offline login from cached credentials (" + why + ")";
    return o;
  }
  switch (id.status().code()) {
    case ErrorCode::kUnauthenticated:
      return Fail(LoginFailure::kBadCredentials, "offline: wrong password (" + why + ")", request, throttle_key);
    case ErrorCode::kPermissionDenied:
      return Outcome(LoginFailure::kThrottled, "offline: " + id.status().message());
    default:
      return Outcome(LoginFailure::kDirectoryUnavailable, why + "; offline: " + id.status().message());
  }
}

AuthOutcome LdapAuthenticator::Authenticate(const LoginRequest& request) {
  try {
    return Attempt(request, /*decoy=*/false);
  } catch (const std::exception& e) {
    return Outcome(LoginFailure::kInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    return Outcome(LoginFailure::kInternal, "internal error");
  }
}

bool LdapAuthenticator::AllServersUseTls() const {
  if (config_.start_tls) return true;
  return std::all_of(config_.uris.begin(), config_.uris.end(),
                     [](const std::string& u) { return Lower(u).rfind("ldaps://", 0) == 0; });
}

PasswordChangeOutcome LdapAuthenticator::ChangeFail(PasswordChangeFailure f, std::string detail,
                                                    const PasswordChangeRequest& request) {
  const bool guess = f == PasswordChangeFailure::kBadCredentials || f == PasswordChangeFailure::kUnknownUser ||
                     f == PasswordChangeFailure::kInvalidUserName;
  if (guess && throttle_) {
    throttle_->RecordFailure(config_.name + "/" + Lower(request.user.substr(0, config_.max_user_name_length)),
                             request.client, clock_());
  }
  PasswordChangeOutcome o;
  o.failure = f;
  o.detail = std::move(detail);
  o.user_reason = PolicySentence(f);
  return o;
}

namespace {

// An OpenLDAP refusal of the password modify → the precise result (ppolicy's
// response control first, the result code otherwise).
PasswordChangeFailure FromPasswordModifyRefusal(const OperationResult& r) {
  switch (r.policy_error) {
    case PP_passwordTooShort: return PasswordChangeFailure::kPolicyTooShort;
    case PP_passwordInHistory: return PasswordChangeFailure::kPolicyInHistory;
    case PP_insufficientPasswordQuality: return PasswordChangeFailure::kPolicyComplexity;
    case PP_passwordTooYoung: return PasswordChangeFailure::kPolicyTooYoung;
    case PP_passwordTooLong:
    case PP_passwordModNotAllowed: return PasswordChangeFailure::kPolicyOther;
    default: break;
  }
  if (r.ldap_code == LDAP_CONSTRAINT_VIOLATION) return PasswordChangeFailure::kPolicyOther;
  return PasswordChangeFailure::kInternal;
}

std::string Describe(const char* what, const OperationResult& r) {
  std::string d = std::string(what) + " refused (LDAP " + std::to_string(r.ldap_code);
  if (r.policy_error >= 0) d += std::string(", ppolicy: ") + ldap_passwordpolicy_err2txt(static_cast<LDAPPasswordPolicyError>(r.policy_error));
  if (!r.diagnostic.empty()) d += ", " + r.diagnostic.substr(0, 200);
  return d + ")";
}

}  // namespace

void LdapAuthenticator::SpendLikeAChange(const PasswordChangeRequest& request) {
  // The same round trips a real change makes, on an entry that cannot exist,
  // so an unknown name is not answered measurably sooner than a wrong password.
  const std::string dn = "cn=idbridge-no-such-user-" + std::to_string(clock_().time_since_epoch().count()) + "," +
                         config_.user_search_base;
  OperationResult ignored;
  if (config_.IsActiveDirectory()) {
    auto lease = service_pool_->Acquire();
    if (lease.ok()) (void)(*lease)->ChangeAdPassword(dn, request.old_password, request.new_password, &ignored);
    return;
  }
  for (size_t i : servers_->Candidates()) {
    ConnectOptions options = BaseOptions();
    options.uri = servers_->uri(i);
    auto conn = Connection::Open(options);
    if (conn.ok()) (void)conn->Bind(dn, request.old_password, &ignored);
    return;
  }
}

PasswordChangeOutcome LdapAuthenticator::ChangeOnActiveDirectory(const Found& found,
                                                                 const PasswordChangeRequest& request) {
  OperationResult r;
  auto change = [&](Connection& conn) -> Result<bool> {
    Status s = conn.ChangeAdPassword(found.entry.dn, request.old_password, request.new_password, &r);
    if (s.ok()) return true;
    if (s.code() == ErrorCode::kFailedPrecondition) return false;
    return s;
  };
  Result<bool> done = IDB_WITH_SERVICE_CONNECTION(bool, change);
  if (!done.ok()) {
    if (done.status().code() == ErrorCode::kUnavailable || done.status().code() == ErrorCode::kDeadlineExceeded) {
      return ChangeFail(PasswordChangeFailure::kDirectoryUnavailable, done.status().message(), request);
    }
    if (done.status().code() == ErrorCode::kInvalidArgument) {
      return ChangeFail(PasswordChangeFailure::kPolicyOther, done.status().message(), request);
    }
    return ChangeFail(PasswordChangeFailure::kInternal, done.status().message(), request);
  }
  PasswordChangeOutcome o;
  if (*done) return o;
  PasswordChangeFailure f = AdPasswordChangeRefusal(r.ldap_code, r.diagnostic);
  o = ChangeFail(f, Describe("AD password change", r), request);
  if (f == PasswordChangeFailure::kPolicyTooShort) o.user_reason = PolicySentence(f, AdMinimumPasswordLength(r.diagnostic));
  return o;
}

PasswordChangeOutcome LdapAuthenticator::ChangeOnOpenLdap(const std::string& user_dn,
                                                          const PasswordChangeRequest& request) {
  // A connection of its own: bound as the user, possibly restricted by
  // ppolicy to this one operation, and closed afterwards.
  Status last = Unavailable("no directory server could be asked");
  for (size_t i : servers_->Candidates()) {
    ConnectOptions options = BaseOptions();
    options.uri = servers_->uri(i);
    auto conn = Connection::Open(options);
    if (!conn.ok()) {
      if (conn.status().code() == ErrorCode::kUnavailable) servers_->MarkDown(i);
      last = conn.status();
      continue;
    }
    servers_->MarkUp(i);
    BindResult br;
    Status bound = conn->Bind(user_dn, request.old_password, &br);
    if (bound.code() == ErrorCode::kUnavailable) {
      servers_->MarkDown(i);
      last = bound;
      continue;
    }
    if (!bound.ok()) {
      if (bound.code() != ErrorCode::kUnauthenticated) return ChangeFail(PasswordChangeFailure::kInternal, bound.message(), request);
      PasswordChangeFailure f = PasswordChangeFailure::kBadCredentials;
      if (br.policy_error == PP_passwordExpired) f = PasswordChangeFailure::kPasswordExpiredNoGrace;
      if (br.policy_error == PP_accountLocked) f = PasswordChangeFailure::kAccountLocked;
      return ChangeFail(f, Describe("bind with the old password", br), request);
    }
    OperationResult r;
    Status changed = conn->ModifyPassword(user_dn, request.old_password, request.new_password, &r);
    if (changed.ok()) return PasswordChangeOutcome{};
    if (changed.code() == ErrorCode::kUnavailable || changed.code() == ErrorCode::kDeadlineExceeded) {
      // Never retried elsewhere: the server may have made the change.
      return ChangeFail(PasswordChangeFailure::kDirectoryUnavailable, changed.message(), request);
    }
    if (changed.code() != ErrorCode::kFailedPrecondition) {
      return ChangeFail(PasswordChangeFailure::kInternal, changed.message(), request);
    }
    return ChangeFail(FromPasswordModifyRefusal(r), Describe("password modify", r), request);
  }
  return ChangeFail(PasswordChangeFailure::kDirectoryUnavailable, last.message(), request);
}

PasswordChangeOutcome LdapAuthenticator::ChangePassword(const PasswordChangeRequest& request) {
  try {
    PasswordChangeOutcome o;
    o.source = name();
    auto finish = [&](PasswordChangeOutcome x) {
      x.source = name();
      return x;
    };
    if (!setup_error_.ok()) return finish(ChangeFail(PasswordChangeFailure::kInternal, "directory not usable: " + setup_error_.message(), request));
    if (Status v = ValidateUserName(request.user, config_.max_user_name_length); !v.ok()) {
      return finish(ChangeFail(PasswordChangeFailure::kInvalidUserName, v.message(), request));
    }
    auto login = ParseLogin(request.user, config_.login_forms, config_.upn_domains, config_.netbios_domain);
    if (!login.ok()) {
      if (login.status().code() == ErrorCode::kNotFound) {
        o.failure = PasswordChangeFailure::kUnknownUser;
        o.detail = login.status().message();
        return o;
      }
      return finish(ChangeFail(PasswordChangeFailure::kInvalidUserName, login.status().message(), request));
    }
    if (request.old_password.empty() || request.new_password.empty()) {
      return finish(ChangeFail(PasswordChangeFailure::kEmptyPassword, "empty password refused before any bind", request));
    }
    // Before any lookup, so the refusal says nothing about the user.
    if (!AllServersUseTls()) {
      return finish(ChangeFail(PasswordChangeFailure::kTlsRequired,
                               "directory " + config_.name + " is not reached through TLS (ldaps:// or start_tls); "
                               "passwords are never changed over a plain connection",
                               request));
    }
    if (config_.IsActiveDirectory() && !service_pool_) {
      return finish(ChangeFail(PasswordChangeFailure::kUnsupported,
                               "directory " + config_.name + " has no service account (bind_dn) to change passwords with",
                               request));
    }
    const std::string throttle_key = config_.name + "/" + Lower(request.user);
    if (throttle_) {
      ThrottleVerdict v = throttle_->Check(throttle_key, request.client, clock_());
      if (!v.allowed) {
        return finish(ChangeFail(PasswordChangeFailure::kThrottled,
                                 std::string(v.locked_out ? "locked out" : "slowed down") +
                                     " after repeated failures (" + v.reason + ")",
                                 request));
      }
    }
    Found found;
    if (service_pool_) {
      auto f = FindUser(login->account);
      if (!f.ok()) {
        switch (f.status().code()) {
          case ErrorCode::kNotFound:
            SpendLikeAChange(request);
            return finish(ChangeFail(PasswordChangeFailure::kUnknownUser, "no such user in " + config_.name, request));
          case ErrorCode::kUnavailable:
          case ErrorCode::kDeadlineExceeded:
            return finish(ChangeFail(PasswordChangeFailure::kDirectoryUnavailable, f.status().message(), request));
          default:
            return finish(ChangeFail(PasswordChangeFailure::kInternal, f.status().message(), request));
        }
      }
      found = std::move(*f);
    } else {
      if (config_.user_bind_template.find('=') == std::string::npos) {
        return finish(ChangeFail(PasswordChangeFailure::kUnsupported,
                                 "directory " + config_.name + " needs a service account or a DN user_bind_template "
                                 "to change passwords",
                                 request));
      }
      found.entry.dn = config_.user_bind_template;
      const std::string value = EscapeDnValue(login->account);
      for (size_t at; (at = found.entry.dn.find("{user}")) != std::string::npos;) found.entry.dn.replace(at, 6, value);
    }
    PasswordChangeOutcome r = config_.IsActiveDirectory() ? ChangeOnActiveDirectory(found, request)
                                                          : ChangeOnOpenLdap(found.entry.dn, request);
    if (r.ok()) {
      if (throttle_) throttle_->RecordSuccess(throttle_key, request.client, clock_());
      if (cache_) cache_->Forget(config_.name + "/" + Lower(login->account));
      r.detail = "changed for " + found.entry.dn;
    }
    return finish(std::move(r));
  } catch (const std::exception& e) {
    PasswordChangeOutcome o;
    o.failure = PasswordChangeFailure::kInternal;
    o.detail = std::string("internal error: ") + e.what();
    o.source = name();
    return o;
  } catch (...) {
    PasswordChangeOutcome o;
    o.failure = PasswordChangeFailure::kInternal;
    o.detail = "internal error";
    o.source = name();
    return o;
  }
}

AuthOutcome LdapAuthenticator::Decoy(const LoginRequest& request) {
  try {
    AuthOutcome o = Attempt(request, /*decoy=*/true);
    if (o.failure != LoginFailure::kThrottled) o.failure = LoginFailure::kUnknownUser;
    return o;
  } catch (...) {
    return Outcome(LoginFailure::kUnknownUser, "decoy failed");
  }
}

AuthOutcome LdapAuthenticator::Attempt(const LoginRequest& request, bool decoy) {
  if (!setup_error_.ok()) return Outcome(LoginFailure::kInternal, "directory not usable: " + setup_error_.message());
  // 1. Refusals without network traffic.
  if (Status v = ValidateUserName(request.user, config_.max_user_name_length); !v.ok()) {
    return Fail(LoginFailure::kInvalidUserName, v.message(), request,
                NameKey(request.user.substr(0, config_.max_user_name_length)));
  }
  auto login = ParseLogin(request.user, config_.login_forms, config_.upn_domains, config_.netbios_domain);
  if (!login.ok()) {
    if (login.status().code() == ErrorCode::kNotFound) return Outcome(LoginFailure::kUnknownUser, login.status().message());
    return Fail(LoginFailure::kInvalidUserName, login.status().message(), request, NameKey(request.user));
  }
  if (request.password.empty()) return Outcome(LoginFailure::kEmptyPassword, "empty password refused before any bind");
  // Failures count against the account the directory resolved (its stable
  // id), or against the folded name when it resolved to nothing.
  std::string throttle_key = NameKey(login->account);
  auto throttled = [&](const std::string& key) -> std::optional<AuthOutcome> {
    if (!throttle_) return std::nullopt;
    ThrottleVerdict v = throttle_->Check(key, request.client, clock_());
    if (v.allowed) return std::nullopt;
    return Outcome(LoginFailure::kThrottled, std::string(v.locked_out ? "locked out" : "slowed down") +
                                                 " after repeated failures (" + v.reason + ")");
  };
  const std::string cache_key = config_.name + "/" + Lower(login->account);

  // 2. Find the user (service account), or bind directly with the template.
  // A name that matches nothing still costs one bind (to a DN that does not
  // exist), so that a refusal takes as long whether or not the account exists.
  std::optional<Found> found;
  if (service_pool_) {
    auto f = FindUser(login->account);
    if (f.ok()) {
      found = std::move(*f);
      throttle_key = AccountKey(found->entry);
    } else if (f.status().code() == ErrorCode::kUnavailable || f.status().code() == ErrorCode::kDeadlineExceeded) {
      if (decoy) return Outcome(LoginFailure::kUnknownUser, f.status().message());
      if (auto t = throttled(throttle_key)) return *t;
      return Offline(cache_key, request, throttle_key, f.status().message());
    } else if (f.status().code() != ErrorCode::kNotFound) {
      return Outcome(LoginFailure::kInternal, f.status().message());
    }
  }
  if (auto t = throttled(throttle_key)) {
    if (found) t->account = found->canonical;
    return *t;
  }

  // 3. Bind as the user on a connection that never searches as the service.
  std::string bind_dn = found ? found->entry.dn : DecoyDn();
  if (!service_pool_) {
    bind_dn = config_.user_bind_template;
    const bool dn_template = bind_dn.find('=') != std::string::npos;
    const std::string value = dn_template ? EscapeDnValue(login->account) : login->account;
    for (size_t at; (at = bind_dn.find("{user}")) != std::string::npos;) bind_dn.replace(at, 6, value);
  }
  const bool real_account = !decoy && (found || !service_pool_);
  if (!real_account) bind_dn = DecoyDn();
  BindResult br;
  Status bound = Unavailable("no directory server could be asked");
  std::optional<ConnectionPool::Lease> user_conn;
  for (size_t attempt = 0; attempt <= servers_->size(); ++attempt) {
    auto lease = bind_pool_->Acquire();
    if (!lease.ok()) {
      bound = lease.status();
      break;
    }
    bound = (*lease)->Bind(bind_dn, request.password, &br);
    if (bound.code() == ErrorCode::kUnavailable) {
      lease->ServerFailed();
      continue;
    }
    if (!service_pool_ && real_account) user_conn.emplace(std::move(*lease));
    break;
  }
  if (!real_account) {
    // The decoy bind's answer means nothing: the name is not an account here.
    return Fail(LoginFailure::kUnknownUser, decoy ? "decoy" : "no such user in " + config_.name, request, throttle_key);
  }
  if (bound.code() == ErrorCode::kUnavailable || bound.code() == ErrorCode::kDeadlineExceeded) {
    return Offline(cache_key, request, throttle_key, bound.message());
  }
  const Entry* entry = found ? &found->entry : nullptr;
  if (!bound.ok()) {
    if (bound.code() != ErrorCode::kUnauthenticated) return Outcome(LoginFailure::kInternal, bound.message());
    // A refused bind tells the user "bad credentials", unless the directory
    // proved the password right; the history gets the precise reason.
    LoginFailure f = LoginFailure::kBadCredentials;
    bool proven = false;
    std::string detail = "bind refused (LDAP " + std::to_string(br.ldap_code) + ")";
    if (auto code = AdBindDataCode(br.diagnostic)) {
      f = FailureFromAdDataCode(*code);
      proven = AdDataCodeProvesPassword(*code);
      char hex[16];
      snprintf(hex, sizeof hex, "%x", *code);
      detail += ", AD data " + std::string(hex);
    }
    if (!proven && entry != nullptr) {
      if (LoginFailure state = AccountStateFromEntry(entry->attrs, clock_()); state != LoginFailure::kNone) {
        f = state;
        detail += ", account state from the directory entry";
      }
    }
    if (!proven && f == LoginFailure::kBadCredentials && br.policy_error == PP_passwordExpired) {
      // slapd's ppolicy says "expired" only after it checked the password.
      f = LoginFailure::kPasswordExpired;
      proven = true;
      detail += ", ppolicy: password expired";
    } else if (!proven && f == LoginFailure::kBadCredentials && br.policy_error == PP_accountLocked) {
      f = LoginFailure::kAccountLocked;  // whatever the password: not proven
      detail += ", ppolicy: account locked";
    }
    if (IsAccountState(f)) {
      if (cache_) cache_->Forget(cache_key);
      if (!proven) detail += ", password not proven";
    }
    AuthOutcome o = proven ? Outcome(f, detail) : Fail(f, detail, request, throttle_key);
    o.password_proven = proven;
    if (found) o.account = found->canonical;
    return o;
  }

  if (br.policy_error == PP_changeAfterReset) {
    // ppolicy pwdMustChange: the bind worked, but the server allows nothing
    // but a password change until one is made (the bind pool's next bind
    // resets the connection).
    if (cache_) cache_->Forget(cache_key);
    AuthOutcome o = Outcome(LoginFailure::kMustChangePassword, "ppolicy: the password must be changed after a reset");
    o.password_proven = true;
    if (found) o.account = found->canonical;
    return o;
  }

  // 4. Template mode: read the entry as the user.
  if (!service_pool_) {
    const std::string filter = FormatFilter(config_.user_filter, login->account);
    auto r = (**user_conn).Search(config_.user_search_base, LDAP_SCOPE_SUBTREE, filter, UserAttributes(), 0, 2);
    if (!r.ok() || r->size() != 1) {
      if (!r.ok() && r.status().code() == ErrorCode::kUnavailable) user_conn->ServerFailed();
      return Outcome(LoginFailure::kInternal, r.ok() ? "bound, but the user's entry is not readable as the user"
                                                     : r.status().message());
    }
    found.emplace();
    found->entry = std::move(r->front());
    found->canonical = found->entry.First(Lower(config_.user_name_attribute));
    if (found->canonical.empty()) found->canonical = login->account;
  }
  if (LoginFailure state = AccountStateFromEntry(found->entry.attrs, clock_()); state != LoginFailure::kNone) {
    if (cache_) cache_->Forget(cache_key);
    AuthOutcome o = Outcome(state, "password accepted, but the directory entry says " + std::string(LoginFailureName(state)));
    o.password_proven = true;
    o.account = found->canonical;
    return o;
  }

  // 5. Groups and claims.
  Result<Identity> id = Internal("unset");
  if (service_pool_) {
    auto build = [&](Connection& conn) { return BuildIdentity(conn, *found); };
    id = IDB_WITH_SERVICE_CONNECTION(Identity, build);
  } else {
    id = BuildIdentity(**user_conn, *found);
  }
  if (!id.ok()) return Outcome(LoginFailure::kDirectoryUnavailable, "reading groups failed: " + id.status().message());
  if (throttle_) {
    throttle_->RecordSuccess(throttle_key, request.client, clock_());
    // Template mode resolves the account only now: clear its key too.
    if (!service_pool_) throttle_->RecordSuccess(AccountKey(found->entry), request.client, clock_());
  }
  if (cache_) {
    // Best effort: a failure to cache never fails an online login.
    (void)cache_->Store(cache_key, request.password, *id, clock_());
  }
  AuthOutcome o;
  o.success.identity = std::move(*id);
  o.password_proven = true;
  o.account = found->canonical;
  o.detail = "bound as " + found->entry.dn;
  return o;
}

Result<Identity> LdapAuthenticator::Lookup(const std::string& user) {
  try {
    if (!setup_error_.ok()) return setup_error_;
    if (!service_pool_) return FailedPrecondition(name() + " has no service account: groups refresh only at login");
    IDB_RETURN_IF_ERROR(ValidateUserName(user, config_.max_user_name_length));
    auto login = ParseLogin(user, config_.login_forms, config_.upn_domains, config_.netbios_domain);
    if (!login.ok()) return login.status();
    auto f = FindUser(login->account);
    if (!f.ok()) return f.status();
    if (LoginFailure state = AccountStateFromEntry(f->entry.attrs, clock_()); state != LoginFailure::kNone) {
      return PermissionDenied(std::string("account state: ") + LoginFailureName(state));
    }
    auto build = [&](Connection& conn) { return BuildIdentity(conn, *f); };
    return IDB_WITH_SERVICE_CONNECTION(Identity, build);
  } catch (const std::exception& e) {
    return Internal(std::string("internal error: ") + e.what());
  }
}

Result<std::vector<bool>> LdapAuthenticator::GroupsExist(const std::vector<std::string>& dns) {
  if (!setup_error_.ok()) return setup_error_;
  if (!service_pool_) return FailedPrecondition(name() + " has no service account to look groups up with");
  auto check = [&](Connection& conn) -> Result<std::vector<bool>> {
    std::vector<bool> out;
    for (const auto& dn : dns) {
      auto r = conn.Search(dn, LDAP_SCOPE_BASE, "(objectClass=*)", {"1.1"});
      if (r.ok()) {
        out.push_back(!r->empty());
      } else if (r.status().code() == ErrorCode::kNotFound) {
        out.push_back(false);
      } else {
        return r.status();
      }
    }
    return out;
  };
  return IDB_WITH_SERVICE_CONNECTION(std::vector<bool>, check);
}

Result<std::vector<bool>> LdapAuthenticator::GroupsMatch(const std::vector<std::string>& lookups) {
  if (!setup_error_.ok()) return setup_error_;
  if (!service_pool_) return FailedPrecondition(name() + " has no service account to look groups up with");
  auto check = [&](Connection& conn) -> Result<std::vector<bool>> {
    std::vector<bool> out;
    for (const auto& l : lookups) {
      Result<std::vector<Entry>> r = Internal("unset");
      if (l.rfind("dn:", 0) == 0) {
        r = conn.Search(l.substr(3), LDAP_SCOPE_BASE, "(objectClass=*)", {"1.1"});
      } else {
        r = conn.Search(config_.GroupBase(), LDAP_SCOPE_SUBTREE, l, {"1.1"}, 0, 1000);
      }
      if (r.ok()) {
        out.push_back(!r->empty());
      } else if (r.status().code() == ErrorCode::kNotFound) {
        out.push_back(false);
      } else {
        return r.status();
      }
    }
    return out;
  };
  return IDB_WITH_SERVICE_CONNECTION(std::vector<bool>, check);
}

std::vector<std::pair<std::string, Status>> LdapAuthenticator::ProbeServers() {
  std::vector<std::pair<std::string, Status>> out;
  Result<Secret> pw = config_.bind_dn.empty() ? Result<Secret>(Secret()) : LoadBindPassword(config_);
  for (const auto& uri : config_.uris) {
    ConnectOptions o = BaseOptions();
    o.uri = uri;
    auto conn = Connection::Open(o);
    if (!conn.ok()) {
      out.emplace_back(uri, conn.status());
      continue;
    }
    if (!pw.ok()) {
      out.emplace_back(uri, pw.status());
      continue;
    }
    if (!config_.bind_dn.empty()) {
      out.emplace_back(uri, conn->Bind(config_.bind_dn, *pw));
    } else {
      out.emplace_back(uri, Status::Ok());
    }
  }
  return out;
}

}  // namespace idb::ldap
