#include "store/explain_inputs.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "temp_dir.h"

namespace idb::store {
namespace {

using testing::T;
using testing::TempDir;

TEST(ExplainInputs, CarryAdjustmentsIdentityAndOverrideProvenance) {
  TempDir dir;
  auto s = OpenSqliteStore(dir.File("idb.db"));
  ASSERT_TRUE(s.ok());
  Store& store = **s;
  NewOverride live;
  live.user = "alice";
  live.permission = "work_orders.delete";
  live.location = "Depot A";
  live.reason = "covering Bob";
  ASSERT_TRUE(store.AddOverride(live, "admin (uid 0)", T("2026-06-01")).ok());
  NewOverride soon = live;
  soon.location = "Depot B";
  soon.expires = T("2026-06-10");
  ASSERT_TRUE(store.AddOverride(soon, "admin (uid 0)", T("2026-06-01")).ok());
  Identity id;
  id.user = "alice";
  id.source = "ldap:corp";
  ASSERT_TRUE(store.RememberIdentity(id, T("2026-06-05")).ok());

  auto in = LoadExplainInputs(store, "alice", T("2026-06-20"));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_TRUE(in->known.has_value());
  EXPECT_EQ(in->adjustments.overrides.size(), 1u);  // the expired one does not count
  EXPECT_EQ(in->overrides.size(), 2u);              // but is shown
  auto lines = in->ProvenanceLines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find("override #1: grant work_orders.delete at location \"Depot A\""), std::string::npos);
  EXPECT_NE(lines[0].find("by admin (uid 0): covering Bob"), std::string::npos);
  EXPECT_NE(lines[1].find("[EXPIRED, ignored]"), std::string::npos);
  EXPECT_NE(lines[3].find("last login: 2026-06-05"), std::string::npos);
  EXPECT_EQ(in->ToJson()["overrides"][1]["expired"], true);
}

TEST(ExplainInputs, UnknownUserHasNoIdentityAndNoAdjustments) {
  TempDir dir;
  auto s = OpenSqliteStore(dir.File("idb.db"));
  auto in = LoadExplainInputs(**s, "nobody", T("2026-06-20"));
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(in->known.has_value());
  EXPECT_TRUE(in->adjustments.overrides.empty());
  EXPECT_FALSE(LoadExplainInputs(**s, "bad\nname", T("2026-06-20")).ok());
}

}  // namespace
}  // namespace idb::store
