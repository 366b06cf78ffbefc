// permission_bits.h — a fixed-size bitset over PermissionIds.
//
// Why: profiles and rule grants are unions of permissions; with interned ids
// they become a few 64-bit words OR-ed together, which keeps mapping a user
// through thousands of rules in microseconds.
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <vector>

namespace idb {

class PermissionBits {
 public:
  PermissionBits() = default;
  explicit PermissionBits(size_t n) : n_(n), words_((n + 63) / 64, 0) {}
  size_t size() const { return n_; }
  // Back to n cleared bits, reusing the storage (engine scratch).
  void Reset(size_t n) {
    n_ = n;
    words_.assign((n + 63) / 64, 0);
  }
  size_t word_count() const { return words_.size(); }
  const uint64_t* words() const { return words_.data(); }
  uint64_t* words() { return words_.data(); }
  void Set(uint32_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Reset(uint32_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool Test(uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Or(const PermissionBits& o) {
    for (size_t w = 0; w < words_.size() && w < o.words_.size(); ++w) words_[w] |= o.words_[w];
  }
  bool Any() const {
    for (uint64_t w : words_) if (w) return true;
    return false;
  }
  size_t Count() const {
    size_t c = 0;
    for (uint64_t w : words_) c += static_cast<size_t>(__builtin_popcountll(w));
    return c;
  }
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits) {
        f(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
        bits &= bits - 1;
      }
    }
  }
  bool operator==(const PermissionBits& o) const = default;

 private:
  size_t n_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace idb
