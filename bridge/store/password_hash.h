// password_hash.h — slow salted hashes for the break-glass local administrator.
//
// Why: the local admin is the way in when the directory is down; its password
// must survive a stolen store file. PBKDF2-HMAC-SHA256 (OpenSSL
// PKCS5_PBKDF2_HMAC), 600,000 iterations by default (OWASP 2023), a 16-byte
// random salt (RAND_bytes), verification with CRYPTO_memcmp (constant time).
// Stored form: "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>".
// Thread-safety: pure functions (OpenSSL's RNG is thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret.h"

namespace idb::store {

constexpr int kDefaultPbkdf2Iterations = 600'000;
constexpr int kMinPbkdf2Iterations = 600'000;
// Tests may hash with fewer iterations only by passing `allow_weak_for_tests`.
constexpr int kTestPbkdf2Iterations = 1'000;

// kInvalidArgument for iterations below the minimum (unless allowed for tests)
// or above 100,000,000.
Result<std::string> HashPassword(const Secret& password, int iterations = kDefaultPbkdf2Iterations,
                                 bool allow_weak_for_tests = false);

// false for a wrong password and for any malformed stored value (fail closed).
bool VerifyPassword(const Secret& password, std::string_view stored);

// Minimum strength for a local admin password: 12 to 1024 bytes, no control
// characters, at least three of {lower case, upper case, digit, other}, at
// least 6 distinct characters, and not containing the user name. The message
// says which rule failed (never the password).
Status CheckPasswordStrength(const Secret& password, std::string_view user);

}  // namespace idb::store
