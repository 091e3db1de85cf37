#include "shards/key_index.hpp"

namespace tagd {

size_t key_index::slot_of(uint64_t key) const {
  // Fibonacci hashing: the keys of one vshard share the low bits of their partition hash, and
  // ids are often sequential; the multiply spreads both over the high bits taken here.
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
}

std::optional<uint32_t> key_index::find(uint64_t key) const {
  if (size_ == 0)
    return std::nullopt;
  size_t mask = ordinals_.size() - 1;
  for (size_t slot = slot_of(key);; slot = (slot + 1) & mask) {
    if (ordinals_[slot] == kFree)
      return std::nullopt;
    if (keys_[slot] == key)
      return ordinals_[slot];
  }
}

void key_index::insert(uint64_t key, uint32_t ordinal) {
  if ((size_ + 1) * 3 > ordinals_.size() * 2) // at most two thirds full
    grow();
  size_t mask = ordinals_.size() - 1;
  size_t slot = slot_of(key);
  while (ordinals_[slot] != kFree)
    slot = (slot + 1) & mask;
  keys_[slot] = key;
  ordinals_[slot] = ordinal;
  ++size_;
}

void key_index::grow() {
  std::vector<uint64_t> old_keys = std::move(keys_);
  std::vector<uint32_t> old_ordinals = std::move(ordinals_);
  size_t capacity = old_ordinals.empty() ? 1024 : old_ordinals.size() * 2;
  keys_.assign(capacity, 0);
  ordinals_.assign(capacity, kFree);
  shift_ = 64;
  for (size_t c = capacity; c > 1; c >>= 1)
    --shift_;
  size_ = 0;
  for (size_t i = 0; i < old_ordinals.size(); ++i)
    if (old_ordinals[i] != kFree)
      insert(old_keys[i], old_ordinals[i]);
}

} // namespace tagd
