#pragma once
// How many entities a stored bitmap holds over all vshards, per (storage id, tag id, slot): the
// statistic that answers "how many users have city = X" or "NOT os = Y" without visiting
// every vshard. Only immutable storage is counted here — offline table versions, stored
// universes and materialized composites, whose storage ids are never reused — so a count, once
// computed, stays exact for the life of its storage id. Real-time tables change row by row and
// are never counted here.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

namespace tagd {

class stored_counts {
 public:
  std::optional<uint64_t> find(uint32_t storage_id, uint32_t tag_id, uint32_t slot) const;
  void insert(uint32_t storage_id, uint32_t tag_id, uint32_t slot, uint64_t count);
  // Forgets the counts of a dropped storage id.
  void forget(uint32_t storage_id);

 private:
  // A bound on memory: past it the cache starts over (counts are recomputed on demand).
  static constexpr size_t kMaxEntries = size_t{1} << 20;
  mutable std::mutex mutex_;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint64_t> counts_;
};

} // namespace tagd
