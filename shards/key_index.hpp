#pragma once
// One vshard's keys → ordinals, in memory (u64 keys, or string keys by hash: vshard_store): an
// open-addressing hash table with linear probing. A membership check needs a key's ordinal, and
// walking LMDB's B-tree for it cost ≈1 µs per key at 10 M keys, most of a batched check
// (docs/performance.md); a probe here is about one cache miss: a key and its ordinal share a
// 12-byte slot, so they share a cache line (seven slots in eight), and a table of 2 MiB or more
// asks for transparent huge pages, since at 10 M keys nearly every probe would otherwise also
// miss the TLB. Keys are only added (the dictionary is append-only), never removed. Not
// thread-safe: vshard_store guards it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace tagd {

class key_index {
 public:
  std::optional<uint32_t> find(uint64_t key) const;
  // Starts loading the slot where find(key) begins, so that a batch can overlap its misses.
  void prefetch(uint64_t key) const {
    if (size_ != 0)
      __builtin_prefetch(&slots_[slot_of(key)]);
  }
  // `key` must not be in the index yet.
  void insert(uint64_t key, uint32_t ordinal);
  size_t size() const { return size_; }
  size_t memory_bytes() const { return allocated_bytes_; }

 private:
#pragma pack(push, 4)
  struct slot {
    uint64_t key;
    uint32_t ordinal; // kFree marks a free slot
  };
#pragma pack(pop)
  static_assert(sizeof(slot) == 12);
  struct release {
    void operator()(slot* slots) const;
  };
  static constexpr uint32_t kFree = UINT32_MAX; // an ordinal no key has
  size_t slot_of(uint64_t key) const;
  void grow();
  std::unique_ptr<slot[], release> slots_;
  size_t capacity_ = 0; // a power of two
  size_t allocated_bytes_ = 0;
  size_t size_ = 0;
  unsigned shift_ = 64; // 64 - log2(capacity)
};

} // namespace tagd
