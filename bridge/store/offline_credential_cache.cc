// offline_credential_cache.cc — see offline_credential_cache.h.
#include "store/offline_credential_cache.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace idb::store {

Result<std::pair<std::string, std::string>> SplitCacheKey(const std::string& key) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == key.size())
    return InvalidArgument("offline credential key must be <directory>/<user>");
  return std::make_pair(key.substr(0, slash), key.substr(slash + 1));
}

Status StoreCredentialCache::Store(const std::string& key, const Secret& password, const Identity& identity,
                                   std::chrono::system_clock::time_point now) {
  if (password.empty()) return InvalidArgument("refusing to cache an empty password");
  auto parts = SplitCacheKey(key);
  if (!parts.ok()) return parts.status();
  OfflineCredential c;
  c.directory = parts->first;
  c.user = parts->second;
  c.salt.assign(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(c.salt.data()), static_cast<int>(c.salt.size())) != 1) {
    return Internal("no randomness for the salt");
  }
  auto hash = Pbkdf2Sha256(password, c.salt, settings_.pbkdf2_iterations);
  if (!hash.ok()) return hash.status();
  c.hash = std::move(*hash);
  c.iterations = settings_.pbkdf2_iterations;
  c.identity = identity;
  c.stored_at = now;
  return store_->PutOfflineCredential(c);
}

Result<Identity> StoreCredentialCache::Verify(const std::string& key, const Secret& password,
                                              std::chrono::system_clock::time_point now) {
  auto parts = SplitCacheKey(key);
  if (!parts.ok()) return parts.status();
  auto c = store_->GetOfflineCredential(parts->first, parts->second);
  if (!c.ok()) return c.status();
  if (now < c->locked_until) return PermissionDenied("offline login locked after repeated failures");
  // A row from the future (clock set back, or an edited row) would never age
  // out: refuse it like an expired one.
  if (c->stored_at > now) return FailedPrecondition("cached credentials are dated in the future (clock changed?)");
  if (now - c->stored_at > settings_.max_age) {
    return FailedPrecondition("cached credentials are older than offline_max_age");
  }
  if (password.empty()) return Unauthenticated("empty password");
  auto hash = Pbkdf2Sha256(password, c->salt, c->iterations);
  if (!hash.ok()) return hash.status();
  if (hash->size() != c->hash.size() || CRYPTO_memcmp(hash->data(), c->hash.data(), c->hash.size()) != 0) {
    auto locked = store_->RecordOfflineFailure(c->directory, c->user, c->salt, settings_.max_failures,
                                               now + settings_.lockout_duration);
    if (!locked.ok() && locked.status().code() != ErrorCode::kNotFound) {
      return Unauthenticated("wrong offline password (and the failure could not be counted: " +
                             locked.status().message() + ")");
    }
    return Unauthenticated("wrong offline password");
  }
  if (c->failures != 0) (void)store_->ClearOfflineFailures(c->directory, c->user, c->salt);
  return std::move(c->identity);
}

void StoreCredentialCache::Forget(const std::string& key) {
  auto parts = SplitCacheKey(key);
  if (!parts.ok()) return;
  (void)store_->DeleteOfflineCredential(parts->first, parts->second);
}

}  // namespace idb::store
