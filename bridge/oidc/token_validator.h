// token_validator.h — validates an ID token or JWT access token of one provider.
//
// Why: liboauth2 1.4.5.4 checks signatures but not `aud`, not usably `iss`,
// and its result cache outlives `exp` (../shared/notes/oidc-and-http.md). So
// liboauth2 (through JwksCache's per-key contexts) does the signature only,
// and every claim is checked here, on every call, with the caller's clock:
//   size cap and charset (NUL bytes, 1 MB tokens) → structure → header alg
//   (none / HS* / not allowed) → signature encoding and length (canonical
//   base64url; ES* exactly R‖S of the curve, RFC 7518 §3.4) → key by kid
//   (rate-limited refetch; EC curve matching the alg, RSA modulus matching
//   the signature length) → signature → iss → token type → aud/azp → exp →
//   nbf/iat → nonce → user name (common/names.h, the store's rule: no control
//   characters) → groups (Entra overage detected, never "no groups").
// Token type and audience (OpenID Connect Core 3.1.3.7, RFC 9068 §4): an ID
// token has typ JWT or none, names client_id and otherwise only
// id_token_extra_audiences, needs azp == client_id with several audiences;
// an access token needs access_tokens: true, typ at+jwt (unless
// access_token_typ_required: false), an aud among `audiences`, and string
// azp / client_id claims within authorized_parties when that is set.
// A result-cache hit in liboauth2 therefore can never make an expired token
// valid. Results are OidcResult with the precise OidcError.
// Thread-safety: Validate() is const and safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/identity.h"
#include "core/user_adjustments.h"  // SystemTime
#include "oidc/jwks_cache.h"
#include "oidc/oidc_config.h"
#include "oidc/oidc_result.h"

namespace idb::oidc {

// kIntrospectedAccessToken: an RFC 7662 answer (no JOSE header, so no typ).
enum class TokenKind { kIdToken, kAccessToken, kIntrospectedAccessToken };
const char* TokenKindName(TokenKind k);  // "id_token" | "access_token" | "introspected_access_token"

struct ValidatedToken {
  Identity identity;
  nlohmann::json claims;  // the verified payload
  SystemTime expires;     // exp
};

// Claim checks alone on an already verified payload (and its header); exposed
// for unit tests and for the code flow's nonce check. `expected_nonce` null =
// no nonce check.
OidcResult<ValidatedToken> CheckClaims(const OidcProviderConfig& config, const nlohmann::json& header,
                                       const nlohmann::json& payload, TokenKind kind, SystemTime now,
                                       const std::string* expected_nonce = nullptr);

// Decodes the protected header of a compact JWS after the structural checks
// (size, charset, three segments). Exposed for tests.
OidcResult<nlohmann::json> DecodeJwsHeader(std::string_view token, size_t max_bytes);

class TokenValidator {
 public:
  // `keys` is shared with the provider (one JWKS cache per provider).
  TokenValidator(OidcProviderConfig config, std::shared_ptr<JwksCache> keys);

  OidcResult<ValidatedToken> Validate(std::string_view token, TokenKind kind, SystemTime now,
                                      const std::string* expected_nonce = nullptr) const;

  const OidcProviderConfig& config() const { return config_; }

 private:
  OidcProviderConfig config_;
  std::shared_ptr<JwksCache> keys_;
};

}  // namespace idb::oidc
