// daemon_settings.cc — see daemon_settings.h.
#include "daemon/daemon_settings.h"

#include <unistd.h>

#include <algorithm>

#include "core/yaml_reader.h"
#include "ldap/directory_config.h"

namespace idb::daemon {

namespace {

template <typename T>
std::optional<std::vector<T>> GetIdList(YamlReader& r, const YAML::Node& map, const std::string& key) {
  YAML::Node list = YamlReader::Find(map, key);
  if (!list.IsDefined() || list.IsNull()) return std::nullopt;
  if (!r.ExpectList(list, "daemon." + key)) return std::nullopt;
  std::vector<T> ids;
  for (const auto& item : list) {
    auto v = r.AsInt(item, "daemon." + key + " entry");
    if (!v) continue;
    if (*v < 0 || *v > 0x7fffffff) {
      r.Error(item, "daemon." + key + ": id " + std::to_string(*v) + " is out of range");
      continue;
    }
    ids.push_back(static_cast<T>(*v));
  }
  return ids;
}

void ParseTls(YamlReader& r, const Config& config, const YAML::Node& node, TlsListenerSettings* tls) {
  if (!r.ExpectMap(node, "daemon.tls")) return;
  r.CheckKeys(node, {"listen", "cert_file", "key_file", "client_ca_file", "client_tokens_file"}, "daemon.tls");
  auto listen = r.GetString(node, "listen", true);
  if (listen) {
    auto colon = listen->rfind(':');
    int port = 0;
    if (colon != std::string::npos) {
      try {
        size_t used = 0;
        port = std::stoi(listen->substr(colon + 1), &used);
        if (used != listen->size() - colon - 1) port = 0;
      } catch (...) {
        port = 0;
      }
    }
    if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535) {
      r.Error(YamlReader::Find(node, "listen"), "daemon.tls.listen must be HOST:PORT, e.g. \"0.0.0.0:8443\"");
    } else {
      tls->host = listen->substr(0, colon);
      tls->port = port;
    }
  }
  auto cert = r.GetString(node, "cert_file", true);
  auto key = r.GetString(node, "key_file", true);
  auto ca = r.GetString(node, "client_ca_file", false);
  auto tokens = r.GetString(node, "client_tokens_file", false);
  if (cert) tls->cert_file = config.ResolvePath(*cert);
  if (key) tls->key_file = config.ResolvePath(*key);
  if (ca) tls->client_ca_file = config.ResolvePath(*ca);
  if (tokens) tls->client_tokens_file = config.ResolvePath(*tokens);
  if (!ca && !tokens) {
    r.Error(node, "daemon.tls needs client_ca_file or client_tokens_file: remote clients must authenticate");
  }
  tls->enabled = true;
}

// "127.0.0.1:8765", "localhost:8765", "[::1]:8765" → host (no brackets), port.
bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() || colon + 6 < text.size()) return false;
  const std::string digits = text.substr(colon + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  *port = std::stoi(digits);
  if (*port <= 0 || *port > 65535) return false;
  std::string h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;  // IPv6 needs brackets
  }
  if (h.find_first_of(" /\t\r\n") != std::string::npos) return false;
  *host = h;
  return true;
}

bool IsLoopbackHost(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

// Checks redirect_uri; fills `path`. Returns the problem, or "" when fine.
std::string CheckRedirectUri(const std::string& uri, int listen_port, std::string* path) {
  if (uri.size() > 1000) return "is longer than 1000 bytes";
  if (uri.find_first_of("?# \t\r\n") != std::string::npos ||
      std::any_of(uri.begin(), uri.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return "must not contain a query, a fragment, spaces or control characters";
  }
  const bool http = uri.rfind("http://", 0) == 0, https = uri.rfind("https://", 0) == 0;
  if (!http && !https) return "must start with http:// (loopback) or https://";
  const std::string rest = uri.substr(http ? 7 : 8);
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  *path = slash == std::string::npos ? "" : rest.substr(slash);
  if (path->size() < 2) return "needs a path, e.g. /oidc/callback";
  if (authority.empty() || authority.find('@') != std::string::npos) return "needs a host (and no user info)";
  if (http) {
    std::string host;
    int port = 0;
    if (!SplitHostPort(authority, &host, &port) || !IsLoopbackHost(host)) {
      return "with http:// must name 127.0.0.1, localhost or [::1] and a port (RFC 8252); "
             "use https:// for a listener behind a reverse proxy";
    }
    if (port != listen_port) {
      return "names port " + std::to_string(port) + " but the listener listens on " + std::to_string(listen_port);
    }
  }
  return "";
}

void ParseOidcRedirect(YamlReader& r, const YAML::Node& node, OidcRedirectSettings* out) {
  if (!r.ExpectMap(node, "daemon.oidc_redirect")) return;
  r.CheckKeys(node, {"listen", "redirect_uri"}, "daemon.oidc_redirect");
  if (auto listen = r.GetString(node, "listen", false)) {
    if (!SplitHostPort(*listen, &out->host, &out->port)) {
      r.Error(YamlReader::Find(node, "listen"),
              "daemon.oidc_redirect.listen must be HOST:PORT, e.g. \"127.0.0.1:8765\" or \"[::1]:8765\"");
      return;
    }
  }
  auto uri = r.GetString(node, "redirect_uri", false);
  if (uri) {
    out->redirect_uri = *uri;
  } else if (IsLoopbackHost(out->host)) {
    const std::string host = out->host == "::1" ? "[::1]" : out->host;
    out->redirect_uri = "http://" + host + ":" + std::to_string(out->port) + "/oidc/callback";
  } else {
    r.Error(node, "daemon.oidc_redirect.redirect_uri is required when listen is not a loopback address "
                  "(the URL the browser reaches the listener at, registered with the provider)");
    return;
  }
  std::string problem = CheckRedirectUri(out->redirect_uri, out->port, &out->path);
  if (!problem.empty()) {
    r.Error(uri ? YamlReader::Find(node, "redirect_uri") : node, "daemon.oidc_redirect.redirect_uri " + problem);
    return;
  }
  out->enabled = true;
}

}  // namespace

std::optional<DaemonSettings> ParseDaemonSettings(const Config& config, std::vector<Diagnostic>* errors) {
  DaemonSettings s;
  const uid_t own_uid = ::getuid();
  YamlReader r(config.path, errors);
  const YAML::Node& node = config.daemon;
  bool have_allow_list = false;
  if (node.IsDefined() && !node.IsNull()) {
    if (!r.ExpectMap(node, "daemon")) return std::nullopt;
    r.CheckKeys(node,
                {"socket", "socket_mode", "allowed_uids", "allowed_gids", "admin_uids", "session_ttl",
                 "session_refresh", "max_sessions", "threads", "local_admin", "local_admin_throttle", "tls",
                 "oidc_redirect"},
                "daemon");
    if (auto v = r.GetString(node, "socket", false)) {
      std::string path = config.ResolvePath(*v);
      if (path.size() >= 108) {
        r.Error(YamlReader::Find(node, "socket"), "daemon.socket is longer than 107 bytes (UNIX socket limit)");
      }
      s.socket_path = path;
    }
    if (auto v = r.GetString(node, "socket_mode", false)) {
      bool octal = !v->empty() && v->size() <= 4 &&
                   std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '7'; });
      if (!octal) {
        r.Error(YamlReader::Find(node, "socket_mode"), "daemon.socket_mode must be octal like \"0660\"");
      } else {
        s.socket_mode = static_cast<mode_t>(std::stoul(*v, nullptr, 8));
        if (s.socket_mode & 0007) {
          r.Error(YamlReader::Find(node, "socket_mode"),
                  "daemon.socket_mode must not give access to others (last digit 0)");
        }
      }
    }
    if (auto v = GetIdList<uid_t>(r, node, "allowed_uids")) {
      s.allowed_uids = *v;
      have_allow_list = true;
    }
    if (auto v = GetIdList<gid_t>(r, node, "allowed_gids")) {
      s.allowed_gids = *v;
      have_allow_list = true;
    }
    if (auto v = GetIdList<uid_t>(r, node, "admin_uids")) s.admin_uids = *v;
    if (auto v = r.GetInt(node, "session_ttl", false, 60, 7 * 86400)) s.session_ttl_s = *v;
    if (auto v = r.GetInt(node, "session_refresh", false, 1, 86400)) s.session_refresh_s = *v;
    if (auto v = r.GetInt(node, "max_sessions", false, 1, 10'000'000)) s.max_sessions = *v;
    if (auto v = r.GetInt(node, "threads", false, 1, 256)) s.threads = static_cast<int>(*v);
    if (auto v = r.GetBool(node, "local_admin", false)) s.local_admin = *v;
    if (YAML::Node th = YamlReader::Find(node, "local_admin_throttle"); th.IsDefined() && !th.IsNull()) {
      ldap::ParseThrottle(r, th, "local_admin_throttle", &s.local_admin_throttle, &s.local_admin_throttle_enabled);
    }
    YAML::Node tls = YamlReader::Find(node, "tls");
    if (tls.IsDefined() && !tls.IsNull()) ParseTls(r, config, tls, &s.tls);
    YAML::Node redirect = YamlReader::Find(node, "oidc_redirect");
    if (redirect.IsDefined() && !redirect.IsNull()) ParseOidcRedirect(r, redirect, &s.oidc_redirect);
  }
  if (!have_allow_list) s.allowed_uids = {own_uid};
  if (s.admin_uids.empty()) {
    s.admin_uids = {0};
    if (own_uid != 0) s.admin_uids.push_back(own_uid);
  }
  if (!r.ok()) return std::nullopt;
  return s;
}

}  // namespace idb::daemon
