#include "ldap/directory_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "core/yaml_reader.h"

namespace idb::ldap {
namespace {

const std::vector<std::string> kKeys = {
    "name", "preset", "uris", "start_tls", "insecure", "tls_verify", "ca_file",
    "connect_timeout", "operation_timeout", "server_retry_after", "pool_size",
    "bind_dn", "bind_password_file", "bind_password_env", "bind_password", "user_bind_template",
    "user_search_base", "user_filter", "user_name_attribute", "login_forms", "upn_domains",
    "netbios_domain", "max_user_name_length", "group_search_base", "group_filter",
    "member_attribute", "group_membership", "nested_groups", "nested_method",
    "nested_depth_limit", "group_cache_ttl", "primary_group", "page_size", "claims", "offline_logins", "throttle"};

void ApplyPreset(DirectoryPreset p, DirectoryConfig* c) {
  if (p == DirectoryPreset::kActiveDirectory) {
    c->user_filter = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={user}))";
    c->user_name_attribute = "sAMAccountName";
    c->login_forms = {LoginForm::kPlain, LoginForm::kUpn, LoginForm::kDownLevel};
    c->group_filter = "(objectClass=group)";
    c->member_attribute = "member";
    c->group_membership = GroupMembership::kMemberOf;
    c->nested_method = NestedMethod::kInChain;
    c->primary_group = true;
    c->page_size = 1000;
    c->claims = {{"department", "department"}, {"title", "title"}, {"employeeID", "employeeID"},
                 {"mail", "mail"}, {"displayName", "displayName"}};
  } else {
    c->user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
    c->user_name_attribute = "uid";
    c->login_forms = {LoginForm::kPlain};
    c->group_filter = "(objectClass=groupOfNames)";
    c->member_attribute = "member";
    c->group_membership = GroupMembership::kMemberOf;
    c->nested_method = NestedMethod::kIterative;
    c->primary_group = false;
    c->page_size = 500;
    c->claims = {{"department", "departmentNumber"}, {"title", "title"}, {"employeeID", "employeeNumber"},
                 {"mail", "mail"}, {"displayName", "displayName"}};
  }
}

std::optional<std::chrono::seconds> GetDuration(YamlReader& r, const YAML::Node& map, const std::string& key) {
  YAML::Node v = YamlReader::Find(map, key);
  if (!v) return std::nullopt;
  auto s = r.AsString(v, key);
  if (!s) return std::nullopt;
  auto d = ParseDuration(*s);
  if (!d.ok()) {
    r.Error(v, key + ": " + d.status().message());
    return std::nullopt;
  }
  return *d;
}

// Timeouts accept "500ms" as well as durations in seconds.
std::optional<std::chrono::milliseconds> GetTimeout(YamlReader& r, const YAML::Node& map, const std::string& key) {
  YAML::Node v = YamlReader::Find(map, key);
  if (!v) return std::nullopt;
  auto s = r.AsString(v, key);
  if (!s) return std::nullopt;
  std::chrono::milliseconds out{};
  if (s->size() > 2 && s->substr(s->size() - 2) == "ms") {
    const std::string digits = s->substr(0, s->size() - 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) {
      r.Error(v, key + ": '" + *s + "' is not a duration (e.g. 500ms, 5s)");
      return std::nullopt;
    }
    out = std::chrono::milliseconds(std::stoll(digits));
  } else {
    auto d = ParseDuration(*s);
    if (!d.ok()) {
      r.Error(v, key + ": " + d.status().message());
      return std::nullopt;
    }
    out = *d;
  }
  if (out.count() <= 0 || out > std::chrono::minutes(10)) {
    r.Error(v, key + " must be between 1ms and 10m");
    return std::nullopt;
  }
  return out;
}

bool IsLdapUri(const std::string& u, bool* plain) {
  if (u.rfind("ldaps://", 0) == 0) { *plain = false; return u.size() > 8; }
  if (u.rfind("ldap://", 0) == 0) { *plain = true; return u.size() > 7; }
  return false;
}

void ParseOne(const std::string& file, std::vector<Diagnostic>* errors, const YAML::Node& n,
              std::set<std::string>* names, std::vector<DirectoryConfig>* out, std::vector<Diagnostic>* warnings,
              const std::string& base_dir) {
  YamlReader lr(file, errors);
  if (!lr.ExpectMap(n, "directory")) return;
  lr.CheckKeys(n, kKeys, "directory");
  DirectoryConfig c;
  auto name = lr.GetString(n, "name", true);
  if (name) {
    c.name = *name;
    if (c.name.empty() || c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != std::string::npos) {
      lr.Error(YamlReader::Find(n, "name"), "directory name must be letters, digits, '_', '-', '.'");
    } else if (!names->insert(c.name).second) {
      lr.Error(YamlReader::Find(n, "name"), "duplicate directory name '" + c.name + "'");
    }
  }
  auto preset = lr.GetString(n, "preset", true);
  if (preset) {
    if (*preset == "active_directory") c.preset = DirectoryPreset::kActiveDirectory;
    else if (*preset == "openldap") c.preset = DirectoryPreset::kOpenLdap;
    else {
      std::string msg = "unknown preset '" + *preset + "' (expected active_directory or openldap)";
      lr.Error(YamlReader::Find(n, "preset"), msg);
    }
  }
  ApplyPreset(c.preset, &c);

  if (auto v = lr.GetStringList(n, "uris", true, true)) c.uris = *v;
  if (auto v = lr.GetBool(n, "start_tls", false)) c.start_tls = *v;
  if (auto v = lr.GetBool(n, "insecure", false)) c.insecure = *v;
  if (auto v = lr.GetBool(n, "tls_verify", false)) c.tls_verify = *v;
  if (auto v = lr.GetString(n, "ca_file", false)) c.ca_file = *v;
  if (auto v = GetTimeout(lr, n, "connect_timeout")) c.connect_timeout = *v;
  if (auto v = GetTimeout(lr, n, "operation_timeout")) c.operation_timeout = *v;
  if (auto v = GetDuration(lr, n, "server_retry_after")) c.server_retry_after = *v;
  if (auto v = lr.GetInt(n, "pool_size", false, 1, 64)) c.pool_size = static_cast<int>(*v);
  if (YamlReader::Find(n, "bind_password")) {
    lr.Error(YamlReader::Find(n, "bind_password"),
             "bind_password must not be written in the configuration: use bind_password_file or bind_password_env");
  }
  if (auto v = lr.GetString(n, "bind_dn", false)) c.bind_dn = *v;
  if (auto v = lr.GetString(n, "bind_password_file", false)) c.bind_password_file = *v;
  if (auto v = lr.GetString(n, "bind_password_env", false)) c.bind_password_env = *v;
  if (auto v = lr.GetString(n, "user_bind_template", false)) c.user_bind_template = *v;
  if (auto v = lr.GetString(n, "user_search_base", true)) c.user_search_base = *v;
  if (auto v = lr.GetString(n, "user_filter", false)) c.user_filter = *v;
  if (auto v = lr.GetString(n, "user_name_attribute", false)) c.user_name_attribute = *v;
  if (YAML::Node forms = YamlReader::Find(n, "login_forms")) {
    if (auto v = lr.AsStringList(forms, "login_forms")) {
      c.login_forms.clear();
      for (const auto& f : *v) {
        if (f == "username") c.login_forms.push_back(LoginForm::kPlain);
        else if (f == "upn") c.login_forms.push_back(LoginForm::kUpn);
        else if (f == "domain_user") c.login_forms.push_back(LoginForm::kDownLevel);
        else lr.Error(forms, "unknown login form '" + f + "' (expected username, upn, domain_user)");
      }
      if (c.login_forms.empty()) lr.Error(forms, "login_forms must not be empty");
    }
  }
  if (auto v = lr.GetStringList(n, "upn_domains", false, true)) c.upn_domains = *v;
  if (auto v = lr.GetString(n, "netbios_domain", false)) c.netbios_domain = *v;
  if (auto v = lr.GetInt(n, "max_user_name_length", false, 1, 1024)) c.max_user_name_length = static_cast<size_t>(*v);
  if (auto v = lr.GetString(n, "group_search_base", false)) c.group_search_base = *v;
  if (auto v = lr.GetString(n, "group_filter", false)) c.group_filter = *v;
  if (auto v = lr.GetString(n, "member_attribute", false)) c.member_attribute = *v;
  if (auto v = lr.GetString(n, "group_membership", false)) {
    if (*v == "member_of") c.group_membership = GroupMembership::kMemberOf;
    else if (*v == "member_search") c.group_membership = GroupMembership::kMemberSearch;
    else lr.Error(YamlReader::Find(n, "group_membership"), "group_membership must be member_of or member_search");
  }
  if (auto v = lr.GetBool(n, "nested_groups", false)) c.nested_groups = *v;
  if (auto v = lr.GetString(n, "nested_method", false)) {
    if (*v == "iterative") c.nested_method = NestedMethod::kIterative;
    else if (*v == "in_chain") c.nested_method = NestedMethod::kInChain;
    else if (*v == "token_groups") c.nested_method = NestedMethod::kTokenGroups;
    else lr.Error(YamlReader::Find(n, "nested_method"), "nested_method must be iterative, in_chain or token_groups");
    if (c.preset == DirectoryPreset::kOpenLdap && c.nested_method != NestedMethod::kIterative) {
      lr.Error(YamlReader::Find(n, "nested_method"),
               "OpenLDAP does not implement in_chain or token_groups (it answers IN_CHAIN with no entries): use iterative");
    }
  }
  if (auto v = lr.GetInt(n, "nested_depth_limit", false, 1, 100)) c.nested_depth_limit = static_cast<int>(*v);
  if (auto v = GetDuration(lr, n, "group_cache_ttl")) c.group_cache_ttl = *v;
  if (auto v = lr.GetBool(n, "primary_group", false)) c.primary_group = *v;
  if (auto v = lr.GetInt(n, "page_size", false, 1, 100000)) c.page_size = static_cast<int>(*v);
  if (YAML::Node claims = YamlReader::Find(n, "claims")) {
    c.claims.clear();
    if (claims.IsSequence()) {
      if (auto v = lr.AsStringList(claims, "claims")) for (const auto& a : *v) c.claims.emplace_back(a, a);
    } else if (claims.IsMap()) {
      for (auto it = claims.begin(); it != claims.end(); ++it) {
        auto k = lr.AsString(it->first, "claim name");
        auto a = lr.AsString(it->second, "claim attribute");
        if (k && a) c.claims.emplace_back(*k, *a);
      }
    } else {
      lr.Error(claims, "claims must be a list of attributes or a map claim: attribute");
    }
  }
  if (YAML::Node off = YamlReader::Find(n, "offline_logins")) {
    if (lr.ExpectMap(off, "offline_logins")) {
      lr.CheckKeys(off, {"enabled", "max_age", "hash_iterations", "max_failures", "lockout"}, "offline_logins");
      if (auto v = lr.GetBool(off, "enabled", false)) c.offline.enabled = *v;
      if (auto v = GetDuration(lr, off, "max_age")) c.offline.max_age = *v;
      if (auto v = lr.GetInt(off, "hash_iterations", false, 1000, 10'000'000)) c.offline.hash_iterations = static_cast<int>(*v);
      if (auto v = lr.GetInt(off, "max_failures", false, 1, 1000)) c.offline.max_failures = static_cast<int>(*v);
      if (auto v = GetDuration(lr, off, "lockout")) c.offline.lockout = *v;
    }
  }
  if (YAML::Node th = YamlReader::Find(n, "throttle")) ParseThrottle(lr, th, "throttle", &c.throttle, &c.throttle_enabled);

  // Cross-field rules.
  if (c.uris.empty() && YamlReader::Find(n, "uris")) lr.Error(YamlReader::Find(n, "uris"), "uris must list at least one server");
  for (const auto& u : c.uris) {
    bool plain = false;
    if (!IsLdapUri(u, &plain)) {
      lr.Error(YamlReader::Find(n, "uris"), "'" + u + "' is not an ldap:// or ldaps:// URI");
      continue;
    }
    if (plain && !c.start_tls) {
      if (!c.insecure) {
        lr.Error(YamlReader::Find(n, "uris"),
                 "'" + u + "' is plain LDAP without StartTLS: set start_tls: true, use ldaps://, or set insecure: true");
      } else if (warnings) {
        Diagnostic d{file, 0, 0, "directory '" + c.name + "': " + u + " sends passwords in clear text (insecure: true)"};
        auto where = lr.Where(YamlReader::Find(n, "uris"));
        d.line = where.line;
        d.column = where.column;
        warnings->push_back(d);
      }
    } else if (!plain && c.start_tls) {
      lr.Error(YamlReader::Find(n, "start_tls"), "start_tls cannot be combined with ldaps:// ('" + u + "')");
    }
  }
  if (!c.tls_verify) {
    if (!c.insecure) lr.Error(YamlReader::Find(n, "tls_verify"), "tls_verify: false requires insecure: true");
    else if (warnings) warnings->push_back({file, lr.Where(YamlReader::Find(n, "tls_verify")).line, 0,
                                            "directory '" + c.name + "': TLS certificates are not verified"});
  }
  const bool has_file = !c.bind_password_file.empty(), has_env = !c.bind_password_env.empty();
  if (has_file && has_env) lr.Error(YamlReader::Find(n, "bind_password_env"), "give bind_password_file or bind_password_env, not both");
  if (!c.bind_dn.empty() && !has_file && !has_env) {
    lr.Error(YamlReader::Find(n, "bind_dn"), "bind_dn needs bind_password_file or bind_password_env");
  }
  if ((has_file || has_env) && c.bind_dn.empty()) lr.Error(n, "a bind password is given but no bind_dn");
  if (c.bind_dn.empty() && c.user_bind_template.empty() && name) {
    lr.Error(n, "directory '" + c.name + "' needs a service account (bind_dn + bind_password_file/env) or user_bind_template");
  }
  if (!c.user_bind_template.empty() && c.user_bind_template.find("{user}") == std::string::npos) {
    lr.Error(YamlReader::Find(n, "user_bind_template"), "user_bind_template must contain {user}");
  }
  if (c.user_filter.find("{user}") == std::string::npos) {
    lr.Error(YamlReader::Find(n, "user_filter"), "user_filter must contain {user}");
  }
  for (const auto& f : c.login_forms) {
    if (f == LoginForm::kUpn && c.upn_domains.empty()) {
      if (YamlReader::Find(n, "login_forms") || c.preset == DirectoryPreset::kOpenLdap) {
        lr.Error(n, "login form 'upn' needs upn_domains");
      } else {
        c.login_forms.erase(std::remove(c.login_forms.begin(), c.login_forms.end(), LoginForm::kUpn), c.login_forms.end());
        break;
      }
    }
  }
  for (const auto& f : c.login_forms) {
    if (f == LoginForm::kDownLevel && c.netbios_domain.empty()) {
      if (YamlReader::Find(n, "login_forms")) {
        lr.Error(n, "login form 'domain_user' needs netbios_domain");
      } else {
        c.login_forms.erase(std::remove(c.login_forms.begin(), c.login_forms.end(), LoginForm::kDownLevel), c.login_forms.end());
        break;
      }
    }
  }
  auto resolve = [&](std::string* p) {
    if (!p->empty() && (*p)[0] != '/' && !base_dir.empty()) *p = base_dir + "/" + *p;
  };
  resolve(&c.ca_file);
  resolve(&c.bind_password_file);
  if (lr.ok()) out->push_back(std::move(c));
}

}  // namespace

void ParseThrottle(YamlReader& lr, const YAML::Node& th, const std::string& context, ThrottleSettings* out,
                   bool* enabled) {
  if (!lr.ExpectMap(th, context)) return;
  lr.CheckKeys(th, {"enabled", "free_failures", "base_delay", "max_delay", "lockout_failures", "lockout", "window"},
               context);
  if (auto v = lr.GetBool(th, "enabled", false)) *enabled = *v;
  if (auto v = lr.GetInt(th, "free_failures", false, 0, 1000)) out->free_failures = static_cast<int>(*v);
  if (auto v = GetTimeout(lr, th, "base_delay")) out->base_delay = *v;
  if (auto v = GetTimeout(lr, th, "max_delay")) out->max_delay = *v;
  if (auto v = lr.GetInt(th, "lockout_failures", false, 1, 100000)) out->lockout_failures = static_cast<int>(*v);
  if (auto v = GetDuration(lr, th, "lockout")) out->lockout_duration = *v;
  if (auto v = GetDuration(lr, th, "window")) out->window = *v;
}

std::vector<DirectoryConfig> ParseDirectories(const YAML::Node& node, const std::string& file,
                                              std::vector<Diagnostic>* errors, std::vector<Diagnostic>* warnings,
                                              const std::string& base_dir) {
  std::vector<DirectoryConfig> out;
  YamlReader r(file, errors);
  if (!node || node.IsNull()) return out;
  if (!r.ExpectList(node, "directories")) return out;
  std::set<std::string> names;
  for (const auto& item : node) ParseOne(file, errors, item, &names, &out, warnings, base_dir);
  return out;
}

Result<std::chrono::seconds> ParseDuration(const std::string& text) {
  if (text.empty() || text.size() > 12) return InvalidArgument("'" + text + "' is not a duration (e.g. 90s, 5m, 12h, 3d)");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return InvalidArgument("'" + text + "' is not a duration (e.g. 90s, 5m, 12h, 3d)");
  const int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  int64_t mult = 0;
  if (unit.empty() || unit == "s") mult = 1;
  else if (unit == "m") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  else return InvalidArgument("'" + text + "' has an unknown unit (use s, m, h or d)");
  return std::chrono::seconds(n * mult);
}

Result<Secret> LoadBindPassword(const DirectoryConfig& c) {
  if (!c.bind_password_env.empty()) {
    const char* v = std::getenv(c.bind_password_env.c_str());
    if (v == nullptr || *v == '\0') {
      return FailedPrecondition("directory '" + c.name + "': environment variable " + c.bind_password_env + " is not set");
    }
    return Secret(v);
  }
  if (c.bind_password_file.empty()) return FailedPrecondition("directory '" + c.name + "' has no bind password source");
  struct stat st {};
  if (stat(c.bind_password_file.c_str(), &st) != 0) {
    return FailedPrecondition("directory '" + c.name + "': cannot read bind_password_file " + c.bind_password_file);
  }
  if ((st.st_mode & S_IRWXO) != 0) {
    return FailedPrecondition("directory '" + c.name + "': bind_password_file " + c.bind_password_file +
                              " is accessible by others (chmod 600 it)");
  }
  std::ifstream in(c.bind_password_file, std::ios::binary);
  if (!in) return FailedPrecondition("directory '" + c.name + "': cannot open bind_password_file " + c.bind_password_file);
  std::string buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!buf.empty() && (buf.back() == '\n' || buf.back() == '\r')) buf.pop_back();
  Secret secret(buf);
  std::fill(buf.begin(), buf.end(), '\0');
  if (secret.empty()) return FailedPrecondition("directory '" + c.name + "': bind_password_file is empty");
  return secret;
}

}  // namespace idb::ldap
