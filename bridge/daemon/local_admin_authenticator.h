// local_admin_authenticator.h — the break-glass local administrator.
//
// Why: when every directory is down, IT still needs a way in. Local admins
// live in the store (`idbridgectl local-admin set`), with a PBKDF2 hash
// (store/password_hash.h); this Authenticator checks a password against it.
// It yields Identity{user, source "local", no groups}; mapping rules grant it
// profiles with `match: {source: local}`.
// Unknown users: kUnknownUser (so the daemon can try the next authenticator),
// after verifying against a dummy hash of the same cost, so response time does
// not reveal whether a local admin of that name exists.
// Ownership: borrows the Store, which must outlive it.
// Thread-safety: safe for concurrent Authenticate/Lookup (the Store is).
#pragma once

#include <mutex>
#include <string>

#include "auth/authenticator.h"
#include "store/store.h"

namespace idb::daemon {

class LocalAdminAuthenticator final : public Authenticator {
 public:
  // `dummy_iterations`: cost of the dummy verification for unknown users.
  explicit LocalAdminAuthenticator(store::Store* store, int dummy_iterations);

  std::string name() const override { return "local"; }
  AuthOutcome Authenticate(const LoginRequest& request) override;
  // kNotFound once the local admin was removed (its sessions then end).
  Result<Identity> Lookup(const std::string& user) override;

 private:
  const std::string& DummyHash();

  store::Store* store_;
  int dummy_iterations_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // written once under dummy_once_
};

}  // namespace idb::daemon
