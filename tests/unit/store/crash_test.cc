// Crash test: a child process adds overrides in a loop and reports each id
// through a pipe once AddOverride returned OK; it is SIGKILLed at random
// points, several rounds. Afterwards every reported write must be there, the
// file must pass PRAGMA integrity_check and the security log must verify.
// (SIGKILL tests the process dying mid-transaction; the power-cut half of
// durability comes from synchronous=FULL, which this test cannot cut power to.)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

using testing::T;
using testing::TempDir;

[[noreturn]] void WriterChild(const std::string& path, int round, int fd) {
  auto s = OpenSqliteStore(path);
  if (!s.ok()) ::_exit(3);
  for (int i = 0;; ++i) {
    NewOverride o;
    o.user = "crash-" + std::to_string(round) + "-" + std::to_string(i);
    o.permission = "work_orders.view";
    o.reason = "crash test";
    auto id = (*s)->AddOverride(o, "crash-test (uid 0)", T("2026-06-01"));
    if (!id.ok()) ::_exit(4);
    int64_t v = *id;
    if (::write(fd, &v, sizeof v) != sizeof v) ::_exit(5);
  }
}

TEST(StoreCrash, EveryAcknowledgedWriteSurvivesSigkill) {
  TempDir dir;
  const std::string path = dir.File("idb.db");
  { ASSERT_TRUE(OpenSqliteStore(path).ok()); }
  std::mt19937 rng(std::random_device{}());
  std::set<int64_t> acknowledged;
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      WriterChild(path, round, fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with status " << WEXITSTATUS(status);
    int64_t v;
    while (::read(fds[0], &v, sizeof v) == sizeof v) acknowledged.insert(v);
    ::close(fds[0]);
  }
  ASSERT_GT(acknowledged.size(), 5u) << "the writer made no progress";

  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->CheckIntegrity().ok()) << (*s)->CheckIntegrity().ToString();
  auto list = (*s)->ListOverrides(std::nullopt);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::set<int64_t> present;
  for (const auto& o : *list) present.insert(o.entry.id);
  for (int64_t id : acknowledged) EXPECT_TRUE(present.count(id)) << "acknowledged override #" << id << " was lost";
  auto report = (*s)->VerifySecurityLog();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  // One log entry per stored override, written in the same transaction.
  EXPECT_EQ(report->entries, static_cast<int64_t>(list->size()));
}

}  // namespace
}  // namespace idb::store
