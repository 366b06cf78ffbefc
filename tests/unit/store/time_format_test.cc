#include "store/time_format.h"

#include <gtest/gtest.h>

namespace idb::store {
namespace {

TEST(TimeFormat, AcceptsTheDocumentedForms) {
  struct Case {
    const char* text;
    int64_t ms;
  } cases[] = {
      {"1970-01-01", 0},
      {"2026-12-31", 1798675200000},
      {"2026-12-31T00:00Z", 1798675200000},
      {"2026-12-31T00:00:00Z", 1798675200000},
      {"2026-12-31T12:34:56Z", 1798675200000 + (12 * 3600 + 34 * 60 + 56) * 1000LL},
      {"2026-12-31T00:00:00.250Z", 1798675200250},
      {"2024-02-29T23:59:59Z", 1709251199000},
  };
  for (const auto& c : cases) {
    auto t = ParseUtcTime(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(ToUnixMillis(*t), c.ms) << c.text;
  }
}

TEST(TimeFormat, RefusesBadDatesWithAClearError) {
  const char* bad[] = {"",           "tomorrow",          "2026-13-01",          "2026-02-30",
                       "2025-02-29", "2026-12-31T24:00Z", "2026-12-31T00:60Z",   "2026-12-31T00:00",
                       "2026-12-31T00:00+02:00", "2026-12-31 00:00Z", "2026-12-31T00:00Zjunk", "26-12-31",
                       "1969-12-31", "9999-12-31", "2026-12-31T00:00:00.Z", "2026-1-1", "2026-12-31\n"};
  for (const char* b : bad) {
    auto t = ParseUtcTime(b);
    ASSERT_FALSE(t.ok()) << "accepted: " << b;
    EXPECT_EQ(t.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("expected UTC"), std::string::npos) << t.status().message();
  }
}

TEST(TimeFormat, FormatsAndParsesBackTheSameInstant) {
  for (int64_t ms : {int64_t{0}, int64_t{1798675200000}, int64_t{1709251199123}, int64_t{7258118399000}}) {
    std::string text = FormatUtcTime(FromUnixMillis(ms));
    auto back = ParseUtcTime(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(ToUnixMillis(*back), ms) << text;
  }
  EXPECT_EQ(FormatUtcTime(FromUnixMillis(1798675200000)), "2026-12-31T00:00:00Z");
}

}  // namespace
}  // namespace idb::store
