// Unit tests: RFC 4515 escaping, user-name validation and login forms.
#include <gtest/gtest.h>

#include <string>

#include "ldap/filter.h"

namespace idb::ldap {
namespace {

TEST(EscapeFilterValue, LeavesPlainNamesAlone) { EXPECT_EQ(EscapeFilterValue("alice.smith-2"), "alice.smith-2"); }

TEST(EscapeFilterValue, EscapesEveryRfc4515SpecialCharacter) {
  EXPECT_EQ(EscapeFilterValue("*"), "\\2a");
  EXPECT_EQ(EscapeFilterValue("("), "\\28");
  EXPECT_EQ(EscapeFilterValue(")"), "\\29");
  EXPECT_EQ(EscapeFilterValue("\\"), "\\5c");
  EXPECT_EQ(EscapeFilterValue(std::string(1, '\0')), "\\00");
}

TEST(EscapeFilterValue, NeutralisesWildcardInjection) {
  EXPECT_EQ(EscapeFilterValue("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
}

TEST(EscapeFilterValue, NeutralisesOrInjection) {
  EXPECT_EQ(EscapeFilterValue("admin)(|(a=*"), "admin\\29\\28|\\28a=\\2a");
}

TEST(EscapeFilterValue, EscapesControlCharactersAndKeepsUtf8) {
  EXPECT_EQ(EscapeFilterValue("a\nb\x7f"), "a\\0ab\\7f");
  EXPECT_EQ(EscapeFilterValue("J\xc3\xbcrgen"), "J\xc3\xbcrgen");
}

TEST(FormatFilter, ReplacesEveryPlaceholderWithTheEscapedValue) {
  EXPECT_EQ(FormatFilter("(|(uid={user})(mail={user}))", "a*"), "(|(uid=a\\2a)(mail=a\\2a))");
}

TEST(ValidateUserName, AcceptsOrdinaryNames) {
  EXPECT_TRUE(ValidateUserName("alice", 256).ok());
  EXPECT_TRUE(ValidateUserName("alice@fleet.test", 256).ok());
  EXPECT_TRUE(ValidateUserName("FLEET\\alice", 256).ok());
  EXPECT_TRUE(ValidateUserName("J\xc3\xbcrgen", 256).ok());
}

TEST(ValidateUserName, RefusesEmpty) { EXPECT_EQ(ValidateUserName("", 256).code(), ErrorCode::kInvalidArgument); }

TEST(ValidateUserName, RefusesTooLong) {
  EXPECT_EQ(ValidateUserName(std::string(10 * 1024, 'a'), 256).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ValidateUserName(std::string(256, 'a'), 256).ok());
  EXPECT_FALSE(ValidateUserName(std::string(257, 'a'), 256).ok());
}

TEST(ValidateUserName, RefusesNulBytes) {
  const std::string name("alice\0admin", 11);
  Status s = ValidateUserName(name, 256);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("NUL"), std::string::npos);
}

TEST(ValidateUserName, RefusesControlCharacters) {
  EXPECT_FALSE(ValidateUserName("alice\n", 256).ok());
  EXPECT_FALSE(ValidateUserName("al\tice", 256).ok());
  EXPECT_FALSE(ValidateUserName("al\x7fice", 256).ok());
}

TEST(ValidateUserName, RefusesInvalidUtf8) {
  EXPECT_FALSE(ValidateUserName("\xc3", 256).ok());          // truncated
  EXPECT_FALSE(ValidateUserName("\xc0\xaf", 256).ok());      // overlong '/'
  EXPECT_FALSE(ValidateUserName("\xed\xa0\x80", 256).ok());  // surrogate
  EXPECT_FALSE(ValidateUserName("\xff", 256).ok());
}

TEST(ValidateUserName, RefusesSurroundingSpaces) {
  EXPECT_FALSE(ValidateUserName(" alice", 256).ok());
  EXPECT_FALSE(ValidateUserName("alice ", 256).ok());
}

TEST(ValidateUserName, ErrorDoesNotEchoTheName) {
  Status s = ValidateUserName("Secr3t!\n", 256);
  EXPECT_EQ(s.message().find("Secr3t"), std::string::npos);
}

const std::vector<LoginForm> kAll = {LoginForm::kPlain, LoginForm::kUpn, LoginForm::kDownLevel};

TEST(ParseLogin, PlainName) {
  auto p = ParseLogin("alice", kAll, {"fleet.test"}, "FLEET");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->form, LoginForm::kPlain);
  EXPECT_EQ(p->account, "alice");
}

TEST(ParseLogin, UpnWithOurDomainIsCaseInsensitive) {
  auto p = ParseLogin("alice@FLEET.test", kAll, {"fleet.test"}, "FLEET");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->form, LoginForm::kUpn);
  EXPECT_EQ(p->account, "alice");
}

TEST(ParseLogin, DownLevelName) {
  auto p = ParseLogin("fleet\\alice", kAll, {"fleet.test"}, "FLEET");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->form, LoginForm::kDownLevel);
  EXPECT_EQ(p->account, "alice");
}

TEST(ParseLogin, ForeignDomainIsNotOurs) {
  EXPECT_EQ(ParseLogin("alice@evil.test", kAll, {"fleet.test"}, "FLEET").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ParseLogin("EVIL\\alice", kAll, {"fleet.test"}, "FLEET").status().code(), ErrorCode::kNotFound);
}

TEST(ParseLogin, FormNotAcceptedIsNotOurs) {
  EXPECT_EQ(ParseLogin("alice@fleet.test", {LoginForm::kPlain}, {"fleet.test"}, "").status().code(),
            ErrorCode::kNotFound);
}

TEST(ParseLogin, RefusesEmptyAccountAndMixedForms) {
  EXPECT_EQ(ParseLogin("@fleet.test", kAll, {"fleet.test"}, "FLEET").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseLogin("FLEET\\", kAll, {"fleet.test"}, "FLEET").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseLogin("FLEET\\a@fleet.test", kAll, {"fleet.test"}, "FLEET").status().code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace idb::ldap
