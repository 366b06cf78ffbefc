#include "store/password_hash.h"

#include <gtest/gtest.h>

namespace idb::store {
namespace {

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  auto h = HashPassword(Secret("Correct-Horse-42"), kTestPbkdf2Iterations, true);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(VerifyPassword(Secret("Correct-Horse-42"), *h));
  EXPECT_FALSE(VerifyPassword(Secret("Correct-Horse-43"), *h));
  EXPECT_FALSE(VerifyPassword(Secret(""), *h));
}

TEST(PasswordHash, StoresSchemeIterationsSaltAndNeverThePassword) {
  auto h = HashPassword(Secret("Correct-Horse-42"), kTestPbkdf2Iterations, true);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("pbkdf2-sha256$1000$", 0), 0u) << *h;
  EXPECT_EQ(h->find("Correct-Horse-42"), std::string::npos);
  auto h2 = HashPassword(Secret("Correct-Horse-42"), kTestPbkdf2Iterations, true);
  EXPECT_NE(*h, *h2) << "salt must be random";
}

TEST(PasswordHash, RefusesFewerThan600000IterationsOutsideTests) {
  auto h = HashPassword(Secret("Correct-Horse-42"), 10'000);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kDefaultPbkdf2Iterations, 600'000);
}

TEST(PasswordHash, DefaultHashUses600000Iterations) {
  auto h = HashPassword(Secret("Correct-Horse-42"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("pbkdf2-sha256$600000$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(Secret("Correct-Horse-42"), *h));
}

TEST(PasswordHash, MalformedStoredValuesNeverVerify) {
  Secret pw("Correct-Horse-42");
  for (const char* bad : {"", "plain", "Correct-Horse-42", "pbkdf2-sha256$", "pbkdf2-sha256$x$AAAA$AAAA",
                          "pbkdf2-sha256$1000$!!!!$AAAA", "pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
                          "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "md5$1$a$b",
                          "pbkdf2-sha256$1000$a$b$c"}) {
    EXPECT_FALSE(VerifyPassword(pw, bad)) << bad;
  }
}

TEST(PasswordHash, StrengthRulesSayWhichRuleFailed) {
  EXPECT_TRUE(CheckPasswordStrength(Secret("Correct-Horse-42"), "admin").ok());
  EXPECT_NE(CheckPasswordStrength(Secret("Short-1a"), "admin").message().find("too short"), std::string::npos);
  EXPECT_NE(CheckPasswordStrength(Secret("alllowercaseletters"), "admin").message().find("too simple"),
            std::string::npos);
  EXPECT_NE(CheckPasswordStrength(Secret("Aa1Aa1Aa1Aa1Aa1"), "admin").message().find("repetitive"),
            std::string::npos);
  EXPECT_NE(CheckPasswordStrength(Secret("X-Admin-2026-y"), "admin").message().find("user name"), std::string::npos);
  EXPECT_FALSE(CheckPasswordStrength(Secret("Correct-Horse\n42"), "admin").ok());
  EXPECT_FALSE(CheckPasswordStrength(Secret(std::string(2000, 'a') + "B1-"), "admin").ok());
}

TEST(PasswordHash, StrengthErrorsNeverContainThePassword) {
  const char* pw = "Short-1a";
  EXPECT_EQ(CheckPasswordStrength(Secret(pw), "admin").message().find(pw), std::string::npos);
}

}  // namespace
}  // namespace idb::store
