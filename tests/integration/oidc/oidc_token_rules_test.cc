// Token type, audience and azp rules (OpenID Connect Core 3.1.3.7, RFC 9068
// §4), the exact signature encoding (RFC 7518 §3.4) and the user-name rule,
// with every token minted by the running test provider's OWN keys (or issued
// by it): each refusal is a claim or encoding rule at work, never a foreign
// key. Tokens go through the entry points the daemon uses (ValidateAnyToken)
// and the explicit ones (ValidateToken).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oidc_test_env.h"
#include "common/names.h"

namespace idb::testing {
namespace {

using oidc::OidcError;
using oidc::TokenKind;

::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new OidcProviderEnvironment);

int64_t NowSeconds() { return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count(); }

class OidcTokenRules : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NE(SharedProvider(), nullptr);
    rsa_ = SharedProvider()->Signer("rsa-1").release();
    ec_ = SharedProvider()->Signer("ec-1").release();
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    rsa_ = ec_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(rsa_, nullptr) << "the test provider did not write its keys";
    ASSERT_NE(ec_, nullptr);
  }

  static nlohmann::json IdClaims() {
    return {{"iss", SharedProvider()->issuer()}, {"sub", "alice"}, {"preferred_username", "alice"},
            {"aud", "fleet-app"}, {"exp", NowSeconds() + 300}, {"iat", NowSeconds()}, {"groups", {"Mechanics"}}};
  }
  static nlohmann::json AccessClaims() {
    nlohmann::json c = IdClaims();
    c["aud"] = kTestResource;
    c["client_id"] = "fleet-app";
    c["jti"] = "jti-1";
    return c;
  }
  static std::string Mint(const nlohmann::json& claims, const nlohmann::json& header = nlohmann::json::object()) {
    return rsa_->Sign(claims, header);
  }
  static std::string MintAccess(const nlohmann::json& claims) { return Mint(claims, {{"typ", "at+jwt"}}); }

  static oidc::OidcResult<oidc::ValidatedToken> Any(const oidc::OidcProviderConfig& c, const std::string& token) {
    auto p = MakeProvider(c);
    if (p == nullptr) return oidc::OidcFailure{OidcError::kInternal, "no provider", ""};
    return p->ValidateAnyToken(token, Now());
  }
  static OidcError AnyError(const oidc::OidcProviderConfig& c, const std::string& token) { return Any(c, token).error(); }
  static OidcError As(const oidc::OidcProviderConfig& c, const std::string& token, TokenKind kind) {
    auto p = MakeProvider(c);
    return p == nullptr ? OidcError::kInternal : p->ValidateToken(token, kind, Now()).error();
  }

  static oidc::OidcProviderConfig Default() { return TestConfig(SharedProvider()->issuer()); }
  static oidc::OidcProviderConfig Access() { return AccessTokenConfig(SharedProvider()->issuer()); }
  // The most permissive access-token setup the configuration allows: our own
  // client id as a resource (Entra ID v2 style) and untyped access tokens.
  static oidc::OidcProviderConfig EntraStyle() {
    auto c = Access();
    c.audiences = {"fleet-app"};
    c.access_token_typ_required = false;
    return c;
  }

  static TestSigner* rsa_;
  static TestSigner* ec_;
};
TestSigner* OidcTokenRules::rsa_ = nullptr;
TestSigner* OidcTokenRules::ec_ = nullptr;

TEST_F(OidcTokenRules, TokensMintedWithTheProvidersKeysAreAccepted) {
  auto r = Any(Default(), Mint(IdClaims()));
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->identity.user, "alice");
  auto es = Any(Default(), ec_->Sign(IdClaims()));
  ASSERT_TRUE(es.ok()) << es.failure().detail;
  auto at = Any(Access(), MintAccess(AccessClaims()));
  ASSERT_TRUE(at.ok()) << at.failure().detail;
}

// ---- ID tokens (OpenID Connect Core 3.1.3.7) ----

TEST_F(OidcTokenRules, IdTokenWhoseAzpNamesAnotherClientIsRefused) {
  auto claims = IdClaims();
  claims["azp"] = "cli";
  const std::string t = Mint(claims);
  EXPECT_EQ(AnyError(Default(), t), OidcError::kWrongAudience);
  EXPECT_EQ(AnyError(Access(), t), OidcError::kWrongAudience);  // no retry as an (untyped) access token
  auto r = Any(Default(), t);
  EXPECT_NE(r.failure().detail.find("azp 'cli' names another client"), std::string::npos) << r.failure().detail;
  // Retried as an access token only where untyped access tokens for our own
  // client id were configured; authorized_parties closes even that.
  auto entra = EntraStyle();
  entra.authorized_parties = {"fleet-app"};
  EXPECT_EQ(AnyError(entra, t), OidcError::kWrongAudience);
}

TEST_F(OidcTokenRules, IdTokenWithSeveralAudiencesAndNoAzpIsRefused) {
  auto claims = IdClaims();
  claims["aud"] = {"fleet-app", "evil"};
  const std::string t = Mint(claims);
  EXPECT_EQ(AnyError(Default(), t), OidcError::kWrongAudience);
  EXPECT_EQ(AnyError(Access(), t), OidcError::kWrongAudience);
  auto trusted = Default();
  trusted.id_token_extra_audiences = {"evil"};
  auto r = Any(trusted, t);
  EXPECT_EQ(r.error(), OidcError::kWrongAudience);
  EXPECT_NE(r.failure().detail.find("several audiences and no azp"), std::string::npos) << r.failure().detail;
}

TEST_F(OidcTokenRules, IdTokenNamingAnUntrustedAudienceIsRefusedEvenWithOurAzp) {
  auto claims = IdClaims();
  claims["aud"] = {"fleet-app", "evil"};
  claims["azp"] = "fleet-app";
  const std::string t = Mint(claims);
  EXPECT_EQ(AnyError(Default(), t), OidcError::kWrongAudience);
  auto trusted = Default();
  trusted.id_token_extra_audiences = {"evil"};
  EXPECT_TRUE(Any(trusted, t).ok());
}

TEST_F(OidcTokenRules, NonStringAzpIsRefused) {
  auto claims = IdClaims();
  claims["azp"] = 7;
  const std::string t = Mint(claims);
  EXPECT_EQ(AnyError(Default(), t), OidcError::kWrongAudience);
  EXPECT_EQ(AnyError(EntraStyle(), t), OidcError::kWrongAudience);  // retried as an access token: refused too
  auto access = AccessClaims();
  access["azp"] = 7;
  EXPECT_EQ(AnyError(Access(), MintAccess(access)), OidcError::kWrongAudience);
}

TEST_F(OidcTokenRules, AudienceMustBeAStringOrAListOfStrings) {
  for (const nlohmann::json& aud : {nlohmann::json::array({"fleet-app", 7}), nlohmann::json(7), nlohmann::json::array(),
                                    nlohmann::json::object({{"fleet-app", true}})}) {
    auto claims = IdClaims();
    claims["aud"] = aud;
    EXPECT_EQ(AnyError(Default(), Mint(claims)), OidcError::kWrongAudience) << aud.dump();
  }
  auto claims = IdClaims();
  claims.erase("aud");
  EXPECT_EQ(AnyError(Default(), Mint(claims)), OidcError::kWrongAudience);
}

TEST_F(OidcTokenRules, IdTokenWithAnotherExplicitTypeIsRefused) {
  EXPECT_EQ(AnyError(Default(), Mint(IdClaims(), {{"typ", "logout+jwt"}})), OidcError::kWrongTokenType);
  EXPECT_EQ(As(Default(), Mint(IdClaims(), {{"typ", "at+jwt"}}), TokenKind::kIdToken), OidcError::kWrongTokenType);
  EXPECT_TRUE(Any(Default(), Mint(IdClaims(), {{"typ", "JWT"}})).ok());
}

// ---- access tokens (RFC 9068) ----

TEST_F(OidcTokenRules, AccessTokensAreRefusedUnlessConfigured) {
  auto claims = AccessClaims();
  claims["aud"] = "fleet-app";  // even naming our own client id
  EXPECT_EQ(AnyError(Default(), MintAccess(claims)), OidcError::kWrongTokenType);
  EXPECT_EQ(AnyError(Default(), MintAccess(AccessClaims())), OidcError::kWrongTokenType);
  EXPECT_EQ(As(Default(), MintAccess(AccessClaims()), TokenKind::kAccessToken), OidcError::kWrongTokenType);
}

TEST_F(OidcTokenRules, AccessTokenAudienceIsNeverOurClientIdByDefault) {
  auto claims = AccessClaims();
  claims["aud"] = "fleet-app";
  EXPECT_EQ(AnyError(Access(), MintAccess(claims)), OidcError::kWrongAudience);
  claims["aud"] = {"fleet-app", "billing-api"};
  EXPECT_EQ(AnyError(Access(), MintAccess(claims)), OidcError::kWrongAudience);
  claims["aud"] = {"billing-api", kTestResource};
  EXPECT_TRUE(Any(Access(), MintAccess(claims)).ok());
}

TEST_F(OidcTokenRules, AccessTokenNeedsTypAtJwtUnlessOptedOut) {
  const std::string untyped = Mint(AccessClaims());
  const std::string jwt = Mint(AccessClaims(), {{"typ", "JWT"}});
  EXPECT_EQ(As(Access(), untyped, TokenKind::kAccessToken), OidcError::kWrongTokenType);
  EXPECT_EQ(As(Access(), jwt, TokenKind::kAccessToken), OidcError::kWrongTokenType);
  EXPECT_EQ(AnyError(Access(), untyped), OidcError::kWrongAudience);  // judged as an ID token, not retried
  EXPECT_TRUE(Any(Access(), Mint(AccessClaims(), {{"typ", "application/at+jwt"}})).ok());
  auto opt_out = Access();
  opt_out.access_token_typ_required = false;
  EXPECT_TRUE(Any(opt_out, untyped).ok());
  EXPECT_TRUE(Any(opt_out, jwt).ok());
  EXPECT_EQ(As(opt_out, Mint(AccessClaims(), {{"typ", "logout+jwt"}}), TokenKind::kAccessToken), OidcError::kWrongTokenType);
  auto r = Any(opt_out, Mint(AccessClaims(), {{"typ", "logout+jwt"}}));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.failure().detail.find("as an access token: wrong_token_type"), std::string::npos) << r.failure().detail;
}

TEST_F(OidcTokenRules, AuthorizedPartiesAreAnAllowList) {
  auto c = Access();
  c.authorized_parties = {"fleet-app"};
  EXPECT_TRUE(Any(c, MintAccess(AccessClaims())).ok());
  auto claims = AccessClaims();
  claims["client_id"] = "cli";
  EXPECT_EQ(AnyError(c, MintAccess(claims)), OidcError::kWrongAudience);
  EXPECT_TRUE(Any(Access(), MintAccess(claims)).ok());  // without a list any client may hold a token for us
  claims = AccessClaims();
  claims["azp"] = "cli";
  EXPECT_EQ(AnyError(c, MintAccess(claims)), OidcError::kWrongAudience);
  claims["azp"] = "fleet-app";
  EXPECT_TRUE(Any(c, MintAccess(claims)).ok());
  claims["client_id"] = 7;
  EXPECT_EQ(AnyError(Access(), MintAccess(claims)), OidcError::kWrongAudience);
  claims = AccessClaims();
  claims.erase("client_id");
  EXPECT_EQ(AnyError(c, MintAccess(claims)), OidcError::kWrongAudience);  // names no client at all
  EXPECT_TRUE(Any(Access(), MintAccess(claims)).ok());
}

// The three tokens, under the default and the most permissive setup.
TEST_F(OidcTokenRules, TheReportedTokensAreRefused) {
  auto azp_cli = IdClaims();
  azp_cli["azp"] = "cli";
  auto two_auds = IdClaims();
  two_auds["aud"] = {"fleet-app", "evil"};
  auto azp_7 = IdClaims();
  azp_7["azp"] = 7;
  auto entra = EntraStyle();
  entra.authorized_parties = {"fleet-app"};
  for (const auto& claims : {azp_cli, two_auds, azp_7}) {
    const std::string t = Mint(claims);
    EXPECT_EQ(AnyError(Default(), t), OidcError::kWrongAudience) << claims.dump();
    EXPECT_EQ(AnyError(Access(), t), OidcError::kWrongAudience) << claims.dump();
    EXPECT_EQ(AnyError(entra, t), OidcError::kWrongAudience) << claims.dump();
    auto outcome = oidc::ToAuthOutcome(Any(Default(), t));
    EXPECT_EQ(outcome.failure, LoginFailure::kTokenInvalid);  // generic to the user
    EXPECT_NE(outcome.detail.find("wrong_audience"), std::string::npos);  // precise in the history
  }
}

// ---- signature encoding (RFC 7518 §3.4) ----

// The R‖S halves of an ES256 signature, each padded on the left with `pad`
// zero bytes (cjose splits any even length in two and would verify it).
std::string PadHalves(const std::string& sig, size_t pad) {
  const size_t half = sig.size() / 2;
  return std::string(pad, '\0') + sig.substr(0, half) + std::string(pad, '\0') + sig.substr(half);
}

TEST_F(OidcTokenRules, EcdsaSignatureMustBeExactlyRAndS) {
  auto es = ObtainTokens(SharedProvider()->issuer(), SharedProvider()->options().clients[2], "bob", "bob-pw");
  ASSERT_TRUE(es.ok()) << es.status().ToString();
  auto cfg = TestConfig(SharedProvider()->issuer(), "es-app");
  ASSERT_TRUE(Any(cfg, es->id_token).ok());
  const std::string head = Segment(es->id_token, 0) + "." + Segment(es->id_token, 1) + ".";
  const std::string sig = B64UrlDecode(Segment(es->id_token, 2));
  ASSERT_EQ(sig.size(), 64u);
  for (const std::string& bad : {PadHalves(sig, 1), PadHalves(sig, 2), sig + std::string(2, '\0'),
                                 std::string(2, '\0') + sig, sig.substr(0, 63)}) {
    auto r = Any(cfg, head + B64Url(bad));
    EXPECT_EQ(r.error(), OidcError::kBadSignature) << bad.size() << " bytes";
    EXPECT_NE(r.failure().detail.find("exactly 64"), std::string::npos) << r.failure().detail;
  }
  // The same minted with the provider's EC key.
  const std::string minted = ec_->Sign(IdClaims());
  ASSERT_TRUE(Any(Default(), minted).ok());
  const std::string mhead = minted.substr(0, minted.rfind('.') + 1);
  EXPECT_EQ(AnyError(Default(), mhead + B64Url(PadHalves(B64UrlDecode(Segment(minted, 2)), 1))), OidcError::kBadSignature);
}

TEST_F(OidcTokenRules, SignatureSpelledNonCanonicallyIsRefused) {
  const std::string t = ec_->Sign(IdClaims());
  ASSERT_TRUE(Any(Default(), t).ok());
  // 64 bytes are 86 base64url characters; the last one carries 4 unused bits.
  static const std::string k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string stray = t;
  stray.back() = k[k.find(stray.back()) | 1];
  ASSERT_NE(stray, t);
  EXPECT_EQ(B64UrlDecode(Segment(stray, 2)), B64UrlDecode(Segment(t, 2)));  // same bytes, other spelling
  EXPECT_EQ(AnyError(Default(), stray), OidcError::kMalformed);
  EXPECT_EQ(AnyError(Default(), t + "=="), OidcError::kMalformed);
}

TEST_F(OidcTokenRules, EcKeyOnlyVerifiesItsOwnCurvesAlgorithm) {
  auto cfg = Default();
  cfg.allowed_algs = {"RS256", "ES256", "ES384"};
  const std::string es384_on_p256 = ec_->Sign(IdClaims(), {{"alg", "ES384"}});
  auto r = Any(cfg, es384_on_p256);
  EXPECT_EQ(r.error(), OidcError::kBadSignature) << r.failure().detail;
}

TEST_F(OidcTokenRules, RsaSignatureMustHaveTheModulusLength) {
  const std::string t = Mint(IdClaims());
  ASSERT_TRUE(Any(Default(), t).ok());
  const std::string head = t.substr(0, t.rfind('.') + 1);
  const std::string sig = B64UrlDecode(Segment(t, 2));
  EXPECT_EQ(AnyError(Default(), head + B64Url(std::string(1, '\0') + sig)), OidcError::kBadSignature);
  EXPECT_EQ(AnyError(Default(), head + B64Url(sig + std::string(1, '\0'))), OidcError::kBadSignature);
}

// ---- the user name ----

TEST_F(OidcTokenRules, UserNameWithAControlCharacterIsRefused) {
  for (const std::string& name : std::vector<std::string>{"alice\nroot", "alice\r", "\x01" "alice", "alice\x7f", "al\tice", "alice\x1b[2J",
                                 std::string(257, 'a')}) {
    auto claims = IdClaims();
    claims["preferred_username"] = name;
    auto r = Any(Default(), Mint(claims));
    EXPECT_EQ(r.error(), OidcError::kInvalidUserName) << Quoted(name);
    auto outcome = oidc::ToAuthOutcome(r);
    EXPECT_EQ(outcome.failure, LoginFailure::kTokenInvalid);
    EXPECT_NE(outcome.detail.find("invalid_user_name"), std::string::npos);
    EXPECT_EQ(outcome.detail.find('\n'), std::string::npos) << "the detail quotes the name escaped";
  }
  auto access = AccessClaims();
  access["preferred_username"] = "alice\nroot";
  EXPECT_EQ(AnyError(Access(), MintAccess(access)), OidcError::kInvalidUserName);
  auto nul = IdClaims();
  nul["preferred_username"] = std::string("alice\0root", 10);
  EXPECT_FALSE(Any(Default(), Mint(nul)).ok());
  auto odd = IdClaims();
  odd["preferred_username"] = "O'Brien; DROP TABLE users -- ü";  // odd but legal: stored literally
  EXPECT_TRUE(Any(Default(), Mint(odd)).ok());
}

}  // namespace
}  // namespace idb::testing
