// authenticator.h — the interface every login method implements.
//
// Why: the daemon holds a list of Authenticators (local break-glass admin,
// LDAP/AD directories, OIDC providers) and never knows their internals
// (STYLE.md: interfaces apart from implementations).
// Thread-safety: implementations must be safe for concurrent Authenticate()
// calls without external synchronisation.
#pragma once

#include <chrono>
#include <string>

#include "common/result.h"
#include "auth/password_change.h"
#include "common/secret.h"
#include "core/identity.h"

namespace idb {

// Why a login failed, precisely. The login history records this reason; the
// user-facing code (LoginFailure::public_code) never distinguishes "no such
// user" from "wrong password". Append-only.
enum class LoginFailure {
  kNone = 0,
  kBadCredentials,       // wrong password OR unknown user (same public code)
  kUnknownUser,          // recorded in history only; public code = bad credentials
  kEmptyPassword,        // refused before any bind
  kInvalidUserName,      // too long / forbidden characters; public = bad credentials
  kAccountDisabled,
  kAccountLocked,
  kAccountExpired,
  kPasswordExpired,
  kMustChangePassword,
  kNoProfileMapped,
  kDirectoryUnavailable,
  kThrottled,            // our own throttle; public = account locked
  kTokenInvalid,         // OIDC: signature/claims refused
  kTokenExpired,
  kInternal,
  kInvalidInput,         // malformed request field (client address, not UTF-8…); public = bad_request
};

const char* LoginFailureName(LoginFailure f);

// Disabled, locked, expired, password expired, must change: states that may
// be told to the user only once the password was proven right.
bool IsAccountState(LoginFailure f);

struct LoginRequest {
  std::string user;
  Secret password;
  // The end user's machine (core/ip_network.h NormalizeClientAddress), the
  // throttle's client key; empty when the application named none — then only
  // the user is throttled, so one user's failures never lock out others.
  std::string client;
};

struct AuthSuccess {
  Identity identity;
  bool offline = false;  // decided from cached credentials; marked stale
};

struct AuthOutcome {
  LoginFailure failure = LoginFailure::kNone;  // kNone = success
  std::string detail;                          // for history/logs; never secrets
  AuthSuccess success;                         // valid when failure == kNone
  // The password was proven right (a bind succeeded, or the directory gave a
  // state it gives only for a right password). Without it an account state is
  // answered as bad credentials; the history keeps the precise reason.
  bool password_proven = false;
  // The account the typed name resolved to (its user name), for the history
  // row of a failure; empty when the name resolved to nothing.
  std::string account;
  bool ok() const { return failure == LoginFailure::kNone; }
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // "local", "ldap:corp", "oidc:entra"
  virtual std::string name() const = 0;
  // Password login. Returns kUnknownUser (not an error Status) when this
  // authenticator does not know the user, so the daemon can try the next one.
  virtual AuthOutcome Authenticate(const LoginRequest& request) = 0;
  // Does what Authenticate does for a name it cannot confirm — the same
  // password-hash computations and directory operations — and counts a failed
  // guess on its throttle, with no other effect (no bind as a real account, no
  // cache change). The daemon calls it on the authenticators that a refused
  // login did not reach, so every refusal costs the same whoever decided it.
  // kThrottled when its throttle already refuses the name, else kUnknownUser.
  virtual AuthOutcome Decoy(const LoginRequest& request) {
    (void)request;
    AuthOutcome o;
    o.failure = LoginFailure::kUnknownUser;
    return o;
  }
  // Re-reads a user's groups and claims without a password, for the session
  // refresh (a removed group removes its permissions without a new login).
  // kNotFound when the user is gone; kUnavailable when the source is down (the
  // daemon then keeps the session's decisions until they expire, marked stale).
  virtual Result<Identity> Lookup(const std::string& user) {
    return FailedPrecondition(name() + " cannot look users up without a login: " + user);
  }
  // Changes a user's password in the source (old password required). Returns
  // kUnknownUser when this authenticator does not know the user (or cannot
  // change passwords at all), so the daemon can try the next one.
  virtual PasswordChangeOutcome ChangePassword(const PasswordChangeRequest& request) {
    (void)request;
    PasswordChangeOutcome o;
    o.failure = PasswordChangeFailure::kUnknownUser;
    o.detail = name() + " cannot change passwords";
    return o;
  }
};

}  // namespace idb
