// authenticator_factory.h — where idbridged builds its login methods from the
// configuration. LDAP and OIDC owners add theirs in authenticator_factory.cc.
//
// Order matters: password logins try `password` front to back; the first
// authenticator that knows the user decides (kUnknownUser moves on; an
// unavailable directory is remembered and the next one is tried, so the local
// break-glass admin — always last — works while directories are down).
// Token logins go to `token` (OIDC), device/browser flows to `flows`.
// Ownership: the set owns its authenticators (shared_ptr: a reload swaps the
// whole set while in-flight requests finish with the old one).
// Thread-safety: built once per (re)load, then only read.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/login_throttle.h"
#include "common/result.h"
#include "common/secret.h"
#include "core/config.h"
#include "core/diagnostic.h"
#include "daemon/daemon_settings.h"
#include "store/store.h"

namespace idb::oidc {
class OidcProvider;
}

namespace idb::daemon {

// Token login (OIDC access/ID token). Same outcome shape as a password login.
class TokenAuthenticator {
 public:
  virtual ~TokenAuthenticator() = default;
  virtual std::string name() const = 0;  // "oidc:entra"
  virtual AuthOutcome AuthenticateToken(const Secret& token, const std::string& client) = 0;
};

struct AuthenticatorSet {
  std::vector<std::shared_ptr<Authenticator>> password;
  std::vector<std::shared_ptr<TokenAuthenticator>> token;
  // OpenID providers (device/browser flows), in `oidc:` order.
  std::vector<std::shared_ptr<oidc::OidcProvider>> oidc;
  // Finds the password authenticator that created a session (by name()) for refresh.
  Authenticator* ByName(const std::string& name) const;
  // True when a token authenticator of that name is configured.
  bool HasTokenSource(const std::string& name) const;
};

// The per-user throttles of the directories, by directory name, so that a
// reload that keeps a directory's throttle settings keeps its counts.
struct ThrottleRegistry {
  struct Kept {
    ThrottleSettings settings;
    std::shared_ptr<LoginThrottle> throttle;
  };
  std::map<std::string, Kept> by_name;
};

struct AuthenticatorDeps {
  store::Store* store = nullptr;   // outlives the set
  int local_admin_dummy_iterations = 600'000;
  // The break-glass login's throttle (owned by DaemonCore, lives across
  // reloads) and the clock it is checked with. Null throttle: none.
  std::shared_ptr<LoginThrottle> local_admin_throttle;
  std::function<SystemTime()> clock;
  // Directory throttles in force (null: each directory makes its own), and
  // where the ones the new set uses are put (kept or new).
  const ThrottleRegistry* previous_throttles = nullptr;
  ThrottleRegistry* throttles_in_use = nullptr;
};

// Appends diagnostics (file:line:col) for bad `directories`/`oidc` sections.
// Warnings (e.g. a directory that refuses every login until fixed) go to
// `warnings` when given, else to the daemon log.
std::shared_ptr<const AuthenticatorSet> BuildAuthenticators(const Config& config, const DaemonSettings& settings,
                                                            const AuthenticatorDeps& deps,
                                                            std::vector<Diagnostic>* errors,
                                                            std::vector<Diagnostic>* warnings = nullptr);

// Everything idbridged checks when it loads `config` beyond the mappings: the
// `daemon:` section and the login methods (`directories:`, `oidc:` and their
// secret files), without opening the store, a socket or a network connection.
// `idbridged --check` and `idbridgectl check` both use it, so they accept
// exactly what the daemon accepts.
void CheckDaemonConfiguration(const Config& config, std::vector<Diagnostic>* errors,
                              std::vector<Diagnostic>* warnings);

}  // namespace idb::daemon
