#pragma once
// One vshard's u64 keys → ordinals, in memory: an open-addressing hash table with linear
// probing. A membership check needs a key's ordinal, and walking LMDB's B-tree for it cost
// ≈1 µs per key at 10 M keys, most of a batched check (docs/performance.md); a probe here is
// about one cache miss. Keys are only added (the dictionary is append-only), never removed.
// Not thread-safe: vshard_store guards it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tagd {

class key_index {
 public:
  std::optional<uint32_t> find(uint64_t key) const;
  // Starts loading the slot where find(key) begins, so that a batch can overlap its misses.
  void prefetch(uint64_t key) const {
    if (size_ == 0)
      return;
    size_t slot = slot_of(key);
    __builtin_prefetch(&keys_[slot]);
    __builtin_prefetch(&ordinals_[slot]);
  }
  // `key` must not be in the index yet.
  void insert(uint64_t key, uint32_t ordinal);
  size_t size() const { return size_; }
  size_t memory_bytes() const {
    return keys_.capacity() * sizeof(uint64_t) + ordinals_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr uint32_t kFree = UINT32_MAX; // an ordinal no key has
  size_t slot_of(uint64_t key) const;
  void grow();
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> ordinals_; // kFree marks a free slot
  size_t size_ = 0;
  unsigned shift_ = 64; // 64 - log2(capacity)
};

} // namespace tagd
