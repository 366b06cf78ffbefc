#include "auth/password_change.h"

namespace idb {

const char* PasswordChangeReason(PasswordChangeFailure f) {
  switch (f) {
#define IDB_X(e, reason, code, http) \
  case PasswordChangeFailure::e: return reason;
    IDB_PASSWORD_CHANGE_RESULTS(IDB_X)
#undef IDB_X
  }
  return "internal";
}

const char* PasswordChangePublicCode(PasswordChangeFailure f) {
  switch (f) {
#define IDB_X(e, reason, code, http) \
  case PasswordChangeFailure::e: return code;
    IDB_PASSWORD_CHANGE_RESULTS(IDB_X)
#undef IDB_X
  }
  return "internal";
}

int PasswordChangeHttpStatus(PasswordChangeFailure f) {
  switch (f) {
#define IDB_X(e, reason, code, http) \
  case PasswordChangeFailure::e: return http;
    IDB_PASSWORD_CHANGE_RESULTS(IDB_X)
#undef IDB_X
  }
  return 500;
}

bool IsPolicyRefusal(PasswordChangeFailure f) { return PasswordChangeHttpStatus(f) == 422; }

std::string PolicySentence(PasswordChangeFailure f, int min_length) {
  switch (f) {
    case PasswordChangeFailure::kPolicyTooShort:
      return min_length > 0 ? "The new password is too short: it needs at least " + std::to_string(min_length) +
                                  " characters."
                            : "The new password is too short.";
    case PasswordChangeFailure::kPolicyInHistory:
      return "The new password was used before. Choose one you have not used recently.";
    case PasswordChangeFailure::kPolicyComplexity:
      return "The new password is not complex enough. Mix upper- and lower-case letters, digits and symbols, "
             "and do not use your name.";
    case PasswordChangeFailure::kPolicyTooYoung:
      return "The password was changed too recently and cannot be changed again yet.";
    case PasswordChangeFailure::kPolicyOther:
      return "The directory's password policy refused the new password.";
    default: return "";
  }
}

}  // namespace idb
