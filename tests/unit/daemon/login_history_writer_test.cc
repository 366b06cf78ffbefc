// login_history_writer_test.cc — group commit of login history: order per
// producer, drain on Stop, bounded queue refusing admission (never dropping),
// failed commits kept and retried in order, before_answer durability.
// Runs under TSan too (label tsan).
#include "daemon/login_history_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace idb::daemon {
namespace {

using store::LoginRecord;

// Records what the writer commits; can be told to fail or to block.
class FakeStore final : public store::Store {
 public:
  Status RecordLogins(const std::vector<LoginRecord>& records) override {
    std::unique_lock<std::mutex> lock(mu);
    gate_cv.wait(lock, [&] { return open; });
    ++batches;
    if (fail) return Unavailable("disk full");
    for (const auto& r : records) rows.push_back(r);
    return Status::Ok();
  }
  Status RecordLogin(const LoginRecord& r) override { return RecordLogins({r}); }
  Status RememberIdentities(const std::vector<store::KnownUser>& users) override {
    std::lock_guard<std::mutex> lock(mu);
    if (fail) return Unavailable("disk full");
    for (const auto& u : users) known.push_back(u.identity.user);
    return Status::Ok();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu);
    open = false;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    gate_cv.notify_all();
  }

  std::mutex mu;
  std::condition_variable gate_cv;
  bool open = true;
  bool fail = false;
  int batches = 0;
  std::vector<LoginRecord> rows;
  std::vector<std::string> known;

  // Unused by the writer.
  Result<int64_t> AddOverride(const store::NewOverride&, const store::Actor&, SystemTime) override { return No(); }
  Status RemoveOverride(int64_t, const store::Actor&, SystemTime) override { return No(); }
  Result<int64_t> RemoveOverrides(const store::OverrideKey&, const store::Actor&, SystemTime) override { return No(); }
  Result<std::vector<store::StoredOverride>> ListOverrides(const std::optional<std::string>&) override { return No(); }
  Status UpdateLimits(const std::string&, const store::LimitsUpdate&, const store::Actor&, SystemTime) override {
    return No();
  }
  Status ClearLimits(const std::string&, const store::Actor&, SystemTime) override { return No(); }
  Result<UserLimits> GetLimits(const std::string&) override { return No(); }
  Result<std::vector<std::pair<std::string, UserLimits>>> ListLimits() override { return No(); }
  Result<UserAdjustments> AdjustmentsFor(const std::string&, SystemTime) override { return No(); }
  Result<std::vector<LoginRecord>> QueryHistory(const store::HistoryQuery&) override { return No(); }
  Result<int64_t> PruneHistory(SystemTime, const store::Actor&, SystemTime) override { return No(); }
  Result<int64_t> AppendSecurityEvent(const store::SecurityEvent&, SystemTime) override { return No(); }
  Result<std::vector<store::SecurityLogEntry>> ListSecurityLog(int64_t, int64_t) override { return No(); }
  Result<store::AuditReport> VerifySecurityLog() override { return No(); }
  Status RememberIdentity(const Identity&, SystemTime) override { return No(); }
  Result<std::vector<store::KnownUser>> ListKnownUsers() override { return No(); }
  Status SetLocalAdmin(const std::string&, const std::string&, const store::Actor&, SystemTime) override {
    return No();
  }
  Status RemoveLocalAdmin(const std::string&, const store::Actor&, SystemTime) override { return No(); }
  Status PutOfflineCredential(const store::OfflineCredential&) override { return No(); }
  Result<store::OfflineCredential> GetOfflineCredential(const std::string&, const std::string&) override { return No(); }
  Result<bool> RecordOfflineFailure(const std::string&, const std::string&, const std::string&, int,
                                    SystemTime) override {
    return No();
  }
  Status ClearOfflineFailures(const std::string&, const std::string&, const std::string&) override { return No(); }
  Status DeleteOfflineCredential(const std::string&, const std::string&) override { return No(); }
  Result<std::vector<store::OfflineCredentialInfo>> ListOfflineCredentials(const std::optional<std::string>&) override {
    return No();
  }
  Result<int64_t> ForgetOfflineCredentials(const std::string&, const std::optional<std::string>&, const store::Actor&,
                                           SystemTime) override {
    return No();
  }
  Result<store::LocalAdminRecord> GetLocalAdmin(const std::string&) override { return No(); }
  Result<std::vector<std::string>> ListLocalAdmins() override { return No(); }
  Status CheckIntegrity() override { return No(); }

 private:
  static Status No() { return Internal("not used by the writer"); }
};

LoginRecord Row(const std::string& user, int n) {
  LoginRecord r;
  r.user = user;
  r.method = "local";
  r.reason = "ok";
  r.success = true;
  r.detail = std::to_string(n);
  return r;
}

TEST(LoginHistoryWriter, RowsFromConcurrentProducersArriveInOrderPerProducerAfterStop) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.max_queue = 64;  // small: producers block on a full queue too
  opt.batch_rows = 16;
  opt.max_delay = std::chrono::milliseconds(2);
  LoginHistoryWriter writer(store, opt, nullptr);
  constexpr int kProducers = 8, kRows = 500;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < kRows; ++i) {
        while (!writer.Admit()) std::this_thread::yield();  // a full queue refuses; the caller would deny
        writer.Enqueue(Row("user" + std::to_string(p), i), /*admitted=*/true);
      }
    });
  for (auto& t : producers) t.join();
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  ASSERT_EQ(store.rows.size(), size_t{kProducers * kRows});
  std::map<std::string, int> next;
  for (const auto& r : store.rows) {
    EXPECT_EQ(r.detail, std::to_string(next[r.user])) << r.user;
    ++next[r.user];
  }
  EXPECT_EQ(next.size(), size_t{kProducers});
  EXPECT_LT(store.batches, kProducers * kRows) << "rows were not grouped into transactions";
  EXPECT_EQ(writer.committed_rows(), uint64_t{kProducers * kRows});
}

TEST(LoginHistoryWriter, StopDrainsEverythingQueuedBeforeTheDelayExpires) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.batch_rows = 1000;
  opt.max_delay = std::chrono::hours(1);  // only Stop() can make it commit
  LoginHistoryWriter writer(store, opt, nullptr);
  for (int i = 0; i < 10; ++i) writer.Enqueue(Row("alice", i));
  store::KnownUser alice;
  alice.identity.user = "alice";
  writer.EnqueueIdentity(alice);
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_EQ(store.rows.size(), 10u);
  EXPECT_EQ(store.known, std::vector<std::string>{"alice"});
}

TEST(LoginHistoryWriter, DestructorDrainsToo) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.max_delay = std::chrono::hours(1);
  opt.batch_rows = 1000;
  {
    LoginHistoryWriter writer(store, opt, nullptr);
    writer.Enqueue(Row("bob", 0));
  }
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_EQ(store.rows.size(), 1u);
}

TEST(LoginHistoryWriter, FullBatchCommitsWithoutWaitingForTheDelay) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.batch_rows = 4;
  opt.max_delay = std::chrono::hours(1);
  LoginHistoryWriter writer(store, opt, nullptr);
  for (int i = 0; i < 4; ++i) writer.Enqueue(Row("carol", i));
  writer.Flush();  // returns only because the batch was full
  EXPECT_EQ(writer.committed_rows(), 4u);
  writer.Stop();
}

TEST(LoginHistoryWriter, FullQueueRefusesAdmissionButKeepsEveryRow) {
  FakeStore store;
  store.Close();  // the first commit hangs until Open()
  LoginHistoryWriter::Options opt;
  opt.max_queue = 3;
  opt.refusal_reserve = 2;
  opt.batch_rows = 1;
  opt.max_delay = std::chrono::milliseconds(0);
  LoginHistoryWriter writer(store, opt, nullptr);
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    if (!writer.Admit()) break;
    writer.Enqueue(Row("dave", i), /*admitted=*/true);
    ++admitted;
  }
  EXPECT_EQ(admitted, 3) << "the bound is max_queue rows";
  EXPECT_FALSE(writer.Admit());
  // Refusals while full: two fit the reserve, the rest are counted.
  for (int i = 0; i < 5; ++i) {
    LoginRecord r = Row("refused", i);
    r.success = false;
    r.reason = kHistoryUnavailableReason;
    writer.Enqueue(r, /*admitted=*/false);
  }
  EXPECT_EQ(writer.backlog().unrecorded_refusals, 3u);
  store.Open();
  writer.Flush();
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  ASSERT_EQ(store.rows.size(), 6u) << "3 admitted + 2 reserved refusals + 1 summary";
  EXPECT_EQ(store.rows[0].user, "dave");
  EXPECT_EQ(store.rows[3].user, "refused");
  EXPECT_EQ(store.rows[5].reason, kHistoryUnavailableReason);
  EXPECT_NE(store.rows[5].detail.find("3 further logins were refused"), std::string::npos) << store.rows[5].detail;
  EXPECT_EQ(writer.failed_rows(), 0u);
}

TEST(LoginHistoryWriter, FailedCommitKeepsItsRowsAndRetriesThemInOrder) {
  FakeStore store;
  store.fail = true;
  std::mutex mu;
  std::vector<std::string> errors;
  bool lost = false;
  LoginHistoryWriter::Options opt;
  opt.max_delay = std::chrono::milliseconds(1);
  opt.retry_min = std::chrono::milliseconds(1);
  opt.retry_max = std::chrono::milliseconds(5);
  LoginHistoryWriter writer(store, opt, [&](const Status& s, size_t, bool gave_up) {
    std::lock_guard<std::mutex> lock(mu);
    errors.push_back(s.ToString());
    lost = lost || gave_up;
  });
  ASSERT_TRUE(writer.Admit());
  writer.Enqueue(Row("erin", 0), true);
  ASSERT_TRUE(writer.Admit());
  writer.Enqueue(Row("erin", 1), true);
  writer.Flush();  // returns after a failed attempt
  EXPECT_TRUE(writer.backlog().failing);
  EXPECT_EQ(writer.backlog().queued_rows, 2u);
  ASSERT_TRUE(writer.Admit());
  writer.Enqueue(Row("erin", 2), true);  // queued behind the failed rows
  {
    std::lock_guard<std::mutex> lock(store.mu);
    store.fail = false;
  }
  // Recovery: the retry writes everything, oldest first (poll, no sleep verdict).
  for (int i = 0; i < 2000 && writer.committed_rows() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  writer.Stop();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("login history"), std::string::npos);
  EXPECT_NE(errors[0].find("disk full"), std::string::npos);
  EXPECT_FALSE(lost);
  EXPECT_EQ(writer.failed_rows(), 0u);
  EXPECT_GE(writer.failed_commits(), 1u);
  EXPECT_FALSE(writer.backlog().failing);
  std::lock_guard<std::mutex> slock(store.mu);
  ASSERT_EQ(store.rows.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(store.rows[i].detail, std::to_string(i));
}

TEST(LoginHistoryWriter, StopWithTheStoreStillFailingReportsTheRowsLost) {
  FakeStore store;
  store.fail = true;
  size_t lost_rows = 0;
  LoginHistoryWriter::Options opt;
  opt.max_delay = std::chrono::milliseconds(1);
  LoginHistoryWriter writer(store, opt, [&](const Status&, size_t rows, bool lost) {
    if (lost) lost_rows += rows;
  });
  ASSERT_TRUE(writer.Admit());
  writer.Enqueue(Row("gina", 0), true);
  writer.Stop();
  EXPECT_EQ(lost_rows, 1u);
  EXPECT_EQ(writer.failed_rows(), 1u);
}

TEST(LoginHistoryWriter, BeforeAnswerLoginIsRefusedWhenStopGivesItsRowUp) {
  FakeStore store;
  store.fail = true;
  LoginHistoryWriter::Options opt;
  opt.mode = LoginHistoryWriter::CommitMode::kBeforeAnswer;
  opt.retry_min = std::chrono::hours(1);  // no retry before Stop()
  LoginHistoryWriter writer(store, opt, nullptr);
  ASSERT_TRUE(writer.Admit());
  const uint64_t first = writer.Enqueue(Row("jane", 0), true);
  EXPECT_FALSE(writer.WaitDurable(first).ok());
  writer.Stop();  // gives the queued row up
  writer.Enqueue(Row("jane", 1), true);  // after Stop: written synchronously, fails
  const uint64_t late = writer.Enqueue(Row("jane", 2), true);
  EXPECT_EQ(late, LoginHistoryWriter::kNotDurable);
  EXPECT_FALSE(writer.WaitDurable(late).ok());
}

TEST(LoginHistoryWriter, BeforeAnswerReturnsOnlyOnceTheRowIsCommitted) {
  FakeStore store;
  store.Close();
  LoginHistoryWriter::Options opt;
  opt.mode = LoginHistoryWriter::CommitMode::kBeforeAnswer;
  opt.max_delay = std::chrono::hours(1);  // ignored in this mode: commit at once
  LoginHistoryWriter writer(store, opt, nullptr);
  ASSERT_TRUE(writer.Admit());
  const uint64_t ticket = writer.Enqueue(Row("hank", 0), true);
  std::atomic<bool> answered{false};
  Status result = Internal("not set");
  std::thread login([&] {
    result = writer.WaitDurable(ticket);
    answered = true;
  });
  // The writer is stuck in the store: the login must not be answered.
  for (int i = 0; i < 50; ++i) std::this_thread::yield();
  EXPECT_FALSE(answered.load());
  store.Open();
  login.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  std::lock_guard<std::mutex> lock(store.mu);
  ASSERT_EQ(store.rows.size(), 1u);
  EXPECT_TRUE(store.rows[0].success);
  writer.Stop();
}

TEST(LoginHistoryWriter, BeforeAnswerFailedCommitRefusesTheLoginAndRecordsTheRefusalLater) {
  FakeStore store;
  store.fail = true;
  LoginHistoryWriter::Options opt;
  opt.mode = LoginHistoryWriter::CommitMode::kBeforeAnswer;
  opt.retry_min = std::chrono::milliseconds(1);
  opt.retry_max = std::chrono::milliseconds(5);
  LoginHistoryWriter writer(store, opt, nullptr);
  ASSERT_TRUE(writer.Admit());
  const uint64_t ticket = writer.Enqueue(Row("ivan", 0), true);
  Status s = writer.WaitDurable(ticket);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find("disk full"), std::string::npos);
  EXPECT_FALSE(writer.Admit()) << "while commits fail, before_answer refuses at once";
  {
    std::lock_guard<std::mutex> lock(store.mu);
    store.fail = false;
  }
  for (int i = 0; i < 2000 && writer.committed_rows() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  ASSERT_EQ(store.rows.size(), 1u);
  EXPECT_FALSE(store.rows[0].success);
  EXPECT_EQ(store.rows[0].reason, kHistoryUnavailableReason);
}

TEST(LoginHistoryWriter, EnqueueAfterStopIsWrittenNotLost) {
  FakeStore store;
  LoginHistoryWriter writer(store, {}, nullptr);
  writer.Stop();
  writer.Enqueue(Row("frank", 0));
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_EQ(store.rows.size(), 1u);
}

}  // namespace
}  // namespace idb::daemon

namespace idb::daemon {
namespace {

store::KnownUser Known(const std::string& user, const std::string& group) {
  store::KnownUser k;
  k.identity.user = user;
  k.identity.source = "ldap:corp";
  k.identity.groups.push_back({"cn=" + group + ",ou=Groups,dc=fleet,dc=test", group, "", {}});
  return k;
}

TEST(LoginHistoryWriter, UnchangedIdentityIsWrittenOncePerRefreshInterval) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.identity_refresh = std::chrono::hours(1);
  LoginHistoryWriter writer(store, opt, nullptr);
  for (int i = 0; i < 5; ++i) writer.EnqueueIdentity(Known("alice", "Mechanics"));
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_EQ(store.known, std::vector<std::string>{"alice"});
  EXPECT_EQ(writer.skipped_identities(), 4u);
}

TEST(LoginHistoryWriter, ChangedIdentityIsWrittenAgainAtOnce) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.identity_refresh = std::chrono::hours(1);
  LoginHistoryWriter writer(store, opt, nullptr);
  writer.EnqueueIdentity(Known("alice", "Mechanics"));
  writer.EnqueueIdentity(Known("alice", "Fleet Managers"));  // a group changed
  writer.EnqueueIdentity(Known("bob", "Mechanics"));
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_EQ(store.known, (std::vector<std::string>{"alice", "alice", "bob"}));
}

TEST(LoginHistoryWriter, ZeroRefreshWritesEveryIdentity) {
  FakeStore store;
  LoginHistoryWriter::Options opt;
  opt.identity_refresh = std::chrono::seconds(0);
  LoginHistoryWriter writer(store, opt, nullptr);
  for (int i = 0; i < 3; ++i) writer.EnqueueIdentity(Known("alice", "Mechanics"));
  writer.Stop();
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_EQ(store.known.size(), 3u);
}

}  // namespace
}  // namespace idb::daemon
