// password_change.h — what a password change at sign-in asks and answers
// (idb_change_password, POST /v1/password/change).
//
// Why its own result list: a change can fail in ways a login cannot — the
// directory's password policy (too short, reused, not complex enough, changed
// too recently), or a directory reached without TLS — and each needs a precise
// history reason and, for policy refusals, a sentence the user can act on.
// One X-macro table gives every view of a result: the enum, the history
// reason, the public wire code and the HTTP status (STYLE.md: one table, many
// views). Like logins, "no such user" and "wrong old password" share one
// public code.
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>

#include "common/secret.h"

namespace idb {

// X(enumerator, history reason, public wire code, HTTP status). Append-only.
// kPasswordExpiredNoGrace: OpenLDAP refuses even the bind with the old password
// (expired, no grace logins left): only an administrator can reset it.
#define IDB_PASSWORD_CHANGE_RESULTS(X)                                            \
  X(kNone, "password_changed", "ok", 200)                                         \
  X(kBadCredentials, "bad_credentials", "bad_credentials", 401)                   \
  X(kUnknownUser, "unknown_user", "bad_credentials", 401)                         \
  X(kEmptyPassword, "empty_password", "bad_credentials", 401)                     \
  X(kInvalidUserName, "invalid_user_name", "bad_credentials", 401)                \
  X(kAccountDisabled, "account_disabled", "account_disabled", 403)                \
  X(kAccountLocked, "account_locked", "account_locked", 403)                      \
  X(kAccountExpired, "account_expired", "account_expired", 403)                   \
  X(kThrottled, "throttled", "account_locked", 403)                               \
  X(kPolicyTooShort, "policy_too_short", "password_policy", 422)                  \
  X(kPolicyInHistory, "policy_in_history", "password_policy", 422)                \
  X(kPolicyComplexity, "policy_complexity", "password_policy", 422)               \
  X(kPolicyTooYoung, "policy_too_young", "password_policy", 422)                  \
  X(kPolicyOther, "policy_refused", "password_policy", 422)                       \
  X(kTlsRequired, "tls_required", "unsupported", 501)                             \
  X(kUnsupported, "unsupported", "unsupported", 501)                              \
  X(kDirectoryUnavailable, "directory_unavailable", "directory_unavailable", 503) \
  X(kInternal, "internal", "internal", 500)                                       \
  X(kPasswordExpiredNoGrace, "password_expired", "password_expired", 403)

enum class PasswordChangeFailure {
#define IDB_X(e, reason, code, http) e,
  IDB_PASSWORD_CHANGE_RESULTS(IDB_X)
#undef IDB_X
};

// The history reason ("password_changed", "policy_too_short", ...).
const char* PasswordChangeReason(PasswordChangeFailure f);
// The public wire code (never tells an unknown user from a wrong password).
const char* PasswordChangePublicCode(PasswordChangeFailure f);
int PasswordChangeHttpStatus(PasswordChangeFailure f);
bool IsPolicyRefusal(PasswordChangeFailure f);
// A sentence the user can be shown for a policy refusal; `min_length` > 0
// adds the directory's minimum length to the too-short sentence. "" for
// results that are not policy refusals.
std::string PolicySentence(PasswordChangeFailure f, int min_length = 0);

struct PasswordChangeRequest {
  std::string user;
  Secret old_password;
  Secret new_password;
  std::string client;  // for history and throttling, like LoginRequest::client
};

struct PasswordChangeOutcome {
  PasswordChangeFailure failure = PasswordChangeFailure::kNone;
  std::string detail;       // for history/logs; never a secret
  std::string user_reason;  // policy refusals: the sentence for the user
  std::string source;       // the authenticator that answered ("ldap:corp")
  bool ok() const { return failure == PasswordChangeFailure::kNone; }
};

}  // namespace idb
