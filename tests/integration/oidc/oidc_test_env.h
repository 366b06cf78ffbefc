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

inline oidc::OidcProviderConfig TestConfig(const std::string& issuer, const std::string& client_id = "fleet-app") {
  oidc::OidcProviderConfig c;
  c.name = "test";
  c.issuer = issuer;
  c.client_id = client_id;
  std::string secret = client_id == "es-app" ? "es-secret" : client_id == "other-app" ? "other-secret" : "fleet-secret";
  c.client_secret_env = "IDB_TEST_OIDC_SECRET_" + std::to_string(std::hash<std::string>()(client_id) % 100000);
  setenv(c.client_secret_env.c_str(), secret.c_str(), 1);
  c.scopes = {"openid", "profile", "email", "groups"};
  c.audiences = {"fleet-app"};
  c.claims = {"department", "email"};
  c.http_timeout = std::chrono::milliseconds(5000);
  return c;
}

inline std::unique_ptr<oidc::OidcProvider> MakeProvider(const oidc::OidcProviderConfig& c) {
  auto p = oidc::OidcProvider::Create(c);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : nullptr;
}

inline SystemTime Now() { return std::chrono::system_clock::now(); }

}  // namespace idb::testing
