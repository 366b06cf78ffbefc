#include "oidc_signer.h"

#include <cjose/cjose.h>

namespace idb::testing {

std::unique_ptr<TestSigner> TestSigner::Create(const std::string& alg, const std::string& kid) {
  std::unique_ptr<TestSigner> s(new TestSigner());
  s->alg_ = alg;
  s->kid_ = kid;
  cjose_err err;
  if (alg == "RS256") {
    static const uint8_t e[] = {0x01, 0x00, 0x01};
    s->jwk_ = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);
  } else if (alg == "ES256") {
    s->jwk_ = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
  }
  if (s->jwk_ == nullptr) return nullptr;
  if (!cjose_jwk_set_kid(s->jwk_, kid.c_str(), kid.size(), &err)) return nullptr;
  return s;
}

std::unique_ptr<TestSigner> TestSigner::FromPrivateJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object() || !jwk.contains("d") || !jwk.value("kid", "").size() || !jwk.value("alg", "").size()) return nullptr;
  std::unique_ptr<TestSigner> s(new TestSigner());
  s->alg_ = jwk["alg"].get<std::string>();
  s->kid_ = jwk["kid"].get<std::string>();
  std::string text = jwk.dump();
  cjose_err err;
  s->jwk_ = cjose_jwk_import(text.c_str(), text.size(), &err);
  if (s->jwk_ == nullptr) return nullptr;
  return s;
}

TestSigner::~TestSigner() {
  if (jwk_) cjose_jwk_release(jwk_);
}

nlohmann::json TestSigner::PublicJwk() const {
  cjose_err err;
  char* text = cjose_jwk_to_json(jwk_, false, &err);
  nlohmann::json j = nlohmann::json::parse(text ? text : "{}", nullptr, false);
  if (text) cjose_get_dealloc()(text);
  j["alg"] = alg_;
  j["use"] = "sig";
  return j;
}

std::string TestSigner::Sign(const nlohmann::json& payload, const nlohmann::json& extra_header) const {
  cjose_err err;
  cjose_header_t* hdr = cjose_header_new(&err);
  cjose_header_set(hdr, CJOSE_HDR_KID, kid_.c_str(), &err);
  cjose_header_set(hdr, CJOSE_HDR_ALG, alg_.c_str(), &err);
  for (auto it = extra_header.begin(); it != extra_header.end(); ++it)
    if (it.value().is_string()) cjose_header_set(hdr, it.key().c_str(), it.value().get<std::string>().c_str(), &err);
  std::string text = payload.dump();
  cjose_jws_t* jws = cjose_jws_sign(jwk_, hdr, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &err);
  std::string out;
  const char* compact = nullptr;
  if (jws && cjose_jws_export(jws, &compact, &err)) out = compact;
  if (jws) cjose_jws_release(jws);
  cjose_header_release(hdr);
  return out;
}

}  // namespace idb::testing
