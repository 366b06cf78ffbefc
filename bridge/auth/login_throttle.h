// login_throttle.h — slows down and then locks out repeated failed logins, per
// user name and per client, before the directory's own lockout policy locks
// the real account (a password-guessing burst must not lock out the CEO).
//
// Semantics (per key; a user and a client are separate keys):
//  - the first `free_failures` failures cost nothing;
//  - each further failure sets a "not before" instant: base_delay doubling per
//    failure, capped at max_delay; an attempt before it is refused (kThrottled)
//    without asking the directory — the throttle never sleeps a thread;
//  - `lockout_failures` failures within `window` lock the key for
//    `lockout_duration`;
//  - a success clears the user's key (not the client's: one client guessing
//    many users stays slowed down); failures older than `window` are forgotten.
// Time is always passed in (tests never sleep).
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace idb {

struct ThrottleSettings {
  int free_failures = 3;
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_delay{30000};
  int lockout_failures = 10;
  std::chrono::seconds lockout_duration{900};
  std::chrono::seconds window{900};
  size_t max_tracked_keys = 100000;  // memory bound; oldest entries are evicted
  bool operator==(const ThrottleSettings&) const = default;
};

struct ThrottleVerdict {
  bool allowed = true;
  bool locked_out = false;                     // true: lockout, false: only slowed down
  std::chrono::system_clock::time_point retry_at;  // meaningful when !allowed
  std::string reason;                          // "user", "client" — for history, not for users
};

class LoginThrottle {
 public:
  virtual ~LoginThrottle() = default;
  // Before the attempt: may this user from this client try now?
  virtual ThrottleVerdict Check(const std::string& user, const std::string& client,
                                std::chrono::system_clock::time_point now) = 0;
  // After a failed attempt with a password (bad credentials, unknown user…).
  virtual void RecordFailure(const std::string& user, const std::string& client,
                             std::chrono::system_clock::time_point now) = 0;
  virtual void RecordSuccess(const std::string& user, const std::string& client,
                             std::chrono::system_clock::time_point now) = 0;
};

// In-memory implementation (state is lost on restart, which only ever
// shortens a lockout). User names compare case-insensitively (ASCII).
class InMemoryLoginThrottle final : public LoginThrottle {
 public:
  explicit InMemoryLoginThrottle(ThrottleSettings settings) : settings_(settings) {}
  ThrottleVerdict Check(const std::string& user, const std::string& client,
                        std::chrono::system_clock::time_point now) override;
  void RecordFailure(const std::string& user, const std::string& client,
                     std::chrono::system_clock::time_point now) override;
  void RecordSuccess(const std::string& user, const std::string& client,
                     std::chrono::system_clock::time_point now) override;

 private:
  struct Entry {
    int failures = 0;
    std::chrono::system_clock::time_point first_failure;
    std::chrono::system_clock::time_point last_failure;
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point locked_until;
  };
  void Fail(const std::string& key, std::chrono::system_clock::time_point now);
  bool Blocked(const std::string& key, std::chrono::system_clock::time_point now, ThrottleVerdict* v) const;
  void EvictIfFull();

  const ThrottleSettings settings_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace idb
