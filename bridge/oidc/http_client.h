// http_client.h — the few HTTP calls OIDC needs (discovery, JWKS, token, device).
//
// Why: every call to an identity provider has a deadline (a provider that
// hangs must not hang the daemon), a response-size cap, and TLS verification
// that cannot be turned off. Built on cpp-httplib (idb::httplib); one
// httplib::Client per call, so this class is stateless apart from settings.
// Thread-safety: const methods, safe for concurrent use.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/secret.h"

namespace idb::oidc {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

struct HttpSettings {
  std::chrono::milliseconds timeout{5000};  // connect, read and write, each
  size_t max_response_bytes = 1u << 20;
  std::string ca_file;  // extra CA bundle for https (verification is always on)
};

class HttpClient {
 public:
  explicit HttpClient(HttpSettings settings) : settings_(std::move(settings)) {}

  // GET url. kUnavailable when unreachable / timed out / too large; the
  // message names the URL (never a secret). Any HTTP status is a success here.
  Result<HttpResponse> Get(const std::string& url) const;

  // POST application/x-www-form-urlencoded. With a non-empty client_id and
  // secret, authenticates with HTTP Basic (client_secret_basic, RFC 6749 2.3.1).
  Result<HttpResponse> PostForm(const std::string& url, const std::vector<std::pair<std::string, std::string>>& form,
                                const std::string& basic_user = "", const Secret* basic_password = nullptr) const;

  const HttpSettings& settings() const { return settings_; }

 private:
  HttpSettings settings_;
};

// Splits "https://host:port/path?q" into ("https://host:port", "/path?q").
// InvalidArgument for anything but http(s) URLs with a host.
Result<std::pair<std::string, std::string>> SplitUrl(const std::string& url);

// application/x-www-form-urlencoded / query-string encoding of one value.
std::string UrlEncode(const std::string& value);

}  // namespace idb::oidc
