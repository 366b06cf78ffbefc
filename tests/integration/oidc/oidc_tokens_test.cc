// Token login with real tokens from npm oidc-provider, and every refusal:
// tampered, alg none, HMAC with the public key, expired (also after a warm
// result cache), not yet valid, wrong audience (second client), access token
// as ID token, access tokens off by default, missing groups, Entra overage,
// garbage / 1 MB / NUL tokens,
// truncated JWKS, a provider that hangs.
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "oidc_test_env.h"

namespace idb::testing {
namespace {

using oidc::OidcError;
using oidc::TokenKind;

::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new OidcProviderEnvironment);

class OidcTokens : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NE(SharedProvider(), nullptr);
    const auto& clients = SharedProvider()->options().clients;
    auto alice = ObtainTokens(SharedProvider()->issuer(), clients[0], "alice", "alice-pw");
    ASSERT_TRUE(alice.ok()) << alice.status().ToString();
    alice_ = new OidcTestTokens(alice.value());
    auto other = ObtainTokens(SharedProvider()->issuer(), clients[1], "alice", "alice-pw");
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_app_ = new OidcTestTokens(other.value());
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete other_app_;
  }
  void SetUp() override {
    provider_ = MakeProvider(TestConfig(SharedProvider()->issuer()));
    ASSERT_NE(provider_, nullptr);
  }
  OidcError Refusal(const std::string& token, TokenKind kind = TokenKind::kIdToken, SystemTime now = Now()) {
    auto r = provider_->ValidateToken(token, kind, now);
    return r.error();
  }

  static OidcTestTokens* alice_;
  static OidcTestTokens* other_app_;
  std::unique_ptr<oidc::OidcProvider> provider_;
};
OidcTestTokens* OidcTokens::alice_ = nullptr;
OidcTestTokens* OidcTokens::other_app_ = nullptr;

TEST_F(OidcTokens, IdTokenLoginGivesIdentityGroupsAndClaims) {
  auto r = provider_->ValidateToken(alice_->id_token, TokenKind::kIdToken, Now());
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->identity.user, "alice");
  EXPECT_EQ(r->identity.source, "oidc:test");
  ASSERT_EQ(r->identity.groups.size(), 2u);
  EXPECT_EQ(r->identity.groups[1].cn, "Fleet Managers");
  EXPECT_EQ(r->identity.claims["department"], std::vector<std::string>{"Maintenance"});
}

TEST_F(OidcTokens, JwtAccessTokenLoginGivesIdentity) {
  ASSERT_EQ(std::count(alice_->access_token.begin(), alice_->access_token.end(), '.'), 2) << "provider did not issue a JWT access token";
  auto p = MakeProvider(AccessTokenConfig(SharedProvider()->issuer()));
  auto r = p->ValidateToken(alice_->access_token, TokenKind::kAccessToken, Now());
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->identity.user, "alice");
  EXPECT_EQ(r->identity.groups.size(), 2u);
}

TEST_F(OidcTokens, AccessTokenLoginIsOffByDefault) {
  EXPECT_EQ(provider_->ValidateAnyToken(alice_->access_token, Now()).error(), OidcError::kWrongTokenType);
  EXPECT_EQ(Refusal(alice_->access_token, TokenKind::kAccessToken), OidcError::kWrongTokenType);
}

TEST_F(OidcTokens, AnyTokenLoginRecognisesBothKinds) {
  provider_ = MakeProvider(AccessTokenConfig(SharedProvider()->issuer()));
  auto id = provider_->ValidateAnyToken(alice_->id_token, Now());
  ASSERT_TRUE(id.ok()) << id.failure().detail;
  auto at = provider_->ValidateAnyToken(alice_->access_token, Now());
  ASSERT_TRUE(at.ok()) << at.failure().detail;
  EXPECT_EQ(at->identity.user, "alice");
  auto wrong = provider_->ValidateAnyToken(other_app_->id_token, Now());
  EXPECT_EQ(wrong.error(), OidcError::kWrongAudience);
  AuthOutcome o = oidc::ToAuthOutcome(wrong);
  EXPECT_EQ(o.failure, LoginFailure::kTokenInvalid);
  EXPECT_NE(o.detail.find("wrong_audience"), std::string::npos);
}

TEST_F(OidcTokens, AccessTokenGivenAsIdTokenIsRefused) {
  EXPECT_EQ(Refusal(alice_->access_token, TokenKind::kIdToken), OidcError::kWrongTokenType);
}

TEST_F(OidcTokens, Es256IdTokenIsAccepted) {
  auto es = ObtainTokens(SharedProvider()->issuer(), SharedProvider()->options().clients[2], "bob", "bob-pw");
  ASSERT_TRUE(es.ok()) << es.status().ToString();
  auto header = nlohmann::json::parse(B64UrlDecode(Segment(es->id_token, 0)), nullptr, false);
  ASSERT_EQ(header.value("alg", ""), "ES256");
  auto p = MakeProvider(TestConfig(SharedProvider()->issuer(), "es-app"));
  auto r = p->ValidateToken(es->id_token, TokenKind::kIdToken, Now());
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->identity.user, "bob");
}

TEST_F(OidcTokens, TamperedPayloadIsBadSignature) {
  std::string t = alice_->id_token;
  std::string payload = B64UrlDecode(Segment(t, 1));
  auto j = nlohmann::json::parse(payload);
  j["groups"] = {"Administrators"};
  std::string forged = Segment(t, 0) + "." + B64Url(j.dump()) + "." + Segment(t, 2);
  EXPECT_EQ(Refusal(forged), OidcError::kBadSignature);
}

TEST_F(OidcTokens, FlippedSignatureIsBadSignature) {
  std::string t = alice_->id_token;
  size_t at = t.rfind('.') + 5;
  t[at] = t[at] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Refusal(t), OidcError::kBadSignature);
}

TEST_F(OidcTokens, AlgNoneIsRefused) {
  std::string header = B64Url(R"({"alg":"none","kid":"rsa-1"})");
  EXPECT_EQ(Refusal(header + "." + Segment(alice_->id_token, 1) + "."), OidcError::kAlgNone);
}

TEST_F(OidcTokens, HmacTokenSignedWithThePublicKeyIsRefused) {
  std::string header = B64Url(R"({"alg":"HS256","kid":"rsa-1"})");
  EXPECT_EQ(Refusal(header + "." + Segment(alice_->id_token, 1) + "." + B64Url("fake-mac-over-public-key")),
            OidcError::kHmacRefused);
}

TEST_F(OidcTokens, ExpiredTokenIsRefusedEvenAfterAWarmResultCache) {
  ASSERT_TRUE(provider_->ValidateToken(alice_->id_token, TokenKind::kIdToken, Now()).ok());  // cached now
  auto later = Now() + std::chrono::seconds(300 + 60 + 1);  // ttl + leeway
  auto r = provider_->ValidateToken(alice_->id_token, TokenKind::kIdToken, later);
  EXPECT_EQ(r.error(), OidcError::kExpired);
  EXPECT_EQ(oidc::ToLoginFailure(r.error()), LoginFailure::kTokenExpired);
}

TEST_F(OidcTokens, ExpiryHonoursTheLeewaySetting) {
  auto cfg = TestConfig(SharedProvider()->issuer());
  cfg.leeway = std::chrono::seconds(0);
  auto strict = MakeProvider(cfg);
  auto just_after = Now() + std::chrono::seconds(301);
  EXPECT_EQ(strict->ValidateToken(alice_->id_token, TokenKind::kIdToken, just_after).error(), OidcError::kExpired);
  EXPECT_TRUE(provider_->ValidateToken(alice_->id_token, TokenKind::kIdToken, just_after).ok());  // 60 s leeway
}

TEST_F(OidcTokens, TokenFromTheFutureIsNotYetValid) {
  EXPECT_EQ(Refusal(alice_->id_token, TokenKind::kIdToken, Now() - std::chrono::hours(1)), OidcError::kNotYetValid);
}

TEST_F(OidcTokens, IdTokenForAnotherClientIsWrongAudience) {
  auto r = provider_->ValidateToken(other_app_->id_token, TokenKind::kIdToken, Now());
  EXPECT_EQ(r.error(), OidcError::kWrongAudience);
  EXPECT_EQ(oidc::ToLoginFailure(r.error()), LoginFailure::kTokenInvalid);
}

TEST_F(OidcTokens, AccessTokenForAnotherAudienceIsRefused) {
  auto cfg = AccessTokenConfig(SharedProvider()->issuer());
  cfg.audiences = {"billing-api"};
  auto p = MakeProvider(cfg);
  EXPECT_EQ(p->ValidateToken(alice_->access_token, TokenKind::kAccessToken, Now()).error(), OidcError::kWrongAudience);
}

TEST_F(OidcTokens, MissingGroupsClaimIsRefusedWhenRequired) {
  auto carol = ObtainTokens(SharedProvider()->issuer(), SharedProvider()->options().clients[0], "carol", "carol-pw");
  ASSERT_TRUE(carol.ok());
  auto cfg = TestConfig(SharedProvider()->issuer());
  cfg.groups_required = true;
  auto strict = MakeProvider(cfg);
  EXPECT_EQ(strict->ValidateToken(carol->id_token, TokenKind::kIdToken, Now()).error(), OidcError::kMissingGroups);
  auto lenient = provider_->ValidateToken(carol->id_token, TokenKind::kIdToken, Now());
  ASSERT_TRUE(lenient.ok());
  EXPECT_TRUE(lenient->identity.groups.empty());
}

TEST_F(OidcTokens, EntraGroupsOverageHasItsOwnErrorAndAdvice) {
  auto dave = ObtainTokens(SharedProvider()->issuer(), SharedProvider()->options().clients[0], "dave", "dave-pw");
  ASSERT_TRUE(dave.ok());
  auto r = provider_->ValidateToken(dave->id_token, TokenKind::kIdToken, Now());
  ASSERT_EQ(r.error(), OidcError::kGroupsOverage);
  EXPECT_NE(r.failure().advice.find("ApplicationGroup"), std::string::npos);
}

TEST_F(OidcTokens, GarbageTokensAreMalformed) {
  for (const std::string t : {"garbage", "a.b", "a.b.c.d", "..", "e30.e30.", "%%%.e30.sig", "Bearer x.y.z"})
    EXPECT_EQ(Refusal(t), OidcError::kMalformed) << t;
  EXPECT_EQ(Refusal(""), OidcError::kMalformed);
  EXPECT_EQ(Refusal("a.b.c.d.e"), OidcError::kMalformed);  // JWE
}

TEST_F(OidcTokens, OneMegabyteTokenIsRefusedAsTooLargeBeforeParsing) {
  std::string huge = Segment(alice_->id_token, 0) + "." + std::string(1 << 20, 'A') + "." + Segment(alice_->id_token, 2);
  auto r = provider_->ValidateToken(huge, TokenKind::kIdToken, Now());
  EXPECT_EQ(r.error(), OidcError::kTooLarge);
  EXPECT_NE(r.failure().detail.find("exceeds max_token_bytes"), std::string::npos) << r.failure().detail;
}

TEST_F(OidcTokens, TokenWithNulBytesIsMalformed) {
  std::string t = alice_->id_token;
  t.insert(10, std::string(1, '\0'));
  EXPECT_EQ(Refusal(t), OidcError::kMalformed);
  std::string cut = alice_->id_token.substr(0, 20) + std::string(1, '\0');
  EXPECT_EQ(Refusal(cut), OidcError::kMalformed);
}

TEST_F(OidcTokens, UnknownKidIsRefusedAndRefetchIsRateLimited) {
  ASSERT_TRUE(provider_->ValidateToken(alice_->id_token, TokenKind::kIdToken, Now()).ok());
  uint64_t fetches = provider_->jwks_fetch_count();
  auto h = nlohmann::json::parse(B64UrlDecode(Segment(alice_->id_token, 0)));
  h["kid"] = "never-published";
  std::string t = B64Url(h.dump()) + "." + Segment(alice_->id_token, 1) + "." + Segment(alice_->id_token, 2);
  auto now = Now() + std::chrono::seconds(120);
  EXPECT_EQ(Refusal(t, TokenKind::kIdToken, now), OidcError::kUnknownKey);
  EXPECT_EQ(provider_->jwks_fetch_count(), fetches + 1);  // one refetch
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Refusal(t, TokenKind::kIdToken, now), OidcError::kUnknownKey);
  EXPECT_EQ(provider_->jwks_fetch_count(), fetches + 1);  // rate-limited: no more
}

TEST_F(OidcTokens, BadSignatureWithAKnownKidNeverRefetches) {
  ASSERT_TRUE(provider_->ValidateToken(alice_->id_token, TokenKind::kIdToken, Now()).ok());
  uint64_t fetches = provider_->jwks_fetch_count();
  std::string t = alice_->id_token;
  t[t.size() - 3] = t[t.size() - 3] == 'A' ? 'B' : 'A';
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Refusal(t, TokenKind::kIdToken, Now() + std::chrono::seconds(120 * (i + 1))), OidcError::kBadSignature);
  EXPECT_EQ(provider_->jwks_fetch_count(), fetches);
}

// A tiny server that answers discovery and a broken JWKS.
class BrokenJwksServer {
 public:
  explicit BrokenJwksServer(std::string jwks) : jwks_(std::move(jwks)) {
    port_ = FreeLoopbackPort();
    issuer_ = "http://127.0.0.1:" + std::to_string(port_);
    server_.Get("/.well-known/openid-configuration", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json d = {{"issuer", issuer_}, {"jwks_uri", issuer_ + "/jwks"}, {"token_endpoint", issuer_ + "/token"},
                          {"authorization_endpoint", issuer_ + "/auth"}};
      res.set_content(d.dump(), "application/json");
    });
    server_.Get("/jwks", [this](const httplib::Request&, httplib::Response& res) { res.set_content(jwks_, "application/json"); });
    thread_ = std::thread([this] { server_.listen("127.0.0.1", port_); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~BrokenJwksServer() {
    server_.stop();
    thread_.join();
  }
  const std::string& issuer() const { return issuer_; }

 private:
  std::string jwks_;
  int port_ = 0;
  std::string issuer_;
  httplib::Server server_;
  std::thread thread_;
};

TEST_F(OidcTokens, TruncatedJwksIsAProviderErrorNotACrash) {
  // The real provider's JWKS, cut in the middle.
  httplib::Client c("127.0.0.1", SharedProvider()->port());
  auto real = c.Get("/jwks");
  ASSERT_TRUE(real && real->status == 200);
  for (const std::string& broken : {real->body.substr(0, real->body.size() / 2), std::string("{\"keys\":[]}"),
                                    std::string("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"rsa-1\"}]}"),
                                    std::string("[]"), std::string("")}) {
    BrokenJwksServer server(broken);
    auto cfg = TestConfig(server.issuer());
    auto p = MakeProvider(cfg);
    // The token's iss differs, but the key lookup comes first and must fail cleanly.
    auto r = p->ValidateToken(alice_->id_token, TokenKind::kIdToken, Now());
    EXPECT_EQ(r.error(), OidcError::kProviderError) << broken.substr(0, 40) << " → " << r.failure().detail;
  }
}

TEST_F(OidcTokens, HangingProviderTimesOutWithoutHangingTheCaller) {
  OidcProviderOptions o;
  o.hang = true;
  auto hung = OidcTestProvider::Start(o);
  ASSERT_TRUE(hung.ok()) << hung.status().ToString();
  auto cfg = TestConfig((*hung)->issuer());
  cfg.http_timeout = std::chrono::milliseconds(300);
  auto p = MakeProvider(cfg);
  auto r = p->ValidateToken(alice_->id_token, TokenKind::kIdToken, Now());
  EXPECT_EQ(r.error(), OidcError::kProviderUnavailable);
  // Within the retry window the next call does not ask (and wait) again.
  auto again = p->BeginDeviceFlow(Now());
  EXPECT_EQ(again.error(), OidcError::kProviderUnavailable);
  EXPECT_NE(again.failure().detail.find("discovery failed recently"), std::string::npos) << again.failure().detail;
  EXPECT_EQ(oidc::ToLoginFailure(r.error()), LoginFailure::kDirectoryUnavailable);
}

// ---- opaque access tokens through introspection (RFC 7662) ----

// A second provider that issues opaque access tokens (JWT access tokens
// cannot be introspected at oidc-provider), started once per process.
class OidcIntrospection : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto options = StandardOidcOptions(RedirectPort());
    options.opaque_access_tokens = true;
    auto p = OidcTestProvider::Start(options);
    if (p.ok()) opaque_ = std::move(p).value().release();
    else error_ = p.status().ToString();
  }
  static void TearDownTestSuite() {
    delete opaque_;
    opaque_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(error_.empty()) << error_;
    auto tokens = ObtainTokens(opaque_->issuer(), opaque_->options().clients[0], "alice", "alice-pw");
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    access_token_ = tokens->access_token;
    ASSERT_EQ(access_token_.find('.'), std::string::npos) << "expected an opaque access token";
  }
  oidc::OidcProviderConfig Config(bool introspection = true) {
    auto c = AccessTokenConfig(opaque_->issuer());
    c.introspection = introspection;
    return c;
  }
  static OidcTestProvider* opaque_;
  static std::string error_;
  std::string access_token_;
};

OidcTestProvider* OidcIntrospection::opaque_ = nullptr;
std::string OidcIntrospection::error_;

TEST_F(OidcIntrospection, OpaqueAccessTokenIsAcceptedThroughIntrospection) {
  auto p = MakeProvider(Config());
  ASSERT_NE(p, nullptr);
  auto r = p->ValidateAnyToken(access_token_, Now());
  ASSERT_TRUE(r.ok()) << oidc::OidcErrorName(r.error()) << ": " << r.failure().detail;
  EXPECT_EQ(r->identity.user, "alice");
  EXPECT_EQ(r->identity.source, "oidc:test");
  ASSERT_EQ(r->identity.groups.size(), 2u);
  EXPECT_EQ(r->identity.groups[0].cn, "Mechanics");
  EXPECT_EQ(p->introspection_count(), 1u);
}

TEST_F(OidcIntrospection, ActiveResultIsCachedButNeverPastExp) {
  auto p = MakeProvider(Config());
  ASSERT_NE(p, nullptr);
  const auto now = Now();
  auto first = p->IntrospectToken(access_token_, now);
  ASSERT_TRUE(first.ok()) << first.failure().detail;
  auto again = p->IntrospectToken(access_token_, now + std::chrono::seconds(5));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(p->introspection_count(), 1u);  // answered from the cache
  // Past exp (300 s TTL) the cache never answers; the provider is asked and
  // the answer is refused with the caller's clock.
  auto late = p->IntrospectToken(access_token_, first->expires + std::chrono::seconds(61));
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(p->introspection_count(), 2u);
}

TEST_F(OidcIntrospection, CacheEntryIsNotUsedBeyondResultCacheSeconds) {
  auto c = Config();
  c.result_cache = std::chrono::seconds(10);
  auto p = MakeProvider(c);
  ASSERT_NE(p, nullptr);
  const auto now = Now();
  ASSERT_TRUE(p->IntrospectToken(access_token_, now).ok());
  ASSERT_TRUE(p->IntrospectToken(access_token_, now + std::chrono::seconds(11)).ok());
  EXPECT_EQ(p->introspection_count(), 2u);
}

TEST_F(OidcIntrospection, UnknownOpaqueTokenIsInactive) {
  auto p = MakeProvider(Config());
  ASSERT_NE(p, nullptr);
  auto r = p->ValidateAnyToken(std::string(43, 'A'), Now());
  EXPECT_EQ(r.error(), OidcError::kTokenInactive) << r.failure().detail;
  EXPECT_EQ(oidc::ToLoginFailure(r.error()), LoginFailure::kTokenInvalid);
}

TEST_F(OidcIntrospection, OpaqueGarbageIsRefusedBeforeAnyRequest) {
  auto p = MakeProvider(Config());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->IntrospectToken(std::string("abc\0def", 7), Now()).error(), OidcError::kMalformed);
  EXPECT_EQ(p->IntrospectToken("has space", Now()).error(), OidcError::kMalformed);
  EXPECT_EQ(p->IntrospectToken(std::string(1 << 20, 'A'), Now()).error(), OidcError::kTooLarge);
  EXPECT_EQ(p->introspection_count(), 0u);
}

TEST_F(OidcIntrospection, WithoutIntrospectionAnOpaqueTokenIsMalformed) {
  auto p = MakeProvider(Config(/*introspection=*/false));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->ValidateAnyToken(access_token_, Now()).error(), OidcError::kMalformed);
  EXPECT_EQ(p->introspection_count(), 0u);
}

TEST_F(OidcIntrospection, TokenForAnotherAudienceIsRefusedAfterIntrospection) {
  auto c = Config();
  c.audiences = {"some-other-api"};
  auto p = MakeProvider(c);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->ValidateAnyToken(access_token_, Now()).error(), OidcError::kWrongAudience);
}

}  // namespace
}  // namespace idb::testing
