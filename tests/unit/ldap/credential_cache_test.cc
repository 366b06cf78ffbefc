// Unit tests: offline credential cache (PBKDF2, max age, own lockout).
#include <gtest/gtest.h>

#include <thread>

#include "auth/credential_cache.h"

namespace idb {
namespace {

using namespace std::chrono_literals;
const auto T0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

CredentialCacheSettings Settings() {
  CredentialCacheSettings s;
  s.pbkdf2_iterations = 1000;  // cheap in tests
  s.max_age = 24h;
  s.max_failures = 3;
  s.lockout_duration = 10min;
  return s;
}

Identity Alice() {
  Identity id;
  id.user = "alice";
  id.source = "ldap:corp";
  id.groups.push_back({"cn=Mechanics,ou=Groups,dc=fleet,dc=test", "Mechanics", "", {"Senior Mechanics"}});
  return id;
}

TEST(Pbkdf2Sha256, MatchesRfc7914TestVector) {
  // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64 — first 32 bytes.
  auto h = Pbkdf2Sha256(Secret("passwd"), "salt", 1);
  ASSERT_TRUE(h.ok());
  static const unsigned char kExpected[] = {0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91,
                                            0xc2, 0x25, 0x44, 0xb6, 0x05, 0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde,
                                            0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc};
  EXPECT_EQ(*h, std::string(reinterpret_cast<const char*>(kExpected), 32));
}

TEST(CredentialCache, RightPasswordGivesTheStoredIdentity) {
  InMemoryCredentialCache c(Settings());
  ASSERT_TRUE(c.Store("corp/alice", Secret("pw1"), Alice(), T0).ok());
  auto id = c.Verify("corp/alice", Secret("pw1"), T0 + 1h);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "alice");
  ASSERT_EQ(id->groups.size(), 1u);
  EXPECT_EQ(id->groups[0].via, std::vector<std::string>{"Senior Mechanics"});
}

TEST(CredentialCache, WrongPasswordIsRefused) {
  InMemoryCredentialCache c(Settings());
  ASSERT_TRUE(c.Store("corp/alice", Secret("pw1"), Alice(), T0).ok());
  EXPECT_EQ(c.Verify("corp/alice", Secret("pw2"), T0).status().code(), ErrorCode::kUnauthenticated);
}

TEST(CredentialCache, EmptyPasswordIsNeverAccepted) {
  InMemoryCredentialCache c(Settings());
  EXPECT_FALSE(c.Store("corp/alice", Secret(""), Alice(), T0).ok());
  ASSERT_TRUE(c.Store("corp/alice", Secret("pw1"), Alice(), T0).ok());
  EXPECT_EQ(c.Verify("corp/alice", Secret(""), T0).status().code(), ErrorCode::kUnauthenticated);
}

TEST(CredentialCache, UnknownUserIsNotFound) {
  InMemoryCredentialCache c(Settings());
  EXPECT_EQ(c.Verify("corp/bob", Secret("x"), T0).status().code(), ErrorCode::kNotFound);
}

TEST(CredentialCache, OlderThanMaxAgeIsRefused) {
  InMemoryCredentialCache c(Settings());
  ASSERT_TRUE(c.Store("corp/alice", Secret("pw1"), Alice(), T0).ok());
  EXPECT_TRUE(c.Verify("corp/alice", Secret("pw1"), T0 + 24h).ok());
  EXPECT_EQ(c.Verify("corp/alice", Secret("pw1"), T0 + 24h + 1s).status().code(), ErrorCode::kFailedPrecondition);
}

TEST(CredentialCache, RepeatedWrongPasswordsLockOfflineLogins) {
  InMemoryCredentialCache c(Settings());
  ASSERT_TRUE(c.Store("corp/alice", Secret("pw1"), Alice(), T0).ok());
  for (int i = 0; i < 3; ++i) (void)c.Verify("corp/alice", Secret("guess"), T0);
  EXPECT_EQ(c.Verify("corp/alice", Secret("pw1"), T0 + 1min).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(c.Verify("corp/alice", Secret("pw1"), T0 + 10min).ok());
}

TEST(CredentialCache, NewStoreReplacesOldPassword) {
  InMemoryCredentialCache c(Settings());
  ASSERT_TRUE(c.Store("corp/alice", Secret("old"), Alice(), T0).ok());
  ASSERT_TRUE(c.Store("corp/alice", Secret("new"), Alice(), T0 + 1h).ok());
  EXPECT_FALSE(c.Verify("corp/alice", Secret("old"), T0 + 2h).ok());
  EXPECT_TRUE(c.Verify("corp/alice", Secret("new"), T0 + 2h).ok());
}

TEST(CredentialCache, ForgetDropsTheEntry) {
  InMemoryCredentialCache c(Settings());
  ASSERT_TRUE(c.Store("corp/alice", Secret("pw1"), Alice(), T0).ok());
  c.Forget("corp/alice");
  EXPECT_EQ(c.Verify("corp/alice", Secret("pw1"), T0).status().code(), ErrorCode::kNotFound);
}

TEST(CredentialCache, ConcurrentUseIsSafe) {
  InMemoryCredentialCache c(Settings());
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&c, k] {
      for (int i = 0; i < 20; ++i) {
        const std::string key = "corp/u" + std::to_string(i % 3);
        (void)c.Store(key, Secret("pw" + std::to_string(k)), Alice(), T0);
        (void)c.Verify(key, Secret("pw0"), T0);
      }
    });
  }
  for (auto& t : threads) t.join();
  SUCCEED();
}

}  // namespace
}  // namespace idb
