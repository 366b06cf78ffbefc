// schema.h — the store's SQL schema and its versioned migrations.
//
// Why: the daemon and idbridgectl of different releases may meet one file.
// `PRAGMA user_version` records the schema version; Migrate() applies the
// missing steps in order inside one write transaction, and refuses a file whose
// version is newer than this binary knows (kFailedPrecondition, "upgrade
// idbridge") or that belongs to another application (`PRAGMA application_id`).
// Thread-safety: call with exclusive use of the connection.
#pragma once

#include <sqlite3.h>

#include "common/result.h"

namespace idb::store {

constexpr int kSchemaVersion = 4;
constexpr int kApplicationId = 0x49444231;  // "IDB1"

Status Migrate(sqlite3* db);

}  // namespace idb::store
