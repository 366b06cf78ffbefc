// explain_store_test.cc — `idbridgectl explain --store PATH`: the user's store
// overrides and limits (with provenance) change the explanation, and the
// last-known identity is used when no --group/--claim is given.
// Runs the explain command in-process against the shipped configuration and a
// SQLite store built in a temp dir.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sys/stat.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "ctl/commands.h"
#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace idb::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int code;
  std::string out, err;
};

Outcome RunExplain(std::vector<std::string> argv) {
  for (auto& c : CoreCommands()) {
    if (c.name != "explain") continue;
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
const std::string kMechanics = "CN=Mechanics,OU=Groups,DC=fleet,DC=test";

// A store for alice: built by the test, closed before explain opens it.
class ExplainStore : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/idbridge.db";
    auto st = store::OpenSqliteStore(path_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
  }
  int64_t Add(OverrideEffect effect, const std::string& perm, std::optional<std::string> location,
              const std::string& reason) {
    store::NewOverride o;
    o.user = "alice";
    o.effect = effect;
    o.permission = perm;
    o.location = std::move(location);
    o.reason = reason;
    auto id = store_->AddOverride(o, "bob (uid 1001)", std::chrono::system_clock::now());
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : -1;
  }
  nlohmann::json Json(std::vector<std::string> extra) {
    std::vector<std::string> argv = {"--config", kConfig, "--user", "alice", "--store", path_, "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Outcome o = RunExplain(argv);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.code == 0 ? nlohmann::json::parse(o.out) : nlohmann::json::object();
  }
  std::vector<std::string> AliceAtDepotA() {
    return {"--group", kMechanics, "--claim", "department=Depot A"};
  }

  idb::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ExplainStore, OverrideGrantAndDenyChangeTheVerdictAndShowProvenance) {
  int64_t grant = Add(OverrideEffect::kGrant, "work_orders.delete", "Depot A", "covering Carol");
  int64_t deny = Add(OverrideEffect::kDeny, "work_orders.edit", std::nullopt, "under review");
  store_.reset();
  // Without the store: technicians cannot delete work orders but can edit them.
  Outcome plain = RunExplain({"--config", kConfig, "--user", "alice", "--group", kMechanics, "--claim",
                              "department=Depot A", "--json"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  auto pj = nlohmann::json::parse(plain.out);
  EXPECT_FALSE(pj["decision_set"]["permissions"].contains("work_orders.delete"));
  EXPECT_TRUE(pj["decision_set"]["permissions"].contains("work_orders.edit"));

  auto j = Json(AliceAtDepotA());
  const auto& perms = j["decision_set"]["permissions"];
  ASSERT_TRUE(perms.contains("work_orders.delete"));
  EXPECT_EQ(perms["work_orders.delete"]["only"], nlohmann::json::array({"Depot A"}));
  EXPECT_FALSE(perms.contains("work_orders.edit"));
  ASSERT_TRUE(j.contains("store"));
  ASSERT_EQ(j["store"]["overrides"].size(), 2u);
  EXPECT_EQ(j["store"]["overrides"][0]["id"], grant);
  EXPECT_EQ(j["store"]["overrides"][0]["added_by"], "bob (uid 1001)");
  EXPECT_EQ(j["store"]["overrides"][0]["reason"], "covering Carol");
  EXPECT_EQ(j["store"]["overrides"][1]["id"], deny);
  EXPECT_EQ(j["store"]["overrides"][1]["effect"], "deny");
}

TEST_F(ExplainStore, TextOutputListsEachOverrideWithWhoAddedItAndWhy) {
  int64_t grant = Add(OverrideEffect::kGrant, "work_orders.delete", "Depot A", "covering Carol");
  int64_t deny = Add(OverrideEffect::kDeny, "work_orders.edit", std::nullopt, "under review");
  store_.reset();
  std::vector<std::string> argv = {"--config", kConfig, "--user", "alice", "--store", path_};
  for (auto& a : AliceAtDepotA()) argv.push_back(a);
  Outcome o = RunExplain(argv);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("store " + path_ + ":"));
  EXPECT_THAT(o.out, HasSubstr("override #" + std::to_string(grant) +
                               ": grant work_orders.delete at location \"Depot A\""));
  EXPECT_THAT(o.out, HasSubstr("by bob (uid 1001): covering Carol"));
  EXPECT_THAT(o.out, HasSubstr("override #" + std::to_string(deny) + ": deny work_orders.edit"));
  EXPECT_THAT(o.out, HasSubstr("override #" + std::to_string(deny)));  // the engine's provenance too
  EXPECT_THAT(o.out, HasSubstr("store limits: locations: no restriction"));
}

TEST_F(ExplainStore, StoreLimitNarrowsAnEverywhereGrantToTheListedLocations) {
  Add(OverrideEffect::kGrant, "work_orders.delete", std::nullopt, "all depots");
  store::LimitsUpdate lim;
  lim.locations = {true, std::vector<std::string>{"Depot A"}};
  ASSERT_TRUE(store_->UpdateLimits("alice", lim, "bob (uid 1001)", std::chrono::system_clock::now()).ok());
  store_.reset();
  auto j = Json(AliceAtDepotA());
  const auto& perms = j["decision_set"]["permissions"];
  ASSERT_TRUE(perms.contains("work_orders.delete"));
  EXPECT_EQ(perms["work_orders.delete"]["scope"], "location");
  EXPECT_EQ(perms["work_orders.delete"]["only"], nlohmann::json::array({"Depot A"}));
  EXPECT_EQ(j["store"]["limits"]["locations"], nlohmann::json::array({"Depot A"}));
}

TEST_F(ExplainStore, WithoutGroupsTheLastKnownIdentityIsUsed) {
  Identity known;
  known.user = "alice";
  known.source = "ldap:corp";
  DirectoryGroup g;
  g.dn = kMechanics;
  known.groups.push_back(g);
  known.claims["department"].push_back("Depot A");
  ASSERT_TRUE(store_->RememberIdentity(known, std::chrono::system_clock::now()).ok());
  store_.reset();
  auto j = Json({});
  EXPECT_EQ(j["login"], true);
  EXPECT_EQ(j["source"], "ldap:corp");
  EXPECT_TRUE(j["decision_set"]["permissions"].contains("work_orders.edit"));
  EXPECT_FALSE(j["store"]["last_login"].is_null());
}

TEST_F(ExplainStore, GroupsOnTheCommandLineWinOverTheLastKnownIdentity) {
  Identity known;
  known.user = "alice";
  known.source = "ldap:corp";
  DirectoryGroup g;
  g.dn = kMechanics;
  known.groups.push_back(g);
  known.claims["department"].push_back("Depot A");
  ASSERT_TRUE(store_->RememberIdentity(known, std::chrono::system_clock::now()).ok());
  store_.reset();
  auto j = Json({"--group", "CN=Visitors,DC=x"});
  EXPECT_EQ(j["login"], false);
}

TEST_F(ExplainStore, MissingStoreFileExitsTwoWithTheReason) {
  store_.reset();
  Outcome o = RunExplain({"--config", kConfig, "--user", "alice", "--store", dir_.path() + "/nope.db"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_THAT(o.err, HasSubstr("idbridgectl explain: store " + dir_.path() + "/nope.db"));
}

TEST_F(ExplainStore, CorruptStoreFileExitsTwo) {
  store_.reset();
  std::string bad = dir_.Write("bad.db", "this is not a sqlite database, just text padding it out........");
  ::chmod(bad.c_str(), 0600);
  Outcome o = RunExplain({"--config", kConfig, "--user", "alice", "--store", bad});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_THAT(o.err, HasSubstr("idbridgectl explain: store"));
}

TEST_F(ExplainStore, UseStoreWithoutStorePathInConfigExitsTwo) {
  store_.reset();
  std::string cfg = dir_.Write("c.yaml",
                               "version: 1\nmappings: {catalog: " + std::string(IDB_SOURCE_DIR) +
                                   "/mappings/catalog.yaml, profiles: " + IDB_SOURCE_DIR +
                                   "/mappings/profiles.yaml, rules: " + IDB_SOURCE_DIR + "/mappings/rules.yaml}\n");
  Outcome o = RunExplain({"--config", cfg, "--user", "alice", "--use-store"});
  EXPECT_EQ(o.code, 2) << o.out << o.err;
  EXPECT_THAT(o.err, HasSubstr("--use-store"));
}

TEST_F(ExplainStore, UseStoreReadsTheStorePathOfTheConfig) {
  Add(OverrideEffect::kDeny, "work_orders.edit", std::nullopt, "under review");
  store_.reset();
  std::string cfg = dir_.Write("c.yaml",
                               "version: 1\nmappings: {catalog: " + std::string(IDB_SOURCE_DIR) +
                                   "/mappings/catalog.yaml, profiles: " + IDB_SOURCE_DIR +
                                   "/mappings/profiles.yaml, rules: " + IDB_SOURCE_DIR +
                                   "/mappings/rules.yaml}\nstore: {path: " + path_ + "}\n");
  std::vector<std::string> argv = {"--config", cfg, "--user", "alice", "--use-store", "--json"};
  for (auto& a : AliceAtDepotA()) argv.push_back(a);
  Outcome o = RunExplain(argv);
  ASSERT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_FALSE(j["decision_set"]["permissions"].contains("work_orders.edit"));
  EXPECT_EQ(j["store"]["overrides"].size(), 1u);
}

TEST_F(ExplainStore, WithoutStoreOptionsTheStoreOfTheConfigIsNotRead) {
  Add(OverrideEffect::kDeny, "work_orders.edit", std::nullopt, "under review");
  store_.reset();
  std::string cfg = dir_.Write("c.yaml",
                               "version: 1\nmappings: {catalog: " + std::string(IDB_SOURCE_DIR) +
                                   "/mappings/catalog.yaml, profiles: " + IDB_SOURCE_DIR +
                                   "/mappings/profiles.yaml, rules: " + IDB_SOURCE_DIR +
                                   "/mappings/rules.yaml}\nstore: {path: " + path_ + "}\n");
  std::vector<std::string> argv = {"--config", cfg, "--user", "alice", "--json"};
  for (auto& a : AliceAtDepotA()) argv.push_back(a);
  Outcome o = RunExplain(argv);
  ASSERT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_TRUE(j["decision_set"]["permissions"].contains("work_orders.edit"));
  EXPECT_FALSE(j.contains("store"));
}

}  // namespace
}  // namespace idb::ctl
