// Unit tests: the login throttle slows down, then locks out, with injected time.
#include <gtest/gtest.h>

#include <thread>

#include "auth/login_throttle.h"

namespace idb {
namespace {

using namespace std::chrono_literals;
const auto T0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

ThrottleSettings Settings() {
  ThrottleSettings s;
  s.free_failures = 3;
  s.base_delay = 1s;
  s.max_delay = 8s;
  s.lockout_failures = 6;
  s.lockout_duration = 15min;
  s.window = 15min;
  return s;
}

TEST(LoginThrottle, FirstFailuresCostNothing) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 3; ++i) t.RecordFailure("alice", "c1", T0);
  EXPECT_TRUE(t.Check("alice", "c1", T0).allowed);
}

TEST(LoginThrottle, FurtherFailuresDelayTheNextAttempt) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "c1", T0);
  ThrottleVerdict v = t.Check("alice", "c2", T0 + 500ms);
  EXPECT_FALSE(v.allowed);
  EXPECT_FALSE(v.locked_out);
  EXPECT_EQ(v.reason, "user");
  EXPECT_TRUE(t.Check("alice", "c2", T0 + 1s).allowed);
}

TEST(LoginThrottle, DelayDoublesAndIsCapped) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 5; ++i) t.RecordFailure("alice", "", T0);
  EXPECT_FALSE(t.Check("alice", "", T0 + 1900ms).allowed);
  EXPECT_TRUE(t.Check("alice", "", T0 + 2s).allowed);
}

TEST(LoginThrottle, ManyFailuresLockOutForTheConfiguredTime) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 6; ++i) t.RecordFailure("alice", "", T0);
  ThrottleVerdict v = t.Check("alice", "", T0 + 14min);
  EXPECT_FALSE(v.allowed);
  EXPECT_TRUE(v.locked_out);
  EXPECT_EQ(v.retry_at, T0 + 15min);
  EXPECT_TRUE(t.Check("alice", "", T0 + 15min).allowed);
}

TEST(LoginThrottle, UserNamesCompareCaseInsensitively) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 6; ++i) t.RecordFailure("Alice", "", T0);
  EXPECT_FALSE(t.Check("ALICE", "", T0).allowed);
}

TEST(LoginThrottle, OneClientGuessingManyUsersIsSlowedDown) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 6; ++i) t.RecordFailure("user" + std::to_string(i), "10.0.0.9", T0);
  ThrottleVerdict v = t.Check("someone-else", "10.0.0.9", T0 + 1s);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, "client");
  EXPECT_TRUE(t.Check("someone-else", "10.0.0.10", T0 + 1s).allowed);
}

TEST(LoginThrottle, SuccessClearsTheUser) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "", T0);
  t.RecordSuccess("alice", "", T0 + 2s);
  for (int i = 0; i < 3; ++i) t.RecordFailure("alice", "", T0 + 3s);
  EXPECT_TRUE(t.Check("alice", "", T0 + 3s).allowed);
}

TEST(LoginThrottle, SuccessDoesNotLiftALockout) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 6; ++i) t.RecordFailure("alice", "", T0);
  t.RecordSuccess("alice", "", T0 + 1s);
  EXPECT_FALSE(t.Check("alice", "", T0 + 2s).allowed);
}

TEST(LoginThrottle, OldFailuresAreForgotten) {
  InMemoryLoginThrottle t(Settings());
  for (int i = 0; i < 5; ++i) t.RecordFailure("alice", "", T0);
  t.RecordFailure("alice", "", T0 + 16min);  // outside the window: starts over
  EXPECT_TRUE(t.Check("alice", "", T0 + 16min).allowed);
}

TEST(LoginThrottle, MemoryIsBounded) {
  ThrottleSettings s = Settings();
  s.max_tracked_keys = 10;
  InMemoryLoginThrottle t(s);
  for (int i = 0; i < 100; ++i) t.RecordFailure("u" + std::to_string(i), "", T0 + std::chrono::seconds(i));
  for (int i = 0; i < 6; ++i) t.RecordFailure("last", "", T0 + 200s);
  EXPECT_FALSE(t.Check("last", "", T0 + 201s).allowed);
}

TEST(LoginThrottle, ConcurrentUseIsSafe) {
  InMemoryLoginThrottle t(Settings());
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      for (int i = 0; i < 500; ++i) {
        t.RecordFailure("u" + std::to_string(i % 7), "c" + std::to_string(k), T0);
        (void)t.Check("u" + std::to_string(i % 5), "c", T0);
        t.RecordSuccess("u" + std::to_string(i % 3), "c", T0 + 1h);
      }
    });
  }
  for (auto& th : threads) th.join();
  SUCCEED();
}

}  // namespace
}  // namespace idb
