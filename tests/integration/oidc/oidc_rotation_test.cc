// Key rotation: the provider restarts with new signing keys; a token with the
// new kid triggers one refetch and is accepted without restarting idbridge;
// tokens signed by the retired key are refused as unknown_key.
#include <gtest/gtest.h>

#include "oidc_test_env.h"

namespace idb::testing {
namespace {

using oidc::OidcError;
using oidc::TokenKind;

TEST(OidcRotation, NewKidIsFetchedOnceAndRetiredKeyIsRefused) {
  auto options = StandardOidcOptions(RedirectPort());
  options.kids = {"rsa-1", "ec-1"};
  auto started = OidcTestProvider::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto& op = *started.value();
  auto p = MakeProvider(TestConfig(op.issuer()));
  auto now = Now();

  auto old_tokens = ObtainTokens(op.issuer(), options.clients[0], "alice", "alice-pw");
  ASSERT_TRUE(old_tokens.ok());
  ASSERT_TRUE(p->ValidateToken(old_tokens->id_token, TokenKind::kIdToken, now).ok());
  EXPECT_EQ(p->jwks_fetch_count(), 1u);

  options.kids = {"rsa-2", "ec-2"};
  ASSERT_TRUE(op.Restart(options).ok());
  auto new_tokens = ObtainTokens(op.issuer(), options.clients[0], "alice", "alice-pw");
  ASSERT_TRUE(new_tokens.ok());
  auto r = p->ValidateToken(new_tokens->id_token, TokenKind::kIdToken, now + std::chrono::seconds(61));
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(p->jwks_fetch_count(), 2u);

  // The retired key: unknown kid; the refetch is rate-limited.
  EXPECT_EQ(p->ValidateToken(old_tokens->id_token, TokenKind::kIdToken, now + std::chrono::seconds(62)).error(),
            OidcError::kUnknownKey);
  EXPECT_EQ(p->jwks_fetch_count(), 2u);
  // After the interval, one more refetch, still unknown.
  EXPECT_EQ(p->ValidateToken(old_tokens->id_token, TokenKind::kIdToken, now + std::chrono::seconds(200)).error(),
            OidcError::kUnknownKey);
  EXPECT_EQ(p->jwks_fetch_count(), 3u);
}

}  // namespace
}  // namespace idb::testing
