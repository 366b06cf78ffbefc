// store.h — the local store: per-user overrides, location/warehouse limits,
// login history, the tamper-evident security log, last-known identities and
// the break-glass local administrator.
//
// Why an interface: SqliteStore (sqlite_store.h) is the backend for one host;
// a PostgreSQL backend shared by several daemons can come later behind the same
// calls. The daemon and idbridgectl both use it.
//
// Semantics every backend keeps:
//  - every method returns Status/Result; no exception escapes;
//  - errors fail closed: a caller that cannot read adjustments must deny, so
//    AdjustmentsFor() never returns a partial answer — a corrupted store is
//    kDataLoss, an unreachable/locked one kUnavailable;
//  - every administrative mutation (overrides, limits, local admin) appends a
//    security-log entry with actor, time, before and after IN THE SAME
//    TRANSACTION — there is no way to change them without a log entry;
//  - times are injected (`now`), so tests never sleep;
//  - names are validated with common/names.h (odd characters stored literally).
// Thread-safety: implementations are safe for concurrent use from many threads
// without external synchronisation, and several processes may open one store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "core/identity.h"
#include "core/user_adjustments.h"

namespace idb::store {

// Who made a change: "alice (uid 1000)", "root via sudo by bob (uid 0)", "idbridged".
using Actor = std::string;

// An override as stored, with its provenance (for `override list`/`explain`).
struct StoredOverride {
  UserOverride entry;      // id, effect, permission, scope, expires, reason
  std::string user;
  Actor actor;             // who added it
  SystemTime created{};
};

struct NewOverride {
  std::string user;
  OverrideEffect effect = OverrideEffect::kGrant;
  std::string permission;  // validated against the catalog by the caller
  std::optional<std::string> location;
  std::optional<std::string> warehouse;
  std::optional<SystemTime> expires;  // must be after `now`
  std::string reason;
};

// Selects overrides to remove: an exact scope match (nullopt matches "no scope").
struct OverrideKey {
  std::string user;
  std::string permission;
  std::optional<std::string> location;
  std::optional<std::string> warehouse;
};

// One list in a limits update: `change` false keeps what is stored; otherwise
// `value` replaces it (nullopt = no restriction, empty = nothing allowed).
struct ListUpdate {
  bool change = false;
  std::optional<std::vector<std::string>> value;
};
struct LimitsUpdate {
  ListUpdate locations;
  ListUpdate warehouses;
};

struct LoginRecord {
  int64_t id = 0;           // assigned by the store
  SystemTime time{};
  std::string user;         // the account resolved (else as typed); sanitised (common/names.h), never rejected
  std::string method;       // "ldap", "oidc", "local"
  std::string source;       // "ldap:corp", "oidc:entra", "local"; may be empty
  bool success = false;
  std::string reason;       // LoginFailureName(): "ok", "bad_credentials"…
  std::string client;       // "uid=1000 pid=42" or "203.0.113.4:5123"
  std::string detail;       // free text, never a secret
  std::string client_address = {};  // the end user's machine (validated IP or host name); "" = not given
  std::string typed_user = {};  // the spelling typed ("FLEET\\mike"); '' in rows from before schema 4
};

struct HistoryQuery {
  std::optional<std::string> user;
  std::optional<SystemTime> since;
  bool failed_only = false;
  int64_t limit = 1000;  // the newest `limit` rows, returned oldest first
};

struct SecurityEvent {
  Actor actor;
  std::string action;  // "override.grant", "limits.set", "local_admin.set", "config.reload"…
  std::string target;  // the user or file concerned
  std::string before;  // JSON text ("null" when nothing existed)
  std::string after;   // JSON text ("null" when removed)
};

struct SecurityLogEntry {
  int64_t seq = 0;
  SystemTime time{};
  SecurityEvent event;
  std::string prev_hash;  // hex SHA-256
  std::string hash;       // hex SHA-256 over prev_hash and this entry
};

struct AuditReport {
  bool ok = true;
  int64_t entries = 0;     // entries checked
  int64_t bad_seq = 0;     // first bad entry (0 when ok or when the head is bad)
  std::string problem;     // what is wrong, for humans
  std::string head_hash;   // hash of the last entry: record it elsewhere to anchor the chain
  // When the chain is intact, the logged changes are replayed and compared with
  // the overrides, limits and local_admins tables: a row added, edited or
  // removed without its log entry (e.g. with the sqlite3 tool) is listed here
  // and makes `ok` false.
  std::vector<std::string> state_problems;
};

struct KnownUser {
  Identity identity;     // groups and claims from the last successful login
  SystemTime last_login{};
};

// Offline logins (cached credentials, as in SSSD): one row per directory and
// user, written after each successful online login, read when no directory
// server can be asked. Holds a slow salted hash, NEVER the password; the store
// neither computes nor compares hashes (auth/credential_cache.h does).
struct OfflineCredential {
  std::string directory;      // "corp"
  std::string user;           // lower-cased account as typed ("alice")
  std::string salt;           // raw bytes (16)
  std::string hash;           // raw bytes: PBKDF2-HMAC-SHA256(password, salt, iterations), 32
  int iterations = 0;         // as used for this row (a later config change does not break it)
  Identity identity;          // groups with provenance and claims at that login
  SystemTime stored_at{};
  int failures = 0;           // wrong offline passwords since the last success or lockout
  SystemTime locked_until{};  // offline lockout; epoch = not locked
};

// What `idbridgectl offline list` shows: never the salt or hash.
struct OfflineCredentialInfo {
  std::string directory;
  std::string user;
  int iterations = 0;
  size_t groups = 0;
  SystemTime stored_at{};
  int failures = 0;
  SystemTime locked_until{};
};

struct LocalAdminRecord {
  std::string user;
  std::string password_hash;  // "pbkdf2-sha256$iter$salt$hash" (store/password_hash.h)
  SystemTime updated{};
};

class Store {
 public:
  virtual ~Store() = default;

  // --- overrides ---
  // kAlreadyExists when an unexpired override with the same effect, permission
  // and scope exists; kInvalidArgument for bad names or an expiry in the past.
  virtual Result<int64_t> AddOverride(const NewOverride& o, const Actor& actor, SystemTime now) = 0;
  virtual Status RemoveOverride(int64_t id, const Actor& actor, SystemTime now) = 0;  // kNotFound
  // Removes every override (grant or deny) matching the key; kNotFound when none.
  virtual Result<int64_t> RemoveOverrides(const OverrideKey& key, const Actor& actor, SystemTime now) = 0;
  // Including expired ones (the caller shows them as such); ordered by user, id.
  virtual Result<std::vector<StoredOverride>> ListOverrides(const std::optional<std::string>& user) = 0;

  // --- limits ---
  virtual Status UpdateLimits(const std::string& user, const LimitsUpdate& update, const Actor& actor,
                              SystemTime now) = 0;
  virtual Status ClearLimits(const std::string& user, const Actor& actor, SystemTime now) = 0;
  virtual Result<UserLimits> GetLimits(const std::string& user) = 0;  // no row = no restriction
  virtual Result<std::vector<std::pair<std::string, UserLimits>>> ListLimits() = 0;

  // The engine's input: unexpired overrides (expires > now) and limits, read in
  // one snapshot.
  virtual Result<UserAdjustments> AdjustmentsFor(const std::string& user, SystemTime now) = 0;

  // --- login history ---
  virtual Status RecordLogin(const LoginRecord& record) = 0;
  // Group commit: appends every record, in order, in ONE durable transaction
  // (one fsync for the batch), with the same sanitising and pruning as
  // RecordLogin. All or nothing: on error no row of the batch is stored.
  // An empty batch is a no-op.
  virtual Status RecordLogins(const std::vector<LoginRecord>& records) = 0;
  virtual Result<std::vector<LoginRecord>> QueryHistory(const HistoryQuery& q) = 0;
  // Deletes history older than `cutoff`; returns how many rows went. Logs a
  // "history.prune" security event when rows were removed.
  virtual Result<int64_t> PruneHistory(SystemTime cutoff, const Actor& actor, SystemTime now) = 0;

  // --- security log ---
  virtual Result<int64_t> AppendSecurityEvent(const SecurityEvent& e, SystemTime now) = 0;  // → seq
  virtual Result<std::vector<SecurityLogEntry>> ListSecurityLog(int64_t after_seq, int64_t limit) = 0;
  // kOk with report.ok=false when the chain is broken; an error Status only
  // when the log cannot be read at all.
  virtual Result<AuditReport> VerifySecurityLog() = 0;

  // --- known users (for `idbridgectl diff`) ---
  // Called after each successful login. Never holds a password.
  virtual Status RememberIdentity(const Identity& identity, SystemTime now) = 0;
  // Group commit of RememberIdentity: one durable transaction, applied in
  // order (a later entry for the same user wins). All or nothing; an invalid
  // user name fails the whole batch with kInvalidArgument. Empty = no-op.
  virtual Status RememberIdentities(const std::vector<KnownUser>& users) = 0;
  virtual Result<std::vector<KnownUser>> ListKnownUsers() = 0;

  // --- offline credentials ---
  // Inserts or replaces the row of (directory, user); failures and lockout are
  // reset. kInvalidArgument: bad names, empty salt/hash, iterations < 1.
  virtual Status PutOfflineCredential(const OfflineCredential& c) = 0;
  // kNotFound: no row. kDataLoss: a damaged row (bad hex, corrupt identity
  // JSON, impossible numbers) — the caller must deny, never guess.
  virtual Result<OfflineCredential> GetOfflineCredential(const std::string& directory, const std::string& user) = 0;
  // One wrong offline password, atomically: failures + 1; on reaching
  // `max_failures` the row is locked until `lock_until` and failures restart
  // at 0. Only applies while the row still has `salt` (kNotFound otherwise:
  // it was replaced or forgotten meanwhile). Returns true when this failure
  // locked the row.
  virtual Result<bool> RecordOfflineFailure(const std::string& directory, const std::string& user,
                                            const std::string& salt, int max_failures, SystemTime lock_until) = 0;
  // A right offline password: failures back to 0 (same salt condition).
  virtual Status ClearOfflineFailures(const std::string& directory, const std::string& user,
                                      const std::string& salt) = 0;
  // The daemon's own removal (the directory said disabled, gone…); no log entry.
  // Removing nothing is Ok.
  virtual Status DeleteOfflineCredential(const std::string& directory, const std::string& user) = 0;
  // Ordered by user, directory; `user` nullopt = all.
  virtual Result<std::vector<OfflineCredentialInfo>> ListOfflineCredentials(
      const std::optional<std::string>& user) = 0;
  // Administrative removal (`idbridgectl offline forget`): every row of `user`
  // (in every directory, or only `directory`), with an "offline.forget"
  // security-log entry in the same transaction. Returns rows removed;
  // kNotFound when none.
  virtual Result<int64_t> ForgetOfflineCredentials(const std::string& user, const std::optional<std::string>& directory,
                                                   const Actor& actor, SystemTime now) = 0;

  // --- break-glass local administrator ---
  virtual Status SetLocalAdmin(const std::string& user, const std::string& password_hash, const Actor& actor,
                               SystemTime now) = 0;
  virtual Status RemoveLocalAdmin(const std::string& user, const Actor& actor, SystemTime now) = 0;  // kNotFound
  virtual Result<LocalAdminRecord> GetLocalAdmin(const std::string& user) = 0;                      // kNotFound
  virtual Result<std::vector<std::string>> ListLocalAdmins() = 0;

  // --- maintenance ---
  // Full structural check (PRAGMA integrity_check); kDataLoss with the findings.
  virtual Status CheckIntegrity() = 0;
  // Ok while the store this object opened is still the one at its path. A
  // file backend whose file was removed or replaced under it answers
  // kFailedPrecondition (saying which) and refuses every write with the same
  // error, so nothing is written to a store nobody will read again.
  virtual Status CheckStoreFile() { return Status::Ok(); }
};

}  // namespace idb::store
