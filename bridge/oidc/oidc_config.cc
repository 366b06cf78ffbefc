#include "oidc/oidc_config.h"

#include "core/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace idb::oidc {
namespace {

const std::vector<std::string> kKeys = {
    "name", "issuer", "client_id", "client_secret_file", "client_secret_env", "client_secret",
    "scopes", "audiences", "allowed_algs", "leeway_seconds", "username_claim", "groups_claim",
    "groups_required", "claims", "http_timeout_ms", "max_token_bytes", "jwks_refetch_seconds",
    "result_cache_seconds", "flow_timeout_seconds", "tls_ca_file", "introspection", "id_token_extra_audiences",
    "access_tokens", "access_token_typ_required", "authorized_parties"};  // client_secret: refused with its own message

bool IsLoopbackHttp(const std::string& url) {
  for (const char* p : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    std::string prefix = p;
    if (url.compare(0, prefix.size(), prefix) == 0 &&
        (url.size() == prefix.size() || url[prefix.size()] == ':' || url[prefix.size()] == '/'))
      return true;
  }
  return false;
}

// The first problem of a list of identifiers (audiences, client ids).
std::string ListProblem(const std::vector<std::string>& list, const std::string& key) {
  std::set<std::string> seen;
  for (const auto& v : list) {
    if (v.empty()) return "'" + key + "' must not contain an empty string";
    for (unsigned char ch : v)
      if (ch < 0x20 || ch == 0x7f) return "'" + key + "' entries must not contain control characters";
    if (!seen.insert(v).second) return "'" + key + "' lists '" + v + "' twice";
  }
  return "";
}

struct ConfigProblem {
  std::string key;      // the key the diagnostic points at ("" = the entry)
  std::string message;  // "" = no problem
};

// Shared rules for parsed and hand-built entries; returns the first problem.
ConfigProblem Problem(const OidcProviderConfig& c) {
  auto at = [](const std::string& key, std::string message) { return ConfigProblem{key, std::move(message)}; };
  if (c.name.empty()) return at("name", "'name' must not be empty");
  for (char ch : c.name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      return at("name", "'name' may only contain letters, digits, '-', '_' and '.'");
  if (c.issuer.empty()) return at("issuer", "'issuer' must not be empty");
  if (c.issuer.rfind("https://", 0) != 0 && !IsLoopbackHttp(c.issuer))
    return at("issuer", "'issuer' must be an https:// URL (plain http only on loopback, for tests)");
  if (c.issuer.find_first_of(" \t\r\n?#") != std::string::npos)
    return at("issuer", "'issuer' must not contain spaces, '?' or '#'");
  if (c.client_id.empty()) return at("client_id", "'client_id' must not be empty");
  if (!c.client_secret_file.empty() && !c.client_secret_env.empty())
    return at("client_secret_env", "give either 'client_secret_file' or 'client_secret_env', not both");
  if (c.allowed_algs.empty()) return at("allowed_algs", "'allowed_algs' must not be empty");
  for (const auto& alg : c.allowed_algs) {
    if (alg == "none" || alg == "None" || alg == "NONE")
      return at("allowed_algs", "'allowed_algs' must not contain 'none' (unsigned tokens)");
    if (alg.rfind("HS", 0) == 0)
      return at("allowed_algs", "'allowed_algs' must not contain " + alg +
                                    " (HMAC: the provider signs with public keys; an HMAC token could be forged with them)");
    if (!IsAsymmetricJwsAlg(alg)) return at("allowed_algs", "'allowed_algs': unknown algorithm '" + alg + "'");
  }
  if (std::find(c.scopes.begin(), c.scopes.end(), "openid") == c.scopes.end())
    return at("scopes", "'scopes' must contain 'openid'");
  if (c.username_claim.empty()) return at("username_claim", "'username_claim' must not be empty");
  if (c.groups_claim.empty() || c.groups_claim.front() == '.' || c.groups_claim.back() == '.' ||
      c.groups_claim.find("..") != std::string::npos)
    return at("groups_claim", "'groups_claim' must be a claim name or a dotted path such as realm_access.roles");
  if (c.max_token_bytes < 256 || c.max_token_bytes > (1u << 20))
    return at("max_token_bytes", "'max_token_bytes' must be between 256 and 1048576");
  if (c.http_timeout.count() < 1) return at("http_timeout_ms", "'http_timeout_ms' must be positive");
  if (c.leeway.count() < 0 || c.leeway.count() > 600) return at("leeway_seconds", "'leeway_seconds' must be between 0 and 600");
  if (c.introspection && c.client_secret_file.empty() && c.client_secret_env.empty())
    return at("introspection", "'introspection' needs the client's credentials: set client_secret_file or client_secret_env");
  const std::pair<const std::vector<std::string>*, const char*> lists[] = {
      {&c.id_token_extra_audiences, "id_token_extra_audiences"},
      {&c.audiences, "audiences"},
      {&c.authorized_parties, "authorized_parties"}};
  for (const auto& [list, key] : lists)
    if (std::string l = ListProblem(*list, key); !l.empty()) return at(key, l);
  if (std::find(c.id_token_extra_audiences.begin(), c.id_token_extra_audiences.end(), c.client_id) !=
      c.id_token_extra_audiences.end())
    return at("id_token_extra_audiences", "'id_token_extra_audiences' names client_id itself; list only the other audiences");
  if (c.access_tokens && c.audiences.empty())
    return at("access_tokens", "'access_tokens: true' needs 'audiences': the resource identifiers an access token's aud "
                               "must name (client_id is not implied)");
  if (!c.access_tokens) {
    const char* off = !c.audiences.empty()            ? "audiences"
                      : !c.authorized_parties.empty() ? "authorized_parties"
                      : !c.access_token_typ_required  ? "access_token_typ_required"
                      : c.introspection               ? "introspection"
                                                      : nullptr;
    if (off != nullptr)
      return at(off, std::string("'") + off +
                         "' applies to access-token logins, which are off: set 'access_tokens: true' and 'audiences'");
  }
  return at("", "");
}

}  // namespace

bool IsAsymmetricJwsAlg(const std::string& alg) {
  static const std::set<std::string> kAlgs = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                              "PS512", "ES256", "ES384", "ES512"};
  return kAlgs.count(alg) > 0;
}

Status ValidateOidcProviderConfig(const OidcProviderConfig& config) {
  ConfigProblem p = Problem(config);
  if (!p.message.empty()) return InvalidArgument("oidc provider '" + config.name + "': " + p.message);
  return Status::Ok();
}

std::vector<OidcProviderConfig> ParseOidcProviders(const YAML::Node& node, const std::string& file,
                                                   std::vector<Diagnostic>* errors) {
  std::vector<OidcProviderConfig> out;
  YamlReader r(file, errors);
  try {
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!r.ExpectList(node, "'oidc'")) return out;
    std::set<std::string> names;
    for (const auto& entry : node) {
      const size_t before = errors->size();
      if (!r.ExpectMap(entry, "an 'oidc' entry")) continue;
      YAML::Node inline_secret = YamlReader::Find(entry, "client_secret");
      if (inline_secret.IsDefined())
        r.Error(inline_secret, "'client_secret' must not be written inline; use client_secret_file or client_secret_env");
      r.CheckKeys(entry, kKeys, "oidc provider");
      OidcProviderConfig c;
      if (auto v = r.GetString(entry, "name", true)) c.name = *v;
      if (auto v = r.GetString(entry, "issuer", true)) c.issuer = *v;
      if (auto v = r.GetString(entry, "client_id", true)) c.client_id = *v;
      if (auto v = r.GetString(entry, "client_secret_file", false)) c.client_secret_file = *v;
      if (auto v = r.GetString(entry, "client_secret_env", false)) c.client_secret_env = *v;
      if (auto v = r.GetStringList(entry, "scopes", false)) c.scopes = *v;
      if (auto v = r.GetStringList(entry, "id_token_extra_audiences", false)) c.id_token_extra_audiences = *v;
      if (auto v = r.GetBool(entry, "access_tokens", false)) c.access_tokens = *v;
      if (auto v = r.GetStringList(entry, "audiences", false)) c.audiences = *v;
      if (auto v = r.GetBool(entry, "access_token_typ_required", false)) c.access_token_typ_required = *v;
      if (auto v = r.GetStringList(entry, "authorized_parties", false)) c.authorized_parties = *v;
      if (auto v = r.GetStringList(entry, "allowed_algs", false)) c.allowed_algs = *v;
      if (auto v = r.GetInt(entry, "leeway_seconds", false, 0, 600)) c.leeway = std::chrono::seconds(*v);
      if (auto v = r.GetString(entry, "username_claim", false)) c.username_claim = *v;
      if (auto v = r.GetString(entry, "groups_claim", false)) c.groups_claim = *v;
      if (auto v = r.GetBool(entry, "groups_required", false)) c.groups_required = *v;
      if (auto v = r.GetStringList(entry, "claims", false)) c.claims = *v;
      if (auto v = r.GetInt(entry, "http_timeout_ms", false, 1, 120000)) c.http_timeout = std::chrono::milliseconds(*v);
      if (auto v = r.GetInt(entry, "max_token_bytes", false, 256, 1 << 20)) c.max_token_bytes = static_cast<size_t>(*v);
      if (auto v = r.GetInt(entry, "jwks_refetch_seconds", false, 0, 86400)) c.jwks_refetch_interval = std::chrono::seconds(*v);
      if (auto v = r.GetInt(entry, "result_cache_seconds", false, 0, 3600)) c.result_cache = std::chrono::seconds(*v);
      if (auto v = r.GetInt(entry, "flow_timeout_seconds", false, 30, 3600)) c.flow_timeout = std::chrono::seconds(*v);
      if (auto v = r.GetString(entry, "tls_ca_file", false)) c.tls_ca_file = *v;
      if (auto v = r.GetBool(entry, "introspection", false)) c.introspection = *v;
      if (errors->size() != before) continue;
      ConfigProblem p = Problem(c);
      if (!p.message.empty()) {
        YAML::Node where = YamlReader::Find(entry, p.key);  // undefined for "" or an absent key
        r.Error(where.IsDefined() ? where : YAML::Node(entry), "oidc provider '" + c.name + "': " + p.message);
        continue;
      }
      if (!names.insert(c.name).second) {
        r.Error(entry, "oidc provider: duplicate name '" + c.name + "'");
        continue;
      }
      out.push_back(std::move(c));
    }
  } catch (const std::exception& e) {
    r.Error(node, std::string("oidc: unreadable configuration: ") + e.what());
  }
  return out;
}

Result<Secret> LoadClientSecret(const OidcProviderConfig& config) {
  if (!config.client_secret_env.empty()) {
    const char* v = std::getenv(config.client_secret_env.c_str());
    if (v == nullptr || *v == '\0')
      return FailedPrecondition("oidc provider '" + config.name + "': environment variable " +
                                config.client_secret_env + " is not set or empty");
    return Secret(v);
  }
  if (!config.client_secret_file.empty()) {
    std::ifstream in(config.client_secret_file, std::ios::binary);
    if (!in) return NotFound("oidc provider '" + config.name + "': cannot read client_secret_file " + config.client_secret_file);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    Secret secret(s);
    std::fill(s.begin(), s.end(), '\0');
    if (secret.empty())
      return FailedPrecondition("oidc provider '" + config.name + "': client_secret_file " +
                                config.client_secret_file + " is empty");
    return secret;
  }
  return Secret();
}

}  // namespace idb::oidc
