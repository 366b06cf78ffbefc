// authenticator_factory.cc — see authenticator_factory.h.
//
// LDAP / OIDC owners: parse your section of `config` here (config.directories,
// config.oidc — raw YAML nodes, read them with YamlReader so errors carry
// file:line:col), push your authenticators into `set->password` (directories,
// in file order, BEFORE the local admin) or `set->token`, and add your library
// to idb_daemon's target_link_libraries in bridge/daemon/CMakeLists.txt.
#include "daemon/authenticator_factory.h"

#include <chrono>

#include "daemon/local_admin_authenticator.h"
#include "daemon/log.h"
#include "ldap/directory_config.h"
#include "ldap/ldap_authenticator.h"
#include "store/offline_credential_cache.h"
#include "oidc/oidc_provider.h"

namespace idb::daemon {

namespace {

// Token login through one OpenID provider (ID token or JWT access token).
class OidcTokenAuthenticator final : public TokenAuthenticator {
 public:
  explicit OidcTokenAuthenticator(std::shared_ptr<oidc::OidcProvider> provider) : provider_(std::move(provider)) {}
  std::string name() const override { return provider_->source(); }
  AuthOutcome AuthenticateToken(const Secret& token, const std::string& client) override {
    (void)client;
    return oidc::ToAuthOutcome(provider_->ValidateAnyToken(token.expose(), std::chrono::system_clock::now()));
  }

 private:
  std::shared_ptr<oidc::OidcProvider> provider_;
};

}  // namespace

Authenticator* AuthenticatorSet::ByName(const std::string& name) const {
  for (const auto& a : password) {
    if (a->name() == name) return a.get();
  }
  return nullptr;
}

bool AuthenticatorSet::HasTokenSource(const std::string& name) const {
  for (const auto& a : token) {
    if (a->name() == name) return true;
  }
  return false;
}

std::shared_ptr<const AuthenticatorSet> BuildAuthenticators(const Config& config, const DaemonSettings& settings,
                                                            const AuthenticatorDeps& deps,
                                                            std::vector<Diagnostic>* errors,
                                                            std::vector<Diagnostic>* warnings) {
  auto set = std::make_shared<AuthenticatorSet>();
  auto warn = [&](Diagnostic d) {
    if (warnings != nullptr) {
      warnings->push_back(std::move(d));
    } else {
      LogWarn(d.ToString());
    }
  };

  // --- directories (ldap) go here, in file order ---
  {
    std::vector<Diagnostic> dir_warnings;
    std::vector<ldap::DirectoryConfig> dirs =
        ldap::ParseDirectories(config.directories, config.path, errors, &dir_warnings, config.dir);
    for (auto& w : dir_warnings) warn(std::move(w));
    for (auto& dir : dirs) {
      const std::string name = dir.name;
      ldap::LdapAuthenticatorOptions options;
      if (dir.offline.enabled && deps.store != nullptr) {
        // Offline logins survive a restart or reload: the cached credentials
        // live in the store (offline_credentials table).
        CredentialCacheSettings s;
        s.pbkdf2_iterations = dir.offline.hash_iterations;
        s.max_age = dir.offline.max_age;
        s.max_failures = dir.offline.max_failures;
        s.lockout_duration = dir.offline.lockout;
        options.credential_cache = std::make_shared<store::StoreCredentialCache>(deps.store, s);
      }
      if (dir.throttle_enabled && deps.throttles_in_use != nullptr) {
        std::shared_ptr<LoginThrottle> throttle;
        if (deps.previous_throttles != nullptr) {
          auto kept = deps.previous_throttles->by_name.find(name);
          if (kept != deps.previous_throttles->by_name.end() && kept->second.settings == dir.throttle) {
            throttle = kept->second.throttle;
          }
        }
        if (!throttle) throttle = std::make_shared<InMemoryLoginThrottle>(dir.throttle);
        deps.throttles_in_use->by_name[name] = {dir.throttle, throttle};
        options.throttle = throttle;
      }
      auto a = ldap::LdapAuthenticator::Create(std::move(dir), std::move(options));
      if (!a.ok()) {
        errors->push_back(Diagnostic{config.path, 0, 0, "directory '" + name + "': " + a.status().message()});
        continue;
      }
      if (!(*a)->setup_error().ok()) {
        warn(Diagnostic{config.path, 0, 0,
                        "directory '" + name + "' refuses every login until fixed: " + (*a)->setup_error().message()});
      }
      set->password.push_back(std::shared_ptr<Authenticator>(std::move(*a)));
    }
  }

  // --- OpenID Connect providers (token login, device and browser flows) ---
  if (config.oidc.IsDefined() && !config.oidc.IsNull()) {
    set->oidc = oidc::BuildOidcProviders(config.oidc, config.path, errors);
    for (const auto& p : set->oidc) set->token.push_back(std::make_shared<OidcTokenAuthenticator>(p));
  }

  // Break-glass local administrator: always last.
  if (settings.local_admin && deps.store != nullptr) {
    set->password.push_back(
        std::make_shared<LocalAdminAuthenticator>(deps.store, deps.local_admin_dummy_iterations,
                                                  deps.local_admin_throttle, deps.clock));
  }
  return set;
}

void CheckDaemonConfiguration(const Config& config, std::vector<Diagnostic>* errors,
                              std::vector<Diagnostic>* warnings) {
  auto settings = ParseDaemonSettings(config, errors);
  if (!settings) settings.emplace();  // still check the login methods
  AuthenticatorDeps deps;  // no store: offline caches and local admins are not built
  (void)BuildAuthenticators(config, *settings, deps, errors, warnings);
}

}  // namespace idb::daemon
