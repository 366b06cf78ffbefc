// sqlite_store.h — the SQLite backend of Store (store.h).
//
// Why SQLite: one host, one file shared by idbridged and idbridgectl, no
// server to run. Settings that make it safe:
//  - WAL journal + `synchronous=FULL`: a write acknowledged by a returned OK
//    survives a crash or power cut;
//  - busy timeout (default 5 s) and BEGIN IMMEDIATE for every write, so the
//    daemon and the CLI can write at once without "database is locked";
//  - the file is created with mode 0600 before SQLite opens it, and an existing
//    file readable or writable by group/others is refused;
//  - schema migrations by `PRAGMA user_version` (schema.h);
//  - a damaged file is kDataLoss with the path, never a crash or an allow.
// Ownership: the returned Store owns its connections; close by destroying it.
// Thread-safety: safe from many threads (one mutex-guarded connection for
// everything, plus a second query-only one, with its own mutex, for
// AdjustmentsFor — the sign-in path — so a login never waits for the login
// history's group-commit fsync; WAL gives it the last committed snapshot). Other
// processes may open the same file at the same time. After fork(), a child must
// open its own Store.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace idb::store {

struct SqliteStoreOptions {
  // false: a missing file is kNotFound (idbridgectl read commands use this, so a
  // typo in --store does not print an empty, "valid" store).
  bool create_if_missing = true;
  int busy_timeout_ms = 5000;
  // Login history older than this many days is pruned by RecordLogin (at most
  // once per hour of record time). 0 keeps history forever.
  int history_retention_days = 0;
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteStoreOptions& options = {});

}  // namespace idb::store
