// sqlite_handle.h — RAII for sqlite3* and sqlite3_stmt*, plus a small
// statement helper and transaction guard used by SqliteStore.
//
// Why: STYLE.md — no naked sqlite3_close/sqlite3_finalize outside a wrapper,
// every SQL value bound as a parameter, every SQLite error turned into an
// idb::Status with a meaning (corruption = kDataLoss, busy/IO = kUnavailable).
// Ownership: Db owns its connection; Statement owns its sqlite3_stmt and
// borrows the connection, which must outlive it. Transaction borrows both.
// StatementCache keeps one connection's prepared statements for reuse: a
// Statement it handed out goes back to it (reset, bindings cleared) instead
// of being finalized, so the hot paths (the sign-in's adjustments read, the
// login-history batches) do not re-parse their SQL on every call — parsing
// was ~10 % of the daemon's CPU per login. It must outlive its Statements and
// be destroyed before its connection closes.
// Thread-safety: none; the owner (SqliteStore) serialises access per
// connection, and a connection's cache is used under the same lock.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace idb::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// Maps an SQLite result code to a Status: "<context>: <sqlite message>".
Status SqliteError(sqlite3* db, int rc, std::string_view context);

class StatementCache;

class Statement {
 public:
  // A one-off statement, finalized when destroyed (schema, pragmas, tools).
  static Result<Statement> Prepare(sqlite3* db, std::string_view sql);

  // Binders are 1-based like SQLite's; a failure is reported by Step()/Run().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::optional<std::string>& value);
  Statement& Bind(int index, const std::optional<int64_t>& value);
  Statement& BindNull(int index);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Steps to completion (for statements without rows).
  Status Run();
  // Makes the statement runnable again with fresh bindings (batched inserts).
  void Reset();

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptText(int column) const;
  std::optional<int64_t> OptInt(int column) const;
  bool IsNull(int column) const;

 private:
  friend class StatementCache;
  // Finalizes, or hands the statement back to the cache that prepared it.
  struct Release {
    StatementCache* cache = nullptr;
    void operator()(sqlite3_stmt* s) const noexcept;
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt, StatementCache* cache) : db_(db), stmt_(stmt, Release{cache}) {}
  Statement& Check(int rc, int index);
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Release> stmt_;
  Status bind_error_;
};

// Prepared statements of one connection, reused by their SQL text.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // An idle prepared statement for `sql`, or a newly prepared one.
  Result<Statement> Prepare(std::string_view sql);
  // Runs a parameterless statement (BEGIN, COMMIT, ROLLBACK) to completion.
  Status Run(std::string_view sql);
  sqlite3* db() const { return db_; }
  // Idle statements kept (tests).
  size_t idle_count() const;

 private:
  friend struct Statement::Release;
  void Return(sqlite3_stmt* s) noexcept;
  static constexpr size_t kIdlePerSql = 4;  // nested uses of one query are rare
  sqlite3* db_;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
};

// Runs SQL without parameters (schema, pragmas, BEGIN/COMMIT).
Status Exec(sqlite3* db, const char* sql);

// BEGIN IMMEDIATE … COMMIT, rolled back on destruction unless committed.
// IMMEDIATE takes the write lock up front, so two writers queue on the busy
// timeout instead of failing with SQLITE_BUSY on a read→write upgrade.
class Transaction {
 public:
  static Result<Transaction> BeginWrite(sqlite3* db);
  static Result<Transaction> BeginRead(sqlite3* db);  // DEFERRED: consistent snapshot
  // The same, with BEGIN/COMMIT/ROLLBACK taken from the connection's cache.
  static Result<Transaction> BeginWrite(StatementCache& cache);
  static Result<Transaction> BeginRead(StatementCache& cache);
  Transaction(Transaction&& o) noexcept : db_(o.db_), cache_(o.cache_), open_(o.open_) { o.open_ = false; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  Transaction(sqlite3* db, StatementCache* cache) : db_(db), cache_(cache), open_(true) {}
  sqlite3* db_;
  StatementCache* cache_;
  bool open_;
};

}  // namespace idb::store
