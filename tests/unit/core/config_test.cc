// LoadConfig: relative paths, raw sections for other components, diagnostics.
#include "core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "temp_dir.h"
#include "test_policy.h"

namespace idb {
namespace {

using ::testing::HasSubstr;
using idb::testing::TempDir;

const char* kRules = "version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: [full]\n";

// conf/idbridge.yaml + maps/{catalog,profiles,rules}.yaml
std::string WriteTree(const TempDir& dir, const std::string& config_extra = "") {
  dir.Write("maps/catalog.yaml", idb::testing::kCatalog);
  dir.Write("maps/profiles.yaml", idb::testing::kProfiles);
  dir.Write("maps/rules.yaml", kRules);
  return dir.Write("conf/idbridge.yaml",
                   "version: 1\nmappings:\n  catalog: ../maps/catalog.yaml\n  profiles: ../maps/profiles.yaml\n"
                   "  rules: ../maps/rules.yaml\nstore:\n  path: data/idb.db\n  history_retention_days: 30\n" +
                       config_extra);
}

std::string Joined(const ConfigLoad& load) {
  std::string all;
  for (const auto& d : load.errors) all += d.ToString() + "\n";
  return all;
}

TEST(Config, LoadsAndResolvesPathsRelativeToTheConfigFile) {
  TempDir dir;
  ConfigLoad load = LoadConfig(WriteTree(dir));
  ASSERT_TRUE(load.ok()) << Joined(load);
  EXPECT_EQ(load.config->mappings.rules, dir.path() + "/maps/rules.yaml");
  EXPECT_EQ(load.config->store.path, dir.path() + "/conf/data/idb.db");
  EXPECT_EQ(load.config->store.history_retention_days, 30);
  EXPECT_EQ(load.config->policy->rules().size(), 1u);
  EXPECT_EQ(load.config->files_hash.size(), 64u);
}

TEST(Config, KeepsOtherComponentsSectionsRaw) {
  TempDir dir;
  ConfigLoad load = LoadConfig(WriteTree(dir, "daemon:\n  socket: /run/x.sock\ndirectories:\n  - name: corp\noidc:\n  providers: []\n"));
  ASSERT_TRUE(load.ok()) << Joined(load);
  ASSERT_TRUE(load.config->daemon.IsMap());
  EXPECT_EQ(load.config->daemon["socket"].as<std::string>(), "/run/x.sock");
  EXPECT_TRUE(load.config->directories.IsSequence());
  EXPECT_TRUE(load.config->oidc.IsMap());
  EXPECT_EQ(load.config->daemon.Mark().line, 9);  // position kept for the owners' diagnostics
}

TEST(Config, AbsentSectionsAreUndefined) {
  TempDir dir;
  ConfigLoad load = LoadConfig(WriteTree(dir));
  ASSERT_TRUE(load.ok());
  EXPECT_FALSE(load.config->daemon.IsDefined());
}

TEST(Config, UnknownTopLevelKeyGetsDidYouMean) {
  TempDir dir;
  ConfigLoad load = LoadConfig(WriteTree(dir, "deamon: {}\n"));
  EXPECT_FALSE(load.ok());
  EXPECT_THAT(Joined(load), HasSubstr("idbridge.yaml:9:1: unknown key 'deamon' in the configuration file (did you mean 'daemon'?)"));
}

TEST(Config, MissingMappingFileIsADiagnostic) {
  TempDir dir;
  std::string path = WriteTree(dir);
  std::filesystem::remove(dir.path() + "/maps/rules.yaml");
  ConfigLoad load = LoadConfig(path);
  EXPECT_FALSE(load.ok());
  EXPECT_THAT(Joined(load), HasSubstr("maps/rules.yaml: cannot open file"));
}

TEST(Config, ErrorsInMappingFilesPointIntoThoseFiles) {
  TempDir dir;
  std::string path = WriteTree(dir);
  dir.Write("maps/rules.yaml", "version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profile: [full]\n");
  ConfigLoad load = LoadConfig(path);
  EXPECT_FALSE(load.ok());
  EXPECT_THAT(Joined(load), HasSubstr("maps/rules.yaml:5:5: unknown key 'grant_profile'"));
}

TEST(Config, MissingMappingsAndBadStoreAreReported) {
  TempDir dir;
  std::string path = dir.Write("c.yaml", "version: 1\nstore:\n  path: [x]\n  history_retention_days: -1\n");
  std::string e = Joined(LoadConfig(path));
  EXPECT_THAT(e, HasSubstr("missing required key 'mappings'"));
  EXPECT_THAT(e, HasSubstr("'path' must be a string, not list"));
  EXPECT_THAT(e, HasSubstr("'history_retention_days' must be between 1 and 36500"));
}

TEST(Config, UnsupportedVersionIsRefused) {
  TempDir dir;
  std::string e = Joined(LoadConfig(dir.Write("c.yaml", "version: 3\nmappings: {catalog: a, profiles: b, rules: c}\n")));
  EXPECT_THAT(e, HasSubstr("unsupported configuration version 3"));
}

TEST(Config, FilesHashChangesWhenAMappingFileChanges) {
  TempDir dir;
  std::string path = WriteTree(dir);
  ConfigLoad a = LoadConfig(path);
  dir.Write("maps/rules.yaml", std::string(kRules) + "  - name: s\n    match: { group_cn: H }\n    grant_profiles: [full]\n");
  ConfigLoad b = LoadConfig(path);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.config->files_hash, b.config->files_hash);
}

TEST(Config, NonexistentConfigFile) {
  ConfigLoad load = LoadConfig("/nonexistent/idbridge.yaml");
  EXPECT_FALSE(load.ok());
  EXPECT_EQ(Joined(load), "/nonexistent/idbridge.yaml: cannot open file\n");
}

TEST(Config, ShippedConfigIsValid) {
  ConfigLoad load = LoadConfig(std::string(IDB_SOURCE_DIR) + "/config/idbridge.yaml");
  ASSERT_TRUE(load.ok()) << Joined(load);
  EXPECT_GE(load.config->policy->catalog().size(), 90u);
}

}  // namespace
}  // namespace idb
