// ldap_authenticator.h — password logins against one LDAP / Active Directory
// directory (Authenticator implementation).
//
// Why: most users log in with their AD account; this must be as dependable as
// SSSD. The flow of Authenticate():
//  1. refuse, without any network traffic: invalid user names (length,
//     control characters, NUL, bad UTF-8; kInvalidUserName), a login form or
//     domain this directory does not accept (kUnknownUser: the daemon may try
//     the next authenticator) and an empty password (kEmptyPassword);
//  2. find the user with the service account (pooled connections; the filter
//     value RFC 4515-escaped) — or, with user_bind_template, bind directly;
//     then ask the throttle about the account found (its entryUUID/objectGUID,
//     so every spelling of it shares one count) or, for a name that matches
//     nothing, about the NFKC_Casefold of the typed name (kThrottled);
//  3. bind as the user on a separate pool of connections that never search; a
//     name that matched nothing binds a DN that does not exist, so it costs
//     what a wrong password costs (kUnknownUser);
//  4. map a refused bind precisely: AD "data 52e/525/530/531/532/533/701/773/
//     775", OpenLDAP ppolicy pwdAccountLockedTime and the ppolicy response
//     control (expired; must change after a reset, which refuses even a bind
//     that succeeded); unknown user and wrong
//     775", OpenLDAP ppolicy pwdAccountLockedTime. A state is marked
//     password_proven only when AD gave a code it gives for a right password
//     only (530/531/532/533/701/773); otherwise the user is told "bad
//     credentials" and the history keeps the state;
//  5. read groups (group_resolver.h) and claims; update throttle and the
//     offline credential cache.
// Every error is a denial (fail closed). When no server can be asked at all
// (never after a server said "wrong password"), cached credentials are used
// if offline_logins is enabled; the result is marked offline (stale).
// Ownership: owns its pools, caches and throttle. Thread-safety: Authenticate
// and Lookup are safe to call concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/credential_cache.h"
#include "auth/login_throttle.h"
#include "ldap/connection_pool.h"
#include "ldap/directory_config.h"
#include "ldap/group_resolver.h"

namespace idb::ldap {

struct LdapAuthenticatorOptions {
  Clock clock;                                         // default: system_clock::now
  std::shared_ptr<LoginThrottle> throttle;             // default: in-memory from config (if enabled)
  std::shared_ptr<CredentialCache> credential_cache;   // default: in-memory from config (if enabled)
};

class LdapAuthenticator final : public Authenticator {
 public:
  // Reads the bind password (file/env) and prepares pools; does not connect
  // (a directory that is down at start-up must not stop the daemon). A bind
  // password that cannot be read does not fail Create either: setup_error()
  // says why, and every login is refused (kInternal) until a reload fixes it.
  static Result<std::unique_ptr<LdapAuthenticator>> Create(DirectoryConfig config,
                                                           LdapAuthenticatorOptions options = {});

  std::string name() const override { return config_.SourceName(); }
  AuthOutcome Authenticate(const LoginRequest& request) override;
  // Search for the name and a bind to a DN that does not exist; counts a
  // failure on the throttle key the name resolves to.
  AuthOutcome Decoy(const LoginRequest& request) override;
  // Service-account read of the user's groups and claims. kNotFound: gone;
  // kPermissionDenied: disabled/locked/expired; kUnavailable: no server.
  Result<Identity> Lookup(const std::string& user) override;
  // The user's own password change (old password required), refused unless
  // every server is reached through TLS (ldaps:// or start_tls): AD by the
  // unicodePwd delete-old/add-new modify done with the service account (so it
  // works for expired and must-change accounts; AD checks the old password),
  // OpenLDAP by the password modify extended operation (RFC 3062) bound as the
  // user (ppolicy lets a must-change user do exactly that). The directory's
  // policy refusals come back as kPolicy* with a sentence for the user. The
  // throttle applies as for logins; a success forgets cached credentials.
  PasswordChangeOutcome ChangePassword(const PasswordChangeRequest& request) override;

  // For `idbridgectl check --live`: does each DN exist (base-scope read with
  // the service account)? kUnavailable when no server can be asked.
  Result<std::vector<bool>> GroupsExist(const std::vector<std::string>& dns);
  // Like GroupsExist for a mix of lookups: "dn:<DN>" (base read) or an LDAP
  // filter searched under the group search base (at most one entry needed).
  Result<std::vector<bool>> GroupsMatch(const std::vector<std::string>& lookups);
  // Connects and binds the service account on every configured server;
  // one line per server ("ok" or why not).
  std::vector<std::pair<std::string, Status>> ProbeServers();

  const DirectoryConfig& config() const { return config_; }
  const Status& setup_error() const { return setup_error_; }

 private:
  LdapAuthenticator(DirectoryConfig config, LdapAuthenticatorOptions options, Secret bind_password, Status setup_error);

  struct Found {
    Entry entry;
    std::string canonical;  // user_name_attribute value
  };
  Result<Found> FindUser(const std::string& account);
  Result<Identity> BuildIdentity(Connection& conn, const Found& found);
  AuthOutcome Attempt(const LoginRequest& request, bool decoy);
  AuthOutcome Offline(const std::string& cache_key, const LoginRequest& request, const std::string& throttle_key,
                      const std::string& why);
  // Records a failed guess against `throttle_key` (and the client).
  AuthOutcome Fail(LoginFailure f, std::string detail, const LoginRequest& request, const std::string& throttle_key);
  // Throttle keys: "<dir>/id:<entryUUID | objectGUID hex>" (else "/dn:<dn>")
  // for a resolved account, "<dir>/name:<NFKC_Casefold name>" otherwise.
  std::string AccountKey(const Entry& entry) const;
  std::string NameKey(const std::string& name) const;
  // A DN under the user base that names no entry: the bind a name that
  // resolved to nothing (and a decoy) spends.
  std::string DecoyDn() const;
  std::vector<std::string> UserAttributes() const;
  ConnectOptions BaseOptions() const;
  bool AllServersUseTls() const;
  PasswordChangeOutcome ChangeFail(PasswordChangeFailure f, std::string detail, const PasswordChangeRequest& request);
  PasswordChangeOutcome ChangeOnActiveDirectory(const Found& found, const PasswordChangeRequest& request);
  PasswordChangeOutcome ChangeOnOpenLdap(const std::string& user_dn, const PasswordChangeRequest& request);
  void SpendLikeAChange(const PasswordChangeRequest& request);

  const DirectoryConfig config_;
  const Clock clock_;
  std::shared_ptr<LoginThrottle> throttle_;
  std::shared_ptr<CredentialCache> cache_;
  std::shared_ptr<ServerSet> servers_;
  std::unique_ptr<ConnectionPool> service_pool_;  // null with user_bind_template and no bind_dn
  std::unique_ptr<ConnectionPool> bind_pool_;
  GroupCache group_cache_;
  Status setup_error_;
};

}  // namespace idb::ldap
