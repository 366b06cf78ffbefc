// oidc_config.h — one OpenID provider entry of config/idbridge.yaml (`oidc:` list).
//
// Why: each enterprise IdP (Entra ID, Okta, Keycloak, Google) is one entry with
// its issuer, client, accepted audiences and algorithms, and where the user
// name and groups live in its tokens. Parsing is strict: unknown keys, wrong
// types, inline secrets, `none`/HS* algorithms, plain-http issuers (other
// than loopback, for tests) and access-token settings without
// `access_tokens: true` are refused with file:line:col diagnostics.
//
// Audiences (OpenID Connect Core 3.1.3.7, RFC 9068 §4):
//   - an ID token's aud must name client_id; any other audience it names must
//     be listed in id_token_extra_audiences, and with several audiences azp
//     must be present and equal client_id; an azp is always client_id;
//   - an access token is accepted only with access_tokens: true, only when
//     its aud names one of `audiences` (resource identifiers; client_id is
//     never implied), only with header typ at+jwt unless
//     access_token_typ_required: false, and its azp / client_id claims, when
//     present, must be strings and — with authorized_parties — listed there.
//
// YAML (every key with its default):
//   oidc:
//     - name: entra                      # required; identities get source "oidc:entra"
//       issuer: https://login.microsoftonline.com/<tenant>/v2.0   # required; discovery base
//       client_id: 0a1b...               # required
//       client_secret_file: /etc/idbridge/entra.secret   # or client_secret_env: IDB_ENTRA_SECRET
//                                        # (never inline; neither = public client)
//       scopes: [openid, profile, email] # requested in device and code flows
//       id_token_extra_audiences: []     # audiences besides client_id an ID token may name
//       access_tokens: false             # true: access-token logins (JWT; opaque with introspection)
//       audiences: []                    # resource identifiers an access token's aud must name;
//                                        # required with access_tokens: true
//       access_token_typ_required: true  # false: also JWT access tokens without typ at+jwt
//       authorized_parties: []           # non-empty: an access token's azp / client_id must be one
//                                        # of these (and at least one of them present)
//       allowed_algs: [RS256, ES256]     # never none / HS*
//       leeway_seconds: 60               # clock skew tolerated on exp/nbf/iat
//       username_claim: preferred_username   # or email, upn, sub (common/names.h rule applies)
//       groups_claim: groups             # a path: groups, roles, realm_access.roles
//       groups_required: false           # true: a token without the groups claim is refused
//       claims: []                       # other claims rules may match on (department, …)
//       http_timeout_ms: 5000            # discovery, JWKS, token and device endpoints
//       max_token_bytes: 16384           # longer tokens are refused before parsing
//       jwks_refetch_seconds: 60         # an unknown kid refetches the JWKS at most this often
//       result_cache_seconds: 60         # liboauth2 verified-signature cache (0 = off);
//                                        # exp/nbf are re-checked on every hit
//       flow_timeout_seconds: 600        # pending browser (code + PKCE) logins
//       tls_ca_file: ""                  # extra CA bundle for an https issuer
//       introspection: false             # true: opaque (non-JWT) access tokens are checked at the
//                                        # provider's introspection_endpoint (RFC 7662) with the
//                                        # client credentials (a client secret and access_tokens:
//                                        # true are then required); active results are cached at
//                                        # most result_cache_seconds and never past the token's exp
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/result.h"
#include "common/secret.h"
#include "core/diagnostic.h"

namespace idb::oidc {

struct OidcProviderConfig {
  std::string name;
  std::string issuer;
  std::string client_id;
  std::string client_secret_file;
  std::string client_secret_env;
  std::vector<std::string> scopes{"openid", "profile", "email"};
  std::vector<std::string> id_token_extra_audiences;  // trusted besides client_id in an ID token's aud
  bool access_tokens = false;                 // access-token logins at all
  std::vector<std::string> audiences;         // resource identifiers for access tokens; never implied
  bool access_token_typ_required = true;      // RFC 9068 typ at+jwt
  std::vector<std::string> authorized_parties;  // empty = any azp / client_id of an access token
  std::vector<std::string> allowed_algs{"RS256", "ES256"};
  std::chrono::seconds leeway{60};
  std::string username_claim = "preferred_username";
  std::string groups_claim = "groups";
  bool groups_required = false;
  std::vector<std::string> claims;
  std::chrono::milliseconds http_timeout{5000};
  size_t max_token_bytes = 16384;
  std::chrono::seconds jwks_refetch_interval{60};
  std::chrono::seconds result_cache{60};
  std::chrono::seconds flow_timeout{600};
  std::string tls_ca_file;
  bool introspection = false;
};

// Parses the `oidc:` node (a list; an absent/null node gives an empty list)
// with core's strict YamlReader (unknown keys get a "did you mean").
// Errors are appended to `errors` as file:line:col diagnostics; entries with
// errors are left out of the result. Never throws.
std::vector<OidcProviderConfig> ParseOidcProviders(const YAML::Node& node, const std::string& file,
                                                   std::vector<Diagnostic>* errors);

// Checks one entry built in code (tests, the daemon's defaults): same rules as
// the parser. Returns InvalidArgument naming the first problem.
Status ValidateOidcProviderConfig(const OidcProviderConfig& config);

// Reads the client secret from client_secret_file (trailing newline removed)
// or client_secret_env. Returns an empty Secret for a public client.
// NotFound / FailedPrecondition name the file or variable, never the value.
Result<Secret> LoadClientSecret(const OidcProviderConfig& config);

// True for algorithms we accept at all (RS/PS/ES 256/384/512).
bool IsAsymmetricJwsAlg(const std::string& alg);

}  // namespace idb::oidc
