// refusal_pacer_test.cc — the floor a refusal is padded to (no sleeping here:
// durations are given, the floor is read).
#include "daemon/refusal_pacer.h"

#include <gtest/gtest.h>

namespace idb::daemon {
namespace {

using std::chrono::milliseconds;

TEST(RefusalPacer, NoFloorBeforeEnoughAccountRefusals) {
  RefusalPacer p(std::chrono::seconds(2), 5);
  for (int i = 0; i < 4; ++i) p.RecordAccountRefusal(milliseconds(30));
  EXPECT_EQ(p.Floor(), RefusalPacer::Duration::zero());
  p.RecordAccountRefusal(milliseconds(30));
  EXPECT_EQ(p.Floor(), milliseconds(30));
}

TEST(RefusalPacer, FloorIsTheNinetiethPercentileOfRecentAccountRefusals) {
  RefusalPacer p(std::chrono::seconds(2), 5);
  for (int i = 1; i <= 10; ++i) p.RecordAccountRefusal(milliseconds(i));
  EXPECT_EQ(p.Floor(), milliseconds(10));
  for (int i = 1; i <= 100; ++i) p.RecordAccountRefusal(milliseconds(i));
  // The last 64 samples are 37..100 ms; their 90th percentile is 94 ms.
  EXPECT_EQ(p.Floor(), milliseconds(94));
}

TEST(RefusalPacer, OldSamplesLeaveTheWindow) {
  RefusalPacer p(std::chrono::seconds(2), 5);
  for (size_t i = 0; i < RefusalPacer::kWindow; ++i) p.RecordAccountRefusal(milliseconds(500));
  for (size_t i = 0; i < RefusalPacer::kWindow; ++i) p.RecordAccountRefusal(milliseconds(5));
  EXPECT_EQ(p.Floor(), milliseconds(5));
}

TEST(RefusalPacer, FloorIsCapped) {
  RefusalPacer p(milliseconds(100), 1);
  p.RecordAccountRefusal(std::chrono::seconds(30));  // a directory that hung
  EXPECT_EQ(p.Floor(), milliseconds(100));
}

}  // namespace
}  // namespace idb::daemon
