#pragma once
// A bit-sliced index over the 64-bit values of a ranged tag (int, decimal, time) in one vshard:
// one bitmap per bit of (value - base) plus an existence bitmap, so a range costs O(bits) bitmap
// operations whatever the number of distinct values (O'Neil & Quass, "Improved query
// performance with variant indexes", 1997).
//
// An entity with several distinct values (a multi-row table) appears in several layers: layer k
// holds each entity's k-th smallest distinct value, so "some value in range" is the union of the
// layers' answers. Single-valued tags have one layer.

#include "shards/bitmap.hpp"
#include "shards/status.hpp"

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace tagd {

struct bsi_meta {
  int64_t base = 0;    // the smallest value; slices store value - base
  uint32_t bits = 0;   // slices per layer: bit width of (max - base), at least 1
  uint32_t layers = 0; // 0 when the tag has no value in this vshard
};

inline constexpr uint32_t kExistenceSlice = 0xFF;

struct bsi_built {
  bsi_meta meta;
  std::vector<bitmap> existence;           // per layer
  std::vector<std::vector<bitmap>> slices; // per layer, per bit
};

// Builds the index of (ordinal, value) pairs, in any order, duplicates allowed.
bsi_built build_bit_sliced_index(std::vector<std::pair<uint32_t, int64_t>> values);

// Serves slice `bit` (or kExistenceSlice) of a layer; the bitmap stays valid for the query.
using slice_source = std::function<result<const roaring_bitmap_t*>(uint32_t layer, uint32_t bit)>;

// Entities with some value v, lo <= v <= hi, restricted to `candidates` when not null.
result<bitmap> bsi_range(const bsi_meta& meta, const slice_source& slices, int64_t lo, int64_t hi,
                         const roaring_bitmap_t* candidates);
// How many entities bsi_range would return, without building them.
result<uint64_t> bsi_range_count(const bsi_meta& meta, const slice_source& slices, int64_t lo,
                                 int64_t hi, const roaring_bitmap_t* candidates);

} // namespace tagd
