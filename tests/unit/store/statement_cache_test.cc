// statement_cache_test — StatementCache (store/sqlite_handle.h): prepared
// statements come back reset and unbound, are reused, hold no lock while idle,
// and transactions through the cache commit and roll back like uncached ones.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "store/sqlite_handle.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

DbHandle Open(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
  DbHandle h(db);
  sqlite3_busy_timeout(db, 0);  // a held lock shows as SQLITE_BUSY at once
  return h;
}

int64_t CountRows(StatementCache& cache) {
  auto st = cache.Prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(st->Step().value());
  return st->Int(0);
}

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Open(dir_.File("cache.db"));
    ASSERT_TRUE(Exec(db_.get(), "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)").ok());
  }
  testing::TempDir dir_;
  DbHandle db_;
};

TEST_F(StatementCacheTest, AFinishedStatementIsKeptAndHandedOutAgain) {
  StatementCache cache(db_.get());
  {
    auto st = cache.Prepare("SELECT x FROM t ORDER BY x");
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(cache.idle_count(), 0u);
  }
  EXPECT_EQ(cache.idle_count(), 1u);
  {
    auto again = cache.Prepare("SELECT x FROM t ORDER BY x");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(cache.idle_count(), 0u);  // the same statement, not a new one
    ASSERT_TRUE(again->Step().value());
    EXPECT_EQ(again->Int(0), 1);
  }
  EXPECT_EQ(cache.idle_count(), 1u);
}

TEST_F(StatementCacheTest, AReturnedStatementHasNoBindingsLeft) {
  StatementCache cache(db_.get());
  {
    auto st = cache.Prepare("SELECT ?1");
    ASSERT_TRUE(st.ok());
    st->Bind(1, "a secret value");
    ASSERT_TRUE(st->Step().value());
    EXPECT_EQ(st->Text(0), "a secret value");
  }
  auto st = cache.Prepare("SELECT ?1");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->Step().value());
  EXPECT_TRUE(st->IsNull(0));
}

TEST_F(StatementCacheTest, AStatementReturnedMidIterationStartsOverAndHoldsNoLock) {
  // Rollback-journal mode: a reader that was not reset keeps its SHARED lock
  // and another connection's commit fails with SQLITE_BUSY.
  StatementCache cache(db_.get());
  {
    auto st = cache.Prepare("SELECT x FROM t ORDER BY x");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Step().value());  // one row read, two left
  }
  DbHandle writer = Open(dir_.File("cache.db"));
  EXPECT_TRUE(Exec(writer.get(), "INSERT INTO t VALUES (4)").ok());

  auto st = cache.Prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(st.ok());
  std::vector<int64_t> seen;
  while (st->Step().value()) seen.push_back(st->Int(0));
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_F(StatementCacheTest, TheSameQueryCanBeInUseTwiceAndTheIdleSetIsBounded) {
  StatementCache cache(db_.get());
  {
    std::vector<Statement> open;
    for (int i = 0; i < 6; ++i) {
      auto st = cache.Prepare("SELECT x FROM t WHERE x = ?1");
      ASSERT_TRUE(st.ok());
      st->Bind(1, int64_t{i % 3 + 1});
      ASSERT_TRUE(st->Step().value());
      EXPECT_EQ(st->Int(0), i % 3 + 1);
      open.push_back(std::move(*st));
    }
  }
  EXPECT_EQ(cache.idle_count(), 4u);  // the other two were finalized
}

TEST_F(StatementCacheTest, BadSqlIsAnErrorAndNothingIsCached) {
  StatementCache cache(db_.get());
  auto st = cache.Prepare("SELEC x FROM t");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("preparing a store query"), std::string::npos);
  EXPECT_EQ(cache.idle_count(), 0u);
  EXPECT_FALSE(cache.Prepare("SELECT x FROM no_such_table").ok());
  EXPECT_FALSE(cache.Prepare("").ok());
}

TEST_F(StatementCacheTest, TransactionsThroughTheCacheCommitAndRollBack) {
  StatementCache cache(db_.get());
  {
    auto tx = Transaction::BeginWrite(cache);
    ASSERT_TRUE(tx.ok());
    auto ins = cache.Prepare("INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, int64_t{10});
    ASSERT_TRUE(ins->Run().ok());
  }  // not committed: rolled back
  EXPECT_EQ(CountRows(cache), 3);
  {
    auto tx = Transaction::BeginWrite(cache);
    ASSERT_TRUE(tx.ok());
    auto ins = cache.Prepare("INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, int64_t{11});
    ASSERT_TRUE(ins->Run().ok());
    ins = cache.Prepare("SELECT 1");  // statements die before the commit in real code too
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(CountRows(cache), 4);
  auto read = Transaction::BeginRead(cache);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->Commit().ok());
  EXPECT_FALSE(read->Commit().ok());  // a finished transaction
}

}  // namespace
}  // namespace idb::store
