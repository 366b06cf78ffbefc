#include "auth/login_throttle.h"

#include <algorithm>
#include <cctype>

namespace idb {
namespace {

std::string UserKey(const std::string& user) {
  std::string k = "u:";
  for (char c : user) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return k;
}
std::string ClientKey(const std::string& client) { return "c:" + client; }

}  // namespace

bool InMemoryLoginThrottle::Blocked(const std::string& key, std::chrono::system_clock::time_point now,
                                    ThrottleVerdict* v) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  const Entry& e = it->second;
  if (now < e.locked_until) {
    v->allowed = false;
    v->locked_out = true;
    v->retry_at = e.locked_until;
    return true;
  }
  if (now < e.not_before) {
    v->allowed = false;
    v->locked_out = false;
    v->retry_at = e.not_before;
    return true;
  }
  return false;
}

ThrottleVerdict InMemoryLoginThrottle::Check(const std::string& user, const std::string& client,
                                             std::chrono::system_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  ThrottleVerdict v;
  if (Blocked(UserKey(user), now, &v)) {
    v.reason = "user";
    return v;
  }
  if (!client.empty() && Blocked(ClientKey(client), now, &v)) {
    v.reason = "client";
    return v;
  }
  return v;
}

void InMemoryLoginThrottle::Fail(const std::string& key, std::chrono::system_clock::time_point now) {
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure > settings_.window && now >= e.locked_until) e = Entry{};
  if (e.failures == 0) e.first_failure = now;
  ++e.failures;
  e.last_failure = now;
  if (e.failures >= settings_.lockout_failures && now - e.first_failure <= settings_.window) {
    e.locked_until = now + settings_.lockout_duration;
    // After the lockout, start from a clean slate.
    e.failures = 0;
    e.not_before = {};
    return;
  }
  if (e.failures > settings_.free_failures) {
    const int extra = std::min(e.failures - settings_.free_failures - 1, 30);
    auto delay = settings_.base_delay * (int64_t{1} << extra);
    if (delay > settings_.max_delay || delay.count() < 0) delay = settings_.max_delay;
    e.not_before = now + delay;
  }
}

void InMemoryLoginThrottle::EvictIfFull() {
  while (entries_.size() > settings_.max_tracked_keys) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return std::max(a.second.last_failure, a.second.locked_until) <
             std::max(b.second.last_failure, b.second.locked_until);
    });
    entries_.erase(oldest);
  }
}

void InMemoryLoginThrottle::RecordFailure(const std::string& user, const std::string& client,
                                          std::chrono::system_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  Fail(UserKey(user), now);
  if (!client.empty()) Fail(ClientKey(client), now);
  EvictIfFull();
}

void InMemoryLoginThrottle::RecordSuccess(const std::string& user, const std::string&,
                                          std::chrono::system_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(UserKey(user));
  if (it != entries_.end() && now >= it->second.locked_until) entries_.erase(it);
}

}  // namespace idb
