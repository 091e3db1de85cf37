#include "shards/bitmap_pack.hpp"

#include "shards/bitmap.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace tagd {

namespace {
constexpr uint32_t kPackMagic = 0x31504254; // "TBP1"
constexpr size_t kEntryBytes = 12;

void put_u32(std::string& out, size_t at, uint32_t v) {
  std::memcpy(&out[at], &v, 4);
}
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// The next offset ≡ 16 (mod 32) at or after `at`.
size_t aligned_offset(size_t at) {
  return at + ((48 - at % 32) % 32);
}
} // namespace

std::string build_bitmap_pack(const std::map<uint32_t, std::string>& frozen_by_slot) {
  size_t header = 8 + kEntryBytes * frozen_by_slot.size();
  size_t total = header;
  for (auto& [slot, bytes] : frozen_by_slot)
    total = aligned_offset(total) + bytes.size();
  std::string pack(total, '\0');
  put_u32(pack, 0, kPackMagic);
  put_u32(pack, 4, static_cast<uint32_t>(frozen_by_slot.size()));
  size_t entry_at = 8, data_at = header;
  for (auto& [slot, bytes] : frozen_by_slot) {
    data_at = aligned_offset(data_at);
    put_u32(pack, entry_at, slot);
    put_u32(pack, entry_at + 4, static_cast<uint32_t>(data_at));
    put_u32(pack, entry_at + 8, static_cast<uint32_t>(bytes.size()));
    std::memcpy(&pack[data_at], bytes.data(), bytes.size());
    entry_at += kEntryBytes;
    data_at += bytes.size();
  }
  return pack;
}

result<bitmap_pack_view> bitmap_pack_view::open(std::string_view stored) {
  bitmap_pack_view view;
  if (stored.size() < 8 || get_u32(stored.data()) != kPackMagic)
    return status(error_code::corruption, "stored bitmap pack has a bad header");
  uint32_t count = get_u32(stored.data() + 4);
  if (8 + size_t{count} * kEntryBytes > stored.size())
    return status(error_code::corruption, "stored bitmap pack is truncated");
  if (reinterpret_cast<uintptr_t>(stored.data()) % 32 != 16) {
    // Small packs live inside LMDB leaf pages at any 2-byte boundary: copy to ≡ 16 (mod 32).
    view.copy_ = aligned_alloc_bytes(stored.size() + 16);
    std::memcpy(view.copy_.get() + 16, stored.data(), stored.size());
    stored = std::string_view(view.copy_.get() + 16, stored.size());
  }
  // Entries are read where they lie (binary search on demand): opening costs the same for a
  // tag with two values or three hundred, and a query touches only the slots it needs.
  view.bytes_ = stored;
  view.count_ = count;
  return view;
}

bitmap_pack_view::entry bitmap_pack_view::entry_at(uint32_t index) const {
  const char* e = bytes_.data() + 8 + size_t{index} * kEntryBytes;
  return {get_u32(e), get_u32(e + 4), get_u32(e + 8)};
}

std::vector<uint32_t> bitmap_pack_view::slots() const {
  std::vector<uint32_t> slots(count_);
  for (uint32_t i = 0; i < count_; ++i)
    slots[i] = entry_at(i).slot;
  return slots;
}

std::optional<bitmap_pack_view::entry> bitmap_pack_view::find(uint32_t slot) const {
  uint32_t lo = 0, hi = count_;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (entry_at(mid).slot < slot)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == count_)
    return std::nullopt;
  entry e = entry_at(lo);
  if (e.slot != slot || size_t{e.offset} + e.length > bytes_.size())
    return std::nullopt;
  return e;
}

std::string_view bitmap_pack_view::frozen(uint32_t slot) const {
  auto e = find(slot);
  return e ? bytes_.substr(e->offset, e->length) : std::string_view();
}

result<const roaring_bitmap_t*> bitmap_pack_view::bitmap(uint32_t slot) {
  if (auto it = views_.find(slot); it != views_.end())
    return it->second.get();
  auto e = find(slot);
  if (!e)
    return empty_bitmap();
  const roaring_bitmap_t* view = roaring_bitmap_frozen_view(bytes_.data() + e->offset, e->length);
  if (!view)
    return status(error_code::corruption, "stored bitmap is not a valid frozen roaring bitmap");
  views_[slot].reset(view);
  return view;
}

} // namespace tagd
