#include "shards/bit_sliced_index.hpp"

#include <algorithm>

namespace tagd {

bsi_built build_bit_sliced_index(std::vector<std::pair<uint32_t, int64_t>> values) {
  bsi_built built;
  if (values.empty())
    return built;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  int64_t lo = values.front().second, hi = lo;
  for (auto& [ordinal, value] : values) {
    lo = std::min(lo, value);
    hi = std::max(hi, value);
  }
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  uint32_t bits = 1;
  while (bits < 64 && (span >> bits) != 0)
    ++bits;
  built.meta.base = lo;
  built.meta.bits = bits;

  // Sorted by (ordinal, value): an ordinal's k-th distinct value goes to layer k. Collect each
  // layer's ordinals per bit as sorted arrays, then build every bitmap in one call.
  std::vector<std::vector<uint32_t>> existence;
  std::vector<std::vector<std::vector<uint32_t>>> slices;
  uint32_t layer = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    layer = (i > 0 && values[i - 1].first == values[i].first) ? layer + 1 : 0;
    if (layer == existence.size()) {
      existence.emplace_back();
      slices.emplace_back(bits);
    }
    uint32_t ordinal = values[i].first;
    uint64_t offset = static_cast<uint64_t>(values[i].second) - static_cast<uint64_t>(lo);
    existence[layer].push_back(ordinal);
    for (uint32_t b = 0; b < bits; ++b)
      if ((offset >> b) & 1)
        slices[layer][b].push_back(ordinal);
  }
  built.meta.layers = static_cast<uint32_t>(existence.size());
  for (size_t l = 0; l < existence.size(); ++l) {
    built.existence.push_back(bitmap::of(existence[l]));
    built.slices.emplace_back();
    for (auto& ordinals : slices[l]) {
      bitmap slice = bitmap::of(ordinals);
      roaring_bitmap_run_optimize(slice.get());
      built.slices.back().push_back(std::move(slice));
    }
    roaring_bitmap_run_optimize(built.existence.back().get());
  }
  return built;
}

namespace {

// O'Neil's comparison of one layer against constant c (0 <= c < 2^bits): entities of `found`
// whose value is <= c (upper) or >= c (lower). Consumes `found`.
result<bitmap> compare_layer(const bsi_meta& meta, const slice_source& slices, uint32_t layer,
                             uint64_t c, bool upper, bitmap found) {
  bitmap decided; // strictly below (upper) or above (lower) c
  for (uint32_t i = meta.bits; i-- > 0 && !found.empty();) {
    TAGD_TRY_ASSIGN(slice, slices(layer, i));
    bool bit_set = (c >> i) & 1;
    if (bit_set == upper) {
      // upper, c has 1 here: values with 0 are below; lower, c has 0: values with 1 are above.
      bitmap settled(upper ? roaring_bitmap_andnot(found.get(), slice)
                           : roaring_bitmap_and(found.get(), slice));
      roaring_bitmap_or_inplace(decided.get(), settled.get());
    }
    if (bit_set)
      roaring_bitmap_and_inplace(found.get(), slice);
    else
      roaring_bitmap_andnot_inplace(found.get(), slice);
  }
  roaring_bitmap_or_inplace(decided.get(), found.get()); // equal to c
  return decided;
}

} // namespace

result<bitmap> bsi_range(const bsi_meta& meta, const slice_source& slices, int64_t lo, int64_t hi,
                         const roaring_bitmap_t* candidates) {
  bitmap answer;
  if (meta.layers == 0 || lo > hi)
    return answer;
  __int128 max_offset =
      (meta.bits >= 64) ? (__int128{1} << 64) - 1 : (__int128{1} << meta.bits) - 1;
  __int128 lo_offset = __int128{lo} - meta.base, hi_offset = __int128{hi} - meta.base;
  if (hi_offset < 0 || lo_offset > max_offset)
    return answer;
  bool need_lower = lo_offset > 0, need_upper = hi_offset < max_offset;
  uint64_t low = lo_offset > 0 ? static_cast<uint64_t>(lo_offset) : 0;
  uint64_t high = hi_offset < max_offset ? static_cast<uint64_t>(hi_offset) : 0;
  for (uint32_t layer = 0; layer < meta.layers; ++layer) {
    TAGD_TRY_ASSIGN(existence, slices(layer, kExistenceSlice));
    bitmap found(candidates ? roaring_bitmap_and(existence, candidates)
                            : roaring_bitmap_copy(existence));
    if (need_lower && !found.empty()) {
      TAGD_TRY_ASSIGN(at_least, compare_layer(meta, slices, layer, low, false, std::move(found)));
      found = std::move(at_least);
    }
    if (need_upper && !found.empty()) {
      TAGD_TRY_ASSIGN(at_most, compare_layer(meta, slices, layer, high, true, std::move(found)));
      found = std::move(at_most);
    }
    roaring_bitmap_or_inplace(answer.get(), found.get());
  }
  return answer;
}

} // namespace tagd
