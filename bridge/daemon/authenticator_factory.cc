// authenticator_factory.cc — see authenticator_factory.h.
//
// LDAP / OIDC owners: parse your section of `config` here (config.directories,
// config.oidc — raw YAML nodes, read them with YamlReader so errors carry
// file:line:col), push your authenticators into `set->password` (directories,
// in file order, BEFORE the local admin) or `set->token`, and add your library
// to idb_daemon's target_link_libraries in bridge/daemon/CMakeLists.txt.
#include "daemon/authenticator_factory.h"

#include "daemon/local_admin_authenticator.h"

namespace idb::daemon {

Authenticator* AuthenticatorSet::ByName(const std::string& name) const {
  for (const auto& a : password) {
    if (a->name() == name) return a.get();
  }
  return nullptr;
}

std::shared_ptr<const AuthenticatorSet> BuildAuthenticators(const Config& config, const DaemonSettings& settings,
                                                            const AuthenticatorDeps& deps,
                                                            std::vector<Diagnostic>* errors) {
  (void)config;
  (void)errors;
  auto set = std::make_shared<AuthenticatorSet>();

  // --- directories (ldap) go here, in file order ---

  // --- OIDC token authenticators go here ---

  // Break-glass local administrator: always last.
  if (settings.local_admin && deps.store != nullptr) {
    set->password.push_back(
        std::make_shared<LocalAdminAuthenticator>(deps.store, deps.local_admin_dummy_iterations));
  }
  return set;
}

}  // namespace idb::daemon
