// Tests for DecisionSet / ScopeSet (core/decision_set.h): the plugin's hot path.
#include "core/decision_set.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace idb {
namespace {

DecisionSet Sample(bool login = true) {
  return DecisionSet("alice", login, {"technicians"},
                     {{"work_orders.edit", ScopeKind::kLocation, ScopeSet::Only({"Depot A", "Depot B"})},
                      {"work_orders.view", ScopeKind::kLocation, ScopeSet::Everywhere()},
                      {"parts.view", ScopeKind::kWarehouse, ScopeSet{true, {"Main"}}},
                      {"vendors.view", ScopeKind::kNone, ScopeSet::Everywhere()},
                      {"empty.one", ScopeKind::kLocation, ScopeSet::Nowhere()}});
}

TEST(ScopeSet, UnionIntersectMinusCoverAllCases) {
  const ScopeSet ab = ScopeSet::Only({"A", "B"}), bc = ScopeSet::Only({"B", "C"});
  const ScopeSet not_b{true, {"B"}}, not_c{true, {"C"}};
  EXPECT_EQ(ab.Union(bc), ScopeSet::Only({"A", "B", "C"}));
  EXPECT_EQ(ab.Intersect(bc), ScopeSet::Only({"B"}));
  EXPECT_EQ(ab.Minus(bc), ScopeSet::Only({"A"}));
  EXPECT_EQ(not_b.Union(not_c), ScopeSet::Everywhere());
  EXPECT_EQ(not_b.Intersect(not_c), (ScopeSet{true, {"B", "C"}}));
  EXPECT_EQ(ab.Union(not_b), ScopeSet::Everywhere());
  EXPECT_EQ(ab.Intersect(not_b), ScopeSet::Only({"A"}));
  EXPECT_EQ(not_b.Minus(ab), (ScopeSet{true, {"A", "B"}}));
  EXPECT_EQ(ScopeSet::Everywhere().Minus(ScopeSet::Everywhere()), ScopeSet::Nowhere());
  EXPECT_EQ(ab.Minus(not_b), ScopeSet::Only({"B"}));
}

TEST(ScopeSet, ContainsHonoursExceptAndLongLists) {
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("L" + std::to_string(i));
  ScopeSet s = ScopeSet::Only(many);
  EXPECT_TRUE(s.Contains("L17"));
  EXPECT_FALSE(s.Contains("L40"));
  ScopeSet e{true, {"X"}};
  EXPECT_FALSE(e.Contains("X"));
  EXPECT_TRUE(e.Contains("Y"));
}

TEST(DecisionSet, CheckHonoursLocationScope) {
  DecisionSet d = Sample();
  EXPECT_TRUE(d.Check("work_orders.edit", "Depot A", ""));
  EXPECT_FALSE(d.Check("work_orders.edit", "Depot C", ""));
}

TEST(DecisionSet, EmptyLocationAllowsOnlyEverywhereGrants) {
  DecisionSet d = Sample();
  EXPECT_FALSE(d.Check("work_orders.edit", "", ""));
  EXPECT_TRUE(d.Check("work_orders.view", "", ""));
}

TEST(DecisionSet, WarehouseExceptList) {
  DecisionSet d = Sample();
  EXPECT_TRUE(d.Check("parts.view", "", "Depot A Stores"));
  EXPECT_FALSE(d.Check("parts.view", "", "Main"));
  EXPECT_FALSE(d.Check("parts.view", "", ""));  // "all but Main" is not everywhere
}

TEST(DecisionSet, UnscopedPermissionIgnoresPlaces) {
  DecisionSet d = Sample();
  EXPECT_TRUE(d.Check("vendors.view", "Anywhere", "Any"));
}

TEST(DecisionSet, UnknownAndEmptyPermissionsAreDenied) {
  DecisionSet d = Sample();
  EXPECT_FALSE(d.Check("work_orders.delete", "Depot A", ""));
  EXPECT_FALSE(d.Check("", "", ""));
  EXPECT_FALSE(d.Check("empty.one", "Depot A", ""));
  EXPECT_EQ(d.decisions().size(), 4u);  // the empty grant was dropped
  EXPECT_FALSE(DecisionSet().Check("vendors.view", "", ""));
}

TEST(DecisionSet, NoLoginDeniesEverything) {
  EXPECT_FALSE(Sample(false).Check("vendors.view", "", ""));
}

TEST(DecisionSet, JsonRoundTripKeepsAnswers) {
  DecisionSet d = Sample();
  auto back = DecisionSet::FromJson(d.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), d.ToJson());
  EXPECT_TRUE(back->Check("work_orders.edit", "Depot B", ""));
  EXPECT_FALSE(back->Check("parts.view", "", "Main"));
  EXPECT_EQ(back->user(), "alice");
}

TEST(DecisionSet, FromJsonRefusesMalformedInput) {
  const char* bad[] = {
      "[]",
      "{}",
      R"({"user":1,"login":true,"profiles":[],"permissions":{}})",
      R"({"user":"a","login":"yes","profiles":[],"permissions":{}})",
      R"({"user":"a","login":true,"profiles":[1],"permissions":{}})",
      R"({"user":"a","login":true,"profiles":[],"permissions":[]})",
      R"({"user":"a","login":true,"profiles":[],"permissions":{"x":{}}})",
      R"({"user":"a","login":true,"profiles":[],"permissions":{"x":{"scope":"planet","only":[]}}})",
      R"({"user":"a","login":true,"profiles":[],"permissions":{"x":{"scope":"location"}}})",
      R"({"user":"a","login":true,"profiles":[],"permissions":{"x":{"scope":"location","only":[],"except":[]}}})",
      R"({"user":"a","login":true,"profiles":[],"permissions":{"x":{"scope":"location","only":[3]}}})",
      R"({"user":"a","login":true,"profiles":[],"permissions":{"":{"scope":"none","only":[]}}})",
  };
  for (const char* s : bad) {
    auto r = DecisionSet::FromJson(nlohmann::json::parse(s));
    EXPECT_FALSE(r.ok()) << s;
  }
}

TEST(DecisionSet, UnsortedInputIsSortedDeduplicatedAndFound) {
  DecisionSet d("alice", true, {"p"},
                {{"b.view", ScopeKind::kLocation, ScopeSet{false, {"Z", "A", "Z"}}},
                 {"a.view", ScopeKind::kNone, ScopeSet::Everywhere()},
                 {"a.view", ScopeKind::kLocation, ScopeSet::Nowhere()},
                 {"c.view", ScopeKind::kWarehouse, ScopeSet{true, {"W2", "W1"}}}});
  ASSERT_EQ(d.decisions().size(), 3u);
  EXPECT_EQ(d.decisions()[0].permission, "a.view");
  EXPECT_EQ(d.decisions()[0].kind, ScopeKind::kNone);
  EXPECT_EQ(d.decisions()[1].allowed.items, (std::vector<std::string>{"A", "Z"}));
  EXPECT_EQ(d.decisions()[2].allowed.items, (std::vector<std::string>{"W1", "W2"}));
  EXPECT_TRUE(d.Check("b.view", "Z", ""));
  EXPECT_FALSE(d.Check("c.view", "", "W1"));
  EXPECT_TRUE(d.Check("c.view", "", "W3"));
}

TEST(DecisionSet, ManyPermissionsAllFound) {
  std::vector<PermissionDecision> ds;
  for (int i = 0; i < 1000; ++i) ds.push_back({"m" + std::to_string(i) + ".a", ScopeKind::kNone, ScopeSet::Everywhere()});
  DecisionSet d("u", true, {"p"}, ds);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(d.Check("m" + std::to_string(i) + ".a", "", ""));
  EXPECT_FALSE(d.Check("m1000.a", "", ""));
}

}  // namespace
}  // namespace idb
