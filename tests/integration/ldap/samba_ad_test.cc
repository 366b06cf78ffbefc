// Integration tests: Active Directory specifics against a real Samba AD DC.
// Samba is provisioned ONCE for this binary (a gtest Environment); when it
// cannot run here every test is skipped with the reason.
#include <gtest/gtest.h>

#include <chrono>

#include "common/work_counters.h"
#include "ldap/ldap_authenticator.h"
#include "samba_dc.h"

namespace idb::ldap::testing {
namespace {

idb::testing::SambaDc* g_dc = nullptr;
std::string g_skip_reason;

class SambaEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_skip_reason = idb::testing::SambaDc::CannotRunReason();
    if (!g_skip_reason.empty()) return;
    auto dc = idb::testing::SambaDc::Start();
    if (!dc.ok()) {
      g_skip_reason = "Samba AD DC could not be started: " + dc.status().message();
      return;
    }
    g_dc = std::move(*dc).release();
  }
  void TearDown() override {
    delete g_dc;
    g_dc = nullptr;
  }
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new SambaEnvironment);

class SambaAd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (g_dc == nullptr) GTEST_SKIP() << "Samba AD tests skipped: " << g_skip_reason;
    tmp_ = idb::testing::MakeTempDir("idb-samba-test");
  }
  void TearDown() override { idb::testing::RemoveTree(tmp_); }

  DirectoryConfig Config() {
    DirectoryConfig c;
    c.name = "ad";
    c.preset = DirectoryPreset::kActiveDirectory;
    c.uris = {g_dc->ldaps_uri()};
    c.ca_file = g_dc->ca_file();
    c.bind_dn = std::string(idb::testing::SambaDc::kServiceUser) + "@fleet.test";
    c.bind_password_file = tmp_ + "/svc.pw";
    idb::testing::WriteFile(c.bind_password_file, idb::testing::SambaDc::kServicePassword, 0600);
    c.user_search_base = g_dc->base_dn();
    c.user_filter = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={user}))";
    c.user_name_attribute = "sAMAccountName";
    c.login_forms = {LoginForm::kPlain, LoginForm::kUpn, LoginForm::kDownLevel};
    c.upn_domains = {"fleet.test"};
    c.netbios_domain = "FLEET";
    c.group_filter = "(objectClass=group)";
    c.member_attribute = "member";
    c.nested_method = NestedMethod::kInChain;
    c.primary_group = true;
    c.page_size = 1000;
    c.claims = {{"department", "department"}, {"title", "title"}, {"mail", "mail"}};
    c.throttle_enabled = false;
    return c;
  }
  std::unique_ptr<LdapAuthenticator> Make(DirectoryConfig c) {
    auto a = LdapAuthenticator::Create(std::move(c));
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }
  static LoginRequest Login(const std::string& user, const std::string& pw) {
    LoginRequest r;
    r.user = user;
    r.password = Secret(pw);
    r.client = "samba-test";
    return r;
  }
  static const DirectoryGroup* Find(const Identity& id, const std::string& cn) {
    for (const auto& g : id.groups) if (g.cn == cn) return &g;
    return nullptr;
  }
  std::string tmp_;
};

const std::string kPw = idb::testing::SambaDc::kUserPassword;

TEST_F(SambaAd, SamAccountNameLoginGivesNestedAndPrimaryGroups) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("alice", kPw));
  ASSERT_TRUE(o.ok()) << LoginFailureName(o.failure) << ": " << o.detail;
  const Identity& id = o.success.identity;
  EXPECT_EQ(id.user, "alice");
  ASSERT_NE(Find(id, "Senior Mechanics"), nullptr);
  EXPECT_TRUE(Find(id, "Senior Mechanics")->via.empty());
  ASSERT_NE(Find(id, "Mechanics"), nullptr) << "IN_CHAIN did not return the nested group";
  EXPECT_EQ(Find(id, "Mechanics")->via, std::vector<std::string>{"Senior Mechanics"});
  ASSERT_NE(Find(id, "Domain Users"), nullptr) << "primary group missing";
  EXPECT_EQ(Find(id, "Domain Users")->sid.substr(0, 9), "S-1-5-21-");
  EXPECT_EQ(Find(id, "Domain Users")->sid.substr(Find(id, "Domain Users")->sid.size() - 4), "-513");
  EXPECT_EQ(id.claims.at("department"), std::vector<std::string>{"Maintenance"});
}

TEST_F(SambaAd, GroupsCarryTheirObjectSid) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("alice", kPw));
  ASSERT_TRUE(o.ok()) << o.detail;
  // Domain groups are S-1-5-21-…; BUILTIN\\Users (reached through Domain Users) is S-1-5-32-545.
  for (const auto& g : o.success.identity.groups) EXPECT_EQ(g.sid.rfind("S-1-5-", 0), 0u) << g.dn;
  EXPECT_EQ(Find(o.success.identity, "Mechanics")->sid.rfind("S-1-5-21-", 0), 0u);
}

TEST_F(SambaAd, TokenGroupsGiveTheSameGroups) {
  DirectoryConfig c = Config();
  c.nested_method = NestedMethod::kTokenGroups;
  auto a = Make(c);
  AuthOutcome o = a->Authenticate(Login("alice", kPw));
  ASSERT_TRUE(o.ok()) << o.detail;
  ASSERT_NE(Find(o.success.identity, "Mechanics"), nullptr);
  EXPECT_EQ(Find(o.success.identity, "Mechanics")->via, std::vector<std::string>{"Senior Mechanics"});
  EXPECT_NE(Find(o.success.identity, "Domain Users"), nullptr);
}

TEST_F(SambaAd, UpnLogin) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("alice@fleet.test", kPw));
  ASSERT_TRUE(o.ok()) << o.detail;
  EXPECT_EQ(o.success.identity.user, "alice");
}

TEST_F(SambaAd, DownLevelLogin) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("FLEET\\alice", kPw));
  ASSERT_TRUE(o.ok()) << o.detail;
  EXPECT_EQ(o.success.identity.user, "alice");
}

TEST_F(SambaAd, StartTlsOnPort389) {
  DirectoryConfig c = Config();
  c.uris = {g_dc->ldap_uri()};
  c.start_tls = true;
  auto a = Make(c);
  AuthOutcome o = a->Authenticate(Login("mike", kPw));
  EXPECT_TRUE(o.ok()) << o.detail;
}

TEST_F(SambaAd, WrongPasswordIsBadCredentials52e) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("mike", "Wrong-Password-1"));
  EXPECT_EQ(o.failure, LoginFailure::kBadCredentials) << o.detail;
  EXPECT_NE(o.detail.find("52e"), std::string::npos) << o.detail;
}

TEST_F(SambaAd, UnknownUser) {
  auto a = Make(Config());
  EXPECT_EQ(a->Authenticate(Login("nobody", kPw)).failure, LoginFailure::kUnknownUser);
}

TEST_F(SambaAd, EmptyPasswordIsRefusedBeforeBind) {
  auto a = Make(Config());
  EXPECT_EQ(a->Authenticate(Login("mike", "")).failure, LoginFailure::kEmptyPassword);
}

TEST_F(SambaAd, DisabledAccount533) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("dave", kPw));
  EXPECT_EQ(o.failure, LoginFailure::kAccountDisabled) << o.detail;
}

TEST_F(SambaAd, ExpiredAccount701) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("emma", kPw));
  EXPECT_EQ(o.failure, LoginFailure::kAccountExpired) << o.detail;
}

TEST_F(SambaAd, MustChangePassword773) {
  auto a = Make(Config());
  AuthOutcome o = a->Authenticate(Login("nick", kPw));
  EXPECT_EQ(o.failure, LoginFailure::kMustChangePassword) << o.detail;
}

TEST_F(SambaAd, LockedAccount775AfterTheDomainThreshold) {
  auto a = Make(Config());
  for (int i = 0; i < 3; ++i) (void)a->Authenticate(Login("lara", "Wrong-Password-" + std::to_string(i)));
  AuthOutcome o = a->Authenticate(Login("lara", kPw));
  EXPECT_EQ(o.failure, LoginFailure::kAccountLocked) << o.detail;
}

// --- no user enumeration: states only after a proven password, same work ---

TEST_F(SambaAd, StatesAreProvenOnlyByTheRightPassword) {
  auto a = Make(Config());
  for (const char* user : {"dave", "emma", "nick"}) {
    AuthOutcome right = a->Authenticate(Login(user, kPw));
    EXPECT_TRUE(IsAccountState(right.failure)) << user << ": " << right.detail;
    EXPECT_TRUE(right.password_proven) << user << ": " << right.detail;
    AuthOutcome wrong = a->Authenticate(Login(user, "Wrong-Password-1"));
    EXPECT_FALSE(wrong.password_proven) << user << ": " << wrong.detail;
    EXPECT_EQ(wrong.account, user);
  }
  // The history still learns the precise state from the entry.
  EXPECT_EQ(a->Authenticate(Login("dave", "Wrong-Password-2")).failure, LoginFailure::kAccountDisabled);
}

TEST_F(SambaAd, LockedAccountIsNeverProven775) {
  auto a = Make(Config());
  for (int i = 0; i < 3; ++i) (void)a->Authenticate(Login("lara", "Wrong-Password-" + std::to_string(i)));
  AuthOutcome o = a->Authenticate(Login("lara", kPw));
  EXPECT_EQ(o.failure, LoginFailure::kAccountLocked) << o.detail;
  EXPECT_FALSE(o.password_proven) << o.detail;
}

TEST_F(SambaAd, EveryRefusalCostsTheSameDirectoryWork) {
  auto a = Make(Config());
  ASSERT_TRUE(a->Authenticate(Login("alice", kPw)).ok());  // warm the pools
  auto cost = [&](const std::string& user) {
    const WorkCounts before = ThisThreadWork();
    AuthOutcome o = a->Authenticate(Login(user, "Wrong-Password-9"));
    EXPECT_FALSE(o.ok()) << user;
    return WorkSince(before);
  };
  const WorkCounts wrong = cost("alice");
  EXPECT_EQ(wrong.directory_operations, 2u);  // search + bind
  EXPECT_EQ(cost("nobody"), wrong);
  EXPECT_EQ(cost("FLEET\\nobody"), wrong);
  EXPECT_EQ(cost("dave"), wrong);
  EXPECT_EQ(cost("emma"), wrong);
  ASSERT_TRUE(a->Authenticate(Login("alice", kPw)).ok());  // clears AD's bad-password count
}

TEST_F(SambaAd, ThrottleCountsTheAccountWhateverTheSpelling) {
  DirectoryConfig c = Config();
  c.throttle_enabled = true;
  c.throttle.free_failures = 100;
  c.throttle.lockout_failures = 2;  // below the domain's lockout threshold (3)
  auto a = Make(c);
  // Clear AD's bad-password count left by earlier tests.
  ASSERT_TRUE(Make(Config())->Authenticate(Login("mike", kPw)).ok());
  auto attempt = [&](const std::string& user, const std::string& pw) {
    LoginRequest r = Login(user, pw);
    r.client.clear();  // only the per-user count is under test
    return a->Authenticate(r);
  };
  EXPECT_EQ(attempt("mike@fleet.test", "Wrong-Password-1").failure, LoginFailure::kBadCredentials);
  EXPECT_EQ(attempt("FLEET\\mike", "Wrong-Password-2").failure, LoginFailure::kBadCredentials);
  AuthOutcome o = attempt("MIKE", kPw);
  EXPECT_EQ(o.failure, LoginFailure::kThrottled) << o.detail;
  EXPECT_EQ(o.account, "mike");
  // Unknown names: every spelling of the bare name shares one count.
  EXPECT_EQ(attempt("nobody@fleet.test", "x-1").failure, LoginFailure::kUnknownUser);
  EXPECT_EQ(attempt("FLEET\\NOBODY", "x-2").failure, LoginFailure::kUnknownUser);
  EXPECT_EQ(attempt("Nobody", "x-3").failure, LoginFailure::kThrottled);
  // Another authenticator (a throttle of its own): clear AD's count again.
  AuthOutcome right = Make(Config())->Authenticate(Login("mike", kPw));
  EXPECT_TRUE(right.ok()) << right.detail;
}

TEST_F(SambaAd, LookupRereadsGroups) {
  auto a = Make(Config());
  auto id = a->Lookup("alice");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_NE(Find(*id, "Mechanics"), nullptr);
}

TEST_F(SambaAd, GroupsExistFindsMissingGroups) {
  auto a = Make(Config());
  auto r = a->GroupsExist({"CN=Mechanics,CN=Users,DC=fleet,DC=test", "CN=Mechanix,CN=Users,DC=fleet,DC=test"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<bool>{true, false}));
}

// ---- password change (unicodePwd delete-old/add-new over LDAPS) ----------

class SambaPasswordChange : public SambaAd {
 protected:
  void SetUp() override {
    SambaAd::SetUp();
    if (g_dc == nullptr) return;
    // Provisioning's minimum password age (1 day) would refuse every change of
    // a password set today; the tests of that rule run against slapd.
    ASSERT_TRUE(g_dc->Tool({"domain", "passwordsettings", "set", "--min-pwd-age=0"}).ok());
  }
  // A fresh user with kPw, so tests never depend on each other.
  std::string NewUser(const std::string& name) {
    EXPECT_TRUE(g_dc->Tool({"user", "create", name, kPw}).ok());
    return name;
  }
  static PasswordChangeRequest Change(const std::string& user, const std::string& old_pw, const std::string& new_pw) {
    PasswordChangeRequest r;
    r.user = user;
    r.old_password = Secret(old_pw);
    r.new_password = Secret(new_pw);
    r.client = "samba-test";
    return r;
  }
  // Makes the user's password older than the domain's maximum age (42 days):
  // pwdLastSet written straight into sam.ldb, past Samba's password_hash
  // module (no LDAP client may set it to anything but 0 or -1). Samba reads
  // pwdLastSet at every bind, so the running DC sees it.
  static Status AgePassword(const std::string& user) {
    const int64_t old_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count() - 100 * 86400;
    const int64_t filetime = old_unix * 10000000 + 116444736000000000LL;
    const std::string script =
        "import sys, ldb\n"
        "from samba import dsdb\nfrom samba.samdb import SamDB\nfrom samba.param import LoadParm\n"
        "from samba.auth import system_session\n"
        "lp = LoadParm(); lp.load(sys.argv[1])\n"
        "db = SamDB(url=sys.argv[2], session_info=system_session(), lp=lp)\n"
        "res = db.search(base=db.domain_dn(), expression='(sAMAccountName=%s)' % sys.argv[3], attrs=['dn'])\n"
        "m = ldb.Message(); m.dn = res[0].dn\n"
        "m['pwdLastSet'] = ldb.MessageElement(sys.argv[4], ldb.FLAG_MOD_REPLACE, 'pwdLastSet')\n"
        "db.modify(m, controls=['local_oid:%s:0' % dsdb.DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID])\n";
    auto r = idb::testing::RunCommand({"/usr/bin/python3", "-c", script, g_dc->dir() + "/etc/smb.conf",
                                       g_dc->dir() + "/private/sam.ldb", user, std::to_string(filetime)});
    if (r.exit_code != 0) return Internal("cannot age the password: " + r.output);
    return Status::Ok();
  }
};

TEST_F(SambaPasswordChange, MustChangeAccount773ChangesThenSignsIn) {
  const std::string u = NewUser("pwc-must");
  ASSERT_TRUE(g_dc->Tool({"user", "setpassword", u, "--newpassword=" + kPw, "--must-change-at-next-login"}).ok());
  auto a = Make(Config());
  AuthOutcome before = a->Authenticate(Login(u, kPw));
  ASSERT_EQ(before.failure, LoginFailure::kMustChangePassword) << before.detail;
  PasswordChangeOutcome o = a->ChangePassword(Change(u, kPw, "Brand-New-2025!"));
  ASSERT_TRUE(o.ok()) << PasswordChangeReason(o.failure) << ": " << o.detail;
  EXPECT_EQ(o.source, "ldap:ad");
  AuthOutcome after = a->Authenticate(Login(u, "Brand-New-2025!"));
  EXPECT_TRUE(after.ok()) << LoginFailureName(after.failure) << ": " << after.detail;
  // (The old password is not asserted refused: Samba, like Windows, accepts
  // the previous password for "old password allowed period", 60 minutes.)
}

TEST_F(SambaPasswordChange, ExpiredPassword532ChangesThenSignsIn) {
  const std::string u = NewUser("pwc-expired");
  Status aged = AgePassword(u);
  ASSERT_TRUE(aged.ok()) << aged.ToString();
  auto a = Make(Config());
  AuthOutcome before = a->Authenticate(Login(u, kPw));
  ASSERT_EQ(before.failure, LoginFailure::kPasswordExpired) << LoginFailureName(before.failure) << ": " << before.detail;
  PasswordChangeOutcome o = a->ChangePassword(Change(u, kPw, "Renewed-Pass-2025!"));
  ASSERT_TRUE(o.ok()) << PasswordChangeReason(o.failure) << ": " << o.detail;
  AuthOutcome after = a->Authenticate(Login(u, "Renewed-Pass-2025!"));
  EXPECT_TRUE(after.ok()) << LoginFailureName(after.failure) << ": " << after.detail;
}

TEST_F(SambaPasswordChange, TooShortGivesTheDomainMinimum) {
  const std::string u = NewUser("pwc-short");
  auto a = Make(Config());
  PasswordChangeOutcome o = a->ChangePassword(Change(u, kPw, "Ab1!"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPolicyTooShort) << o.detail;
  EXPECT_NE(o.user_reason.find("at least 7 characters"), std::string::npos) << o.user_reason;
  EXPECT_TRUE(a->Authenticate(Login(u, kPw)).ok()) << "a refused change changed nothing";
}

TEST_F(SambaPasswordChange, NotComplexEnough) {
  const std::string u = NewUser("pwc-simple");
  auto a = Make(Config());
  PasswordChangeOutcome o = a->ChangePassword(Change(u, kPw, "alllowercaseletters"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPolicyComplexity) << o.detail;
  EXPECT_FALSE(o.user_reason.empty());
}

TEST_F(SambaPasswordChange, ThePasswordInUseIsInTheHistory) {
  const std::string u = NewUser("pwc-history");
  auto a = Make(Config());
  PasswordChangeOutcome o = a->ChangePassword(Change(u, kPw, kPw));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kPolicyInHistory) << o.detail;
}

TEST_F(SambaPasswordChange, WrongOldPasswordAndUnknownUserLookTheSamePublicly) {
  const std::string u = NewUser("pwc-wrong");
  auto a = Make(Config());
  PasswordChangeOutcome wrong = a->ChangePassword(Change(u, "Not-The-Password-1", "Another-Pass-2025!"));
  PasswordChangeOutcome unknown = a->ChangePassword(Change("pwc-nobody", kPw, "Another-Pass-2025!"));
  EXPECT_EQ(wrong.failure, PasswordChangeFailure::kBadCredentials) << wrong.detail;
  EXPECT_EQ(unknown.failure, PasswordChangeFailure::kUnknownUser) << unknown.detail;
  EXPECT_STREQ(PasswordChangePublicCode(wrong.failure), PasswordChangePublicCode(unknown.failure));
  EXPECT_TRUE(a->Authenticate(Login(u, kPw)).ok());
}

TEST_F(SambaPasswordChange, PlainLdapIsRefusedBeforeAnythingIsSent) {
  DirectoryConfig c = Config();
  c.uris = {g_dc->ldap_uri()};
  c.insecure = true;
  auto a = Make(c);
  PasswordChangeOutcome o = a->ChangePassword(Change("alice", kPw, "Another-Pass-2025!"));
  EXPECT_EQ(o.failure, PasswordChangeFailure::kTlsRequired) << o.detail;
}

}  // namespace
}  // namespace idb::ldap::testing
