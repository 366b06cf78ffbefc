#include "store/schema.h"

#include <string>

#include "store/sqlite_handle.h"

namespace idb::store {
namespace {

// Step N brings the schema from version N-1 to N. Append only; never edit a
// released step. Times are integer milliseconds since the Unix epoch (UTC).
const char* const kMigrations[] = {
    // 1: the first schema.
    R"sql(
CREATE TABLE overrides (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user       TEXT NOT NULL,
  effect     TEXT NOT NULL CHECK (effect IN ('grant', 'deny')),
  permission TEXT NOT NULL,
  location   TEXT,
  warehouse  TEXT,
  expires_ms INTEGER,
  reason     TEXT NOT NULL DEFAULT '',
  actor      TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX overrides_by_user ON overrides (user, permission);

-- NULL list = no restriction; '[]' = nothing allowed. JSON arrays of names.
CREATE TABLE limits (
  user       TEXT PRIMARY KEY,
  locations  TEXT,
  warehouses TEXT,
  actor      TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE login_history (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  user    TEXT NOT NULL,
  method  TEXT NOT NULL,
  source  TEXT NOT NULL,
  success INTEGER NOT NULL CHECK (success IN (0, 1)),
  reason  TEXT NOT NULL,
  client  TEXT NOT NULL,
  detail  TEXT NOT NULL
);
CREATE INDEX login_history_by_time ON login_history (time_ms);
CREATE INDEX login_history_by_user ON login_history (user, time_ms);

CREATE TABLE security_log (
  seq       INTEGER PRIMARY KEY,
  time_ms   INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  before    TEXT NOT NULL,
  after     TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
-- One row: the last entry's seq and hash (seq 0 and the genesis hash when empty).
CREATE TABLE security_log_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO security_log_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE known_users (
  user          TEXT PRIMARY KEY,
  identity      TEXT NOT NULL,
  last_login_ms INTEGER NOT NULL
);

CREATE TABLE local_admins (
  user          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  updated_ms    INTEGER NOT NULL
);
)sql",
    // 2: offline credentials (cached credentials for logins while every
    // directory server is unreachable). salt and hash are lower-case hex; the
    // identity is JSON (store/identity_json.h). Never a password.
    R"sql(
CREATE TABLE offline_credentials (
  directory       TEXT NOT NULL,
  user            TEXT NOT NULL,
  salt_hex        TEXT NOT NULL,
  hash_hex        TEXT NOT NULL,
  iterations      INTEGER NOT NULL,
  identity        TEXT NOT NULL,
  stored_ms       INTEGER NOT NULL,
  failures        INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (directory, user)
);
CREATE INDEX offline_credentials_by_user ON offline_credentials (user);
)sql",
    // 3: the end user's machine a login named (IP literal or host name; ''
    // when the application gave none), and an index to find its attempts.
    R"sql(
ALTER TABLE login_history ADD COLUMN client_address TEXT NOT NULL DEFAULT '';
CREATE INDEX login_history_by_client_address ON login_history (client_address, time_ms);
)sql",
    // 4: the user name as typed, beside `user` (the account a failed guess
    // resolved to, when it resolved to one). Rows from before: ''.
    R"sql(
ALTER TABLE login_history ADD COLUMN typed_user TEXT NOT NULL DEFAULT '';
)sql",
};
constexpr int kStepCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kStepCount == kSchemaVersion, "one migration step per schema version");

Result<int64_t> PragmaInt(sqlite3* db, const char* sql) {
  auto st = Statement::Prepare(db, sql);
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->Int(0) : 0;
}

}  // namespace

Status Migrate(sqlite3* db) {
  auto tx = Transaction::BeginWrite(db);
  if (!tx.ok()) return tx.status();
  auto app = PragmaInt(db, "PRAGMA application_id");
  if (!app.ok()) return app.status();
  auto version = PragmaInt(db, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto tables = PragmaInt(db, "SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status();

  if (*app != 0 && *app != kApplicationId)
    return FailedPrecondition("the file is an SQLite database of another application, not an idbridge store");
  if (*app == 0 && *tables > 0)
    return FailedPrecondition("the file is an SQLite database but not an idbridge store (it already has tables)");
  if (*version > kSchemaVersion)
    return FailedPrecondition("store schema version " + std::to_string(*version) +
                              " is newer than this idbridge understands (" + std::to_string(kSchemaVersion) +
                              "); upgrade idbridge or use the matching store");
  if (*version < 0) return DataLoss("store schema version " + std::to_string(*version) + " is invalid");
  if (*version == kSchemaVersion) return Status::Ok();  // the transaction rolls back: nothing changed

  for (int step = static_cast<int>(*version); step < kSchemaVersion; ++step) {
    IDB_RETURN_IF_ERROR(Exec(db, kMigrations[step]));
  }
  IDB_RETURN_IF_ERROR(Exec(db, ("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str()));
  IDB_RETURN_IF_ERROR(Exec(db, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
  return tx->Commit();
}

}  // namespace idb::store
