// Behaviour of SqliteStore through the Store interface: overrides, limits,
// adjustments, login history, known users, local admin, security-log entries.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/names.h"
#include "store/password_hash.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

using testing::T;
using testing::TempDir;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqliteStore(dir_.File("idb.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  NewOverride Grant(std::string user, std::string perm) {
    NewOverride o;
    o.user = std::move(user);
    o.permission = std::move(perm);
    return o;
  }
  std::vector<SecurityLogEntry> Log() { return store_->ListSecurityLog(0, 1000).value(); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  const SystemTime now_ = T("2026-06-01T12:00Z");
  const Actor actor_ = "tester (uid 1000)";
};

TEST_F(StoreTest, AddedOverrideIsListedWithProvenance) {
  NewOverride o = Grant("alice", "work_orders.delete");
  o.location = "Depot A";
  o.reason = "cover for Bob";
  o.expires = T("2026-12-31");
  auto id = store_->AddOverride(o, actor_, now_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto list = store_->ListOverrides(std::nullopt);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const auto& s = list->front();
  EXPECT_EQ(s.entry.id, *id);
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.entry.effect, OverrideEffect::kGrant);
  EXPECT_EQ(s.entry.location, "Depot A");
  EXPECT_EQ(s.entry.warehouse, std::nullopt);
  EXPECT_EQ(s.entry.expires, T("2026-12-31"));
  EXPECT_EQ(s.entry.reason, "cover for Bob");
  EXPECT_EQ(s.actor, actor_);
  EXPECT_EQ(s.created, now_);
}

TEST_F(StoreTest, ListFiltersByUser) {
  ASSERT_TRUE(store_->AddOverride(Grant("alice", "a.view"), actor_, now_).ok());
  ASSERT_TRUE(store_->AddOverride(Grant("bob", "a.view"), actor_, now_).ok());
  auto list = store_->ListOverrides(std::string("bob"));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().user, "bob");
}

TEST_F(StoreTest, ExpiredOverrideStopsCountingWithoutBeingDeleted) {
  NewOverride o = Grant("alice", "a.view");
  o.expires = T("2026-06-02T00:00Z");
  ASSERT_TRUE(store_->AddOverride(o, actor_, now_).ok());
  EXPECT_EQ(store_->AdjustmentsFor("alice", T("2026-06-01T23:59:59Z"))->overrides.size(), 1u);
  EXPECT_EQ(store_->AdjustmentsFor("alice", T("2026-06-02T00:00Z"))->overrides.size(), 0u);
  EXPECT_EQ(store_->ListOverrides(std::nullopt)->size(), 1u);
}

TEST_F(StoreTest, ExpiryInThePastIsRefused) {
  NewOverride o = Grant("alice", "a.view");
  o.expires = T("2026-01-01");
  auto id = store_->AddOverride(o, actor_, now_);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("not in the future"), std::string::npos);
}

TEST_F(StoreTest, DuplicateOverrideIsRefusedButGrantAndDenyMayCoexist) {
  ASSERT_TRUE(store_->AddOverride(Grant("alice", "a.view"), actor_, now_).ok());
  auto dup = store_->AddOverride(Grant("alice", "a.view"), actor_, now_);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), ErrorCode::kAlreadyExists);
  NewOverride deny = Grant("alice", "a.view");
  deny.effect = OverrideEffect::kDeny;
  EXPECT_TRUE(store_->AddOverride(deny, actor_, now_).ok());
  NewOverride scoped = Grant("alice", "a.view");
  scoped.location = "Depot A";
  EXPECT_TRUE(store_->AddOverride(scoped, actor_, now_).ok());
}

TEST_F(StoreTest, AdjustmentsCarryDenyOverridesForTheEngine) {
  NewOverride deny = Grant("alice", "*.delete");
  deny.effect = OverrideEffect::kDeny;
  ASSERT_TRUE(store_->AddOverride(deny, actor_, now_).ok());
  auto adj = store_->AdjustmentsFor("alice", now_);
  ASSERT_TRUE(adj.ok());
  ASSERT_EQ(adj->overrides.size(), 1u);
  EXPECT_EQ(adj->overrides[0].effect, OverrideEffect::kDeny);
  EXPECT_EQ(adj->overrides[0].permission, "*.delete");
}

TEST_F(StoreTest, RemoveByIdAndByKey) {
  auto id = store_->AddOverride(Grant("alice", "a.view"), actor_, now_);
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(store_->RemoveOverride(*id, actor_, now_).ok());
  EXPECT_EQ(store_->RemoveOverride(*id, actor_, now_).code(), ErrorCode::kNotFound);

  NewOverride scoped = Grant("alice", "a.view");
  scoped.location = "Depot A";
  ASSERT_TRUE(store_->AddOverride(scoped, actor_, now_).ok());
  ASSERT_TRUE(store_->AddOverride(Grant("alice", "a.view"), actor_, now_).ok());
  auto removed = store_->RemoveOverrides({"alice", "a.view", std::string("Depot A"), std::nullopt}, actor_, now_);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  ASSERT_EQ(store_->ListOverrides(std::nullopt)->size(), 1u);
  EXPECT_EQ(store_->ListOverrides(std::nullopt)->front().entry.location, std::nullopt);
  auto none = store_->RemoveOverrides({"alice", "b.view", std::nullopt, std::nullopt}, actor_, now_);
  EXPECT_EQ(none.status().code(), ErrorCode::kNotFound);
}

TEST_F(StoreTest, SqlLookingAndUnicodeNamesAreStoredLiterally) {
  const std::string evil = "Robert'); DROP TABLE overrides;--";
  const std::string uni = "Zoë \"the\" 用户 ;%_";
  NewOverride o = Grant(evil, "a.view");
  o.location = uni;
  o.reason = "' OR '1'='1";
  ASSERT_TRUE(store_->AddOverride(o, actor_, now_).ok());
  auto list = store_->ListOverrides(evil);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().user, evil);
  EXPECT_EQ(list->front().entry.location, uni);
  EXPECT_EQ(list->front().entry.reason, "' OR '1'='1");
  // Wildcards are not patterns: "%" matches nobody else.
  EXPECT_EQ(store_->ListOverrides(std::string("%"))->size(), 0u);
}

TEST_F(StoreTest, BadNamesAreRefusedWithAClearError) {
  for (const std::string& user : {std::string(""), std::string(300, 'x'), std::string("a\nb"), std::string("a\0b", 3)}) {
    auto r = store_->AddOverride(Grant(user, "a.view"), actor_, now_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("user name"), std::string::npos) << r.status().message();
  }
  NewOverride o = Grant("alice", "a.view");
  o.reason = std::string(5000, 'r');
  EXPECT_EQ(store_->AddOverride(o, actor_, now_).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListOverrides(std::nullopt)->empty());
}

TEST_F(StoreTest, NoLimitsMeansNoRestriction) {
  auto l = store_->GetLimits("alice");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->locations, std::nullopt);
  EXPECT_EQ(l->warehouses, std::nullopt);
}

TEST_F(StoreTest, EmptyLimitListIsKeptApartFromNoLimit) {
  LimitsUpdate u;
  u.locations = {true, std::vector<std::string>{}};
  ASSERT_TRUE(store_->UpdateLimits("alice", u, actor_, now_).ok());
  auto l = store_->GetLimits("alice");
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(l->locations.has_value());
  EXPECT_TRUE(l->locations->empty());
  EXPECT_EQ(l->warehouses, std::nullopt);
}

TEST_F(StoreTest, LimitsUpdateKeepsTheOtherList) {
  LimitsUpdate u;
  u.locations = {true, std::vector<std::string>{"Depot B", "Depot A", "Depot A"}};
  ASSERT_TRUE(store_->UpdateLimits("alice", u, actor_, now_).ok());
  LimitsUpdate w;
  w.warehouses = {true, std::vector<std::string>{"Main"}};
  ASSERT_TRUE(store_->UpdateLimits("alice", w, actor_, now_).ok());
  auto l = store_->GetLimits("alice");
  EXPECT_EQ(l->locations, (std::vector<std::string>{"Depot A", "Depot B"}));
  EXPECT_EQ(l->warehouses, (std::vector<std::string>{"Main"}));
  EXPECT_EQ(store_->AdjustmentsFor("alice", now_)->limits.locations, l->locations);
}

TEST_F(StoreTest, ClearLimitsRestoresNoRestriction) {
  LimitsUpdate u;
  u.locations = {true, std::vector<std::string>{"Depot A"}};
  ASSERT_TRUE(store_->UpdateLimits("alice", u, actor_, now_).ok());
  ASSERT_TRUE(store_->ClearLimits("alice", actor_, now_).ok());
  EXPECT_EQ(store_->GetLimits("alice")->locations, std::nullopt);
  EXPECT_EQ(store_->ClearLimits("alice", actor_, now_).code(), ErrorCode::kNotFound);
}

TEST_F(StoreTest, LimitsUpdateWithNothingToChangeIsRefused) {
  EXPECT_EQ(store_->UpdateLimits("alice", LimitsUpdate{}, actor_, now_).code(), ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, EveryAdminChangeIsLoggedWithBeforeAndAfter) {
  auto id = store_->AddOverride(Grant("alice", "a.view"), actor_, now_);
  LimitsUpdate u;
  u.locations = {true, std::vector<std::string>{"Depot A"}};
  ASSERT_TRUE(store_->UpdateLimits("alice", u, actor_, now_).ok());
  ASSERT_TRUE(store_->RemoveOverride(*id, actor_, now_).ok());
  ASSERT_TRUE(store_->ClearLimits("alice", actor_, now_).ok());
  auto log = Log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].event.action, "override.grant");
  EXPECT_EQ(log[0].event.before, "null");
  EXPECT_EQ(nlohmann::json::parse(log[0].event.after)["permission"], "a.view");
  EXPECT_EQ(log[1].event.action, "limits.set");
  EXPECT_EQ(nlohmann::json::parse(log[1].event.after)["locations"], nlohmann::json({"Depot A"}));
  EXPECT_EQ(nlohmann::json::parse(log[1].event.after)["warehouses"], nullptr);
  EXPECT_EQ(log[2].event.action, "override.remove");
  EXPECT_EQ(log[2].event.after, "null");
  EXPECT_EQ(log[3].event.action, "limits.clear");
  for (const auto& e : log) {
    EXPECT_EQ(e.event.actor, actor_);
    EXPECT_EQ(e.event.target, "alice");
    EXPECT_EQ(e.time, now_);
  }
  auto report = store_->VerifySecurityLog();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, 4);
}

TEST_F(StoreTest, RefusedChangeLeavesNoLogEntry) {
  ASSERT_TRUE(store_->AddOverride(Grant("alice", "a.view"), actor_, now_).ok());
  ASSERT_FALSE(store_->AddOverride(Grant("alice", "a.view"), actor_, now_).ok());
  EXPECT_EQ(Log().size(), 1u);
}

TEST_F(StoreTest, ConfigReloadEventIsChained) {
  auto seq = store_->AppendSecurityEvent(
      {"idbridged", "config.reload", "/etc/idbridge/idbridge.yaml", "{\"hash\":\"aa\"}", "{\"hash\":\"bb\"}"}, now_);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 1);
  EXPECT_TRUE(store_->VerifySecurityLog()->ok);
}

TEST_F(StoreTest, HistoryRecordsAndFiltersLogins) {
  LoginRecord ok{0, T("2026-06-01T08:00Z"), "alice", "ldap", "ldap:corp", true, "ok", "uid=1000 pid=42", ""};
  LoginRecord bad{0, T("2026-06-01T09:00Z"), "alice", "ldap", "ldap:corp", false, "bad_credentials", "uid=1000 pid=43", ""};
  LoginRecord other{0, T("2026-06-01T10:00Z"), "bob", "oidc", "oidc:entra", true, "ok", "203.0.113.4:5123", ""};
  for (const auto& r : {ok, bad, other}) ASSERT_TRUE(store_->RecordLogin(r).ok());

  auto all = store_->QueryHistory({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].reason, "ok");
  EXPECT_EQ((*all)[0].client, "uid=1000 pid=42");
  EXPECT_EQ((*all)[2].method, "oidc");

  HistoryQuery q;
  q.user = "alice";
  q.failed_only = true;
  auto failed = store_->QueryHistory(q);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].reason, "bad_credentials");

  HistoryQuery since;
  since.since = T("2026-06-01T09:00Z");
  EXPECT_EQ(store_->QueryHistory(since)->size(), 2u);

  HistoryQuery last;
  last.limit = 1;
  auto newest = store_->QueryHistory(last);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].user, "bob");
}

TEST_F(StoreTest, HistoryKeepsOddAttemptedNamesSanitised) {
  LoginRecord r{0, now_, std::string("evil\n\x1b[2Jname", 13) + std::string(500, 'x'), "ldap", "", false,
                "invalid_user_name", "uid=0", ""};
  ASSERT_TRUE(store_->RecordLogin(r).ok());
  auto h = store_->QueryHistory({});
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].user.substr(0, 13), "evil??[2Jname");
  EXPECT_LE((*h)[0].user.size(), kMaxNameBytes);
}

TEST_F(StoreTest, HistoryKeepsTheTypedSpellingBesideTheAccount) {
  LoginRecord r{0, now_, "mike", "ldap", "ldap:corp", false, "bad_credentials", "uid=0", ""};
  r.typed_user = "FLEET\\MIKE";
  ASSERT_TRUE(store_->RecordLogin(r).ok());
  HistoryQuery q;
  q.user = "mike";
  auto h = store_->QueryHistory(q);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].typed_user, "FLEET\\MIKE");
}

TEST_F(StoreTest, BadHistoryLimitIsRefused) {
  HistoryQuery q;
  q.limit = 0;
  EXPECT_EQ(store_->QueryHistory(q).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, PruneRemovesOnlyOldHistoryAndIsLogged) {
  ASSERT_TRUE(store_->RecordLogin({0, T("2026-01-01"), "alice", "ldap", "", true, "ok", "", ""}).ok());
  ASSERT_TRUE(store_->RecordLogin({0, T("2026-05-31"), "alice", "ldap", "", true, "ok", "", ""}).ok());
  auto removed = store_->PruneHistory(T("2026-03-01"), actor_, now_);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(store_->QueryHistory({})->size(), 1u);
  ASSERT_EQ(Log().size(), 1u);
  EXPECT_EQ(Log()[0].event.action, "history.prune");
}

TEST(StoreRetention, RecordLoginPrunesPastTheRetention) {
  TempDir dir;
  SqliteStoreOptions opts;
  opts.history_retention_days = 30;
  auto s = OpenSqliteStore(dir.File("idb.db"), opts);
  ASSERT_TRUE(s.ok());
  auto& store = *s;
  ASSERT_TRUE(store->RecordLogin({0, T("2026-01-01"), "old", "ldap", "", true, "ok", "", ""}).ok());
  ASSERT_TRUE(store->RecordLogin({0, T("2026-03-01"), "new", "ldap", "", true, "ok", "", ""}).ok());
  auto h = store->QueryHistory({});
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].user, "new");
}

TEST_F(StoreTest, RecordLoginsStoresABatchInOrder) {
  std::vector<LoginRecord> batch;
  for (int i = 0; i < 50; ++i)
    batch.push_back({0, T("2026-06-01"), "user" + std::to_string(i), "ldap", "", i % 2 == 0, "ok", "", ""});
  ASSERT_TRUE(store_->RecordLogins(batch).ok());
  auto h = store_->QueryHistory({});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ((*h)[static_cast<size_t>(i)].user, "user" + std::to_string(i));
}

TEST_F(StoreTest, RecordLoginsWithAnEmptyBatchIsANoOp) {
  EXPECT_TRUE(store_->RecordLogins({}).ok());
  EXPECT_TRUE(store_->QueryHistory({})->empty());
}

TEST_F(StoreTest, RecordLoginsSanitisesOddNamesLikeRecordLogin) {
  ASSERT_TRUE(store_->RecordLogins({{0, now_, std::string("ev\nil\x01", 6), "ldap", "", false, "bad_credentials", "", ""}}).ok());
  auto h = store_->QueryHistory({});
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].user.find('\x01'), std::string::npos);
  EXPECT_EQ((*h)[0].user.find('\n'), std::string::npos);
}

TEST(StoreRetention, RecordLoginsPrunesPastTheRetention) {
  TempDir dir;
  SqliteStoreOptions opts;
  opts.history_retention_days = 30;
  auto s = OpenSqliteStore(dir.File("idb.db"), opts);
  ASSERT_TRUE(s.ok());
  auto& store = *s;
  ASSERT_TRUE(store->RecordLogin({0, T("2026-01-01"), "old", "ldap", "", true, "ok", "", ""}).ok());
  ASSERT_TRUE(store->RecordLogins({{0, T("2026-03-01"), "new1", "ldap", "", true, "ok", "", ""},
                                   {0, T("2026-03-01"), "new2", "ldap", "", true, "ok", "", ""}})
                  .ok());
  auto h = store->QueryHistory({});
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].user, "new1");
}

TEST_F(StoreTest, RememberIdentitiesKeepsTheLastEntryPerUser) {
  KnownUser a1, b, a2;
  a1.identity.user = "alice";
  a1.identity.claims["department"] = {"Depot A"};
  a1.last_login = now_;
  b.identity.user = "bob";
  b.last_login = now_;
  a2 = a1;
  a2.identity.claims["department"] = {"Depot B"};
  a2.last_login = T("2026-06-02");
  ASSERT_TRUE(store_->RememberIdentities({a1, b, a2}).ok());
  auto users = store_->ListKnownUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].identity.claims.at("department"), std::vector<std::string>{"Depot B"});
  EXPECT_EQ((*users)[0].last_login, T("2026-06-02"));
}

TEST_F(StoreTest, RememberIdentitiesWithABadNameStoresNothing) {
  KnownUser ok, bad;
  ok.identity.user = "alice";
  bad.identity.user = "";
  Status s = store_->RememberIdentities({ok, bad});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListKnownUsers()->empty());
}

TEST_F(StoreTest, KnownUsersKeepTheLastIdentity) {
  Identity id;
  id.user = "alice";
  id.source = "ldap:corp";
  id.groups.push_back({"cn=Mechanics,ou=groups,dc=fleet,dc=test", "Mechanics", "", {"Senior Mechanics"}});
  id.claims["department"] = {"Depot A"};
  ASSERT_TRUE(store_->RememberIdentity(id, now_).ok());
  id.claims["department"] = {"Depot B"};
  ASSERT_TRUE(store_->RememberIdentity(id, T("2026-06-02")).ok());
  auto users = store_->ListKnownUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].identity.claims.at("department"), std::vector<std::string>{"Depot B"});
  EXPECT_EQ((*users)[0].identity.groups[0].via, std::vector<std::string>{"Senior Mechanics"});
  EXPECT_EQ((*users)[0].last_login, T("2026-06-02"));
}

TEST_F(StoreTest, LocalAdminStoresOnlyAHashAndLogsWithoutIt) {
  EXPECT_EQ(store_->GetLocalAdmin("breakglass").status().code(), ErrorCode::kNotFound);
  auto hash = HashPassword(Secret("Correct-Horse-42"), kTestPbkdf2Iterations, true);
  ASSERT_TRUE(store_->SetLocalAdmin("breakglass", *hash, actor_, now_).ok());
  auto rec = store_->GetLocalAdmin("breakglass");
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(VerifyPassword(Secret("Correct-Horse-42"), rec->password_hash));
  auto log = Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].event.action, "local_admin.set");
  EXPECT_EQ(log[0].event.after.find(*hash), std::string::npos);
  EXPECT_EQ(store_->ListLocalAdmins()->size(), 1u);
  ASSERT_TRUE(store_->RemoveLocalAdmin("breakglass", actor_, now_).ok());
  EXPECT_EQ(store_->GetLocalAdmin("breakglass").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->RemoveLocalAdmin("breakglass", actor_, now_).code(), ErrorCode::kNotFound);
}

TEST_F(StoreTest, LocalAdminRefusesAnythingButAHash) {
  EXPECT_EQ(store_->SetLocalAdmin("breakglass", "Correct-Horse-42", actor_, now_).code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, NoLocalAdminExistsByDefault) { EXPECT_TRUE(store_->ListLocalAdmins()->empty()); }

TEST_F(StoreTest, FreshStorePassesIntegrityCheck) { EXPECT_TRUE(store_->CheckIntegrity().ok()); }

}  // namespace
}  // namespace idb::store
