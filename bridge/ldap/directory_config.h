// directory_config.h — the `directories:` section of config/idbridge.yaml.
//
// Why: IT configures each LDAP/AD directory like Grafana's or Authelia's LDAP
// settings: a preset (`active_directory` or `openldap`) fills sensible filters
// and attributes, every part can be overridden, and mistakes are reported as
// file:line:col with a "did you mean". Secrets are never inline: the service
// account password comes from `bind_password_file` or `bind_password_env`.
// Security defaults: TLS certificate verification on; plain ldap:// without
// StartTLS only with `insecure: true` (which produces a warning).
//
// Example (every key, with its default, is in config/idbridge.yaml):
//   directories:
//     - name: corp
//       preset: active_directory
//       uris: [ldaps://dc1.fleet.test, ldaps://dc2.fleet.test]
//       ca_file: /etc/idbridge/corp-ca.pem
//       bind_dn: CN=svc-idbridge,CN=Users,DC=fleet,DC=test
//       bind_password_file: /etc/idbridge/corp-bind.pw
//       user_search_base: DC=fleet,DC=test
//       upn_domains: [fleet.test]
//       netbios_domain: FLEET
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "auth/credential_cache.h"
#include "auth/login_throttle.h"
#include "common/result.h"
#include "common/secret.h"
#include "core/diagnostic.h"
#include "ldap/filter.h"

namespace idb {
class YamlReader;
}

namespace idb::ldap {

enum class DirectoryPreset { kOpenLdap, kActiveDirectory };
// How a user's direct groups are found: the user's memberOf attribute, or a
// search for groups whose member attribute holds the user's DN.
enum class GroupMembership { kMemberOf, kMemberSearch };
// How nesting is resolved: walk groups' memberOf level by level (OpenLDAP),
// AD's LDAP_MATCHING_RULE_IN_CHAIN, or AD's tokenGroups (SIDs).
enum class NestedMethod { kIterative, kInChain, kTokenGroups };

struct OfflineLoginSettings {
  bool enabled = false;                                  // off by default, like SSSD
  std::chrono::seconds max_age{std::chrono::hours(72)};  // offline_max_age
  int hash_iterations = 210000;
  int max_failures = 5;
  std::chrono::seconds lockout{900};
};

struct DirectoryConfig {
  std::string name;  // "corp"; Identity.source = "ldap:corp"
  DirectoryPreset preset = DirectoryPreset::kOpenLdap;

  // Connection.
  std::vector<std::string> uris;  // tried in order; a failing one is skipped with back-off
  bool start_tls = false;
  bool insecure = false;          // allows plain ldap:// without StartTLS, and tls_verify: false
  bool tls_verify = true;
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds operation_timeout{10000};
  std::chrono::seconds server_retry_after{30};  // back-off before a failed server is tried again
  int pool_size = 4;

  // Service account (searches) — or direct user bind with a template.
  std::string bind_dn;
  std::string bind_password_file;
  std::string bind_password_env;
  std::string user_bind_template;  // e.g. "{user}@fleet.test": bind as the user, then search as the user

  // Users.
  std::string user_search_base;
  std::string user_filter;              // "{user}" = escaped bare account name
  std::string user_name_attribute;      // canonical name: uid / sAMAccountName
  std::vector<LoginForm> login_forms;
  std::vector<std::string> upn_domains;  // domains accepted in user@domain
  std::string netbios_domain;            // accepted in DOMAIN\user
  size_t max_user_name_length = 256;

  // Groups.
  std::string group_search_base;  // empty = user_search_base
  std::string group_filter;       // object class filter for groups, e.g. "(objectClass=groupOfNames)"
  std::string member_attribute;   // "member"
  GroupMembership group_membership = GroupMembership::kMemberOf;
  bool nested_groups = true;
  NestedMethod nested_method = NestedMethod::kIterative;
  int nested_depth_limit = 10;
  // How long the nesting structure (a group's own parent groups) is cached.
  // A user's direct groups are always read fresh; 0 = no cache.
  std::chrono::seconds group_cache_ttl{60};
  bool primary_group = false;     // AD: add the primaryGroupID group (Domain Users)
  int page_size = 500;            // paged results for large searches

  // Attributes exposed to rules: claim name → LDAP attribute.
  std::vector<std::pair<std::string, std::string>> claims;

  OfflineLoginSettings offline;
  bool throttle_enabled = true;
  ThrottleSettings throttle;

  std::string SourceName() const { return "ldap:" + name; }
  std::string GroupBase() const { return group_search_base.empty() ? user_search_base : group_search_base; }
  bool IsActiveDirectory() const { return preset == DirectoryPreset::kActiveDirectory; }
};

// Parses the `directories:` node (a list; absent/null = no directories).
// Errors go to `errors` as file:line:col; warnings (insecure connections) to
// `warnings`. Relative ca_file / bind_password_file resolve against
// `base_dir` (the config file's directory, Config::dir) when it is given.
// Returns the directories that parsed without error.
std::vector<DirectoryConfig> ParseDirectories(const YAML::Node& node, const std::string& file,
                                              std::vector<Diagnostic>* errors,
                                              std::vector<Diagnostic>* warnings = nullptr,
                                              const std::string& base_dir = "");

// Reads the service account password from the file (trailing newline
// stripped; the file must not be readable by others) or the environment.
Result<Secret> LoadBindPassword(const DirectoryConfig& config);

// "90s", "5m", "12h", "3d", or a plain number of seconds.
Result<std::chrono::seconds> ParseDuration(const std::string& text);

// A `throttle:` map (enabled, free_failures, base_delay, max_delay,
// lockout_failures, lockout, window) into *out / *enabled; keys not given keep
// their values; errors are reported through `reader` with file:line:col.
// Shared by directories and the daemon's break-glass local admin.
void ParseThrottle(YamlReader& reader, const YAML::Node& node, const std::string& context, ThrottleSettings* out,
                   bool* enabled);

}  // namespace idb::ldap
