// End-to-end: the built idbridgectl's store commands against a temp store.
#include <sys/stat.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ctl_fixture.h"
#include "store/password_hash.h"
#include "store/sqlite_store.h"

namespace idb::store {
namespace {

using testing::CtlTest;
using testing::RawSql;
using testing::T;
using testing::WriteFile;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "missing: " << (needle) << "\nin: " << (haystack)

std::unique_ptr<Store> OpenTestStore(const std::string& path) {
  auto s = OpenSqliteStore(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST_F(CtlTest, GrantIsStoredAndListedWithProvenance) {
  auto r = Ctl({"override", "grant", "--user", "alice", "--perm", "work_orders.view_incomplete", "--location",
                "Depot A", "--expires", "2199-12-31", "--reason", "covering Bob"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "override #1: grant work_orders.view_incomplete for \"alice\" at location \"Depot A\"");
  auto list = Ctl({"override", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_CONTAINS(list.out, "#1 \"alice\" grant work_orders.view_incomplete at location \"Depot A\" until 2199-12-31");
  EXPECT_CONTAINS(list.out, "(uid ");
  EXPECT_CONTAINS(list.out, "covering Bob");
  auto json_list = Ctl({"override", "list", "--json", "--user", "alice"});
  ASSERT_EQ(json_list.code, 0);
  auto j = nlohmann::json::parse(json_list.out);
  EXPECT_EQ(j["overrides"][0]["permission"], "work_orders.view_incomplete");
  EXPECT_EQ(j["overrides"][0]["expired"], false);
}

TEST_F(CtlTest, UnknownPermissionIsRefusedWithDidYouMean) {
  auto r = Ctl({"override", "grant", "--user", "alice", "--perm", "work_order.delete"});
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "did you mean 'work_orders.delete'");
  EXPECT_CONTAINS(Ctl({"override", "list"}).out, "no overrides");
}

TEST_F(CtlTest, GrantWhoseRequirementNothingGivesIsRefusedUntilItIsGranted) {
  // No rule gives employees.edit (technicians and auditors only view employees).
  auto r = Ctl({"override", "grant", "--user", "carol", "--perm", "employees.manage_logins"});
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "needs employees.edit everywhere, which no rule gives there");
  EXPECT_CONTAINS(Ctl({"override", "list"}).out, "no overrides");
  ASSERT_EQ(Ctl({"override", "grant", "--user", "carol", "--perm", "employees.edit"}).code, 0);
  auto ok = Ctl({"override", "grant", "--user", "carol", "--perm", "employees.manage_logins"});
  EXPECT_EQ(ok.code, 0) << ok.err;
}

// A user the store has no identity for yet (never signed in, or a login whose
// row is still in the daemon's group commit) gets what a rule could give them,
// with a warning instead of a refusal.
TEST_F(CtlTest, GrantForAUserWithoutSnapshotWarnsAboutTheRequirement) {
  auto r = Ctl({"override", "grant", "--user", "carol", "--perm", "meter_entries.edit"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "override #1: grant meter_entries.edit");
  EXPECT_CONTAINS(r.err, "warning: the user has not signed in yet");
  EXPECT_CONTAINS(r.err, "meter_entries.view everywhere");
}

TEST_F(CtlTest, RequirementIsCheckedAtTheGrantsLocation) {
  ASSERT_EQ(Ctl({"override", "grant", "--user", "carol", "--perm", "employees.edit", "--location", "Depot A"}).code, 0);
  auto r = Ctl({"override", "grant", "--user", "carol", "--perm", "employees.manage_logins", "--location", "Depot B"});
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "at location 'Depot B'");
  EXPECT_EQ(Ctl({"override", "grant", "--user", "carol", "--perm", "employees.manage_logins", "--location", "Depot A"})
                .code,
            0);
}

TEST_F(CtlTest, RequirementFromTheUsersProfileCounts) {
  Identity id;
  id.user = "alice";
  id.source = "ldap:corp";
  id.groups.push_back({"", "Mechanics", "", {}});
  ASSERT_TRUE(OpenTestStore(store_)->RememberIdentity(id, T("2026-06-01")).ok());
  // Technicians have meter_entries.view at Depot A from the rules: no warning.
  auto r = Ctl({"override", "grant", "--user", "alice", "--perm", "meter_entries.edit", "--location", "Depot A"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST_F(CtlTest, DenyAcceptsAGlob) {
  auto r = Ctl({"override", "deny", "--user", "alice", "--perm", "*.delete", "--reason", "no deleting"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(Ctl({"override", "list"}).out, "deny *.delete everywhere");
  EXPECT_EQ(Ctl({"override", "deny", "--user", "alice", "--perm", "nothing_matches.*"}).code, 2);
}

TEST_F(CtlTest, ScopeOfTheWrongKindIsRefused) {
  auto r = Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view", "--location", "Depot A"});
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--location does not apply");
}

TEST_F(CtlTest, BadDatesAreRefused) {
  for (const char* d : {"2026-13-01", "next week", "2026-12-31T00:00+25:00", "2000-01-01", "-2d"}) {
    auto r = Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view", "--expires", d});
    EXPECT_EQ(r.code, 2) << d;
    EXPECT_FALSE(r.err.empty());
  }
  EXPECT_EQ(Ctl({"history", "--since", "last tuesday"}).code, 2);
}

TEST_F(CtlTest, RelativeAndOffsetTimesAreAcceptedAndShownInUtcAndLocalTime) {
  auto r = Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view", "--expires", "+8h"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Z (local ");
  auto o = Ctl({"override", "grant", "--user", "bob", "--perm", "vendors.view", "--expires", "2199-12-04T08:00+01:00"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_CONTAINS(o.out, "until 2199-12-04T07:00:00Z (local ");
  EXPECT_EQ(Ctl({"history", "--since", "7d"}).code, 0);
  EXPECT_EQ(Ctl({"history", "--since", "yesterday"}).code, 0);
}

TEST_F(CtlTest, SqlLookingAndUnicodeNamesAreStoredLiterally) {
  const std::string evil = "x'); DELETE FROM overrides; --";
  ASSERT_EQ(Ctl({"override", "grant", "--user", evil, "--perm", "vendors.view"}).code, 0);
  ASSERT_EQ(Ctl({"override", "grant", "--user", "Zoë", "--perm", "vendors.view"}).code, 0);
  auto list = Ctl({"override", "list", "--json"});
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j["overrides"].size(), 2u);
  EXPECT_EQ(j["overrides"][0]["user"], "Zoë");
  EXPECT_EQ(j["overrides"][1]["user"], evil);
}

TEST_F(CtlTest, OddUserNamesAreRefusedClearly) {
  auto long_name = Ctl({"override", "grant", "--user", std::string(300, 'a'), "--perm", "vendors.view"});
  EXPECT_EQ(long_name.code, 2);
  EXPECT_CONTAINS(long_name.err, "at most 256");
  auto ctrl = Ctl({"override", "grant", "--user", "bad\x1bname", "--perm", "vendors.view"});
  EXPECT_EQ(ctrl.code, 2);
  EXPECT_CONTAINS(ctrl.err, "control character");
  EXPECT_EQ(Ctl({"override", "grant", "--user", "", "--perm", "vendors.view"}).code, 2);
}

TEST_F(CtlTest, RemoveByIdAndByKey) {
  ASSERT_EQ(Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view"}).code, 0);
  ASSERT_EQ(Ctl({"override", "deny", "--user", "bob", "--perm", "vendors.view"}).code, 0);
  auto r = Ctl({"override", "remove", "--id", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Ctl({"override", "remove", "--id", "1"}).code, 2);
  EXPECT_EQ(Ctl({"override", "remove", "--id", "abc"}).code, 2);
  EXPECT_EQ(Ctl({"override", "remove", "--user", "bob", "--perm", "vendors.view"}).code, 0);
  EXPECT_CONTAINS(Ctl({"override", "list"}).out, "no overrides");
}

TEST_F(CtlTest, UnknownSubCommandSuggestsTheRightOne) {
  auto r = Ctl({"override", "grnt", "--user", "a", "--perm", "vendors.view"});
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "did you mean 'grant'");
  auto opt = Ctl({"override", "list", "--expires", "2026-12-31"});
  EXPECT_EQ(opt.code, 2);
  EXPECT_CONTAINS(opt.err, "does not apply");
}

TEST_F(CtlTest, LimitsSetShowClearKeepEmptyApartFromNone) {
  auto set = Ctl({"limits", "set", "--user", "alice", "--locations", "Depot B,Depot A"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_CONTAINS(set.out, "locations: Depot A, Depot B; warehouses: no restriction");
  ASSERT_EQ(Ctl({"limits", "set", "--user", "alice", "--warehouses", ""}).code, 0);
  auto show = Ctl({"limits", "show", "--user", "alice"});
  EXPECT_CONTAINS(show.out, "warehouses: none at all");
  auto j = nlohmann::json::parse(Ctl({"limits", "show", "--json"}).out);
  EXPECT_EQ(j["limits"][0]["warehouses"], nlohmann::json::array());
  EXPECT_EQ(j["limits"][0]["locations"], nlohmann::json({"Depot A", "Depot B"}));
  ASSERT_EQ(Ctl({"limits", "clear", "--user", "alice"}).code, 0);
  EXPECT_CONTAINS(Ctl({"limits", "show", "--user", "alice"}).out, "locations: no restriction");
  EXPECT_EQ(Ctl({"limits", "set", "--user", "alice"}).code, 2);
  EXPECT_EQ(Ctl({"limits", "set", "--user", "alice", "--locations", "A,,B"}).code, 2);
}

TEST_F(CtlTest, RepeatedPlaceFlagsTakeNamesWithCommasWhole) {
  auto set = Ctl({"limits", "set", "--user", "alice", "--location", "Depot B, North", "--location", "Depot A",
                  "--warehouse", "Stores, Main"});
  ASSERT_EQ(set.code, 0) << set.err;
  auto j = nlohmann::json::parse(Ctl({"limits", "show", "--json"}).out);
  EXPECT_EQ(j["limits"][0]["locations"], nlohmann::json({"Depot A", "Depot B, North"}));
  EXPECT_EQ(j["limits"][0]["warehouses"], nlohmann::json({"Stores, Main"}));
  auto both = Ctl({"limits", "set", "--user", "alice", "--locations", "A", "--location", "B"});
  EXPECT_EQ(both.code, 2);
  EXPECT_CONTAINS(both.err, "not both");
  EXPECT_EQ(Ctl({"limits", "set", "--user", "alice", "--location", ""}).code, 2);
  EXPECT_EQ(Ctl({"limits", "set", "--user", "alice", "--location", "bad\x1bname"}).code, 2);
}

TEST_F(CtlTest, HistoryShowsTheAddressAndEscapesDisguisedNames) {
  {
    auto s = OpenTestStore(store_);
    idb::store::LoginRecord r{0, T("2026-06-01T08:00Z"), "ali\u200Bce\u202E", "ldap", "ldap:corp", false,
                              "bad_credentials", "uid=1000 pid=7 app=fleet\n", ""};
    r.client_address = "10.20.3.4";
    ASSERT_TRUE(s->RecordLogin(r).ok());
  }
  auto text = Ctl({"history"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_CONTAINS(text.out, "\"ali\\u{200B}ce\\u{202E}\"  ldap (ldap:corp)  bad_credentials  from 10.20.3.4");
  EXPECT_EQ(text.out.find("\u202E"), std::string::npos);
  auto json = Ctl({"history", "--json"});
  EXPECT_CONTAINS(json.out, "\"client_address\": \"10.20.3.4\"");
  EXPECT_CONTAINS(json.out, "ali\\u200bce\\u202e");
}

TEST_F(CtlTest, HistoryFiltersByUserTimeAndFailure) {
  {
    auto s = OpenTestStore(store_);
    ASSERT_TRUE(s->RecordLogin({0, T("2026-06-01T08:00Z"), "alice", "ldap", "ldap:corp", true, "ok", "uid=1000 pid=7", ""}).ok());
    ASSERT_TRUE(s->RecordLogin({0, T("2026-06-01T09:00Z"), "alice", "ldap", "ldap:corp", false, "bad_credentials", "uid=1000 pid=8", ""}).ok());
    ASSERT_TRUE(s->RecordLogin({0, T("2026-06-02T09:00Z"), "bob", "oidc", "oidc:entra", true, "ok", "203.0.113.4:5123", ""}).ok());
  }
  auto failed = Ctl({"history", "--failed"});
  ASSERT_EQ(failed.code, 0) << failed.err;
  EXPECT_CONTAINS(failed.out, "FAILED  \"alice\"  ldap (ldap:corp)  bad_credentials  from -  uid=1000 pid=8");
  EXPECT_EQ(failed.out.find("bob"), std::string::npos);
  auto since = Ctl({"history", "--since", "2026-06-02"});
  EXPECT_CONTAINS(since.out, "bob");
  EXPECT_EQ(since.out.find("alice"), std::string::npos);
  auto j = nlohmann::json::parse(Ctl({"history", "--user", "alice", "--json"}).out);
  EXPECT_EQ(j["logins"].size(), 2u);
  EXPECT_EQ(j["logins"][1]["result"], "failure");
}

TEST_F(CtlTest, HistoryPruneUsesTheConfiguredRetention) {
  {
    auto s = OpenTestStore(store_);
    ASSERT_TRUE(s->RecordLogin({0, T("2020-01-01"), "old", "ldap", "", true, "ok", "", ""}).ok());
  }
  auto r = Ctl({"history", "prune"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "removed 1 login record");
  EXPECT_CONTAINS(Ctl({"history"}).out, "no login records");
  EXPECT_CONTAINS(Ctl({"audit", "list"}).out, "history.prune");
}

TEST_F(CtlTest, EveryChangeIsInTheAuditLogAndVerifies) {
  ASSERT_EQ(Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view"}).code, 0);
  ASSERT_EQ(Ctl({"limits", "set", "--user", "alice", "--locations", "Depot A"}).code, 0);
  ASSERT_EQ(Ctl({"override", "remove", "--id", "1"}).code, 0);
  auto list = Ctl({"audit", "list", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j["entries"].size(), 3u);
  EXPECT_EQ(j["entries"][0]["action"], "override.grant");
  EXPECT_EQ(j["entries"][1]["action"], "limits.set");
  EXPECT_EQ(j["entries"][1]["before"], nullptr);
  EXPECT_EQ(j["entries"][2]["action"], "override.remove");
  EXPECT_EQ(j["entries"][2]["before"]["permission"], "vendors.view");
  EXPECT_NE(j["entries"][0]["actor"].get<std::string>().find("(uid "), std::string::npos);
  auto verify = Ctl({"audit", "verify"});
  EXPECT_EQ(verify.code, 0) << verify.err;
  EXPECT_CONTAINS(verify.out, "ok: 3 entries");
}

TEST_F(CtlTest, AuditVerifyFailsAfterAnEditWithTheSqlite3Tool) {
  if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "sqlite3 CLI not installed";
  ASSERT_EQ(Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view"}).code, 0);
  ASSERT_EQ(Ctl({"override", "grant", "--user", "bob", "--perm", "vendors.view"}).code, 0);
  std::string cmd = "sqlite3 '" + store_ + "' \"UPDATE security_log SET target = 'mallory' WHERE seq = 1\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto r = Ctl({"audit", "verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "FAILED: entry 1: entry 1 was modified");
}

TEST_F(CtlTest, AuditVerifyFindsAnOverrideSlippedInWithSqlite) {
  ASSERT_EQ(Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view"}).code, 0);
  RawSql(store_, "INSERT INTO overrides (user, effect, permission, reason, actor, created_ms) "
                 "VALUES ('mallory', 'grant', 'vendors.delete', '', 'x', 0)");
  auto r = Ctl({"audit", "verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "the hash chain is intact but the store does not match it");
  EXPECT_CONTAINS(r.out, "override #2 (\"mallory\" grant vendors.delete) has no security-log entry");
}

TEST_F(CtlTest, AuditVerifyChecksAnAnchorKeptElsewhere) {
  ASSERT_EQ(Ctl({"override", "grant", "--user", "a", "--perm", "vendors.view"}).code, 0);
  auto first = Ctl({"audit", "verify"});
  ASSERT_EQ(first.code, 0) << first.err;
  auto pos = first.out.find("head ");
  ASSERT_NE(pos, std::string::npos);
  const std::string anchor = first.out.substr(pos + 5, first.out.find('\n', pos) - pos - 5);
  ASSERT_EQ(Ctl({"override", "grant", "--user", "b", "--perm", "vendors.view"}).code, 0);
  auto ok = Ctl({"audit", "verify", "--anchor", anchor});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_CONTAINS(ok.out, "anchor matches");
  // Rewrite the whole log consistently (what the chain alone cannot catch).
  RawSql(store_, "DELETE FROM overrides; DELETE FROM security_log; UPDATE security_log_head SET seq = 0, hash = '" +
                     std::string(64, '0') + "'");
  auto rewritten = Ctl({"audit", "verify", "--anchor", anchor});
  EXPECT_EQ(rewritten.code, 1);
  EXPECT_CONTAINS(rewritten.out, "does not match the anchor");
  EXPECT_EQ(Ctl({"audit", "verify", "--anchor", "1:xyz"}).code, 2);
}

TEST_F(CtlTest, AuditVerifyFailsAfterADeletedRow) {
  for (const char* u : {"a", "b", "c"}) ASSERT_EQ(Ctl({"override", "grant", "--user", u, "--perm", "vendors.view"}).code, 0);
  RawSql(store_, "DELETE FROM security_log WHERE seq = 2");
  auto r = Ctl({"audit", "verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "entry 2");
}

TEST_F(CtlTest, LocalAdminPasswordFromStdinIsHashedSlowly) {
  auto weak = Ctl({"local-admin", "set", "--user", "breakglass"}, "password\n");
  EXPECT_EQ(weak.code, 2);
  EXPECT_CONTAINS(weak.err, "too short");
  EXPECT_EQ(weak.err.find("password\n"), std::string::npos);
  auto ok = Ctl({"local-admin", "set", "--user", "breakglass"}, "Correct-Horse-42\n");
  ASSERT_EQ(ok.code, 0) << ok.err;
  auto rec = OpenTestStore(store_)->GetLocalAdmin("breakglass");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->password_hash.rfind("pbkdf2-sha256$600000$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(Secret("Correct-Horse-42"), rec->password_hash));
  auto audit = Ctl({"audit", "list"});
  EXPECT_CONTAINS(audit.out, "local_admin.set");
  EXPECT_EQ(audit.out.find("Correct-Horse-42"), std::string::npos);
  EXPECT_EQ(audit.out.find(rec->password_hash), std::string::npos);
  EXPECT_CONTAINS(Ctl({"local-admin", "list"}).out, "\"breakglass\"");
  EXPECT_EQ(Ctl({"local-admin", "remove", "--user", "breakglass"}).code, 0);
}

TEST_F(CtlTest, NoLocalAdminByDefaultAndEmptyPasswordRefused) {
  ASSERT_TRUE(std::filesystem::remove(store_));
  ASSERT_EQ(Ctl({"override", "list"}).code, 2);  // no store: read commands do not create it
  auto silent = Ctl({"limits", "set", "--user", "x", "--locations", "A"});
  EXPECT_EQ(silent.code, 2);  // nor do write commands, unless told to
  EXPECT_CONTAINS(silent.err, "idbridgectl init");
  EXPECT_FALSE(std::filesystem::exists(store_));
  ASSERT_EQ(Ctl({"limits", "set", "--user", "x", "--locations", "A", "--create"}).code, 0);
  EXPECT_CONTAINS(Ctl({"local-admin", "list"}).out, "no local administrator");
  EXPECT_EQ(Ctl({"local-admin", "set", "--user", "breakglass"}, "\n").code, 2);
  EXPECT_EQ(Ctl({"local-admin", "set", "--user", "breakglass"}, "").code, 2);
}

TEST_F(CtlTest, DamagedStoreGivesAClearErrorAndNonZeroExit) {
  WriteFile(store_, std::string(8192, 'x'));
  ::chmod(store_.c_str(), 0600);
  for (std::vector<std::string> cmd : {std::vector<std::string>{"override", "list"},
                                       std::vector<std::string>{"audit", "verify"},
                                       std::vector<std::string>{"history"}}) {
    auto r = Ctl(cmd);
    EXPECT_EQ(r.code, 2) << cmd[0];
    EXPECT_CONTAINS(r.err, "data_loss");
    EXPECT_CONTAINS(r.err, store_);
  }
}

TEST_F(CtlTest, StoreOptionOverridesTheConfiguredPath) {
  const std::string other = dir_.File("other.db");
  ASSERT_EQ(Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view", "--store", other, "--create"}).code,
            0);
  EXPECT_TRUE(std::filesystem::exists(other));
  EXPECT_CONTAINS(Ctl({"override", "list"}).out, "no overrides");
  // --store alone (no config) works for commands that need no catalog.
  auto r = Run({"override", "list", "--store", other});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "alice");
}

TEST_F(CtlTest, GrantWithoutALoadableConfigIsRefused) {
  ASSERT_TRUE(std::filesystem::remove(store_));
  auto r = Run({"override", "grant", "--user", "a", "--perm", "vendors.view", "--store", store_, "--config",
                dir_.File("missing.yaml"), "--create"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(std::filesystem::exists(store_));
}

TEST_F(CtlTest, InitCreatesTheStoreOnceAndWriteCommandsNeverDoSilently) {
  ASSERT_TRUE(std::filesystem::remove(store_));
  auto grant = Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view"});
  EXPECT_EQ(grant.code, 2);
  EXPECT_CONTAINS(grant.err, "does not exist");
  EXPECT_FALSE(std::filesystem::exists(store_));
  auto admin = Ctl({"local-admin", "set", "--user", "breakglass"}, "Correct-Horse-42\n");
  EXPECT_EQ(admin.code, 2);
  EXPECT_FALSE(std::filesystem::exists(store_));
  auto init = Ctl({"init"});
  ASSERT_EQ(init.code, 0) << init.err;
  EXPECT_CONTAINS(init.out, "created an empty store");
  ASSERT_EQ(Ctl({"override", "grant", "--user", "alice", "--perm", "vendors.view"}).code, 0);
  auto again = Ctl({"init"});
  EXPECT_EQ(again.code, 0);
  EXPECT_CONTAINS(again.out, "already exists; left unchanged (1 security-log entries)");
  EXPECT_CONTAINS(Ctl({"override", "list"}).out, "alice");
}

class CtlDiffTest : public CtlTest {
 protected:
  void SetUp() override {
    CtlTest::SetUp();
    new_config_ = WriteConfig("new.yaml", "rules-new.yaml", testing::kRulesNew, store_);
    auto s = OpenTestStore(store_);
    Identity alice;
    alice.user = "alice";
    alice.source = "ldap:corp";
    alice.groups.push_back({"", "Mechanics", "", {}});
    Identity bob;
    bob.user = "bob";
    bob.source = "ldap:corp";
    bob.groups.push_back({"", "Auditors", "", {}});
    Identity carol;
    carol.user = "carol";
    carol.source = "ldap:corp";
    ASSERT_TRUE(s->RememberIdentity(alice, T("2026-06-01")).ok());
    ASSERT_TRUE(s->RememberIdentity(bob, T("2026-06-01")).ok());
    ASSERT_TRUE(s->RememberIdentity(carol, T("2026-06-01")).ok());
  }
  std::string new_config_;
};

TEST_F(CtlDiffTest, ShowsWhoGainsLosesAndCanNoLongerLogIn) {
  auto r = Run({"diff", "--config", new_config_, "--against", config_});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_CONTAINS(r.out, "bob: can no longer log in");
  EXPECT_CONTAINS(r.out, "bob: loses profile auditor");
  EXPECT_CONTAINS(r.out, "alice: gains work_orders.edit only at location Depot B");
  EXPECT_EQ(r.out.find("carol"), std::string::npos);
  EXPECT_CONTAINS(r.out, "2 of 3 known users would change");
}

TEST_F(CtlDiffTest, JsonIsOneObjectForMachines) {
  auto r = Run({"diff", "--config", new_config_, "--against", config_, "--json"});
  EXPECT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["users_checked"], 3);
  EXPECT_EQ(j["users_changed"], 2);
  const auto& bob = j["changes"][1];
  EXPECT_EQ(bob["user"], "bob");
  EXPECT_EQ(bob["login"]["before"], true);
  EXPECT_EQ(bob["login"]["after"], false);
  bool found = false;
  for (const auto& p : j["changes"][0]["permissions"])
    if (p["permission"] == "work_orders.edit") {
      found = true;
      EXPECT_EQ(p["gained"]["only"], nlohmann::json({"Depot B"}));
      EXPECT_EQ(p["lost"], nullptr);
    }
  EXPECT_TRUE(found);
}

TEST_F(CtlDiffTest, OverridesAreTakenIntoAccount) {
  // A deny override makes the mapping change irrelevant for alice's edit permission.
  ASSERT_EQ(Ctl({"override", "deny", "--user", "alice", "--perm", "work_orders.edit"}).code, 0);
  auto r = Run({"diff", "--config", new_config_, "--against", config_});
  EXPECT_EQ(r.out.find("alice: gains work_orders.edit"), std::string::npos) << r.out;
}

TEST_F(CtlDiffTest, SameConfigurationChangesNobody) {
  auto r = Run({"diff", "--config", config_, "--against", config_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "0 of 3 known users would change");
}

TEST_F(CtlDiffTest, BrokenNewConfigIsAnErrorNotAnEmptyDiff) {
  WriteFile(dir_.File("rules-new.yaml"), "version: 1\nrules:\n  - name: x\n    match: { group_cn: A }\n    grant_profiles: [no_such_profile]\n");
  auto r = Run({"diff", "--config", new_config_, "--against", config_});
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "rules-new.yaml");
}

}  // namespace
}  // namespace idb::store

namespace idb::store {
namespace {

TEST_F(CtlTest, OfflineListShowsCachedCredentialsAndForgetRemovesThemWithAnAuditEntry) {
  {
    auto s = OpenTestStore(store_);
    ASSERT_NE(s, nullptr);
    OfflineCredential c;
    c.directory = "corp";
    c.user = "sam";
    c.salt = std::string(16, 's');
    c.hash = std::string(32, 'h');
    c.iterations = 1000;
    c.identity.user = "sam";
    c.identity.groups.push_back({"cn=Mechanics,ou=Groups,dc=fleet,dc=test", "Mechanics", "", {}});
    c.stored_at = T("2026-06-01T12:00Z");
    ASSERT_TRUE(s->PutOfflineCredential(c).ok());
  }
  auto list = Ctl({"offline", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_CONTAINS(list.out, "\"corp\"/\"sam\"  stored 2026-06-01");
  EXPECT_CONTAINS(list.out, "1 groups");
  EXPECT_EQ(list.out.find("686868"), std::string::npos);  // never the hash
  EXPECT_CONTAINS(Ctl({"offline", "list", "--user", "SAM"}).out, "\"corp\"/\"sam\"");  // names are stored lower-case
  auto forget = Ctl({"offline", "forget", "--user", "Sam"});
  ASSERT_EQ(forget.code, 0) << forget.err;
  EXPECT_CONTAINS(forget.out, "forgot 1 cached offline credential of \"sam\"");
  EXPECT_CONTAINS(Ctl({"offline", "list"}).out, "no cached offline credentials");
  EXPECT_CONTAINS(Ctl({"audit", "list"}).out, "offline.forget");
  auto again = Ctl({"offline", "forget", "--user", "sam"});
  EXPECT_NE(again.code, 0);
  EXPECT_CONTAINS(again.err, "no cached offline credentials");
}

TEST_F(CtlTest, OfflineForgetNeedsAUser) {
  auto r = Ctl({"offline", "forget"});
  EXPECT_NE(r.code, 0);
  EXPECT_CONTAINS(r.err, "--user");
}

}  // namespace
}  // namespace idb::store
