// The time forms admins type (ctl/time_input.h), with a fixed "now" and a
// fixed local zone, so no verdict depends on when or where the test runs.
#include "ctl/time_input.h"

#include <stdlib.h>
#include <time.h>

#include <gtest/gtest.h>

#include "store/time_format.h"

namespace idb::ctl {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class TimeInput : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    old_tz_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);  // Central Europe, no zoneinfo needed
    tzset();
  }
  void TearDown() override {
    if (old_tz_) setenv("TZ", old_tz_->c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  static SystemTime T(const char* utc) { return *store::ParseUtcTime(utc); }
  const SystemTime now_ = T("2026-12-03T10:30:00Z");  // 11:30 in Berlin (CET, +01:00)
  std::optional<std::string> old_tz_;
};

TEST_F(TimeInput, RelativeAmountsCountFromNow) {
  EXPECT_EQ(*ParseAdminTime("+8h", now_, TimeDirection::kPast), now_ + hours(8));
  EXPECT_EQ(*ParseAdminTime("-30m", now_, TimeDirection::kFuture), now_ - minutes(30));
  EXPECT_EQ(*ParseAdminTime("2w", now_, TimeDirection::kFuture), now_ + hours(24 * 14));
}

TEST_F(TimeInput, ABareAmountPointsTheWayTheOptionMeans) {
  EXPECT_EQ(*ParseAdminTime("7d", now_, TimeDirection::kFuture), now_ + hours(24 * 7));  // --expires 7d
  EXPECT_EQ(*ParseAdminTime("7d", now_, TimeDirection::kPast), now_ - hours(24 * 7));    // --since 7d
}

TEST_F(TimeInput, NamedDaysAreLocalMidnights) {
  EXPECT_EQ(*ParseAdminTime("now", now_, TimeDirection::kFuture), now_);
  EXPECT_EQ(*ParseAdminTime("today", now_, TimeDirection::kPast), T("2026-12-02T23:00Z"));
  EXPECT_EQ(*ParseAdminTime("tomorrow", now_, TimeDirection::kFuture), T("2026-12-03T23:00Z"));
  EXPECT_EQ(*ParseAdminTime("yesterday", now_, TimeDirection::kPast), T("2026-12-01T23:00Z"));
}

TEST_F(TimeInput, OffsetFormsAreConvertedToUtc) {
  EXPECT_EQ(*ParseAdminTime("2026-12-04T08:00+01:00", now_, TimeDirection::kFuture), T("2026-12-04T07:00Z"));
  EXPECT_EQ(*ParseAdminTime("2026-12-04T08:00:30-0500", now_, TimeDirection::kFuture), T("2026-12-04T13:00:30Z"));
  EXPECT_EQ(*ParseAdminTime("2026-12-04T08:00Z", now_, TimeDirection::kFuture), T("2026-12-04T08:00Z"));
  EXPECT_EQ(*ParseAdminTime("2026-12-04", now_, TimeDirection::kFuture), T("2026-12-04T00:00Z"));
}

TEST_F(TimeInput, BadFormsNameWhatIsAccepted) {
  for (const char* bad : {"", "next week", "5y", "++5h", "h", "7", "2026-12-04T08:00+25:00", "2026-12-04T08:00+1",
                          "2026-13-01T08:00+01:00", "2026-12-04T08:00", "99999999999999d", "tomorrow\x1b"}) {
    auto r = ParseAdminTime(bad, now_, TimeDirection::kFuture);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("expected now, today, tomorrow"), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\x1b'), std::string::npos);
  }
}

TEST_F(TimeInput, ShownBackInUtcAndLocalTime) {
  EXPECT_EQ(FormatAdminTime(T("2026-12-04T07:00Z")), "2026-12-04T07:00:00Z (local 2026-12-04 08:00 +0100)");
  EXPECT_EQ(FormatAdminTime(T("2026-07-01T07:00Z")), "2026-07-01T07:00:00Z (local 2026-07-01 09:00 +0200)");
}

}  // namespace
}  // namespace idb::ctl
