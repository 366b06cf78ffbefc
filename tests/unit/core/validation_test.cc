// Every validation error of the mapping files, with file:line:col, and hostile
// input that must produce diagnostics — never a crash or an exception.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_policy.h"

namespace idb {
namespace {

using ::testing::HasSubstr;
using idb::testing::Errors;
using idb::testing::kCatalog;
using idb::testing::kProfiles;

const std::string kOkRules = "version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: [full]\n";

TEST(Validation, ShippedStyleFilesAreValid) { EXPECT_EQ(Errors(kOkRules), ""); }

TEST(Validation, UnknownRuleKeyGetsDidYouMeanAtItsPosition) {
  std::string e = Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profile: [full]\n");
  EXPECT_THAT(e, HasSubstr("rules.yaml:5:5: unknown key 'grant_profile' in rule 'r' (did you mean 'grant_profiles'?)"));
}

TEST(Validation, WrongTypeIsReported) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: { a: b }\n"),
              HasSubstr("rules.yaml:5:21: 'grant_profiles' must be a list of strings, not map"));
  EXPECT_THAT(Errors("version: 1\nrules: {}\n"), HasSubstr("'rules' must be a list, not map"));
}

TEST(Validation, UnknownPermissionInDenyGetsDidYouMean) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    deny: [work_order.delete]\n"),
              HasSubstr("rules.yaml:5:12: deny: unknown permission 'work_order.delete' (did you mean 'work_orders.delete'?)"));
}

TEST(Validation, DenyGlobMatchingNothingIsAnError) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    deny: ['*.approve']\n"),
              HasSubstr("matches no permission"));
}

TEST(Validation, BadDenyGlobIsAnError) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    deny: ['work_orders.[del']\n"),
              HasSubstr("bad glob"));
}

TEST(Validation, UnknownProfileInGrantGetsDidYouMean) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: [editr]\n"),
              HasSubstr("rules.yaml:5:22: unknown profile 'editr' (did you mean 'editor'?)"));
}

TEST(Validation, UnknownDefaultProfile) {
  EXPECT_THAT(Errors("version: 1\ndefault: { profile: nobody }\nrules: []\n"), HasSubstr("unknown profile 'nobody'"));
  EXPECT_THAT(Errors("version: 1\ndefault: allow\nrules: []\n"), HasSubstr("'default' must be deny or { profile: NAME }"));
}

TEST(Validation, UnknownModuleInProfile) {
  std::string profiles = "version: 1\nprofiles:\n  p:\n    modules: { work_order: full }\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("profiles.yaml:4:16: unknown key 'work_order' in 'modules' of profile 'p' (did you mean 'work_orders'?)"));
}

TEST(Validation, UnknownActionInProfile) {
  std::string profiles = "version: 1\nprofiles:\n  p:\n    modules: { work_orders: [view, delet] }\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("unknown action 'delet' in module 'work_orders' (did you mean 'delete'?)"));
}

TEST(Validation, BadModuleSetting) {
  std::string profiles = "version: 1\nprofiles:\n  p:\n    modules: { work_orders: some }\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("module setting must be full, none or a list of actions, not 'some'"));
}

TEST(Validation, InheritsCycleIsDetected) {
  std::string profiles =
      "version: 1\nprofiles:\n  a: { inherits: [b] }\n  b: { inherits: [c] }\n  c: { inherits: [a] }\n  full: { modules: { '*': full } }\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("inherits cycle: a -> b -> c -> a"));
}

TEST(Validation, SelfInheritanceIsACycle) {
  std::string profiles = "version: 1\nprofiles:\n  full: { inherits: [full] }\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("inherits cycle"));
}

TEST(Validation, UnknownParentProfile) {
  std::string profiles = "version: 1\nprofiles:\n  full: { inherits: [viewr] }\n  viewer: {}\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("inherits unknown profile 'viewr' (did you mean 'viewer'?)"));
}

TEST(Validation, ProfileGrantMissingItsRequirementIsRefused) {
  std::string profiles = "version: 1\nprofiles:\n  full:\n    modules: { work_orders: [edit] }\n";
  EXPECT_THAT(Errors(kOkRules, profiles),
              HasSubstr("profiles.yaml:3:3: profile 'full' grants work_orders.edit without its required permission work_orders.view"));
}

TEST(Validation, InheritedEditLosingViewIsRefused) {
  std::string profiles =
      "version: 1\nprofiles:\n  full: { modules: { '*': full } }\n  child: { inherits: [full], modules: { vendors: [edit] } }\n";
  EXPECT_THAT(Errors(kOkRules, profiles), HasSubstr("grants vendors.edit without its required permission vendors.view"));
}

TEST(Validation, DuplicateRuleName) {
  std::string rules = kOkRules + "  - name: r\n    match: { group_cn: H }\n    grant_profiles: [full]\n";
  EXPECT_THAT(Errors(rules), HasSubstr("rules.yaml:6:11: duplicate rule name 'r' (first defined at rules.yaml:3:11)"));
}

TEST(Validation, MalformedDnIsReported) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group: 'CN=Mechanics,,DC=x' }\n    grant_profiles: [full]\n"),
              HasSubstr("rules.yaml:4:21: 'group': malformed DN: empty RDN"));
}

TEST(Validation, BadGroupGlobIsReported) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_glob: 'Depot [A' }\n    grant_profiles: [full]\n"),
              HasSubstr("'group_glob': bad glob 'Depot [A': unterminated '['"));
}

TEST(Validation, BadSidIsReported) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_sid: 'X-1-5' }\n    grant_profiles: [full]\n"),
              HasSubstr("is not a SID"));
}

TEST(Validation, MatcherWithTwoKeysIsRefused) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G, claim: { a: b } }\n    grant_profiles: [full]\n"),
              HasSubstr("a matcher has exactly one key"));
}

TEST(Validation, UnknownMatcherKeyGetsDidYouMean) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { groupcn: G }\n    grant_profiles: [full]\n"),
              HasSubstr("unknown key 'groupcn' in match (did you mean 'group_cn'?)"));
}

TEST(Validation, EmptyAllAndEmptyClaimListAreRefused) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { all: [] }\n    grant_profiles: [full]\n"),
              HasSubstr("'all' needs at least one matcher"));
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { claim: { dept: [] } }\n    grant_profiles: [full]\n"),
              HasSubstr("needs at least one value"));
}

TEST(Validation, RuleWithoutNameOrMatchOrEffect) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - match: { group_cn: G }\n    grant_profiles: [full]\n"), HasSubstr("missing required key 'name'"));
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    grant_profiles: [full]\n"), HasSubstr("rule 'r' needs 'match'"));
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n"), HasSubstr("grants and denies nothing"));
}

TEST(Validation, EmptyScopeListIsRefused) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: [full]\n    locations: []\n"),
              HasSubstr("'locations' is empty"));
}

TEST(Validation, ScopeWithoutGrantIsRefused) {
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    deny: [vendors.edit]\n    locations: [A]\n"),
              HasSubstr("locations/warehouses scope a grant"));
}

TEST(Validation, MissingAndUnsupportedVersion) {
  EXPECT_THAT(Errors("rules: []\n"), HasSubstr("rules.yaml:1:1: missing required key 'version'"));
  EXPECT_THAT(Errors("version: 2\nrules: []\n"), HasSubstr("rules.yaml:1:10: unsupported rules version 2"));
  EXPECT_THAT(Errors(kOkRules, "profiles: {}\n"), HasSubstr("profiles.yaml:1:1: missing required key 'version'"));
}

TEST(Validation, MatchNestedTooDeepIsRefused) {
  std::string m = "{ group_cn: G }";
  for (int i = 0; i < 40; ++i) m = "{ not: " + m + " }";
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: " + m + "\n    grant_profiles: [full]\n"),
              HasSubstr("match nested deeper than"));
}

// Catalog errors.
TEST(Validation, CatalogRequirementCycleIsDetected) {
  std::string cat =
      "version: 1\nmodules:\n  m:\n    title: M\n    scope: none\n    actions:\n      a: { title: A, requires: [b] }\n      b: { title: B, requires: [a] }\n";
  EXPECT_THAT(Errors("version: 1\nrules: []\n", "version: 1\nprofiles: {}\n", cat), HasSubstr("requirement cycle"));
}

TEST(Validation, CatalogUnknownRequirementAndBadScope) {
  std::string cat = "version: 1\nmodules:\n  m:\n    title: M\n    scope: galaxy\n    actions:\n      a: { title: A, requires: [vieww] }\n      view: { title: V }\n";
  std::string e = Errors("version: 1\nrules: []\n", "version: 1\nprofiles: {}\n", cat);
  EXPECT_THAT(e, HasSubstr("scope must be location, warehouse or none, not 'galaxy'"));
  EXPECT_THAT(e, HasSubstr("unknown permission 'm.vieww' (did you mean 'm.view'?)"));
}

TEST(Validation, CatalogCrossScopeRequirementIsRefused) {
  std::string cat =
      "version: 1\nmodules:\n  a:\n    title: A\n    scope: location\n    actions:\n      x: { title: X, requires: ['b.y'] }\n"
      "  b:\n    title: B\n    scope: warehouse\n    actions:\n      y: { title: Y }\n";
  EXPECT_THAT(Errors("version: 1\nrules: []\n", "version: 1\nprofiles: {}\n", cat), HasSubstr("cannot require b.y (warehouse-scoped)"));
}

TEST(Validation, CatalogBadNamesAndMissingTitle) {
  std::string cat = "version: 1\nmodules:\n  Bad-Name:\n    title: M\n    scope: none\n    actions: { a: { title: A } }\n  ok:\n    scope: none\n    actions: { a: {} }\n";
  std::string e = Errors("version: 1\nrules: []\n", "version: 1\nprofiles: {}\n", cat);
  EXPECT_THAT(e, HasSubstr("module name 'Bad-Name' must be lower_snake_case"));
  EXPECT_THAT(e, HasSubstr("missing required key 'title'"));
}

// Hostile inputs: every one is a diagnostic, none crashes or throws.
TEST(Validation, GarbageInputsNeverCrash) {
  std::vector<std::string> inputs = {
      "",
      "~",
      "just a string",
      "[1, 2, 3]",
      "version: [1]\nrules: 5\n",
      "version: 1\nrules: [1, [2], {x: y}]\n",
      "version: 1\nrules:\n  - name: [a]\n    match: [b]\n    grant_profiles: 7\n    deny: {permission: [x]}\n",
      "version: 1\ndefault: {profile: [x]}\nrules: ~\n",
      "version: 99999999999999999999999\nrules: []\n",
      std::string("\x00\x01\x02garbage", 10),
      "\xff\xfe\xfd: \xc3\x28\n",
      "a: &x [*x]\n",
      "{{{{{{{{{{",
      "version: 1\nrules:\n  - name: " + std::string(200000, 'x') + "\n    match: { group_cn: G }\n    grant_profiles: [full]\n",
      "version: 1\nrules:\n  - name: r\n    match: { claim: { " + std::string(5000, 'k') + ": v } }\n    grant_profiles: [full]\n",
      "version: 1\nrules:\n  - name: r\n    match: { group: '" + std::string(70000, 'A') + "' }\n    grant_profiles: [full]\n",
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    // As rules, as profiles and as catalog.
    std::string r = Errors(inputs[i]);
    std::string p = Errors(kOkRules, inputs[i]);
    std::string c = Errors(kOkRules, kProfiles, inputs[i]);
    if (i == 13) {
      EXPECT_THAT(r, HasSubstr("rule name is 200000 bytes long")) << i;  // the store's bound
    } else {
      EXPECT_NE(r, "") << i;
    }
    EXPECT_NE(p, "") << i;
    EXPECT_NE(c, "") << i;
    EXPECT_EQ(r.find("INCONSISTENT"), std::string::npos) << i;
    EXPECT_EQ(r.find("internal error"), std::string::npos) << i << r;
  }
}

TEST(Validation, RandomBytesNeverCrash) {
  uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned char>(seed >> 56);
  };
  const std::string alphabet = "abc :-[]{}&*!|>'\"#\n\t,?%@`0123456789";
  for (int i = 0; i < 300; ++i) {
    std::string s = kOkRules;
    const int n = 1 + next() % 40;
    for (int k = 0; k < n; ++k) s[next() % s.size()] = alphabet[next() % alphabet.size()];
    std::string e = Errors(s);
    EXPECT_EQ(e.find("INCONSISTENT"), std::string::npos) << s;
  }
}

// ---- text the store and the logs can hold (what check accepts, the daemon accepts) ----

std::string RuleWithLocation(const std::string& name, const std::string& location) {
  return "version: 1\nrules:\n  - name: " + name + "\n    match: { group_cn: G }\n    grant_profiles: [full]\n"
         "    locations: [" + location + "]\n";
}

TEST(Validation, InvalidUtf8AnywhereIsAnErrorAtItsPosition) {
  EXPECT_THAT(Errors(RuleWithLocation("r", "\"Depot \xff\"")), HasSubstr("rules.yaml:6:17: text is not valid UTF-8"));
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    description: caf\xc3\n    match: { group_cn: G }\n"
                     "    grant_profiles: [full]\n"),
              HasSubstr("rules.yaml:4:18: text is not valid UTF-8"));
  // Overlong encoding of '/' and a UTF-16 surrogate are not UTF-8 either.
  EXPECT_THAT(Errors(RuleWithLocation("r", "\"\xc0\xaf\"")), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(Errors(RuleWithLocation("r", "\"\xed\xa0\x80\"")), HasSubstr("not valid UTF-8"));
}

TEST(Validation, ControlCharactersInNamesAreErrors) {
  EXPECT_THAT(Errors(RuleWithLocation("\"bad\\x1bname\"", "A")), HasSubstr("rules.yaml:3:11: text contains a control character"));
  EXPECT_THAT(Errors(RuleWithLocation("r", "\"Depot\\nA\"")), HasSubstr("location \"Depot\\x0aA\" contains a control character"));
}

TEST(Validation, MultiLineDescriptionsAreFine) {
  EXPECT_EQ(Errors("version: 1\nrules:\n  - name: r\n    description: |\n      two\n      \tlines\n"
                   "    match: { group_cn: G }\n    grant_profiles: [full]\n"),
            "");
}

TEST(Validation, OverLongNamesAreErrors) {
  EXPECT_THAT(Errors(RuleWithLocation(std::string(257, 'r'), "A")), HasSubstr("rules.yaml:3:11: rule name is 257 bytes long; at most 256"));
  EXPECT_THAT(Errors(RuleWithLocation("r", std::string(300, 'L'))), HasSubstr("rules.yaml:6:17: location is 300 bytes long"));
  EXPECT_EQ(Errors(RuleWithLocation(std::string(256, 'r'), std::string(256, 'L'))), "");
}

TEST(Validation, EmptyLocationNameIsAnError) {
  EXPECT_THAT(Errors(RuleWithLocation("r", "''")), HasSubstr("location must not be empty"));
}

}  // namespace
}  // namespace idb
