// Unit tests: failover bookkeeping (back-off with injected time) and the
// authenticator's refusals that happen before any network traffic.
#include <gtest/gtest.h>

#include "ldap/connection_pool.h"
#include "ldap/ldap_authenticator.h"

namespace idb::ldap {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  Clock fn() { return [this] { return now; }; }
};

TEST(ServerSet, FailedServerIsSkippedUntilItsBackOffEnds) {
  FakeClock clock;
  ServerSet s({"ldap://a", "ldap://b"}, 30s, clock.fn());
  s.MarkDown(0);
  EXPECT_EQ(s.Candidates(), std::vector<size_t>{1});
  clock.now += 30s;
  EXPECT_EQ(s.Candidates(), (std::vector<size_t>{0, 1}));
}

TEST(ServerSet, BackOffDoublesAndIsCapped) {
  FakeClock clock;
  ServerSet s({"ldap://a"}, 10s, clock.fn());
  for (int i = 0; i < 10; ++i) s.MarkDown(0);
  clock.now += 79s;
  EXPECT_TRUE(s.Candidates().empty());
  clock.now += 1s;
  EXPECT_EQ(s.Candidates(), std::vector<size_t>{0});
}

TEST(ServerSet, MarkUpClearsTheBackOff) {
  FakeClock clock;
  ServerSet s({"ldap://a"}, 10s, clock.fn());
  s.MarkDown(0);
  s.MarkUp(0);
  EXPECT_FALSE(s.IsDown(0));
}

// An authenticator pointed at a port nothing listens on: every refusal below
// must happen before a connection is even attempted (and so must not be
// "directory unavailable").
std::unique_ptr<LdapAuthenticator> Unreachable() {
  DirectoryConfig c;
  c.name = "corp";
  c.uris = {"ldap://127.0.0.1:1"};
  c.insecure = true;
  c.user_bind_template = "uid={user},ou=People,dc=fleet,dc=test";
  c.user_search_base = "dc=fleet,dc=test";
  c.user_filter = "(uid={user})";
  c.user_name_attribute = "uid";
  c.login_forms = {LoginForm::kPlain};
  c.max_user_name_length = 64;
  auto a = LdapAuthenticator::Create(std::move(c));
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return std::move(*a);
}

LoginRequest Req(std::string user, std::string pw) {
  LoginRequest r;
  r.user = std::move(user);
  r.password = Secret(pw);
  r.client = "test";
  return r;
}

TEST(LdapAuthenticatorRefusals, EmptyPasswordBeforeAnyBind) {
  auto a = Unreachable();
  EXPECT_EQ(a->Authenticate(Req("alice", "")).failure, LoginFailure::kEmptyPassword);
}

TEST(LdapAuthenticatorRefusals, NulByteInName) {
  auto a = Unreachable();
  EXPECT_EQ(a->Authenticate(Req(std::string("alice\0x", 7), "pw")).failure, LoginFailure::kInvalidUserName);
}

TEST(LdapAuthenticatorRefusals, OverlongName) {
  auto a = Unreachable();
  EXPECT_EQ(a->Authenticate(Req(std::string(10240, 'a'), "pw")).failure, LoginFailure::kInvalidUserName);
}

TEST(LdapAuthenticatorRefusals, ForeignLoginFormIsUnknownUser) {
  auto a = Unreachable();
  EXPECT_EQ(a->Authenticate(Req("alice@elsewhere.test", "pw")).failure, LoginFailure::kUnknownUser);
}

TEST(LdapAuthenticatorRefusals, UnreachableServerIsUnavailableNotDenied) {
  auto a = Unreachable();
  AuthOutcome o = a->Authenticate(Req("alice", "pw"));
  EXPECT_EQ(o.failure, LoginFailure::kDirectoryUnavailable) << o.detail;
  EXPECT_EQ(o.detail.find("pw"), std::string::npos);
}

}  // namespace
}  // namespace idb::ldap

namespace idb::ldap {
namespace {

TEST(LdapAuthenticatorSetup, UnreadableBindPasswordRefusesEveryLoginButDoesNotFailCreate) {
  DirectoryConfig c;
  c.name = "corp";
  c.uris = {"ldaps://127.0.0.1:1"};
  c.bind_dn = "cn=svc,dc=fleet,dc=test";
  c.bind_password_file = "/nonexistent/idbridge/bind.pw";
  c.user_search_base = "dc=fleet,dc=test";
  c.user_filter = "(uid={user})";
  c.login_forms = {LoginForm::kPlain};
  auto a = LdapAuthenticator::Create(std::move(c));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE((*a)->setup_error().ok());
  LoginRequest r;
  r.user = "alice";
  r.password = Secret("pw");
  EXPECT_EQ((*a)->Authenticate(r).failure, LoginFailure::kInternal);
  EXPECT_FALSE((*a)->Lookup("alice").ok());
}

}  // namespace
}  // namespace idb::ldap
