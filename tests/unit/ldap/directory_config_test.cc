// Unit tests: the `directories:` section — presets, overrides, refusals.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <sys/stat.h>

#include "core/yaml_reader.h"
#include "ldap/directory_config.h"

namespace idb::ldap {
namespace {

struct Parsed {
  std::vector<DirectoryConfig> dirs;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  std::string AllErrors() const {
    std::string s;
    for (const auto& d : errors) s += d.ToString() + "\n";
    return s;
  }
};

Parsed Parse(const std::string& yaml) {
  Parsed p;
  auto node = LoadYamlString(yaml, "idbridge.yaml", &p.errors);
  if (!node) return p;
  p.dirs = ParseDirectories((*node)["directories"], "idbridge.yaml", &p.errors, &p.warnings, "/etc/idbridge");
  return p;
}

const char* kMinimalOpenLdap = R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldaps://ldap1.fleet.test, ldaps://ldap2.fleet.test]
    bind_dn: cn=svc,dc=fleet,dc=test
    bind_password_file: corp-bind.pw
    user_search_base: ou=People,dc=fleet,dc=test
)yaml";

TEST(DirectoryConfig, OpenLdapPresetFillsFiltersAndAttributes) {
  Parsed p = Parse(kMinimalOpenLdap);
  ASSERT_TRUE(p.errors.empty()) << p.AllErrors();
  ASSERT_EQ(p.dirs.size(), 1u);
  const auto& d = p.dirs[0];
  EXPECT_EQ(d.SourceName(), "ldap:corp");
  EXPECT_EQ(d.user_filter, "(&(objectClass=inetOrgPerson)(uid={user}))");
  EXPECT_EQ(d.user_name_attribute, "uid");
  EXPECT_EQ(d.nested_method, NestedMethod::kIterative);
  EXPECT_TRUE(d.tls_verify);
  EXPECT_FALSE(d.offline.enabled);
  EXPECT_EQ(d.uris.size(), 2u);
}

TEST(DirectoryConfig, RelativePathsResolveAgainstTheConfigDirectory) {
  Parsed p = Parse(kMinimalOpenLdap);
  ASSERT_EQ(p.dirs.size(), 1u);
  EXPECT_EQ(p.dirs[0].bind_password_file, "/etc/idbridge/corp-bind.pw");
}

TEST(DirectoryConfig, ActiveDirectoryPresetUsesInChainAndPrimaryGroup) {
  Parsed p = Parse(R"yaml(directories:
  - name: ad
    preset: active_directory
    uris: ldaps://dc1.fleet.test
    bind_dn: CN=svc,CN=Users,DC=fleet,DC=test
    bind_password_env: IDB_AD_PW
    user_search_base: DC=fleet,DC=test
    upn_domains: [fleet.test]
    netbios_domain: FLEET
)yaml");
  ASSERT_TRUE(p.errors.empty()) << p.AllErrors();
  const auto& d = p.dirs.at(0);
  EXPECT_EQ(d.nested_method, NestedMethod::kInChain);
  EXPECT_TRUE(d.primary_group);
  EXPECT_EQ(d.login_forms.size(), 3u);
  EXPECT_NE(d.user_filter.find("sAMAccountName={user}"), std::string::npos);
}

TEST(DirectoryConfig, EveryPartIsOverridable) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldap://ldap1.fleet.test]
    start_tls: true
    ca_file: /etc/ssl/corp.pem
    bind_dn: cn=svc,dc=fleet,dc=test
    bind_password_env: PW
    user_search_base: dc=fleet,dc=test
    user_filter: "(&(objectClass=person)(cn={user}))"
    group_membership: member_search
    nested_depth_limit: 3
    connect_timeout: 500ms
    operation_timeout: 2s
    claims: {dept: departmentNumber, mail: mail}
    offline_logins: {enabled: true, max_age: 2d, hash_iterations: 1000}
    throttle: {free_failures: 2, lockout: 5m}
)yaml");
  ASSERT_TRUE(p.errors.empty()) << p.AllErrors();
  const auto& d = p.dirs.at(0);
  EXPECT_EQ(d.group_membership, GroupMembership::kMemberSearch);
  EXPECT_EQ(d.nested_depth_limit, 3);
  EXPECT_EQ(d.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(d.operation_timeout, std::chrono::milliseconds(2000));
  ASSERT_EQ(d.claims.size(), 2u);
  EXPECT_EQ(d.claims[0].first, "dept");
  EXPECT_EQ(d.claims[0].second, "departmentNumber");
  EXPECT_TRUE(d.offline.enabled);
  EXPECT_EQ(d.offline.max_age, std::chrono::hours(48));
  EXPECT_EQ(d.throttle.free_failures, 2);
  EXPECT_EQ(d.throttle.lockout_duration, std::chrono::minutes(5));
}

TEST(DirectoryConfig, PlainLdapWithoutStartTlsIsRefused) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldap://ldap1.fleet.test]
    bind_dn: cn=svc,dc=fleet,dc=test
    bind_password_env: PW
    user_search_base: dc=fleet,dc=test
)yaml");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("insecure: true"), std::string::npos);
  EXPECT_EQ(p.errors[0].line, 4);
  EXPECT_TRUE(p.dirs.empty());
}

TEST(DirectoryConfig, InsecureTrueAllowsPlainLdapWithAWarning) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldap://ldap1.fleet.test]
    insecure: true
    bind_dn: cn=svc,dc=fleet,dc=test
    bind_password_env: PW
    user_search_base: dc=fleet,dc=test
)yaml");
  EXPECT_TRUE(p.errors.empty()) << p.AllErrors();
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].message.find("clear text"), std::string::npos);
}

TEST(DirectoryConfig, InlinePasswordIsRefused) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldaps://ldap1.fleet.test]
    bind_dn: cn=svc,dc=fleet,dc=test
    bind_password: hunter2
    user_search_base: dc=fleet,dc=test
)yaml");
  ASSERT_FALSE(p.errors.empty());
  EXPECT_NE(p.AllErrors().find("bind_password_file or bind_password_env"), std::string::npos);
  EXPECT_EQ(p.AllErrors().find("hunter2"), std::string::npos);
}

TEST(DirectoryConfig, UnknownKeyGetsDidYouMean) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldaps://ldap1.fleet.test]
    bind_dn: cn=svc,dc=fleet,dc=test
    bind_password_env: PW
    user_search_bas: dc=fleet,dc=test
)yaml");
  EXPECT_NE(p.AllErrors().find("user_search_base"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, UnknownPresetIsRefused) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: novell
    uris: [ldaps://x]
    bind_dn: cn=svc
    bind_password_env: PW
    user_search_base: dc=x
)yaml");
  EXPECT_NE(p.AllErrors().find("unknown preset"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, MissingServiceAccountAndTemplateIsRefused) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldaps://x]
    user_search_base: dc=x
)yaml");
  EXPECT_NE(p.AllErrors().find("service account"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, UserBindTemplateMustContainPlaceholder) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldaps://x]
    user_bind_template: alice@fleet.test
    user_search_base: dc=x
)yaml");
  EXPECT_NE(p.AllErrors().find("{user}"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, BadUriAndBadDurationAreRefused) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [http://x]
    bind_dn: cn=svc
    bind_password_env: PW
    user_search_base: dc=x
    connect_timeout: soon
)yaml");
  EXPECT_NE(p.AllErrors().find("not an ldap:// or ldaps:// URI"), std::string::npos) << p.AllErrors();
  EXPECT_NE(p.AllErrors().find("connect_timeout"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, DuplicateNamesAreRefused) {
  Parsed p = Parse(std::string(kMinimalOpenLdap) + R"yaml(  - name: corp
    preset: openldap
    uris: [ldaps://x]
    bind_dn: cn=svc
    bind_password_env: PW
    user_search_base: dc=x
)yaml");
  EXPECT_NE(p.AllErrors().find("duplicate directory name"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, InChainOnOpenLdapIsRefused) {
  Parsed p = Parse(R"yaml(directories:
  - name: corp
    preset: openldap
    uris: [ldaps://x]
    bind_dn: cn=svc
    bind_password_env: PW
    user_search_base: dc=x
    nested_method: in_chain
)yaml");
  EXPECT_NE(p.AllErrors().find("iterative"), std::string::npos) << p.AllErrors();
}

TEST(DirectoryConfig, NotAListIsRefused) {
  Parsed p = Parse("directories: {name: corp}\n");
  EXPECT_FALSE(p.errors.empty());
  EXPECT_TRUE(p.dirs.empty());
}

TEST(DirectoryConfig, AbsentSectionMeansNoDirectories) {
  Parsed p = Parse("version: 1\n");
  EXPECT_TRUE(p.errors.empty());
  EXPECT_TRUE(p.dirs.empty());
}

TEST(ParseDuration, UnitsAndRefusals) {
  EXPECT_EQ(*ParseDuration("90"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDuration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(*ParseDuration("3d"), std::chrono::hours(72));
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("5w").ok());
  EXPECT_FALSE(ParseDuration("-5s").ok());
  EXPECT_FALSE(ParseDuration("99999999999999s").ok());
}

TEST(LoadBindPassword, ReadsFileWithoutTrailingNewline) {
  const std::string path = testing::TempDir() + "/bind.pw";
  { std::ofstream(path) << "s3cret\n"; }
  chmod(path.c_str(), 0600);
  DirectoryConfig c;
  c.name = "corp";
  c.bind_password_file = path;
  auto pw = LoadBindPassword(c);
  ASSERT_TRUE(pw.ok()) << pw.status().ToString();
  EXPECT_EQ(pw->expose(), "s3cret");
}

TEST(LoadBindPassword, RefusesWorldReadableFile) {
  const std::string path = testing::TempDir() + "/bind-open.pw";
  { std::ofstream(path) << "s3cret\n"; }
  chmod(path.c_str(), 0644);
  DirectoryConfig c;
  c.name = "corp";
  c.bind_password_file = path;
  auto pw = LoadBindPassword(c);
  ASSERT_FALSE(pw.ok());
  EXPECT_NE(pw.status().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(pw.status().message().find("s3cret"), std::string::npos);
}

TEST(LoadBindPassword, RefusesUnsetEnvironmentVariable) {
  DirectoryConfig c;
  c.name = "corp";
  c.bind_password_env = "IDB_TEST_SURELY_UNSET_VARIABLE";
  unsetenv("IDB_TEST_SURELY_UNSET_VARIABLE");
  EXPECT_EQ(LoadBindPassword(c).status().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace idb::ldap
