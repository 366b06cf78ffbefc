#include "oidc_provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "oidc/http_client.h"
#include "oidc/pkce.h"

#ifndef IDB_SOURCE_DIR
#error "IDB_SOURCE_DIR must be defined"
#endif

namespace idb::testing {
namespace fs = std::filesystem;

OidcProviderOptions StandardOidcOptions(int redirect_port) {
  OidcProviderOptions o;
  std::string cb = "http://127.0.0.1:" + std::to_string(redirect_port) + "/oidc/callback";
  o.clients = {{"fleet-app", "fleet-secret", {cb}, ""}, {"other-app", "other-secret", {cb}, ""},
               {"es-app", "es-secret", {cb}, "ES256"}};
  o.users = {{"alice", "alice-pw", {"Mechanics", "Fleet Managers"}, false, false, "Maintenance"},
             {"bob", "bob-pw", {"Drivers"}, false, false, ""},
             {"carol", "carol-pw", {}, false, true, ""},
             {"dave", "dave-pw", {}, true, false, ""},
             {"erin", "erin-pw", {"Visitors"}, false, false, ""}};  // groups no rule maps
  return o;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

Result<std::unique_ptr<OidcTestProvider>> OidcTestProvider::Start(OidcProviderOptions options) {
  std::string script_dir = std::string(IDB_SOURCE_DIR) + "/tests/support/oidc";
  if (!fs::exists(script_dir + "/node_modules/oidc-provider"))
    return FailedPrecondition("npm oidc-provider is not installed in " + script_dir + ": run .ci/install-deps test");
  std::unique_ptr<OidcTestProvider> p(new OidcTestProvider());
  p->options_ = std::move(options);
  char tmpl[] = "/tmp/idb-oidc-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Internal("mkdtemp failed");
  p->dir_ = tmpl;
  for (int attempt = 0; attempt < 3; ++attempt) {
    p->port_ = FreeLoopbackPort();
    p->issuer_ = "http://127.0.0.1:" + std::to_string(p->port_);
    Status s = p->Launch();
    if (s.ok()) return p;
    if (attempt == 2) return s;
  }
  return Internal("unreachable");
}

OidcTestProvider::~OidcTestProvider() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Status OidcTestProvider::Restart(OidcProviderOptions options) {
  IDB_RETURN_IF_ERROR(Stop());
  options_ = std::move(options);
  return Launch();
}

Status OidcTestProvider::Launch() {
  nlohmann::json cfg;
  cfg["port"] = port_;
  cfg["issuer"] = issuer_;
  cfg["kids"] = options_.kids;
  cfg["ttl"] = {{"IdToken", options_.id_token_ttl}, {"AccessToken", options_.access_token_ttl}};
  cfg["access_token_audience"] = options_.access_token_audience;
  cfg["hang"] = options_.hang;
  cfg["opaque_access_tokens"] = options_.opaque_access_tokens;
  cfg["keys_file"] = dir_ + "/keys.json";
  std::error_code ec;
  fs::remove(dir_ + "/keys.json", ec);  // a restart writes its new keys
  cfg["clients"] = nlohmann::json::array();
  for (const auto& c : options_.clients) {
    nlohmann::json j = {{"client_id", c.client_id},
                        {"redirect_uris", c.redirect_uris},
                        {"grant_types", {"authorization_code", "urn:ietf:params:oauth:grant-type:device_code"}},
                        {"response_types", {"code"}}};
    if (!c.id_token_alg.empty()) j["id_token_signed_response_alg"] = c.id_token_alg;
    if (c.client_secret.empty()) {
      j["token_endpoint_auth_method"] = "none";
    } else {
      j["client_secret"] = c.client_secret;
      j["token_endpoint_auth_method"] = "client_secret_basic";
    }
    cfg["clients"].push_back(j);
  }
  cfg["users"] = nlohmann::json::array();
  for (const auto& u : options_.users)
    cfg["users"].push_back({{"id", u.id}, {"password", u.password}, {"groups", u.groups}, {"overage", u.overage},
                            {"no_groups", u.no_groups}, {"department", u.department}});
  std::string cfg_path = dir_ + "/provider.json";
  std::string log_path = dir_ + "/provider.log";
  {
    std::ofstream out(cfg_path);
    out << cfg.dump(2);
  }
  std::string script = std::string(IDB_SOURCE_DIR) + "/tests/support/oidc/provider.mjs";
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    FILE* log = std::fopen(log_path.c_str(), "w");
    if (log) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    execlp("node", "node", script.c_str(), cfg_path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log_path);
      std::stringstream ss;
      ss << in.rdbuf();
      return Unavailable("oidc-provider exited during start: " + ss.str().substr(0, 2000));
    }
    if (options_.hang) {
      std::ifstream in(log_path);
      std::stringstream ss;
      ss << in.rdbuf();
      if (ss.str().find("READY") != std::string::npos) return Status::Ok();
    } else {
      httplib::Client c("127.0.0.1", port_);
      c.set_connection_timeout(std::chrono::milliseconds(200));
      c.set_read_timeout(std::chrono::milliseconds(500));
      auto r = c.Get("/.well-known/openid-configuration");
      if (r && r->status == 200) return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (void)Stop();
  return DeadlineExceeded("oidc-provider did not answer discovery within 30 s");
}

std::unique_ptr<TestSigner> OidcTestProvider::Signer(const std::string& kid) const {
  std::ifstream in(dir_ + "/keys.json");
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.contains("keys") || !doc["keys"].is_array()) return nullptr;
  for (const auto& jwk : doc["keys"])
    if (jwk.value("kid", "") == kid) return TestSigner::FromPrivateJwk(jwk);
  return nullptr;
}

Status OidcTestProvider::Stop() {
  if (pid_ <= 0) return Status::Ok();
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return Status::Ok();
}

std::map<std::string, std::string> QueryParams(const std::string& url) {
  std::map<std::string, std::string> out;
  size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string query = url.substr(q + 1);
  size_t hash = query.find('#');
  if (hash != std::string::npos) query = query.substr(0, hash);
  httplib::Params params;
  httplib::detail::parse_query_text(query, params);
  for (const auto& [k, v] : params) out[k] = v;
  return out;
}

namespace {

struct Browser {
  std::map<std::string, std::string> jar;

  std::string CookieHeader() const {
    std::string h;
    for (const auto& [k, v] : jar) h += (h.empty() ? "" : "; ") + k + "=" + v;
    return h;
  }
  void Absorb(const httplib::Response& r) {
    auto range = r.headers.equal_range("Set-Cookie");
    for (auto it = range.first; it != range.second; ++it) {
      std::string c = it->second.substr(0, it->second.find(';'));
      size_t eq = c.find('=');
      if (eq == std::string::npos) continue;
      std::string name = c.substr(0, eq), value = c.substr(eq + 1);
      if (value.empty()) {
        jar.erase(name);
      } else {
        jar[name] = value;
      }
    }
  }
  Result<httplib::Response> Send(const std::string& url, const std::string& method,
                                 const std::vector<std::pair<std::string, std::string>>& form) {
    auto split = oidc::SplitUrl(url);
    if (!split.ok()) return split.status();
    httplib::Client c(split->first);
    c.set_connection_timeout(std::chrono::seconds(5));
    c.set_read_timeout(std::chrono::seconds(10));
    c.set_follow_location(false);
    httplib::Headers headers;
    if (!jar.empty()) headers.emplace("Cookie", CookieHeader());
    std::string body;
    for (const auto& [k, v] : form) body += (body.empty() ? "" : "&") + oidc::UrlEncode(k) + "=" + oidc::UrlEncode(v);
    httplib::Result r = method == "GET" ? c.Get(split->second, headers)
                                        : c.Post(split->second, headers, body, "application/x-www-form-urlencoded");
    if (!r) return Unavailable(method + " " + url + ": " + httplib::to_string(r.error()));
    Absorb(*r);
    return *r;
  }
};

std::string Origin(const std::string& url) {
  auto split = oidc::SplitUrl(url);
  return split.ok() ? split->first : "";
}

std::string Resolve(const std::string& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  return Origin(base) + location;
}

// The text between `prefix` and the next `end` after position `from` (no regex:
// <regex> trips g++ 12's -Wmaybe-uninitialized under sanitizers).
std::string Between(const std::string& text, const std::string& prefix, char end, size_t from = 0, size_t* next = nullptr) {
  size_t a = text.find(prefix, from);
  if (a == std::string::npos) {
    if (next) *next = std::string::npos;
    return "";
  }
  a += prefix.size();
  size_t b = text.find(end, a);
  if (b == std::string::npos) b = text.size();
  if (next) *next = b;
  return text.substr(a, b - a);
}

std::string Attr(const std::string& tag, const std::string& name) { return Between(tag, name + "=\"", '"'); }

std::vector<std::pair<std::string, std::string>> HiddenInputs(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (true) {
    size_t next = 0;
    std::string name = Between(html, "<input type=\"hidden\" name=\"", '"', pos, &next);
    if (next == std::string::npos) break;
    std::string value = Between(html, "value=\"", '"', next, &pos);
    out.emplace_back(name, value);
    if (pos == std::string::npos) break;
  }
  return out;
}

std::string FormTag(const std::string& html, const std::string& marker) {
  size_t at = html.find(marker);
  if (at == std::string::npos) return "";
  size_t start = html.rfind("<form", at);
  size_t end = html.find('>', at);
  if (start == std::string::npos || end == std::string::npos) return "";
  return html.substr(start, end - start + 1);
}

// Drives pages until the provider redirects outside its origin (returned) or
// shows a page without a form we know (returned as "page:<html>").
Result<std::string> Drive(Browser& b, std::string url, const std::string& provider_origin, const std::string& user,
                          const std::string& password, bool approve, const std::string& user_code) {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> form;
  for (int step = 0; step < 40; ++step) {
    auto r = b.Send(url, method, form);
    if (!r.ok()) return r.status();
    const httplib::Response& resp = r.value();
    if (resp.status >= 300 && resp.status < 400) {
      std::string loc = Resolve(url, resp.get_header_value("Location"));
      if (Origin(loc) != provider_origin) return loc;
      url = loc;
      method = "GET";
      form.clear();
      continue;
    }
    const std::string& html = resp.body;
    if (html.find("class=\"error\"") != std::string::npos) {
      std::string why = Between(html, "class=\"error\">", '<');
      return Unauthenticated("provider page refused: " + why);
    }
    std::string tag;
    if (!(tag = FormTag(html, "data-kind=\"login\"")).empty()) {
      url = Resolve(url, Attr(tag, "action"));
      form = {{"login", user}, {"password", password}};
    } else if (!(tag = FormTag(html, "data-kind=\"consent\"")).empty()) {
      if (!approve) tag = FormTag(html, "data-kind=\"abort\"");
      url = Resolve(url, Attr(tag, "action"));
      form.clear();
    } else if (!(tag = FormTag(html, "id=\"op.deviceInputForm\"")).empty()) {
      url = Resolve(url, Attr(tag, "action"));
      form = HiddenInputs(html);
      form.emplace_back("user_code", user_code);
    } else if (!(tag = FormTag(html, "id=\"op.deviceConfirmForm\"")).empty()) {
      url = Resolve(url, Attr(tag, "action"));
      form = HiddenInputs(html);
      if (!approve) form.emplace_back("abort", "yes");
    } else {
      return "page:" + html;
    }
    method = "POST";
  }
  return Internal("browser: too many steps");
}

}  // namespace

Result<std::string> BrowserAuthorize(const std::string& authorize_url, const std::string& user,
                                     const std::string& password, bool approve) {
  Browser b;
  auto r = Drive(b, authorize_url, Origin(authorize_url), user, password, approve, "");
  if (!r.ok()) return r;
  if (r->rfind("page:", 0) == 0) return Internal("browser: stopped on a page: " + r->substr(0, 400));
  return r;
}

Status BrowserApproveDevice(const std::string& issuer, const std::string& user_code, const std::string& user,
                            const std::string& password, bool approve) {
  Browser b;
  auto r = Drive(b, issuer + "/device", Origin(issuer), user, password, approve, user_code);
  if (!approve && !r.ok() && r.status().message().find("aborted") != std::string::npos) return Status::Ok();
  if (!r.ok()) return r.status();
  if (r->find("Sign-in Success") != std::string::npos) return Status::Ok();
  return Internal("device approval ended on: " + r->substr(0, 400));
}

Result<OidcTestTokens> ObtainTokens(const std::string& issuer, const OidcTestClient& client, const std::string& user,
                                    const std::string& password) {
  auto state = oidc::RandomUrlSafe(), nonce = oidc::RandomUrlSafe(), verifier = oidc::RandomUrlSafe();
  if (!state.ok() || !nonce.ok() || !verifier.ok()) return Internal("rng");
  const std::string redirect = client.redirect_uris.at(0);
  std::string url = issuer + "/auth?response_type=code&client_id=" + oidc::UrlEncode(client.client_id) +
                    "&redirect_uri=" + oidc::UrlEncode(redirect) + "&scope=" + oidc::UrlEncode("openid profile email groups") +
                    "&state=" + state.value() + "&nonce=" + nonce.value() +
                    "&code_challenge=" + oidc::PkceS256Challenge(verifier.value()) + "&code_challenge_method=S256";
  auto final_url = BrowserAuthorize(url, user, password);
  if (!final_url.ok()) return final_url.status();
  auto q = QueryParams(final_url.value());
  if (q["state"] != state.value() || q["code"].empty()) return Internal("no code in redirect: " + final_url.value());
  httplib::Client c("127.0.0.1", std::stoi(issuer.substr(issuer.rfind(':') + 1)));
  c.set_basic_auth(client.client_id, client.client_secret);
  httplib::Params form = {{"grant_type", "authorization_code"}, {"code", q["code"]},
                          {"redirect_uri", redirect}, {"code_verifier", verifier.value()}};
  auto r = c.Post("/token", form);
  if (!r) return Unavailable("token endpoint unreachable");
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !body.is_object()) return Internal("token endpoint: HTTP " + std::to_string(r->status) + " " + r->body);
  OidcTestTokens t;
  t.id_token = body.value("id_token", "");
  t.access_token = body.value("access_token", "");
  return t;
}

}  // namespace idb::testing
