// session_table.h — the daemon's open sessions.
//
// Why: a login yields a session id the plugin presents to refresh, check and
// log out. Ids are 256 bits from OpenSSL RAND_bytes, hex-encoded (64 chars);
// anything else is "unknown session". Sessions end at an absolute expiry
// (session_ttl from login), on logout, or when an admin revokes the user.
// Time is passed in (tests never sleep). The table is bounded (max_sessions):
// when full, expired sessions are purged and, if still full, logins fail with
// kUnavailable rather than evicting someone. Sessions are also kept ordered by
// expiry, so a purge touches only the expired ones and a refusal at the bound
// costs O(log n), not a scan of the table.
// Thread-safety: all methods are safe for concurrent use (one mutex; the hot
// path — checks — never reaches the daemon).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "core/decision_set.h"
#include "core/identity.h"
#include "core/user_adjustments.h"

namespace idb::daemon {

struct SessionRecord {
  std::string id;
  std::string user;
  std::string method;   // "local", "ldap", "oidc"
  std::string source;   // authenticator name: "local", "ldap:corp"
  std::string client;   // "uid=.. gid=.. pid=.."
  Identity identity;    // re-evaluated at refresh
  std::shared_ptr<const DecisionSet> decisions;
  bool stale = false;
  SystemTime created{};
  SystemTime expires{};
  SystemTime refreshed{};
};

// 64 lowercase hex chars from 32 RAND_bytes. kInternal if the RNG fails.
Result<std::string> NewSessionId();
bool LooksLikeSessionId(const std::string& id);

class SessionTable {
 public:
  explicit SessionTable(size_t max_sessions) : max_sessions_(max_sessions) {}

  // Assigns record.id; returns it.
  Result<std::string> Create(SessionRecord record, SystemTime now);
  // nullopt when unknown or expired (an expired one is removed).
  std::optional<SessionRecord> Get(const std::string& id, SystemTime now);
  // Replaces the decisions of a live session; false when it is gone.
  bool Update(const std::string& id, const Identity& identity, std::shared_ptr<const DecisionSet> decisions,
              bool stale, SystemTime now);
  bool Remove(const std::string& id);
  size_t RevokeUser(const std::string& user);
  size_t CountUser(const std::string& user) const;  // open sessions of `user`
  size_t PurgeExpired(SystemTime now);
  size_t Count() const;
  void set_max_sessions(size_t n);

 private:
  using Sessions = std::unordered_map<std::string, SessionRecord>;
  size_t PurgeExpiredLocked(SystemTime now);
  Sessions::iterator EraseLocked(Sessions::iterator it);  // from both indexes

  mutable std::mutex mu_;
  size_t max_sessions_;
  Sessions sessions_;                                   // guarded by mu_
  std::set<std::pair<SystemTime, std::string>> by_expiry_;  // guarded by mu_; one entry per session
};

}  // namespace idb::daemon
