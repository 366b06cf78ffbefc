// oidc_signer.h (tests/support) — signs JWTs with fresh RSA / EC keys via cjose.
//
// Why: unit tests and the benchmark need tokens with chosen claims (wrong iss,
// nbf in the future, thousands of distinct tokens) without a provider. Test
// code may sign; production code never hand-writes JWT crypto (it only
// verifies, through liboauth2).
// Ownership: owns its cjose key. Thread-safety: Sign() is safe to call from one
// thread at a time.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

typedef struct _cjose_jwk_int cjose_jwk_t;

namespace idb::testing {

class TestSigner {
 public:
  // "RS256" (RSA 2048) or "ES256" (P-256).
  static std::unique_ptr<TestSigner> Create(const std::string& alg, const std::string& kid);
  // A private JWK with "kid" and "alg" (e.g. an OidcTestProvider's own key).
  static std::unique_ptr<TestSigner> FromPrivateJwk(const nlohmann::json& jwk);
  ~TestSigner();

  const std::string& alg() const { return alg_; }
  const std::string& kid() const { return kid_; }
  nlohmann::json PublicJwk() const;  // {"kty":..., "kid":..., "alg":..., "use":"sig", ...}
  nlohmann::json Jwks() const { return {{"keys", {PublicJwk()}}}; }

  // Compact JWS of `payload`; extra header fields are merged (e.g. typ;
  // string values only). An "alg" there overrides the key's own algorithm.
  std::string Sign(const nlohmann::json& payload, const nlohmann::json& extra_header = nlohmann::json::object()) const;

 private:
  TestSigner() = default;
  std::string alg_, kid_;
  cjose_jwk_t* jwk_ = nullptr;
};

}  // namespace idb::testing
