// The store file itself: permissions, WAL/durability settings, schema
// versions, and damaged or foreign files (clear error, never a crash).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "store/schema.h"
#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

using testing::RawSql;
using testing::T;
using testing::TempDir;

const Actor kActor = "tester (uid 1000)";

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string PragmaText(const std::string& path, const char* pragma) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, pragma, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// Fills a store with enough rows to span many pages, then closes it.
void FillStore(const std::string& path, int n) {
  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int i = 0; i < n; ++i) {
    NewOverride o;
    o.user = "user" + std::to_string(i);
    o.permission = "work_orders.view";
    o.reason = std::string(200, 'r');
    ASSERT_TRUE((*s)->AddOverride(o, kActor, T("2026-06-01")).ok());
  }
}

TEST(StoreFile, NewFileIsCreatedWithMode0600EvenUnderALaxUmask) {
  TempDir dir;
  mode_t old = ::umask(0);
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(ModeOf(dir.File("idb.db")), 0600u);
  // SQLite gives the WAL and shared-memory files the database file's mode.
  NewOverride o;
  o.user = "alice";
  o.permission = "a.view";
  ASSERT_TRUE((*s)->AddOverride(o, kActor, T("2026-06-01")).ok());
  ASSERT_TRUE(std::filesystem::exists(dir.File("idb.db-wal")));
  EXPECT_EQ(ModeOf(dir.File("idb.db-wal")), 0600u);
  EXPECT_EQ(ModeOf(dir.File("idb.db-shm")), 0600u);
}

TEST(StoreFile, ExistingFileReadableByOthersIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(OpenSqliteStore(dir.File("idb.db")).ok()); }
  ASSERT_EQ(::chmod(dir.File("idb.db").c_str(), 0644), 0);
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("chmod 600"), std::string::npos) << s.status().message();
}

TEST(StoreFile, UsesWalAndFullSynchronousCommits) {
  TempDir dir;
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(PragmaText(dir.File("idb.db"), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(PragmaText(dir.File("idb.db"), "PRAGMA user_version"), std::to_string(kSchemaVersion));
}

TEST(StoreFile, MissingFileIsNotFoundWhenCreationIsOff) {
  TempDir dir;
  SqliteStoreOptions o;
  o.create_if_missing = false;
  auto s = OpenSqliteStore(dir.File("nope.db"), o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.File("nope.db")));
}

TEST(StoreFile, ReopenKeepsData) {
  TempDir dir;
  FillStore(dir.File("idb.db"), 3);
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->ListOverrides(std::nullopt)->size(), 3u);
  EXPECT_TRUE((*s)->VerifySecurityLog()->ok);
}

TEST(StoreFile, RemovedFileRefusesEveryWriteAndComesBackWithTheSameFile) {
  TempDir dir;
  const std::string path = dir.File("idb.db"), aside = dir.File("aside.db");
  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->CheckStoreFile().ok());
  ASSERT_EQ(::rename(path.c_str(), aside.c_str()), 0);
  Status check = (*s)->CheckStoreFile();
  EXPECT_EQ(check.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(check.message().find("was removed while in use"), std::string::npos) << check.ToString();
  auto entry = (*s)->AppendSecurityEvent({kActor, "config.reload", "f", "null", "null"}, T("2026-06-02"));
  EXPECT_EQ(entry.status().code(), ErrorCode::kFailedPrecondition);
  LoginRecord r;
  r.user = "alice";
  EXPECT_EQ((*s)->RecordLogins({r}).code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(path)) << "nothing may recreate the file";
  ASSERT_EQ(::rename(aside.c_str(), path.c_str()), 0);
  EXPECT_TRUE((*s)->CheckStoreFile().ok());
  EXPECT_TRUE((*s)->AppendSecurityEvent({kActor, "config.reload", "f", "null", "null"}, T("2026-06-02")).ok());
}

TEST(StoreFile, ReplacedFileRefusesEveryWrite) {
  TempDir dir;
  const std::string path = dir.File("idb.db"), other = dir.File("other.db");
  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok());
  { ASSERT_TRUE(OpenSqliteStore(other).ok()); }
  ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
  Status check = (*s)->CheckStoreFile();
  EXPECT_NE(check.message().find("was replaced by another file"), std::string::npos) << check.ToString();
  NewOverride o;
  o.user = "alice";
  o.permission = "reports.view";
  EXPECT_EQ((*s)->AddOverride(o, kActor, T("2026-06-02")).status().code(), ErrorCode::kFailedPrecondition);
  auto fresh = OpenSqliteStore(path);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->VerifySecurityLog()->entries, 0);
}

TEST(StoreFile, SchemaThreeStoreGetsTheTypedUserColumnAndKeepsItsHistory) {
  TempDir dir;
  { ASSERT_TRUE(OpenSqliteStore(dir.File("idb.db")).ok()); }
  RawSql(dir.File("idb.db"),
         "ALTER TABLE login_history DROP COLUMN typed_user; PRAGMA user_version = 3; "
         "INSERT INTO login_history (time_ms, user, method, source, success, reason, client, detail) "
         "VALUES (1, 'alice', 'ldap', 'ldap:corp', 0, 'bad_credentials', 'uid=0', '')");
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto h = (*s)->QueryHistory({});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].user, "alice");
  EXPECT_EQ((*h)[0].typed_user, "");
  EXPECT_EQ(PragmaText(dir.File("idb.db"), "PRAGMA user_version"), std::to_string(kSchemaVersion));
}

TEST(StoreFile, NewerSchemaIsRefusedWithAClearError) {
  TempDir dir;
  { ASSERT_TRUE(OpenSqliteStore(dir.File("idb.db")).ok()); }
  RawSql(dir.File("idb.db"), "PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("newer than this idbridge understands"), std::string::npos)
      << s.status().message();
}

TEST(StoreFile, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  int fd = ::open(dir.File("other.db").c_str(), O_CREAT | O_RDWR, 0600);
  ::close(fd);
  RawSql(dir.File("other.db"), "CREATE TABLE t(x)");
  auto s = OpenSqliteStore(dir.File("other.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not an idbridge store"), std::string::npos);
}

TEST(StoreFile, GarbageFileIsDataLossNotACrash) {
  TempDir dir;
  const std::string path = dir.File("idb.db");
  {
    std::ofstream f(path, std::ios::binary);
    std::mt19937 rng(42);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>(rng()));
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto s = OpenSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kDataLoss) << s.status().ToString();
  EXPECT_NE(s.status().message().find(path), std::string::npos);
}

TEST(StoreFile, TruncatedFileGivesAClearErrorNeverData) {
  TempDir dir;
  const std::string path = dir.File("idb.db");
  FillStore(path, 200);
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 16384u);
  std::filesystem::resize_file(path, size / 2);
  auto s = OpenSqliteStore(path);
  if (!s.ok()) {
    EXPECT_EQ(s.status().code(), ErrorCode::kDataLoss) << s.status().ToString();
    return;
  }
  EXPECT_EQ((*s)->CheckIntegrity().code(), ErrorCode::kDataLoss);
  auto list = (*s)->ListOverrides(std::nullopt);
  ASSERT_FALSE(list.ok()) << "a truncated store listed " << list->size() << " overrides";
  EXPECT_EQ(list.status().code(), ErrorCode::kDataLoss);
  auto adj = (*s)->AdjustmentsFor("user199", T("2026-06-01"));
  EXPECT_FALSE(adj.ok());
}

TEST(StoreFile, UnreadableFileIsAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: chmod 000 does not stop root from reading";
  TempDir dir;
  { ASSERT_TRUE(OpenSqliteStore(dir.File("idb.db")).ok()); }
  ASSERT_EQ(::chmod(dir.File("idb.db").c_str(), 0000), 0);
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kPermissionDenied);
}

TEST(StoreFile, DirectoryInsteadOfFileIsRefused) {
  TempDir dir;
  auto s = OpenSqliteStore(dir.path());
  ASSERT_FALSE(s.ok());
}

TEST(StoreFile, SymlinkIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(OpenSqliteStore(dir.File("real.db")).ok()); }
  std::filesystem::create_symlink(dir.File("real.db"), dir.File("link.db"));
  auto s = OpenSqliteStore(dir.File("link.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kFailedPrecondition);
}

// --- tampering with the security log, as someone with the sqlite3 tool would ---

class AuditTamper : public ::testing::Test {
 protected:
  void SetUp() override { FillStore(path_, 5); }
  AuditReport Verify() {
    auto s = OpenSqliteStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    auto r = (*s)->VerifySecurityLog();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }
  TempDir dir_;
  const std::string path_ = dir_.File("idb.db");
};

TEST_F(AuditTamper, UntouchedLogVerifies) {
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 5);
}

TEST_F(AuditTamper, EditedRowIsReported) {
  RawSql(path_, "UPDATE security_log SET actor = 'someone else' WHERE seq = 3");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 3);
  EXPECT_NE(r.problem.find("modified"), std::string::npos) << r.problem;
}

TEST_F(AuditTamper, DeletedRowIsReported) {
  RawSql(path_, "DELETE FROM security_log WHERE seq = 2");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
}

TEST_F(AuditTamper, DeletedLastRowIsReported) {
  RawSql(path_, "DELETE FROM security_log WHERE seq = 5");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 5);
}

TEST_F(AuditTamper, ReorderedRowsAreReported) {
  RawSql(path_,
         "UPDATE security_log SET seq = -1 WHERE seq = 2;"
         "UPDATE security_log SET seq = 2 WHERE seq = 3;"
         "UPDATE security_log SET seq = 3 WHERE seq = -1;");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
}

TEST_F(AuditTamper, RewrittenTimeIsReported) {
  RawSql(path_, "UPDATE security_log SET time_ms = time_ms - 86400000 WHERE seq = 4");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 4);
}

TEST_F(AuditTamper, DeletedHeadIsReported) {
  RawSql(path_, "DELETE FROM security_log_head");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
}

TEST_F(AuditTamper, OverrideInsertedBehindTheLogsBackIsReported) {
  RawSql(path_,
         "INSERT INTO overrides (user, effect, permission, reason, actor, created_ms) "
         "VALUES ('mallory', 'grant', 'security.manage', '', 'x', 0)");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.state_problems.size(), 1u);
  EXPECT_NE(r.state_problems[0].find("\"mallory\" grant security.manage) has no security-log entry"), std::string::npos)
      << r.state_problems[0];
}

TEST_F(AuditTamper, OverrideEditedBehindTheLogsBackIsReported) {
  RawSql(path_, "UPDATE overrides SET permission = 'security.manage' WHERE id = 2");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.state_problems.size(), 1u);
  EXPECT_NE(r.state_problems[0].find("override #2"), std::string::npos);
  EXPECT_NE(r.state_problems[0].find("edited outside idbridge"), std::string::npos);
}

TEST_F(AuditTamper, OverrideDeletedBehindTheLogsBackIsReported) {
  RawSql(path_, "DELETE FROM overrides WHERE id = 3");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.state_problems.size(), 1u);
  EXPECT_NE(r.state_problems[0].find("deleted outside idbridge"), std::string::npos);
}

TEST_F(AuditTamper, LimitsAndLocalAdminChangedBehindTheLogsBackAreReported) {
  {
    auto s = OpenSqliteStore(path_);
    LimitsUpdate u;
    u.locations = {true, std::vector<std::string>{"Depot A"}};
    ASSERT_TRUE((*s)->UpdateLimits("alice", u, kActor, T("2026-06-01")).ok());
    ASSERT_TRUE((*s)->SetLocalAdmin("breakglass", "pbkdf2-sha256$1000$AAAA$BBBB", kActor, T("2026-06-01")).ok());
  }
  EXPECT_TRUE(Verify().ok);
  RawSql(path_, "UPDATE limits SET locations = NULL WHERE user = 'alice';"
                "UPDATE local_admins SET password_hash = 'pbkdf2-sha256$1000$CCCC$DDDD'");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.state_problems.size(), 2u);
  EXPECT_NE(r.state_problems[0].find("limits of \"alice\" differ"), std::string::npos) << r.state_problems[0];
  EXPECT_NE(r.state_problems[1].find("password hash was replaced"), std::string::npos) << r.state_problems[1];
}

TEST_F(AuditTamper, NewEntriesAfterTamperingDoNotHideIt) {
  RawSql(path_, "UPDATE security_log SET target = 'x' WHERE seq = 1");
  {
    auto s = OpenSqliteStore(path_);
    ASSERT_TRUE((*s)->AppendSecurityEvent({kActor, "config.reload", "f", "null", "null"}, T("2026-06-02")).ok());
  }
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 1);
}

}  // namespace
}  // namespace idb::store
