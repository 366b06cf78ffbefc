// group_cache_test.cc — GroupCache (bridge/ldap/group_resolver.h): entries are
// shared, not copied, expire after the TTL, and a TTL of 0 turns caching off.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "ldap/group_resolver.h"

namespace idb::ldap {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;

std::shared_ptr<const GroupInfo> Group(const std::string& cn) {
  GroupInfo g;
  g.dn = "cn=" + cn + ",ou=Groups,dc=fleet,dc=test";
  g.cn = cn;
  g.parents = {"cn=Mechanics,ou=Groups,dc=fleet,dc=test"};
  return std::make_shared<const GroupInfo>(std::move(g));
}

TEST(GroupCache, HitSharesTheStoredEntryUntilTheTtlPasses) {
  GroupCache cache(seconds(60));
  const auto t0 = Clock::now();
  auto senior = Group("Senior Mechanics");
  cache.Put("cn=senior mechanics", senior, t0);
  auto hit = cache.Get("cn=senior mechanics", t0 + seconds(59));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit.get(), senior.get());  // the same object: no copy per lookup
  EXPECT_EQ(hit->parents.size(), 1u);
  EXPECT_EQ(cache.Get("cn=senior mechanics", t0 + seconds(60)), nullptr);
  EXPECT_EQ(cache.Get("cn=other", t0), nullptr);
}

TEST(GroupCache, PutReplacesAnEntryAndRestartsItsTtl) {
  GroupCache cache(seconds(60));
  const auto t0 = Clock::now();
  cache.Put("k", Group("Old"), t0);
  cache.Put("k", Group("New"), t0 + seconds(50));
  auto hit = cache.Get("k", t0 + seconds(100));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->cn, "New");
}

TEST(GroupCache, ZeroTtlCachesNothing) {
  GroupCache cache(seconds(0));
  const auto t0 = Clock::now();
  cache.Put("k", Group("Mechanics"), t0);
  EXPECT_EQ(cache.Get("k", t0), nullptr);
}

}  // namespace
}  // namespace idb::ldap
