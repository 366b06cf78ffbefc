// login_origin_test.cc — the end user's address on a login (DaemonCore, no
// HTTP, injected clock): the throttle counts the address, never the host
// process; the address is validated and recorded; refusals the plugin makes
// itself reach the history.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "daemon/daemon_core.h"
#include "daemon/log.h"
#include "daemon_test_env.h"

namespace idb::daemon {
namespace {

using testing::DaemonTestEnv;
using testing::kAdminPassword;
using testing::kAdminUser;

constexpr const char* kSecondAdmin = "second";
constexpr const char* kSecondPassword = "Another-Pass-77!";

class LoginOriginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Log::SetQuiet(true);
    env_.AddLocalAdmin();
    env_.AddLocalAdmin(kSecondAdmin, kSecondPassword);
    // Lock out after 3 failures, no slow-down before (no pacing needed).
    env_.WriteConfig("rules.yaml", "local_admin_throttle:\n  free_failures: 10\n  lockout_failures: 3\n  lockout: 15m\n");
    now_ = std::chrono::system_clock::now();
  }
  std::unique_ptr<DaemonCore> Make() {
    DaemonOptions o = env_.Options();
    o.clock = [this] { return now_; };
    auto core = DaemonCore::Create(o);
    EXPECT_TRUE(core.ok()) << core.status().ToString();
    return core.ok() ? std::move(core).value() : nullptr;
  }
  std::vector<store::LoginRecord> History(DaemonCore& core) {
    core.FlushHistory();
    auto store = env_.OpenStore();
    auto h = store->QueryHistory({});
    EXPECT_TRUE(h.ok());
    return h.ok() ? *h : std::vector<store::LoginRecord>{};
  }
  static LoginContext From(const std::string& address) { return LoginContext{"fleet", address, "", ""}; }

  const Caller host_{"uid=1000 gid=1000 pid=4242", false};  // one host process for every user
  DaemonTestEnv env_;
  SystemTime now_;
};

TEST_F(LoginOriginTest, WithoutAnAddressOneUsersFailuresLockOutNobodyElse) {
  auto core = Make();
  for (int i = 0; i < 10; ++i) (void)core->Login(kAdminUser, Secret("wrong password!"), From(""), host_);
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), From(""), host_).body["error"]["code"], "account_locked");
  // Same host process, same (absent) address: the other user signs in.
  EXPECT_EQ(core->Login(kSecondAdmin, Secret(kSecondPassword), From(""), host_).status, 200);
}

TEST_F(LoginOriginTest, WithAnAddressTheAddressIsThrottledForEveryUser) {
  auto core = Make();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(core->Login("nobody" + std::to_string(i), Secret("guess"), From("10.20.3.4"), host_).status, 401);
  }
  // Every user from that machine is locked out now…
  EXPECT_EQ(core->Login(kSecondAdmin, Secret(kSecondPassword), From("10.20.3.4"), host_).body["error"]["code"],
            "account_locked");
  // …the same address in another spelling too…
  EXPECT_EQ(core->Login(kSecondAdmin, Secret(kSecondPassword), From("::ffff:10.20.3.4"), host_).status, 403);
  // …while another machine through the same host process goes on.
  EXPECT_EQ(core->Login(kSecondAdmin, Secret(kSecondPassword), From("10.20.3.5"), host_).status, 200);
  now_ += std::chrono::minutes(16);
  EXPECT_EQ(core->Login(kSecondAdmin, Secret(kSecondPassword), From("10.20.3.4"), host_).status, 200);
}

TEST_F(LoginOriginTest, HistoryAndSessionCarryTheCanonicalAddressAndWorkstation) {
  auto core = Make();
  LoginContext c{"fleet", "2001:DB8:0::7", "DEPOT-A-PC12", ""};
  ASSERT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), c, host_).status, 200);
  (void)core->Login(kAdminUser, Secret("wrong password!"), From("Depot-PC.Fleet.Example"), host_);
  auto h = History(*core);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].client_address, "2001:db8::7");
  EXPECT_EQ(h[0].client, "uid=1000 gid=1000 pid=4242 app=fleet workstation=DEPOT-A-PC12");
  EXPECT_TRUE(h[0].success);
  EXPECT_EQ(h[1].client_address, "depot-pc.fleet.example");
  EXPECT_FALSE(h[1].success);
}

TEST_F(LoginOriginTest, ABadAddressIsABadRequestWithAHistoryRow) {
  auto core = Make();
  for (const char* bad : {"10.20.3.300", "1.2.3.4:80", "pc\u202Eexe", "fe80::1%eth0", "two words"}) {
    Reply r = core->Login(kAdminUser, Secret(kAdminPassword), From(bad), host_);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.body["error"]["code"], "bad_request") << bad;
  }
  Reply ws = core->Login(kAdminUser, Secret(kAdminPassword), LoginContext{"", "", std::string(65, 'w'), ""}, host_);
  EXPECT_EQ(ws.status, 400);
  auto h = History(*core);
  ASSERT_EQ(h.size(), 6u);
  for (const auto& row : h) {
    EXPECT_EQ(row.reason, "invalid_input");
    EXPECT_EQ(row.user, kAdminUser);
    EXPECT_EQ(row.client_address, "");
  }
  EXPECT_NE(h[0].detail.find("neither an IP address nor a host name"), std::string::npos) << h[0].detail;
}

TEST_F(LoginOriginTest, RefusalsThePluginMadeItselfAreRecordedWithoutAPassword) {
  auto core = Make();
  auto refused = [&](const std::string& user, const std::string& why) {
    return core->Login(user, Secret(""), LoginContext{"fleet", "10.1.1.1", "", why}, host_);
  };
  EXPECT_EQ(refused("alice", "empty_password").body["error"]["code"], "bad_credentials");
  EXPECT_EQ(refused("alice", "password_not_utf8").status, 400);
  EXPECT_EQ(refused("al\\xe9", "user_not_utf8").status, 400);
  EXPECT_EQ(refused("alice", "password_too_long").status, 400);
  EXPECT_EQ(refused("alice", "made_up").status, 400);
  auto h = History(*core);
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[0].reason, "empty_password");
  EXPECT_EQ(h[1].reason, "invalid_input");
  EXPECT_EQ(h[1].detail, "refused by the plugin: password is not valid UTF-8");
  EXPECT_EQ(h[2].reason, "invalid_user_name");
  EXPECT_EQ(h[2].user, "al\\xe9");
  EXPECT_EQ(h[3].detail, "refused by the plugin: password too long");
  EXPECT_NE(h[4].detail.find("unknown reason"), std::string::npos);
  for (const auto& row : h) EXPECT_EQ(row.client_address, "10.1.1.1");
  // Refusals never count for the throttle: the user signs in right after.
  for (int i = 0; i < 5; ++i) (void)refused(kAdminUser, "password_not_utf8");
  EXPECT_EQ(core->Login(kAdminUser, Secret(kAdminPassword), From("10.1.1.1"), host_).status, 200);
}

TEST_F(LoginOriginTest, RefreshKeepsTheAddressTheSessionSignedInFrom) {
  auto core = Make();
  Reply r = core->Login(kAdminUser, Secret(kAdminPassword), From("10.20.3.4"), host_);
  ASSERT_EQ(r.status, 200);
  auto s = core->sessions().Get(r.body["session"], now_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->identity.client_address, "10.20.3.4");
  ASSERT_EQ(core->RefreshSession(r.body["session"]).status, 200);
  s = core->sessions().Get(r.body["session"], now_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->identity.client_address, "10.20.3.4");
}

}  // namespace
}  // namespace idb::daemon
