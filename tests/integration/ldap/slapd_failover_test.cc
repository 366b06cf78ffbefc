// Integration tests: failover between two slapd servers, timeouts, offline
// logins and concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "daemon/daemon_core.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "slapd_fixture.h"
#include "store/offline_credential_cache.h"
#include "store/sqlite_store.h"

namespace idb::ldap::testing {
namespace {

using namespace std::chrono_literals;

// Two independent slapd servers with the same data, trusted through one CA.
class TwoServers : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = idb::testing::MakeTempDir("idb-ldap-failover");
    auto ca = idb::testing::TestCa::Create(tmp_);
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_ = std::make_unique<idb::testing::TestCa>(std::move(*ca));
    for (auto* slot : {&a_, &b_}) {
      idb::testing::SlapdOptions o;
      o.ldif_files = {FixturePath("demo-company.ldif")};
      o.ca = ca_.get();
      auto s = idb::testing::SlapdServer::Start(o);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      *slot = std::move(*s);
    }
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    idb::testing::RemoveTree(tmp_);
  }
  DirectoryConfig Config() {
    DirectoryConfig c = DemoDirectory(*a_, tmp_);
    c.uris = {a_->ldaps_uri(), b_->ldaps_uri()};
    c.connect_timeout = 1000ms;
    c.operation_timeout = 2000ms;
    return c;
  }

  std::string tmp_;
  std::unique_ptr<idb::testing::TestCa> ca_;
  std::unique_ptr<idb::testing::SlapdServer> a_, b_;
};

const std::vector<std::pair<std::string, std::string>> kUsers = {
    {"fiona", "fiona-pw"}, {"mike", "mike-pw"}, {"sam", "sam-pw"}, {"alice", "alice-pw"}, {"dana", "dana-pw"}};

TEST_F(TwoServers, OneServerKilledMidRunLosesNoLogin) {
  auto auth = MakeAuthenticator(Config());
  std::atomic<int> done{0}, failed{0};
  std::string first_failure;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const auto& [user, pw] = kUsers[(t + i) % kUsers.size()];
        AuthOutcome o = auth->Authenticate(Login(user, pw));
        if (!o.ok()) {
          ++failed;
          std::lock_guard<std::mutex> lock(mu);
          if (first_failure.empty()) first_failure = user + ": " + LoginFailureName(o.failure) + " " + o.detail;
        }
        ++done;
      }
    });
  }
  while (done < 60) std::this_thread::sleep_for(1ms);
  a_->Kill();
  const int at_kill = done.load();
  for (auto& th : threads) th.join();
  EXPECT_LT(at_kill, 200) << "the kill came too late to test anything";
  EXPECT_EQ(failed.load(), 0) << first_failure;
  EXPECT_EQ(done.load(), 240);
}

TEST_F(TwoServers, HungServerIsSkippedAfterTheTimeout) {
  auto auth = MakeAuthenticator(Config());
  ASSERT_TRUE(auth->Authenticate(Login("mike", "mike-pw")).ok());
  a_->Pause();
  const auto start = std::chrono::steady_clock::now();
  AuthOutcome o = auth->Authenticate(Login("mike", "mike-pw"));
  const auto took = std::chrono::steady_clock::now() - start;
  a_->Resume();
  EXPECT_TRUE(o.ok()) << LoginFailureName(o.failure) << " " << o.detail;
  EXPECT_LT(took, 10s);
}

TEST_F(TwoServers, HungServerDuringTheTlsHandshakeIsBounded) {
  // libldap bounds only the TCP connect; the handshake with a server that
  // accepts but never answers is cut by our watchdog.
  a_->Pause();
  auto auth = MakeAuthenticator(Config());
  const auto start = std::chrono::steady_clock::now();
  AuthOutcome o = auth->Authenticate(Login("mike", "mike-pw"));
  const auto took = std::chrono::steady_clock::now() - start;
  a_->Resume();
  EXPECT_TRUE(o.ok()) << LoginFailureName(o.failure) << " " << o.detail;
  EXPECT_LT(took, 10s);
}

TEST_F(TwoServers, AllServersDownWithoutOfflineLoginsIsUnavailable) {
  auto auth = MakeAuthenticator(Config());
  ASSERT_TRUE(auth->Authenticate(Login("mike", "mike-pw")).ok());
  a_->Stop();
  b_->Stop();
  AuthOutcome o = auth->Authenticate(Login("mike", "mike-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kDirectoryUnavailable) << o.detail;
}

TEST_F(TwoServers, AllServersDownWithOfflineLoginsAcceptsCachedPasswordMarkedOffline) {
  DirectoryConfig c = Config();
  c.offline.enabled = true;
  auto auth = MakeAuthenticator(c);
  ASSERT_TRUE(auth->Authenticate(Login("sam", "sam-pw")).ok());
  a_->Stop();
  b_->Stop();
  AuthOutcome o = auth->Authenticate(Login("sam", "sam-pw"));
  ASSERT_TRUE(o.ok()) << LoginFailureName(o.failure) << " " << o.detail;
  EXPECT_TRUE(o.success.offline);
  ASSERT_NE(FindGroup(o.success.identity, "Mechanics"), nullptr);
  EXPECT_EQ(FindGroup(o.success.identity, "Mechanics")->via, std::vector<std::string>{"Senior Mechanics"});
}

TEST_F(TwoServers, OfflineWrongPasswordIsRefused) {
  DirectoryConfig c = Config();
  c.offline.enabled = true;
  auto auth = MakeAuthenticator(c);
  ASSERT_TRUE(auth->Authenticate(Login("sam", "sam-pw")).ok());
  a_->Stop();
  b_->Stop();
  EXPECT_EQ(auth->Authenticate(Login("sam", "guess")).failure, LoginFailure::kBadCredentials);
}

TEST_F(TwoServers, OfflineUserNeverSeenOnlineIsUnavailable) {
  DirectoryConfig c = Config();
  c.offline.enabled = true;
  auto auth = MakeAuthenticator(c);
  a_->Stop();
  b_->Stop();
  EXPECT_EQ(auth->Authenticate(Login("sam", "sam-pw")).failure, LoginFailure::kDirectoryUnavailable);
}

TEST_F(TwoServers, OfflineLockoutAfterRepeatedWrongPasswords) {
  DirectoryConfig c = Config();
  c.offline.enabled = true;
  c.offline.max_failures = 3;
  auto auth = MakeAuthenticator(c);
  ASSERT_TRUE(auth->Authenticate(Login("sam", "sam-pw")).ok());
  a_->Stop();
  b_->Stop();
  for (int i = 0; i < 3; ++i) (void)auth->Authenticate(Login("sam", "guess"));
  EXPECT_EQ(auth->Authenticate(Login("sam", "sam-pw")).failure, LoginFailure::kThrottled);
}

TEST_F(TwoServers, CachedPasswordIsNeverUsedWhenAServerSaysWrongPassword) {
  DirectoryConfig c = Config();
  c.offline.enabled = true;
  c.uris = {a_->ldaps_uri()};
  auto auth = MakeAuthenticator(c);
  ASSERT_TRUE(auth->Authenticate(Login("fiona", "fiona-pw")).ok());
  // The password changes in the directory; the old one is still cached.
  ASSERT_TRUE(a_->Modify("dn: uid=fiona,ou=People,dc=fleet,dc=test\nchangetype: modify\n"
                         "replace: userPassword\nuserPassword: fiona-new\n").ok());
  EXPECT_EQ(auth->Authenticate(Login("fiona", "fiona-pw")).failure, LoginFailure::kBadCredentials);
  EXPECT_TRUE(auth->Authenticate(Login("fiona", "fiona-new")).ok());
}

TEST_F(TwoServers, OfflineCredentialsExpireAfterMaxAge) {
  std::atomic<int64_t> now_s{1'700'000'000};
  LdapAuthenticatorOptions opts;
  opts.clock = [&] { return std::chrono::system_clock::time_point(std::chrono::seconds(now_s.load())); };
  DirectoryConfig c = Config();
  c.offline.enabled = true;
  c.offline.max_age = 1h;
  auto auth = MakeAuthenticator(c, opts);
  ASSERT_TRUE(auth->Authenticate(Login("sam", "sam-pw")).ok());
  a_->Stop();
  b_->Stop();
  now_s += 3601;
  EXPECT_EQ(auth->Authenticate(Login("sam", "sam-pw")).failure, LoginFailure::kDirectoryUnavailable);
}

// --- offline logins kept in the store: idbridged restarted while every
// directory server is down ---

class OfflineDaemon : public TwoServers {
 protected:
  void SetUp() override {
    TwoServers::SetUp();
    if (HasFatalFailure()) return;
    daemon::Log::SetQuiet(true);
    const std::string fx = daemon::testing::DaemonTestEnv::FixtureDir();
    idb::testing::WriteFile(env_.dir() + "/ldap_rules.yaml",
                            "version: 1\ndefault: deny\nrules:\n  - name: mechanics\n"
                            "    match: { group_glob: \"*\" }\n    grant_profiles: [technician]\n",
                            0600);
    env_.WriteRawConfig(
        "version: 1\nmappings:\n  catalog: " + fx + "/catalog.yaml\n  profiles: " + fx +
        "/profiles.yaml\n  rules: " + env_.dir() + "/ldap_rules.yaml\nstore:\n  path: " + env_.store_path() +
        "\ndaemon:\n  socket: " + env_.socket_path() + "\n  socket_mode: \"0660\"\n"
        "directories:\n  - name: corp\n    preset: openldap\n    uris: [" + a_->ldaps_uri() + ", " +
        b_->ldaps_uri() + "]\n    ca_file: " + a_->ca_file() +
        "\n    bind_dn: cn=idbridge-svc,ou=Services,dc=fleet,dc=test\n    bind_password_file: " +
        WriteServicePassword(tmp_) +
        "\n    user_search_base: ou=People,dc=fleet,dc=test\n    group_search_base: ou=Groups,dc=fleet,dc=test\n"
        "    connect_timeout: 1s\n    operation_timeout: 2s\n    throttle: {enabled: false}\n"
        "    offline_logins: {enabled: true, max_age: 1h, hash_iterations: 1000, max_failures: 3, lockout: 15m}\n");
  }
  std::unique_ptr<daemon::DaemonCore> Start() {
    auto core = daemon::DaemonCore::Create(env_.Options());
    EXPECT_TRUE(core.ok()) << core.status().ToString();
    return core.ok() ? std::move(core).value() : nullptr;
  }
  daemon::Caller Client() { return daemon::Caller{"uid=1000 gid=1000 pid=5", false}; }

  daemon::testing::DaemonTestEnv env_;
};

TEST_F(OfflineDaemon, OfflineLoginWorksAfterADaemonRestartAndIsMarkedStale) {
  {
    auto core = Start();
    ASSERT_NE(core, nullptr);
    daemon::Reply r = core->Login("sam", Secret("sam-pw"), "", Client());
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["stale"], false);
  }
  a_->Stop();
  b_->Stop();
  auto core = Start();  // a new process would see the same: only the store is shared
  ASSERT_NE(core, nullptr);
  daemon::Reply r = core->Login("sam", Secret("sam-pw"), "", Client());
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["stale"], true);
  daemon::Reply s = core->GetSession(r.body["session"].get<std::string>());
  ASSERT_EQ(s.status, 200) << s.body.dump();
  EXPECT_EQ(s.body["stale"], true);
  core->FlushHistory();
  auto h = core->store().QueryHistory({});
  ASSERT_TRUE(h.ok());
  ASSERT_FALSE(h->empty());
  EXPECT_TRUE(h->back().success);
  EXPECT_EQ(h->back().user, "sam");
  EXPECT_EQ(h->back().detail, "offline");
}

TEST_F(OfflineDaemon, OfflineWrongPasswordsLockOutAcrossARestart) {
  {
    auto core = Start();
    ASSERT_NE(core, nullptr);
    ASSERT_EQ(core->Login("sam", Secret("sam-pw"), "", Client()).status, 200);
  }
  a_->Stop();
  b_->Stop();
  {
    auto core = Start();
    ASSERT_NE(core, nullptr);
    EXPECT_EQ(core->Login("sam", Secret("guess-1"), "", Client()).status, 401);
    EXPECT_EQ(core->Login("sam", Secret("guess-2"), "", Client()).status, 401);
  }
  auto core = Start();  // the count is in the store, not in the process
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->Login("sam", Secret("guess-3"), "", Client()).status, 401);
  daemon::Reply r = core->Login("sam", Secret("sam-pw"), "", Client());
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "account_locked");
}

TEST_F(OfflineDaemon, OfflineCredentialsOlderThanMaxAgeAreRefusedAfterARestart) {
  {
    auto core = Start();
    ASSERT_NE(core, nullptr);
    ASSERT_EQ(core->Login("sam", Secret("sam-pw"), "", Client()).status, 200);
  }
  a_->Stop();
  b_->Stop();
  // The authenticator rebuilt on the same store file, an hour and a second later.
  auto store = store::OpenSqliteStore(env_.store_path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const auto later = std::chrono::system_clock::now() + 1h + 1s;
  CredentialCacheSettings cs;
  cs.pbkdf2_iterations = 1000;
  cs.max_age = 1h;
  LdapAuthenticatorOptions opts;
  opts.clock = [later] { return later; };
  opts.credential_cache = std::make_shared<store::StoreCredentialCache>(store->get(), cs);
  DirectoryConfig c = Config();
  c.name = "corp";
  c.offline.enabled = true;
  c.offline.max_age = 1h;
  auto auth = MakeAuthenticator(c, opts);
  AuthOutcome o = auth->Authenticate(Login("sam", "sam-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kDirectoryUnavailable) << o.detail;
  EXPECT_NE(o.detail.find("offline_max_age"), std::string::npos) << o.detail;
}

TEST_F(TwoServers, FailedServerIsRetriedAfterItsBackOff) {
  std::atomic<int64_t> now_s{1'700'000'000};
  LdapAuthenticatorOptions opts;
  opts.clock = [&] { return std::chrono::system_clock::time_point(std::chrono::seconds(now_s.load())); };
  DirectoryConfig c = Config();
  c.uris = {a_->ldaps_uri()};
  c.server_retry_after = 30s;
  auto auth = MakeAuthenticator(c, opts);
  a_->Stop();
  EXPECT_EQ(auth->Authenticate(Login("mike", "mike-pw")).failure, LoginFailure::kDirectoryUnavailable);
  ASSERT_TRUE(a_->Restart().ok());
  // Still backing off: not even tried.
  EXPECT_EQ(auth->Authenticate(Login("mike", "mike-pw")).failure, LoginFailure::kDirectoryUnavailable);
  now_s += 31;
  AuthOutcome o = auth->Authenticate(Login("mike", "mike-pw"));
  EXPECT_TRUE(o.ok()) << o.detail;
}

TEST_F(TwoServers, ConnectionsClosedByARestartAreReopenedWithoutBackOff) {
  DirectoryConfig c = Config();
  c.uris = {a_->ldaps_uri()};  // one server: a back-off would mean "unavailable"
  auto auth = MakeAuthenticator(c);
  ASSERT_TRUE(auth->Authenticate(Login("mike", "mike-pw")).ok());
  a_->Stop();  // closes every pooled connection, like an idle timeout would
  ASSERT_TRUE(a_->Restart().ok());
  AuthOutcome o = auth->Authenticate(Login("mike", "mike-pw"));
  EXPECT_TRUE(o.ok()) << LoginFailureName(o.failure) << " " << o.detail;
}

TEST_F(TwoServers, TwentyThreadsLoggingInAtOnce) {
  DirectoryConfig c = Config();
  c.pool_size = 4;
  auto auth = MakeAuthenticator(c);
  std::atomic<int> ok{0}, bad{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < 10; ++i) {
        const auto& [user, pw] = kUsers[(t + i) % kUsers.size()];
        AuthOutcome o = auth->Authenticate(Login(user, pw));
        (o.ok() && o.success.identity.user == user ? ok : bad)++;
        // A wrong password in between must stay wrong under load.
        if (auth->Authenticate(Login(user, "nope")).failure != LoginFailure::kBadCredentials) ++bad;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace idb::ldap::testing
