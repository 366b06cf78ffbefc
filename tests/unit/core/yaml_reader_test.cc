// Tests for the strict YAML reader (core/yaml_reader.h), incl. hostile input.
#include "core/yaml_reader.h"

#include <gtest/gtest.h>

namespace idb {
namespace {

YAML::Node Parse(const std::string& text) {
  std::vector<Diagnostic> errors;
  auto n = LoadYamlString(text, "t.yaml", &errors);
  EXPECT_TRUE(n.has_value()) << (errors.empty() ? "" : errors[0].ToString());
  return n ? *n : YAML::Node();
}

TEST(YamlReader, UnknownKeyGetsDidYouMeanWithPosition) {
  std::vector<Diagnostic> errors;
  YamlReader r("t.yaml", &errors);
  YAML::Node n = Parse("name: x\ngrant_profile: [a]\n");
  EXPECT_FALSE(r.CheckKeys(n, {"name", "grant_profiles"}, "rule"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(), "t.yaml:2:1: unknown key 'grant_profile' in rule (did you mean 'grant_profiles'?)");
}

TEST(YamlReader, DuplicateKeysAreErrors) {
  std::vector<Diagnostic> errors;
  YamlReader r("t.yaml", &errors);
  YAML::Node n = Parse("a: 1\na: 2\n");
  r.CheckKeys(n, {"a"}, "map");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("duplicate key 'a'"), std::string::npos);
}

TEST(YamlReader, WrongTypesAreReported) {
  std::vector<Diagnostic> errors;
  YamlReader r("t.yaml", &errors);
  YAML::Node n = Parse("s: [1]\ni: abc\nb: maybe\nl: {a: 1}\n");
  EXPECT_FALSE(r.GetString(n, "s", true));
  EXPECT_FALSE(r.GetInt(n, "i", true));
  EXPECT_FALSE(r.GetBool(n, "b", true));
  EXPECT_FALSE(r.GetStringList(n, "l", true));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].ToString(), "t.yaml:1:4: 's' must be a string, not list");
  EXPECT_EQ(errors[1].ToString(), "t.yaml:2:4: 'i' must be an integer, not 'abc'");
  EXPECT_EQ(errors[3].ToString(), "t.yaml:4:4: 'l' must be a list of strings, not map");
}

TEST(YamlReader, MissingRequiredKeyIsReported) {
  std::vector<Diagnostic> errors;
  YamlReader r("t.yaml", &errors);
  EXPECT_FALSE(r.GetString(Parse("a: 1\n"), "path", true));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("missing required key 'path'"), std::string::npos);
  EXPECT_FALSE(r.ok());
}

TEST(YamlReader, IntegerRangeIsChecked) {
  std::vector<Diagnostic> errors;
  YamlReader r("t.yaml", &errors);
  EXPECT_FALSE(r.GetInt(Parse("d: 0\n"), "d", true, 1, 10));
  EXPECT_EQ(*r.GetInt(Parse("d: 7\n"), "d", true, 1, 10), 7);
  EXPECT_EQ(errors.size(), 1u);
}

TEST(YamlReader, FindDoesNotInsertKeys) {
  YAML::Node n = Parse("a: 1\n");
  EXPECT_FALSE(YamlReader::Find(n, "b").IsDefined());
  EXPECT_EQ(n.size(), 1u);
}

TEST(YamlReader, SyntaxErrorsCarryPosition) {
  std::vector<Diagnostic> errors;
  EXPECT_FALSE(LoadYamlString("a: [1, 2\nb: c\n", "t.yaml", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_GT(errors[0].line, 0);
  EXPECT_NE(errors[0].message.find("invalid YAML"), std::string::npos);
}

TEST(YamlReader, BinaryInputIsRefused) {
  std::vector<Diagnostic> errors;
  std::string bin("\x7f" "ELF\x00\x01\x02\xff\xfe", 9);
  EXPECT_FALSE(LoadYamlString(bin, "t.yaml", &errors));
  ASSERT_EQ(errors.size(), 1u);
}

TEST(YamlReader, DeepNestingIsRefused) {
  std::vector<Diagnostic> errors;
  std::string deep(500, '[');
  deep += std::string(500, ']');
  EXPECT_FALSE(LoadYamlString(deep, "t.yaml", &errors));
  ASSERT_FALSE(errors.empty());
}

TEST(YamlReader, AliasBombIsRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  std::vector<Diagnostic> errors;
  EXPECT_FALSE(LoadYamlString(bomb, "t.yaml", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("too large"), std::string::npos);
}

TEST(YamlReader, MissingFileIsADiagnostic) {
  std::vector<Diagnostic> errors;
  EXPECT_FALSE(LoadYamlFile("/nonexistent/x.yaml", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(), "/nonexistent/x.yaml: cannot open file");
}

TEST(YamlReader, DidYouMeanNeedsACloseCandidate) {
  EXPECT_EQ(DidYouMean("grant_profile", {"grant_profiles", "deny"}), "grant_profiles");
  EXPECT_FALSE(DidYouMean("zzzzzz", {"grant_profiles", "deny"}).has_value());
}

}  // namespace
}  // namespace idb
