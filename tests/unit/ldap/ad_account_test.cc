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


// Password change refusals, table-driven: what Windows and Samba answer.
TEST(AdPasswordChange, RefusalsMapToPreciseResults) {
  struct Case {
    int code;
    const char* diagnostic;
    PasswordChangeFailure want;
  } cases[] = {
      {19, "00000056: AtrErr: DSID-03190F80, #1:\n\t0: 00000056: DSID-03190F80, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)", PasswordChangeFailure::kBadCredentials},
      {19, "0000052D: AtrErr: DSID-03191083, #1:\n\t0: 0000052D: DSID-03191083, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)", PasswordChangeFailure::kPolicyOther},
      {19, "0000056A: Constraint violation - The old password specified doesn't match!", PasswordChangeFailure::kBadCredentials},
      {19, "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!", PasswordChangeFailure::kPolicyTooShort},
      {19, "0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!", PasswordChangeFailure::kPolicyComplexity},
      {19, "0000052D: Constraint violation - check_password_restrictions: the password was already used (previous password)!", PasswordChangeFailure::kPolicyInHistory},
      {19, "0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!", PasswordChangeFailure::kPolicyInHistory},
      {19, "0000052D: Constraint violation - check_password_restrictions: password is too young to change!", PasswordChangeFailure::kPolicyTooYoung},
      {19, "", PasswordChangeFailure::kPolicyOther},
      {50, "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS)", PasswordChangeFailure::kInternal},
  };
  for (const auto& c : cases) EXPECT_EQ(AdPasswordChangeRefusal(c.code, c.diagnostic), c.want) << c.diagnostic;
}

TEST(AdPasswordChange, MinimumLengthFromSambasMessage) {
  EXPECT_EQ(AdMinimumPasswordLength("the password is too short. It should be equal or longer than 7 characters!"), 7);
  EXPECT_EQ(AdMinimumPasswordLength("0000052D: AtrErr: DSID-03191083"), 0);
  EXPECT_EQ(AdMinimumPasswordLength("longer than 99999999999999 characters"), 0);
}

}  // namespace
}  // namespace idb::ldap
