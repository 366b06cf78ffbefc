#include "oidc/oidc_provider.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <nlohmann/json.hpp>

#include "oidc/pkce.h"

namespace idb::oidc {
namespace {

constexpr std::chrono::seconds kDiscoveryRetry{10};
constexpr const char* kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

std::string Printable(const std::string& s, size_t max = 80) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}

bool IsLoopbackHttp(const std::string& url) {
  for (const char* p : {"http://127.0.0.1:", "http://localhost:", "http://[::1]:", "http://127.0.0.1/",
                        "http://localhost/", "http://[::1]/"})
    if (url.rfind(p, 0) == 0) return true;
  return false;
}

std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<OidcProvider>> OidcProvider::Create(OidcProviderConfig config) {
  IDB_RETURN_IF_ERROR(ValidateOidcProviderConfig(config));
  auto secret = LoadClientSecret(config);
  if (!secret.ok()) return secret.status();
  return std::unique_ptr<OidcProvider>(new OidcProvider(std::move(config), std::move(secret).value()));
}

OidcProvider::OidcProvider(OidcProviderConfig config, Secret secret)
    : config_(std::move(config)),
      client_secret_(std::move(secret)),
      http_(HttpSettings{config_.http_timeout, 1u << 20, config_.tls_ca_file}) {}

OidcResult<ProviderEndpoints> OidcProvider::Discover(SystemTime now) {
  // Caller holds discovery_mu_.
  if (endpoints_) return *endpoints_;
  if (discovery_failed_at_ && now >= *discovery_failed_at_ && now < *discovery_failed_at_ + kDiscoveryRetry)
    return OidcFailure{OidcError::kProviderUnavailable, "discovery failed recently: " + discovery_error_, ""};
  auto fail = [&](OidcError e, const std::string& why) -> OidcResult<ProviderEndpoints> {
    discovery_failed_at_ = now;
    discovery_error_ = why;
    return OidcFailure{e, why, ""};
  };
  std::string base = config_.issuer;
  if (!base.empty() && base.back() == '/') base.pop_back();
  auto res = http_.Get(base + "/.well-known/openid-configuration");
  if (!res.ok()) return fail(OidcError::kProviderUnavailable, "discovery: " + res.status().message());
  if (res->status != 200) return fail(OidcError::kProviderError, "discovery answered HTTP " + std::to_string(res->status));
  nlohmann::json doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(OidcError::kProviderError, "discovery document is not a JSON object");
  if (StringField(doc, "issuer") != config_.issuer)
    return fail(OidcError::kWrongIssuer, "discovery document names issuer '" + Printable(StringField(doc, "issuer")) +
                                             "', configured '" + config_.issuer + "'");
  ProviderEndpoints ep;
  ep.authorization_endpoint = StringField(doc, "authorization_endpoint");
  ep.token_endpoint = StringField(doc, "token_endpoint");
  ep.device_authorization_endpoint = StringField(doc, "device_authorization_endpoint");
  ep.jwks_uri = StringField(doc, "jwks_uri");
  ep.introspection_endpoint = StringField(doc, "introspection_endpoint");
  ep.iss_parameter_supported = doc.value("authorization_response_iss_parameter_supported", false) == true;
  if (ep.token_endpoint.empty() || ep.jwks_uri.empty())
    return fail(OidcError::kProviderError, "discovery document lacks token_endpoint or jwks_uri");
  bool https_issuer = config_.issuer.rfind("https://", 0) == 0;
  for (const std::string* url : {&ep.authorization_endpoint, &ep.token_endpoint, &ep.device_authorization_endpoint,
                                 &ep.jwks_uri, &ep.introspection_endpoint}) {
    if (url->empty()) continue;
    bool ok = url->rfind("https://", 0) == 0 || (!https_issuer && IsLoopbackHttp(*url));
    if (!ok) return fail(OidcError::kProviderError, "discovery endpoint is not https: " + Printable(*url));
  }
  endpoints_ = ep;
  discovery_failed_at_.reset();
  HttpClient http = http_;
  std::string jwks_uri = ep.jwks_uri;
  jwks_ = std::make_shared<JwksCache>(
      [http, jwks_uri]() -> Result<std::string> {
        auto r = http.Get(jwks_uri);
        if (!r.ok()) return r.status();
        if (r->status != 200) return FailedPrecondition("JWKS answered HTTP " + std::to_string(r->status));
        return std::move(r->body);
      },
      config_.jwks_refetch_interval, config_.result_cache);
  validator_ = std::make_shared<TokenValidator>(config_, jwks_);
  return ep;
}

OidcResult<std::shared_ptr<TokenValidator>> OidcProvider::Validator(SystemTime now) {
  std::lock_guard<std::mutex> lock(discovery_mu_);
  if (validator_) return validator_;
  auto ep = Discover(now);
  if (!ep.ok()) return ep.failure();
  return validator_;
}

Status OidcProvider::Warm(SystemTime now) {
  std::shared_ptr<JwksCache> jwks;
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto ep = Discover(now);
    if (!ep.ok()) return ep.ToStatus();
    jwks = jwks_;
  }
  return jwks->Warm(now);
}

uint64_t OidcProvider::jwks_fetch_count() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(discovery_mu_));
  return jwks_ ? jwks_->fetch_count() : 0;
}

size_t OidcProvider::pending_flows() const {
  std::lock_guard<std::mutex> lock(flows_mu_);
  return device_.size() + code_.size();
}

OidcResult<ValidatedToken> OidcProvider::ValidateToken(std::string_view token, TokenKind kind, SystemTime now) {
  // Size first: a 1 MB token must not even trigger discovery.
  if (token.size() > config_.max_token_bytes)
    return OidcFailure{OidcError::kTooLarge, "token of " + std::to_string(token.size()) + " bytes exceeds max_token_bytes " +
                                                 std::to_string(config_.max_token_bytes), ""};
  auto v = Validator(now);
  if (!v.ok()) return v.failure();
  return v.value()->Validate(token, kind, now);
}

OidcResult<ValidatedToken> OidcProvider::ValidateAnyToken(std::string_view token, SystemTime now) {
  if (config_.introspection && token.find('.') == std::string_view::npos) return IntrospectToken(token, now);
  auto header = DecodeJwsHeader(token, config_.max_token_bytes);
  if (header.ok() && header.value().contains("typ") && header.value()["typ"].is_string()) {
    std::string typ = header.value()["typ"].get<std::string>();
    std::transform(typ.begin(), typ.end(), typ.begin(), [](unsigned char c) { return std::tolower(c); });
    if (typ == "at+jwt" || typ == "application/at+jwt") return ValidateToken(token, TokenKind::kAccessToken, now);
  }
  auto as_id = ValidateToken(token, TokenKind::kIdToken, now);
  // Without typ a token is an ID token, unless access tokens without typ were
  // explicitly allowed: then an ID-token audience/type refusal is retried
  // under the access-token rules (configured audiences, authorized_parties).
  const bool untyped_access = config_.access_tokens && !config_.access_token_typ_required;
  if (as_id.ok() || !untyped_access ||
      (as_id.error() != OidcError::kWrongAudience && as_id.error() != OidcError::kWrongTokenType))
    return as_id;
  auto as_access = ValidateToken(token, TokenKind::kAccessToken, now);
  if (as_access.ok()) return as_access;
  return OidcFailure{as_id.error(), "as an ID token: " + as_id.failure().detail + "; as an access token: " +
                                        OidcErrorName(as_access.error()) + ": " + as_access.failure().detail, ""};
}

OidcResult<ValidatedToken> OidcProvider::IntrospectToken(std::string_view token, SystemTime now) {
  if (!config_.introspection || !config_.access_tokens)
    return OidcFailure{OidcError::kProviderError, "token introspection is off for this provider (introspection: false)", ""};
  if (token.size() > config_.max_token_bytes)
    return OidcFailure{OidcError::kTooLarge, "token of " + std::to_string(token.size()) + " bytes exceeds max_token_bytes " +
                                                 std::to_string(config_.max_token_bytes), ""};
  // RFC 6750 b64token characters only (no NUL, spaces or controls).
  const bool charset_ok = !token.empty() && std::all_of(token.begin(), token.end(), [](unsigned char c) {
    return std::isalnum(c) || (c != '\0' && std::strchr("-._~+/=", c) != nullptr);  // strchr finds the NUL too
  });
  if (!charset_ok) return OidcFailure{OidcError::kMalformed, "opaque token is empty or has characters outside RFC 6750", ""};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  const std::string key(reinterpret_cast<const char*>(digest), sizeof(digest));
  {
    std::lock_guard<std::mutex> lock(introspection_mu_);
    auto it = introspected_.find(key);
    if (it != introspected_.end()) {
      if (now < it->second.valid_until && now < it->second.token.expires) return it->second.token;
      introspected_.erase(it);  // stale: ask the provider again
    }
  }
  std::string endpoint;
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto ep = Discover(now);
    if (!ep.ok()) return ep.failure();
    endpoint = ep->introspection_endpoint;
  }
  if (endpoint.empty()) return OidcFailure{OidcError::kProviderError, "provider offers no introspection_endpoint", ""};
  std::vector<std::pair<std::string, std::string>> form = {{"token", std::string(token)},
                                                           {"token_type_hint", "access_token"}};
  introspections_.fetch_add(1);
  auto res = http_.PostForm(endpoint, form, config_.client_id, &client_secret_);
  std::fill(form[0].second.begin(), form[0].second.end(), '\0');
  if (!res.ok()) return OidcFailure{OidcError::kProviderUnavailable, "introspection: " + res.status().message(), ""};
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || body.is_discarded() || !body.is_object())
    return OidcFailure{OidcError::kProviderError,
                       "introspection answered HTTP " + std::to_string(res->status) +
                           (body.is_object() ? " " + Printable(StringField(body, "error")) : ""), ""};
  auto active = body.find("active");
  if (active == body.end() || !active->is_boolean() || !active->get<bool>())
    return OidcFailure{OidcError::kTokenInactive, "the provider says the token is not active (revoked, expired or unknown)", ""};
  if (!body.contains("iss")) body["iss"] = config_.issuer;  // the provider's own answer, over its verified channel
  auto checked = CheckClaims(config_, nlohmann::json::object(), body, TokenKind::kIntrospectedAccessToken, now);
  if (!checked.ok()) return checked.failure();
  if (config_.result_cache.count() > 0) {
    std::lock_guard<std::mutex> lock(introspection_mu_);
    if (introspected_.size() >= kMaxIntrospectionCache) {
      for (auto it = introspected_.begin(); it != introspected_.end();)
        it = now >= it->second.valid_until || now >= it->second.token.expires ? introspected_.erase(it) : std::next(it);
      if (introspected_.size() >= kMaxIntrospectionCache) introspected_.clear();
    }
    introspected_[key] = IntrospectionEntry{checked.value(), std::min(checked->expires, now + config_.result_cache)};
  }
  return checked;
}

OidcResult<nlohmann::json> OidcProvider::TokenRequest(const std::string& token_endpoint,
                                                      std::vector<std::pair<std::string, std::string>> form) {
  if (client_secret_.empty()) form.emplace_back("client_id", config_.client_id);
  auto res = http_.PostForm(token_endpoint, form, config_.client_id, &client_secret_);
  for (auto& kv : form) std::fill(kv.second.begin(), kv.second.end(), '\0');
  if (!res.ok()) return OidcFailure{OidcError::kProviderUnavailable, "token endpoint: " + res.status().message(), ""};
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return OidcFailure{OidcError::kProviderError, "token endpoint answered HTTP " + std::to_string(res->status) + " without JSON", ""};
  if (res->status == 200) return body;
  std::string error = StringField(body, "error");
  std::string detail = "token endpoint: " + Printable(error);
  std::string desc = StringField(body, "error_description");
  if (!desc.empty()) detail += " (" + Printable(desc, 160) + ")";
  if (error == "authorization_pending") return OidcFailure{OidcError::kAuthorizationPending, "the user has not finished signing in", ""};
  if (error == "slow_down") return OidcFailure{OidcError::kSlowDown, "poll less often", ""};
  if (error == "expired_token") return OidcFailure{OidcError::kFlowExpired, detail, ""};
  if (error == "access_denied") return OidcFailure{OidcError::kDenied, detail, ""};
  if (error == "invalid_grant") return OidcFailure{OidcError::kDenied, detail, ""};
  return OidcFailure{OidcError::kProviderError, detail, ""};
}

OidcResult<Identity> OidcProvider::IdentityFromTokenResponse(const nlohmann::json& response, SystemTime now,
                                                             const std::string* nonce) {
  std::string id_token = StringField(response, "id_token");
  if (id_token.empty())
    return OidcFailure{OidcError::kProviderError, "token response has no id_token (is 'openid' in scopes?)", ""};
  auto v = Validator(now);
  if (!v.ok()) return v.failure();
  auto validated = v.value()->Validate(id_token, TokenKind::kIdToken, now, nonce);
  std::fill(id_token.begin(), id_token.end(), '\0');
  if (!validated.ok()) return validated.failure();
  return std::move(validated.value().identity);
}

void OidcProvider::PurgeExpiredLocked(SystemTime now) {
  for (auto it = device_.begin(); it != device_.end();) it = (now >= it->second.expires && !it->second.busy) ? device_.erase(it) : std::next(it);
  for (auto it = code_.begin(); it != code_.end();) {
    // A finished outcome waits for its poll until the flow's expiry too.
    if (now >= it->second.expires && !it->second.exchanging) {
      code_by_state_.erase(it->second.state);
      it = code_.erase(it);
    } else {
      ++it;
    }
  }
}

// ---- device authorization grant (RFC 8628) ----

OidcResult<DeviceFlowStart> OidcProvider::BeginDeviceFlow(SystemTime now) {
  std::string endpoint;
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto ep = Discover(now);
    if (!ep.ok()) return ep.failure();
    endpoint = ep->device_authorization_endpoint;
  }
  if (endpoint.empty()) return OidcFailure{OidcError::kProviderError, "provider does not offer the device flow", ""};
  {
    std::lock_guard<std::mutex> lock(flows_mu_);
    PurgeExpiredLocked(now);
    if (device_.size() + code_.size() >= kMaxPendingFlows)
      return OidcFailure{OidcError::kTooManyFlows, "too many pending OIDC logins; try again later", ""};
  }
  std::string scope;
  for (const auto& s : config_.scopes) scope += (scope.empty() ? "" : " ") + s;
  std::vector<std::pair<std::string, std::string>> form = {{"scope", scope}};
  if (client_secret_.empty()) form.emplace_back("client_id", config_.client_id);
  auto res = http_.PostForm(endpoint, form, config_.client_id, &client_secret_);
  if (!res.ok()) return OidcFailure{OidcError::kProviderUnavailable, "device authorization: " + res.status().message(), ""};
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || body.is_discarded() || !body.is_object())
    return OidcFailure{OidcError::kProviderError,
                       "device authorization answered HTTP " + std::to_string(res->status) +
                           (body.is_object() ? " " + Printable(StringField(body, "error")) : ""), ""};
  DeviceFlowStart start;
  DeviceEntry entry;
  entry.device_code = StringField(body, "device_code");
  start.user_code = StringField(body, "user_code");
  start.verification_uri = StringField(body, "verification_uri");
  if (start.verification_uri.empty()) start.verification_uri = StringField(body, "verification_url");  // Google
  start.verification_uri_complete = StringField(body, "verification_uri_complete");
  if (entry.device_code.empty() || start.user_code.empty() || start.verification_uri.empty())
    return OidcFailure{OidcError::kProviderError, "device authorization response lacks device_code, user_code or verification_uri", ""};
  int64_t interval = body.contains("interval") && body["interval"].is_number_integer() ? body["interval"].get<int64_t>() : 5;
  int64_t expires_in = body.contains("expires_in") && body["expires_in"].is_number_integer() ? body["expires_in"].get<int64_t>() : 600;
  start.interval = std::chrono::seconds(std::clamp<int64_t>(interval, 1, 60));
  start.expires_in = std::chrono::seconds(std::clamp<int64_t>(expires_in, 10, 3600));
  entry.interval = start.interval;
  entry.next_poll = now + start.interval;
  entry.expires = now + start.expires_in;
  auto handle = RandomUrlSafe();
  if (!handle.ok()) return OidcFailure{OidcError::kInternal, handle.status().message(), ""};
  start.handle = handle.value();
  std::lock_guard<std::mutex> lock(flows_mu_);
  device_[start.handle] = std::move(entry);
  return start;
}

OidcResult<Identity> OidcProvider::PollDeviceFlow(const std::string& handle, SystemTime now) {
  std::string device_code;
  std::string token_endpoint;
  {
    std::lock_guard<std::mutex> lock(flows_mu_);
    auto it = device_.find(handle);
    if (it == device_.end()) return OidcFailure{OidcError::kFlowUnknown, "unknown or finished device login", ""};
    DeviceEntry& e = it->second;
    if (now >= e.expires && !e.busy) {
      device_.erase(it);
      return OidcFailure{OidcError::kFlowExpired, "the device code expired before the user signed in", ""};
    }
    if (e.busy || now < e.next_poll)
      return OidcFailure{OidcError::kSlowDown, "poll no more often than every " + std::to_string(e.interval.count()) + " s", ""};
    e.busy = true;
    e.next_poll = now + e.interval;
    device_code = e.device_code;
  }
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto ep = Discover(now);
    if (ep.ok()) token_endpoint = ep->token_endpoint;
  }
  OidcResult<Identity> outcome = OidcFailure{OidcError::kProviderUnavailable, "provider discovery failed", ""};
  if (!token_endpoint.empty()) {
    auto res = TokenRequest(token_endpoint, {{"grant_type", kDeviceGrant}, {"device_code", device_code}});
    outcome = res.ok() ? IdentityFromTokenResponse(res.value(), now, nullptr) : OidcResult<Identity>(res.failure());
  }
  std::fill(device_code.begin(), device_code.end(), '\0');
  std::lock_guard<std::mutex> lock(flows_mu_);
  auto it = device_.find(handle);
  if (it == device_.end()) return outcome;
  it->second.busy = false;
  OidcError e = outcome.error();
  if (e == OidcError::kSlowDown) {
    it->second.interval += std::chrono::seconds(5);  // RFC 8628 3.5
    it->second.next_poll = now + it->second.interval;
  } else if (e != OidcError::kAuthorizationPending && e != OidcError::kProviderUnavailable) {
    device_.erase(it);  // finished: success or a final refusal
  }
  return outcome;
}

// ---- authorization code + PKCE ----

OidcResult<CodeFlowStart> OidcProvider::BeginCodeFlow(const std::string& redirect_uri, SystemTime now) {
  bool ok_uri = (IsLoopbackHttp(redirect_uri) || redirect_uri.rfind("https://", 0) == 0) &&
                redirect_uri.find('#') == std::string::npos && redirect_uri.find_first_of(" \r\n\t") == std::string::npos &&
                redirect_uri.size() < 1024;
  if (!ok_uri)
    return OidcFailure{OidcError::kInvalidRequest, "redirect_uri must be http://127.0.0.1|localhost|[::1]:port/… or https://…", ""};
  std::string endpoint;
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto ep = Discover(now);
    if (!ep.ok()) return ep.failure();
    endpoint = ep->authorization_endpoint;
  }
  if (endpoint.empty()) return OidcFailure{OidcError::kProviderError, "provider has no authorization_endpoint", ""};
  auto state = RandomUrlSafe(), nonce = RandomUrlSafe(), verifier = RandomUrlSafe(), poll = RandomUrlSafe();
  if (!state.ok() || !nonce.ok() || !verifier.ok() || !poll.ok()) return OidcFailure{OidcError::kInternal, "random generator failed", ""};
  std::string scope;
  for (const auto& s : config_.scopes) scope += (scope.empty() ? "" : " ") + s;
  CodeFlowStart start;
  start.state = state.value();
  start.poll_handle = poll.value();
  start.expires = now + config_.flow_timeout;
  start.authorize_url = endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") +
                        "response_type=code&client_id=" + UrlEncode(config_.client_id) +
                        "&redirect_uri=" + UrlEncode(redirect_uri) + "&scope=" + UrlEncode(scope) +
                        "&state=" + UrlEncode(start.state) + "&nonce=" + UrlEncode(nonce.value()) +
                        "&code_challenge=" + UrlEncode(PkceS256Challenge(verifier.value())) +
                        "&code_challenge_method=S256";
  CodeEntry entry;
  entry.state = start.state;
  entry.nonce = nonce.value();
  entry.verifier = verifier.value();
  entry.redirect_uri = redirect_uri;
  entry.expires = start.expires;
  std::lock_guard<std::mutex> lock(flows_mu_);
  PurgeExpiredLocked(now);
  if (device_.size() + code_.size() >= kMaxPendingFlows)
    return OidcFailure{OidcError::kTooManyFlows, "too many pending OIDC logins; try again later", ""};
  code_by_state_[start.state] = start.poll_handle;
  code_[start.poll_handle] = std::move(entry);
  return start;
}

OidcResult<Identity> OidcProvider::HandleRedirect(const std::map<std::string, std::string>& query, SystemTime now) {
  auto get = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  std::string state = get("state");
  if (state.empty()) return OidcFailure{OidcError::kInvalidRequest, "redirect without state", ""};
  std::string error = get("error");
  if (!error.empty()) {
    OidcResult<Identity> outcome = OidcFailure{error == "access_denied" ? OidcError::kDenied : OidcError::kProviderError,
                                               "provider redirected with error " + Printable(error), ""};
    std::lock_guard<std::mutex> lock(flows_mu_);
    auto s = code_by_state_.find(state);
    if (s == code_by_state_.end()) return OidcFailure{OidcError::kFlowUnknown, "unknown or already used state", ""};
    auto it = code_.find(s->second);
    if (it == code_.end() || it->second.exchanging || it->second.outcome)
      return OidcFailure{OidcError::kFlowUnknown, "unknown or already used state", ""};
    it->second.outcome = outcome;
    return outcome;
  }
  std::string code = get("code");
  if (code.empty()) return OidcFailure{OidcError::kInvalidRequest, "redirect without code", ""};
  return CompleteCodeFlow(state, code, get("iss"), now);
}

OidcResult<Identity> OidcProvider::CompleteCodeFlow(const std::string& state, const std::string& code,
                                                    const std::string& iss, SystemTime now) {
  std::string poll_handle, nonce, verifier, redirect_uri;
  {
    std::lock_guard<std::mutex> lock(flows_mu_);
    auto s = code_by_state_.find(state);
    if (s == code_by_state_.end()) return OidcFailure{OidcError::kFlowUnknown, "unknown or already used state", ""};
    auto it = code_.find(s->second);
    if (it == code_.end() || it->second.exchanging || it->second.outcome)
      return OidcFailure{OidcError::kFlowUnknown, "unknown or already used state", ""};
    if (now >= it->second.expires) {
      code_.erase(it);
      code_by_state_.erase(s);
      return OidcFailure{OidcError::kFlowExpired, "the browser login took longer than flow_timeout_seconds", ""};
    }
    it->second.exchanging = true;  // one exchange per state, even under concurrent redirects
    poll_handle = s->second;
    nonce = it->second.nonce;
    verifier = it->second.verifier;
    redirect_uri = it->second.redirect_uri;
  }
  std::string token_endpoint;
  bool iss_supported = false;
  {
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto ep = Discover(now);
    if (ep.ok()) {
      token_endpoint = ep->token_endpoint;
      iss_supported = ep->iss_parameter_supported;
    }
  }
  OidcResult<Identity> outcome = OidcFailure{OidcError::kProviderUnavailable, "provider discovery failed", ""};
  if ((!iss.empty() && iss != config_.issuer) || (iss.empty() && iss_supported)) {
    outcome = OidcFailure{OidcError::kWrongIssuer, "redirect's iss parameter does not name the configured issuer (mix-up)", ""};
  } else if (!token_endpoint.empty()) {
    auto res = TokenRequest(token_endpoint, {{"grant_type", "authorization_code"},
                                             {"code", code},
                                             {"redirect_uri", redirect_uri},
                                             {"code_verifier", verifier}});
    outcome = res.ok() ? IdentityFromTokenResponse(res.value(), now, &nonce) : OidcResult<Identity>(res.failure());
  }
  std::lock_guard<std::mutex> lock(flows_mu_);
  auto it = code_.find(poll_handle);
  if (it != code_.end()) {
    it->second.exchanging = false;
    it->second.outcome = outcome;
    it->second.verifier.assign(it->second.verifier.size(), '\0');
  }
  return outcome;
}

OidcResult<Identity> OidcProvider::PollCodeFlow(const std::string& poll_handle, SystemTime now) {
  std::lock_guard<std::mutex> lock(flows_mu_);
  auto it = code_.find(poll_handle);
  if (it == code_.end()) return OidcFailure{OidcError::kFlowUnknown, "unknown or finished browser login", ""};
  if (it->second.outcome) {
    OidcResult<Identity> out = *it->second.outcome;
    code_by_state_.erase(it->second.state);
    code_.erase(it);
    return out;
  }
  if (now >= it->second.expires && !it->second.exchanging) {
    code_by_state_.erase(it->second.state);
    code_.erase(it);
    return OidcFailure{OidcError::kFlowExpired, "the browser login was not completed in time", ""};
  }
  return OidcFailure{OidcError::kAuthorizationPending, "waiting for the browser login", ""};
}

AuthOutcome ToAuthOutcome(const OidcResult<Identity>& result) {
  AuthOutcome out;
  if (result.ok()) {
    out.success.identity = result.value();
    return out;
  }
  out.failure = ToLoginFailure(result.error());
  out.detail = std::string("oidc ") + OidcErrorName(result.error()) + ": " + result.failure().detail;
  return out;
}

AuthOutcome ToAuthOutcome(const OidcResult<ValidatedToken>& result) {
  return result.ok() ? ToAuthOutcome(OidcResult<Identity>(result.value().identity))
                     : ToAuthOutcome(OidcResult<Identity>(result.failure()));
}

std::vector<std::shared_ptr<OidcProvider>> BuildOidcProviders(const YAML::Node& oidc_section, const std::string& file,
                                                              std::vector<Diagnostic>* errors) {
  std::vector<std::shared_ptr<OidcProvider>> out;
  for (auto& config : ParseOidcProviders(oidc_section, file, errors)) {
    std::string name = config.name;
    auto p = OidcProvider::Create(std::move(config));
    if (!p.ok()) {
      errors->push_back(Diagnostic{file, 0, 0, "oidc provider '" + name + "': " + p.status().message()});
      continue;
    }
    out.push_back(std::shared_ptr<OidcProvider>(std::move(p).value()));
  }
  return out;
}

std::string RedirectPageHtml(const OidcResult<Identity>& result) {
  std::string body;
  if (result.ok()) {
    body = "<h1>Signed in</h1><p>Signed in as " + HtmlEscape(result.value().user) +
           ". You can close this window and return to the application.</p>";
  } else {
    const char* what = "The sign-in could not be completed.";
    switch (result.error()) {
      case OidcError::kDenied: what = "The sign-in was cancelled or refused at the identity provider."; break;
      case OidcError::kFlowUnknown:
        what = "This sign-in link is unknown, expired or was already used.";
        break;
      case OidcError::kFlowExpired: what = "The sign-in took too long and expired."; break;
      case OidcError::kInvalidRequest: what = "The identity provider's answer was incomplete or malformed."; break;
      case OidcError::kProviderUnavailable:
      case OidcError::kProviderError: what = "The identity provider could not be reached or answered an error."; break;
      default: what = "The identity provider's answer was refused."; break;
    }
    // The precise reason goes to the log and the history, not to the browser.
    body = "<h1>Sign-in failed</h1><p>" + std::string(what) + " Return to the application and start the sign-in again.</p>";
  }
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>idbridge sign-in</title></head><body>" + body +
         "</body></html>";
}

namespace {

std::string Page(const std::string& body) {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>idbridge sign-in</title></head><body>" + body +
         "</body></html>";
}

}  // namespace

std::string RedirectNoAccessPageHtml(const std::string& user) {
  return Page("<h1>No access</h1><p>The identity provider signed you in as " + HtmlEscape(user) +
              ", but this account has no access to the application: no security profile is mapped to it. "
              "Ask your IT administrator for access, then start the sign-in again.</p>");
}

std::string RedirectUndecidedPageHtml() {
  return Page("<h1>Sign-in failed</h1><p>The identity provider signed you in, but the sign-in service could not "
              "decide on your access right now. Return to the application and try again later.</p>");
}

}  // namespace idb::oidc
