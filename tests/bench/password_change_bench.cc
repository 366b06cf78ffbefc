// password_change_bench — how long a refused password change takes against a
// real slapd (LDAPS), for a user who does not exist and for a wrong old
// password. The two must cost about the same, or the change endpoint tells
// an attacker which names exist (README: refusals never reveal that, not by
// time either):
//   BM_ChangeUnknownUser       LdapAuthenticator::ChangePassword, no such user
//   BM_ChangeWrongOldPassword  the same for an existing user, wrong old password
//   BM_LoginUnknownUser, BM_LoginWrongPassword  the same pair for a login, to
//                              compare (slapd's ppolicy writes pwdFailureTime
//                              for a wrong password of an existing entry only)
// Run: build-*/tests/bench/password_change_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "ldap/ldap_authenticator.h"
#include "slapd_server.h"

namespace {

idb::testing::SlapdServer* Server() {
  static std::unique_ptr<idb::testing::SlapdServer> server = [] {
    idb::testing::SlapdOptions o;
    o.ldif_files = {std::string(IDB_SOURCE_DIR) + "/tests/fixtures/demo-company.ldif"};
    auto s = idb::testing::SlapdServer::Start(o);
    if (!s.ok()) {
      fprintf(stderr, "slapd: %s\n", s.status().ToString().c_str());
      return std::unique_ptr<idb::testing::SlapdServer>();
    }
    return std::move(*s);
  }();
  return server.get();
}

std::unique_ptr<idb::ldap::LdapAuthenticator> Authenticator(const std::string& dir) {
  idb::ldap::DirectoryConfig c;
  c.name = "bench";
  c.uris = {Server()->ldaps_uri()};
  c.ca_file = Server()->ca_file();
  c.bind_dn = "cn=idbridge-svc,ou=Services,dc=fleet,dc=test";
  c.bind_password_file = dir + "/svc.pw";
  idb::testing::WriteFile(c.bind_password_file, "svc-test-password\n", 0600);
  c.user_search_base = "ou=People,dc=fleet,dc=test";
  c.user_filter = "(&(objectClass=inetOrgPerson)(uid={user}))";
  c.user_name_attribute = "uid";
  c.login_forms = {idb::ldap::LoginForm::kPlain};
  c.throttle_enabled = false;
  auto a = idb::ldap::LdapAuthenticator::Create(std::move(c));
  return a.ok() ? std::move(*a) : nullptr;
}

void Refused(benchmark::State& state, const char* user) {
  if (Server() == nullptr) {
    state.SkipWithError("slapd did not start");
    return;
  }
  const std::string dir = idb::testing::MakeTempDir("idb-pwchange-bench");
  auto a = Authenticator(dir);
  for (auto _ : state) {
    idb::PasswordChangeRequest r;
    r.user = user;
    r.old_password = idb::Secret("not-the-password-1");
    r.new_password = idb::Secret("Whatever-New-Pw-2");
    r.client = "bench";
    auto o = a->ChangePassword(r);
    if (o.ok()) state.SkipWithError("a change with a wrong old password was accepted");
    benchmark::DoNotOptimize(o);
  }
  idb::testing::RemoveTree(dir);
}

void LoginRefused(benchmark::State& state, const char* user) {
  if (Server() == nullptr) {
    state.SkipWithError("slapd did not start");
    return;
  }
  const std::string dir = idb::testing::MakeTempDir("idb-pwchange-bench");
  auto a = Authenticator(dir);
  for (auto _ : state) {
    idb::LoginRequest r;
    r.user = user;
    r.password = idb::Secret("not-the-password-1");
    r.client = "bench";
    auto o = a->Authenticate(r);
    if (o.ok()) state.SkipWithError("a login with a wrong password was accepted");
    benchmark::DoNotOptimize(o);
  }
  idb::testing::RemoveTree(dir);
}

void BM_ChangeUnknownUser(benchmark::State& state) { Refused(state, "nobody-at-all"); }
void BM_LoginUnknownUser(benchmark::State& state) { LoginRefused(state, "nobody-at-all"); }
void BM_LoginWrongPassword(benchmark::State& state) { LoginRefused(state, "mike"); }
void BM_ChangeWrongOldPassword(benchmark::State& state) { Refused(state, "mike"); }

BENCHMARK(BM_ChangeUnknownUser)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ChangeWrongOldPassword)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_LoginUnknownUser)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_LoginWrongPassword)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
