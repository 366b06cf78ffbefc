// Integration test: `idbridgectl check --live` finds groups that rules name
// but the directory does not have (LiveCheck against the demo slapd).
#include <gtest/gtest.h>

#include <sstream>

#include "core/config.h"
#include "ldap/live_check.h"
#include "slapd_fixture.h"

namespace idb::ldap::testing {
namespace {

using LiveCheckTest = SlapdTest;

// Writes a config + rules naming one real group and three typos.
std::string WriteConfig(const std::string& dir, const idb::testing::SlapdServer& s) {
  const std::string m = std::string(IDB_SOURCE_DIR) + "/mappings/";
  idb::testing::WriteFile(dir + "/svc.pw", "svc-test-password\n", 0600);
  idb::testing::WriteFile(dir + "/rules.yaml", R"yaml(version: 1
default: deny
rules:
  - name: real-group
    match: { group: "CN=Fleet Managers,OU=Groups,DC=fleet,DC=test" }
    grant_profiles: [management]
  - name: typo-dn
    match: { group: "CN=Fleet Manager,OU=Groups,DC=fleet,DC=test" }
    grant_profiles: [management]
  - name: typo-cn
    match: { group_cn: Mechanix }
    grant_profiles: [management]
  - name: real-cn
    match: { group_cn: Mechanics }
    grant_profiles: [management]
)yaml");
  const std::string cfg = dir + "/idbridge.yaml";
  idb::testing::WriteFile(cfg, "version: 1\nmappings:\n  catalog: " + m + "catalog.yaml\n  profiles: " + m +
                                   "profiles.yaml\n  rules: rules.yaml\nstore:\n  path: " + dir +
                                   "/store.db\ndirectories:\n  - name: demo\n    preset: openldap\n    uris: [" +
                                   s.ldaps_uri() + "]\n    ca_file: " + s.ca_file() +
                                   "\n    bind_dn: cn=idbridge-svc,ou=Services,dc=fleet,dc=test\n"
                                   "    bind_password_file: svc.pw\n    user_search_base: ou=People,dc=fleet,dc=test\n"
                                   "    group_search_base: ou=Groups,dc=fleet,dc=test\n");
  return cfg;
}

TEST_F(LiveCheckTest, WarnsAboutEveryGroupThatDoesNotExist) {
  ConfigLoad load = LoadConfig(WriteConfig(tmp_, *server_));
  ASSERT_TRUE(load.ok()) << (load.errors.empty() ? "" : load.errors[0].ToString());
  std::ostringstream out;
  LiveCheckReport r = LiveCheck(*load.config, out);
  EXPECT_EQ(r.errors, 0) << out.str();
  EXPECT_EQ(r.warnings, 2) << out.str();
  EXPECT_NE(out.str().find("rule 'typo-dn'"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("rule 'typo-cn'"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("rule 'real-group'"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("rules.yaml:8:"), std::string::npos) << "no file:line for the typo: " << out.str();
}

TEST_F(LiveCheckTest, UnreachableDirectoryIsAnErrorNotASilentPass) {
  std::string cfg = WriteConfig(tmp_, *server_);
  std::string text = idb::testing::ReadFile(cfg);
  text.replace(text.find(server_->ldaps_uri()), server_->ldaps_uri().size(), "ldaps://localhost:1");
  idb::testing::WriteFile(cfg, text);
  ConfigLoad load = LoadConfig(cfg);
  ASSERT_TRUE(load.ok());
  std::ostringstream out;
  LiveCheckReport r = LiveCheck(*load.config, out);
  EXPECT_GE(r.errors, 1) << out.str();
  EXPECT_NE(out.str().find("no server could be asked"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace idb::ldap::testing
