// password_change_test.cc — idb_change_password through the plugin against an
// in-process idbridged with only the local administrator (no directory):
// argument checks, the answer that never tells an unknown user from a known
// one, client_address validation, and the history and security-log entries.
// The directory side (AD, OpenLDAP ppolicy) is tested in
// tests/integration/ldap and tests/integration/daemon.
#include <gtest/gtest.h>

#include <string>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"

namespace {

using idb::daemon::DaemonServer;
using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;

class PasswordChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idb::daemon::Log::SetQuiet(true);
    env_.AddLocalAdmin();
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env_.socket_path().c_str();
    o.application = "pwchange_test";
    ASSERT_EQ(idb_client_open(&o, &client_), IDB_OK);
  }
  void TearDown() override { idb_client_close(client_); }
  void StartDaemon() {
    auto s = DaemonServer::Start(env_.Options());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    daemon_ = std::move(s).value();
  }
  idb_status Change(const char* user, const char* old_pw, const char* new_pw, const char* address = nullptr) {
    idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
    r.user = user;
    r.old_password = old_pw;
    r.new_password = new_pw;
    r.client_address = address;
    return idb_change_password(client_, &r);
  }
  static std::string LastError() {
    char buf[512];
    idb_last_error(buf, sizeof(buf));
    return buf;
  }

  DaemonTestEnv env_;
  std::unique_ptr<DaemonServer> daemon_;
  idb_client* client_ = nullptr;
};

TEST_F(PasswordChangeTest, BadArgumentsAreRefusedWithoutTheDaemon) {
  // No daemon: every answer below comes from the argument checks.
  idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
  EXPECT_EQ(idb_change_password(nullptr, &r), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_change_password(client_, nullptr), IDB_E_BAD_ARGUMENT);
  r.user = "alice";
  r.old_password = "old-pw-1";
  r.new_password = "new-pw-1";
  r.struct_size = 0;
  EXPECT_EQ(idb_change_password(client_, &r), IDB_E_BAD_ARGUMENT);
  EXPECT_NE(LastError().find("struct_size"), std::string::npos);
  EXPECT_EQ(Change(nullptr, "old-pw-1", "new-pw-1"), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(Change("", "old-pw-1", "new-pw-1"), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(Change(std::string(300, 'a').c_str(), "old-pw-1", "new-pw-1"), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(Change("alice", "old-pw-1", "new-pw-1", std::string(254, 'h').c_str()), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(Change("alice", "old-pw-1", std::string(20000, 'x').c_str()), IDB_E_BAD_ARGUMENT);
}

TEST_F(PasswordChangeTest, EmptyPasswordsAreBadCredentialsWithoutTheDaemon) {
  EXPECT_EQ(Change("alice", "", "new-pw-1"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(Change("alice", nullptr, "new-pw-1"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(Change("alice", "old-pw-1", ""), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(Change("alice", "old-pw-1", nullptr), IDB_E_BAD_CREDENTIALS);
}

TEST_F(PasswordChangeTest, AnOlderHostsShorterStructIsRead) {
  StartDaemon();
  // A host compiled before client_address existed: struct_size ends after new_password.
  idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
  r.struct_size = offsetof(idb_password_change, new_password) + sizeof(const char*);
  r.user = "no-such-user";
  r.old_password = "old-pw-1";
  r.new_password = "new-pw-1";
  r.client_address = "not read: this text would be refused";
  EXPECT_EQ(idb_change_password(client_, &r), IDB_E_BAD_CREDENTIALS) << LastError();
}

TEST_F(PasswordChangeTest, UnknownUserAndAKnownNameGetTheSameAnswer) {
  StartDaemon();
  ASSERT_EQ(Change("no-such-user", "old-pw-1", "new-pw-1"), IDB_E_BAD_CREDENTIALS);
  const std::string unknown = LastError();
  // The local administrator exists, but its password is not changed this way.
  ASSERT_EQ(Change(kAdminUser, kAdminPassword, "new-pw-1"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(LastError(), unknown);
}

TEST_F(PasswordChangeTest, ClientAddressMustBeAnIpOrAHostName) {
  StartDaemon();
  EXPECT_EQ(Change("no-such-user", "old-pw-1", "new-pw-1", "203.0.113.7"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(Change("no-such-user", "old-pw-1", "new-pw-1", "2001:db8::7"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(Change("no-such-user", "old-pw-1", "new-pw-1", "ws-17.depot-a.fleet.test"), IDB_E_BAD_CREDENTIALS);
  for (const char* bad : {"10.0.0.1; rm -rf", "host name", "-bad.example", "bad-.example", "a..b", "x\ty"}) {
    EXPECT_EQ(Change("no-such-user", "old-pw-1", "new-pw-1", bad), IDB_E_BAD_ARGUMENT) << bad;
  }
}

TEST_F(PasswordChangeTest, EveryAttemptIsInHistoryAndSecurityLogWithoutPasswords) {
  StartDaemon();
  ASSERT_EQ(Change("no-such-user", "Old-Secret-77", "New-Secret-88", "203.0.113.7"), IDB_E_BAD_CREDENTIALS);
  daemon_->core().FlushHistory();
  auto store = env_.OpenStore();
  auto history = store->QueryHistory({});
  ASSERT_TRUE(history.ok());
  ASSERT_FALSE(history->empty());
  const auto& row = history->back();
  EXPECT_EQ(row.user, "no-such-user");
  EXPECT_EQ(row.method, "password_change");
  EXPECT_FALSE(row.success);
  EXPECT_EQ(row.reason, "unknown_user");
  EXPECT_NE(row.client.find("addr=203.0.113.7"), std::string::npos) << row.client;
  auto log = store->ListSecurityLog(0, 1000);
  ASSERT_TRUE(log.ok());
  bool found = false;
  for (const auto& e : *log) {
    const std::string all = e.event.actor + e.event.action + e.event.target + e.event.before + e.event.after;
    EXPECT_EQ(all.find("Secret-77"), std::string::npos);
    EXPECT_EQ(all.find("Secret-88"), std::string::npos);
    if (e.event.action == "password.change.refused" && e.event.target == "no-such-user") {
      found = true;
      EXPECT_NE(e.event.after.find("unknown_user"), std::string::npos) << e.event.after;
    }
  }
  EXPECT_TRUE(found);
  for (const auto& h : *history) {
    EXPECT_EQ((h.detail + h.client + h.reason).find("Secret-"), std::string::npos);
  }
}

}  // namespace
