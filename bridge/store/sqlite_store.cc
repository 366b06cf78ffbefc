#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "store/identity_json.h"
#include "common/names.h"
#include "store/schema.h"
#include "store/security_chain.h"
#include "store/sqlite_handle.h"
#include "store/store_file_identity.h"
#include "store/time_format.h"

namespace idb::store {
namespace {

using nlohmann::json;

constexpr int64_t kPruneIntervalMs = 3'600'000;
constexpr int64_t kMaxQueryRows = 1'000'000;

const char* EffectName(OverrideEffect e) { return e == OverrideEffect::kGrant ? "grant" : "deny"; }

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json OptJson(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json ListJson(const std::optional<std::vector<std::string>>& v) { return v ? json(*v) : json(nullptr); }

json OverrideJson(const StoredOverride& o) {
  const UserOverride& e = o.entry;
  return {{"id", e.id},
          {"user", o.user},
          {"effect", EffectName(e.effect)},
          {"permission", e.permission},
          {"location", OptJson(e.location)},
          {"warehouse", OptJson(e.warehouse)},
          {"expires", e.expires ? json(FormatUtcTime(*e.expires)) : json(nullptr)},
          {"reason", e.reason}};
}

json LimitsJson(const UserLimits& l) {
  return {{"locations", ListJson(l.locations)}, {"warehouses", ListJson(l.warehouses)}};
}

std::optional<std::string> ListToColumn(const std::optional<std::vector<std::string>>& v) {
  if (!v) return std::nullopt;
  return Dump(json(*v));
}

Result<std::optional<std::vector<std::string>>> ListFromColumn(const std::optional<std::string>& text) {
  if (!text) return std::optional<std::vector<std::string>>();
  try {
    return std::optional<std::vector<std::string>>(json::parse(*text).get<std::vector<std::string>>());
  } catch (const std::exception& e) {
    return DataLoss(std::string("stored limit list is not valid: ") + e.what());
  }
}

Status ValidateOptName(const std::optional<std::string>& v, std::string_view what) {
  return v ? ValidateName(*v, what) : Status::Ok();
}

Status ValidateList(std::optional<std::vector<std::string>>& v, std::string_view what) {
  if (!v) return Status::Ok();
  for (const auto& n : *v) IDB_RETURN_IF_ERROR(ValidateName(n, what));
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
  return Status::Ok();
}

// Columns: id, user, effect, permission, location, warehouse, expires_ms, reason, actor, created_ms
constexpr const char* kOverrideColumns =
    "id, user, effect, permission, location, warehouse, expires_ms, reason, actor, created_ms";

StoredOverride OverrideFromRow(const Statement& st) {
  StoredOverride o;
  o.entry.id = st.Int(0);
  o.user = st.Text(1);
  o.entry.effect = st.Text(2) == "deny" ? OverrideEffect::kDeny : OverrideEffect::kGrant;
  o.entry.permission = st.Text(3);
  o.entry.location = st.OptText(4);
  o.entry.warehouse = st.OptText(5);
  if (auto ms = st.OptInt(6)) o.entry.expires = FromUnixMillis(*ms);
  o.entry.reason = st.Text(7);
  o.actor = st.Text(8);
  o.created = FromUnixMillis(st.Int(9));
  return o;
}

// A short fingerprint of a stored password hash for the security log: lets
// `audit verify` notice a hash swapped outside idbridge without logging it.
std::string Fingerprint(const std::string& password_hash) {
  auto h = Sha256HexOf(password_hash);
  return h.ok() ? h->substr(0, 16) : std::string();
}

// The state the security log says the tables should be in, rebuilt entry by
// entry (only over an intact chain).
struct Replay {
  std::map<int64_t, json> overrides;          // id -> logged override
  std::map<std::string, json> limits;         // user -> logged limits
  std::map<std::string, std::string> admins;  // user -> password hash fingerprint
  std::vector<std::string> problems;

  void Apply(int64_t seq, const SecurityEvent& e) {
    auto parse = [&](const std::string& text) {
      json j = json::parse(text, nullptr, false);
      if (j.is_discarded()) problems.push_back("entry " + std::to_string(seq) + ": unreadable JSON");
      return j;
    };
    if (e.action == "override.grant" || e.action == "override.deny") {
      json j = parse(e.after);
      if (j.is_object() && j.contains("id") && j["id"].is_number_integer()) overrides[j["id"].get<int64_t>()] = j;
    } else if (e.action == "override.remove") {
      json j = parse(e.before);
      if (j.is_object() && j.contains("id") && j["id"].is_number_integer()) overrides.erase(j["id"].get<int64_t>());
    } else if (e.action == "limits.set") {
      json j = parse(e.after);
      if (j.is_object() && j.value("locations", json()).is_null() && j.value("warehouses", json()).is_null())
        limits.erase(e.target);
      else
        limits[e.target] = j;
    } else if (e.action == "limits.clear") {
      limits.erase(e.target);
    } else if (e.action == "local_admin.set") {
      json j = parse(e.after);
      admins[e.target] = j.is_object() ? j.value("fingerprint", "") : "";
    } else if (e.action == "local_admin.remove") {
      admins.erase(e.target);
    }
  }
};

// An open() descriptor that closes itself.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Creates the file with mode 0600 (or checks an existing one) before SQLite
// opens it, so the store is never readable by others, not even briefly.
Status PrepareFile(const std::string& path, bool create) {
  Fd f;
  int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  f.fd = ::open(path.c_str(), flags | (create ? O_CREAT : 0), 0600);
  if (f.fd < 0) {
    int e = errno;
    std::string what = "cannot open store " + path + ": " + std::strerror(e);
    if (e == ENOENT) return NotFound("store " + path + " does not exist (check --store or the store path in the configuration)");
    if (e == EACCES || e == EPERM) return PermissionDenied(what);
    if (e == ELOOP) return FailedPrecondition("store " + path + " is a symbolic link; refusing to follow it");
    return Unavailable(what);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return Unavailable("cannot stat store " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return FailedPrecondition("store " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return FailedPrecondition("store " + path + " has mode " + mode +
                              ": it must not be readable or writable by group or others (chmod 600 " + path + ")");
  }
  return Status::Ok();
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, DbHandle db, DbHandle read_db, SqliteStoreOptions options, StoreFileIdentity file)
      : path_(std::move(path)),
        db_(std::move(db)),
        read_db_(std::move(read_db)),
        options_(options),
        file_(std::move(file)) {}

  Result<int64_t> AddOverride(const NewOverride& o, const Actor& actor, SystemTime now) override;
  Status RemoveOverride(int64_t id, const Actor& actor, SystemTime now) override;
  Result<int64_t> RemoveOverrides(const OverrideKey& key, const Actor& actor, SystemTime now) override;
  Result<std::vector<StoredOverride>> ListOverrides(const std::optional<std::string>& user) override;
  Status UpdateLimits(const std::string& user, const LimitsUpdate& update, const Actor& actor,
                      SystemTime now) override;
  Status ClearLimits(const std::string& user, const Actor& actor, SystemTime now) override;
  Result<UserLimits> GetLimits(const std::string& user) override;
  Result<std::vector<std::pair<std::string, UserLimits>>> ListLimits() override;
  Result<UserAdjustments> AdjustmentsFor(const std::string& user, SystemTime now) override;
  Status RecordLogin(const LoginRecord& record) override;
  Status RecordLogins(const std::vector<LoginRecord>& records) override;
  Result<std::vector<LoginRecord>> QueryHistory(const HistoryQuery& q) override;
  Result<int64_t> PruneHistory(SystemTime cutoff, const Actor& actor, SystemTime now) override;
  Result<int64_t> AppendSecurityEvent(const SecurityEvent& e, SystemTime now) override;
  Result<std::vector<SecurityLogEntry>> ListSecurityLog(int64_t after_seq, int64_t limit) override;
  Result<AuditReport> VerifySecurityLog() override;
  Status RememberIdentity(const Identity& identity, SystemTime now) override;
  Status RememberIdentities(const std::vector<KnownUser>& users) override;
  Result<std::vector<KnownUser>> ListKnownUsers() override;
  Status SetLocalAdmin(const std::string& user, const std::string& password_hash, const Actor& actor,
                       SystemTime now) override;
  Status RemoveLocalAdmin(const std::string& user, const Actor& actor, SystemTime now) override;
  Result<LocalAdminRecord> GetLocalAdmin(const std::string& user) override;
  Result<std::vector<std::string>> ListLocalAdmins() override;
  Status PutOfflineCredential(const OfflineCredential& c) override;
  Result<OfflineCredential> GetOfflineCredential(const std::string& directory, const std::string& user) override;
  Result<bool> RecordOfflineFailure(const std::string& directory, const std::string& user, const std::string& salt,
                                    int max_failures, SystemTime lock_until) override;
  Status ClearOfflineFailures(const std::string& directory, const std::string& user, const std::string& salt) override;
  Status DeleteOfflineCredential(const std::string& directory, const std::string& user) override;
  Result<std::vector<OfflineCredentialInfo>> ListOfflineCredentials(const std::optional<std::string>& user) override;
  Result<int64_t> ForgetOfflineCredentials(const std::string& user, const std::optional<std::string>& directory,
                                           const Actor& actor, SystemTime now) override;
  Status CheckIntegrity() override;
  Status CheckStoreFile() override { return Named(file_.Check()); }

 private:
  // The security-log entries one administrative change makes.
  using AuditTrail = std::vector<SecurityEvent>;
  // The one way an administrative change is written: `change` runs inside a
  // write transaction (under mu_) and lists its security-log entries in the
  // trail; they are chained and committed with it, or nothing is. A change
  // that lists no entry is rolled back: nothing changes without its entry.
  template <typename T, typename Change>
  Result<T> Audited(SystemTime now, Change&& change);
  // BEGIN IMMEDIATE on the main connection, once the store file is checked
  // to be the one opened (store_file_identity.h). Call under mu_.
  Result<Transaction> BeginWrite() {
    IDB_RETURN_IF_ERROR(file_.Check());
    return Transaction::BeginWrite(cache_);
  }
  // "store PATH: ..." so every error names the file.
  Status Named(const Status& s) const {
    return s.ok() ? s : Status(s.code(), "store " + path_ + ": " + s.message());
  }
  template <typename T>
  Result<T> Named(Result<T> r) const {
    if (r.ok()) return r;
    return Named(r.status());
  }
  // Inside an open write transaction: appends one chained entry.
  Result<int64_t> AppendLogLocked(const SecurityEvent& e, SystemTime now);
  Result<std::vector<StoredOverride>> SelectOverrides(const char* where, const std::function<void(Statement&)>& bind,
                                                      sqlite3* db = nullptr);
  Result<std::optional<UserLimits>> ReadLimitsLocked(const std::string& user, sqlite3* db = nullptr);
  Result<std::vector<std::string>> CompareWithReplay(Replay& replay);

  // The cache of the connection `db` (db_ when null).
  StatementCache& CacheFor(sqlite3* db) { return db != nullptr && db == read_db_.get() ? read_cache_ : cache_; }

  std::mutex mu_;
  const std::string path_;
  DbHandle db_;
  StatementCache cache_{db_.get()};  // guarded by mu_; destroyed before db_ closes
  // A second, query-only connection for AdjustmentsFor (guarded by read_mu_);
  // null if it could not be opened (then db_ serves reads too).
  std::mutex read_mu_;
  DbHandle read_db_;
  StatementCache read_cache_{read_db_.get()};  // guarded by read_mu_
  const SqliteStoreOptions options_;
  const StoreFileIdentity file_;
  int64_t last_prune_ms_ = INT64_MIN;
};

template <typename T, typename Change>
Result<T> SqliteStore::Audited(SystemTime now, Change&& change) {
  std::lock_guard<std::mutex> lock(mu_);
  auto tx = BeginWrite();
  if (!tx.ok()) return tx.status();
  AuditTrail trail;
  Result<T> result = change(trail);
  if (!result.ok() || trail.empty()) return result;  // rolled back by tx's destructor
  for (const SecurityEvent& e : trail) {
    auto seq = AppendLogLocked(e, now);
    if (!seq.ok()) return seq.status();
  }
  IDB_RETURN_IF_ERROR(tx->Commit());
  return result;
}

Status ValidateActor(const Actor& actor) { return ValidateName(actor, "actor"); }

Result<int64_t> SqliteStore::AppendLogLocked(const SecurityEvent& e, SystemTime now) {
  auto head = cache_.Prepare( "SELECT seq, hash FROM security_log_head WHERE id = 1");
  if (!head.ok()) return head.status();
  auto row = head->Step();
  if (!row.ok()) return row.status();
  if (!*row) return DataLoss("the security log head is missing; run `idbridgectl audit verify`");
  const int64_t seq = head->Int(0) + 1;
  const std::string prev = head->Text(1);
  const int64_t ms = ToUnixMillis(now);
  auto hash = ChainHash(prev, seq, ms, e);
  if (!hash.ok()) return hash.status();
  auto ins = cache_.Prepare(
                                "INSERT INTO security_log (seq, time_ms, actor, action, target, before, after, "
                                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, seq).Bind(2, ms).Bind(3, e.actor).Bind(4, e.action).Bind(5, e.target).Bind(6, e.before);
  ins->Bind(7, e.after).Bind(8, prev).Bind(9, *hash);
  IDB_RETURN_IF_ERROR(ins->Run());
  auto upd = cache_.Prepare( "UPDATE security_log_head SET seq = ?, hash = ? WHERE id = 1");
  if (!upd.ok()) return upd.status();
  upd->Bind(1, seq).Bind(2, *hash);
  IDB_RETURN_IF_ERROR(upd->Run());
  return seq;
}

Result<std::vector<StoredOverride>> SqliteStore::SelectOverrides(const char* where,
                                                                 const std::function<void(Statement&)>& bind,
                                                                 sqlite3* db) {
  std::string sql = std::string("SELECT ") + kOverrideColumns + " FROM overrides " + where;
  auto st = CacheFor(db).Prepare( sql);
  if (!st.ok()) return st.status();
  bind(*st);
  std::vector<StoredOverride> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(OverrideFromRow(*st));
  }
  return out;
}

Result<int64_t> SqliteStore::AddOverride(const NewOverride& o, const Actor& actor, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(o.user));
  IDB_RETURN_IF_ERROR(ValidateName(o.permission, "permission"));
  IDB_RETURN_IF_ERROR(ValidateOptName(o.location, "location"));
  IDB_RETURN_IF_ERROR(ValidateOptName(o.warehouse, "warehouse"));
  IDB_RETURN_IF_ERROR(ValidateText(o.reason, "reason"));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  if (o.expires && *o.expires <= now)
    return InvalidArgument("expiry " + FormatUtcTime(*o.expires) + " is not in the future (now " +
                           FormatUtcTime(now) + ")");
  return Named(Audited<int64_t>(now, [&](AuditTrail& log) -> Result<int64_t> {
    const int64_t now_ms = ToUnixMillis(now);
    auto dup = SelectOverrides(
        "WHERE user = ?1 AND effect = ?2 AND permission = ?3 AND location IS ?4 AND warehouse IS ?5 "
        "AND (expires_ms IS NULL OR expires_ms > ?6)",
        [&](Statement& st) {
          st.Bind(1, o.user).Bind(2, EffectName(o.effect)).Bind(3, o.permission).Bind(4, o.location);
          st.Bind(5, o.warehouse).Bind(6, now_ms);
        });
    if (!dup.ok()) return dup.status();
    if (!dup->empty())
      return AlreadyExists("override #" + std::to_string(dup->front().entry.id) + " already does " +
                           EffectName(o.effect) + " " + o.permission + " for " + Quoted(o.user) +
                           " with the same scope; remove it first to change it");
    auto ins = cache_.Prepare(
                                  "INSERT INTO overrides (user, effect, permission, location, warehouse, "
                                  "expires_ms, reason, actor, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins.ok()) return ins.status();
    std::optional<int64_t> expires_ms;
    if (o.expires) expires_ms = ToUnixMillis(*o.expires);
    ins->Bind(1, o.user).Bind(2, EffectName(o.effect)).Bind(3, o.permission).Bind(4, o.location);
    ins->Bind(5, o.warehouse).Bind(6, expires_ms).Bind(7, o.reason).Bind(8, actor).Bind(9, now_ms);
    IDB_RETURN_IF_ERROR(ins->Run());
    StoredOverride stored;
    stored.entry = {sqlite3_last_insert_rowid(db_.get()), o.effect, o.permission, o.location, o.warehouse,
                    o.expires, o.reason};
    stored.user = o.user;
    log.push_back(
        {actor, std::string("override.") + EffectName(o.effect), o.user, "null", Dump(OverrideJson(stored))});
    return stored.entry.id;
  }));
}

Status SqliteStore::RemoveOverride(int64_t id, const Actor& actor, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  return Named(Audited<bool>(now, [&](AuditTrail& log) -> Result<bool> {
    auto rows = SelectOverrides("WHERE id = ?", [&](Statement& st) { st.Bind(1, id); });
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NotFound("no override #" + std::to_string(id));
    auto del = cache_.Prepare( "DELETE FROM overrides WHERE id = ?");
    if (!del.ok()) return del.status();
    del->Bind(1, id);
    IDB_RETURN_IF_ERROR(del->Run());
    const StoredOverride& o = rows->front();
    log.push_back({actor, "override.remove", o.user, Dump(OverrideJson(o)), "null"});
    return true;
  })).status();
}

Result<int64_t> SqliteStore::RemoveOverrides(const OverrideKey& key, const Actor& actor, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(key.user));
  IDB_RETURN_IF_ERROR(ValidateName(key.permission, "permission"));
  IDB_RETURN_IF_ERROR(ValidateOptName(key.location, "location"));
  IDB_RETURN_IF_ERROR(ValidateOptName(key.warehouse, "warehouse"));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  return Named(Audited<int64_t>(now, [&](AuditTrail& log) -> Result<int64_t> {
    auto rows = SelectOverrides(
        "WHERE user = ?1 AND permission = ?2 AND location IS ?3 AND warehouse IS ?4 ORDER BY id",
        [&](Statement& st) { st.Bind(1, key.user).Bind(2, key.permission).Bind(3, key.location).Bind(4, key.warehouse); });
    if (!rows.ok()) return rows.status();
    if (rows->empty())
      return NotFound("no override of " + key.permission + " for " + Quoted(key.user) + " with that scope");
    for (const auto& o : *rows) {
      auto del = cache_.Prepare( "DELETE FROM overrides WHERE id = ?");
      if (!del.ok()) return del.status();
      del->Bind(1, o.entry.id);
      IDB_RETURN_IF_ERROR(del->Run());
      log.push_back({actor, "override.remove", o.user, Dump(OverrideJson(o)), "null"});
    }
    return static_cast<int64_t>(rows->size());
  }));
}

Result<std::vector<StoredOverride>> SqliteStore::ListOverrides(const std::optional<std::string>& user) {
  std::lock_guard<std::mutex> lock(mu_);
  return Named(SelectOverrides("WHERE ?1 IS NULL OR user = ?1 ORDER BY user, id",
                               [&](Statement& st) { st.Bind(1, user); }));
}

Result<std::optional<UserLimits>> SqliteStore::ReadLimitsLocked(const std::string& user, sqlite3* db) {
  auto st = CacheFor(db).Prepare( "SELECT locations, warehouses FROM limits WHERE user = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, user);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<UserLimits>();
  auto locations = ListFromColumn(st->OptText(0));
  if (!locations.ok()) return locations.status();
  auto warehouses = ListFromColumn(st->OptText(1));
  if (!warehouses.ok()) return warehouses.status();
  return std::optional<UserLimits>(UserLimits{*locations, *warehouses});
}

Status SqliteStore::UpdateLimits(const std::string& user, const LimitsUpdate& update, const Actor& actor,
                                 SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(user));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  if (!update.locations.change && !update.warehouses.change)
    return InvalidArgument("nothing to change: give locations and/or warehouses");
  LimitsUpdate u = update;
  IDB_RETURN_IF_ERROR(ValidateList(u.locations.value, "location"));
  IDB_RETURN_IF_ERROR(ValidateList(u.warehouses.value, "warehouse"));
  return Named(Audited<bool>(now, [&](AuditTrail& log) -> Result<bool> {
    auto before = ReadLimitsLocked(user);
    if (!before.ok()) return before.status();
    UserLimits after = before->value_or(UserLimits{});
    if (u.locations.change) after.locations = u.locations.value;
    if (u.warehouses.change) after.warehouses = u.warehouses.value;
    if (!after.locations && !after.warehouses) {
      auto del = cache_.Prepare( "DELETE FROM limits WHERE user = ?");
      if (!del.ok()) return del.status();
      del->Bind(1, user);
      IDB_RETURN_IF_ERROR(del->Run());
    } else {
      auto up = cache_.Prepare(
                                   "INSERT INTO limits (user, locations, warehouses, actor, updated_ms) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user) DO UPDATE SET "
                                   "locations = ?2, warehouses = ?3, actor = ?4, updated_ms = ?5");
      if (!up.ok()) return up.status();
      up->Bind(1, user).Bind(2, ListToColumn(after.locations)).Bind(3, ListToColumn(after.warehouses));
      up->Bind(4, actor).Bind(5, ToUnixMillis(now));
      IDB_RETURN_IF_ERROR(up->Run());
    }
    std::string before_json = *before ? Dump(LimitsJson(**before)) : "null";
    log.push_back({actor, "limits.set", user, before_json, Dump(LimitsJson(after))});
    return true;
  })).status();
}

Status SqliteStore::ClearLimits(const std::string& user, const Actor& actor, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(user));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  return Named(Audited<bool>(now, [&](AuditTrail& log) -> Result<bool> {
    auto before = ReadLimitsLocked(user);
    if (!before.ok()) return before.status();
    if (!*before) return NotFound("no limits are set for " + Quoted(user));
    auto del = cache_.Prepare( "DELETE FROM limits WHERE user = ?");
    if (!del.ok()) return del.status();
    del->Bind(1, user);
    IDB_RETURN_IF_ERROR(del->Run());
    log.push_back({actor, "limits.clear", user, Dump(LimitsJson(**before)), "null"});
    return true;
  })).status();
}

Result<UserLimits> SqliteStore::GetLimits(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = ReadLimitsLocked(user);
  if (!r.ok()) return Named(r.status());
  return r->value_or(UserLimits{});
}

Result<std::vector<std::pair<std::string, UserLimits>>> SqliteStore::ListLimits() {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<std::vector<std::pair<std::string, UserLimits>>> {
    auto st = cache_.Prepare( "SELECT user, locations, warehouses FROM limits ORDER BY user");
    if (!st.ok()) return st.status();
    std::vector<std::pair<std::string, UserLimits>> out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      auto l = ListFromColumn(st->OptText(1));
      if (!l.ok()) return l.status();
      auto w = ListFromColumn(st->OptText(2));
      if (!w.ok()) return w.status();
      out.emplace_back(st->Text(0), UserLimits{*l, *w});
    }
    return out;
  };
  return Named(run());
}

Result<UserAdjustments> SqliteStore::AdjustmentsFor(const std::string& user, SystemTime now) {
  // The sign-in hot path reads on its own connection: in WAL mode it sees the
  // last committed snapshot without waiting for a writer's fsync (the login
  // history group commit) on the main connection's mutex.
  sqlite3* db = read_db_ ? read_db_.get() : db_.get();
  std::unique_lock<std::mutex> lock(read_db_ ? read_mu_ : mu_);
  auto run = [&]() -> Result<UserAdjustments> {
    auto tx = Transaction::BeginRead(CacheFor(db));
    if (!tx.ok()) return tx.status();
    auto rows = SelectOverrides("WHERE user = ?1 AND (expires_ms IS NULL OR expires_ms > ?2) ORDER BY id",
                                [&](Statement& st) { st.Bind(1, user).Bind(2, ToUnixMillis(now)); }, db);
    if (!rows.ok()) return rows.status();
    auto limits = ReadLimitsLocked(user, db);
    if (!limits.ok()) return limits.status();
    UserAdjustments adj;
    for (auto& o : *rows) adj.overrides.push_back(std::move(o.entry));
    adj.limits = limits->value_or(UserLimits{});
    IDB_RETURN_IF_ERROR(tx->Commit());
    return adj;
  };
  return Named(run());
}

Status SqliteStore::RecordLogin(const LoginRecord& r) { return RecordLogins({r}); }

Status SqliteStore::RecordLogins(const std::vector<LoginRecord>& records) {
  if (records.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Status {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    auto ins = cache_.Prepare(
                                  "INSERT INTO login_history (time_ms, user, method, source, success, reason, "
                                  "client, detail, client_address, typed_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins.ok()) return ins.status();
    int64_t newest_ms = INT64_MIN;
    for (const LoginRecord& r : records) {
      const int64_t ms = ToUnixMillis(r.time);
      newest_ms = std::max(newest_ms, ms);
      ins->Reset();
      ins->Bind(1, ms).Bind(2, SanitizeForLog(r.user)).Bind(3, SanitizeForLog(r.method, 64));
      ins->Bind(4, SanitizeForLog(r.source)).Bind(5, int64_t{r.success ? 1 : 0}).Bind(6, SanitizeForLog(r.reason, 64));
      ins->Bind(7, SanitizeForLog(r.client)).Bind(8, SanitizeForLog(r.detail, kMaxTextBytes));
      ins->Bind(9, SanitizeForLog(r.client_address));
      ins->Bind(10, SanitizeForLog(r.typed_user));
      IDB_RETURN_IF_ERROR(ins->Run());
    }
    bool pruned = false;
    if (options_.history_retention_days > 0 && newest_ms >= last_prune_ms_ + kPruneIntervalMs) {
      auto del = cache_.Prepare( "DELETE FROM login_history WHERE time_ms < ?");
      if (!del.ok()) return del.status();
      del->Bind(1, newest_ms - int64_t{options_.history_retention_days} * 86'400'000);
      IDB_RETURN_IF_ERROR(del->Run());
      pruned = true;
    }
    IDB_RETURN_IF_ERROR(tx->Commit());
    if (pruned) last_prune_ms_ = newest_ms;
    return Status::Ok();
  };
  return Named(run());
}

Result<std::vector<LoginRecord>> SqliteStore::QueryHistory(const HistoryQuery& q) {
  if (q.limit <= 0 || q.limit > kMaxQueryRows)
    return InvalidArgument("history limit must be between 1 and " + std::to_string(kMaxQueryRows));
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<std::vector<LoginRecord>> {
    auto st = cache_.Prepare(
                                 "SELECT id, time_ms, user, method, source, success, reason, client, detail, "
                                 "client_address, typed_user FROM login_history WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR time_ms >= ?2) "
                                 "AND (?3 = 0 OR success = 0) ORDER BY time_ms DESC, id DESC LIMIT ?4");
    if (!st.ok()) return st.status();
    std::optional<int64_t> since;
    if (q.since) since = ToUnixMillis(*q.since);
    st->Bind(1, q.user).Bind(2, since).Bind(3, int64_t{q.failed_only ? 1 : 0}).Bind(4, q.limit);
    std::vector<LoginRecord> out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      LoginRecord r;
      r.id = st->Int(0);
      r.time = FromUnixMillis(st->Int(1));
      r.user = st->Text(2);
      r.method = st->Text(3);
      r.source = st->Text(4);
      r.success = st->Int(5) != 0;
      r.reason = st->Text(6);
      r.client = st->Text(7);
      r.detail = st->Text(8);
      r.client_address = st->Text(9);
      r.typed_user = st->Text(10);
      out.push_back(std::move(r));
    }
    std::reverse(out.begin(), out.end());
    return out;
  };
  return Named(run());
}

Result<int64_t> SqliteStore::PruneHistory(SystemTime cutoff, const Actor& actor, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  return Named(Audited<int64_t>(now, [&](AuditTrail& log) -> Result<int64_t> {
    auto del = cache_.Prepare( "DELETE FROM login_history WHERE time_ms < ?");
    if (!del.ok()) return del.status();
    del->Bind(1, ToUnixMillis(cutoff));
    IDB_RETURN_IF_ERROR(del->Run());
    const int64_t removed = sqlite3_changes64(db_.get());
    if (removed > 0) {
      json after = {{"older_than", FormatUtcTime(cutoff)}, {"removed", removed}};
      log.push_back({actor, "history.prune", "login_history", "null", Dump(after)});
    }
    return removed;
  }));
}

Result<int64_t> SqliteStore::AppendSecurityEvent(const SecurityEvent& e, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateActor(e.actor));
  IDB_RETURN_IF_ERROR(ValidateName(e.action, "action"));
  if (e.target.size() > kMaxTextBytes) return InvalidArgument("security event target too long");
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<int64_t> {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    SecurityEvent ev = e;
    if (ev.before.empty()) ev.before = "null";
    if (ev.after.empty()) ev.after = "null";
    auto seq = AppendLogLocked(ev, now);
    if (!seq.ok()) return seq.status();
    IDB_RETURN_IF_ERROR(tx->Commit());
    return *seq;
  };
  return Named(run());
}

Result<std::vector<SecurityLogEntry>> SqliteStore::ListSecurityLog(int64_t after_seq, int64_t limit) {
  if (limit <= 0 || limit > kMaxQueryRows)
    return InvalidArgument("audit limit must be between 1 and " + std::to_string(kMaxQueryRows));
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<std::vector<SecurityLogEntry>> {
    auto st = cache_.Prepare(
                                 "SELECT seq, time_ms, actor, action, target, before, after, prev_hash, hash "
                                 "FROM security_log WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!st.ok()) return st.status();
    st->Bind(1, after_seq).Bind(2, limit);
    std::vector<SecurityLogEntry> out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      SecurityLogEntry e;
      e.seq = st->Int(0);
      e.time = FromUnixMillis(st->Int(1));
      e.event = {st->Text(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6)};
      e.prev_hash = st->Text(7);
      e.hash = st->Text(8);
      out.push_back(std::move(e));
    }
    return out;
  };
  return Named(run());
}

Result<AuditReport> SqliteStore::VerifySecurityLog() {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<AuditReport> {
    auto tx = Transaction::BeginRead(cache_);
    if (!tx.ok()) return tx.status();
    // Stored order is rowid (= seq) order; reading by rowid shows swapped rows as they are.
    auto st = cache_.Prepare(
                                 "SELECT seq, time_ms, actor, action, target, before, after, prev_hash, hash "
                                 "FROM security_log ORDER BY seq");
    if (!st.ok()) return st.status();
    ChainVerifier verifier;
    Replay replay;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      ChainRow r;
      r.seq = st->Int(0);
      r.time_ms = st->Int(1);
      r.event = {st->Text(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6)};
      r.prev_hash = st->Text(7);
      r.hash = st->Text(8);
      if (!verifier.Add(r)) break;
      replay.Apply(r.seq, r.event);
    }
    std::optional<ChainHead> head;
    auto hs = cache_.Prepare( "SELECT seq, hash FROM security_log_head WHERE id = 1");
    if (!hs.ok()) return hs.status();
    auto hrow = hs->Step();
    if (!hrow.ok()) return hrow.status();
    if (*hrow) head = ChainHead{hs->Int(0), hs->Text(1)};
    AuditReport report = verifier.Finish(head);
    if (!report.ok) return report;
    // The chain is intact: do the tables say what the log says?
    auto problems = CompareWithReplay(replay);
    if (!problems.ok()) return problems.status();
    if (!problems->empty()) {
      report.ok = false;
      report.state_problems = std::move(*problems);
      report.problem = report.state_problems.front();
    }
    return report;
  };
  return Named(run());
}

Result<std::vector<std::string>> SqliteStore::CompareWithReplay(Replay& replay) {
  std::vector<std::string> out = replay.problems;
  auto overrides = SelectOverrides("ORDER BY id", [](Statement&) {});
  if (!overrides.ok()) return overrides.status();
  for (const auto& o : *overrides) {
    const std::string name = "override #" + std::to_string(o.entry.id) + " (" + Quoted(o.user) + " " +
                             EffectName(o.entry.effect) + " " + o.entry.permission + ")";
    auto it = replay.overrides.find(o.entry.id);
    if (it == replay.overrides.end())
      out.push_back(name + " has no security-log entry: it was added outside idbridge");
    else if (it->second != OverrideJson(o))
      out.push_back(name + " differs from its security-log entry: it was edited outside idbridge");
    if (it != replay.overrides.end()) replay.overrides.erase(it);
  }
  for (const auto& [id, j] : replay.overrides)
    out.push_back("override #" + std::to_string(id) + " is in the security log but not in the store: it was deleted outside idbridge");

  auto st = cache_.Prepare( "SELECT user, locations, warehouses FROM limits ORDER BY user");
  if (!st.ok()) return st.status();
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string user = st->Text(0);
    auto l = ListFromColumn(st->OptText(1));
    auto w = ListFromColumn(st->OptText(2));
    if (!l.ok() || !w.ok()) {
      out.push_back("limits of " + Quoted(user) + " are unreadable");
      continue;
    }
    auto it = replay.limits.find(user);
    if (it == replay.limits.end())
      out.push_back("limits of " + Quoted(user) + " have no security-log entry: set outside idbridge");
    else if (it->second != LimitsJson(UserLimits{*l, *w}))
      out.push_back("limits of " + Quoted(user) + " differ from their security-log entry: edited outside idbridge");
    if (it != replay.limits.end()) replay.limits.erase(it);
  }
  for (const auto& [user, j] : replay.limits)
    out.push_back("limits of " + Quoted(user) + " are in the security log but not in the store: deleted outside idbridge");

  auto admins = cache_.Prepare( "SELECT user, password_hash FROM local_admins ORDER BY user");
  if (!admins.ok()) return admins.status();
  while (true) {
    auto row = admins->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string user = admins->Text(0);
    auto it = replay.admins.find(user);
    if (it == replay.admins.end())
      out.push_back("local administrator " + Quoted(user) + " has no security-log entry: added outside idbridge");
    else if (it->second != Fingerprint(admins->Text(1)))
      out.push_back("local administrator " + Quoted(user) + "'s password hash was replaced outside idbridge");
    if (it != replay.admins.end()) replay.admins.erase(it);
  }
  for (const auto& [user, fp] : replay.admins)
    out.push_back("local administrator " + Quoted(user) + " is in the security log but not in the store: deleted outside idbridge");
  return out;
}

Status SqliteStore::RememberIdentity(const Identity& identity, SystemTime now) {
  return RememberIdentities({KnownUser{identity, now}});
}

Status SqliteStore::RememberIdentities(const std::vector<KnownUser>& users) {
  if (users.empty()) return Status::Ok();
  for (const KnownUser& u : users) IDB_RETURN_IF_ERROR(ValidateUserName(u.identity.user));
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Status {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    auto up = cache_.Prepare(
                                 "INSERT INTO known_users (user, identity, last_login_ms) VALUES (?1, ?2, ?3) "
                                 "ON CONFLICT (user) DO UPDATE SET identity = ?2, last_login_ms = ?3");
    if (!up.ok()) return up.status();
    for (const KnownUser& u : users) {
      up->Reset();
      up->Bind(1, u.identity.user).Bind(2, IdentityToJson(u.identity)).Bind(3, ToUnixMillis(u.last_login));
      IDB_RETURN_IF_ERROR(up->Run());
    }
    return tx->Commit();
  };
  return Named(run());
}

Result<std::vector<KnownUser>> SqliteStore::ListKnownUsers() {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<std::vector<KnownUser>> {
    auto st = cache_.Prepare( "SELECT user, identity, last_login_ms FROM known_users ORDER BY user");
    if (!st.ok()) return st.status();
    std::vector<KnownUser> out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      auto id = IdentityFromJson(st->Text(1));
      if (!id.ok()) return DataLoss("known user " + Quoted(st->Text(0)) + ": " + id.status().message());
      out.push_back({std::move(*id), FromUnixMillis(st->Int(2))});
    }
    return out;
  };
  return Named(run());
}

Status SqliteStore::SetLocalAdmin(const std::string& user, const std::string& password_hash, const Actor& actor,
                                  SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(user));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  // Only a hash in our format is stored, never something that could be a password.
  if (password_hash.rfind("pbkdf2-sha256$", 0) != 0)
    return InvalidArgument("local admin password must be stored as a pbkdf2-sha256 hash");
  return Named(Audited<bool>(now, [&](AuditTrail& log) -> Result<bool> {
    auto sel = cache_.Prepare( "SELECT updated_ms FROM local_admins WHERE user = ?");
    if (!sel.ok()) return sel.status();
    sel->Bind(1, user);
    auto existing = sel->Step();
    if (!existing.ok()) return existing.status();
    std::string before = *existing ? Dump({{"user", user}, {"password_set", FormatUtcTime(FromUnixMillis(sel->Int(0)))}})
                                   : "null";
    auto up = cache_.Prepare(
                                 "INSERT INTO local_admins (user, password_hash, updated_ms) VALUES (?1, ?2, ?3) "
                                 "ON CONFLICT (user) DO UPDATE SET password_hash = ?2, updated_ms = ?3");
    if (!up.ok()) return up.status();
    up->Bind(1, user).Bind(2, password_hash).Bind(3, ToUnixMillis(now));
    IDB_RETURN_IF_ERROR(up->Run());
    // The hash itself never goes into the log.
    std::string after =
        Dump({{"user", user}, {"password_set", FormatUtcTime(now)}, {"fingerprint", Fingerprint(password_hash)}});
    log.push_back({actor, "local_admin.set", user, before, after});
    return true;
  })).status();
}

Status SqliteStore::RemoveLocalAdmin(const std::string& user, const Actor& actor, SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(user));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  return Named(Audited<bool>(now, [&](AuditTrail& log) -> Result<bool> {
    auto del = cache_.Prepare( "DELETE FROM local_admins WHERE user = ?");
    if (!del.ok()) return del.status();
    del->Bind(1, user);
    IDB_RETURN_IF_ERROR(del->Run());
    if (sqlite3_changes64(db_.get()) == 0) return NotFound("no local administrator " + Quoted(user));
    log.push_back({actor, "local_admin.remove", user, Dump({{"user", user}}), "null"});
    return true;
  })).status();
}

Result<LocalAdminRecord> SqliteStore::GetLocalAdmin(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<LocalAdminRecord> {
    auto st = cache_.Prepare( "SELECT password_hash, updated_ms FROM local_admins WHERE user = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, user);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("no local administrator " + Quoted(user));
    return LocalAdminRecord{user, st->Text(0), FromUnixMillis(st->Int(1))};
  };
  return Named(run());
}

Result<std::vector<std::string>> SqliteStore::ListLocalAdmins() {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<std::vector<std::string>> {
    auto st = cache_.Prepare( "SELECT user FROM local_admins ORDER BY user");
    if (!st.ok()) return st.status();
    std::vector<std::string> out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(st->Text(0));
    }
    return out;
  };
  return Named(run());
}

// --- offline credentials ---

std::string ToHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

Status ValidateDirectoryName(const std::string& directory) { return ValidateName(directory, "directory"); }

Status SqliteStore::PutOfflineCredential(const OfflineCredential& c) {
  IDB_RETURN_IF_ERROR(ValidateDirectoryName(c.directory));
  IDB_RETURN_IF_ERROR(ValidateUserName(c.user));
  if (c.salt.empty() || c.hash.empty()) return InvalidArgument("offline credential without salt or hash");
  if (c.iterations < 1) return InvalidArgument("offline credential hash iterations must be positive");
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Status {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    auto up = cache_.Prepare(
        "INSERT INTO offline_credentials (directory, user, salt_hex, hash_hex, iterations, identity, stored_ms, "
        "failures, locked_until_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0) "
        "ON CONFLICT (directory, user) DO UPDATE SET salt_hex = ?3, hash_hex = ?4, iterations = ?5, "
        "identity = ?6, stored_ms = ?7, failures = 0, locked_until_ms = 0");
    if (!up.ok()) return up.status();
    up->Bind(1, c.directory)
        .Bind(2, c.user)
        .Bind(3, ToHex(c.salt))
        .Bind(4, ToHex(c.hash))
        .Bind(5, static_cast<int64_t>(c.iterations))
        .Bind(6, IdentityToJson(c.identity))
        .Bind(7, ToUnixMillis(c.stored_at));
    IDB_RETURN_IF_ERROR(up->Run());
    return tx->Commit();
  };
  return Named(run());
}

Result<OfflineCredential> SqliteStore::GetOfflineCredential(const std::string& directory, const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<OfflineCredential> {
    auto st = cache_.Prepare(
                                 "SELECT salt_hex, hash_hex, iterations, identity, stored_ms, failures, "
                                 "locked_until_ms FROM offline_credentials WHERE directory = ? AND user = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, directory).Bind(2, user);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("no cached offline credentials for " + Quoted(directory + "/" + user));
    const std::string what = "offline credentials of " + Quoted(directory + "/" + user) + ": ";
    OfflineCredential c;
    c.directory = directory;
    c.user = user;
    auto salt = FromHex(st->Text(0));
    auto hash = FromHex(st->Text(1));
    if (!salt || salt->empty()) return DataLoss(what + "the salt is not valid hex");
    if (!hash || hash->size() != 32) return DataLoss(what + "the hash is not 32 bytes of hex");
    c.salt = std::move(*salt);
    c.hash = std::move(*hash);
    const int64_t iterations = st->Int(2);
    if (iterations < 1 || iterations > INT_MAX) return DataLoss(what + "impossible iteration count");
    c.iterations = static_cast<int>(iterations);
    auto id = IdentityFromJson(st->Text(3));
    if (!id.ok()) return DataLoss(what + id.status().message());
    c.identity = std::move(*id);
    c.stored_at = FromUnixMillis(st->Int(4));
    const int64_t failures = st->Int(5);
    if (failures < 0 || failures > INT_MAX) return DataLoss(what + "impossible failure count");
    c.failures = static_cast<int>(failures);
    c.locked_until = FromUnixMillis(st->Int(6));
    return c;
  };
  return Named(run());
}

Result<bool> SqliteStore::RecordOfflineFailure(const std::string& directory, const std::string& user,
                                               const std::string& salt, int max_failures, SystemTime lock_until) {
  if (max_failures < 1) return InvalidArgument("offline max_failures must be positive");
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<bool> {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    auto sel = cache_.Prepare(
                                  "SELECT failures FROM offline_credentials WHERE directory = ? AND user = ? "
                                  "AND salt_hex = ?");
    if (!sel.ok()) return sel.status();
    sel->Bind(1, directory).Bind(2, user).Bind(3, ToHex(salt));
    auto row = sel->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("cached offline credentials changed meanwhile");
    int64_t failures = std::max<int64_t>(sel->Int(0), 0) + 1;
    const bool locked = failures >= max_failures;
    auto up = cache_.Prepare(
                                 locked ? "UPDATE offline_credentials SET failures = 0, locked_until_ms = ?3 "
                                          "WHERE directory = ?1 AND user = ?2"
                                        : "UPDATE offline_credentials SET failures = ?3 "
                                          "WHERE directory = ?1 AND user = ?2");
    if (!up.ok()) return up.status();
    up->Bind(1, directory).Bind(2, user).Bind(3, locked ? ToUnixMillis(lock_until) : failures);
    IDB_RETURN_IF_ERROR(up->Run());
    IDB_RETURN_IF_ERROR(tx->Commit());
    return locked;
  };
  return Named(run());
}

Status SqliteStore::ClearOfflineFailures(const std::string& directory, const std::string& user,
                                         const std::string& salt) {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Status {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    auto up = cache_.Prepare(
                                 "UPDATE offline_credentials SET failures = 0 WHERE directory = ? AND user = ? "
                                 "AND salt_hex = ? AND failures != 0");
    if (!up.ok()) return up.status();
    up->Bind(1, directory).Bind(2, user).Bind(3, ToHex(salt));
    IDB_RETURN_IF_ERROR(up->Run());
    return tx->Commit();
  };
  return Named(run());
}

Status SqliteStore::DeleteOfflineCredential(const std::string& directory, const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Status {
    auto tx = BeginWrite();
    if (!tx.ok()) return tx.status();
    auto del = cache_.Prepare( "DELETE FROM offline_credentials WHERE directory = ? AND user = ?");
    if (!del.ok()) return del.status();
    del->Bind(1, directory).Bind(2, user);
    IDB_RETURN_IF_ERROR(del->Run());
    return tx->Commit();
  };
  return Named(run());
}

Result<std::vector<OfflineCredentialInfo>> SqliteStore::ListOfflineCredentials(const std::optional<std::string>& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Result<std::vector<OfflineCredentialInfo>> {
    auto st = cache_.Prepare(
                                 "SELECT directory, user, iterations, identity, stored_ms, failures, locked_until_ms "
                                 "FROM offline_credentials WHERE ?1 IS NULL OR user = ?1 ORDER BY user, directory");
    if (!st.ok()) return st.status();
    st->Bind(1, user);
    std::vector<OfflineCredentialInfo> out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      OfflineCredentialInfo i;
      i.directory = st->Text(0);
      i.user = st->Text(1);
      i.iterations = static_cast<int>(std::clamp<int64_t>(st->Int(2), 0, INT_MAX));
      auto id = IdentityFromJson(st->Text(3));
      if (!id.ok())
        return DataLoss("offline credentials of " + Quoted(i.directory + "/" + i.user) + ": " + id.status().message());
      i.groups = id->groups.size();
      i.stored_at = FromUnixMillis(st->Int(4));
      i.failures = static_cast<int>(std::clamp<int64_t>(st->Int(5), 0, INT_MAX));
      i.locked_until = FromUnixMillis(st->Int(6));
      out.push_back(std::move(i));
    }
    return out;
  };
  return Named(run());
}

Result<int64_t> SqliteStore::ForgetOfflineCredentials(const std::string& user,
                                                      const std::optional<std::string>& directory, const Actor& actor,
                                                      SystemTime now) {
  IDB_RETURN_IF_ERROR(ValidateUserName(user));
  IDB_RETURN_IF_ERROR(ValidateActor(actor));
  if (directory) IDB_RETURN_IF_ERROR(ValidateDirectoryName(*directory));
  return Named(Audited<int64_t>(now, [&](AuditTrail& log) -> Result<int64_t> {
    auto del = cache_.Prepare(
                                  "DELETE FROM offline_credentials WHERE user = ?1 AND (?2 IS NULL OR directory = ?2)");
    if (!del.ok()) return del.status();
    del->Bind(1, user).Bind(2, directory);
    IDB_RETURN_IF_ERROR(del->Run());
    const int64_t removed = sqlite3_changes64(db_.get());
    if (removed == 0) return NotFound("no cached offline credentials for " + Quoted(user));
    json before = {{"user", user}, {"directory", OptJson(directory)}, {"rows", removed}};
    log.push_back({actor, "offline.forget", user, Dump(before), "null"});
    return removed;
  }));
}

Status SqliteStore::CheckIntegrity() {
  std::lock_guard<std::mutex> lock(mu_);
  auto run = [&]() -> Status {
    auto st = cache_.Prepare( "PRAGMA integrity_check(20)");
    if (!st.ok()) return st.status();
    std::vector<std::string> findings;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      findings.push_back(st->Text(0));
    }
    if (findings.size() == 1 && findings[0] == "ok") return Status::Ok();
    std::string msg = "integrity check failed:";
    for (const auto& f : findings) msg += "\n  " + f;
    return DataLoss(msg);
  };
  return Named(run());
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteStoreOptions& options) {
  if (path.empty()) return InvalidArgument("the store path is empty");
  if (options.busy_timeout_ms < 0) return InvalidArgument("busy timeout must not be negative");
  if (options.history_retention_days < 0) return InvalidArgument("history retention days must not be negative");
  IDB_RETURN_IF_ERROR(PrepareFile(path, options.create_if_missing));
  auto file = StoreFileIdentity::Capture(path);
  if (!file.ok()) return file.status();

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE,
                           nullptr);
  DbHandle db(raw);
  auto named = [&](const Status& s) { return Status(s.code(), "store " + path + ": " + s.message()); };
  if (rc != SQLITE_OK) return named(SqliteError(raw, rc, "opening"));
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);

  // journal_mode answers with the mode in force; anything but "wal" means the
  // file could not be switched (e.g. damaged, or on a filesystem without shm).
  {
    auto st = Statement::Prepare(db.get(), "PRAGMA journal_mode = WAL");
    if (!st.ok()) return named(st.status());
    auto row = st->Step();
    if (!row.ok()) return named(row.status());
    std::string mode = *row ? st->Text(0) : "";
    if (mode != "wal") return named(Unavailable("cannot switch the store to WAL mode (got '" + mode + "')"));
  }
  if (Status s = Exec(db.get(), "PRAGMA synchronous = FULL"); !s.ok()) return named(s);
  if (Status s = Migrate(db.get()); !s.ok()) return named(s);
  // The read connection for the sign-in path (AdjustmentsFor). Best effort:
  // without it every call uses the main connection, as before.
  DbHandle read_db;
  {
    sqlite3* r = nullptr;
    int rrc = sqlite3_open_v2(path.c_str(), &r,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE,
                              nullptr);
    read_db.reset(r);
    if (rrc == SQLITE_OK) {
      sqlite3_busy_timeout(read_db.get(), options.busy_timeout_ms);
      sqlite3_db_config(read_db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
      sqlite3_db_config(read_db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
      if (!Exec(read_db.get(), "PRAGMA query_only = 1").ok()) read_db.reset();
    } else {
      read_db.reset();
    }
  }
  return std::unique_ptr<Store>(new SqliteStore(path, std::move(db), std::move(read_db), options, std::move(file).value()));
}

}  // namespace idb::store
