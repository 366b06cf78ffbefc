// Tests for PlaceSets (core/place_sets.h): the engine's bitset form of
// ScopeSet must give exactly ScopeSet's answers, over more than one word.
#include "core/place_sets.h"

#include <gtest/gtest.h>

#include <random>

namespace idb {
namespace {

// 70 names (two words), sorted as the policy's place_names() are.
std::vector<std::string> Universe() {
  std::vector<std::string> names;
  for (int i = 0; i < 70; ++i) names.push_back("p" + std::to_string(100 + i));
  return names;
}

std::vector<const std::string*> Pointers(const std::vector<std::string>& names) {
  std::vector<const std::string*> out;
  for (const auto& n : names) out.push_back(&n);
  return out;
}

struct Pair {
  ScopeSet strings;
  bool except = false;
  std::vector<uint32_t> places;
};

Pair RandomSet(std::mt19937& rng, const std::vector<std::string>& names) {
  Pair p;
  p.except = rng() % 2;
  for (uint32_t k = 0; k < names.size(); ++k) {
    if (rng() % 5 == 0) p.places.push_back(k);
  }
  std::vector<std::string> items;
  for (uint32_t k : p.places) items.push_back(names[k]);
  p.strings = ScopeSet{p.except, items};
  return p;
}

void Load(PlaceSets& sets, size_t i, const Pair& p) {
  if (p.except) sets.SetEverywhere(i);
  else sets.SetNowhere(i);
  for (uint32_t k : p.places) sets.bits(i)[k >> 6] |= uint64_t{1} << (k & 63);
}

enum class Op { kUnion, kIntersect, kMinus };

void CheckOp(Op op) {
  const auto names = Universe();
  const auto ptrs = Pointers(names);
  std::mt19937 rng(7);
  PlaceSets sets;
  for (int round = 0; round < 2000; ++round) {
    const Pair a = RandomSet(rng, names), b = RandomSet(rng, names);
    sets.Reset(2, names.size());
    Load(sets, 0, a);
    Load(sets, 1, b);
    ScopeSet want;
    switch (op) {
      case Op::kUnion: sets.Union(0, 1); want = a.strings.Union(b.strings); break;
      case Op::kIntersect: sets.Intersect(0, 1); want = a.strings.Intersect(b.strings); break;
      case Op::kMinus: sets.Minus(0, 1); want = a.strings.Minus(b.strings); break;
    }
    ASSERT_EQ(sets.ToScopeSet(0, ptrs, names.size()), want) << "round " << round;
    ASSERT_EQ(sets.IsEmpty(0), want.IsEmpty());
    ASSERT_EQ(sets.IsEverywhere(0), want.IsEverywhere());
  }
}

TEST(PlaceSets, UnionAgreesWithScopeSet) { CheckOp(Op::kUnion); }
TEST(PlaceSets, IntersectAgreesWithScopeSet) { CheckOp(Op::kIntersect); }
TEST(PlaceSets, MinusAgreesWithScopeSet) { CheckOp(Op::kMinus); }

TEST(PlaceSets, UnionWithOnlyBitsAndOneNameAgreesWithScopeSet) {
  const auto names = Universe();
  const auto ptrs = Pointers(names);
  std::mt19937 rng(11);
  PlaceSets sets;
  for (int round = 0; round < 1000; ++round) {
    const Pair a = RandomSet(rng, names);
    Pair b = RandomSet(rng, names);
    b.except = false;
    b.strings.all_except = false;
    const uint32_t one = rng() % names.size();
    sets.Reset(2, names.size());
    Load(sets, 0, a);
    Load(sets, 1, b);
    sets.UnionOnly(0, sets.bits(1), sets.words());
    sets.UnionOne(0, one);
    const ScopeSet want = a.strings.Union(b.strings).Union(ScopeSet::Only({names[one]}));
    ASSERT_EQ(sets.ToScopeSet(0, ptrs, names.size()), want) << "round " << round;
  }
}

TEST(PlaceSets, EqualComparesFlagAndPlaces) {
  PlaceSets sets;
  sets.Reset(3, 70);
  sets.SetEverywhere(0);
  sets.SetEverywhere(1);
  EXPECT_TRUE(sets.Equal(0, 1));
  sets.UnionOne(2, 65);  // only {p165}
  sets.Copy(1, 2);
  EXPECT_TRUE(sets.Equal(1, 2));
  EXPECT_FALSE(sets.Equal(0, 2));
  sets.Minus(0, 2);  // everywhere except {p165}: same bits, other flag
  EXPECT_FALSE(sets.Equal(0, 2));
}

TEST(PlaceSets, ToScopeSetSortsNamesAddedAfterTheSortedPrefix) {
  // The policy's names first (sorted), then names only a user's limits use.
  const std::vector<std::string> names = {"b", "d", "c", "a"};
  PlaceSets sets;
  sets.Reset(1, names.size());
  for (uint32_t k = 0; k < 4; ++k) sets.UnionOne(0, k);
  EXPECT_EQ(sets.ToScopeSet(0, Pointers(names), 2), ScopeSet::Only({"a", "b", "c", "d"}));
  EXPECT_EQ(sets.ToScopeSet(0, Pointers(names), 2).items, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(PlaceSets, ResetMakesEverySetNowhereAgain) {
  PlaceSets sets;
  sets.Reset(2, 130);
  sets.SetEverywhere(0);
  sets.UnionOne(1, 129);
  sets.Reset(2, 130);
  EXPECT_TRUE(sets.IsEmpty(0));
  EXPECT_TRUE(sets.IsEmpty(1));
}

}  // namespace
}  // namespace idb
