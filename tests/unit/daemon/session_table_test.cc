// session_table_test.cc — session ids, expiry, revoke, the size bound.
#include "daemon/session_table.h"

#include <gtest/gtest.h>

#include <set>

namespace idb::daemon {
namespace {

using std::chrono::seconds;

SessionRecord Rec(const std::string& user, SystemTime expires) {
  SessionRecord r;
  r.user = user;
  r.expires = expires;
  r.decisions = std::make_shared<const DecisionSet>();
  return r;
}

TEST(SessionId, IsSixtyFourLowercaseHexAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = NewSessionId();
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(LooksLikeSessionId(*id)) << *id;
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SessionId, RejectsWrongLengthAndCharacters) {
  EXPECT_FALSE(LooksLikeSessionId(""));
  EXPECT_FALSE(LooksLikeSessionId(std::string(63, 'a')));
  EXPECT_FALSE(LooksLikeSessionId(std::string(64, 'A')));
  EXPECT_FALSE(LooksLikeSessionId(std::string(63, 'a') + "/"));
}

TEST(SessionTable, GetFindsALiveSession) {
  SessionTable t(10);
  SystemTime now{};
  auto id = t.Create(Rec("alice", now + seconds(10)), now);
  ASSERT_TRUE(id.ok());
  auto s = t.Get(*id, now + seconds(9));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->id, *id);
}

TEST(SessionTable, ExpiredSessionIsGoneAtItsExpiry) {
  SessionTable t(10);
  SystemTime now{};
  auto id = t.Create(Rec("alice", now + seconds(10)), now);
  EXPECT_FALSE(t.Get(*id, now + seconds(10)).has_value());
  EXPECT_EQ(t.Count(), 0u);
}

TEST(SessionTable, RevokeUserRemovesOnlyThatUsersSessions) {
  SessionTable t(10);
  SystemTime now{};
  auto a1 = t.Create(Rec("alice", now + seconds(10)), now);
  auto a2 = t.Create(Rec("alice", now + seconds(10)), now);
  auto b = t.Create(Rec("bob", now + seconds(10)), now);
  EXPECT_EQ(t.RevokeUser("alice"), 2u);
  EXPECT_FALSE(t.Get(*a1, now).has_value());
  EXPECT_FALSE(t.Get(*a2, now).has_value());
  EXPECT_TRUE(t.Get(*b, now).has_value());
}

TEST(SessionTable, FullTableRefusesInsteadOfEvictingLiveSessions) {
  SessionTable t(2);
  SystemTime now{};
  ASSERT_TRUE(t.Create(Rec("a", now + seconds(10)), now).ok());
  ASSERT_TRUE(t.Create(Rec("b", now + seconds(10)), now).ok());
  auto c = t.Create(Rec("c", now + seconds(10)), now);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnavailable);
}

TEST(SessionTable, FullTableMakesRoomByPurgingExpiredSessions) {
  SessionTable t(1);
  SystemTime now{};
  ASSERT_TRUE(t.Create(Rec("a", now + seconds(1)), now).ok());
  EXPECT_TRUE(t.Create(Rec("b", now + seconds(10)), now + seconds(2)).ok());
}

// The expiry index stays in step with the table whichever way a session ends,
// so a purge removes exactly the expired ones and never a live session.
TEST(SessionTable, PurgeRemovesExactlyTheExpiredWhicheverWaySessionsEnded) {
  SessionTable t(100);
  SystemTime now{};
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(*t.Create(Rec(i % 2 ? "odd" : "even", now + seconds(10 + i)), now));
  EXPECT_TRUE(t.Remove(ids[0]));                           // logout (expires at 10)
  EXPECT_FALSE(t.Get(ids[1], now + seconds(11)).has_value());  // read after its expiry (11)
  EXPECT_EQ(t.RevokeUser("even"), 4u);                     // 2, 4, 6, 8
  EXPECT_EQ(t.Count(), 4u);                                // 3, 5, 7, 9
  EXPECT_EQ(t.PurgeExpired(now + seconds(15)), 2u);        // 3 and 5
  EXPECT_TRUE(t.Get(ids[7], now + seconds(15)).has_value());
  EXPECT_TRUE(t.Get(ids[9], now + seconds(15)).has_value());
  EXPECT_EQ(t.PurgeExpired(now + seconds(100)), 2u);
  EXPECT_EQ(t.Count(), 0u);
}

TEST(SessionTable, FullTableOfLiveSessionsRefusesRepeatedlyAndStillAdmitsAfterExpiry) {
  SessionTable t(1000);
  SystemTime now{};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(t.Create(Rec("u" + std::to_string(i), now + seconds(60)), now).ok());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.Create(Rec("x", now + seconds(60)), now + seconds(1)).ok());
  EXPECT_EQ(t.Count(), 1000u);
  EXPECT_TRUE(t.Create(Rec("late", now + seconds(120)), now + seconds(60)).ok());
  EXPECT_EQ(t.Count(), 1u);
}

TEST(SessionTable, UpdateReplacesDecisionsOfALiveSessionOnly) {
  SessionTable t(10);
  SystemTime now{};
  auto id = t.Create(Rec("alice", now + seconds(10)), now);
  auto ds = std::make_shared<const DecisionSet>("alice", true, std::vector<std::string>{"p"},
                                                std::vector<PermissionDecision>{});
  EXPECT_TRUE(t.Update(*id, Identity{}, ds, true, now + seconds(1)));
  auto s = t.Get(*id, now + seconds(1));
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->stale);
  EXPECT_EQ(s->decisions->profiles(), std::vector<std::string>{"p"});
  EXPECT_FALSE(t.Update(*id, Identity{}, ds, false, now + seconds(11)));
  EXPECT_FALSE(t.Update(std::string(64, 'a'), Identity{}, ds, false, now));
}

}  // namespace
}  // namespace idb::daemon
