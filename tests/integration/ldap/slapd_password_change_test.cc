// Integration tests: password changes at sign-in against a real slapd with
// ppolicy (RFC 3062 password modify; pwdMustChange, pwdMinLength,
// pwdInHistory, pwdMinAge). Each test has its own users, so the tests share
// one server.
#include <gtest/gtest.h>

#include "slapd_fixture.h"

namespace idb::ldap::testing {
namespace {

// Policies and users of these tests, added to the demo company.
std::string PolicyLdif() {
  std::string ldif =
      "dn: cn=strict,ou=Policies,dc=fleet,dc=test\n"
      "objectClass: device\nobjectClass: pwdPolicy\ncn: strict\n"
      "pwdAttribute: userPassword\npwdMustChange: TRUE\npwdAllowUserChange: TRUE\n"
      "pwdMinLength: 8\npwdCheckQuality: 2\npwdInHistory: 3\n\n"
      "dn: cn=slow,ou=Policies,dc=fleet,dc=test\n"
      "objectClass: device\nobjectClass: pwdPolicy\ncn: slow\n"
      "pwdAttribute: userPassword\npwdAllowUserChange: TRUE\npwdMinAge: 86400\n\n"
      "dn: cn=aging,ou=Policies,dc=fleet,dc=test\n"
      "objectClass: device\nobjectClass: pwdPolicy\ncn: aging\n"
      "pwdAttribute: userPassword\npwdAllowUserChange: TRUE\npwdMaxAge: 86400\npwdGraceAuthnLimit: 0\n\n"
      "dn: uid=olga,ou=People,dc=fleet,dc=test\nobjectClass: inetOrgPerson\nuid: olga\ncn: olga\nsn: olga\n"
      "userPassword: olga-old-pw1\npwdPolicySubentry: cn=aging,ou=Policies,dc=fleet,dc=test\n"
      "pwdChangedTime: 20200101000000Z\n\n";
  struct U {
    const char* uid;
    const char* policy;
  };
  for (U u : {U{"pat", "strict"}, U{"rita", "strict"}, U{"hans", "strict"}, U{"tina", "strict"}, U{"yan", "slow"},
              U{"gus", "strict"}, U{"thr", "strict"}}) {
    ldif += std::string("dn: uid=") + u.uid + ",ou=People,dc=fleet,dc=test\nobjectClass: inetOrgPerson\nuid: " + u.uid +
            "\ncn: " + u.uid + "\nsn: " + u.uid + "\nuserPassword: " + u.uid + "-old-pw1\npwdPolicySubentry: cn=" +
            u.policy + ",ou=Policies,dc=fleet,dc=test\n\n";
  }
  return ldif;
}

class PasswordChange : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (server_) return;
    idb::testing::SlapdOptions o;
    o.ldif_files = {FixturePath("demo-company.ldif")};
    o.ldif_text = PolicyLdif();
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
    tmp_ = idb::testing::MakeTempDir("idb-pwchange-test");
  }
  void TearDown() override { idb::testing::RemoveTree(tmp_); }

  DirectoryConfig Config() const { return DemoDirectory(*server_, tmp_); }

  static PasswordChangeRequest Change(const std::string& user, const std::string& old_pw, const std::string& new_pw) {
    PasswordChangeRequest r;
    r.user = user;
    r.old_password = Secret(old_pw);
    r.new_password = Secret(new_pw);
    r.client = "test";
    return r;
  }
  // An administrator's reset: ppolicy marks the password "must change" (pwdReset).
  static void AdminReset(const std::string& uid, const std::string& pw) {
    ASSERT_TRUE(server_
                    ->Modify("dn: uid=" + uid + ",ou=People,dc=fleet,dc=test\nchangetype: modify\nreplace: userPassword\n"
                             "userPassword: " + pw + "\n-\nreplace: pwdReset\npwdReset: TRUE\n")
                    .ok());
  }

  static inline idb::testing::SlapdServer* server_ = nullptr;
  std::string tmp_;
};

TEST_F(PasswordChange, SuccessThenLoginWithTheNewPassword) {
  auto a = MakeAuthenticator(Config());
  PasswordChangeOutcome o = a->ChangePassword(Change("pat", "pat-old-pw1", "Pat-New-Pw-2"));
  ASSERT_TRUE(o.ok()) << PasswordChangeReason(o.failure) << ": " << o.detail;
  EXPECT_EQ(o.source, "ldap:demo");
  EXPECT_TRUE(a->Authenticate(Login("pat", "Pat-New-Pw-2")).ok());
  EXPECT_EQ(a->Authenticate(Login("pat", "pat-old-pw1")).failure, LoginFailure::kBadCredentials);
}

TEST_F(PasswordChange, MustChangeAfterResetIsHonouredAtLoginAndCleared) {
  AdminReset("rita", "rita-reset-pw");
  auto a = MakeAuthenticator(Config());
  AuthOutcome login = a->Authenticate(Login("rita", "rita-reset-pw"));
  EXPECT_EQ(login.failure, LoginFailure::kMustChangePassword) << login.detail;
  PasswordChangeOutcome o = a->ChangePassword(Change("rita", "rita-reset-pw", "Rita-New-Pw-2"));
  ASSERT_TRUE(o.ok()) << PasswordChangeReason(o.failure) << ": " << o.detail;
  AuthOutcome after = a->Authenticate(Login("rita", "Rita-New-Pw-2"));
  EXPECT_TRUE(after.ok()) << LoginFailureName(after.failure) << ": " << after.detail;
}

TEST_F(PasswordChange, TooShortIsAPreciseUserShowableReason) {
  auto a = MakeAuthenticator(Config());
  PasswordChangeOutcome o = a->ChangePassword(Change("hans", "hans-old-pw1", "short"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPolicyTooShort) << o.detail;
  EXPECT_NE(o.user_reason.find("too short"), std::string::npos) << o.user_reason;
  EXPECT_TRUE(a->Authenticate(Login("hans", "hans-old-pw1")).ok()) << "a refused change changed nothing";
}

TEST_F(PasswordChange, ReusingARecentPasswordIsRefusedAsHistory) {
  auto a = MakeAuthenticator(Config());
  ASSERT_TRUE(a->ChangePassword(Change("tina", "tina-old-pw1", "Tina-Second-1")).ok());
  PasswordChangeOutcome o = a->ChangePassword(Change("tina", "Tina-Second-1", "tina-old-pw1"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPolicyInHistory) << o.detail;
  EXPECT_FALSE(o.user_reason.empty());
}

TEST_F(PasswordChange, ChangingAgainTooSoonIsRefused) {
  auto a = MakeAuthenticator(Config());
  ASSERT_TRUE(a->ChangePassword(Change("yan", "yan-old-pw1", "Yan-Second-1")).ok());
  PasswordChangeOutcome o = a->ChangePassword(Change("yan", "Yan-Second-1", "Yan-Third-11"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPolicyTooYoung) << o.detail;
}

TEST_F(PasswordChange, WrongOldPasswordAndUnknownUserLookTheSamePublicly) {
  auto a = MakeAuthenticator(Config());
  PasswordChangeOutcome wrong = a->ChangePassword(Change("gus", "not-the-password", "Gus-New-Pw-22"));
  PasswordChangeOutcome unknown = a->ChangePassword(Change("nobody-here", "whatever-pw1", "Gus-New-Pw-22"));
  EXPECT_EQ(wrong.failure, PasswordChangeFailure::kBadCredentials) << wrong.detail;
  EXPECT_EQ(unknown.failure, PasswordChangeFailure::kUnknownUser) << unknown.detail;
  EXPECT_STREQ(PasswordChangePublicCode(wrong.failure), PasswordChangePublicCode(unknown.failure));
  EXPECT_EQ(PasswordChangeHttpStatus(wrong.failure), PasswordChangeHttpStatus(unknown.failure));
  EXPECT_EQ(wrong.detail.find("not-the-password"), std::string::npos);
  EXPECT_TRUE(a->Authenticate(Login("gus", "gus-old-pw1")).ok());
}

TEST_F(PasswordChange, ExpiredWithoutGraceLoginsIsPasswordExpiredAndCannotBeChanged) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome login = a->Authenticate(Login("olga", "olga-old-pw1"));
  EXPECT_EQ(login.failure, LoginFailure::kPasswordExpired) << login.detail;
  PasswordChangeOutcome o = a->ChangePassword(Change("olga", "olga-old-pw1", "Olga-New-Pw-2"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPasswordExpiredNoGrace) << o.detail;
  EXPECT_STREQ(PasswordChangePublicCode(o.failure), "password_expired");
}

TEST_F(PasswordChange, EmptyPasswordsAreRefusedBeforeAnyBind) {
  DirectoryConfig c = Config();
  c.uris = {"ldaps://127.0.0.1:1"};  // nothing listens: any traffic would fail differently
  auto a = MakeAuthenticator(c);
  EXPECT_EQ(a->ChangePassword(Change("pat", "", "New-Password-1")).failure, PasswordChangeFailure::kEmptyPassword);
  EXPECT_EQ(a->ChangePassword(Change("pat", "pat-old-pw1", "")).failure, PasswordChangeFailure::kEmptyPassword);
}

TEST_F(PasswordChange, PlainLdapWithoutStartTlsIsRefusedClearly) {
  DirectoryConfig c = Config();
  c.uris = {server_->ldap_uri()};
  c.start_tls = false;
  c.insecure = true;
  auto a = MakeAuthenticator(c);
  PasswordChangeOutcome o = a->ChangePassword(Change("gus", "gus-old-pw1", "Gus-New-Pw-22"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kTlsRequired);
  EXPECT_NE(o.detail.find("TLS"), std::string::npos) << o.detail;
  EXPECT_TRUE(a->Authenticate(Login("gus", "gus-old-pw1")).ok()) << "nothing was changed";
}

TEST_F(PasswordChange, StartTlsIsEnough) {
  DirectoryConfig c = Config();
  c.uris = {server_->ldap_uri()};
  c.start_tls = true;
  auto a = MakeAuthenticator(c);
  PasswordChangeOutcome o = a->ChangePassword(Change("thr", "thr-old-pw1", "Thr-New-Pw-22"));
  EXPECT_TRUE(o.ok()) << o.detail;
}

TEST_F(PasswordChange, TheLoginThrottleAppliesToWrongOldPasswords) {
  DirectoryConfig c = Config();
  c.throttle_enabled = true;
  c.throttle.free_failures = 2;
  c.throttle.base_delay = std::chrono::hours(1);
  auto a = MakeAuthenticator(c);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(a->ChangePassword(Change("gus", "wrong-old-" + std::to_string(i), "Gus-New-Pw-22")).failure,
              PasswordChangeFailure::kBadCredentials);
  }
  EXPECT_EQ(a->ChangePassword(Change("gus", "wrong-old-x", "Gus-New-Pw-22")).failure, PasswordChangeFailure::kBadCredentials);
  // Now slowed down: refused without asking the directory, even with the right password,
  // and the login shares the throttle.
  EXPECT_EQ(a->ChangePassword(Change("gus", "gus-old-pw1", "Gus-New-Pw-22")).failure, PasswordChangeFailure::kThrottled);
  EXPECT_EQ(a->Authenticate(Login("gus", "gus-old-pw1")).failure, LoginFailure::kThrottled);
}

}  // namespace
}  // namespace idb::ldap::testing
