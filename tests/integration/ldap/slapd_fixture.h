// slapd_fixture.h — shared set-up for the integration tests against slapd:
// one demo-company server per test process, and a DirectoryConfig pointing at
// it through LDAPS with the test CA and the fixture's service account.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ldap/directory_config.h"
#include "ldap/ldap_authenticator.h"
#include "slapd_server.h"

namespace idb::ldap::testing {

inline std::string FixturePath(const std::string& name) { return std::string(IDB_SOURCE_DIR) + "/tests/fixtures/" + name; }

// Writes the service password to a 0600 file in `dir` and returns its path.
inline std::string WriteServicePassword(const std::string& dir) {
  const std::string path = dir + "/svc.pw";
  idb::testing::WriteFile(path, "svc-test-password\n", 0600);
  return path;
}

inline DirectoryConfig DemoDirectory(const idb::testing::SlapdServer& s, const std::string& pw_dir) {
  DirectoryConfig c;
  c.name = "demo";
  c.preset = DirectoryPreset::kOpenLdap;
  c.uris = {s.ldaps_uri()};
  c.ca_file = s.ca_file();
  c.bind_dn = "cn=idbridge-svc,ou=Services,dc=fleet,dc=test";
  c.bind_password_file = WriteServicePassword(pw_dir);
  c.user_search_base = "ou=People,dc=fleet,dc=test";
  c.group_search_base = "ou=Groups,dc=fleet,dc=test";
  c.user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
  c.user_name_attribute = "uid";
  c.login_forms = {LoginForm::kPlain};
  c.group_filter = "(objectClass=groupOfNames)";
  c.member_attribute = "member";
  c.claims = {{"department", "departmentNumber"}, {"title", "title"}, {"employeeID", "employeeNumber"}, {"mail", "mail"}};
  c.connect_timeout = std::chrono::milliseconds(2000);
  c.operation_timeout = std::chrono::milliseconds(5000);
  c.throttle_enabled = false;  // tests of the throttle turn it on
  c.offline.hash_iterations = 1000;
  return c;
}

inline LoginRequest Login(const std::string& user, const std::string& password, const std::string& client = "test") {
  LoginRequest r;
  r.user = user;
  r.password = Secret(password);
  r.client = client;
  return r;
}

inline std::unique_ptr<LdapAuthenticator> MakeAuthenticator(DirectoryConfig c, LdapAuthenticatorOptions o = {}) {
  auto a = LdapAuthenticator::Create(std::move(c), std::move(o));
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? std::move(*a) : nullptr;
}

inline const DirectoryGroup* FindGroup(const Identity& id, const std::string& cn) {
  for (const auto& g : id.groups) {
    if (g.cn == cn) return &g;
  }
  return nullptr;
}

// One demo-company slapd per test process (ctest runs each TEST alone).
class SlapdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (server_) return;
    idb::testing::SlapdOptions o;
    o.ldif_files = {FixturePath("demo-company.ldif")};
    auto s = idb::testing::SlapdServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "slapd did not start";
    tmp_ = idb::testing::MakeTempDir("idb-ldap-test");
  }
  void TearDown() override { idb::testing::RemoveTree(tmp_); }

  DirectoryConfig Config() const { return DemoDirectory(*server_, tmp_); }

  static inline idb::testing::SlapdServer* server_ = nullptr;
  std::string tmp_;
};

}  // namespace idb::ldap::testing
