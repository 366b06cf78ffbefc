#include "auth/authenticator.h"

namespace idb {

const char* LoginFailureName(LoginFailure f) {
  switch (f) {
    case LoginFailure::kNone: return "ok";
    case LoginFailure::kBadCredentials: return "bad_credentials";
    case LoginFailure::kUnknownUser: return "unknown_user";
    case LoginFailure::kEmptyPassword: return "empty_password";
    case LoginFailure::kInvalidUserName: return "invalid_user_name";
    case LoginFailure::kAccountDisabled: return "account_disabled";
    case LoginFailure::kAccountLocked: return "account_locked";
    case LoginFailure::kAccountExpired: return "account_expired";
    case LoginFailure::kPasswordExpired: return "password_expired";
    case LoginFailure::kMustChangePassword: return "must_change_password";
    case LoginFailure::kNoProfileMapped: return "no_profile_mapped";
    case LoginFailure::kDirectoryUnavailable: return "directory_unavailable";
    case LoginFailure::kThrottled: return "throttled";
    case LoginFailure::kTokenInvalid: return "token_invalid";
    case LoginFailure::kTokenExpired: return "token_expired";
    case LoginFailure::kInternal: return "internal";
    case LoginFailure::kInvalidInput: return "invalid_input";
  }
  return "unknown";
}

bool IsAccountState(LoginFailure f) {
  switch (f) {
    case LoginFailure::kAccountDisabled:
    case LoginFailure::kAccountLocked:
    case LoginFailure::kAccountExpired:
    case LoginFailure::kPasswordExpired:
    case LoginFailure::kMustChangePassword: return true;
    default: return false;
  }
}

}  // namespace idb
