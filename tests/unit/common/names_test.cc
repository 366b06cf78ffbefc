#include "common/names.h"

#include <gtest/gtest.h>

namespace idb {
namespace {

TEST(Names, AcceptsOddButLegalUserNames) {
  for (const char* n : {"alice", "o'brien", "Robert'); DROP TABLE overrides;--", "Zoë Müller", "用户", "a b;c\"d",
                        "%_*?\\"}) {
    EXPECT_TRUE(ValidateUserName(n).ok()) << n;
  }
}

TEST(Names, RefusesEmptyTooLongControlAndInvalidUtf8) {
  EXPECT_EQ(ValidateUserName("").code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ValidateUserName(std::string(256, 'a')).ok());
  auto too_long = ValidateUserName(std::string(257, 'a'));
  EXPECT_EQ(too_long.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("at most 256"), std::string::npos);
  EXPECT_FALSE(ValidateUserName(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateUserName("a\nb").ok());
  EXPECT_FALSE(ValidateUserName("a\x1b[31m").ok());
  EXPECT_FALSE(ValidateUserName("\xff\xfe").ok());
  EXPECT_FALSE(ValidateUserName("\xc0\xaf").ok());  // overlong '/'
}

TEST(Names, SanitizeKeepsFailedLoginNamesRecordable) {
  EXPECT_EQ(SanitizeForLog("bob\n\x01x"), "bob??x");
  EXPECT_EQ(SanitizeForLog(std::string(1000, 'a')).size(), kMaxNameBytes);
  EXPECT_EQ(SanitizeForLog("\xff" "ok"), "?ok");
  // A multi-byte character is never cut in half.
  EXPECT_EQ(SanitizeForLog("abé", 3), "ab");
}

TEST(Names, ParseNameListSortsDeduplicatesAndKeepsEmptyAsNothing) {
  auto l = ParseNameList("Depot B, Depot A,Depot B", "location");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, (std::vector<std::string>{"Depot A", "Depot B"}));
  auto empty = ParseNameList("", "location");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(ParseNameList("A,,B", "location").ok());
  EXPECT_FALSE(ParseNameList("A,\tB", "location").ok());
}

TEST(Names, QuotedEscapesControlCharacters) {
  EXPECT_EQ(Quoted("a\"b\n"), "\"a\\\"b\\x0a\"");
}

}  // namespace
}  // namespace idb
