#include "store/sqlite_handle.h"

namespace idb::store {

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  const char* detail = db ? sqlite3_errmsg(db) : nullptr;
  msg += detail && sqlite3_errcode(db) == rc ? detail : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(msg + " (the store file is damaged or not an idbridge store)");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(msg + " (the store stayed locked by another process past the busy timeout)");
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Unavailable(msg);
    case SQLITE_CONSTRAINT:
      return InvalidArgument(msg);
    default:
      return Internal(msg);
  }
}

namespace {

Result<sqlite3_stmt*> PrepareRaw(sqlite3* db, std::string_view sql, unsigned flags) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr);
  if (rc != SQLITE_OK || stmt == nullptr) {
    sqlite3_finalize(stmt);
    return SqliteError(db, rc == SQLITE_OK ? SQLITE_MISUSE : rc, "preparing a store query");
  }
  return stmt;
}

}  // namespace

Result<Statement> Statement::Prepare(sqlite3* db, std::string_view sql) {
  auto stmt = PrepareRaw(db, sql, 0);
  if (!stmt.ok()) return stmt.status();
  return Statement(db, *stmt, nullptr);
}

void Statement::Release::operator()(sqlite3_stmt* s) const noexcept {
  if (cache != nullptr) {
    cache->Return(s);
  } else {
    sqlite3_finalize(s);
  }
}

StatementCache::~StatementCache() {
  for (auto& [sql, stmts] : idle_) {
    for (sqlite3_stmt* s : stmts) sqlite3_finalize(s);
  }
}

Result<Statement> StatementCache::Prepare(std::string_view sql) {
  auto it = idle_.find(std::string(sql));
  if (it != idle_.end() && !it->second.empty()) {
    sqlite3_stmt* s = it->second.back();
    it->second.pop_back();
    return Statement(db_, s, this);
  }
  auto stmt = PrepareRaw(db_, sql, SQLITE_PREPARE_PERSISTENT);
  if (!stmt.ok()) return stmt.status();
  return Statement(db_, *stmt, this);
}

Status StatementCache::Run(std::string_view sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.status();
  return st->Run();
}

size_t StatementCache::idle_count() const {
  size_t n = 0;
  for (const auto& [sql, stmts] : idle_) n += stmts.size();
  return n;
}

void StatementCache::Return(sqlite3_stmt* s) noexcept {
  // A reset statement holds no read or write lock; clearing the bindings
  // drops the copies of the last values (user names, hashes) it kept.
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  try {
    auto& stmts = idle_[sqlite3_sql(s)];
    if (stmts.size() < kIdlePerSql) {
      stmts.push_back(s);
      return;
    }
  } catch (...) {  // out of memory: finalizing is always correct
  }
  sqlite3_finalize(s);
}

Statement& Statement::Check(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_.ok())
    bind_error_ = SqliteError(db_, rc, "binding store parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_.get(), index, value), index);
}

Statement& Statement::Bind(int index, std::string_view value) {
  return Check(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               index);
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindNull(int index) { return Check(sqlite3_bind_null(stmt_.get(), index), index); }

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "store query");
}

Status Statement::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = Status::Ok();
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::string Statement::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), column);
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::optional<std::string> Statement::OptText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::optional<int64_t> Statement::OptInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  sqlite3_free(err);  // the connection's errmsg holds the same text
  if (rc != SQLITE_OK) return SqliteError(db, rc, "store statement");
  return Status::Ok();
}

Result<Transaction> Transaction::BeginWrite(sqlite3* db) {
  IDB_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  return Transaction(db, nullptr);
}

Result<Transaction> Transaction::BeginRead(sqlite3* db) {
  IDB_RETURN_IF_ERROR(Exec(db, "BEGIN DEFERRED"));
  return Transaction(db, nullptr);
}

Result<Transaction> Transaction::BeginWrite(StatementCache& cache) {
  IDB_RETURN_IF_ERROR(cache.Run("BEGIN IMMEDIATE"));
  return Transaction(cache.db(), &cache);
}

Result<Transaction> Transaction::BeginRead(StatementCache& cache) {
  IDB_RETURN_IF_ERROR(cache.Run("BEGIN DEFERRED"));
  return Transaction(cache.db(), &cache);
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    if (cache_ != nullptr && cache_->Run("ROLLBACK").ok()) return;
  } catch (...) {  // out of memory: the uncached ROLLBACK below
  }
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Commit() {
  if (!open_) return Internal("commit of a finished transaction");
  Status s = cache_ != nullptr ? cache_->Run("COMMIT") : Exec(db_, "COMMIT");
  if (s.ok()) open_ = false;  // on failure the destructor rolls back
  return s;
}

}  // namespace idb::store
