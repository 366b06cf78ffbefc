// ParseOidcProviders: strict YAML for the `oidc:` list (table-driven).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "oidc/oidc_config.h"
#include "oidc/oidc_provider.h"

namespace idb::oidc {
namespace {

std::vector<OidcProviderConfig> Parse(const std::string& yaml, std::vector<Diagnostic>* errors) {
  YAML::Node root = YAML::Load(yaml);
  return ParseOidcProviders(root["oidc"], "idbridge.yaml", errors);
}

const char* kGood = R"(
oidc:
  - name: entra
    issuer: https://login.microsoftonline.com/t/v2.0
    client_id: abc
    client_secret_env: IDB_ENTRA_SECRET
    groups_claim: realm_access.roles
    claims: [department]
    leeway_seconds: 30
    groups_required: true
    introspection: true
    access_tokens: true
    audiences: [api://fleet]
    access_token_typ_required: false
    authorized_parties: [abc, cli]
    id_token_extra_audiences: [api://fleet]
)";

TEST(OidcConfig, ParsesAFullEntry) {
  std::vector<Diagnostic> errors;
  auto providers = Parse(kGood, &errors);
  ASSERT_TRUE(errors.empty()) << errors[0].ToString();
  ASSERT_EQ(providers.size(), 1u);
  const auto& p = providers[0];
  EXPECT_EQ(p.name, "entra");
  EXPECT_EQ(p.groups_claim, "realm_access.roles");
  EXPECT_EQ(p.leeway, std::chrono::seconds(30));
  EXPECT_TRUE(p.groups_required);
  EXPECT_TRUE(p.introspection);
  EXPECT_EQ(p.allowed_algs, (std::vector<std::string>{"RS256", "ES256"}));
  EXPECT_TRUE(p.access_tokens);
  EXPECT_EQ(p.audiences, std::vector<std::string>{"api://fleet"});
  EXPECT_FALSE(p.access_token_typ_required);
  EXPECT_EQ(p.authorized_parties, (std::vector<std::string>{"abc", "cli"}));
  EXPECT_EQ(p.id_token_extra_audiences, std::vector<std::string>{"api://fleet"});
}

TEST(OidcConfig, AudienceDefaultsAreStrict) {
  std::vector<Diagnostic> errors;
  auto providers = Parse("oidc:\n  - name: x\n    issuer: https://idp\n    client_id: abc\n", &errors);
  ASSERT_EQ(providers.size(), 1u);
  const auto& p = providers[0];
  EXPECT_FALSE(p.access_tokens);  // access-token logins off
  EXPECT_TRUE(p.audiences.empty());  // client_id is never an implied resource
  EXPECT_TRUE(p.access_token_typ_required);
  EXPECT_TRUE(p.authorized_parties.empty());
  EXPECT_TRUE(p.id_token_extra_audiences.empty());
}

// The new keys' refusals point at the offending key (line and column).
TEST(OidcConfig, AccessTokenSettingsWithoutAccessTokensPointAtTheKey) {
  std::vector<Diagnostic> errors;
  auto providers = Parse("oidc:\n  - name: x\n    issuer: https://idp\n    client_id: abc\n    audiences: [api]\n", &errors);
  EXPECT_TRUE(providers.empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].column, 16);
  EXPECT_NE(errors[0].message.find("set 'access_tokens: true'"), std::string::npos) << errors[0].ToString();
}

TEST(OidcConfig, AbsentSectionIsEmpty) {
  std::vector<Diagnostic> errors;
  EXPECT_TRUE(Parse("other: 1\n", &errors).empty());
  EXPECT_TRUE(errors.empty());
}

struct BadCase {
  const char* name;
  const char* entry;      // YAML lines of one entry (indented by 4)
  const char* expected;   // substring of the diagnostic
};

class OidcConfigRefuses : public ::testing::TestWithParam<BadCase> {};

TEST_P(OidcConfigRefuses, WithAPositionedDiagnostic) {
  std::string yaml = std::string("oidc:\n  - name: x\n") + GetParam().entry;
  std::vector<Diagnostic> errors;
  auto providers = Parse(yaml, &errors);
  EXPECT_TRUE(providers.empty());
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message.find(GetParam().expected), std::string::npos) << errors[0].ToString();
  EXPECT_GT(errors[0].line, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OidcConfigRefuses,
    ::testing::Values(
        BadCase{"InlineSecret", "    issuer: https://idp\n    client_id: a\n    client_secret: s3cret\n", "must not be written inline"},
        BadCase{"UnknownKey", "    issuer: https://idp\n    client_id: a\n    isuer: x\n", "did you mean 'issuer'"},
        BadCase{"MissingIssuer", "    client_id: a\n", "missing required key 'issuer'"},
        BadCase{"PlainHttp", "    issuer: http://idp.example\n    client_id: a\n", "https"},
        BadCase{"AlgNone", "    issuer: https://idp\n    client_id: a\n    allowed_algs: [none]\n", "none"},
        BadCase{"AlgHmac", "    issuer: https://idp\n    client_id: a\n    allowed_algs: [HS256]\n", "HMAC"},
        BadCase{"AlgUnknown", "    issuer: https://idp\n    client_id: a\n    allowed_algs: [XY1]\n", "unknown algorithm"},
        BadCase{"BothSecrets", "    issuer: https://idp\n    client_id: a\n    client_secret_env: A\n    client_secret_file: /f\n", "either"},
        BadCase{"NoOpenidScope", "    issuer: https://idp\n    client_id: a\n    scopes: [profile]\n", "openid"},
        BadCase{"LeewayTooLarge", "    issuer: https://idp\n    client_id: a\n    leeway_seconds: 9999\n", "between"},
        BadCase{"LeewayNotInt", "    issuer: https://idp\n    client_id: a\n    leeway_seconds: soon\n", "integer"},
        BadCase{"BadGroupsPath", "    issuer: https://idp\n    client_id: a\n    groups_claim: a..b\n", "dotted path"},
        BadCase{"ScopesNotList", "    issuer: https://idp\n    client_id: a\n    scopes: openid\n", "list"},
        BadCase{"BoolNotBool", "    issuer: https://idp\n    client_id: a\n    groups_required: maybe\n", "true or false"},
        BadCase{"IntrospectionWithoutSecret", "    issuer: https://idp\n    client_id: a\n    introspection: true\n",
                "client_secret_file or client_secret_env"},
        BadCase{"IntrospectionWithoutAccessTokens",
                "    issuer: https://idp\n    client_id: a\n    client_secret_env: S\n    introspection: true\n",
                "'introspection' applies to access-token logins"},
        BadCase{"AccessTokensWithoutAudiences", "    issuer: https://idp\n    client_id: a\n    access_tokens: true\n",
                "needs 'audiences'"},
        BadCase{"AccessTokensNotBool", "    issuer: https://idp\n    client_id: a\n    access_tokens: yes please\n",
                "true or false"},
        BadCase{"AudiencesWithoutAccessTokens", "    issuer: https://idp\n    client_id: a\n    audiences: [api]\n",
                "'audiences' applies to access-token logins"},
        BadCase{"AuthorizedPartiesWithoutAccessTokens",
                "    issuer: https://idp\n    client_id: a\n    authorized_parties: [a]\n", "'authorized_parties' applies"},
        BadCase{"TypOptOutWithoutAccessTokens",
                "    issuer: https://idp\n    client_id: a\n    access_token_typ_required: false\n",
                "'access_token_typ_required' applies"},
        BadCase{"EmptyAudience", "    issuer: https://idp\n    client_id: a\n    access_tokens: true\n    audiences: [\"\"]\n",
                "empty string"},
        BadCase{"DuplicateAudience",
                "    issuer: https://idp\n    client_id: a\n    access_tokens: true\n    audiences: [api, api]\n", "twice"},
        BadCase{"AudiencesNotList", "    issuer: https://idp\n    client_id: a\n    access_tokens: true\n    audiences: 7\n",
                "list"},
        BadCase{"ControlCharInParty",
                "    issuer: https://idp\n    client_id: a\n    access_tokens: true\n    audiences: [api]\n"
                "    authorized_parties: [\"a\\nb\"]\n",
                "control characters"},
        BadCase{"ExtraAudienceIsClientId", "    issuer: https://idp\n    client_id: a\n    id_token_extra_audiences: [a]\n",
                "names client_id itself"},
        BadCase{"AccessTokensTypo", "    issuer: https://idp\n    client_id: a\n    acces_tokens: true\n",
                "did you mean 'access_tokens'"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OidcConfig, DuplicateNamesAreRefused) {
  std::vector<Diagnostic> errors;
  auto providers = Parse(std::string(kGood) + "  - name: entra\n    issuer: https://b\n    client_id: b\n", &errors);
  EXPECT_EQ(providers.size(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("duplicate"), std::string::npos);
}

TEST(OidcConfig, NotAListIsRefused) {
  std::vector<Diagnostic> errors;
  EXPECT_TRUE(Parse("oidc: {name: x}\n", &errors).empty());
  ASSERT_EQ(errors.size(), 1u);
}

TEST(OidcConfig, LoopbackHttpIssuerIsAllowedForTests) {
  OidcProviderConfig c;
  c.name = "t";
  c.issuer = "http://127.0.0.1:4000";
  c.client_id = "a";
  EXPECT_TRUE(ValidateOidcProviderConfig(c).ok());
  c.issuer = "http://127.0.0.1.evil.example";
  EXPECT_FALSE(ValidateOidcProviderConfig(c).ok());
}

TEST(OidcConfig, ClientSecretFromEnvironmentNeverAppearsInErrors) {
  OidcProviderConfig c;
  c.name = "t";
  c.client_secret_env = "IDB_OIDC_UNIT_SECRET_UNSET";
  unsetenv(c.client_secret_env.c_str());
  auto missing = LoadClientSecret(c);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("IDB_OIDC_UNIT_SECRET_UNSET"), std::string::npos);
  setenv(c.client_secret_env.c_str(), "hunter2", 1);
  auto s = LoadClientSecret(c);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expose(), "hunter2");
}

TEST(OidcConfig, ClientSecretFileMissingIsNotFound) {
  OidcProviderConfig c;
  c.name = "t";
  c.client_secret_file = "/nonexistent/secret";
  EXPECT_EQ(LoadClientSecret(c).status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace idb::oidc

namespace idb::oidc {
namespace {

TEST(BuildOidcProviders, EntryWithAnUnreadableSecretIsLeftOutWithADiagnostic) {
  unsetenv("IDB_OIDC_UNIT_MISSING");
  YAML::Node root = YAML::Load(
      "oidc:\n  - name: a\n    issuer: https://a.example\n    client_id: a\n    client_secret_env: IDB_OIDC_UNIT_MISSING\n"
      "  - name: b\n    issuer: https://b.example\n    client_id: b\n");
  std::vector<Diagnostic> errors;
  auto providers = BuildOidcProviders(root["oidc"], "idbridge.yaml", &errors);
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0]->source(), "oidc:b");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("IDB_OIDC_UNIT_MISSING"), std::string::npos);
}

}  // namespace
}  // namespace idb::oidc
