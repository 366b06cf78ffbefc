// credential_cache.h — offline logins ("cached credentials", as in SSSD).
//
// Why: when every directory server is unreachable, a user who logged in
// recently may still log in with the same password, up to a maximum age. After
// each online success the authenticator stores a slow salted hash of the
// password (PBKDF2-HMAC-SHA256, OpenSSL) and the resolved identity (groups and
// claims); offline it verifies against that. It is NEVER consulted when a
// server answered "wrong password" — only when none could be asked.
// Offline attempts have their own failed-attempt lockout.
// The password itself is never stored; the hash compare is constant-time.
// Time is passed in (tests never sleep).
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/result.h"
#include "common/secret.h"
#include "core/identity.h"

namespace idb {

struct CredentialCacheSettings {
  int pbkdf2_iterations = 210000;            // OWASP 2023 minimum for PBKDF2-SHA256 is 600k; tests use ~1000
  std::chrono::seconds max_age{std::chrono::hours(24) * 3};  // offline_max_age
  int max_failures = 5;                      // wrong offline passwords before lockout
  std::chrono::seconds lockout_duration{900};
};

class CredentialCache {
 public:
  virtual ~CredentialCache() = default;
  // Records a successful online login. `key` identifies the user within one
  // directory ("corp/alice"); a new store replaces the old entry and clears
  // the offline failure count.
  virtual Status Store(const std::string& key, const Secret& password, const Identity& identity,
                       std::chrono::system_clock::time_point now) = 0;
  // Offline verification. Ok → the identity stored at the last online login.
  // kNotFound: nothing cached; kFailedPrecondition: older than max_age;
  // kPermissionDenied: offline lockout; kUnauthenticated: wrong password.
  virtual Result<Identity> Verify(const std::string& key, const Secret& password,
                                  std::chrono::system_clock::time_point now) = 0;
  // Drops an entry (the directory said the account is disabled, gone…).
  virtual void Forget(const std::string& key) = 0;
};

// PBKDF2-HMAC-SHA256 of `password` with `salt`, 32 bytes.
Result<std::string> Pbkdf2Sha256(const Secret& password, const std::string& salt, int iterations);

class InMemoryCredentialCache final : public CredentialCache {
 public:
  explicit InMemoryCredentialCache(CredentialCacheSettings settings) : settings_(settings) {}
  Status Store(const std::string& key, const Secret& password, const Identity& identity,
               std::chrono::system_clock::time_point now) override;
  Result<Identity> Verify(const std::string& key, const Secret& password,
                          std::chrono::system_clock::time_point now) override;
  void Forget(const std::string& key) override;

 private:
  struct Entry {
    std::string salt;
    std::string hash;
    int iterations = 0;
    Identity identity;
    std::chrono::system_clock::time_point stored;
    int failures = 0;
    std::chrono::system_clock::time_point locked_until;
  };
  const CredentialCacheSettings settings_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace idb
