// offline_credential_cache.h — the CredentialCache (auth/credential_cache.h)
// kept in the Store, so offline logins survive a daemon restart or reload
// (SSSD keeps its cached credentials on disk too).
//
// Why here and not in auth/: the cache logic (PBKDF2 with a per-row salt and
// iteration count, max age, its own failed-attempt lockout) is the same as the
// in-memory cache's; only the rows live in the store's `offline_credentials`
// table (docs/store.md), through backend-neutral Store methods.
// Keys are "<directory>/<user>" as LdapAuthenticator builds them; the part
// before the first '/' is the directory.
// The password is never stored and the hash never leaves this class and the
// store (no log line carries it). A damaged row (bad hex, corrupt identity
// JSON) is kDataLoss from Verify: the authenticator denies.
// Ownership: borrows the Store, which must outlive the cache.
// Thread-safety: safe for concurrent use (the Store is; the failure count is
// updated atomically in the store).
#pragma once

#include <chrono>
#include <string>

#include "auth/credential_cache.h"
#include "store/store.h"

namespace idb::store {

class StoreCredentialCache final : public CredentialCache {
 public:
  StoreCredentialCache(::idb::store::Store* store, CredentialCacheSettings settings) : store_(store), settings_(settings) {}

  Status Store(const std::string& key, const Secret& password, const Identity& identity,
               std::chrono::system_clock::time_point now) override;
  // Besides the codes of CredentialCache::Verify: kDataLoss for a damaged row,
  // kUnavailable when the store cannot be read; both mean deny.
  Result<Identity> Verify(const std::string& key, const Secret& password,
                          std::chrono::system_clock::time_point now) override;
  void Forget(const std::string& key) override;

 private:
  ::idb::store::Store* store_;
  const CredentialCacheSettings settings_;
};

// "corp/alice" → {"corp", "alice"}; kInvalidArgument without a '/'.
Result<std::pair<std::string, std::string>> SplitCacheKey(const std::string& key);

}  // namespace idb::store
