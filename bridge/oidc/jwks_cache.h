// jwks_cache.h — a provider's signing keys, fetched, cached and rotated.
//
// Why: signatures are checked by liboauth2 (cjose underneath) with one
// verification context per JWK. We fetch the JWKS document ourselves because
// liboauth2 1.4.5.4's own jwks_uri mode refetches the JWKS after EVERY failed
// signature (a stream of forged tokens becomes a stream of requests to the
// IdP) and cannot tell "unknown kid" from "bad signature". Here:
//   - the document is fetched once and kept (no expiry: keys change by rotation);
//   - a token whose kid is unknown triggers ONE refetch, at most once per
//     `refetch_interval` (rate limit measured on the caller's clock), so a new
//     key after rotation works without a restart;
//   - a known kid with a bad signature never refetches;
//   - a truncated / invalid / empty document keeps the previous keys and is
//     reported as kProviderError; an unreachable JWKS as kProviderUnavailable.
// Only asymmetric signing keys (kty RSA with a modulus, or EC on P-256/384/521;
// use absent or sig; no private parts) are kept.
// Thread-safety: safe for concurrent use. Readers take a shared_ptr snapshot;
// one fetch at a time (others wait for it and then re-read the snapshot).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "core/user_adjustments.h"  // SystemTime
#include "oidc/liboauth2_support.h"
#include "oidc/oidc_result.h"

namespace idb::oidc {

struct VerifyKey {
  std::string kid;  // may be empty
  std::string kty;  // "RSA" | "EC"
  std::string alg;  // from the JWK, may be empty
  std::string crv;  // EC: "P-256" | "P-384" | "P-521"
  size_t signature_bytes = 0;  // RSA: the modulus length, which every signature must have exactly
  VerifyHandle verify;
};

struct KeySnapshot {
  std::vector<std::shared_ptr<const VerifyKey>> keys;
};

class JwksCache {
 public:
  // Returns the JWKS document text (or an error Status: kUnavailable for
  // network failures, anything else for a bad answer).
  using Fetcher = std::function<Result<std::string>()>;

  JwksCache(Fetcher fetch, std::chrono::seconds refetch_interval, std::chrono::seconds result_cache,
            size_t result_cache_entries = 256);

  // Keys that may have signed a token with this kid ("" = no kid: every key of
  // the kty) and key type. Fetches/refetches as described above.
  OidcResult<std::vector<std::shared_ptr<const VerifyKey>>> Find(const std::string& kid, const std::string& kty,
                                                                 SystemTime now);

  // Fetches now if nothing was fetched yet (daemon start, benchmarks).
  Status Warm(SystemTime now);

  // Parses a JWKS document into verification keys. kProviderError when the
  // document is not JSON, has no "keys" list, or no usable signing key.
  static OidcResult<std::shared_ptr<const KeySnapshot>> Parse(const std::string& document, const std::string& cache_name,
                                                              long cache_seconds);

  uint64_t fetch_count() const;  // documents requested so far (tests, metrics)

 private:
  std::shared_ptr<const KeySnapshot> Current() const;
  static std::vector<std::shared_ptr<const VerifyKey>> Match(const KeySnapshot& s, const std::string& kid,
                                                             const std::string& kty);

  Fetcher fetch_;
  std::chrono::seconds refetch_interval_;
  std::string cache_name_;
  long cache_seconds_;

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const KeySnapshot> snapshot_;  // guarded by snapshot_mu_

  std::mutex fetch_mu_;  // one fetch at a time; guards the fields below
  std::optional<SystemTime> last_attempt_;
  std::string last_error_;
  uint64_t fetch_count_ = 0;
};

}  // namespace idb::oidc
