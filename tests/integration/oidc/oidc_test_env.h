// oidc_test_env.h — one real oidc-provider per test binary (gtest Environment)
// and a helper building an idb OidcProvider pointed at it.
//
// Why: starting the provider costs ~0.8 s; tests share one instance and only
// the key-rotation test restarts its own.
#pragma once

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "oidc/oidc_provider.h"
#include "oidc_provider.h"

namespace idb::testing {

inline OidcTestProvider*& SharedProvider() {
  static OidcTestProvider* p = nullptr;
  return p;
}

inline int RedirectPort() {
  static int port = FreeLoopbackPort();
  return port;
}

inline std::string RedirectUri() { return "http://127.0.0.1:" + std::to_string(RedirectPort()) + "/oidc/callback"; }

class OidcProviderEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto p = OidcTestProvider::Start(StandardOidcOptions(RedirectPort()));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    provider_ = std::move(p).value();
    SharedProvider() = provider_.get();
  }
  void TearDown() override {
    SharedProvider() = nullptr;
    provider_.reset();
  }

 private:
  std::unique_ptr<OidcTestProvider> provider_;
};

// The resource identifier the test provider puts into access tokens' aud.
inline const char* const kTestResource = "urn:idbridge:fleet-api";

// A provider entry with the defaults (ID tokens only; access tokens refused).
inline oidc::OidcProviderConfig TestConfig(const std::string& issuer, const std::string& client_id = "fleet-app") {
  oidc::OidcProviderConfig c;
  c.name = "test";
  c.issuer = issuer;
  c.client_id = client_id;
  std::string secret = client_id == "es-app" ? "es-secret" : client_id == "other-app" ? "other-secret" : "fleet-secret";
  c.client_secret_env = "IDB_TEST_OIDC_SECRET_" + std::to_string(std::hash<std::string>()(client_id) % 100000);
  setenv(c.client_secret_env.c_str(), secret.c_str(), 1);
  c.scopes = {"openid", "profile", "email", "groups"};
  c.claims = {"department", "email"};
  c.http_timeout = std::chrono::milliseconds(5000);
  return c;
}

// The same with access-token logins for the test provider's resource.
inline oidc::OidcProviderConfig AccessTokenConfig(const std::string& issuer, const std::string& client_id = "fleet-app") {
  oidc::OidcProviderConfig c = TestConfig(issuer, client_id);
  c.access_tokens = true;
  c.audiences = {kTestResource};
  return c;
}

inline std::unique_ptr<oidc::OidcProvider> MakeProvider(const oidc::OidcProviderConfig& c) {
  auto p = oidc::OidcProvider::Create(c);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : nullptr;
}

inline SystemTime Now() { return std::chrono::system_clock::now(); }

// base64url without padding, and back (test helpers for taking tokens apart).
inline std::string B64Url(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (s.size() - i == 1) {
    uint32_t v = uint8_t(s[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63]};
  } else if (s.size() - i == 2) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63]};
  }
  return out;
}

inline std::string B64UrlDecode(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : c == '_' ? 63 : -1;
    if (v < 0) break;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

inline std::string Segment(const std::string& token, int n) {
  size_t a = 0;
  for (int i = 0; i < n; ++i) a = token.find('.', a) + 1;
  size_t b = token.find('.', a);
  return token.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

}  // namespace idb::testing
