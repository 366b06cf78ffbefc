#include "store/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <vector>

#include "common/work_counters.h"

namespace idb::store {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr const char* kScheme = "pbkdf2-sha256";

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(len > 0 ? static_cast<size_t>(len) : 0);
  return out;
}

// Strict decode; nullopt on bad input. EVP_DecodeBlock pads output, so the
// '=' count is subtracted.
std::optional<std::vector<unsigned char>> Unbase64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return std::nullopt;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return std::nullopt;
  std::vector<unsigned char> out(s.size() / 4 * 3);
  int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (len < 0) return std::nullopt;
  size_t pad = 0;
  if (s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(len) - pad);
  return out;
}

bool Derive(const Secret& password, const unsigned char* salt, size_t salt_len, int iterations,
            unsigned char* out, size_t out_len) {
  CountPasswordHash();
  return PKCS5_PBKDF2_HMAC(password.expose().data(), static_cast<int>(password.size()), salt,
                           static_cast<int>(salt_len), iterations, EVP_sha256(), static_cast<int>(out_len),
                           out) == 1;
}

}  // namespace

Result<std::string> HashPassword(const Secret& password, int iterations, bool allow_weak_for_tests) {
  if (password.empty()) return InvalidArgument("empty password");
  if (iterations > 100'000'000) return InvalidArgument("PBKDF2 iteration count too large");
  if (iterations < (allow_weak_for_tests ? 1 : kMinPbkdf2Iterations))
    return InvalidArgument("PBKDF2 needs at least " + std::to_string(kMinPbkdf2Iterations) + " iterations");
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return Internal("no random bytes for the password salt");
  unsigned char hash[kHashBytes];
  if (!Derive(password, salt, sizeof salt, iterations, hash, sizeof hash)) return Internal("PBKDF2 failed");
  std::string out = std::string(kScheme) + "$" + std::to_string(iterations) + "$" + Base64(salt, sizeof salt) +
                    "$" + Base64(hash, sizeof hash);
  OPENSSL_cleanse(hash, sizeof hash);
  return out;
}

bool VerifyPassword(const Secret& password, std::string_view stored) {
  if (password.empty()) return false;
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 5) {
    size_t d = stored.find('$', start);
    parts.push_back(stored.substr(start, d == std::string_view::npos ? std::string_view::npos : d - start));
    if (d == std::string_view::npos) break;
    start = d + 1;
  }
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  int iterations = 0;
  auto [p, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc() || p != parts[1].data() + parts[1].size() || iterations < 1 || iterations > 100'000'000)
    return false;
  auto salt = Unbase64(parts[2]);
  auto expected = Unbase64(parts[3]);
  if (!salt || !expected || salt->empty() || expected->size() != kHashBytes) return false;
  unsigned char actual[kHashBytes];
  if (!Derive(password, salt->data(), salt->size(), iterations, actual, sizeof actual)) return false;
  bool same = CRYPTO_memcmp(actual, expected->data(), kHashBytes) == 0;
  OPENSSL_cleanse(actual, sizeof actual);
  return same;
}

Status CheckPasswordStrength(const Secret& password, std::string_view user) {
  std::string_view pw = password.expose();
  if (pw.size() < 12) return InvalidArgument("password too short: at least 12 characters are required");
  if (pw.size() > 1024) return InvalidArgument("password too long: at most 1024 bytes");
  bool lower = false, upper = false, digit = false, other = false;
  std::set<char> distinct;
  for (char ch : pw) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return InvalidArgument("password contains a control character");
    if (c >= 'a' && c <= 'z') lower = true;
    else if (c >= 'A' && c <= 'Z') upper = true;
    else if (c >= '0' && c <= '9') digit = true;
    else other = true;
    distinct.insert(ch);
  }
  if (int{lower} + int{upper} + int{digit} + int{other} < 3)
    return InvalidArgument(
        "password too simple: use at least three of lower case, upper case, digits and other characters");
  if (distinct.size() < 6) return InvalidArgument("password too repetitive: use at least 6 different characters");
  if (!user.empty()) {
    // Case-insensitive search in place: no copy of the password is made.
    auto same = [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    };
    if (std::search(pw.begin(), pw.end(), user.begin(), user.end(), same) != pw.end())
      return InvalidArgument("password must not contain the user name");
  }
  return Status::Ok();
}

}  // namespace idb::store
