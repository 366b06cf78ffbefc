// Offline credentials in the store: the Store methods (offline_credentials
// table) and StoreCredentialCache, which keeps offline logins across a daemon
// restart. Damaged rows are kDataLoss and never verify.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/offline_credential_cache.h"
#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

using namespace std::chrono_literals;
using testing::RawSql;
using testing::T;
using testing::TempDir;

Identity Sam() {
  Identity id;
  id.user = "sam";
  id.source = "ldap:corp";
  id.groups.push_back({"cn=Mechanics,ou=Groups,dc=fleet,dc=test", "Mechanics", "", {"Senior Mechanics"}});
  id.claims["department"] = {"Workshop"};
  return id;
}

CredentialCacheSettings Settings() {
  CredentialCacheSettings s;
  s.pbkdf2_iterations = 1000;  // cheap in tests
  s.max_age = 24h;
  s.max_failures = 3;
  s.lockout_duration = 10min;
  return s;
}

class OfflineStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = OpenSqliteStore(dir_.File("idb.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  OfflineCredential Row() {
    OfflineCredential c;
    c.directory = "corp";
    c.user = "sam";
    c.salt = std::string("\x00\x01salt-bytes\xff\x7f", 14);
    c.hash = std::string(32, '\xab');
    c.iterations = 1234;
    c.identity = Sam();
    c.stored_at = now_;
    return c;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  const SystemTime now_ = T("2026-06-01T12:00Z");
  const Actor actor_ = "tester (uid 1000)";
};

TEST_F(OfflineStoreTest, StoredRowReadsBackWithHashIterationsAndIdentityProvenance) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  auto c = store_->GetOfflineCredential("corp", "sam");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->salt, Row().salt);
  EXPECT_EQ(c->hash, Row().hash);
  EXPECT_EQ(c->iterations, 1234);
  EXPECT_EQ(c->stored_at, now_);
  EXPECT_EQ(c->failures, 0);
  ASSERT_EQ(c->identity.groups.size(), 1u);
  EXPECT_EQ(c->identity.groups[0].via, std::vector<std::string>{"Senior Mechanics"});
  EXPECT_EQ(c->identity.claims.at("department"), std::vector<std::string>{"Workshop"});
}

TEST_F(OfflineStoreTest, MissingRowIsNotFound) {
  EXPECT_EQ(store_->GetOfflineCredential("corp", "nobody").status().code(), ErrorCode::kNotFound);
}

TEST_F(OfflineStoreTest, BadRowsAreRefusedOnWrite) {
  OfflineCredential c = Row();
  c.hash.clear();
  EXPECT_EQ(store_->PutOfflineCredential(c).code(), ErrorCode::kInvalidArgument);
  c = Row();
  c.iterations = 0;
  EXPECT_EQ(store_->PutOfflineCredential(c).code(), ErrorCode::kInvalidArgument);
  c = Row();
  c.user = std::string("sa\0m", 4);
  EXPECT_EQ(store_->PutOfflineCredential(c).code(), ErrorCode::kInvalidArgument);
}

TEST_F(OfflineStoreTest, CorruptIdentityJsonIsDataLoss) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  RawSql(dir_.File("idb.db"), "UPDATE offline_credentials SET identity = '{\"groups\": 5'");
  auto c = store_->GetOfflineCredential("corp", "sam");
  EXPECT_EQ(c.status().code(), ErrorCode::kDataLoss) << c.status().ToString();
  EXPECT_EQ(store_->ListOfflineCredentials(std::nullopt).status().code(), ErrorCode::kDataLoss);
}

TEST_F(OfflineStoreTest, BadHashHexIsDataLoss) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  RawSql(dir_.File("idb.db"), "UPDATE offline_credentials SET hash_hex = 'zz'");
  EXPECT_EQ(store_->GetOfflineCredential("corp", "sam").status().code(), ErrorCode::kDataLoss);
}

TEST_F(OfflineStoreTest, ImpossibleIterationCountIsDataLoss) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  RawSql(dir_.File("idb.db"), "UPDATE offline_credentials SET iterations = -5");
  EXPECT_EQ(store_->GetOfflineCredential("corp", "sam").status().code(), ErrorCode::kDataLoss);
}

TEST_F(OfflineStoreTest, FailuresCountUpAndLockAtTheLimit) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  const SystemTime until = now_ + 10min;
  EXPECT_FALSE(store_->RecordOfflineFailure("corp", "sam", Row().salt, 3, until).value());
  EXPECT_FALSE(store_->RecordOfflineFailure("corp", "sam", Row().salt, 3, until).value());
  EXPECT_EQ(store_->GetOfflineCredential("corp", "sam")->failures, 2);
  EXPECT_TRUE(store_->RecordOfflineFailure("corp", "sam", Row().salt, 3, until).value());
  auto c = store_->GetOfflineCredential("corp", "sam");
  EXPECT_EQ(c->failures, 0);
  EXPECT_EQ(c->locked_until, until);
}

TEST_F(OfflineStoreTest, FailureForAReplacedRowIsNotFound) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  auto r = store_->RecordOfflineFailure("corp", "sam", "another salt", 3, now_);
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

TEST_F(OfflineStoreTest, NewOnlineLoginResetsFailuresAndLockout) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  ASSERT_TRUE(store_->RecordOfflineFailure("corp", "sam", Row().salt, 1, now_ + 1h).value());
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  auto c = store_->GetOfflineCredential("corp", "sam");
  EXPECT_EQ(c->failures, 0);
  EXPECT_EQ(c->locked_until, FromUnixMillis(0));
}

TEST_F(OfflineStoreTest, ListShowsRowsWithoutSecrets) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  OfflineCredential other = Row();
  other.directory = "branch";
  ASSERT_TRUE(store_->PutOfflineCredential(other).ok());
  auto all = store_->ListOfflineCredentials(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].directory, "branch");
  EXPECT_EQ((*all)[0].groups, 1u);
  EXPECT_EQ(store_->ListOfflineCredentials(std::string("nobody"))->size(), 0u);
}

TEST_F(OfflineStoreTest, ForgetRemovesEveryDirectoryAndIsLogged) {
  ASSERT_TRUE(store_->PutOfflineCredential(Row()).ok());
  OfflineCredential other = Row();
  other.directory = "branch";
  ASSERT_TRUE(store_->PutOfflineCredential(other).ok());
  auto n = store_->ForgetOfflineCredentials("sam", std::nullopt, actor_, now_);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(store_->GetOfflineCredential("corp", "sam").status().code(), ErrorCode::kNotFound);
  auto log = store_->ListSecurityLog(0, 10).value();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].event.action, "offline.forget");
  EXPECT_EQ(log[0].event.target, "sam");
  EXPECT_TRUE(store_->VerifySecurityLog()->ok);
}

TEST_F(OfflineStoreTest, ForgetOfNothingIsNotFoundAndNotLogged) {
  EXPECT_EQ(store_->ForgetOfflineCredentials("sam", std::nullopt, actor_, now_).status().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->ListSecurityLog(0, 10)->empty());
}

// --- StoreCredentialCache ---

TEST_F(OfflineStoreTest, CacheSurvivesReopeningTheStore) {
  {
    StoreCredentialCache cache(store_.get(), Settings());
    ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
  }
  Reopen();
  StoreCredentialCache cache(store_.get(), Settings());
  auto id = cache.Verify("corp/sam", Secret("sam-pw"), now_ + 1h);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->groups.at(0).via, std::vector<std::string>{"Senior Mechanics"});
}

TEST_F(OfflineStoreTest, CacheNeverStoresThePassword) {
  StoreCredentialCache cache(store_.get(), Settings());
  ASSERT_TRUE(cache.Store("corp/sam", Secret("UniquePassword-7731"), Sam(), now_).ok());
  store_.reset();
  for (const char* f : {"idb.db", "idb.db-wal"}) {
    std::FILE* fp = std::fopen(dir_.File(f).c_str(), "rb");
    if (fp == nullptr) continue;
    std::string bytes;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, fp)) > 0;) bytes.append(buf, n);
    std::fclose(fp);
    EXPECT_EQ(bytes.find("UniquePassword-7731"), std::string::npos) << f;
  }
}

TEST_F(OfflineStoreTest, CacheWrongPasswordsLockOutAcrossARestart) {
  {
    StoreCredentialCache cache(store_.get(), Settings());
    ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
    EXPECT_EQ(cache.Verify("corp/sam", Secret("guess1"), now_).status().code(), ErrorCode::kUnauthenticated);
    EXPECT_EQ(cache.Verify("corp/sam", Secret("guess2"), now_).status().code(), ErrorCode::kUnauthenticated);
  }
  Reopen();  // the count is on disk: one more failure locks
  StoreCredentialCache cache(store_.get(), Settings());
  EXPECT_EQ(cache.Verify("corp/sam", Secret("guess3"), now_).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(cache.Verify("corp/sam", Secret("sam-pw"), now_ + 1min).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(cache.Verify("corp/sam", Secret("sam-pw"), now_ + 11min).ok());
}

TEST_F(OfflineStoreTest, CacheRightPasswordClearsTheFailureCount) {
  StoreCredentialCache cache(store_.get(), Settings());
  ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
  (void)cache.Verify("corp/sam", Secret("guess1"), now_);
  (void)cache.Verify("corp/sam", Secret("guess2"), now_);
  ASSERT_TRUE(cache.Verify("corp/sam", Secret("sam-pw"), now_).ok());
  EXPECT_EQ(store_->GetOfflineCredential("corp", "sam")->failures, 0);
}

TEST_F(OfflineStoreTest, CacheHonoursMaxAge) {
  StoreCredentialCache cache(store_.get(), Settings());
  ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
  EXPECT_TRUE(cache.Verify("corp/sam", Secret("sam-pw"), now_ + 24h).ok());
  EXPECT_EQ(cache.Verify("corp/sam", Secret("sam-pw"), now_ + 24h + 1s).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST_F(OfflineStoreTest, CacheRefusesARowDatedInTheFuture) {
  StoreCredentialCache cache(store_.get(), Settings());
  ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_ + 30 * 24h).ok());
  EXPECT_EQ(cache.Verify("corp/sam", Secret("sam-pw"), now_).status().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(OfflineStoreTest, CacheDeniesADamagedRow) {
  StoreCredentialCache cache(store_.get(), Settings());
  ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
  RawSql(dir_.File("idb.db"), "UPDATE offline_credentials SET identity = 'not json'");
  EXPECT_EQ(cache.Verify("corp/sam", Secret("sam-pw"), now_).status().code(), ErrorCode::kDataLoss);
}

TEST_F(OfflineStoreTest, CacheUsesTheIterationsRecordedInTheRow) {
  {
    CredentialCacheSettings s = Settings();
    s.pbkdf2_iterations = 1500;
    StoreCredentialCache cache(store_.get(), s);
    ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
  }
  EXPECT_EQ(store_->GetOfflineCredential("corp", "sam")->iterations, 1500);
  StoreCredentialCache cache(store_.get(), Settings());  // configured 1000 now
  EXPECT_TRUE(cache.Verify("corp/sam", Secret("sam-pw"), now_).ok());
}

TEST_F(OfflineStoreTest, CacheForgetRemovesTheRow) {
  StoreCredentialCache cache(store_.get(), Settings());
  ASSERT_TRUE(cache.Store("corp/sam", Secret("sam-pw"), Sam(), now_).ok());
  cache.Forget("corp/sam");
  EXPECT_EQ(cache.Verify("corp/sam", Secret("sam-pw"), now_).status().code(), ErrorCode::kNotFound);
}

TEST_F(OfflineStoreTest, CacheRejectsKeysWithoutADirectory) {
  StoreCredentialCache cache(store_.get(), Settings());
  EXPECT_EQ(cache.Store("sam", Secret("sam-pw"), Sam(), now_).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(cache.Verify("/sam", Secret("sam-pw"), now_).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace idb::store
