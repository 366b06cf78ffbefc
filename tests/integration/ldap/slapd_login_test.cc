// Integration tests: logins against a real OpenLDAP slapd (demo company).
#include <gtest/gtest.h>

#include "core/dn.h"
#include "slapd_fixture.h"

namespace idb::ldap::testing {
namespace {

using LdapLogin = SlapdTest;

TEST_F(LdapLogin, RightPasswordGivesIdentityWithGroupsAndClaims) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome o = a->Authenticate(Login("alice", "alice-pw"));
  ASSERT_TRUE(o.ok()) << LoginFailureName(o.failure) << ": " << o.detail;
  const Identity& id = o.success.identity;
  EXPECT_EQ(id.user, "alice");
  EXPECT_EQ(id.source, "ldap:demo");
  EXPECT_FALSE(o.success.offline);
  ASSERT_NE(FindGroup(id, "Depot A Staff"), nullptr);
  ASSERT_NE(FindGroup(id, "Parts, Tools"), nullptr);
  EXPECT_TRUE(SameDn(FindGroup(id, "Parts, Tools")->dn, "cn=Parts\\, Tools,ou=Groups,dc=fleet,dc=test"));
  EXPECT_EQ(id.claims.at("department"), std::vector<std::string>{"Depot A"});
  EXPECT_EQ(id.claims.at("mail"), std::vector<std::string>{"alice@fleet.test"});
  EXPECT_EQ(id.claims.at("employeeID"), std::vector<std::string>{"E1008"});
}

TEST_F(LdapLogin, NestedGroupRecordsItsPath) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome o = a->Authenticate(Login("sam", "sam-pw"));
  ASSERT_TRUE(o.ok()) << o.detail;
  const DirectoryGroup* senior = FindGroup(o.success.identity, "Senior Mechanics");
  const DirectoryGroup* mechanics = FindGroup(o.success.identity, "Mechanics");
  ASSERT_NE(senior, nullptr);
  ASSERT_NE(mechanics, nullptr);
  EXPECT_TRUE(senior->via.empty());
  EXPECT_EQ(mechanics->via, std::vector<std::string>{"Senior Mechanics"});
}

TEST_F(LdapLogin, MemberSearchFindsTheSameGroupsAsMemberOf) {
  DirectoryConfig c = Config();
  c.group_membership = GroupMembership::kMemberSearch;
  c.page_size = 2;  // forces several pages
  auto a = MakeAuthenticator(c);
  AuthOutcome o = a->Authenticate(Login("alice", "alice-pw"));
  ASSERT_TRUE(o.ok()) << o.detail;
  EXPECT_NE(FindGroup(o.success.identity, "Senior Mechanics"), nullptr);
  EXPECT_NE(FindGroup(o.success.identity, "Depot A Staff"), nullptr);
  EXPECT_NE(FindGroup(o.success.identity, "Parts, Tools"), nullptr);
  ASSERT_NE(FindGroup(o.success.identity, "Mechanics"), nullptr);
  EXPECT_EQ(FindGroup(o.success.identity, "Mechanics")->via, std::vector<std::string>{"Senior Mechanics"});
}

TEST_F(LdapLogin, GroupCycleTerminatesAndKeepsBothGroups) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome o = a->Authenticate(Login("eve", "eve-pw"));
  ASSERT_TRUE(o.ok()) << o.detail;
  ASSERT_NE(FindGroup(o.success.identity, "Cycle A"), nullptr);
  ASSERT_NE(FindGroup(o.success.identity, "Cycle B"), nullptr);
  EXPECT_EQ(FindGroup(o.success.identity, "Cycle B")->via, std::vector<std::string>{"Cycle A"});
  EXPECT_EQ(o.success.identity.groups.size(), 2u);
}

TEST_F(LdapLogin, NestingStopsAtTheDepthLimit) {
  DirectoryConfig c = Config();
  c.nested_depth_limit = 3;
  auto a = MakeAuthenticator(c);
  AuthOutcome o = a->Authenticate(Login("deep", "deep-pw"));
  ASSERT_TRUE(o.ok()) << o.detail;
  EXPECT_NE(FindGroup(o.success.identity, "Level 04"), nullptr);
  EXPECT_EQ(FindGroup(o.success.identity, "Level 05"), nullptr);
  EXPECT_EQ(FindGroup(o.success.identity, "Level 04")->via,
            (std::vector<std::string>{"Level 01", "Level 02", "Level 03"}));
}

TEST_F(LdapLogin, WrongPasswordIsBadCredentials) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome o = a->Authenticate(Login("alice", "wrong"));
  EXPECT_EQ(o.failure, LoginFailure::kBadCredentials) << o.detail;
  EXPECT_EQ(o.detail.find("wrong"), std::string::npos);
}

TEST_F(LdapLogin, UnknownUserIsRecordedAsUnknownUser) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Authenticate(Login("nobody", "x")).failure, LoginFailure::kUnknownUser);
}

TEST_F(LdapLogin, EmptyPasswordIsRefusedForAnExistingUser) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Authenticate(Login("alice", "")).failure, LoginFailure::kEmptyPassword);
}

TEST_F(LdapLogin, EmptyPasswordIsRefusedBeforeAnyNetworkTraffic) {
  DirectoryConfig c = Config();
  c.uris = {"ldaps://localhost:1"};  // nothing listens: any bind attempt would say "unavailable"
  auto a = MakeAuthenticator(c);
  EXPECT_EQ(a->Authenticate(Login("alice", "")).failure, LoginFailure::kEmptyPassword);
}

TEST_F(LdapLogin, DisabledAccountIsReportedAsDisabled) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome o = a->Authenticate(Login("dave", "dave-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kAccountDisabled) << o.detail;
  // slapd refuses a ppolicy-locked bind whatever the password: never proven.
  EXPECT_FALSE(o.password_proven);
  EXPECT_EQ(o.account, "dave");
}

TEST_F(LdapLogin, WildcardInjectionMatchesNobody) {
  auto a = MakeAuthenticator(Config());
  for (const char* name : {"*)(uid=*", "*", "a*", "alice*", "*)(|(uid=*))(uid=*"}) {
    AuthOutcome o = a->Authenticate(Login(name, "alice-pw"));
    EXPECT_EQ(o.failure, LoginFailure::kUnknownUser) << name << ": " << o.detail;
  }
}

TEST_F(LdapLogin, OrInjectionMatchesNobody) {
  auto a = MakeAuthenticator(Config());
  AuthOutcome o = a->Authenticate(Login("admin)(|(a=*", "x"));
  EXPECT_EQ(o.failure, LoginFailure::kUnknownUser) << o.detail;
  o = a->Authenticate(Login("alice)(|(uid=*", "alice-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kUnknownUser) << o.detail;
}

TEST_F(LdapLogin, NulByteInNameIsRefused) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Authenticate(Login(std::string("alice\0*", 7), "alice-pw")).failure, LoginFailure::kInvalidUserName);
  EXPECT_EQ(a->Authenticate(Login(std::string("alice\0", 6), "alice-pw")).failure, LoginFailure::kInvalidUserName);
}

TEST_F(LdapLogin, TenKilobyteNameIsRefused) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Authenticate(Login(std::string(10 * 1024, 'a'), "x")).failure, LoginFailure::kInvalidUserName);
}

TEST_F(LdapLogin, UpnIsNotAcceptedWhereNotConfigured) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Authenticate(Login("alice@fleet.test", "alice-pw")).failure, LoginFailure::kUnknownUser);
}

TEST_F(LdapLogin, StartTlsWithTheRightCaWorks) {
  DirectoryConfig c = Config();
  c.uris = {server_->ldap_uri()};
  c.start_tls = true;
  auto a = MakeAuthenticator(c);
  AuthOutcome o = a->Authenticate(Login("mike", "mike-pw"));
  EXPECT_TRUE(o.ok()) << o.detail;
}

TEST_F(LdapLogin, WrongCaIsRefusedForLdaps) {
  auto other = idb::testing::TestCa::Create(tmp_, "other-ca");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  DirectoryConfig c = Config();
  c.ca_file = other->ca_file();
  auto a = MakeAuthenticator(c);
  AuthOutcome o = a->Authenticate(Login("mike", "mike-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kDirectoryUnavailable) << o.detail;
}

TEST_F(LdapLogin, WrongCaIsRefusedForStartTls) {
  auto other = idb::testing::TestCa::Create(tmp_, "other-ca");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  DirectoryConfig c = Config();
  c.uris = {server_->ldap_uri()};
  c.start_tls = true;
  c.ca_file = other->ca_file();
  auto a = MakeAuthenticator(c);
  AuthOutcome o = a->Authenticate(Login("mike", "mike-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kDirectoryUnavailable) << o.detail;
}

TEST_F(LdapLogin, UserBindTemplateWorksWithoutServiceAccount) {
  DirectoryConfig c = Config();
  c.bind_dn.clear();
  c.bind_password_file.clear();
  c.user_bind_template = "uid={user},ou=People,dc=fleet,dc=test";
  auto a = MakeAuthenticator(c);
  AuthOutcome o = a->Authenticate(Login("sam", "sam-pw"));
  ASSERT_TRUE(o.ok()) << o.detail;
  // Users may read themselves but not the groups: groups come from memberOf.
  EXPECT_NE(FindGroup(o.success.identity, "Senior Mechanics"), nullptr);
  EXPECT_EQ(a->Authenticate(Login("sam", "nope")).failure, LoginFailure::kBadCredentials);
}

TEST_F(LdapLogin, LookupSeesARemovedGroupWithoutANewLogin) {
  DirectoryConfig c = Config();
  c.group_cache_ttl = std::chrono::seconds(0);
  auto a = MakeAuthenticator(c);
  ASSERT_TRUE(a->Authenticate(Login("ben", "ben-pw")).ok());
  ASSERT_TRUE(server_->Modify("dn: cn=Depot B Staff,ou=Groups,dc=fleet,dc=test\nchangetype: modify\n"
                              "add: member\nmember: uid=carl,ou=People,dc=fleet,dc=test\n").ok());
  ASSERT_TRUE(server_->Modify("dn: cn=Contractors,ou=Groups,dc=fleet,dc=test\nchangetype: modify\n"
                              "delete: member\nmember: uid=carl,ou=People,dc=fleet,dc=test\n"
                              "-\nadd: member\nmember: uid=mike,ou=People,dc=fleet,dc=test\n").ok());
  auto id = a->Lookup("carl");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(FindGroup(*id, "Contractors"), nullptr);
  EXPECT_NE(FindGroup(*id, "Depot B Staff"), nullptr);
}

TEST_F(LdapLogin, LookupOfAGoneUserIsNotFound) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Lookup("nobody").status().code(), ErrorCode::kNotFound);
}

TEST_F(LdapLogin, LookupOfADisabledUserIsPermissionDenied) {
  auto a = MakeAuthenticator(Config());
  EXPECT_EQ(a->Lookup("dave").status().code(), ErrorCode::kPermissionDenied);
}

TEST_F(LdapLogin, RepeatedFailuresAreThrottledBeforeTheDirectoryIsAsked) {
  DirectoryConfig c = Config();
  c.throttle_enabled = true;
  c.throttle.free_failures = 2;
  c.throttle.lockout_failures = 4;
  auto a = MakeAuthenticator(c);
  for (int i = 0; i < 4; ++i) {
    AuthOutcome o = a->Authenticate(Login("fiona", "guess" + std::to_string(i)));
    EXPECT_TRUE(o.failure == LoginFailure::kBadCredentials || o.failure == LoginFailure::kThrottled) << o.detail;
  }
  AuthOutcome o = a->Authenticate(Login("fiona", "fiona-pw"));
  EXPECT_EQ(o.failure, LoginFailure::kThrottled) << o.detail;
}

TEST_F(LdapLogin, GroupsExistFindsTyposInGroupDns) {
  auto a = MakeAuthenticator(Config());
  auto r = a->GroupsExist({"cn=Mechanics,ou=Groups,dc=fleet,dc=test", "cn=Mechanic,ou=Groups,dc=fleet,dc=test",
                           "cn=Mechanics,ou=Groupz,dc=fleet,dc=test"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<bool>{true, false, false}));
}

}  // namespace
}  // namespace idb::ldap::testing
