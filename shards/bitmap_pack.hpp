#pragma once
// All bitmaps of one tag of one table version in one vshard, stored as a single LMDB value:
//
//   u32 magic, u32 count, count × {u32 slot, u32 offset, u32 length}   (slots ascending)
//   frozen roaring bitmaps, each at an offset ≡ 16 (mod 32)
//
// One value per tag instead of one per (tag, value): one lookup fetches a whole leaf's
// bitmaps, and the page-rounding of LMDB's overflow pages is paid once per tag, not per
// bitmap (a lone 8 KiB bitset container would take 3 pages, +50%). LMDB starts a large value
// 16 bytes into its first overflow page, so the offsets put every bitmap on the 32-byte
// boundary that CRoaring's frozen views need, without a copy (MEASURED.md).

#include "shards/bitmap.hpp"
#include "shards/status.hpp"

#include <roaring/roaring.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tagd {

// Builds a pack from slots and their frozen bytes, in any order.
std::string build_bitmap_pack(const std::map<uint32_t, std::string>& frozen_by_slot);

class bitmap_pack_view {
 public:
  bitmap_pack_view() = default;
  bitmap_pack_view(bitmap_pack_view&&) noexcept = default;
  bitmap_pack_view& operator=(bitmap_pack_view&&) noexcept = default;
  // A view over stored bytes (valid while they are); copies them once if misaligned.
  static result<bitmap_pack_view> open(std::string_view stored);

  std::vector<uint32_t> slots() const;
  // The bitmap of a slot, or the empty bitmap; views are made once and kept.
  result<const roaring_bitmap_t*> bitmap(uint32_t slot);
  // The frozen bytes of a slot (empty when absent), for rewriting a pack.
  std::string_view frozen(uint32_t slot) const;

 private:
  struct entry {
    uint32_t slot, offset, length;
  };
  entry entry_at(uint32_t index) const;
  std::optional<entry> find(uint32_t slot) const;
  aligned_buffer copy_;
  std::string_view bytes_;
  uint32_t count_ = 0;
  std::map<uint32_t, frozen_view_ptr> views_;
};

} // namespace tagd
