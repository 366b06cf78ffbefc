// Two writers at once — a daemon-like process and a CLI-like one, each with its
// own connection — must never see "database is locked"; and one Store shared
// by many threads must stay consistent (also run under TSan).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

using testing::T;
using testing::TempDir;

constexpr int kWrites = 150;

// Returns the number of failed operations.
int DaemonLikeWrites(Store& s) {
  int failures = 0;
  for (int i = 0; i < kWrites; ++i) {
    LoginRecord r{0, T("2026-06-01"), "user" + std::to_string(i), "ldap", "ldap:corp", true, "ok", "uid=1", ""};
    if (!s.RecordLogin(r).ok()) ++failures;
    Identity id;
    id.user = "user" + std::to_string(i % 10);
    id.source = "ldap:corp";
    if (!s.RememberIdentity(id, T("2026-06-01")).ok()) ++failures;
  }
  return failures;
}

int CliLikeWrites(Store& s, const std::string& prefix) {
  int failures = 0;
  for (int i = 0; i < kWrites; ++i) {
    NewOverride o;
    o.user = prefix + std::to_string(i);
    o.permission = "work_orders.view";
    if (!s.AddOverride(o, "cli (uid 0)", T("2026-06-01")).ok()) ++failures;
  }
  return failures;
}

TEST(StoreConcurrency, TwoProcessesWriteAtOnceWithoutLockErrors) {
  TempDir dir;
  const std::string path = dir.File("idb.db");
  { ASSERT_TRUE(OpenSqliteStore(path).ok()); }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = OpenSqliteStore(path);
    if (!s.ok()) ::_exit(100);
    ::_exit(std::min(99, DaemonLikeWrites(**s)));
  }
  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(CliLikeWrites(**s, "cli"), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "daemon-like writer failures";
  HistoryQuery q;
  q.limit = 10000;
  EXPECT_EQ((*s)->QueryHistory(q)->size(), static_cast<size_t>(kWrites));
  EXPECT_EQ((*s)->ListOverrides(std::nullopt)->size(), static_cast<size_t>(kWrites));
  EXPECT_TRUE((*s)->VerifySecurityLog()->ok);
}

TEST(StoreConcurrency, TwoConnectionsInOneProcessWriteTheChainWithoutGaps) {
  TempDir dir;
  const std::string path = dir.File("idb.db");
  auto a = OpenSqliteStore(path);
  auto b = OpenSqliteStore(path);
  ASSERT_TRUE(a.ok() && b.ok());
  int fa = 0, fb = 0;
  std::thread ta([&] { fa = CliLikeWrites(**a, "a"); });
  std::thread tb([&] { fb = CliLikeWrites(**b, "b"); });
  ta.join();
  tb.join();
  EXPECT_EQ(fa, 0);
  EXPECT_EQ(fb, 0);
  auto report = (*a)->VerifySecurityLog();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, 2 * kWrites);
}

TEST(StoreConcurrency, ManyThreadsShareOneStore) {
  TempDir dir;
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_TRUE(s.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        NewOverride o;
        o.user = "t" + std::to_string(t) + "-" + std::to_string(i);
        o.permission = "a.view";
        if (!(*s)->AddOverride(o, "x", T("2026-06-01")).ok()) ++failures;
        if (!(*s)->AdjustmentsFor(o.user, T("2026-06-01")).ok()) ++failures;
        if (!(*s)->RecordLogin({0, T("2026-06-01"), o.user, "local", "local", true, "ok", "", ""}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ((*s)->ListOverrides(std::nullopt)->size(), 160u);
  EXPECT_TRUE((*s)->VerifySecurityLog()->ok);
}

}  // namespace
}  // namespace idb::store

namespace idb::store {
namespace {

// The sign-in path (AdjustmentsFor) has its own read connection: it answers
// from the last committed snapshot while a write on the same Store waits for
// the file's write lock (as the login-history group commit waits for its
// fsync). With one shared connection it would wait as long as the writer.
TEST(StoreConcurrency, AdjustmentsAreReadWhileAWriteOfTheSameStoreWaits) {
  TempDir dir;
  SqliteStoreOptions o;
  o.busy_timeout_ms = 3000;
  auto s = OpenSqliteStore(dir.File("idb.db"), o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  NewOverride g;
  g.user = "alice";
  g.permission = "work_orders.view";
  ASSERT_TRUE((*s)->AddOverride(g, "tester", T("2026-06-01")).ok());

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("idb.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);  // holds the write lock
  std::thread writer([&] {
    LoginRecord r{0, T("2026-06-01"), "bob", "ldap", "ldap:corp", true, "ok", "uid=1", ""};
    (void)(*s)->RecordLogin(r);  // waits on the busy timeout, inside the Store
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the writer take the Store's connection
  const auto start = std::chrono::steady_clock::now();
  auto adj = (*s)->AdjustmentsFor("alice", T("2026-06-01T01:00Z"));
  const auto took = std::chrono::steady_clock::now() - start;
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  writer.join();
  sqlite3_close(raw);
  ASSERT_TRUE(adj.ok()) << adj.status().ToString();
  EXPECT_EQ(adj->overrides.size(), 1u);
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace idb::store
