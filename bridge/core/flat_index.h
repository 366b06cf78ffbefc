// flat_index.h — an immutable string → list-of-ids hash index with open
// addressing, for the rule indexes (normalised DN, CN, SID, claim, user).
//
// Why: mapping a user in 1,000 groups against 10,000 rules does thousands of
// lookups; a flat table with one 64-bit hash compare per probe is several
// times faster than std::unordered_map<std::string, std::vector<…>>.
// Ownership: owns keys and ids. Thread-safety: immutable after Build().
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/fast_hash.h"

namespace idb {

class FlatIndex {
 public:
  void Add(std::string key, uint32_t id) { pending_[std::move(key)].push_back(id); }
  size_t size() const { return keys_.size(); }

  void Build() {
    keys_.clear();
    ranges_.clear();
    ids_.clear();
    for (auto& [k, v] : pending_) {
      ranges_.push_back({static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(v.size())});
      ids_.insert(ids_.end(), v.begin(), v.end());
      keys_.push_back(k);
    }
    pending_.clear();
    size_t cap = 16;
    while (cap < keys_.size() * 2 + 2) cap <<= 1;
    slots_.assign(cap, Slot{0, UINT32_MAX});
    mask_ = cap - 1;
    // A small bit filter (8 bits per key, at most 64 KiB) answers most misses
    // without touching the slot table.
    size_t bits = 512;
    while (bits < keys_.size() * 8 && bits < (size_t{1} << 19)) bits <<= 1;
    filter_.assign(bits / 64, 0);
    filter_mask_ = bits - 1;
    for (uint32_t i = 0; i < keys_.size(); ++i) {
      uint64_t h = FastHash(keys_[i]);
      const uint64_t f = (h >> 32) & filter_mask_;
      filter_[f >> 6] |= uint64_t{1} << (f & 63);
      size_t s = h & mask_;
      while (slots_[s].index != UINT32_MAX) s = (s + 1) & mask_;
      slots_[s] = Slot{h, i};
    }
  }

  std::span<const uint32_t> Find(std::string_view key) const noexcept {
    const uint64_t h = Hash(key);
    return MayContain(h) ? Find(key, h) : std::span<const uint32_t>();
  }

  // The same in steps, for batches (the engine hashes every group first, then
  // tests all of them against the filter — independent loads the CPU
  // overlaps — and probes only those that pass).
  static uint64_t Hash(std::string_view key) noexcept { return FastHash(key); }
  // False: `key` with this hash is certainly absent. True: call Find(key, h).
  bool MayContain(uint64_t h) const noexcept {
    if (slots_.empty()) return false;
    const uint64_t f = (h >> 32) & filter_mask_;
    return (filter_[f >> 6] >> (f & 63)) & 1;
  }
  std::span<const uint32_t> Find(std::string_view key, uint64_t h) const noexcept {
    if (slots_.empty()) return {};
    size_t s = h & mask_;
    for (;;) {
      const Slot& slot = slots_[s];
      if (slot.index == UINT32_MAX) return {};
      if (slot.hash == h && SameString(keys_[slot.index], key)) {
        return {ids_.data() + ranges_[slot.index].first, ranges_[slot.index].second};
      }
      s = (s + 1) & mask_;
    }
  }

 private:
  std::unordered_map<std::string, std::vector<uint32_t>> pending_;
  std::vector<std::string> keys_;
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;  // (offset, count) into ids_
  std::vector<uint32_t> ids_;
  struct Slot {
    uint64_t hash;
    uint32_t index;  // into keys_; UINT32_MAX = empty
  };
  std::vector<Slot> slots_;  // hash and index side by side: one cache line per probe
  uint64_t mask_ = 0;
  std::vector<uint64_t> filter_;
  uint64_t filter_mask_ = 0;
};

}  // namespace idb
