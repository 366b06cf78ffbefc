// TokenValidator and JwksCache with tokens signed in the test (cjose) and a
// JWKS served by a fake fetcher: signatures through liboauth2, kid lookup,
// rate-limited refetch, broken documents keeping the previous keys.
#include <gtest/gtest.h>

#include "oidc/jwks_cache.h"
#include "oidc/token_validator.h"
#include "oidc_signer.h"

namespace idb::oidc {
namespace {

using testing::TestSigner;

const SystemTime kNow = SystemTime(std::chrono::seconds(1'700'000'000));
const int64_t kNowS = 1'700'000'000;

nlohmann::json Payload() {
  return {{"iss", "https://idp.example"}, {"aud", "fleet-app"}, {"preferred_username", "alice"},
          {"exp", kNowS + 300}, {"iat", kNowS}, {"groups", {"Mechanics"}}};
}

OidcProviderConfig Config() {
  OidcProviderConfig c;
  c.name = "corp";
  c.issuer = "https://idp.example";
  c.client_id = "fleet-app";
  return c;
}

struct Rig {
  std::unique_ptr<TestSigner> rsa = TestSigner::Create("RS256", "k1");
  std::unique_ptr<TestSigner> ec = TestSigner::Create("ES256", "e1");
  std::string document;
  int fetches = 0;
  std::shared_ptr<JwksCache> cache;
  std::unique_ptr<TokenValidator> validator;

  explicit Rig(std::chrono::seconds result_cache = std::chrono::seconds(60)) {
    document = nlohmann::json({{"keys", {rsa->PublicJwk(), ec->PublicJwk()}}}).dump();
    cache = std::make_shared<JwksCache>(
        [this]() -> Result<std::string> {
          ++fetches;
          return document;
        },
        std::chrono::seconds(60), result_cache);
    validator = std::make_unique<TokenValidator>(Config(), cache);
  }
  OidcError Validate(const std::string& t, SystemTime now = kNow) {
    return validator->Validate(t, TokenKind::kIdToken, now).error();
  }
};

TEST(TokenValidator, AcceptsRs256AndEs256) {
  Rig rig;
  EXPECT_EQ(rig.Validate(rig.rsa->Sign(Payload())), OidcError::kNone);
  EXPECT_EQ(rig.Validate(rig.ec->Sign(Payload())), OidcError::kNone);
  EXPECT_EQ(rig.fetches, 1);
}

TEST(TokenValidator, TokenSignedByAnotherKeyWithTheSameKidIsBadSignature) {
  Rig rig;
  auto impostor = TestSigner::Create("RS256", "k1");
  EXPECT_EQ(rig.Validate(impostor->Sign(Payload())), OidcError::kBadSignature);
  EXPECT_EQ(rig.fetches, 1);  // a known kid never refetches
}

TEST(TokenValidator, AlgorithmOutsideAllowedAlgsIsRefused) {
  Rig rig;
  auto c = Config();
  c.allowed_algs = {"ES256"};
  TokenValidator only_ec(c, rig.cache);
  EXPECT_EQ(only_ec.Validate(rig.rsa->Sign(Payload()), TokenKind::kIdToken, kNow).error(), OidcError::kAlgNotAllowed);
}

TEST(TokenValidator, CritHeaderIsRefused) {
  Rig rig;
  EXPECT_EQ(rig.Validate(rig.rsa->Sign(Payload(), {{"crit", "exp"}})), OidcError::kMalformed);
}

TEST(TokenValidator, ExpiredTokenIsRefusedAfterACachedSuccess) {
  Rig rig;
  std::string t = rig.rsa->Sign(Payload());
  ASSERT_EQ(rig.Validate(t), OidcError::kNone);
  EXPECT_EQ(rig.Validate(t, kNow + std::chrono::seconds(361)), OidcError::kExpired);
}

TEST(TokenValidator, ResultCacheOffStillValidates) {
  Rig rig(std::chrono::seconds(0));
  std::string t = rig.rsa->Sign(Payload());
  EXPECT_EQ(rig.Validate(t), OidcError::kNone);
  EXPECT_EQ(rig.Validate(t), OidcError::kNone);
}

TEST(JwksCache, UnknownKidRefetchesOncePerInterval) {
  Rig rig;
  auto stranger = TestSigner::Create("RS256", "k2");
  std::string t = stranger->Sign(Payload());
  EXPECT_EQ(rig.Validate(t), OidcError::kUnknownKey);
  EXPECT_EQ(rig.fetches, 1);
  EXPECT_EQ(rig.Validate(t, kNow + std::chrono::seconds(10)), OidcError::kUnknownKey);
  EXPECT_EQ(rig.fetches, 1);
  // The key is published (rotation); after the interval one refetch finds it.
  rig.document = nlohmann::json({{"keys", {rig.rsa->PublicJwk(), stranger->PublicJwk()}}}).dump();
  EXPECT_EQ(rig.Validate(t, kNow + std::chrono::seconds(61)), OidcError::kNone);
  EXPECT_EQ(rig.fetches, 2);
}

TEST(JwksCache, BrokenDocumentKeepsThePreviousKeys) {
  Rig rig;
  ASSERT_EQ(rig.Validate(rig.rsa->Sign(Payload())), OidcError::kNone);
  rig.document = rig.document.substr(0, rig.document.size() / 2);
  auto stranger = TestSigner::Create("RS256", "k9");
  EXPECT_EQ(rig.Validate(stranger->Sign(Payload()), kNow + std::chrono::seconds(120)), OidcError::kProviderError);
  EXPECT_EQ(rig.Validate(rig.rsa->Sign(Payload()), kNow + std::chrono::seconds(121)), OidcError::kNone);
}

TEST(JwksCache, SymmetricAndPrivateKeysAreNeverUsed) {
  auto doc = nlohmann::json({{"keys", {{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "k1"}}}}}).dump();
  EXPECT_EQ(JwksCache::Parse(doc, "", 0).error(), OidcError::kProviderError);
  auto signer = TestSigner::Create("RS256", "k1");
  auto pub = signer->PublicJwk();
  pub["d"] = "private-part";
  EXPECT_EQ(JwksCache::Parse(nlohmann::json({{"keys", {pub}}}).dump(), "", 0).error(), OidcError::kProviderError);
}

TEST(JwksCache, UnreachableProviderIsUnavailableAndRetriedAfterTheInterval) {
  int fetches = 0;
  JwksCache cache([&]() -> Result<std::string> {
    ++fetches;
    return Unavailable("connection refused");
  }, std::chrono::seconds(30), std::chrono::seconds(0));
  EXPECT_EQ(cache.Find("k1", "RSA", kNow).error(), OidcError::kProviderUnavailable);
  EXPECT_EQ(cache.Find("k1", "RSA", kNow + std::chrono::seconds(5)).error(), OidcError::kProviderUnavailable);
  EXPECT_EQ(fetches, 1);
  EXPECT_EQ(cache.Find("k1", "RSA", kNow + std::chrono::seconds(31)).error(), OidcError::kProviderUnavailable);
  EXPECT_EQ(fetches, 2);
}

}  // namespace
}  // namespace idb::oidc
