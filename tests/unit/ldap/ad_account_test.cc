// Unit tests: objectSid conversion, AD bind diagnostics, account state.
#include <gtest/gtest.h>

#include "ldap/ad_account.h"

namespace idb::ldap {
namespace {

using namespace std::chrono_literals;

// S-1-5-21-1004336348-1177238915-682003330-512 in binary form.
const std::string kSidBin = std::string("\x01\x05\x00\x00\x00\x00\x00\x05\x15\x00\x00\x00\xdc\xf4\xdc\x3b\x83\x3d\x2b\x46\x82\x8b\xa6\x28\x00\x02\x00\x00", 28);

TEST(Sid, BinaryToString) {
  auto s = SidToString(kSidBin);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "S-1-5-21-1004336348-1177238915-682003330-512");
}

TEST(Sid, StringToBinaryRoundTrips) {
  auto b = SidFromString("S-1-5-21-1004336348-1177238915-682003330-512");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, kSidBin);
}

TEST(Sid, RefusesMalformedBinary) {
  EXPECT_FALSE(SidToString("").ok());
  EXPECT_FALSE(SidToString(kSidBin.substr(0, 27)).ok());
  std::string bad = kSidBin;
  bad[0] = 2;
  EXPECT_FALSE(SidToString(bad).ok());
}

TEST(Sid, RefusesMalformedText) {
  EXPECT_FALSE(SidFromString("S-1-").ok());
  EXPECT_FALSE(SidFromString("S-1-5--1").ok());
  EXPECT_FALSE(SidFromString("X-1-5-21").ok());
  EXPECT_FALSE(SidFromString("S-1-5-21-99999999999").ok());
}

TEST(Sid, PrimaryGroupSidReplacesTheRid) {
  auto s = SidWithRid("S-1-5-21-1-2-3-1104", 513);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "S-1-5-21-1-2-3-513");
}

TEST(Sid, BinaryFilterValueEscapesEveryByte) { EXPECT_EQ(EscapeBinaryFilterValue(std::string("\x01\xff", 2)), "\\01\\ff"); }

TEST(AdBindDataCode, ParsesTheSubCode) {
  auto c = AdBindDataCode("80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 775, v4563");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, 0x775u);
}

TEST(AdBindDataCode, NoneForOpenLdapMessages) {
  EXPECT_FALSE(AdBindDataCode("").has_value());
  EXPECT_FALSE(AdBindDataCode("Invalid credentials").has_value());
  EXPECT_FALSE(AdBindDataCode("data zz").has_value());
}

TEST(FailureFromAdDataCode, MapsEveryDocumentedCode) {
  EXPECT_EQ(FailureFromAdDataCode(0x525), LoginFailure::kUnknownUser);
  EXPECT_EQ(FailureFromAdDataCode(0x52e), LoginFailure::kBadCredentials);
  EXPECT_EQ(FailureFromAdDataCode(0x530), LoginFailure::kAccountDisabled);
  EXPECT_EQ(FailureFromAdDataCode(0x531), LoginFailure::kAccountDisabled);
  EXPECT_EQ(FailureFromAdDataCode(0x532), LoginFailure::kPasswordExpired);
  EXPECT_EQ(FailureFromAdDataCode(0x533), LoginFailure::kAccountDisabled);
  EXPECT_EQ(FailureFromAdDataCode(0x701), LoginFailure::kAccountExpired);
  EXPECT_EQ(FailureFromAdDataCode(0x773), LoginFailure::kMustChangePassword);
  EXPECT_EQ(FailureFromAdDataCode(0x775), LoginFailure::kAccountLocked);
  EXPECT_EQ(FailureFromAdDataCode(0x999), LoginFailure::kBadCredentials);
}

using Attrs = std::map<std::string, std::vector<std::string>>;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

TEST(AccountState, NormalAccountIsFine) {
  EXPECT_EQ(AccountStateFromEntry({{"useraccountcontrol", {"512"}}, {"accountexpires", {"0"}}}, kNow), LoginFailure::kNone);
  EXPECT_EQ(AccountStateFromEntry({}, kNow), LoginFailure::kNone);
}

TEST(AccountState, DisabledBit) {
  EXPECT_EQ(AccountStateFromEntry({{"useraccountcontrol", {"514"}}}, kNow), LoginFailure::kAccountDisabled);
}

TEST(AccountState, AccountExpiresInThePast) {
  // 2020-01-01 in FILETIME.
  EXPECT_EQ(AccountStateFromEntry({{"accountexpires", {"132223104000000000"}}}, kNow), LoginFailure::kAccountExpired);
  EXPECT_EQ(AccountStateFromEntry({{"accountexpires", {"9223372036854775807"}}}, kNow), LoginFailure::kNone);
  EXPECT_EQ(AccountStateFromEntry({{"accountexpires", {"199223104000000000"}}}, kNow), LoginFailure::kNone);
}

TEST(AccountState, PwdLastSetZeroMeansMustChange) {
  EXPECT_EQ(AccountStateFromEntry({{"pwdlastset", {"0"}}}, kNow), LoginFailure::kMustChangePassword);
}

TEST(AccountState, PpolicyAdministrativeLockIsDisabled) {
  EXPECT_EQ(AccountStateFromEntry({{"pwdaccountlockedtime", {"000001010000Z"}}}, kNow), LoginFailure::kAccountDisabled);
  EXPECT_EQ(AccountStateFromEntry({{"pwdaccountlockedtime", {"20231114221320Z"}}}, kNow), LoginFailure::kAccountLocked);
}

TEST(AccountState, GarbageValuesAreIgnoredNotCrashing) {
  EXPECT_EQ(AccountStateFromEntry({{"useraccountcontrol", {"x"}}, {"accountexpires", {"-"}}}, kNow), LoginFailure::kNone);
}

}  // namespace
}  // namespace idb::ldap
