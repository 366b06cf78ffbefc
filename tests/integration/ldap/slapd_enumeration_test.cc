// slapd_enumeration_test.cc — a refusal does not reveal whether an account
// exists (by code, by the work it costs, by the throttle), and the per-user
// throttle counts the account, not the spelling. Against the real slapd (with
// ppolicy: dave is disabled), through DaemonCore as the plugin would call it.
//
// "Same time" is asserted as the same expensive work — password-hash
// computations and directory operations per login (common/work_counters.h);
// the times themselves are measured by tests/bench/enumeration_bench.cc.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/work_counters.h"
#include "daemon/daemon_core.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "slapd_fixture.h"

namespace idb::ldap::testing {
namespace {

struct Shape {
  bool local_admin = false;
  bool offline = false;
  bool throttle = false;
  std::string throttle_keys = "free_failures: 2, lockout_failures: 3";
};

class Enumeration : public SlapdTest {
 protected:
  void SetUp() override {
    SlapdTest::SetUp();
    if (HasFatalFailure()) return;
    daemon::Log::SetQuiet(true);
    env_ = std::make_unique<daemon::testing::DaemonTestEnv>();
  }

  void WriteConfig(const Shape& s) {
    const std::string fx = daemon::testing::DaemonTestEnv::FixtureDir();
    idb::testing::WriteFile(env_->dir() + "/ldap_rules.yaml",
                            "version: 1\ndefault: deny\nrules:\n  - name: everyone\n"
                            "    match: { group_glob: \"*\" }\n    grant_profiles: [technician]\n",
                            0600);
    std::string throttle = s.throttle ? "{enabled: true, " + s.throttle_keys + "}" : "{enabled: false}";
    env_->WriteRawConfig(
        "version: 1\nmappings:\n  catalog: " + fx + "/catalog.yaml\n  profiles: " + fx +
        "/profiles.yaml\n  rules: " + env_->dir() + "/ldap_rules.yaml\nstore:\n  path: " + env_->store_path() +
        "\ndaemon:\n  socket: " + env_->socket_path() + "\n  socket_mode: \"0660\"\n  local_admin: " +
        (s.local_admin ? "true" : "false") + "\n  local_admin_throttle: {enabled: false}\n" +
        "directories:\n  - name: corp\n    preset: openldap\n    uris: [" + server_->ldaps_uri() +
        "]\n    ca_file: " + server_->ca_file() +
        "\n    bind_dn: cn=idbridge-svc,ou=Services,dc=fleet,dc=test\n    bind_password_file: " +
        WriteServicePassword(tmp_) +
        "\n    user_search_base: ou=People,dc=fleet,dc=test\n    group_search_base: ou=Groups,dc=fleet,dc=test\n"
        "    throttle: " + throttle + "\n" +
        (s.offline ? "    offline_logins: {enabled: true, max_age: 1h, hash_iterations: 1000}\n" : ""));
  }

  std::unique_ptr<daemon::DaemonCore> Start(const Shape& s) {
    WriteConfig(s);
    if (s.local_admin) env_->AddLocalAdmin();
    auto core = daemon::DaemonCore::Create(env_->Options());
    EXPECT_TRUE(core.ok()) << core.status().ToString();
    return core.ok() ? std::move(core).value() : nullptr;
  }

  static daemon::Caller Client() { return daemon::Caller{"uid=1000 gid=1000 pid=5", false}; }

  // The work one login costs, and its answer.
  struct Cost {
    WorkCounts work;
    daemon::Reply reply;
  };
  static Cost Try(daemon::DaemonCore& core, const std::string& user, const std::string& password) {
    const WorkCounts before = ThisThreadWork();
    daemon::Reply r = core.Login(user, Secret(password), "", Client());
    return {WorkSince(before), r};
  }

  // Every refusal path costs the same expensive work and says the same thing.
  void ExpectRefusalsAlike(const Shape& s) {
    auto core = Start(s);
    ASSERT_NE(core, nullptr);
    // Warm the pools (the service account's bind on a new connection).
    ASSERT_EQ(core->Login("mike", Secret("mike-pw"), "", Client()).status, 200);
    const Cost wrong = Try(*core, "mike", "wrong-password");
    const Cost unknown = Try(*core, "no-such-user", "wrong-password");
    const Cost disabled = Try(*core, "dave", "wrong-password");
    for (const Cost* c : {&wrong, &unknown, &disabled}) {
      EXPECT_EQ(c->reply.status, 401) << c->reply.body.dump();
      EXPECT_EQ(c->reply.body["error"]["code"], "bad_credentials") << c->reply.body.dump();
    }
    EXPECT_EQ(unknown.work, wrong.work);
    EXPECT_EQ(disabled.work, wrong.work);
    EXPECT_EQ(wrong.work.directory_operations, 2u);  // search + bind
    EXPECT_EQ(wrong.work.password_hashes, s.local_admin ? 1u : 0u);
    if (s.local_admin) {
      const Cost admin_wrong = Try(*core, daemon::testing::kAdminUser, "wrong-password");
      EXPECT_EQ(admin_wrong.reply.body["error"]["code"], "bad_credentials");
      EXPECT_EQ(admin_wrong.work, wrong.work);
    }
  }

  std::unique_ptr<daemon::testing::DaemonTestEnv> env_;
};

TEST_F(Enumeration, RefusalsCostTheSameWorkWithoutLocalAdminsOrOfflineLogins) { ExpectRefusalsAlike({}); }
TEST_F(Enumeration, RefusalsCostTheSameWorkWithLocalAdmins) { ExpectRefusalsAlike({.local_admin = true}); }
TEST_F(Enumeration, RefusalsCostTheSameWorkWithOfflineLogins) { ExpectRefusalsAlike({.offline = true}); }
TEST_F(Enumeration, RefusalsCostTheSameWorkWithLocalAdminsAndOfflineLogins) {
  ExpectRefusalsAlike({.local_admin = true, .offline = true});
}
TEST_F(Enumeration, RefusalsCostTheSameWorkWithTheThrottleOn) {
  ExpectRefusalsAlike({.local_admin = true, .throttle = true, .throttle_keys = "free_failures: 100"});
}

TEST_F(Enumeration, DisabledAccountWithAWrongPasswordLooksLikeAWrongPasswordButTheHistoryKnows) {
  auto core = Start({});
  ASSERT_NE(core, nullptr);
  daemon::Reply r = core->Login("dave", Secret("wrong-password"), "", Client());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["code"], "bad_credentials") << r.body.dump();
  core->FlushHistory();
  auto h = core->store().QueryHistory({});
  ASSERT_TRUE(h.ok());
  ASSERT_FALSE(h->empty());
  EXPECT_EQ(h->back().reason, "account_disabled");
  EXPECT_EQ(h->back().user, "dave");
}

TEST_F(Enumeration, PpolicyDisabledAccountIsNotRevealedEvenWithTheRightPassword) {
  // slapd refuses the bind of a ppolicy-locked account whatever the password,
  // so the password is never proven: the user is told "bad credentials".
  auto core = Start({});
  ASSERT_NE(core, nullptr);
  daemon::Reply r = core->Login("dave", Secret("dave-pw"), "", Client());
  EXPECT_EQ(r.body["error"]["code"], "bad_credentials") << r.body.dump();
  core->FlushHistory();
  auto h = core->store().QueryHistory({});
  ASSERT_TRUE(h.ok());
  ASSERT_FALSE(h->empty());
  EXPECT_EQ(h->back().reason, "account_disabled");
}

TEST_F(Enumeration, UnknownUsersAndWrongPasswordsAreThrottledAfterTheSameCount) {
  auto core = Start({.throttle = true});
  ASSERT_NE(core, nullptr);
  // free_failures 2, lockout 3: the 4th attempt is refused by the throttle.
  // A caller per user, so that the per-client count plays no part.
  for (const char* user : {"mike", "no-such-user"}) {
    const daemon::Caller caller{std::string("uid=1000 pid=") + user, false};
    for (int i = 0; i < 3; ++i) EXPECT_EQ(core->Login(user, Secret("guess"), "", caller).status, 401) << user << i;
    daemon::Reply r = core->Login(user, Secret("guess"), "", caller);
    EXPECT_EQ(r.body["error"]["code"], "account_locked") << user << ": " << r.body.dump();
  }
}

TEST_F(Enumeration, HistoryOfAFailedGuessNamesTheAccountAndTheTypedSpelling) {
  auto core = Start({});
  ASSERT_NE(core, nullptr);
  ASSERT_EQ(core->Login("MIKE", Secret("wrong"), "", Client()).status, 401);
  ASSERT_EQ(core->Login("Nobody-Here", Secret("wrong"), "", Client()).status, 401);
  core->FlushHistory();
  auto h = core->store().QueryHistory({});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].user, "mike");
  EXPECT_EQ((*h)[0].typed_user, "MIKE");
  EXPECT_EQ((*h)[0].reason, "bad_credentials");
  EXPECT_EQ((*h)[1].user, "Nobody-Here");
  EXPECT_EQ((*h)[1].typed_user, "Nobody-Here");
  EXPECT_EQ((*h)[1].reason, "unknown_user");
}

TEST_F(Enumeration, DirectoryThrottleSurvivesAReloadThatKeepsItsSettings) {
  auto core = Start({.throttle = true});
  ASSERT_NE(core, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(core->Login("mike", Secret("guess"), "", Client()).status, 401);
  const daemon::Caller admin{"uid=0", true};
  ASSERT_EQ(core->Reload(admin).status, 200);
  EXPECT_EQ(core->Login("mike", Secret("mike-pw"), "", Client()).body["error"]["code"], "account_locked");
}

TEST_F(Enumeration, DirectoryThrottleStartsAfreshWhenAReloadChangesItsSettings) {
  auto core = Start({.throttle = true});
  ASSERT_NE(core, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(core->Login("mike", Secret("guess"), "", Client()).status, 401);
  WriteConfig({.throttle = true, .throttle_keys = "free_failures: 2, lockout_failures: 4"});
  const daemon::Caller admin{"uid=0", true};
  ASSERT_EQ(core->Reload(admin).status, 200);
  EXPECT_EQ(core->Login("mike", Secret("mike-pw"), "", Client()).status, 200);
}

// --- the per-user throttle counts the account, not the spelling ---

// The client is left empty: only the per-user count is under test.
class AccountThrottle : public SlapdTest {
 protected:
  static LoginRequest Login(const std::string& user, const std::string& password) {
    return testing::Login(user, password, "");
  }
  std::unique_ptr<LdapAuthenticator> Make() {
    DirectoryConfig c = Config();
    c.throttle_enabled = true;
    c.throttle.free_failures = 100;
    c.throttle.lockout_failures = 3;
    return MakeAuthenticator(c);
  }
};

TEST_F(AccountThrottle, SpellingsTheDirectoryFoldsToOneEntryShareOneCount) {
  auto a = Make();
  // slapd's uid matching ignores case: three spellings, one account.
  for (const char* spelling : {"fiona", "FIONA", "Fiona"}) {
    AuthOutcome o = a->Authenticate(Login(spelling, "guess"));
    EXPECT_EQ(o.failure, LoginFailure::kBadCredentials) << spelling << ": " << o.detail;
    EXPECT_EQ(o.account, "fiona");
  }
  EXPECT_EQ(a->Authenticate(Login("fIoNa", "fiona-pw")).failure, LoginFailure::kThrottled);
}

TEST_F(AccountThrottle, UnknownNamesAreCountedUnderTheirNfkcCaseFold) {
  auto a = Make();
  // "nobody", upper case, and full-width Latin (U+FF4E…) fold to one name.
  for (const char* spelling : {"nobody", "NOBODY", "\xef\xbd\x8e\xef\xbd\x8f\xef\xbd\x82\xef\xbd\x8f\xef\xbd\x84\xef\xbd\x99"}) {
    EXPECT_EQ(a->Authenticate(Login(spelling, "guess")).failure, LoginFailure::kUnknownUser) << spelling;
  }
  EXPECT_EQ(a->Authenticate(Login("NoBody", "guess")).failure, LoginFailure::kThrottled);
  EXPECT_EQ(a->Authenticate(Login("somebody-else", "guess")).failure, LoginFailure::kUnknownUser);
}

TEST_F(AccountThrottle, ASuccessClearsTheAccountsCount) {
  auto a = Make();
  for (int i = 0; i < 2; ++i) EXPECT_EQ(a->Authenticate(Login("FIONA", "guess")).failure, LoginFailure::kBadCredentials);
  EXPECT_TRUE(a->Authenticate(Login("fiona", "fiona-pw")).ok());
  for (int i = 0; i < 2; ++i) EXPECT_EQ(a->Authenticate(Login("Fiona", "guess")).failure, LoginFailure::kBadCredentials);
  EXPECT_TRUE(a->Authenticate(Login("fiona", "fiona-pw")).ok());
}

TEST_F(AccountThrottle, DecoyCostsWhatAnUnknownNameCostsAndCountsOnTheThrottle) {
  auto a = Make();
  ASSERT_TRUE(a->Authenticate(Login("fiona", "fiona-pw")).ok());  // warm the pools
  const WorkCounts before = ThisThreadWork();
  EXPECT_EQ(a->Authenticate(Login("nobody", "guess")).failure, LoginFailure::kUnknownUser);
  const WorkCounts unknown = WorkSince(before);
  const WorkCounts before_decoy = ThisThreadWork();
  EXPECT_EQ(a->Decoy(Login("fiona", "fiona-pw")).failure, LoginFailure::kUnknownUser);
  EXPECT_EQ(WorkSince(before_decoy), unknown);
  // The decoy never binds as the account: the right password logs in after it.
  EXPECT_TRUE(a->Authenticate(Login("fiona", "fiona-pw")).ok());
  for (int i = 0; i < 3; ++i) (void)a->Decoy(Login("fiona", "x"));
  EXPECT_EQ(a->Authenticate(Login("fiona", "fiona-pw")).failure, LoginFailure::kThrottled);
}

}  // namespace
}  // namespace idb::ldap::testing
