// idbridgectl catalog / check / explain / test, run in-process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "ctl/commands.h"
#include "temp_dir.h"
#include "test_policy.h"

namespace idb::ctl {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code;
  std::string out, err;
};

Outcome RunCtl(const std::string& name, std::vector<std::string> argv) {
  for (auto& c : CoreCommands()) {
    if (c.name != name) continue;
    ArgSpec spec = c.spec;
    spec.value_options.insert("config");
    auto args = Args::Parse(argv, spec);
    if (!args.ok()) return {2, "", args.status().message()};
    std::ostringstream out, err;
    int code = c.run(*args, out, err);
    return {code, out.str(), err.str()};
  }
  return {-1, "", "no such command"};
}

const std::string kConfig = std::string(IDB_SOURCE_DIR) + "/config/idbridge.yaml";

TEST(Ctl, CheckPrintsOneLineSummaryOnValidConfig) {
  Outcome o = RunCtl("check", {"--config", kConfig});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::MatchesRegex("ok: [0-9]+ permissions, 4 profiles, [0-9]+ rules\n"));
}

TEST(Ctl, CheckPrintsOneDiagnosticPerLineAndExitsOne) {
  idb::testing::TempDir dir;
  dir.Write("catalog.yaml", idb::testing::kCatalog);
  dir.Write("profiles.yaml", idb::testing::kProfiles);
  dir.Write("rules.yaml",
            "version: 1\nrules:\n  - name: r\n    match: { group: 'CN=a,,DC=b' }\n    grant_profile: [full]\n"
            "  - name: r\n    match: { group_cn: x }\n    grant_profiles: [fulll]\n");
  std::string cfg = dir.Write("idbridge.yaml",
                              "version: 1\nmappings: {catalog: catalog.yaml, profiles: profiles.yaml, rules: rules.yaml}\n");
  Outcome o = RunCtl("check", {"--config", cfg});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_THAT(o.err, HasSubstr("rules.yaml:4:21: 'group': malformed DN"));
  EXPECT_THAT(o.err, HasSubstr("rules.yaml:5:5: unknown key 'grant_profile' in rule 'r' (did you mean 'grant_profiles'?)"));
  EXPECT_THAT(o.err, HasSubstr("rules.yaml:6:11: duplicate rule name 'r'"));
  EXPECT_THAT(o.err, HasSubstr("rules.yaml:8:22: unknown profile 'fulll' (did you mean 'full'?)"));
  // one per line, each "file:line:col: message"
  std::istringstream lines(o.err);
  std::string line;
  while (std::getline(lines, line)) EXPECT_THAT(line, ::testing::MatchesRegex(".*rules\\.yaml:[0-9]+:[0-9]+: .*"));
}

#ifdef IDB_CTL_HAVE_DAEMON
// A valid mapping set and no rules; `rest` follows the mappings line (its
// first line is line 3 of idbridge.yaml).
std::string ConfigWithValidMappings(idb::testing::TempDir& dir, const std::string& rest) {
  dir.Write("catalog.yaml", idb::testing::kCatalog);
  dir.Write("profiles.yaml", idb::testing::kProfiles);
  dir.Write("rules.yaml", "version: 1\nrules: []\n");
  return dir.Write("idbridge.yaml",
                   "version: 1\nmappings: {catalog: catalog.yaml, profiles: profiles.yaml, rules: rules.yaml}\n" + rest);
}

TEST(Ctl, CheckReportsMistakesInTheDaemonSectionAsIdbridgedWould) {
  idb::testing::TempDir dir;
  std::string cfg =
      ConfigWithValidMappings(dir, "daemon:\n  threads: lots\n  local_admin_throttle:\n    lockout_failure: 3\n");
  Outcome o = RunCtl("check", {"--config", cfg});
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_THAT(o.err, HasSubstr("idbridge.yaml:4:12: 'threads' must be an integer, not 'lots'"));
  EXPECT_THAT(o.err, HasSubstr("idbridge.yaml:6:5: unknown key 'lockout_failure' in local_admin_throttle (did you "
                               "mean 'lockout_failures'?)"));
}

TEST(Ctl, CheckReportsABrokenOidcProvider) {
  idb::testing::TempDir dir;
  std::string cfg = ConfigWithValidMappings(dir,
                                            "oidc:\n  - name: corp\n    issuer: https://idp.example\n"
                                            "    client_id: fleet\n    audiences: [fleet]\n    scops: [openid]\n");
  Outcome o = RunCtl("check", {"--config", cfg});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("idbridge.yaml:8:5: unknown key 'scops'"));
}
#endif

TEST(Ctl, CheckOnMissingConfigExitsOne) {
  Outcome o = RunCtl("check", {"--config", "/nonexistent.yaml"});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr("cannot open file"));
}

TEST(Ctl, CatalogListsEveryPermissionWithScopeAndRequirements) {
  Outcome o = RunCtl("catalog", {"--config", kConfig});
  EXPECT_EQ(o.code, 0);
  EXPECT_THAT(o.out, HasSubstr("meter_entries.edit"));
  EXPECT_THAT(o.out, HasSubstr("[requires meter_entries.view]"));
  EXPECT_THAT(o.out, HasSubstr("parts — Parts (scope: warehouse)"));
}

TEST(Ctl, CatalogJsonIsParseableAndComplete) {
  Outcome o = RunCtl("catalog", {"--config", kConfig, "--json"});
  ASSERT_EQ(o.code, 0);
  auto j = nlohmann::json::parse(o.out);
  ASSERT_TRUE(j["permissions"].is_array());
  EXPECT_GE(j["permissions"].size(), 90u);
  bool found = false;
  for (const auto& p : j["permissions"]) {
    if (p["id"] == "vehicles.view_financial") {
      found = true;
      EXPECT_EQ(p["module"], "vehicles");
      EXPECT_EQ(p["scope"], "location");
      EXPECT_FALSE(p["title"].get<std::string>().empty());
      EXPECT_FALSE(p["description"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST(Ctl, ExplainShowsRulesProvenanceAndVerdict) {
  Outcome o = RunCtl("explain", {"--config", kConfig, "--user", "alice", "--group",
                              "CN=Mechanics,OU=Groups,DC=fleet,DC=test", "--claim", "department=Depot A"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("login: allowed"));
  EXPECT_THAT(o.out, HasSubstr("depot-a-mechanics"));
  EXPECT_THAT(o.out, HasSubstr("because group_cn mechanics matched CN=Mechanics,OU=Groups,DC=fleet,DC=test"));
  EXPECT_THAT(o.out, HasSubstr("granted by rule depot-a-mechanics -> profile technicians at Depot A"));
}

TEST(Ctl, ExplainJsonHasTheDocumentedFields) {
  Outcome o = RunCtl("explain", {"--config", kConfig, "--user", "eve", "--group", "CN=Visitors,DC=x", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  for (const char* key : {"user", "source", "login", "verdict", "profiles", "default_applied", "matched_rules",
                          "permissions", "removed", "notes", "decision_set"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["login"], false);
  EXPECT_EQ(j["verdict"], "no profile mapped");
}

TEST(Ctl, ExplainNeedsUserAndWellFormedClaims) {
  EXPECT_EQ(RunCtl("explain", {"--config", kConfig}).code, 2);
  Outcome o = RunCtl("explain", {"--config", kConfig, "--user", "a", "--claim", "novalue"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--claim needs key=value"));
}

TEST(Ctl, TestRunsTheShippedGoldenCases) {
  Outcome o = RunCtl("test", {"--config", kConfig});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("ok: "));
}

}  // namespace
}  // namespace idb::ctl
