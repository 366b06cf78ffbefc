// The shipped mappings against their golden cases, and the golden runner itself.
#include "core/golden.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config.h"
#include "temp_dir.h"
#include "test_policy.h"

namespace idb {
namespace {

using ::testing::HasSubstr;

TEST(Golden, ShippedMappingsPassTheirGoldenCases) {
  ConfigLoad load = LoadConfig(std::string(IDB_SOURCE_DIR) + "/config/idbridge.yaml");
  ASSERT_TRUE(load.ok());
  GoldenReport report = RunGoldenTests(*load.config->policy, load.config->mappings.tests);
  for (const auto& d : report.errors) ADD_FAILURE() << d.ToString();
  for (const auto& f : report.failures) ADD_FAILURE() << f.where.ToString() << " " << f.case_name << ": " << f.message;
  EXPECT_GE(report.cases, 5);
}

TEST(Golden, AWrongExpectationIsReportedAsAFailure) {
  auto policy = idb::testing::MakePolicy(
      "version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: [viewer]\n");
  idb::testing::TempDir dir;
  std::string f = dir.Write("t.yaml",
                            "version: 1\ncases:\n  - name: viewer cannot edit\n    groups: [{cn: G}]\n"
                            "    expect:\n      login: true\n      profiles: [viewer]\n      allow: ['work_orders.edit@A']\n");
  GoldenReport report = RunGoldenTests(*policy, f);
  EXPECT_TRUE(report.errors.empty());
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_THAT(report.failures[0].message, HasSubstr("expected allow work_orders.edit@A, got deny"));
}

TEST(Golden, MalformedCaseFileIsAnErrorNotAPass) {
  auto policy = idb::testing::MakePolicy(
      "version: 1\nrules:\n  - name: r\n    match: { group_cn: G }\n    grant_profiles: [viewer]\n");
  idb::testing::TempDir dir;
  std::string f = dir.Write("t.yaml", "version: 1\ncases:\n  - name: x\n    expect:\n      alow: [vendors.view]\n      deny: [vendor.view]\n");
  GoldenReport report = RunGoldenTests(*policy, f);
  EXPECT_FALSE(report.ok());
  ASSERT_GE(report.errors.size(), 2u);
  EXPECT_THAT(report.errors[0].ToString(), HasSubstr("unknown key 'alow'"));
  EXPECT_THAT(report.errors[1].ToString(), HasSubstr("unknown permission 'vendor.view'"));
}

TEST(Golden, EmptyDirectoryIsAnError) {
  auto policy = idb::testing::MakePolicy("version: 1\nrules: []\n");
  idb::testing::TempDir dir;
  EXPECT_FALSE(RunGoldenTests(*policy, dir.path()).ok());
}

}  // namespace
}  // namespace idb
