// plugin_test.cc — the C ABI against a real idbridged running in-process on a
// temp UNIX socket: logins, error codes, checks, lists, refresh, logout,
// fail-closed behaviour, argument validation.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"

namespace {

using idb::daemon::DaemonServer;
using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idb::daemon::Log::SetQuiet(true);
    env_.AddLocalAdmin();
  }
  void TearDown() override {
    if (client_) idb_client_close(client_);
  }
  void StartDaemon() {
    auto s = DaemonServer::Start(env_.Options());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    daemon_ = std::move(s).value();
  }
  idb_client* Client(uint32_t request_timeout_ms = 0) {
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env_.socket_path().c_str();
    o.request_timeout_ms = request_timeout_ms;
    o.application = "plugin_test";
    EXPECT_EQ(idb_client_open(&o, &client_), IDB_OK);
    return client_;
  }
  idb_session* Login() {
    idb_session* s = nullptr;
    idb_status st = idb_login(Client(), kAdminUser, kAdminPassword, &s);
    EXPECT_EQ(st, IDB_OK) << idb_strerror(st);
    return s;
  }
  std::string LastError() {
    char buf[512];
    idb_last_error(buf, sizeof(buf));
    return buf;
  }

  DaemonTestEnv env_;
  std::unique_ptr<DaemonServer> daemon_;
  idb_client* client_ = nullptr;
};

TEST_F(PluginTest, LoginAndCheckAnswerFromTheDecisionSet) {
  StartDaemon();
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(idb_check(s, "work_orders.edit", "Depot A", nullptr), IDB_ALLOW);
  EXPECT_EQ(idb_check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  EXPECT_EQ(idb_check(s, "parts.view", nullptr, "Main Store"), IDB_ALLOW);
  EXPECT_EQ(idb_check(s, "parts.issue", nullptr, "Main Store"), IDB_DENY);
  EXPECT_EQ(idb_check(s, "no_such.permission", nullptr, nullptr), IDB_DENY);
  idb_session_close(s);
}

TEST_F(PluginTest, WrongPasswordAndUnknownUserGiveTheSameCode) {
  StartDaemon();
  idb_session* s = nullptr;
  EXPECT_EQ(idb_login(Client(), kAdminUser, "wrong-password", &s), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(idb_login(client_, "no-such-user", "wrong-password", &s), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(s, nullptr);
}

TEST_F(PluginTest, EmptyPasswordIsBadCredentialsWithoutAskingTheDaemon) {
  // No daemon running: the answer must still be "bad credentials", not "unavailable".
  idb_session* s = nullptr;
  EXPECT_EQ(idb_login(Client(), kAdminUser, "", &s), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(idb_login(client_, kAdminUser, nullptr, &s), IDB_E_BAD_CREDENTIALS);
}

TEST_F(PluginTest, DaemonNotRunningIsDaemonUnavailableQuickly) {
  idb_session* s = nullptr;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(idb_login(Client(), kAdminUser, kAdminPassword, &s), IDB_E_DAEMON_UNAVAILABLE);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(LastError().find(env_.socket_path()), std::string::npos) << LastError();
}

TEST_F(PluginTest, NoProfileMappedIsItsOwnCode) {
  env_.WriteConfig("rules_nobody.yaml");
  StartDaemon();
  idb_session* s = nullptr;
  EXPECT_EQ(idb_login(Client(), kAdminUser, kAdminPassword, &s), IDB_E_NO_PROFILE);
}

TEST_F(PluginTest, PeerNotOnTheAllowListGetsPermissionDenied) {
  env_.WriteConfig("rules.yaml", "allowed_uids: [4242424]\n");
  StartDaemon();
  idb_session* s = nullptr;
  EXPECT_EQ(idb_login(Client(), kAdminUser, kAdminPassword, &s), IDB_E_PERMISSION_DENIED);
  EXPECT_EQ(idb_client_ping(client_), IDB_E_PERMISSION_DENIED);
}

TEST_F(PluginTest, PingChecksTheProtocol) {
  StartDaemon();
  EXPECT_EQ(idb_client_ping(Client()), IDB_OK);
}

TEST_F(PluginTest, TokenLoginWithoutOidcIsUnsupported) {
  StartDaemon();
  idb_session* s = nullptr;
  EXPECT_EQ(idb_login_token(Client(), "eyJhbGciOi.x.y", &s), IDB_E_UNSUPPORTED);
  idb_flow* f = nullptr;
  EXPECT_EQ(idb_device_begin(client_, &f), IDB_E_UNSUPPORTED);
  EXPECT_EQ(idb_browser_begin(client_, &f), IDB_E_UNSUPPORTED);
  EXPECT_EQ(f, nullptr);
}

TEST_F(PluginTest, ProfilesAndPermissionsAreListed) {
  StartDaemon();
  idb_session* s = Login();
  idb_string_list* profiles = nullptr;
  ASSERT_EQ(idb_session_profiles(s, &profiles), IDB_OK);
  ASSERT_EQ(profiles->count, 1u);
  EXPECT_STREQ(profiles->items[0], "technician");
  EXPECT_EQ(profiles->struct_size, sizeof(idb_string_list));
  idb_string_list_free(profiles);

  idb_permission_list* perms = nullptr;
  ASSERT_EQ(idb_session_permissions(s, &perms), IDB_OK);
  bool saw_edit = false;
  for (size_t i = 0; i < perms->count; ++i) {
    const idb_permission* p = perms->items[i];
    if (std::strcmp(p->name, "work_orders.edit") == 0) {
      saw_edit = true;
      EXPECT_EQ(p->scope, IDB_SCOPE_LOCATION);
      EXPECT_EQ(p->all_except, 1);
      EXPECT_EQ(p->place_count, 0u);
    }
    EXPECT_STRNE(p->name, "work_orders.delete");
  }
  EXPECT_TRUE(saw_edit);
  idb_permission_list_free(perms);

  idb_session_info* info = nullptr;
  ASSERT_EQ(idb_session_info_get(s, &info), IDB_OK);
  EXPECT_STREQ(info->user, kAdminUser);
  EXPECT_STREQ(info->source, "local");
  EXPECT_EQ(info->stale, 0);
  EXPECT_GT(info->expires_unix, 0);
  idb_session_info_free(info);
  idb_session_close(s);
}

TEST_F(PluginTest, RefreshSeesAnOverrideAddedInTheStore) {
  StartDaemon();
  idb_session* s = Login();
  EXPECT_EQ(idb_check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  idb::store::NewOverride o;
  o.user = kAdminUser;
  o.effect = idb::OverrideEffect::kGrant;
  o.permission = "work_orders.delete";
  o.location = "Depot A";
  ASSERT_TRUE(env_.OpenStore()->AddOverride(o, "test", std::chrono::system_clock::now()).ok());
  ASSERT_EQ(idb_session_refresh(s), IDB_OK) << LastError();
  EXPECT_EQ(idb_check(s, "work_orders.delete", "Depot A", nullptr), IDB_ALLOW);
  EXPECT_EQ(idb_check(s, "work_orders.delete", "Depot B", nullptr), IDB_DENY);
  idb_session_close(s);
}

TEST_F(PluginTest, LogoutMakesEveryCheckDeny) {
  StartDaemon();
  idb_session* s = Login();
  ASSERT_EQ(idb_logout(s), IDB_OK);
  EXPECT_EQ(idb_check(s, "work_orders.view", "Depot A", nullptr), IDB_DENY);
  EXPECT_EQ(idb_session_refresh(s), IDB_E_SESSION_UNKNOWN);
  idb_string_list* l = nullptr;
  EXPECT_EQ(idb_session_profiles(s, &l), IDB_E_SESSION_UNKNOWN);
  idb_session_close(s);
}

TEST_F(PluginTest, RevokedSessionDeniesAfterItsRefresh) {
  StartDaemon();
  idb_session* s = Login();
  idb::daemon::Caller admin{"test", true};
  ASSERT_EQ(daemon_->core().Revoke(kAdminUser, admin).status, 200);
  EXPECT_EQ(idb_session_refresh(s), IDB_E_SESSION_UNKNOWN);
  EXPECT_EQ(idb_check(s, "work_orders.view", "Depot A", nullptr), IDB_DENY);
  idb_session_close(s);
}

TEST_F(PluginTest, DaemonGoneKeepsDecisionsUntilExpiryAndRefreshSaysUnavailable) {
  StartDaemon();
  idb_session* s = Login();
  daemon_->Stop();
  EXPECT_EQ(idb_session_refresh(s), IDB_E_DAEMON_UNAVAILABLE);
  EXPECT_EQ(idb_check(s, "work_orders.view", "Depot A", nullptr), IDB_ALLOW);
  idb_session* s2 = nullptr;
  EXPECT_EQ(idb_login(client_, kAdminUser, kAdminPassword, &s2), IDB_E_DAEMON_UNAVAILABLE);
  idb_session_close(s);
}

TEST_F(PluginTest, NullArgumentsAreBadArgumentsOrDeny) {
  idb_session* s = nullptr;
  EXPECT_EQ(idb_client_open(nullptr, nullptr), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_login(nullptr, "a", "b", &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_login(Client(), nullptr, "b", &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_login(client_, "", "b", &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_login(client_, "a", "b", nullptr), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_login_token(client_, nullptr, &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_check(nullptr, "work_orders.view", nullptr, nullptr), IDB_DENY);
  EXPECT_EQ(idb_session_refresh(nullptr), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_logout(nullptr), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(idb_session_profiles(nullptr, nullptr), IDB_E_BAD_ARGUMENT);
  idb_session_close(nullptr);
  idb_client_close(nullptr);
  idb_string_list_free(nullptr);
  idb_permission_list_free(nullptr);
  idb_session_info_free(nullptr);
}

TEST_F(PluginTest, CheckWithNullPermissionDenies) {
  StartDaemon();
  idb_session* s = Login();
  EXPECT_EQ(idb_check(s, nullptr, "Depot A", nullptr), IDB_DENY);
  idb_session_close(s);
}

TEST_F(PluginTest, OverlongUserNameIsBadArgument) {
  idb_session* s = nullptr;
  std::string user(100000, 'u');
  EXPECT_EQ(idb_login(Client(), user.c_str(), "pw", &s), IDB_E_BAD_ARGUMENT);
}

TEST_F(PluginTest, OptionsWithoutStructSizeAreRefused) {
  idb_client_options o;
  std::memset(&o, 0, sizeof(o));
  idb_client* c = nullptr;
  EXPECT_EQ(idb_client_open(&o, &c), IDB_E_BAD_ARGUMENT);
  EXPECT_NE(LastError().find("struct_size"), std::string::npos);
}

TEST_F(PluginTest, OlderShorterOptionsStructIsAccepted) {
  // A host compiled against a header with only struct_size + socket_path.
  struct {
    size_t struct_size;
    const char* socket_path;
  } old_options = {sizeof(old_options), env_.socket_path().c_str()};
  idb_client* c = nullptr;
  ASSERT_EQ(idb_client_open(reinterpret_cast<const idb_client_options*>(&old_options), &c), IDB_OK);
  idb_client_close(c);
}

TEST_F(PluginTest, OverlongSocketPathIsBadArgument) {
  std::string path(200, 'x');
  idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
  o.socket_path = path.c_str();
  idb_client* c = nullptr;
  EXPECT_EQ(idb_client_open(&o, &c), IDB_E_BAD_ARGUMENT);
}

TEST_F(PluginTest, StrerrorNamesEveryCodeAndUnknownCodes) {
  for (int code = 0; code <= IDB_E_PROTOCOL; ++code) {
    EXPECT_STRNE(idb_strerror(code), idb_strerror(9999)) << code;
  }
  EXPECT_NE(std::string(idb_strerror(9999)).find("treat as failure"), std::string::npos);
}

TEST_F(PluginTest, LastErrorTruncatesIntoTheCallersBuffer) {
  idb_session* s = nullptr;
  (void)idb_login(Client(), kAdminUser, kAdminPassword, &s);  // daemon down: a long message
  char small[8];
  size_t full = idb_last_error(small, sizeof(small));
  EXPECT_GT(full, sizeof(small));
  EXPECT_EQ(std::strlen(small), sizeof(small) - 1);
}

TEST_F(PluginTest, HungDaemonGivesTimeoutWithinTheConfiguredTime) {
  // A socket that accepts (backlog) but never answers.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, env_.socket_path().c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  idb_session* s = nullptr;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(idb_login(Client(/*request_timeout_ms=*/500), kAdminUser, kAdminPassword, &s), IDB_E_TIMEOUT);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
  ::close(fd);
}

}  // namespace
