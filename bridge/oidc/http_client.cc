#include "oidc/http_client.h"

#include <httplib.h>

namespace idb::oidc {
namespace {

std::unique_ptr<httplib::Client> MakeClient(const std::string& origin, const HttpSettings& s) {
  auto cli = std::make_unique<httplib::Client>(origin);
  cli->set_connection_timeout(s.timeout);
  cli->set_read_timeout(s.timeout);
  cli->set_write_timeout(s.timeout);
  cli->set_follow_location(false);
  cli->set_tcp_nodelay(true);
  cli->set_keep_alive(false);
  cli->enable_server_certificate_verification(true);
  if (!s.ca_file.empty()) cli->set_ca_cert_path(s.ca_file);
  return cli;
}

Status Failure(const std::string& what, const std::string& url, httplib::Error err) {
  std::string why = err == httplib::Error::Read || err == httplib::Error::ConnectionTimeout
                        ? "timed out or connection closed"
                        : httplib::to_string(err);
  return Unavailable(what + " " + url + ": " + why);
}

}  // namespace

Result<std::pair<std::string, std::string>> SplitUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgument("not a URL: " + url);
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return InvalidArgument("not an http(s) URL: " + url);
  size_t path_start = url.find('/', scheme_end + 3);
  std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (origin.size() <= scheme_end + 3) return InvalidArgument("URL without a host: " + url);
  if (url.find_first_of(" \r\n\t") != std::string::npos) return InvalidArgument("URL with whitespace");
  return std::make_pair(origin, path);
}

std::string UrlEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<HttpResponse> HttpClient::Get(const std::string& url) const {
  auto split = SplitUrl(url);
  if (!split.ok()) return split.status();
  try {
    auto cli = MakeClient(split->first, settings_);
    HttpResponse out;
    bool too_large = false;
    httplib::Headers headers = {{"Accept", "application/json"}};
    auto res = cli->Get(
        split->second, headers,
        [&](const httplib::Response& r) {
          out.status = r.status;
          out.content_type = r.get_header_value("Content-Type");
          return true;
        },
        [&](const char* data, size_t len) {
          if (out.body.size() + len > settings_.max_response_bytes) {
            too_large = true;
            return false;
          }
          out.body.append(data, len);
          return true;
        });
    if (too_large) return Unavailable("GET " + url + ": response larger than " + std::to_string(settings_.max_response_bytes) + " bytes");
    if (!res) return Failure("GET", url, res.error());
    out.status = res->status;
    return out;
  } catch (const std::exception& e) {
    return Unavailable("GET " + url + ": " + e.what());
  }
}

Result<HttpResponse> HttpClient::PostForm(const std::string& url,
                                          const std::vector<std::pair<std::string, std::string>>& form,
                                          const std::string& basic_user, const Secret* basic_password) const {
  auto split = SplitUrl(url);
  if (!split.ok()) return split.status();
  try {
    auto cli = MakeClient(split->first, settings_);
    std::string body;
    for (const auto& [k, v] : form) {
      if (!body.empty()) body += '&';
      body += UrlEncode(k) + "=" + UrlEncode(v);
    }
    httplib::Headers headers = {{"Accept", "application/json"}};
    if (!basic_user.empty() && basic_password != nullptr && !basic_password->empty()) {
      std::string pw = UrlEncode(std::string(basic_password->expose()));
      cli->set_basic_auth(UrlEncode(basic_user), pw);
      std::fill(pw.begin(), pw.end(), '\0');
    }
    auto res = cli->Post(split->second, headers, body, "application/x-www-form-urlencoded");
    std::fill(body.begin(), body.end(), '\0');  // may hold a device code or auth code
    if (!res) return Failure("POST", url, res.error());
    if (res->body.size() > settings_.max_response_bytes)
      return Unavailable("POST " + url + ": response larger than " + std::to_string(settings_.max_response_bytes) + " bytes");
    HttpResponse out;
    out.status = res->status;
    out.body = std::move(res->body);
    out.content_type = res->get_header_value("Content-Type");
    return out;
  } catch (const std::exception& e) {
    return Unavailable("POST " + url + ": " + e.what());
  }
}

}  // namespace idb::oidc
