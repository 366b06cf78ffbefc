#include "oidc/oidc_config.h"

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
    "result_cache_seconds", "flow_timeout_seconds", "tls_ca_file"};

// A small strict reader over yaml-cpp: records file:line:col errors, never throws.
class Reader {
 public:
  Reader(const std::string& file, std::vector<Diagnostic>* errors) : file_(file), errors_(errors) {}

  void Error(const YAML::Node& at, const std::string& message) {
    Diagnostic d;
    d.file = file_;
    d.message = message;
    try {
      if (at.IsDefined()) {
        d.line = at.Mark().line + 1;
        d.column = at.Mark().column + 1;
      }
    } catch (...) {
    }
    errors_->push_back(std::move(d));
    ++count_;
  }
  size_t count() const { return count_; }

  std::optional<std::string> String(const YAML::Node& map, const std::string& key, bool required) {
    YAML::Node n = Find(map, key);
    if (!n.IsDefined() || n.IsNull()) {
      if (required) Error(map, "oidc provider: missing required key '" + key + "'");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      Error(n, "oidc provider: '" + key + "' must be a string");
      return std::nullopt;
    }
    return n.Scalar();
  }
  std::optional<int64_t> Int(const YAML::Node& map, const std::string& key, int64_t min, int64_t max) {
    auto s = String(map, key, false);
    if (!s) return std::nullopt;
    try {
      size_t used = 0;
      long long v = std::stoll(*s, &used, 10);
      if (used != s->size()) throw std::invalid_argument("trailing");
      if (v < min || v > max) {
        Error(Find(map, key), "oidc provider: '" + key + "' must be between " + std::to_string(min) +
                                  " and " + std::to_string(max));
        return std::nullopt;
      }
      return v;
    } catch (...) {
      Error(Find(map, key), "oidc provider: '" + key + "' must be an integer");
      return std::nullopt;
    }
  }
  std::optional<bool> Bool(const YAML::Node& map, const std::string& key) {
    auto s = String(map, key, false);
    if (!s) return std::nullopt;
    if (*s == "true") return true;
    if (*s == "false") return false;
    Error(Find(map, key), "oidc provider: '" + key + "' must be true or false");
    return std::nullopt;
  }
  std::optional<std::vector<std::string>> List(const YAML::Node& map, const std::string& key) {
    YAML::Node n = Find(map, key);
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    if (!n.IsSequence()) {
      Error(n, "oidc provider: '" + key + "' must be a list of strings");
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& item : n) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        Error(item, "oidc provider: '" + key + "' must be a list of non-empty strings");
        return std::nullopt;
      }
      out.push_back(item.Scalar());
    }
    return out;
  }
  static YAML::Node Find(const YAML::Node& map, const std::string& key) {
    try {
      for (const auto& kv : map)
        if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
    } catch (...) {
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

 private:
  const std::string& file_;
  std::vector<Diagnostic>* errors_;
  size_t count_ = 0;
};

bool IsLoopbackHttp(const std::string& url) {
  for (const char* p : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    std::string prefix = p;
    if (url.compare(0, prefix.size(), prefix) == 0 &&
        (url.size() == prefix.size() || url[prefix.size()] == ':' || url[prefix.size()] == '/'))
      return true;
  }
  return false;
}

// Shared rules for parsed and hand-built entries; returns the first problem.
std::string Problem(const OidcProviderConfig& c) {
  if (c.name.empty()) return "'name' must not be empty";
  for (char ch : c.name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      return "'name' may only contain letters, digits, '-', '_' and '.'";
  if (c.issuer.empty()) return "'issuer' must not be empty";
  if (c.issuer.rfind("https://", 0) != 0 && !IsLoopbackHttp(c.issuer))
    return "'issuer' must be an https:// URL (plain http only on loopback, for tests)";
  if (c.issuer.find_first_of(" \t\r\n?#") != std::string::npos) return "'issuer' must not contain spaces, '?' or '#'";
  if (c.client_id.empty()) return "'client_id' must not be empty";
  if (!c.client_secret_file.empty() && !c.client_secret_env.empty())
    return "give either 'client_secret_file' or 'client_secret_env', not both";
  if (c.allowed_algs.empty()) return "'allowed_algs' must not be empty";
  for (const auto& alg : c.allowed_algs) {
    if (alg == "none" || alg == "None" || alg == "NONE")
      return "'allowed_algs' must not contain 'none' (unsigned tokens)";
    if (alg.rfind("HS", 0) == 0)
      return "'allowed_algs' must not contain " + alg +
             " (HMAC: the provider signs with public keys; an HMAC token could be forged with them)";
    if (!IsAsymmetricJwsAlg(alg)) return "'allowed_algs': unknown algorithm '" + alg + "'";
  }
  if (std::find(c.scopes.begin(), c.scopes.end(), "openid") == c.scopes.end())
    return "'scopes' must contain 'openid'";
  if (c.username_claim.empty()) return "'username_claim' must not be empty";
  if (c.groups_claim.empty() || c.groups_claim.front() == '.' || c.groups_claim.back() == '.' ||
      c.groups_claim.find("..") != std::string::npos)
    return "'groups_claim' must be a claim name or a dotted path such as realm_access.roles";
  if (c.max_token_bytes < 256 || c.max_token_bytes > (1u << 20)) return "'max_token_bytes' must be between 256 and 1048576";
  if (c.http_timeout.count() < 1) return "'http_timeout_ms' must be positive";
  if (c.leeway.count() < 0 || c.leeway.count() > 600) return "'leeway_seconds' must be between 0 and 600";
  return "";
}

}  // namespace

std::vector<std::string> OidcProviderConfig::AcceptedAudiences() const {
  return audiences.empty() ? std::vector<std::string>{client_id} : audiences;
}

bool IsAsymmetricJwsAlg(const std::string& alg) {
  static const std::set<std::string> kAlgs = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                              "PS512", "ES256", "ES384", "ES512"};
  return kAlgs.count(alg) > 0;
}

Status ValidateOidcProviderConfig(const OidcProviderConfig& config) {
  std::string p = Problem(config);
  if (!p.empty()) return InvalidArgument("oidc provider '" + config.name + "': " + p);
  return Status::Ok();
}

std::vector<OidcProviderConfig> ParseOidcProviders(const YAML::Node& node, const std::string& file,
                                                   std::vector<Diagnostic>* errors) {
  std::vector<OidcProviderConfig> out;
  Reader r(file, errors);
  try {
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) {
      r.Error(node, "'oidc' must be a list of providers");
      return out;
    }
    std::set<std::string> names;
    for (const auto& entry : node) {
      size_t before = r.count();
      if (!entry.IsMap()) {
        r.Error(entry, "each 'oidc' entry must be a map");
        continue;
      }
      for (const auto& kv : entry) {
        if (!kv.first.IsScalar()) {
          r.Error(kv.first, "oidc provider: keys must be strings");
          continue;
        }
        const std::string& k = kv.first.Scalar();
        if (k == "client_secret") {
          r.Error(kv.first, "oidc provider: 'client_secret' must not be written inline; use client_secret_file or client_secret_env");
        } else if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
          r.Error(kv.first, "oidc provider: unknown key '" + k + "'");
        }
      }
      OidcProviderConfig c;
      if (auto v = r.String(entry, "name", true)) c.name = *v;
      if (auto v = r.String(entry, "issuer", true)) c.issuer = *v;
      if (auto v = r.String(entry, "client_id", true)) c.client_id = *v;
      if (auto v = r.String(entry, "client_secret_file", false)) c.client_secret_file = *v;
      if (auto v = r.String(entry, "client_secret_env", false)) c.client_secret_env = *v;
      if (auto v = r.List(entry, "scopes")) c.scopes = *v;
      if (auto v = r.List(entry, "audiences")) c.audiences = *v;
      if (auto v = r.List(entry, "allowed_algs")) c.allowed_algs = *v;
      if (auto v = r.Int(entry, "leeway_seconds", 0, 600)) c.leeway = std::chrono::seconds(*v);
      if (auto v = r.String(entry, "username_claim", false)) c.username_claim = *v;
      if (auto v = r.String(entry, "groups_claim", false)) c.groups_claim = *v;
      if (auto v = r.Bool(entry, "groups_required")) c.groups_required = *v;
      if (auto v = r.List(entry, "claims")) c.claims = *v;
      if (auto v = r.Int(entry, "http_timeout_ms", 1, 120000)) c.http_timeout = std::chrono::milliseconds(*v);
      if (auto v = r.Int(entry, "max_token_bytes", 256, 1 << 20)) c.max_token_bytes = static_cast<size_t>(*v);
      if (auto v = r.Int(entry, "jwks_refetch_seconds", 0, 86400)) c.jwks_refetch_interval = std::chrono::seconds(*v);
      if (auto v = r.Int(entry, "result_cache_seconds", 0, 3600)) c.result_cache = std::chrono::seconds(*v);
      if (auto v = r.Int(entry, "flow_timeout_seconds", 30, 3600)) c.flow_timeout = std::chrono::seconds(*v);
      if (auto v = r.String(entry, "tls_ca_file", false)) c.tls_ca_file = *v;
      if (r.count() != before) continue;
      std::string p = Problem(c);
      if (!p.empty()) {
        r.Error(entry, "oidc provider '" + c.name + "': " + p);
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
