// Concurrent token validation through one TokenValidator (the daemon's hot
// path): valid, tampered and expired tokens from 4 threads, with liboauth2's
// result cache on and a cold JWKS cache that must be fetched exactly once.
// Label tsan: run again under ThreadSanitizer.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "oidc/jwks_cache.h"
#include "oidc/token_validator.h"
#include "oidc_signer.h"

namespace idb::oidc {
namespace {

TEST(ConcurrentValidation, FourThreadsGetTheRightAnswerAndOneJwksFetch) {
  const int64_t now_s = 1'700'000'000;
  const SystemTime now = SystemTime(std::chrono::seconds(now_s));
  auto rsa = testing::TestSigner::Create("RS256", "k1");
  auto ec = testing::TestSigner::Create("ES256", "e1");
  std::string doc = nlohmann::json({{"keys", {rsa->PublicJwk(), ec->PublicJwk()}}}).dump();
  std::atomic<int> fetches{0};
  auto cache = std::make_shared<JwksCache>(
      [&]() -> Result<std::string> {
        ++fetches;
        return doc;
      },
      std::chrono::seconds(60), std::chrono::seconds(60));
  OidcProviderConfig c;
  c.name = "corp";
  c.issuer = "https://idp.example";
  c.client_id = "fleet-app";
  TokenValidator validator(c, cache);

  std::vector<std::string> valid, expired, tampered;
  for (int i = 0; i < 20; ++i) {
    nlohmann::json p = {{"iss", c.issuer}, {"aud", "fleet-app"}, {"preferred_username", "u" + std::to_string(i)},
                        {"exp", now_s + 300}, {"iat", now_s}};
    valid.push_back((i % 2 ? rsa : ec)->Sign(p));
    p["exp"] = now_s - 3600;
    expired.push_back(rsa->Sign(p));
    std::string t = valid.back();
    t[t.size() - 4] = t[t.size() - 4] == 'A' ? 'B' : 'A';
    tampered.push_back(t);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        size_t k = static_cast<size_t>((i + t) % 20);
        if (validator.Validate(valid[k], TokenKind::kIdToken, now).error() != OidcError::kNone) ++wrong;
        if (validator.Validate(expired[k], TokenKind::kIdToken, now).error() != OidcError::kExpired) ++wrong;
        OidcError e = validator.Validate(tampered[k], TokenKind::kIdToken, now).error();
        if (e != OidcError::kBadSignature && e != OidcError::kMalformed) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(fetches.load(), 1);
}

}  // namespace
}  // namespace idb::oidc
