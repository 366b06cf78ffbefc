// Tests for shell-style globs (core/glob.h).
#include "core/glob.h"

#include <gtest/gtest.h>

namespace idb {
namespace {

bool M(const char* pattern, const char* text, bool ci = false) {
  auto g = Glob::Compile(pattern, ci);
  EXPECT_TRUE(g.ok()) << pattern;
  return g.ok() && g->Matches(text);
}

TEST(Glob, StarMatchesAnyRun) {
  EXPECT_TRUE(M("*.delete", "work_orders.delete"));
  EXPECT_FALSE(M("*.delete", "work_orders.delete_x"));
  EXPECT_TRUE(M("Depot *", "Depot A"));
  EXPECT_TRUE(M("*", ""));
  EXPECT_TRUE(M("a*b*c", "axxbyyc"));
  EXPECT_FALSE(M("a*b*c", "axxbyy"));
}

TEST(Glob, QuestionMarkMatchesOneCharacter) {
  EXPECT_TRUE(M("Depot ?", "Depot B"));
  EXPECT_FALSE(M("Depot ?", "Depot"));
}

TEST(Glob, ClassesAndRanges) {
  EXPECT_TRUE(M("Depot [AB]", "Depot B"));
  EXPECT_FALSE(M("Depot [AB]", "Depot C"));
  EXPECT_TRUE(M("v[0-9]", "v7"));
  EXPECT_TRUE(M("v[!0-9]", "vx"));
  EXPECT_FALSE(M("v[!0-9]", "v1"));
}

TEST(Glob, BackslashEscapesAWildcard) {
  EXPECT_TRUE(M("a\\*", "a*"));
  EXPECT_FALSE(M("a\\*", "ab"));
}

TEST(Glob, CaseInsensitiveWhenAsked) {
  EXPECT_TRUE(M("depot *", "DEPOT A", true));
  EXPECT_FALSE(M("depot *", "DEPOT A", false));
}

TEST(Glob, BadPatternsAreErrors) {
  for (const char* bad : {"", "[abc", "abc\\", "a]b"}) {
    auto g = Glob::Compile(bad, false);
    EXPECT_FALSE(g.ok()) << bad;
    if (!g.ok()) {
      EXPECT_NE(g.status().message().find("bad glob"), std::string::npos);
    }
  }
}

TEST(Glob, PathologicalPatternStaysFast) {
  std::string pattern;
  for (int i = 0; i < 50; ++i) pattern += "a*";
  pattern += "b";
  std::string text(5000, 'a');
  auto g = Glob::Compile(pattern, false);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->Matches(text));  // single-backtrack algorithm: no exponential blow-up
}

TEST(Glob, HasWildcardsIgnoresEscapedCharacters) {
  EXPECT_TRUE(Glob::HasWildcards("*.delete"));
  EXPECT_FALSE(Glob::HasWildcards("work_orders.delete"));
  EXPECT_FALSE(Glob::HasWildcards("a\\*"));
}

}  // namespace
}  // namespace idb
