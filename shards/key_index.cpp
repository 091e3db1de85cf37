#include "shards/key_index.hpp"

#include <cstdlib>
#include <new>

#include <sys/mman.h>

namespace tagd {

void key_index::release::operator()(slot* slots) const {
  std::free(slots);
}

size_t key_index::slot_of(uint64_t key) const {
  // Fibonacci hashing: the keys of one vshard share the low bits of their partition hash, and
  // ids are often sequential; the multiply spreads both over the high bits taken here.
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
}

std::optional<uint32_t> key_index::find(uint64_t key) const {
  if (size_ == 0)
    return std::nullopt;
  size_t mask = capacity_ - 1;
  for (size_t i = slot_of(key);; i = (i + 1) & mask) {
    const slot& s = slots_[i];
    if (s.ordinal == kFree)
      return std::nullopt;
    if (s.key == key)
      return s.ordinal;
  }
}

void key_index::insert(uint64_t key, uint32_t ordinal) {
  if ((size_ + 1) * 3 > capacity_ * 2) // at most two thirds full
    grow();
  size_t mask = capacity_ - 1;
  size_t i = slot_of(key);
  while (slots_[i].ordinal != kFree)
    i = (i + 1) & mask;
  slots_[i] = slot{key, ordinal};
  ++size_;
}

void key_index::grow() {
  std::unique_ptr<slot[], release> old = std::move(slots_);
  size_t old_capacity = capacity_;
  capacity_ = old_capacity == 0 ? 1024 : old_capacity * 2;
  constexpr size_t kHugePage = size_t{2} << 20;
  size_t bytes = capacity_ * sizeof(slot);
  size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  bytes = (bytes + alignment - 1) / alignment * alignment;
  void* memory = std::aligned_alloc(alignment, bytes);
  if (memory == nullptr)
    throw std::bad_alloc();
  if (alignment == kHugePage)
    (void)madvise(memory, bytes, MADV_HUGEPAGE); // a hint: without huge pages it still works
  slots_.reset(static_cast<slot*>(memory));
  allocated_bytes_ = bytes;
  for (size_t i = 0; i < capacity_; ++i)
    slots_[i] = slot{0, kFree};
  shift_ = 64;
  for (size_t c = capacity_; c > 1; c >>= 1)
    --shift_;
  size_ = 0;
  for (size_t i = 0; i < old_capacity; ++i)
    if (old[i].ordinal != kFree)
      insert(old[i].key, old[i].ordinal);
}

} // namespace tagd
