// oidc_provider.h — one configured OpenID provider: token login, device flow,
// authorization code + PKCE flow. The daemon holds one per `oidc:` entry.
//
// Why: enterprises sign in through Entra ID / Okta / Keycloak / Google. The
// fleet application is often a desktop program that cannot host a redirect
// page, so besides validating a token it already holds (ValidateToken), the
// daemon runs the flows for it:
//   - device authorization grant (RFC 8628): BeginDeviceFlow() gives the user
//     code and URI to show; PollDeviceFlow(handle) answers pending / slow down
//     / expired / denied or completes into an Identity. The device_code stays
//     inside the daemon; the app only holds an opaque handle.
//   - authorization code + PKCE S256 in a browser: BeginCodeFlow(redirect_uri)
//     gives the URL to open and a poll handle; the daemon's TCP listener serves
//     redirect_uri and calls HandleRedirect(query) (state, RFC 9207 iss, error),
//     which exchanges the code and checks the ID token's nonce; the app's
//     PollCodeFlow(poll_handle) then completes. State and poll handle differ:
//     state travels through the browser, the poll handle never does.
// Discovery (/.well-known/openid-configuration, issuer checked) happens on
// first use and is retried at most every 10 s after a failure; every HTTP call
// has the configured deadline, so a hanging provider costs one timeout, never
// a hung daemon. Pending flows live in bounded tables with expiry (injected
// clock: every call takes `now`).
// Groups become DirectoryGroup{cn = name, dn empty}; Identity.source is
// "oidc:<name>", so mapping rules can say `source: oidc:<name>`.
// Thread-safety: every method is safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "common/secret.h"
#include "core/identity.h"
#include "core/user_adjustments.h"  // SystemTime
#include "oidc/http_client.h"
#include "oidc/jwks_cache.h"
#include "oidc/oidc_config.h"
#include "oidc/oidc_result.h"
#include "oidc/token_validator.h"

namespace idb::oidc {

struct DeviceFlowStart {
  std::string handle;                     // opaque, for PollDeviceFlow (not the device_code)
  std::string user_code;                  // show to the user
  std::string verification_uri;           // show to the user
  std::string verification_uri_complete;  // may be empty; a QR code / clickable link
  std::chrono::seconds interval{5};       // poll no faster than this
  std::chrono::seconds expires_in{600};
};

struct CodeFlowStart {
  std::string authorize_url;  // the app opens this in the user's browser
  std::string state;          // also inside authorize_url
  std::string poll_handle;    // for PollCodeFlow; never in a URL
  SystemTime expires;
};

struct ProviderEndpoints {
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string device_authorization_endpoint;  // empty: no device flow
  std::string jwks_uri;
  std::string introspection_endpoint;   // empty: no introspection (RFC 7662)
  bool iss_parameter_supported = false;  // RFC 9207
};

class OidcProvider {
 public:
  // Validates the configuration and loads the client secret (file / env).
  static Result<std::unique_ptr<OidcProvider>> Create(OidcProviderConfig config);

  const OidcProviderConfig& config() const { return config_; }
  std::string source() const { return "oidc:" + config_.name; }

  // Discovery and JWKS now (daemon start, benchmarks); later calls reuse them.
  Status Warm(SystemTime now);

  // Token login: an ID token or JWT access token the app already holds.
  OidcResult<ValidatedToken> ValidateToken(std::string_view token, TokenKind kind, SystemTime now);
  // Token login when the caller does not say which kind: a header typ of
  // at+jwt means an access token (refused unless access_tokens: true);
  // otherwise the ID token rules apply. Only with access_tokens: true and
  // access_token_typ_required: false is an ID-token audience/type refusal
  // retried under the access-token rules (aud among `audiences`, never
  // client_id by default; azp / client_id within authorized_parties); a double
  // refusal reports the ID-token error with both details.
  // With `introspection: true`, a token that is not a JWS (no '.') is an
  // opaque access token and goes to IntrospectToken.
  OidcResult<ValidatedToken> ValidateAnyToken(std::string_view token, SystemTime now);

  // Opaque access token (RFC 7662): POSTed to the provider's
  // introspection_endpoint with client_secret_basic; `active` must be true,
  // and the answer goes through the access-token claim rules (iss — taken as
  // the issuer when absent —, aud among `audiences`, azp / client_id within
  // authorized_parties, exp required, user name, groups). Active results are cached (by SHA-256 of the token, at most
  // 10,000) no longer than result_cache_seconds and never past exp; a cache
  // hit re-checks exp with `now`. kTokenInactive when the provider says
  // inactive; kProviderError when introspection (or access_tokens) is off or
  // not offered.
  OidcResult<ValidatedToken> IntrospectToken(std::string_view token, SystemTime now);
  uint64_t introspection_count() const { return introspections_.load(); }  // HTTP requests made

  OidcResult<DeviceFlowStart> BeginDeviceFlow(SystemTime now);
  // kAuthorizationPending / kSlowDown: not yet; kFlowExpired / kDenied /
  // kFlowUnknown: over. The handle is forgotten once the flow is over.
  OidcResult<Identity> PollDeviceFlow(const std::string& handle, SystemTime now);

  // redirect_uri: http://127.0.0.1|localhost|[::1]:port/… or https://…
  OidcResult<CodeFlowStart> BeginCodeFlow(const std::string& redirect_uri, SystemTime now);
  // The redirect's query parameters (code, state, iss, error, …). The outcome
  // is also kept for PollCodeFlow.
  OidcResult<Identity> HandleRedirect(const std::map<std::string, std::string>& query, SystemTime now);
  OidcResult<Identity> CompleteCodeFlow(const std::string& state, const std::string& code, const std::string& iss,
                                        SystemTime now);
  // kAuthorizationPending until the redirect arrived; then the outcome, once.
  OidcResult<Identity> PollCodeFlow(const std::string& poll_handle, SystemTime now);

  uint64_t jwks_fetch_count() const;
  size_t pending_flows() const;

  static constexpr size_t kMaxPendingFlows = 1024;

 private:
  struct DeviceEntry {
    std::string device_code;
    std::chrono::seconds interval{5};
    SystemTime next_poll;
    SystemTime expires;
    bool busy = false;
  };
  struct CodeEntry {
    std::string state, nonce, verifier, redirect_uri;
    SystemTime expires;
    bool exchanging = false;
    std::optional<OidcResult<Identity>> outcome;
  };

  OidcProvider(OidcProviderConfig config, Secret secret);
  OidcResult<ProviderEndpoints> Discover(SystemTime now);
  OidcResult<std::shared_ptr<TokenValidator>> Validator(SystemTime now);
  OidcResult<nlohmann::json> TokenRequest(const std::string& token_endpoint,
                                          std::vector<std::pair<std::string, std::string>> form);
  OidcResult<Identity> IdentityFromTokenResponse(const nlohmann::json& response, SystemTime now, const std::string* nonce);
  void PurgeExpiredLocked(SystemTime now);

  const OidcProviderConfig config_;
  const Secret client_secret_;
  const HttpClient http_;

  std::mutex discovery_mu_;  // guards the three below; held during discovery
  std::optional<ProviderEndpoints> endpoints_;
  std::shared_ptr<TokenValidator> validator_;
  std::shared_ptr<JwksCache> jwks_;
  std::optional<SystemTime> discovery_failed_at_;
  std::string discovery_error_;

  struct IntrospectionEntry {
    ValidatedToken token;
    SystemTime valid_until;  // min(exp, fetched + result_cache)
  };
  static constexpr size_t kMaxIntrospectionCache = 10000;
  std::mutex introspection_mu_;  // guards introspected_
  std::map<std::string, IntrospectionEntry> introspected_;  // by SHA-256 of the token
  std::atomic<uint64_t> introspections_{0};

  mutable std::mutex flows_mu_;  // guards the tables below
  std::map<std::string, DeviceEntry> device_;       // by handle
  std::map<std::string, CodeEntry> code_;           // by poll handle
  std::map<std::string, std::string> code_by_state_;  // state → poll handle
};

// For the auth layer and the login history.
AuthOutcome ToAuthOutcome(const OidcResult<Identity>& result);
AuthOutcome ToAuthOutcome(const OidcResult<ValidatedToken>& result);

// The daemon's entry point: every `oidc:` entry of the configuration as a
// ready provider (secrets loaded). Problems are appended as diagnostics
// (file:line:col for YAML errors; the file for a missing secret) and the entry
// is left out: a broken provider never accepts a login.
std::vector<std::shared_ptr<OidcProvider>> BuildOidcProviders(const YAML::Node& oidc_section, const std::string& file,
                                                              std::vector<Diagnostic>* errors);

// The small HTML page the daemon answers the browser's redirect with (escaped;
// names the user, or says in general terms why not — the precise reason is
// for the log and the history — never a token).
std::string RedirectPageHtml(const OidcResult<Identity>& result);
// The page for a provider sign-in that the mapping rules give no access to
// the application (the app's poll gets IDB_E_NO_PROFILE): not "signed in".
std::string RedirectNoAccessPageHtml(const std::string& user);
// The page when the daemon cannot decide (its store cannot be read).
std::string RedirectUndecidedPageHtml();

}  // namespace idb::oidc
