#include "oidc/jwks_cache.h"

#include <cjose/base64.h>
#include <cjose/util.h>
#include <nlohmann/json.hpp>

namespace idb::oidc {
namespace {

// Bytes of an RSA modulus given as base64url (leading zero bytes not counted);
// 0 when it is missing or not base64url.
size_t ModulusBytes(const nlohmann::json& jwk) {
  if (!jwk.contains("n") || !jwk["n"].is_string()) return 0;
  const std::string n = jwk["n"].get<std::string>();
  uint8_t* raw = nullptr;
  size_t len = 0;
  cjose_err err;
  if (!cjose_base64url_decode(n.data(), n.size(), &raw, &len, &err)) return 0;
  size_t lead = 0;
  while (lead < len && raw[lead] == 0) ++lead;
  cjose_get_dealloc()(raw);
  return len - lead;
}

}  // namespace

JwksCache::JwksCache(Fetcher fetch, std::chrono::seconds refetch_interval, std::chrono::seconds result_cache,
                     size_t result_cache_entries)
    : fetch_(std::move(fetch)), refetch_interval_(refetch_interval) {
  cache_seconds_ = static_cast<long>(result_cache.count());
  // A cache of one slot when the result cache is off keeps liboauth2's scans cheap.
  cache_name_ = CreateResultCache(cache_seconds_ > 0 ? result_cache_entries : 1);
  if (cache_name_.empty()) cache_seconds_ = 0;  // never fall back to liboauth2's shared default cache
}

std::shared_ptr<const KeySnapshot> JwksCache::Current() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

uint64_t JwksCache::fetch_count() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(fetch_mu_));
  return fetch_count_;
}

std::vector<std::shared_ptr<const VerifyKey>> JwksCache::Match(const KeySnapshot& s, const std::string& kid,
                                                               const std::string& kty) {
  std::vector<std::shared_ptr<const VerifyKey>> out;
  for (const auto& k : s.keys) {
    if (k->kty != kty) continue;
    if (!kid.empty() && k->kid != kid) continue;
    out.push_back(k);
  }
  return out;
}

OidcResult<std::shared_ptr<const KeySnapshot>> JwksCache::Parse(const std::string& document,
                                                                const std::string& cache_name, long cache_seconds) {
  nlohmann::json doc = nlohmann::json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return OidcFailure{OidcError::kProviderError, "JWKS document is not valid JSON (truncated?)", ""};
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return OidcFailure{OidcError::kProviderError, "JWKS document has no \"keys\" list", ""};
  auto snap = std::make_shared<KeySnapshot>();
  std::string last_error;
  for (const auto& jwk : doc["keys"]) {
    if (!jwk.is_object()) continue;
    std::string kty = jwk.contains("kty") && jwk["kty"].is_string() ? jwk["kty"].get<std::string>() : "";
    if (kty != "RSA" && kty != "EC") continue;  // never symmetric (oct) keys
    if (jwk.contains("use") && jwk["use"] != "sig") continue;
    if (jwk.contains("d")) continue;  // a private key has no place in a JWKS: refuse to use it
    auto key = std::make_shared<VerifyKey>();
    key->kty = kty;
    if (jwk.contains("kid") && jwk["kid"].is_string()) key->kid = jwk["kid"].get<std::string>();
    if (jwk.contains("alg") && jwk["alg"].is_string()) key->alg = jwk["alg"].get<std::string>();
    if (kty == "EC") {
      key->crv = jwk.contains("crv") && jwk["crv"].is_string() ? jwk["crv"].get<std::string>() : "";
      if (key->crv != "P-256" && key->crv != "P-384" && key->crv != "P-521") continue;
    } else {
      key->signature_bytes = ModulusBytes(jwk);
      if (key->signature_bytes == 0) continue;
    }
    std::string error;
    key->verify = MakeJwkVerifier(jwk.dump(), cache_name, cache_seconds, &error);
    if (!key->verify) {
      last_error = error;
      continue;
    }
    snap->keys.push_back(std::move(key));
  }
  if (snap->keys.empty())
    return OidcFailure{OidcError::kProviderError,
                       "JWKS document has no usable RSA/EC signing key" + (last_error.empty() ? "" : " (" + last_error + ")"),
                       ""};
  return std::shared_ptr<const KeySnapshot>(std::move(snap));
}

Status JwksCache::Warm(SystemTime now) {
  if (Current()) return Status::Ok();
  auto r = Find("\x01warm", "RSA", now);  // a kid no key has: fetches once
  if (Current()) return Status::Ok();
  return r.ok() ? Internal("JWKS warm-up found no keys") : r.ToStatus();
}

OidcResult<std::vector<std::shared_ptr<const VerifyKey>>> JwksCache::Find(const std::string& kid,
                                                                          const std::string& kty, SystemTime now) {
  if (auto snap = Current()) {
    auto keys = Match(*snap, kid, kty);
    if (!keys.empty()) return keys;
  }
  std::lock_guard<std::mutex> lock(fetch_mu_);
  auto snap = Current();  // another caller may have refreshed while we waited
  if (snap) {
    auto keys = Match(*snap, kid, kty);
    if (!keys.empty()) return keys;
  }
  if (last_attempt_ && now < *last_attempt_ + refetch_interval_ && now >= *last_attempt_) {
    if (!snap)
      return OidcFailure{OidcError::kProviderUnavailable, "JWKS not available (last fetch failed: " + last_error_ + ")", ""};
    return OidcFailure{OidcError::kUnknownKey,
                       "no signing key with kid '" + kid + "' (" + kty + "); JWKS refetch is rate-limited to one per " +
                           std::to_string(refetch_interval_.count()) + " s",
                       ""};
  }
  last_attempt_ = now;
  ++fetch_count_;
  auto text = fetch_();
  if (!text.ok()) {
    last_error_ = text.status().message();
    OidcError e = text.status().code() == ErrorCode::kUnavailable ? OidcError::kProviderUnavailable : OidcError::kProviderError;
    return OidcFailure{e, "JWKS fetch failed: " + last_error_, ""};
  }
  auto parsed = Parse(*text, cache_name_, cache_seconds_);
  if (!parsed.ok()) {
    last_error_ = parsed.failure().detail;
    return parsed.failure();  // previous keys (if any) are kept
  }
  last_error_.clear();
  {
    std::lock_guard<std::mutex> slock(snapshot_mu_);
    snapshot_ = parsed.value();
  }
  auto keys = Match(*parsed.value(), kid, kty);
  if (keys.empty())
    return OidcFailure{OidcError::kUnknownKey, "no signing key with kid '" + kid + "' (" + kty + ") in the provider's JWKS", ""};
  return keys;
}

}  // namespace idb::oidc
