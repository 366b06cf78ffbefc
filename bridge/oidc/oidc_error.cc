#include "oidc/oidc_error.h"

namespace idb::oidc {

const char* OidcErrorName(OidcError e) {
  switch (e) {
    case OidcError::kNone: return "ok";
    case OidcError::kMalformed: return "malformed";
    case OidcError::kTooLarge: return "too_large";
    case OidcError::kAlgNone: return "alg_none";
    case OidcError::kHmacRefused: return "hmac_refused";
    case OidcError::kAlgNotAllowed: return "alg_not_allowed";
    case OidcError::kUnknownKey: return "unknown_key";
    case OidcError::kBadSignature: return "bad_signature";
    case OidcError::kExpired: return "expired";
    case OidcError::kNotYetValid: return "not_yet_valid";
    case OidcError::kWrongIssuer: return "wrong_issuer";
    case OidcError::kWrongAudience: return "wrong_audience";
    case OidcError::kWrongTokenType: return "wrong_token_type";
    case OidcError::kMissingUserName: return "missing_user_name";
    case OidcError::kMissingGroups: return "missing_groups";
    case OidcError::kGroupsOverage: return "groups_overage";
    case OidcError::kNonceMismatch: return "nonce_mismatch";
    case OidcError::kFlowUnknown: return "flow_unknown";
    case OidcError::kFlowExpired: return "flow_expired";
    case OidcError::kAuthorizationPending: return "authorization_pending";
    case OidcError::kSlowDown: return "slow_down";
    case OidcError::kDenied: return "denied";
    case OidcError::kProviderUnavailable: return "provider_unavailable";
    case OidcError::kProviderError: return "provider_error";
    case OidcError::kTooManyFlows: return "too_many_flows";
    case OidcError::kInvalidRequest: return "invalid_request";
    case OidcError::kInternal: return "internal";
    case OidcError::kTokenInactive: return "token_inactive";
    case OidcError::kInvalidUserName: return "invalid_user_name";
  }
  return "unknown";
}

LoginFailure ToLoginFailure(OidcError e) {
  switch (e) {
    case OidcError::kNone: return LoginFailure::kNone;
    case OidcError::kExpired:
    case OidcError::kFlowExpired: return LoginFailure::kTokenExpired;
    case OidcError::kDenied: return LoginFailure::kBadCredentials;
    case OidcError::kProviderUnavailable:
    case OidcError::kProviderError: return LoginFailure::kDirectoryUnavailable;  // provider trouble, not the user's
    case OidcError::kTooManyFlows: return LoginFailure::kThrottled;
    case OidcError::kInternal: return LoginFailure::kInternal;
    default: return LoginFailure::kTokenInvalid;
  }
}

ErrorCode ToErrorCode(OidcError e) {
  switch (e) {
    case OidcError::kNone: return ErrorCode::kOk;
    case OidcError::kProviderUnavailable: return ErrorCode::kUnavailable;
    case OidcError::kProviderError: return ErrorCode::kUnavailable;
    case OidcError::kAuthorizationPending:
    case OidcError::kSlowDown: return ErrorCode::kFailedPrecondition;
    case OidcError::kFlowUnknown: return ErrorCode::kNotFound;
    case OidcError::kTooManyFlows: return ErrorCode::kUnavailable;
    case OidcError::kInvalidRequest: return ErrorCode::kInvalidArgument;
    case OidcError::kInternal: return ErrorCode::kInternal;
    default: return ErrorCode::kUnauthenticated;
  }
}

Status OidcFailure::ToStatus() const {
  return Status(ToErrorCode(error), std::string(OidcErrorName(error)) + ": " + detail);
}

}  // namespace idb::oidc
