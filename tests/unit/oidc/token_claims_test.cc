// CheckClaims and DecodeJwsHeader: every claim rule, with an injected clock
// (no signatures involved; see token_validator_test.cc for those).
#include <functional>

#include <gtest/gtest.h>

#include "oidc/oidc_error.h"
#include "oidc/pkce.h"
#include "oidc/token_validator.h"

namespace idb::oidc {
namespace {

const SystemTime kNow = SystemTime(std::chrono::seconds(1'700'000'000));
const int64_t kNowS = 1'700'000'000;

OidcProviderConfig Config() {
  OidcProviderConfig c;
  c.name = "corp";
  c.issuer = "https://idp.example";
  c.client_id = "fleet-app";
  c.leeway = std::chrono::seconds(60);
  c.claims = {"department"};
  return c;
}

nlohmann::json Payload() {
  return {{"iss", "https://idp.example"}, {"aud", "fleet-app"}, {"sub", "u1"}, {"preferred_username", "alice"},
          {"exp", kNowS + 300}, {"iat", kNowS - 10}, {"groups", {"Mechanics"}}, {"department", "Maintenance"}};
}

OidcError Check(const nlohmann::json& p, TokenKind kind = TokenKind::kIdToken, OidcProviderConfig c = Config(),
                const std::string* nonce = nullptr, nlohmann::json header = {{"alg", "RS256"}}) {
  return CheckClaims(c, header, p, kind, kNow, nonce).error();
}

TEST(TokenClaims, ValidPayloadGivesIdentity) {
  auto r = CheckClaims(Config(), {{"alg", "RS256"}}, Payload(), TokenKind::kIdToken, kNow);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->identity.user, "alice");
  EXPECT_EQ(r->identity.source, "oidc:corp");
  ASSERT_EQ(r->identity.groups.size(), 1u);
  EXPECT_EQ(r->identity.groups[0].cn, "Mechanics");
  EXPECT_EQ(r->identity.claims.at("department"), std::vector<std::string>{"Maintenance"});
}

TEST(TokenClaims, WrongIssuerIsRefused) {
  auto p = Payload();
  p["iss"] = "https://idp.example/";
  EXPECT_EQ(Check(p), OidcError::kWrongIssuer);
  p.erase("iss");
  EXPECT_EQ(Check(p), OidcError::kWrongIssuer);
}

TEST(TokenClaims, AudienceMustNameTheClient) {
  auto p = Payload();
  p["aud"] = "other";
  EXPECT_EQ(Check(p), OidcError::kWrongAudience);
  p.erase("aud");
  EXPECT_EQ(Check(p), OidcError::kWrongAudience);
}

TEST(TokenClaims, SeveralAudiencesNeedAzpNamingUsAndTrustedExtras) {
  auto c = Config();
  c.id_token_extra_audiences = {"other"};
  auto p = Payload();
  p["aud"] = {"fleet-app", "other"};
  EXPECT_EQ(Check(p, TokenKind::kIdToken, c), OidcError::kWrongAudience);
  p["azp"] = "other";
  EXPECT_EQ(Check(p, TokenKind::kIdToken, c), OidcError::kWrongAudience);
  p["azp"] = "fleet-app";
  EXPECT_EQ(Check(p, TokenKind::kIdToken, c), OidcError::kNone);
  EXPECT_EQ(Check(p), OidcError::kWrongAudience);  // "other" not trusted by default
}

// Access-token rules (RFC 9068 §4) as a table: config tweak, payload tweak, header typ.
struct AccessCase {
  const char* name;
  std::function<void(OidcProviderConfig&)> config;
  std::function<void(nlohmann::json&)> payload;
  const char* typ;  // nullptr = no typ
  TokenKind kind;
  OidcError expected;
};

class AccessTokenRules : public ::testing::TestWithParam<AccessCase> {};

TEST_P(AccessTokenRules, Apply) {
  auto c = Config();
  c.access_tokens = true;
  c.audiences = {"api://fleet"};
  GetParam().config(c);
  auto p = Payload();
  p["aud"] = "api://fleet";
  p["client_id"] = "fleet-app";
  GetParam().payload(p);
  nlohmann::json header = {{"alg", "RS256"}};
  if (GetParam().typ != nullptr) header["typ"] = GetParam().typ;
  auto r = CheckClaims(c, header, p, GetParam().kind, kNow);
  EXPECT_EQ(r.error(), GetParam().expected) << (r.ok() ? "" : r.failure().detail);
}

const auto kNoConfig = [](OidcProviderConfig&) {};
const auto kNoPayload = [](nlohmann::json&) {};

INSTANTIATE_TEST_SUITE_P(
    Cases, AccessTokenRules,
    ::testing::Values(
        AccessCase{"Accepted", kNoConfig, kNoPayload, "at+jwt", TokenKind::kAccessToken, OidcError::kNone},
        AccessCase{"MediaTypeSpelling", kNoConfig, kNoPayload, "application/AT+JWT", TokenKind::kAccessToken, OidcError::kNone},
        AccessCase{"OffByDefault", [](OidcProviderConfig& c) { c.access_tokens = false; }, kNoPayload, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kWrongTokenType},
        AccessCase{"IntrospectedOffToo", [](OidcProviderConfig& c) { c.access_tokens = false; }, kNoPayload, nullptr,
                   TokenKind::kIntrospectedAccessToken, OidcError::kWrongTokenType},
        AccessCase{"IntrospectedNeedsNoTyp", kNoConfig, kNoPayload, nullptr, TokenKind::kIntrospectedAccessToken, OidcError::kNone},
        AccessCase{"NoTyp", kNoConfig, kNoPayload, nullptr, TokenKind::kAccessToken, OidcError::kWrongTokenType},
        AccessCase{"TypJwt", kNoConfig, kNoPayload, "JWT", TokenKind::kAccessToken, OidcError::kWrongTokenType},
        AccessCase{"TypOptOut", [](OidcProviderConfig& c) { c.access_token_typ_required = false; }, kNoPayload, "JWT",
                   TokenKind::kAccessToken, OidcError::kNone},
        AccessCase{"TypOptOutStillRefusesOtherTypes", [](OidcProviderConfig& c) { c.access_token_typ_required = false; },
                   kNoPayload, "logout+jwt", TokenKind::kAccessToken, OidcError::kWrongTokenType},
        AccessCase{"ClientIdIsNoImpliedAudience", kNoConfig, [](nlohmann::json& p) { p["aud"] = "fleet-app"; }, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kWrongAudience},
        AccessCase{"AudienceAmongSeveral", kNoConfig, [](nlohmann::json& p) { p["aud"] = {"x", "api://fleet"}; }, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kNone},
        AccessCase{"NonStringAudienceEntry", kNoConfig, [](nlohmann::json& p) { p["aud"] = {"api://fleet", 1}; }, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kWrongAudience},
        AccessCase{"AzpNotString", kNoConfig, [](nlohmann::json& p) { p["azp"] = 7; }, "at+jwt", TokenKind::kAccessToken,
                   OidcError::kWrongAudience},
        AccessCase{"ClientIdNotString", kNoConfig, [](nlohmann::json& p) { p["client_id"] = nullptr; }, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kWrongAudience},
        AccessCase{"PartyListed", [](OidcProviderConfig& c) { c.authorized_parties = {"fleet-app"}; }, kNoPayload, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kNone},
        AccessCase{"PartyNotListed", [](OidcProviderConfig& c) { c.authorized_parties = {"cli"}; }, kNoPayload, "at+jwt",
                   TokenKind::kAccessToken, OidcError::kWrongAudience},
        AccessCase{"AzpNotListed", [](OidcProviderConfig& c) { c.authorized_parties = {"fleet-app"}; },
                   [](nlohmann::json& p) { p["azp"] = "cli"; }, "at+jwt", TokenKind::kAccessToken, OidcError::kWrongAudience},
        AccessCase{"NoPartyWithAList", [](OidcProviderConfig& c) { c.authorized_parties = {"fleet-app"}; },
                   [](nlohmann::json& p) { p.erase("client_id"); }, "at+jwt", TokenKind::kAccessToken,
                   OidcError::kWrongAudience}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TokenClaims, ExpiredBeyondLeewayIsRefused) {
  auto p = Payload();
  p["exp"] = kNowS - 61;
  EXPECT_EQ(Check(p), OidcError::kExpired);
  p["exp"] = kNowS - 59;
  EXPECT_EQ(Check(p), OidcError::kNone);
}

TEST(TokenClaims, MissingExpIsMalformed) {
  auto p = Payload();
  p.erase("exp");
  EXPECT_EQ(Check(p), OidcError::kMalformed);
  p["exp"] = "tomorrow";
  EXPECT_EQ(Check(p), OidcError::kMalformed);
}

TEST(TokenClaims, AbsurdNumericDatesAreMalformedNotOverflowed) {
  for (const nlohmann::json& v : {nlohmann::json(1e300), nlohmann::json(-1), nlohmann::json(9223372036854775807LL),
                                  nlohmann::json(18446744073709551615ULL), nlohmann::json(-1e300)}) {
    auto p = Payload();
    p["exp"] = v;
    EXPECT_EQ(Check(p), OidcError::kMalformed) << v.dump();
    p = Payload();
    p["nbf"] = v;
    EXPECT_EQ(Check(p), OidcError::kMalformed) << v.dump();
    p = Payload();
    p["iat"] = v;
    EXPECT_EQ(Check(p), OidcError::kMalformed) << v.dump();
  }
}

TEST(TokenClaims, FractionalExpIsAccepted) {
  auto p = Payload();
  p["exp"] = static_cast<double>(kNowS) + 300.5;
  EXPECT_EQ(Check(p), OidcError::kNone);
}

TEST(TokenClaims, NotBeforeInTheFutureIsNotYetValid) {
  auto p = Payload();
  p["nbf"] = kNowS + 120;
  EXPECT_EQ(Check(p), OidcError::kNotYetValid);
}

TEST(TokenClaims, IssuedInTheFutureIsNotYetValid) {
  auto p = Payload();
  p["iat"] = kNowS + 120;
  EXPECT_EQ(Check(p), OidcError::kNotYetValid);
}

TEST(TokenClaims, NonceMustMatchWhenExpected) {
  std::string nonce = "n-123";
  auto p = Payload();
  EXPECT_EQ(Check(p, TokenKind::kIdToken, Config(), &nonce), OidcError::kNonceMismatch);
  p["nonce"] = "n-124";
  EXPECT_EQ(Check(p, TokenKind::kIdToken, Config(), &nonce), OidcError::kNonceMismatch);
  p["nonce"] = "n-123";
  EXPECT_EQ(Check(p, TokenKind::kIdToken, Config(), &nonce), OidcError::kNone);
}

TEST(TokenClaims, IdTokenTypIsJwtOrNone) {
  EXPECT_EQ(Check(Payload(), TokenKind::kIdToken, Config(), nullptr, {{"alg", "RS256"}, {"typ", "at+JWT"}}),
            OidcError::kWrongTokenType);
  EXPECT_EQ(Check(Payload(), TokenKind::kIdToken, Config(), nullptr, {{"alg", "RS256"}, {"typ", "logout+jwt"}}),
            OidcError::kWrongTokenType);
  EXPECT_EQ(Check(Payload(), TokenKind::kIdToken, Config(), nullptr, {{"alg", "RS256"}, {"typ", 1}}),
            OidcError::kWrongTokenType);
  EXPECT_EQ(Check(Payload(), TokenKind::kIdToken, Config(), nullptr, {{"alg", "RS256"}, {"typ", "JWT"}}), OidcError::kNone);
}

TEST(TokenClaims, UserNameTheStoreWouldRefuseIsRefused) {
  for (const std::string& name : std::vector<std::string>{"a\nb", "a\rb", std::string("a\0b", 3), "\x1b[1m", "a\x7f",
                                                          std::string(257, 'x'), "\xff\xfe"}) {
    auto p = Payload();
    p["preferred_username"] = name;
    EXPECT_EQ(Check(p), OidcError::kInvalidUserName) << name.size();
  }
  auto p = Payload();
  p["preferred_username"] = std::string(256, 'x');
  EXPECT_EQ(Check(p), OidcError::kNone);
}

TEST(TokenClaims, UserNameClaimIsConfigurable) {
  auto c = Config();
  c.username_claim = "email";
  EXPECT_EQ(Check(Payload(), TokenKind::kIdToken, c), OidcError::kMissingUserName);
  auto p = Payload();
  p["email"] = "alice@fleet.test";
  auto r = CheckClaims(c, {{"alg", "RS256"}}, p, TokenKind::kIdToken, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->identity.user, "alice@fleet.test");
}

TEST(TokenClaims, GroupsFromANestedPath) {
  auto c = Config();
  c.groups_claim = "realm_access.roles";
  auto p = Payload();
  p["realm_access"] = {{"roles", {"fleet-admin", "driver"}}};
  auto r = CheckClaims(c, {{"alg", "RS256"}}, p, TokenKind::kIdToken, kNow);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->identity.groups.size(), 2u);
  EXPECT_EQ(r->identity.groups[1].cn, "driver");
}

TEST(TokenClaims, MissingGroupsRefusedOnlyWhenRequired) {
  auto c = Config();
  auto p = Payload();
  p.erase("groups");
  EXPECT_EQ(Check(p, TokenKind::kIdToken, c), OidcError::kNone);
  c.groups_required = true;
  EXPECT_EQ(Check(p, TokenKind::kIdToken, c), OidcError::kMissingGroups);
}

TEST(TokenClaims, NonStringGroupsAreRefused) {
  auto p = Payload();
  p["groups"] = {"ok", 42};
  EXPECT_EQ(Check(p), OidcError::kMissingGroups);
}

TEST(TokenClaims, EntraOverageIsItsOwnErrorEvenWhenGroupsAreOptional) {
  auto p = Payload();
  p.erase("groups");
  p["_claim_names"] = {{"groups", "src1"}};
  auto r = CheckClaims(Config(), {{"alg", "RS256"}}, p, TokenKind::kIdToken, kNow);
  EXPECT_EQ(r.error(), OidcError::kGroupsOverage);
  EXPECT_FALSE(r.failure().advice.empty());
  auto q = Payload();
  q.erase("groups");
  q["hasgroups"] = true;
  EXPECT_EQ(Check(q), OidcError::kGroupsOverage);
}

struct HeaderCase {
  const char* name;
  std::string token;
  OidcError expected;
};

class JwsHeader : public ::testing::TestWithParam<HeaderCase> {};

TEST_P(JwsHeader, StructuralChecks) { EXPECT_EQ(DecodeJwsHeader(GetParam().token, 16384).error(), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Cases, JwsHeader,
    ::testing::Values(HeaderCase{"Empty", "", OidcError::kMalformed},
                      HeaderCase{"OneSegment", "abc", OidcError::kMalformed},
                      HeaderCase{"Jwe", "a.b.c.d.e", OidcError::kMalformed},
                      HeaderCase{"Nul", std::string("eyJ\0.e30.x", 10), OidcError::kMalformed},
                      HeaderCase{"Space", "eyJ .e30.x", OidcError::kMalformed},
                      HeaderCase{"EmptyHeader", ".e30.x", OidcError::kMalformed},
                      HeaderCase{"HeaderNotJson", "bm90anNvbg.e30.x", OidcError::kMalformed},
                      HeaderCase{"HeaderIsArray", "W10.e30.x", OidcError::kMalformed},
                      HeaderCase{"TooLarge", std::string(20000, 'A'), OidcError::kTooLarge},
                      HeaderCase{"Fine", "eyJhbGciOiJSUzI1NiJ9.e30.x", OidcError::kNone}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Pkce, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(PkceS256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, RandomValuesAreLongAndDistinct) {
  auto a = RandomUrlSafe(), b = RandomUrlSafe();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 43u);
  EXPECT_NE(*a, *b);
}

TEST(OidcErrors, MapOntoLoginFailures) {
  EXPECT_EQ(ToLoginFailure(OidcError::kExpired), LoginFailure::kTokenExpired);
  EXPECT_EQ(ToLoginFailure(OidcError::kWrongAudience), LoginFailure::kTokenInvalid);
  EXPECT_EQ(ToLoginFailure(OidcError::kGroupsOverage), LoginFailure::kTokenInvalid);
  EXPECT_EQ(ToLoginFailure(OidcError::kProviderUnavailable), LoginFailure::kDirectoryUnavailable);
  EXPECT_EQ(ToLoginFailure(OidcError::kProviderError), LoginFailure::kDirectoryUnavailable);
  EXPECT_EQ(ToLoginFailure(OidcError::kDenied), LoginFailure::kBadCredentials);
  EXPECT_EQ(ToErrorCode(OidcError::kProviderUnavailable), ErrorCode::kUnavailable);
  EXPECT_STREQ(OidcErrorName(OidcError::kGroupsOverage), "groups_overage");
  EXPECT_EQ(ToLoginFailure(OidcError::kInvalidUserName), LoginFailure::kTokenInvalid);
  EXPECT_STREQ(OidcErrorName(OidcError::kInvalidUserName), "invalid_user_name");
}

}  // namespace
}  // namespace idb::oidc
