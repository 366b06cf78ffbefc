// user_name_fold_test.cc — the one normal form of a typed user name (NFKC +
// case fold) that keys the per-user throttle for names that resolve to nothing.
#include "auth/user_name_fold.h"

#include <gtest/gtest.h>

namespace idb {
namespace {

struct Case {
  const char* typed;
  const char* folded;
};

TEST(FoldUserName, SpellingsOfOneNameFoldAlike) {
  const Case cases[] = {
      {"mike", "mike"},
      {"MIKE", "mike"},
      {"Mike", "mike"},
      {"\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x8b\xef\xbd\x85", "mike"},  // full-width ｍｉｋｅ
      {"Stra\xc3\x9f" "e", "strasse"},                                  // ß folds to ss
      {"STRASSE", "strasse"},
      {"jos\x65\xcc\x81", "jos\xc3\xa9"},                               // e + combining acute → é
      {"JOS\xc3\x89", "jos\xc3\xa9"},
      {"\xef\xac\x81le", "file"},                                       // the ﬁ ligature
      {"mi\xc2\xad" "ke", "mike"},                                      // soft hyphen is ignorable
      {"", ""},
  };
  for (const Case& c : cases) {
    auto f = FoldUserName(c.typed);
    ASSERT_TRUE(f.ok()) << c.typed << ": " << f.status().ToString();
    EXPECT_EQ(*f, c.folded) << c.typed;
  }
}

TEST(FoldUserName, DifferentNamesStayDifferent) {
  EXPECT_NE(*FoldUserName("mike"), *FoldUserName("mikey"));
  EXPECT_NE(*FoldUserName("j\xc3\xb6rg"), *FoldUserName("jorg"));  // accents are not stripped
}

TEST(FoldUserName, MalformedUtf8IsRefusedNotReplaced) {
  for (const char* bad : {"\xff", "mi\xc3", "\xc0\xaf", "\xed\xa0\x80"}) {
    auto f = FoldUserName(bad);
    EXPECT_FALSE(f.ok()) << bad;
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(FoldUserName, EmbeddedNulIsKeptApart) {
  auto f = FoldUserName(std::string_view("a\0b", 3));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, std::string("a\0b", 3));
}

}  // namespace
}  // namespace idb
