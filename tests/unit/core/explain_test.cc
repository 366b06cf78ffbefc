// Explain(): reasons, provenance, verdict; always the same decisions as Evaluate().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/engine.h"
#include "test_policy.h"

namespace idb {
namespace {

using ::testing::HasSubstr;
using idb::testing::MakePolicy;
const SystemTime kNow = SystemTime(std::chrono::hours(24 * 365 * 50));

const std::string kRules = R"(version: 1
rules:
  - name: mechanics-a
    match:
      all:
        - group_cn: Mechanics
        - claim: { department: "Depot A" }
    grant_profiles: [editor]
    locations: [Depot A]
  - name: everyone-views
    match: { source: "ldap:*" }
    grant_profiles: [viewer]
  - name: no-vendor-edit
    match: { not: { group_cn: Buyers } }
    deny: [vendors.edit, { permission: work_orders.delete, locations: [Depot A] }]
)";

Identity Alice() {
  Identity id;
  id.user = "alice";
  id.source = "ldap:corp";
  id.groups.push_back({"CN=Mechanics,OU=Groups,DC=fleet,DC=test", "Mechanics", "", {}});
  id.claims["department"] = {"Depot A"};
  return id;
}

TEST(Explain, ListsMatchedRulesWithTheirReasons) {
  auto p = MakePolicy(kRules);
  Explanation ex = Explain(*p, Alice(), {}, kNow);
  ASSERT_EQ(ex.matched_rules.size(), 3u);
  const RuleMatch& m = ex.matched_rules[0];
  EXPECT_EQ(m.rule, "mechanics-a");
  ASSERT_EQ(m.reasons.size(), 2u);
  EXPECT_EQ(m.reasons[0].matcher, "group_cn");
  EXPECT_EQ(m.reasons[0].matched, "CN=Mechanics,OU=Groups,DC=fleet,DC=test");
  EXPECT_EQ(m.reasons[1].matcher, "claim");
  EXPECT_EQ(m.reasons[1].matched, "Depot A");
  EXPECT_EQ(m.profiles, std::vector<std::string>{"editor"});
  EXPECT_EQ(ex.matched_rules[1].reasons[0].matcher, "source");
  EXPECT_EQ(ex.matched_rules[2].reasons[0].matcher, "not");
  EXPECT_EQ(m.where.line, 3);
}

TEST(Explain, GivesProvenanceAndScopeOfEachPermission) {
  auto p = MakePolicy(kRules);
  Explanation ex = Explain(*p, Alice(), {}, kNow);
  const EffectivePermission* edit = nullptr;
  for (const auto& e : ex.permissions)
    if (e.permission == "work_orders.edit") edit = &e;
  ASSERT_NE(edit, nullptr);
  EXPECT_EQ(edit->allowed, ScopeSet::Only({"Depot A"}));
  ASSERT_EQ(edit->granted_by.size(), 1u);
  EXPECT_EQ(edit->granted_by[0].rule, "mechanics-a");
  EXPECT_EQ(edit->granted_by[0].profile, "editor");
  EXPECT_EQ(edit->granted_by[0].ToString(), "rule mechanics-a -> profile editor at Depot A");
}

TEST(Explain, ShowsDeniesAndRemovedPermissions) {
  auto p = MakePolicy(kRules);
  Explanation ex = Explain(*p, Alice(), {}, kNow);
  bool vendor_edit_removed = false;
  for (const auto& e : ex.removed) {
    if (e.permission == "vendors.edit") {
      vendor_edit_removed = true;
      ASSERT_EQ(e.denied_by.size(), 1u);
      EXPECT_EQ(e.denied_by[0].rule, "no-vendor-edit");
    }
  }
  EXPECT_TRUE(vendor_edit_removed);
}

TEST(Explain, OverrideProvenanceAndExpiredNote) {
  auto p = MakePolicy(kRules);
  UserAdjustments adj;
  adj.overrides.push_back({42, OverrideEffect::kGrant, "parts.edit", std::nullopt, "Main", std::nullopt, "cover"});
  adj.overrides.push_back({43, OverrideEffect::kGrant, "vendors.view", std::nullopt, std::nullopt, kNow, "old"});
  Explanation ex = Explain(*p, Alice(), adj, kNow);
  bool found = false;
  for (const auto& e : ex.permissions) {
    for (const auto& g : e.granted_by) {
      if (g.kind == Provenance::Kind::kOverride && g.override_id == 42) found = true;
    }
  }
  EXPECT_TRUE(found);
  ASSERT_FALSE(ex.notes.empty());
  EXPECT_THAT(ex.notes[0], HasSubstr("override 43"));
  EXPECT_THAT(ex.notes[0], HasSubstr("expired"));
}

TEST(Explain, LimitsAppearInLimitedBy) {
  auto p = MakePolicy(kRules);
  UserAdjustments adj;
  adj.limits.locations = std::vector<std::string>{"Depot B"};
  Explanation ex = Explain(*p, Alice(), adj, kNow);
  for (const auto& e : ex.permissions) {
    if (e.permission == "work_orders.view") {
      EXPECT_EQ(e.allowed, ScopeSet::Only({"Depot B"}));
      ASSERT_FALSE(e.limited_by.empty());
      EXPECT_THAT(e.limited_by[0], HasSubstr("user location limit"));
    }
  }
}

TEST(Explain, VerdictWithoutProfile) {
  auto p = MakePolicy("version: 1\nrules:\n  - name: r\n    match: { group_cn: X }\n    grant_profiles: [full]\n");
  Explanation ex = Explain(*p, Alice(), {}, kNow);
  EXPECT_FALSE(ex.login_allowed);
  EXPECT_EQ(ex.verdict, "no profile mapped");
  EXPECT_THAT(ex.ToText(), HasSubstr("login: DENIED (no profile mapped)"));
}

TEST(Explain, DecisionsEqualEvaluate) {
  auto p = MakePolicy(kRules);
  UserAdjustments adj;
  adj.limits.warehouses = std::vector<std::string>{"Main"};
  Explanation ex = Explain(*p, Alice(), adj, kNow);
  EXPECT_EQ(ex.decisions.ToJson(), Evaluate(*p, Alice(), adj, kNow).ToJson());
  for (const auto& e : ex.permissions) {
    bool listed = false;
    for (const auto& d : ex.decisions.decisions()) listed = listed || (d.permission == e.permission && d.allowed == e.allowed);
    EXPECT_TRUE(listed) << e.permission;
  }
}

TEST(Explain, JsonHasDocumentedShape) {
  auto p = MakePolicy(kRules);
  nlohmann::json j = Explain(*p, Alice(), {}, kNow).ToJson();
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["login"], true);
  EXPECT_EQ(j["verdict"], "allowed");
  EXPECT_EQ(j["matched_rules"][0]["rule"], "mechanics-a");
  EXPECT_EQ(j["matched_rules"][0]["reasons"][0]["matcher"], "group_cn");
  EXPECT_EQ(j["matched_rules"][0]["locations"][0], "Depot A");
  bool seen = false;
  for (const auto& perm : j["permissions"]) {
    if (perm["permission"] == "work_orders.edit") {
      seen = true;
      EXPECT_EQ(perm["allowed"]["scope"], "location");
      EXPECT_EQ(perm["allowed"]["only"][0], "Depot A");
      EXPECT_EQ(perm["granted_by"][0]["kind"], "rule");
      EXPECT_EQ(perm["granted_by"][0]["profile"], "editor");
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(j["decision_set"]["permissions"].is_object());
}

}  // namespace
}  // namespace idb
