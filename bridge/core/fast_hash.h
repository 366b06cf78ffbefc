// fast_hash.h — a fast 64-bit hash and an inline byte compare for the short
// strings on the engine's hot paths (permission ids in DecisionSet::Check(),
// normalised DNs/CNs in the rule indexes).
//
// Why: Check() must answer in well under 20 ns; a byte-at-a-time tail loop or
// a call into libc's memcmp for a 16-byte id costs a third of that. Both
// functions read the string with (possibly overlapping) 8- or 4-byte loads
// that never leave [data, data + size), and mix with a 64x64→128-bit multiply
// (the wyhash construction). The hash is for in-process hash tables only: it
// is never stored or sent, so it may change between versions.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace idb {

namespace fast_hash_detail {

__extension__ typedef unsigned __int128 U128;

inline uint64_t Load8(const char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t Load4(const char* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// Folded 128-bit product: every input bit reaches every output bit.
inline uint64_t Mum(uint64_t a, uint64_t b) noexcept {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kP0 = 0xa0761d6478bd642fULL, kP1 = 0xe7037ed1a0b428dbULL, kP2 = 0x8ebc6af09c88c6e3ULL;

}  // namespace fast_hash_detail

[[gnu::always_inline]] inline uint64_t FastHash(std::string_view s) noexcept {
  using namespace fast_hash_detail;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t seed = kP0 ^ (static_cast<uint64_t>(n) * kP2);
  uint64_t a, b;
  if (n <= 16) {
    if (n >= 8) {
      a = Load8(p);
      b = Load8(p + n - 8);
    } else if (n >= 4) {
      a = Load4(p);
      b = Load4(p + n - 4);
    } else if (n > 0) {
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      a = (uint64_t{u[0]} << 16) | (uint64_t{u[n >> 1]} << 8) | u[n - 1];
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    // Two independent lanes of 16 bytes, then the last 16 bytes (overlapping).
    uint64_t seed2 = seed;
    while (n > 32) {
      seed = Mum(Load8(p) ^ kP1, Load8(p + 8) ^ seed);
      seed2 = Mum(Load8(p + 16) ^ kP2, Load8(p + 24) ^ seed2);
      p += 32;
      n -= 32;
    }
    if (n > 16) {
      seed = Mum(Load8(p) ^ kP1, Load8(p + 8) ^ seed);
    }
    seed ^= seed2;
    a = Load8(s.data() + s.size() - 16);
    b = Load8(s.data() + s.size() - 8);
  }
  return Mum(kP1 ^ s.size(), Mum(a ^ kP1, b ^ seed));
}

// a == b for two byte ranges of the same length `n`, without a library call.
inline bool SameBytes(const char* a, const char* b, size_t n) noexcept {
  using namespace fast_hash_detail;
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 < n; i += 8) {
      if (Load8(a + i) != Load8(b + i)) return false;
    }
    return Load8(a + n - 8) == Load8(b + n - 8);
  }
  if (n >= 4) return Load4(a) == Load4(b) && Load4(a + n - 4) == Load4(b + n - 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

inline bool SameString(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && SameBytes(a.data(), b.data(), a.size());
}

}  // namespace idb
