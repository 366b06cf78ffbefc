// concurrency_test.cc — many threads checking one session while another
// thread refreshes it and the daemon reloads (run under TSan: label tsan).
// Every answer must be one of the consistent states (before/after the
// override), never a crash, a torn read or an allow that was never granted.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"

namespace {

using idb::daemon::DaemonServer;
using idb::daemon::testing::DaemonTestEnv;
using idb::daemon::testing::kAdminPassword;
using idb::daemon::testing::kAdminUser;

TEST(PluginConcurrency, ManyThreadsCheckWhileTheSessionRefreshes) {
  idb::daemon::Log::SetQuiet(true);
  DaemonTestEnv env;
  env.AddLocalAdmin();
  auto daemon = DaemonServer::Start(env.Options());
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();

  idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
  o.socket_path = env.socket_path().c_str();
  idb_client* client = nullptr;
  ASSERT_EQ(idb_client_open(&o, &client), IDB_OK);
  idb_session* s = nullptr;
  ASSERT_EQ(idb_login(client, kAdminUser, kAdminPassword, &s), IDB_OK);

  std::atomic<bool> stop{false};
  std::atomic<long> checks{0}, bad{0};
  std::vector<std::thread> checkers;
  for (int t = 0; t < 6; ++t) {
    checkers.emplace_back([&] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        // Always granted; never granted; toggled by the refresher.
        if (idb_check(s, "work_orders.view", "Depot A", nullptr) != IDB_ALLOW) bad.fetch_add(1);
        if (idb_check(s, "reports.export", nullptr, nullptr) != IDB_DENY) bad.fetch_add(1);
        (void)idb_check(s, "work_orders.delete", "Depot A", nullptr);
        n += 3;
      }
      checks.fetch_add(n);
    });
  }
  // Refresher: add/remove a grant override and refresh, many times.
  auto store = env.OpenStore();
  for (int i = 0; i < 20; ++i) {
    idb::store::NewOverride grant;
    grant.user = kAdminUser;
    grant.permission = "work_orders.delete";
    grant.location = "Depot A";
    auto id = store->AddOverride(grant, "test", std::chrono::system_clock::now());
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_EQ(idb_session_refresh(s), IDB_OK);
    ASSERT_TRUE(store->RemoveOverride(*id, "test", std::chrono::system_clock::now()).ok());
    ASSERT_EQ(idb_session_refresh(s), IDB_OK);
    idb::daemon::Caller admin{"test", true};
    if (i % 5 == 0) (void)(*daemon)->core().Reload(admin);
  }
  stop = true;
  for (auto& t : checkers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(checks.load(), 0);
  EXPECT_EQ(idb_check(s, "work_orders.delete", "Depot A", nullptr), IDB_DENY);
  idb_session_close(s);
  idb_client_close(client);
}

TEST(PluginConcurrency, ManyThreadsLogInAtOnce) {
  idb::daemon::Log::SetQuiet(true);
  DaemonTestEnv env;
  env.AddLocalAdmin();
  auto daemon = DaemonServer::Start(env.Options());
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
  o.socket_path = env.socket_path().c_str();
  idb_client* client = nullptr;
  ASSERT_EQ(idb_client_open(&o, &client), IDB_OK);
  std::atomic<int> ok{0}, denied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        idb_session* s = nullptr;
        // Three wrong passwords in all: the break-glass throttle lets three
        // failures through before it slows the name down (ThrottleSettings).
        const bool wrong = t == 0 && i < 3;
        const char* pw = wrong ? "wrong-password" : kAdminPassword;
        idb_status st = idb_login(client, kAdminUser, pw, &s);
        if (st == IDB_OK) {
          ok.fetch_add(1);
          if (idb_check(s, "work_orders.view", "Depot A", nullptr) != IDB_ALLOW) denied.fetch_add(100);
          idb_session_close(s);
        } else if (st == IDB_E_BAD_CREDENTIALS) {
          denied.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load() + denied.load(), 20);
  EXPECT_EQ(ok.load(), 17);
  idb_client_close(client);
}

}  // namespace
