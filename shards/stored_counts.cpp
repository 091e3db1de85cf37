#include "shards/stored_counts.hpp"

namespace tagd {

std::optional<uint64_t> stored_counts::find(uint32_t storage_id, uint32_t tag_id,
                                            uint32_t slot) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find({storage_id, tag_id, slot});
  if (it == counts_.end())
    return std::nullopt;
  return it->second;
}

void stored_counts::insert(uint32_t storage_id, uint32_t tag_id, uint32_t slot, uint64_t count) {
  std::lock_guard lock(mutex_);
  if (counts_.size() >= kMaxEntries)
    counts_.clear();
  counts_[{storage_id, tag_id, slot}] = count;
}

void stored_counts::forget(uint32_t storage_id) {
  std::lock_guard lock(mutex_);
  counts_.erase(counts_.lower_bound({storage_id, 0, 0}),
                counts_.upper_bound({storage_id, UINT32_MAX, UINT32_MAX}));
}

} // namespace tagd
