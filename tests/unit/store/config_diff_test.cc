#include "store/config_diff.h"

#include <gtest/gtest.h>

namespace idb::store {
namespace {

PermissionDecision Loc(std::string perm, ScopeSet s) { return {std::move(perm), ScopeKind::kLocation, std::move(s)}; }

TEST(ConfigDiff, LostLoginAndProfileAreReported) {
  DecisionSet before("bob", true, {"auditor"}, {{"vendors.view", ScopeKind::kNone, ScopeSet::Everywhere()}});
  DecisionSet after("bob", false, {}, {});
  UserDiff d = CompareDecisions("bob", before, after);
  EXPECT_TRUE(d.changed());
  EXPECT_TRUE(d.login_before);
  EXPECT_FALSE(d.login_after);
  EXPECT_EQ(d.profiles_lost, std::vector<std::string>{"auditor"});
  ASSERT_EQ(d.permissions.size(), 1u);
  EXPECT_TRUE(d.permissions[0].lost.IsEverywhere());
  EXPECT_TRUE(d.permissions[0].gained.IsEmpty());
}

TEST(ConfigDiff, ScopeChangesAreSplitIntoGainedAndLostPlaces) {
  DecisionSet before("a", true, {"t"}, {Loc("work_orders.edit", ScopeSet::Only({"Depot A", "Depot C"}))});
  DecisionSet after("a", true, {"t"}, {Loc("work_orders.edit", ScopeSet::Only({"Depot A", "Depot B"}))});
  UserDiff d = CompareDecisions("a", before, after);
  ASSERT_EQ(d.permissions.size(), 1u);
  EXPECT_EQ(d.permissions[0].gained, ScopeSet::Only({"Depot B"}));
  EXPECT_EQ(d.permissions[0].lost, ScopeSet::Only({"Depot C"}));
  DiffReport r;
  r.users_checked = 1;
  r.changed.push_back(d);
  std::string text = r.ToText();
  EXPECT_NE(text.find("a: gains work_orders.edit only at location Depot B"), std::string::npos) << text;
  EXPECT_NE(text.find("a: loses work_orders.edit only at location Depot C"), std::string::npos) << text;
  auto j = r.ToJson();
  EXPECT_EQ(j["changes"][0]["permissions"][0]["gained"]["only"], nlohmann::json({"Depot B"}));
}

TEST(ConfigDiff, IdenticalDecisionsAreNoChange) {
  DecisionSet same("a", true, {"t"}, {Loc("work_orders.edit", ScopeSet::Everywhere())});
  EXPECT_FALSE(CompareDecisions("a", same, same).changed());
}

TEST(ConfigDiff, EverywhereExceptIsDescribed) {
  EXPECT_EQ(DescribeScope(ScopeKind::kWarehouse, ScopeSet{true, {"Main"}}), "everywhere except warehouse Main");
  EXPECT_EQ(DescribeScope(ScopeKind::kNone, ScopeSet::Everywhere()), "");
  EXPECT_EQ(DescribeScope(ScopeKind::kLocation, ScopeSet::Only({"A", "B"})), "only at locations A, B");
}

}  // namespace
}  // namespace idb::store
