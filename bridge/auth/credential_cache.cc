#include "auth/credential_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/work_counters.h"

namespace idb {

Result<std::string> Pbkdf2Sha256(const Secret& password, const std::string& salt, int iterations) {
  if (iterations < 1) return InvalidArgument("PBKDF2 iteration count must be positive");
  CountPasswordHash();
  std::string out(32, '\0');
  if (PKCS5_PBKDF2_HMAC(password.expose().data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        iterations, EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return Internal("PBKDF2 failed");
  }
  return out;
}

Status InMemoryCredentialCache::Store(const std::string& key, const Secret& password, const Identity& identity,
                                      std::chrono::system_clock::time_point now) {
  if (password.empty()) return InvalidArgument("refusing to cache an empty password");
  Entry e;
  e.salt.assign(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(e.salt.data()), static_cast<int>(e.salt.size())) != 1) {
    return Internal("no randomness for the salt");
  }
  auto hash = Pbkdf2Sha256(password, e.salt, settings_.pbkdf2_iterations);  // outside the lock: slow
  if (!hash.ok()) return hash.status();
  e.hash = std::move(*hash);
  e.iterations = settings_.pbkdf2_iterations;
  e.identity = identity;
  e.stored = now;
  std::lock_guard<std::mutex> lock(mu_);
  entries_[key] = std::move(e);
  return Status::Ok();
}

Result<Identity> InMemoryCredentialCache::Verify(const std::string& key, const Secret& password,
                                                 std::chrono::system_clock::time_point now) {
  std::string salt;
  int iterations = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return NotFound("no cached credentials");
    Entry& e = it->second;
    if (now < e.locked_until) return PermissionDenied("offline login locked after repeated failures");
    if (now - e.stored > settings_.max_age) return FailedPrecondition("cached credentials are older than offline_max_age");
    salt = e.salt;
    iterations = e.iterations;
  }
  if (password.empty()) return Unauthenticated("empty password");
  auto hash = Pbkdf2Sha256(password, salt, iterations);
  if (!hash.ok()) return hash.status();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.salt != salt) return NotFound("cached credentials changed meanwhile");
  Entry& e = it->second;
  if (CRYPTO_memcmp(hash->data(), e.hash.data(), e.hash.size()) != 0) {
    if (++e.failures >= settings_.max_failures) {
      e.locked_until = now + settings_.lockout_duration;
      e.failures = 0;
    }
    return Unauthenticated("wrong offline password");
  }
  e.failures = 0;
  return e.identity;
}

void InMemoryCredentialCache::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

}  // namespace idb
