// daemon_core_test.cc — DaemonCore without HTTP: logins, sessions, refresh,
// reload, revoke, history, with an injected clock (no sleeping).
#include "daemon/daemon_core.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "daemon/log.h"
#include "daemon_test_env.h"

namespace idb::daemon {
namespace {

using testing::DaemonTestEnv;
using testing::kAdminPassword;
using testing::kAdminUser;
using std::chrono::seconds;

class DaemonCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Log::SetQuiet(true);
    env_.AddLocalAdmin();
    now_ = std::chrono::system_clock::now();
  }
  std::unique_ptr<DaemonCore> Make() {
    DaemonOptions o = env_.Options();
    o.clock = [this] { return now_; };
    auto core = DaemonCore::Create(o);
    EXPECT_TRUE(core.ok()) << core.status().ToString();
    return core.ok() ? std::move(core).value() : nullptr;
  }
  Caller User() { return Caller{"uid=1000 gid=1000 pid=1", false}; }
  Caller Admin() { return Caller{"uid=0 gid=0 pid=1", true}; }
  Reply LoginAdmin(DaemonCore& core) { return core.Login(kAdminUser, Secret(kAdminPassword), "test", User()); }

  DaemonTestEnv env_;
  SystemTime now_;
};

TEST_F(DaemonCoreTest, LocalAdminLoginGivesSessionAndDecisions) {
  auto core = Make();
  Reply r = LoginAdmin(*core);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_TRUE(LooksLikeSessionId(r.body["session"]));
  EXPECT_EQ(r.body["user"], kAdminUser);
  EXPECT_EQ(r.body["source"], "local");
  EXPECT_EQ(r.body["expires_in"], 3600);
  EXPECT_EQ(r.body["refresh_in"], 60);
  auto ds = DecisionSet::FromJson(r.body["decisions"]);
  ASSERT_TRUE(ds.ok());
  EXPECT_TRUE(ds->Check("work_orders.edit", "Depot A", ""));
  EXPECT_FALSE(ds->Check("work_orders.delete", "Depot A", ""));
}

TEST_F(DaemonCoreTest, WrongPasswordAndUnknownUserGiveTheSameAnswer) {
  auto core = Make();
  Reply wrong = core->Login(kAdminUser, Secret("wrong password!"), "", User());
  Reply unknown = core->Login("nobody", Secret("wrong password!"), "", User());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.body["error"]["code"], "bad_credentials");
}

// --- break-glass login throttle (default ThrottleSettings: 3 free failures,
// then 1 s doubling, lockout after 10 failures within 15 min for 15 min) ---

TEST_F(DaemonCoreTest, LocalAdminWrongPasswordsSlowDownThenTheRightOneIsRefusedUntilLater) {
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=7", false};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(core->Login(kAdminUser, Secret("wrong password!"), "", c).status, 401);
  Reply r = core->Login(kAdminUser, Secret(kAdminPassword), "", c);
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "account_locked");
  now_ += seconds(2);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 200);
}

TEST_F(DaemonCoreTest, LocalAdminIsLockedOutAfterTenFailuresAndHistorySaysThrottled) {
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=8", false};
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(core->Login(kAdminUser, Secret("wrong password!"), "", c).status, 401) << i;
    now_ += seconds(31);  // past every slow-down, still inside the 15-minute window
  }
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 403);
  now_ += seconds(14 * 60);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 403);
  now_ += seconds(61);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 200);
  core->FlushHistory();
  auto store = env_.OpenStore();
  auto h = store->QueryHistory({});
  ASSERT_TRUE(h.ok());
  int throttled = 0;
  for (const auto& row : *h) throttled += row.reason == "throttled";
  EXPECT_EQ(throttled, 2);
}

TEST_F(DaemonCoreTest, UnknownUsersCountForTheClientAddressLikeWrongAdminPasswords) {
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=9", false};
  const LoginContext from{"", "10.0.0.9", "", ""};
  for (const char* u : {"nobody1", "nobody2", "nobody3", "nobody4"}) {
    EXPECT_EQ(core->Login(u, Secret("some password"), from, c).status, 401);
  }
  // The end user's address is slowed down: even the real admin's right password waits.
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), from, c).status, 403);
  // Another address through the same host process is not affected.
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), LoginContext{"", "10.0.0.10", "", ""}, c).status, 200);
}

TEST_F(DaemonCoreTest, ThrottledUnknownUserAndThrottledAdminGiveTheSameAnswer) {
  auto core = Make();
  const Caller a{"uid=1000 gid=1000 pid=10", false};
  const Caller b{"uid=1000 gid=1000 pid=11", false};
  for (int i = 0; i < 4; ++i) {
    (void)core->Login(kAdminUser, Secret("wrong password!"), "", a);
    (void)core->Login("nobody", Secret("wrong password!"), "", b);
  }
  Reply admin = core->Login(kAdminUser, Secret("wrong password!"), "", a);
  Reply nobody = core->Login("nobody", Secret("wrong password!"), "", b);
  EXPECT_EQ(admin.status, nobody.status);
  EXPECT_EQ(admin.body, nobody.body);
  EXPECT_EQ(admin.body["error"]["code"], "account_locked");
}

TEST_F(DaemonCoreTest, LocalAdminThrottleSurvivesAReload) {
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=12", false};
  for (int i = 0; i < 4; ++i) (void)core->Login(kAdminUser, Secret("wrong password!"), "", c);
  ASSERT_EQ(core->Reload(Admin()).status, 200);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 403);
}

TEST_F(DaemonCoreTest, LocalAdminThrottleFollowsItsConfiguration) {
  env_.WriteConfig("rules.yaml",
                   "local_admin_throttle:\n  free_failures: 10\n  lockout_failures: 2\n  lockout: 1h\n");
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=13", false};
  for (int i = 0; i < 2; ++i) EXPECT_EQ(core->Login(kAdminUser, Secret("wrong password!"), "", c).status, 401);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 403);  // locked after 2
  now_ += seconds(59 * 60);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 403);
  now_ += seconds(61);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 200);
}

TEST_F(DaemonCoreTest, ReloadWithNewThrottleSettingsStartsAfreshAndTheSameSettingsKeepTheCounts) {
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=14", false};
  for (int i = 0; i < 4; ++i) (void)core->Login(kAdminUser, Secret("wrong password!"), "", c);
  env_.WriteConfig("rules.yaml", "local_admin_throttle:\n  free_failures: 5\n");
  ASSERT_EQ(core->Reload(Admin()).status, 200);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 200);  // a new throttle
  for (int i = 0; i < 6; ++i) (void)core->Login(kAdminUser, Secret("wrong password!"), "", c);
  ASSERT_EQ(core->Reload(Admin()).status, 200);  // unchanged settings: the counts stay
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 403);
}

TEST_F(DaemonCoreTest, LocalAdminThrottleCanBeTurnedOff) {
  env_.WriteConfig("rules.yaml", "local_admin_throttle: {enabled: false}\n");
  auto core = Make();
  const Caller c{"uid=1000 gid=1000 pid=15", false};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(core->Login(kAdminUser, Secret("wrong password!"), "", c).status, 401);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), "", c).status, 200);
}

TEST_F(DaemonCoreTest, EmptyPasswordIsRefusedAndRecorded) {
  auto core = Make();
  Reply r = core->Login(kAdminUser, Secret(""), "", User());
  EXPECT_EQ(r.body["error"]["code"], "bad_credentials");
  core->FlushHistory();
  auto store = env_.OpenStore();
  auto history = store->QueryHistory({});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].reason, "empty_password");
  EXPECT_FALSE((*history)[0].success);
}

TEST_F(DaemonCoreTest, OverlongUserNameIsBadCredentials) {
  auto core = Make();
  Reply r = core->Login(std::string(10000, 'a'), Secret("x"), "", User());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["code"], "bad_credentials");
}

TEST_F(DaemonCoreTest, HistoryRecordsSuccessWithClientAndNeverThePassword) {
  auto core = Make();
  ASSERT_EQ(LoginAdmin(*core).status, 200);
  core->FlushHistory();
  auto store = env_.OpenStore();
  auto history = store->QueryHistory({});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  const auto& rec = (*history)[0];
  EXPECT_TRUE(rec.success);
  EXPECT_EQ(rec.method, "local");
  EXPECT_EQ(rec.client, "uid=1000 gid=1000 pid=1 app=test");
  EXPECT_EQ(rec.detail.find(kAdminPassword), std::string::npos);
}

TEST_F(DaemonCoreTest, SessionExpiresAfterTtl) {
  auto core = Make();
  std::string id = LoginAdmin(*core).body["session"];
  now_ += seconds(3599);
  EXPECT_EQ(core->GetSession(id).status, 200);
  now_ += seconds(2);
  Reply r = core->GetSession(id);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"]["code"], "unknown_session");
}

TEST_F(DaemonCoreTest, RefreshSeesANewDenyOverride) {
  auto core = Make();
  std::string id = LoginAdmin(*core).body["session"];
  auto store = env_.OpenStore();
  store::NewOverride o;
  o.user = kAdminUser;
  o.effect = OverrideEffect::kDeny;
  o.permission = "work_orders.edit";
  ASSERT_TRUE(store->AddOverride(o, "test", now_).ok());
  Reply r = core->RefreshSession(id);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto ds = DecisionSet::FromJson(r.body["decisions"]);
  ASSERT_TRUE(ds.ok());
  EXPECT_FALSE(ds->Check("work_orders.edit", "Depot A", ""));
  EXPECT_TRUE(ds->Check("work_orders.view", "Depot A", ""));
}

TEST_F(DaemonCoreTest, RefreshEndsTheSessionOfARemovedLocalAdmin) {
  auto core = Make();
  std::string id = LoginAdmin(*core).body["session"];
  ASSERT_TRUE(env_.OpenStore()->RemoveLocalAdmin(kAdminUser, "test", now_).ok());
  EXPECT_EQ(core->RefreshSession(id).body["error"]["code"], "unknown_session");
  EXPECT_EQ(core->GetSession(id).status, 404);
}

TEST_F(DaemonCoreTest, LogoutEndsTheSession) {
  auto core = Make();
  std::string id = LoginAdmin(*core).body["session"];
  EXPECT_EQ(core->Logout(id, User()).status, 200);
  EXPECT_EQ(core->GetSession(id).status, 404);
  EXPECT_EQ(core->Logout(id, User()).status, 404);
}

TEST_F(DaemonCoreTest, MalformedSessionIdsAreUnknown) {
  auto core = Make();
  for (const std::string& bad : std::vector<std::string>{"", "abc", std::string(64, 'G'), std::string(65, 'a'), "../../etc"}) {
    EXPECT_EQ(core->GetSession(bad).status, 404) << bad;
    EXPECT_EQ(core->RefreshSession(bad).status, 404) << bad;
  }
}

TEST_F(DaemonCoreTest, ServerSideCheckDeniesUnknownSession) {
  auto core = Make();
  Reply r = core->Check(std::string(64, 'a'), "work_orders.view", "Depot A", "");
  EXPECT_EQ(r.body["allow"], false);
}

TEST_F(DaemonCoreTest, ServerSideCheckAnswersFromTheSession) {
  auto core = Make();
  std::string id = LoginAdmin(*core).body["session"];
  EXPECT_EQ(core->Check(id, "work_orders.view", "Depot A", "").body["allow"], true);
  EXPECT_EQ(core->Check(id, "work_orders.delete", "Depot A", "").body["allow"], false);
  EXPECT_EQ(core->Check(id, "", "", "").status, 400);
}

TEST_F(DaemonCoreTest, RevokeEndsEverySessionOfTheUser) {
  auto core = Make();
  std::string a = LoginAdmin(*core).body["session"];
  std::string b = LoginAdmin(*core).body["session"];
  Reply r = core->Revoke(kAdminUser, Admin());
  EXPECT_EQ(r.body["revoked"], 2);
  EXPECT_EQ(core->GetSession(a).status, 404);
  EXPECT_EQ(core->GetSession(b).status, 404);
}

TEST_F(DaemonCoreTest, RevokeNeedsAnAdminCaller) {
  auto core = Make();
  std::string a = LoginAdmin(*core).body["session"];
  EXPECT_EQ(core->Revoke(kAdminUser, User()).status, 403);
  EXPECT_EQ(core->GetSession(a).status, 200);
}

TEST_F(DaemonCoreTest, RevokeIsInTheSecurityLog) {
  auto core = Make();
  (void)core->Revoke(kAdminUser, Admin());
  auto log = env_.OpenStore()->ListSecurityLog(0, 100);
  ASSERT_TRUE(log.ok());
  bool found = false;
  for (const auto& e : *log) found = found || (e.event.action == "session.revoke" && e.event.target == kAdminUser);
  EXPECT_TRUE(found);
}

TEST_F(DaemonCoreTest, ReloadWithABrokenConfigKeepsTheOldOneAndSaysWhere) {
  auto core = Make();
  const std::string old_hash = core->runtime()->config->files_hash;
  env_.WriteRawConfig("version: 1\nmappings:\n  catalog: [unclosed\n");
  Reply r = core->Reload(Admin());
  EXPECT_EQ(r.status, 422);
  ASSERT_TRUE(r.body["error"]["errors"].is_array());
  ASSERT_FALSE(r.body["error"]["errors"].empty());
  EXPECT_GT(r.body["error"]["errors"][0]["line"].get<int>(), 0);
  EXPECT_EQ(core->runtime()->config->files_hash, old_hash);
  EXPECT_EQ(LoginAdmin(*core).status, 200);
  EXPECT_EQ(core->metrics().ReloadCount(false), 1u);
}

TEST_F(DaemonCoreTest, ReloadWithAnUnknownDaemonKeyIsRejected) {
  auto core = Make();
  env_.WriteConfig("rules.yaml", "sesion_ttl: 10\n");
  Reply r = core->Reload(Admin());
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.dump().find("session_ttl"), std::string::npos) << r.body.dump();
}

TEST_F(DaemonCoreTest, ReloadSwapsInANewPolicyForNewLogins) {
  auto core = Make();
  env_.WriteConfig("rules_admin.yaml");
  Reply r = core->Reload(Admin());
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto ds = DecisionSet::FromJson(LoginAdmin(*core).body["decisions"]);
  ASSERT_TRUE(ds.ok());
  EXPECT_TRUE(ds->Check("work_orders.delete", "Depot A", ""));
}

TEST_F(DaemonCoreTest, ReloadNeedsAnAdminCaller) {
  auto core = Make();
  EXPECT_EQ(core->Reload(User()).status, 403);
}

TEST_F(DaemonCoreTest, NoMatchingRuleIsNoProfileMapped) {
  env_.WriteConfig("rules_nobody.yaml");
  auto core = Make();
  Reply r = LoginAdmin(*core);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"]["code"], "no_profile_mapped");
}

TEST_F(DaemonCoreTest, DisabledLocalAdminIsBadCredentials) {
  env_.WriteConfig("rules.yaml", "local_admin: false\n");
  auto core = Make();
  EXPECT_EQ(LoginAdmin(*core).body["error"]["code"], "bad_credentials");
}

TEST_F(DaemonCoreTest, TokenLoginWithoutOidcIsUnsupported) {
  auto core = Make();
  Reply r = core->LoginToken(Secret("eyJ..."), "", User());
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.body["error"]["code"], "unsupported");
}

TEST_F(DaemonCoreTest, MetricsCountLoginsByResult) {
  auto core = Make();
  (void)LoginAdmin(*core);
  (void)core->Login(kAdminUser, Secret("nope nope"), "", User());
  std::string m = core->MetricsText();
  EXPECT_NE(m.find("idbridge_logins_total{method=\"local\",result=\"ok\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("idbridge_logins_total{method=\"local\",result=\"bad_credentials\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("idbridge_sessions 1"), std::string::npos) << m;
}

TEST_F(DaemonCoreTest, InvalidConfigAtStartIsAnErrorWithPosition) {
  env_.WriteRawConfig("version: 1\nbogus_key: 1\n");
  auto core = DaemonCore::Create(env_.Options());
  ASSERT_FALSE(core.ok());
  EXPECT_NE(core.status().message().find("idbridge.yaml:2:"), std::string::npos) << core.status().message();
}

}  // namespace
}  // namespace idb::daemon
