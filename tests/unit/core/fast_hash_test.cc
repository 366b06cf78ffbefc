// Tests for FastHash / SameBytes (core/fast_hash.h). The strings live in
// heap buffers of exactly their length, so an over-read fails under ASan.
#include "core/fast_hash.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

namespace idb {
namespace {

std::unique_ptr<char[]> Exact(size_t n, char fill) {
  std::unique_ptr<char[]> p(new char[n == 0 ? 1 : n]);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(fill + static_cast<char>(i % 7));
  return p;
}

TEST(FastHash, ChangingAnyByteOfAnyLengthChangesTheHash) {
  for (size_t n = 1; n <= 80; ++n) {
    auto a = Exact(n, 'a');
    const uint64_t base = FastHash(std::string_view(a.get(), n));
    for (size_t i = 0; i < n; ++i) {
      auto b = Exact(n, 'a');
      b[i] ^= 0x20;
      EXPECT_NE(FastHash(std::string_view(b.get(), n)), base) << "length " << n << " byte " << i;
    }
  }
}

TEST(FastHash, LengthIsPartOfTheHash) {
  std::set<uint64_t> seen;
  const std::string zeros(80, '\0');
  for (size_t n = 0; n <= 80; ++n) seen.insert(FastHash(std::string_view(zeros.data(), n)));
  EXPECT_EQ(seen.size(), 81u);
}

TEST(FastHash, EqualStringsHashEqually) {
  auto a = Exact(45, 'c');
  const std::string b(a.get(), 45);
  EXPECT_EQ(FastHash(std::string_view(a.get(), 45)), FastHash(b));
}

TEST(SameBytes, FindsADifferenceAtEveryPositionOfEveryLength) {
  for (size_t n = 0; n <= 40; ++n) {
    auto a = Exact(n, 'a');
    auto b = Exact(n, 'a');
    EXPECT_TRUE(SameBytes(a.get(), b.get(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      b[i] ^= 1;
      EXPECT_FALSE(SameBytes(a.get(), b.get(), n)) << "length " << n << " byte " << i;
      b[i] ^= 1;
    }
  }
}

TEST(SameString, DifferentLengthsAreDifferent) {
  EXPECT_FALSE(SameString("work_orders.edit", "work_orders.edi"));
  EXPECT_TRUE(SameString("", ""));
  EXPECT_FALSE(SameString("", "x"));
}

}  // namespace
}  // namespace idb
