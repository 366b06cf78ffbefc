// Integration tests: failover between two slapd servers, timeouts, offline
// logins and concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "slapd_fixture.h"

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
