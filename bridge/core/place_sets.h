// place_sets.h — many ScopeSets over one known universe of place names, as
// bit words in one reusable buffer (the engine's per-evaluation scratch).
//
// Why: Evaluate() combines, per permission, the places of every matched
// rule, override, deny, limit and requirement. With sorted string vectors
// (ScopeSet) that was most of the time and allocations of mapping a user;
// with the names numbered once (Policy::place_names() plus whatever the
// user's overrides/limits add) each union or intersection is a few word
// operations and nothing is allocated once the buffer has grown.
//
// A set is "only {bits}" (except = false) or "everywhere except {bits}"
// (except = true); the algebra is ScopeSet's (decision_set.h), so converting
// back with ToScopeSet() gives exactly what the string version would.
// Ownership: owns its words; callers keep the universe of names alive.
// Thread-safety: none (one per thread: engine scratch is thread_local).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/decision_set.h"

namespace idb {

class PlaceSets {
 public:
  // `count` sets, all Nowhere, over `universe` names. Reuses capacity.
  void Reset(size_t count, size_t universe) {
    words_ = (universe + 63) / 64;
    bits_.assign(count * words_, 0);
    except_.assign(count, 0);
  }
  size_t words() const { return words_; }

  bool except(size_t i) const { return except_[i] != 0; }
  const uint64_t* bits(size_t i) const { return bits_.data() + i * words_; }
  uint64_t* bits(size_t i) { return bits_.data() + i * words_; }

  bool IsEmpty(size_t i) const { return !except(i) && !Any(i); }
  bool IsEverywhere(size_t i) const { return except(i) && !Any(i); }
  bool Equal(size_t i, size_t j) const {
    return except_[i] == except_[j] && std::equal(bits(i), bits(i) + words_, bits(j));
  }

  void SetNowhere(size_t i) { Assign(i, false); }
  void SetEverywhere(size_t i) { Assign(i, true); }
  void Copy(size_t dst, size_t src) {
    except_[dst] = except_[src];
    std::copy(bits(src), bits(src) + words_, bits(dst));
  }
  // i := i ∪ Only({place}).
  void UnionOne(size_t i, uint32_t place) {
    const uint64_t b = uint64_t{1} << (place & 63);
    if (except(i)) {
      bits(i)[place >> 6] &= ~b;
    } else {
      bits(i)[place >> 6] |= b;
    }
  }
  // i := i ∪ Only(b), b given as `n` words (n <= words(); the rest are zero).
  void UnionOnly(size_t i, const uint64_t* b, size_t n) {
    uint64_t* a = bits(i);
    if (except(i)) {
      for (size_t w = 0; w < n; ++w) a[w] &= ~b[w];
    } else {
      for (size_t w = 0; w < n; ++w) a[w] |= b[w];
    }
  }

  // i := i ∪ j, i := i ∩ j, i := i \ j (the four cases of ScopeSet each).
  void Union(size_t i, size_t j) { Combine(i, j, /*intersect=*/false, /*complement_j=*/false); }
  void Intersect(size_t i, size_t j) { Combine(i, j, true, false); }
  void Minus(size_t i, size_t j) { Combine(i, j, true, true); }

  // names[k] is the name of place k; names past `sorted_prefix` are not in
  // order with the rest, so a set using them is sorted after conversion.
  ScopeSet ToScopeSet(size_t i, const std::vector<const std::string*>& names, size_t sorted_prefix) const {
    ScopeSet out{except(i), {}};
    const uint64_t* b = bits(i);
    size_t count = 0;
    for (size_t w = 0; w < words_; ++w) count += static_cast<size_t>(__builtin_popcountll(b[w]));
    out.items.reserve(count);  // one allocation per set
    bool unsorted = false;
    for (size_t w = 0; w < words_; ++w) {
      uint64_t x = b[w];
      while (x) {
        const size_t k = w * 64 + static_cast<size_t>(__builtin_ctzll(x));
        unsorted |= k >= sorted_prefix;
        out.items.push_back(*names[k]);
        x &= x - 1;
      }
    }
    if (unsorted) std::sort(out.items.begin(), out.items.end());
    return out;
  }

 private:
  bool Any(size_t i) const {
    const uint64_t* b = bits(i);
    for (size_t w = 0; w < words_; ++w) {
      if (b[w]) return true;
    }
    return false;
  }
  void Assign(size_t i, bool except) {
    except_[i] = except;
    std::fill(bits(i), bits(i) + words_, 0);
  }
  void Combine(size_t i, size_t j, bool intersect, bool complement_j) {
    const bool a_ex = except(i), b_ex = except(j) != complement_j;
    uint64_t* a = bits(i);
    const uint64_t* b = bits(j);
    // Union: only∪only = only(a|b); ex∪ex = ex(a&b); ex(a)∪only(b) = ex(a&~b).
    // Intersect is the same through De Morgan with the roles of | and & swapped.
    const bool out_ex = intersect ? (a_ex && b_ex) : (a_ex || b_ex);
    for (size_t w = 0; w < words_; ++w) {
      const uint64_t x = a[w], y = b[w];
      uint64_t r;
      if (a_ex == b_ex) {
        r = (a_ex != intersect) ? (x & y) : (x | y);
      } else if (a_ex) {  // a = everything except x, b = only y
        r = intersect ? (y & ~x) : (x & ~y);
      } else {            // a = only x, b = everything except y
        r = intersect ? (x & ~y) : (y & ~x);
      }
      a[w] = r;
    }
    except_[i] = out_ex;
  }

  size_t words_ = 0;
  std::vector<uint64_t> bits_;
  std::vector<uint8_t> except_;
};

}  // namespace idb
