// session_table.cc — see session_table.h.
#include "daemon/session_table.h"

#include <openssl/rand.h>

#include <algorithm>

namespace idb::daemon {

Result<std::string> NewSessionId() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return Internal("RAND_bytes failed: cannot make a session id");
  static const char kHex[] = "0123456789abcdef";
  std::string id(64, '0');
  for (size_t i = 0; i < sizeof(raw); ++i) {
    id[2 * i] = kHex[raw[i] >> 4];
    id[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return id;
}

bool LooksLikeSessionId(const std::string& id) {
  return id.size() == 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::string> SessionTable::Create(SessionRecord record, SystemTime now) {
  auto id = NewSessionId();
  if (!id.ok()) return id.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= max_sessions_) {
    PurgeExpiredLocked(now);
    if (sessions_.size() >= max_sessions_) {
      return Unavailable("too many open sessions (" + std::to_string(max_sessions_) + ")");
    }
  }
  record.id = *id;
  by_expiry_.emplace(record.expires, *id);
  sessions_.emplace(*id, std::move(record));
  return *id;
}

std::optional<SessionRecord> SessionTable::Get(const std::string& id, SystemTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    EraseLocked(it);
    return std::nullopt;
  }
  return it->second;
}

bool SessionTable::Update(const std::string& id, const Identity& identity,
                          std::shared_ptr<const DecisionSet> decisions, bool stale, SystemTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.expires <= now) return false;
  it->second.identity = identity;
  it->second.decisions = std::move(decisions);
  it->second.stale = stale;
  it->second.refreshed = now;
  return true;
}

bool SessionTable::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  EraseLocked(it);
  return true;
}

size_t SessionTable::RevokeUser(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.user == user) {
      it = EraseLocked(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

size_t SessionTable::CountUser(const std::string& user) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s.user == user ? 1 : 0;
  return n;
}

size_t SessionTable::PurgeExpired(SystemTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  return PurgeExpiredLocked(now);
}

size_t SessionTable::PurgeExpiredLocked(SystemTime now) {
  size_t n = 0;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    sessions_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
    ++n;
  }
  return n;
}

SessionTable::Sessions::iterator SessionTable::EraseLocked(Sessions::iterator it) {
  by_expiry_.erase({it->second.expires, it->first});
  return sessions_.erase(it);
}

size_t SessionTable::Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

void SessionTable::set_max_sessions(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  max_sessions_ = n;
}

}  // namespace idb::daemon
