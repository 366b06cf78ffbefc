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
// Throttling: with a LoginThrottle (DaemonCore owns one for the daemon's life,
// so a reload does not reset it), a wrong password AND an unknown user both
// count as a failure for the user ("local/" + the NFKC_Casefold of the typed
// name, so spellings share one count) and for the client — an
// attacker cannot tell the two apart by the throttle either; once slowed down
// or locked out, every attempt for that user or client is kThrottled without
// looking at the store. A success clears the user's key. Empty passwords and
// store errors do not count.
// Ownership: borrows the Store, which must outlive it; shares the throttle.
// Thread-safety: safe for concurrent Authenticate/Lookup (the Store is).
#pragma once

#include <string>

#include <functional>
#include <memory>
#include <optional>

#include "auth/authenticator.h"
#include "auth/login_throttle.h"
#include "store/store.h"

namespace idb::daemon {

class LocalAdminAuthenticator final : public Authenticator {
 public:
  // `dummy_iterations`: cost of the dummy verification for unknown users.
  // `throttle` may be null (no throttling); `clock` defaults to system_clock.
  LocalAdminAuthenticator(store::Store* store, int dummy_iterations, std::shared_ptr<LoginThrottle> throttle = nullptr,
                          std::function<SystemTime()> clock = {});

  std::string name() const override { return "local"; }
  AuthOutcome Authenticate(const LoginRequest& request) override;
  // The dummy verification an unknown name costs, counted on the throttle.
  AuthOutcome Decoy(const LoginRequest& request) override;
  // kNotFound once the local admin was removed (its sessions then end).
  Result<Identity> Lookup(const std::string& user) override;

 private:
  std::optional<AuthOutcome> Throttled(const LoginRequest& request, SystemTime now);
  AuthOutcome Fail(LoginFailure f, std::string detail, const LoginRequest& request, SystemTime now);

  store::Store* store_;
  int dummy_iterations_;
  std::shared_ptr<LoginThrottle> throttle_;
  std::function<SystemTime()> clock_;
  std::string dummy_hash_;  // same cost as a real one; written by the constructor
};

}  // namespace idb::daemon
