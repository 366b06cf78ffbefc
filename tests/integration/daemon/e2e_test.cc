// e2e_test.cc — end to end: the built idbridged binary on a temp socket, the
// plugin dlopen()ed like a fleet application does, idbridgectl changing an
// override, SIGHUP reloads (broken and good), a peer uid refused by
// SO_PEERCRED, the daemon killed, the example fleet-host program, and
// idbridgectl status / reload / revoke against the running daemon.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon_test_env.h"
#include "plugin_api.h"
#include "idbridge.h"

namespace {

using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;

using Api = idb::daemon::testing::PluginApi;

std::string ReadFile(const std::string& path) { return idb::daemon::testing::ReadWholeFile(path); }

// Runs a program, feeding `input` on stdin; returns exit status and stdout+stderr.
int RunProgram(const std::vector<std::string>& argv, const std::string& input, std::string* output) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(in[1]);
    ::close(out[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) output->append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.AddLocalAdmin();
    log_path_ = env_.dir() + "/idbridged.log";
  }
  void TearDown() override {
    if (client_) api_.client_close(client_);
    StopDaemon(SIGTERM);
  }

  void StartDaemon() {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 2);
      ::execl(IDBRIDGED_PATH, IDBRIDGED_PATH, "--config", env_.config_path().c_str(), nullptr);
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0);
    // Ready when health answers (at most 20 s on a loaded machine).
    for (int i = 0; i < 400; ++i) {
      if (api_.client_ping(Client()) == IDB_OK) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "idbridged exited: " << ReadFile(log_path_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "idbridged did not become ready: " << ReadFile(log_path_);
  }

  void StopDaemon(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  idb_client* Client() {
    if (client_ == nullptr) {
      idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
      o.socket_path = env_.socket_path().c_str();
      o.request_timeout_ms = 5000;
      EXPECT_EQ(api_.client_open(&o, &client_), IDB_OK);
    }
    return client_;
  }

  idb_session* Login() {
    idb_session* s = nullptr;
    idb_status st = api_.login(Client(), kAdminUser, kAdminPassword, &s);
    EXPECT_EQ(st, IDB_OK) << LastError();
    return s;
  }

  std::string LastError() {
    char buf[512];
    api_.last_error(buf, sizeof(buf));
    return buf;
  }

  // Waits until the daemon's log contains `text` (reloads are asynchronous).
  bool LogContains(const std::string& text, int tries = 100) {
    for (int i = 0; i < tries; ++i) {
      if (ReadFile(log_path_).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  Api api_;
  DaemonTestEnv env_;
  std::string log_path_;
  pid_t pid_ = -1;
  idb_client* client_ = nullptr;
};

TEST_F(EndToEndTest, LocalAdminSignsInAndChecksThroughTheDlopenedPlugin) {
  StartDaemon();
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(api_.check(s, "work_orders.edit", "Depot A", nullptr), IDB_ALLOW);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  EXPECT_EQ(api_.check(s, "parts.view", nullptr, "Main Store"), IDB_ALLOW);
  api_.session_close(s);
}

TEST_F(EndToEndTest, OverrideGrantedWithIdbridgectlIsSeenAfterRefresh) {
  StartDaemon();
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  std::string out;
  int rc = RunProgram({IDBRIDGECTL_PATH, "override", "grant", "--config", env_.config_path(), "--user", kAdminUser,
                       "--perm", "work_orders.delete", "--location", "Depot A", "--reason", "e2e"},
                      "", &out);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_EQ(api_.refresh(s), IDB_OK) << LastError();
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_ALLOW);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot B", nullptr), IDB_DENY);
  api_.session_close(s);
}

TEST_F(EndToEndTest, OverrideReachesAnOpenSessionByItselfWithinTheRefreshInterval) {
  env_.WriteConfig("rules.yaml", "session_refresh: 1\n");
  StartDaemon();
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  std::string out;
  ASSERT_EQ(RunProgram({IDBRIDGECTL_PATH, "override", "deny", "--config", env_.config_path(), "--user", kAdminUser,
                        "--perm", "work_orders.edit", "--reason", "e2e"},
                       "", &out),
            0)
      << out;
  // No explicit refresh: the first check after the interval fetches new decisions.
  bool denied = false;
  for (int i = 0; i < 60 && !denied; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    denied = api_.check(s, "work_orders.edit", "Depot A", nullptr) == IDB_DENY;
  }
  EXPECT_TRUE(denied);
  api_.session_close(s);
}

TEST_F(EndToEndTest, SighupWithABrokenConfigKeepsTheOldOneThenAGoodOneSwapsIn) {
  StartDaemon();
  env_.WriteRawConfig("version: 1\nmapings: {}\n");  // typo of "mappings" at line 2, column 1
  ::kill(pid_, SIGHUP);
  ASSERT_TRUE(LogContains("reload rejected")) << ReadFile(log_path_);
  EXPECT_TRUE(LogContains("idbridge.yaml:2:1:")) << ReadFile(log_path_);
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  api_.session_close(s);

  env_.WriteConfig("rules_admin.yaml");
  ::kill(pid_, SIGHUP);
  ASSERT_TRUE(LogContains("configuration reloaded")) << ReadFile(log_path_);
  s = Login();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_ALLOW);
  api_.session_close(s);
}

TEST_F(EndToEndTest, PeerUidNotOnTheAllowListIsRefused) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to run a client as uid 65534";
  env_.WriteConfig("rules.yaml", "allowed_uids: [0]\n");
  StartDaemon();
  // Let uid 65534 reach the socket file, so the SO_PEERCRED gate is what refuses.
  ASSERT_EQ(::chmod(env_.dir().c_str(), 0711), 0);
  ASSERT_EQ(::chmod(env_.socket_path().c_str(), 0666), 0);
  pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(100);
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env_.socket_path().c_str();
    idb_client* c = nullptr;
    if (api_.client_open(&o, &c) != IDB_OK) ::_exit(101);
    idb_session* s = nullptr;
    idb_status st = api_.login(c, kAdminUser, kAdminPassword, &s);
    ::_exit(st == IDB_E_PERMISSION_DENIED ? 0 : 50 + st);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child login status " << WEXITSTATUS(status) - 50;
  EXPECT_TRUE(LogContains("refused connection from uid=65534")) << ReadFile(log_path_);
  // Root (allowed) still gets in.
  idb_session* s = Login();
  EXPECT_NE(s, nullptr);
  if (s) api_.session_close(s);
}

TEST_F(EndToEndTest, DaemonKilledGivesDaemonUnavailableAndARestartRecovers) {
  StartDaemon();
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  StopDaemon(SIGKILL);  // leaves a stale socket file behind
  idb_session* s2 = nullptr;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(api_.login(Client(), kAdminUser, kAdminPassword, &s2), IDB_E_DAEMON_UNAVAILABLE);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(api_.refresh(s), IDB_E_DAEMON_UNAVAILABLE);
  // Decisions already fetched stay until the session expires.
  EXPECT_EQ(api_.check(s, "work_orders.view", "Depot A", nullptr), IDB_ALLOW);
  StartDaemon();  // replaces the stale socket
  // The new daemon does not know the old session: it ends, checks deny.
  EXPECT_EQ(api_.refresh(s), IDB_E_SESSION_UNKNOWN);
  EXPECT_EQ(api_.check(s, "work_orders.view", "Depot A", nullptr), IDB_DENY);
  api_.session_close(s);
}

TEST_F(EndToEndTest, CheckOptionValidatesTheConfigWithoutStarting) {
  std::string out;
  EXPECT_EQ(RunProgram({IDBRIDGED_PATH, "--config", env_.config_path(), "--check"}, "", &out), 0) << out;
  env_.WriteConfig("rules.yaml", "socket_mode: \"0777\"\n");
  out.clear();
  EXPECT_EQ(RunProgram({IDBRIDGED_PATH, "--config", env_.config_path(), "--check"}, "", &out), 1) << out;
  EXPECT_NE(out.find("idbridge.yaml:"), std::string::npos) << out;
}

TEST_F(EndToEndTest, UnknownCommandLineArgumentIsAUsageError) {
  std::string out;
  EXPECT_EQ(RunProgram({IDBRIDGED_PATH, "--confg", "x"}, "", &out), 2);
  EXPECT_NE(out.find("unknown argument"), std::string::npos) << out;
}

TEST_F(EndToEndTest, IdbridgectlStatusFindsTheDaemonThroughTheConfigSocket) {
  StartDaemon();
  std::string out;
  EXPECT_EQ(RunProgram({IDBRIDGECTL_PATH, "status", "--config", env_.config_path()}, "", &out), 0) << out;
  EXPECT_NE(out.find("idbridged 0.1.0 at " + env_.socket_path() + ": ok, protocol 1"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunProgram({IDBRIDGECTL_PATH, "status", "--socket", env_.socket_path(), "--json"}, "", &out), 0) << out;
  EXPECT_NE(out.find("\"files_hash\""), std::string::npos) << out;
}

TEST_F(EndToEndTest, IdbridgectlStatusWithoutDaemonSaysItCannotReachIt) {
  std::string out;
  EXPECT_EQ(RunProgram({IDBRIDGECTL_PATH, "status", "--config", env_.config_path()}, "", &out), 2) << out;
  EXPECT_NE(out.find("cannot reach idbridged at " + env_.socket_path()), std::string::npos) << out;
}

TEST_F(EndToEndTest, IdbridgectlReloadSwapsInGoodRulesAndShowsTheErrorsOfBrokenOnes) {
  StartDaemon();
  env_.WriteConfig("rules_admin.yaml");
  std::string out;
  ASSERT_EQ(RunProgram({IDBRIDGECTL_PATH, "reload", "--config", env_.config_path()}, "", &out), 0) << out;
  EXPECT_NE(out.find("reloaded: configuration "), std::string::npos) << out;
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_ALLOW);
  api_.session_close(s);

  env_.WriteRawConfig("version: 1\nmapings: {}\n");  // typo at line 2, column 1; no daemon.socket either
  out.clear();
  EXPECT_EQ(RunProgram({IDBRIDGECTL_PATH, "reload", "--socket", env_.socket_path()}, "", &out), 1) << out;
  EXPECT_NE(out.find("refused (invalid_config)"), std::string::npos) << out;
  EXPECT_NE(out.find("idbridge.yaml:2:1:"), std::string::npos) << out;
  s = Login();  // the old rules stay in force
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(api_.check(s, "work_orders.delete", "Depot A", nullptr), IDB_ALLOW);
  api_.session_close(s);
}

TEST_F(EndToEndTest, IdbridgectlRevokeEndsEveryOpenSessionOfTheUser) {
  StartDaemon();
  idb_session* s = Login();
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(api_.check(s, "work_orders.view", "Depot A", nullptr), IDB_ALLOW);
  std::string out;
  ASSERT_EQ(RunProgram({IDBRIDGECTL_PATH, "revoke", kAdminUser, "--config", env_.config_path()}, "", &out), 0)
      << out;
  EXPECT_NE(out.find("revoked 1 session(s) of '" + std::string(kAdminUser) + "'"), std::string::npos) << out;
  EXPECT_EQ(api_.refresh(s), IDB_E_SESSION_UNKNOWN);
  EXPECT_EQ(api_.check(s, "work_orders.view", "Depot A", nullptr), IDB_DENY);
  api_.session_close(s);
  out.clear();
  EXPECT_EQ(RunProgram({IDBRIDGECTL_PATH, "revoke", "--config", env_.config_path()}, "", &out), 2) << out;
  EXPECT_NE(out.find("give exactly one user name"), std::string::npos) << out;
}

TEST_F(EndToEndTest, FleetHostSignsInAndAnswersChecks) {
  StartDaemon();
  std::string out;
  int rc = RunProgram({FLEET_HOST_PATH, "--plugin", IDB_PLUGIN_PATH, "--socket", env_.socket_path(), "--user",
                       kAdminUser, "--check", "work_orders.edit@Depot A", "--check", "parts.view#Main Store"},
                      std::string(kAdminPassword) + "\n", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Signed in as breakglass"), std::string::npos) << out;
  EXPECT_NE(out.find("Profiles: technician"), std::string::npos) << out;
  EXPECT_NE(out.find("check work_orders.edit at location Depot A: ALLOWED"), std::string::npos) << out;
  EXPECT_NE(out.find("check parts.view at warehouse Main Store: ALLOWED"), std::string::npos) << out;
}

TEST_F(EndToEndTest, FleetHostDeniedCheckExitsOne) {
  StartDaemon();
  std::string out;
  int rc = RunProgram({FLEET_HOST_PATH, "--plugin", IDB_PLUGIN_PATH, "--socket", env_.socket_path(), "--user",
                       kAdminUser, "--check", "work_orders.delete@Depot A"},
                      std::string(kAdminPassword) + "\n", &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("check work_orders.delete at location Depot A: DENIED"), std::string::npos) << out;
}

TEST_F(EndToEndTest, FleetHostWrongPasswordSaysSoPlainly) {
  StartDaemon();
  std::string out;
  int rc = RunProgram({FLEET_HOST_PATH, "--plugin", IDB_PLUGIN_PATH, "--socket", env_.socket_path(), "--user",
                       kAdminUser},
                      "not the password\n", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("Sign-in failed: wrong user name or password."), std::string::npos) << out;
}

TEST_F(EndToEndTest, FleetHostWithoutDaemonSaysTheServiceIsNotRunning) {
  std::string out;
  int rc = RunProgram({FLEET_HOST_PATH, "--plugin", IDB_PLUGIN_PATH, "--socket", env_.socket_path(), "--user",
                       kAdminUser},
                      std::string(kAdminPassword) + "\n", &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("the sign-in service (idbridged) is not running"), std::string::npos) << out;
}


// ---- the end user's address and refusals in history (issue #11) ----------

class LoginOriginEndToEndTest : public EndToEndTest {
 protected:
  void SetUp() override {
    EndToEndTest::SetUp();
    env_.AddLocalAdmin("second", "Another-Pass-77!");
    env_.WriteConfig("rules.yaml", "local_admin_throttle:\n  free_failures: 10\n  lockout_failures: 3\n  lockout: 15m\n");
  }
  idb_status LoginEx(const char* user, const char* password, const char* address, idb_session** out = nullptr) {
    idb_login_request r = IDB_LOGIN_REQUEST_INIT;
    r.user = user;
    r.password = password;
    r.client_address = address;
    idb_session* s = nullptr;
    idb_status st = api_.login_ex(Client(), &r, &s);
    if (out != nullptr) {
      *out = s;
    } else if (s != nullptr) {
      api_.session_close(s);
    }
    return st;
  }
  // Polls the store until it holds `rows` history rows (group commit is
  // asynchronous), at most 20 s; returns what it has then.
  std::vector<idb::store::LoginRecord> WaitForHistory(size_t rows) {
    std::vector<idb::store::LoginRecord> h;
    for (int i = 0; i < 400; ++i) {
      auto store = env_.OpenStore();
      idb::store::HistoryQuery q;
      auto got = store->QueryHistory(q);
      if (got.ok()) h = *got;
      if (h.size() >= rows) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return h;
  }
};

TEST_F(LoginOriginEndToEndTest, OneUsersFailuresFromOneHostProcessWithoutAddressLockNobodyElseOut) {
  StartDaemon();
  idb_session* none = nullptr;
  for (int i = 0; i < 10; ++i) EXPECT_NE(api_.login(Client(), kAdminUser, "wrong password!", &none), IDB_OK);
  EXPECT_EQ(LoginEx(kAdminUser, kAdminPassword, nullptr), IDB_E_ACCOUNT_LOCKED);
  EXPECT_EQ(LoginEx("second", "Another-Pass-77!", nullptr), IDB_OK) << LastError();
  idb_session* s = nullptr;
  EXPECT_EQ(api_.login(Client(), "second", "Another-Pass-77!", &s), IDB_OK) << LastError();
  if (s) api_.session_close(s);
}

TEST_F(LoginOriginEndToEndTest, WithAddressesTheAddressIsThrottledAndRecorded) {
  StartDaemon();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(LoginEx("second", "wrong password!", "10.20.3.4"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(LoginEx(kAdminUser, kAdminPassword, "10.20.3.4"), IDB_E_ACCOUNT_LOCKED);
  EXPECT_EQ(LoginEx(kAdminUser, kAdminPassword, "10.20.3.5"), IDB_OK) << LastError();
  EXPECT_EQ(LoginEx(kAdminUser, kAdminPassword, "not an address"), IDB_E_BAD_ARGUMENT);
  auto h = WaitForHistory(6);
  ASSERT_EQ(h.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(h[static_cast<size_t>(i)].client_address, "10.20.3.4") << i;
  EXPECT_EQ(h[3].reason, "throttled");
  EXPECT_EQ(h[4].client_address, "10.20.3.5");
  EXPECT_TRUE(h[4].success);
  EXPECT_EQ(h[5].reason, "invalid_input");
  EXPECT_TRUE(LogContains("address=\"10.20.3.5\""));
}

TEST_F(LoginOriginEndToEndTest, InvalidUtf8IsBadArgumentWithAHistoryRow) {
  StartDaemon();
  EXPECT_EQ(LoginEx(kAdminUser, "caf\xE9-Latin-1", "10.0.0.1"), IDB_E_BAD_ARGUMENT);  // a Latin-1 password
  EXPECT_EQ(LoginEx("J\xFCrgen", "secret", nullptr), IDB_E_BAD_ARGUMENT);              // a Latin-1 user name
  auto h = WaitForHistory(2);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].user, kAdminUser);
  EXPECT_EQ(h[0].reason, "invalid_input");
  EXPECT_EQ(h[0].client_address, "10.0.0.1");
  EXPECT_EQ(h[0].detail, "refused by the plugin: password is not valid UTF-8");
  EXPECT_EQ(h[1].user, "J\\xfcrgen");
  EXPECT_EQ(h[1].reason, "invalid_user_name");
  for (const auto& row : h) EXPECT_EQ(row.detail.find("caf"), std::string::npos);  // never the password
}

TEST_F(LoginOriginEndToEndTest, ThePluginsOwnRefusalsReachHistory) {
  StartDaemon();
  idb_session* s = nullptr;
  EXPECT_EQ(api_.login(Client(), kAdminUser, "", &s), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(api_.login(Client(), kAdminUser, std::string(2000, 'p').c_str(), &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(api_.login(Client(), std::string(300, 'u').c_str(), "secret", &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(api_.login(Client(), "", "secret", &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(api_.login_token_ex(Client(), "", nullptr, &s), IDB_E_BAD_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  auto h = WaitForHistory(5);
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[0].reason, "empty_password");
  EXPECT_EQ(h[1].detail, "refused by the plugin: password too long");
  EXPECT_EQ(h[2].reason, "invalid_user_name");
  EXPECT_EQ(h[2].user, std::string(256, 'u'));
  EXPECT_EQ(h[3].reason, "invalid_user_name");
  EXPECT_EQ(h[4].reason, "token_invalid");
  for (const auto& row : h) EXPECT_EQ(row.detail.find("pppp"), std::string::npos);
}

TEST_F(LoginOriginEndToEndTest, FleetHostPrintsTheAccountTheDaemonResolved) {
  StartDaemon();
  std::string out;
  int rc = RunProgram({FLEET_HOST_PATH, "--plugin", IDB_PLUGIN_PATH, "--socket", env_.socket_path(), "--user",
                       kAdminUser, "--client-address", "10.20.3.4", "--workstation", "DEPOT-A-PC12"},
                      std::string(kAdminPassword) + "\n", &out);
  EXPECT_EQ(rc, 0) << out;
  // The name comes from idb_session_info_get (the daemon's), with its source.
  EXPECT_NE(out.find("Signed in as breakglass (local; plugin"), std::string::npos) << out;
  auto h = WaitForHistory(1);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].client_address, "10.20.3.4");
  EXPECT_NE(h[0].client.find("app=fleet-host workstation=DEPOT-A-PC12"), std::string::npos) << h[0].client;
}

}  // namespace
