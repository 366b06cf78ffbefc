// store_faults_test.cc — the built idbridged with real store faults: the
// filesystem holding the store fills up (a tmpfs this test mounts as root;
// skipped with a message where it cannot mount), and the store file is
// removed or replaced under the running daemon. For each: what the admin sees
// (idbridgectl exit codes, messages, status), what the user gets (a plugin
// login), what the login history and the security log hold afterwards, and
// that `idbridgectl audit verify` agrees.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon_test_env.h"
#include "idbridge.h"
#include "plugin_api.h"

namespace {

using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;

struct Ran {
  int code = -1;
  std::string out;  // stdout + stderr
};

Ran Program(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe(out) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(out[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  Ran r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) r.out.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Polls `done` every 50 ms for at most `seconds` (generous: a loaded CI box).
bool WaitUntil(const std::function<bool()>& done, int seconds = 60) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class StoreFaultTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (client_) api_.client_close(client_);
    StopDaemon();
    if (mounted_) ::umount2(env_.dir().c_str(), MNT_DETACH);
  }

  // A small tmpfs over the environment's directory, so the store and its WAL
  // live on a filesystem the test can fill. false: cannot mount here.
  bool MountSmallFilesystem() {
    const std::string opts = "size=4m,mode=0700";
    if (::mount("tmpfs", env_.dir().c_str(), "tmpfs", 0, opts.c_str()) != 0) return false;
    mounted_ = true;
    return true;
  }

  void Configure(const std::string& store_extra) {
    env_.WriteConfig("rules.yaml", "", store_extra);
    env_.AddLocalAdmin();  // creates the store: 1 security-log entry (local_admin.set)
  }

  void StartDaemon() {
    log_path_ = env_.dir() + "/../idbridged-" + std::to_string(::getpid()) + ".log";
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 2);
      ::execl(IDBRIDGED_PATH, IDBRIDGED_PATH, "--config", env_.config_path().c_str(), nullptr);
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(WaitUntil([&] { return api_.client_ping(Client()) == IDB_OK; }, 20))
        << idb::daemon::testing::ReadWholeFile(log_path_);
  }

  void StopDaemon() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    std::remove(log_path_.c_str());
  }

  idb_client* Client() {
    if (client_ == nullptr) {
      idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
      o.socket_path = env_.socket_path().c_str();
      o.request_timeout_ms = 10000;
      EXPECT_EQ(api_.client_open(&o, &client_), IDB_OK);
    }
    return client_;
  }

  // What the user gets: IDB_OK or the plugin's error code.
  idb_status Login(idb_session** keep = nullptr) {
    idb_session* s = nullptr;
    idb_status st = api_.login(Client(), kAdminUser, kAdminPassword, &s);
    if (keep != nullptr) {
      *keep = s;
    } else if (s != nullptr) {
      api_.session_close(s);
    }
    return st;
  }

  Ran Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), IDBRIDGECTL_PATH);
    args.push_back("--config");
    args.push_back(env_.config_path());
    return Program(args);
  }

  nlohmann::json Json(const Ran& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  // Rows in the login history by reason ("ok", "history_unavailable"...).
  std::map<std::string, int> HistoryReasons() {
    std::map<std::string, int> by_reason;
    Ran r = Ctl({"history", "--json"});
    EXPECT_EQ(r.code, 0) << r.out;
    const nlohmann::json j = Json(r);
    for (const auto& row : j["logins"]) by_reason[row["reason"].get<std::string>()]++;
    return by_reason;
  }

  std::vector<std::string> AuditActions() {
    std::vector<std::string> actions;
    Ran r = Ctl({"audit", "list", "--json"});
    EXPECT_EQ(r.code, 0) << r.out;
    const nlohmann::json j = Json(r);
    for (const auto& e : j["entries"]) actions.push_back(e["action"].get<std::string>());
    return actions;
  }

  // Fills the filesystem of the store to the last byte.
  void FillDisk() {
    filler_ = env_.dir() + "/filler";
    int fd = ::open(filler_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    std::vector<char> block(64 * 1024, 'x');
    for (size_t size = block.size(); size > 0; size /= 2) {
      while (::write(fd, block.data(), size) == static_cast<ssize_t>(size)) {
      }
    }
    ::fsync(fd);
    ::close(fd);
  }
  void FreeDisk() { ASSERT_EQ(::unlink(filler_.c_str()), 0); }

  DaemonTestEnv env_;
  idb::daemon::testing::PluginApi api_;
  idb_client* client_ = nullptr;
  pid_t pid_ = -1;
  bool mounted_ = false;
  std::string log_path_, filler_;
};

TEST_F(StoreFaultTest, FullDiskRefusesAdminActionsQueuesHistoryThenRefusesLoginsAndRecoversEveryRow) {
  if (!MountSmallFilesystem()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  Configure("history_queue_rows: 8\n");
  StartDaemon();
  idb_session* open_session = nullptr;
  ASSERT_EQ(Login(&open_session), IDB_OK);
  ASSERT_TRUE(WaitUntil([&] { return HistoryReasons()["ok"] == 1; }));

  FillDisk();

  // The admin: every action is refused, exit non-zero, nothing changes.
  Ran reload = Ctl({"reload"});
  EXPECT_EQ(reload.code, 1) << reload.out;
  EXPECT_NE(reload.out.find("security-log entry for config.reload cannot be written, so nothing was changed"),
            std::string::npos)
      << reload.out;
  Ran revoke = Ctl({"revoke", kAdminUser});
  EXPECT_EQ(revoke.code, 1) << revoke.out;
  EXPECT_NE(revoke.out.find("session.revoke cannot be written"), std::string::npos) << revoke.out;
  EXPECT_EQ(api_.refresh(open_session), IDB_OK) << "the refused revoke must not have ended the session";
  Ran grant = Ctl({"override", "grant", "--user", "alice", "--perm", "reports.view"});
  EXPECT_EQ(grant.code, 2) << grant.out;

  // The user: logins are answered while their rows fit the queue (8), then
  // refused ("idbridged unavailable"), never with a row dropped.
  int answered = 0, refused = 0;
  for (int i = 0; i < 12; ++i) {
    idb_status st = Login();
    if (st == IDB_OK) ++answered;
    if (st == IDB_E_DAEMON_UNAVAILABLE) ++refused;
  }
  EXPECT_EQ(answered, 8);
  EXPECT_EQ(refused, 4);
  Ran status;
  EXPECT_TRUE(WaitUntil([&] { return (status = Ctl({"status"})).code == 1; })) << status.out;  // after a failed commit
  EXPECT_NE(status.out.find("degraded"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("the login history cannot be written"), std::string::npos) << status.out;

  // Space returns: every queued row is written, the daemon is healthy again.
  FreeDisk();
  ASSERT_TRUE(WaitUntil([&] { return Ctl({"status"}).code == 0; })) << Ctl({"status"}).out;
  auto reasons = HistoryReasons();
  EXPECT_EQ(reasons["ok"], 1 + 8);
  EXPECT_EQ(reasons["history_unavailable"], 4);
  // The security log holds no entry for the refused actions, and verify agrees.
  EXPECT_EQ(AuditActions(), std::vector<std::string>{"local_admin.set"});
  Ran verify = Ctl({"audit", "verify"});
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_NE(verify.out.find("ok: 1 entries"), std::string::npos) << verify.out;
  // And admin actions work again, each with its entry.
  EXPECT_EQ(Ctl({"reload"}).code, 0);
  EXPECT_EQ(Ctl({"revoke", kAdminUser}).code, 0);
  EXPECT_EQ(AuditActions(), (std::vector<std::string>{"local_admin.set", "config.reload", "session.revoke"}));
  EXPECT_EQ(Ctl({"audit", "verify"}).code, 0);
  api_.session_close(open_session);
}

TEST_F(StoreFaultTest, FullDiskWithBeforeAnswerRefusesLoginsAtOnceAndRecordsTheRefusals) {
  if (!MountSmallFilesystem()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  Configure("history_commit: before_answer\n");
  StartDaemon();
  ASSERT_EQ(Login(), IDB_OK);  // answered only once its row is durable
  EXPECT_EQ(HistoryReasons()["ok"], 1);

  FillDisk();
  int answered = 0, refused = 0;
  for (int i = 0; i < 5; ++i) {
    idb_status st = Login();
    if (st == IDB_OK) ++answered;
    if (st == IDB_E_DAEMON_UNAVAILABLE) ++refused;
  }
  EXPECT_EQ(answered, 0) << "no login is answered OK without its durable row";
  EXPECT_EQ(refused, 5);

  FreeDisk();
  ASSERT_TRUE(WaitUntil([&] { return Ctl({"status"}).code == 0; })) << Ctl({"status"}).out;
  auto reasons = HistoryReasons();
  EXPECT_EQ(reasons["ok"], 1);
  EXPECT_EQ(reasons["history_unavailable"], 5);
  EXPECT_EQ(Login(), IDB_OK);
  EXPECT_EQ(HistoryReasons()["ok"], 2);
  EXPECT_EQ(Ctl({"audit", "verify"}).code, 0);
}

TEST_F(StoreFaultTest, StoreFileRemovedUnderTheDaemonIsDetectedAndNothingIsWrittenElsewhere) {
  Configure("history_queue_rows: 4\n");
  StartDaemon();
  ASSERT_EQ(Login(), IDB_OK);
  ASSERT_TRUE(WaitUntil([&] { return HistoryReasons()["ok"] == 1; }));
  // "Removed": gone from its path (kept aside under another name, so the test
  // can put the same file back).
  const std::string aside = env_.store_path() + ".aside";
  ASSERT_EQ(::rename(env_.store_path().c_str(), aside.c_str()), 0);

  Ran status = Ctl({"status"});
  EXPECT_EQ(status.code, 1) << status.out;
  EXPECT_NE(status.out.find("was removed while in use"), std::string::npos) << status.out;
  Ran reload = Ctl({"reload"});
  EXPECT_EQ(reload.code, 1) << reload.out;
  EXPECT_NE(reload.out.find("was removed while in use"), std::string::npos) << reload.out;
  EXPECT_EQ(Ctl({"revoke", kAdminUser}).code, 1);
  // idbridgectl never creates a store where the configured one is missing.
  Ran grant = Ctl({"override", "grant", "--user", "alice", "--perm", "reports.view"});
  EXPECT_EQ(grant.code, 2) << grant.out;
  EXPECT_NE(grant.out.find("idbridgectl init"), std::string::npos) << grant.out;
  EXPECT_FALSE(std::filesystem::exists(env_.store_path()));
  // Users: answered while the queue has room (4 rows), then refused.
  int answered = 0, refused = 0;
  for (int i = 0; i < 6; ++i) {
    idb_status st = Login();
    if (st == IDB_OK) ++answered;
    if (st == IDB_E_DAEMON_UNAVAILABLE) ++refused;
  }
  EXPECT_EQ(answered, 4);
  EXPECT_EQ(refused, 2);

  // The file comes back: the daemon writes what waited and is healthy again.
  ASSERT_EQ(::rename(aside.c_str(), env_.store_path().c_str()), 0);
  ASSERT_TRUE(WaitUntil([&] { return Ctl({"status"}).code == 0; })) << Ctl({"status"}).out;
  auto reasons = HistoryReasons();
  EXPECT_EQ(reasons["ok"], 1 + 4);
  EXPECT_EQ(reasons["history_unavailable"], 2);
  EXPECT_EQ(AuditActions(), std::vector<std::string>{"local_admin.set"});
  EXPECT_EQ(Ctl({"audit", "verify"}).code, 0);
}

TEST_F(StoreFaultTest, StoreFileReplacedUnderTheDaemonIsDetectedAndAdminActionsRefused) {
  Configure("");
  StartDaemon();
  const std::string other = env_.dir() + "/other.db";
  ASSERT_EQ(Program({IDBRIDGECTL_PATH, "init", "--store", other}).code, 0);
  ASSERT_EQ(::rename(other.c_str(), env_.store_path().c_str()), 0);

  Ran status = Ctl({"status"});
  EXPECT_EQ(status.code, 1) << status.out;
  EXPECT_NE(status.out.find("was replaced by another file"), std::string::npos) << status.out;
  Ran reload = Ctl({"reload"});
  EXPECT_EQ(reload.code, 1) << reload.out;
  EXPECT_NE(reload.out.find("was replaced by another file"), std::string::npos) << reload.out;
  // The daemon wrote nothing into either file: the new one is empty and intact.
  Ran verify = Ctl({"audit", "verify"});
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_NE(verify.out.find("ok: 0 entries"), std::string::npos) << verify.out;
}

}  // namespace
