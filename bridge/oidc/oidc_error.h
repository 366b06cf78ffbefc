// oidc_error.h — the precise reasons an OpenID Connect login is refused.
//
// Why: the login history and the security log need the exact cause ("expired",
// "wrong audience", "Entra groups overage"), while the auth layer and the
// plugin only see the coarse LoginFailure (kTokenInvalid / kTokenExpired / …).
// OidcError carries the former; ToLoginFailure() gives the latter. Every
// refusal also carries a human detail string that never contains a token or a
// secret, and for some an advice line for the administrator.
// Append-only: values are recorded in history.
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>

#include "auth/authenticator.h"
#include "common/result.h"

namespace idb::oidc {

enum class OidcError {
  kNone = 0,
  kMalformed,           // not a compact JWS, bad base64/JSON, missing required claim
  kTooLarge,            // token longer than max_token_bytes (checked before parsing)
  kAlgNone,             // alg "none": unsigned token
  kHmacRefused,         // HS256/384/512 while the provider signs with public keys
  kAlgNotAllowed,       // an asymmetric alg not in allowed_algs
  kUnknownKey,          // kid not in the JWKS, even after the rate-limited refetch
  kBadSignature,        // signature does not verify with the provider's key
  kExpired,             // exp (+ leeway) is in the past
  kNotYetValid,         // nbf or iat (- leeway) is in the future
  kWrongIssuer,         // iss differs from the configured issuer
  kWrongAudience,       // aud / azp / client_id break the audience rules (token_validator.h)
  kWrongTokenType,      // typ does not fit the kind, or access-token logins are off
  kMissingUserName,     // the configured username claim is absent or not a string
  kMissingGroups,       // groups claim absent (or not strings) and groups_required
  kGroupsOverage,       // Entra ID "_claim_names" instead of groups: own error + advice
  kNonceMismatch,       // code flow: nonce in the ID token differs from ours
  kFlowUnknown,         // unknown / already used state or device handle
  kFlowExpired,         // the pending flow or the device code expired
  kAuthorizationPending,  // device flow: the user has not finished yet (not a failure)
  kSlowDown,            // device flow: poll less often (not a failure)
  kDenied,              // the user or the provider refused (access_denied)
  kProviderUnavailable, // discovery/JWKS/token endpoint unreachable or timed out
  kProviderError,       // the provider answered with an unexpected error or document
  kTooManyFlows,        // pending-flow table full
  kInvalidRequest,      // caller's input to a flow is malformed (bad redirect URI…)
  kInternal,
  kTokenInactive,       // introspection (RFC 7662): the provider says the token is not active
  kInvalidUserName,     // the username claim holds a name the store refuses (control characters, > 256 bytes)
};

// "expired", "wrong_audience", … (stable, for history and JSON).
const char* OidcErrorName(OidcError e);

// The coarse reason the auth layer and the ABI keep.
LoginFailure ToLoginFailure(OidcError e);

// The idb::Status code matching a refusal (kUnauthenticated for token refusals,
// kUnavailable for provider outages, kDeadlineExceeded never: timeouts are
// "unavailable" to the user).
ErrorCode ToErrorCode(OidcError e);

// A refusal (or a not-yet state such as kAuthorizationPending).
struct OidcFailure {
  OidcError error = OidcError::kInternal;
  std::string detail;  // for history/logs; never a token or secret
  std::string advice;  // for the administrator; may be empty

  Status ToStatus() const;  // "<name>: detail"
};

}  // namespace idb::oidc
