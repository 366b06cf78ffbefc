#include "store/security_chain.h"

#include <gtest/gtest.h>

namespace idb::store {
namespace {

std::vector<ChainRow> MakeChain(int n) {
  std::vector<ChainRow> rows;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    ChainRow r;
    r.seq = i;
    r.time_ms = 1000 * i;
    r.event = {"admin (uid 0)", "override.grant", "user" + std::to_string(i), "null", "{\"n\":" + std::to_string(i) + "}"};
    r.prev_hash = prev;
    r.hash = ChainHash(prev, r.seq, r.time_ms, r.event).value();
    prev = r.hash;
    rows.push_back(r);
  }
  return rows;
}

ChainHead HeadOf(const std::vector<ChainRow>& rows) {
  return rows.empty() ? ChainHead{0, kGenesisHash} : ChainHead{rows.back().seq, rows.back().hash};
}

TEST(SecurityChain, IntactChainVerifies) {
  auto rows = MakeChain(5);
  auto r = VerifyChain(rows, HeadOf(rows));
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 5);
  EXPECT_EQ(r.head_hash, rows.back().hash);
}

TEST(SecurityChain, EmptyLogWithGenesisHeadVerifies) {
  EXPECT_TRUE(VerifyChain({}, ChainHead{0, kGenesisHash}).ok);
}

TEST(SecurityChain, EditedFieldIsReportedAtItsEntry) {
  auto rows = MakeChain(5);
  auto head = HeadOf(rows);
  rows[2].event.after = "{\"n\":99}";
  auto r = VerifyChain(rows, head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 3);
  EXPECT_NE(r.problem.find("modified"), std::string::npos);
}

TEST(SecurityChain, FieldBoundariesCannotBeShifted) {
  // "ab"+"c" must not hash like "a"+"bc".
  SecurityEvent a{"x", "ab", "c", "null", "null"};
  SecurityEvent b{"x", "a", "bc", "null", "null"};
  EXPECT_NE(ChainHash(kGenesisHash, 1, 0, a).value(), ChainHash(kGenesisHash, 1, 0, b).value());
}

TEST(SecurityChain, DeletedMiddleEntryIsReported) {
  auto rows = MakeChain(5);
  auto head = HeadOf(rows);
  rows.erase(rows.begin() + 1);
  auto r = VerifyChain(rows, head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
  EXPECT_NE(r.problem.find("missing"), std::string::npos);
}

TEST(SecurityChain, DeletedLastEntriesAreCaughtByTheHead) {
  auto rows = MakeChain(5);
  auto head = HeadOf(rows);
  rows.resize(3);
  auto r = VerifyChain(rows, head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 4);
}

TEST(SecurityChain, MissingHeadIsReported) {
  auto rows = MakeChain(2);
  EXPECT_FALSE(VerifyChain(rows, std::nullopt).ok);
}

TEST(SecurityChain, SwappedEntriesAreReported) {
  auto rows = MakeChain(5);
  auto head = HeadOf(rows);
  std::swap(rows[1].event, rows[2].event);
  std::swap(rows[1].hash, rows[2].hash);
  std::swap(rows[1].prev_hash, rows[2].prev_hash);
  auto r = VerifyChain(rows, head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
}

}  // namespace
}  // namespace idb::store
