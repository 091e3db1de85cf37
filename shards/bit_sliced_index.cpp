#include "shards/bit_sliced_index.hpp"

#include "shards/bitmap_kernels.hpp"

#include <algorithm>
#include <iterator>

namespace tagd {

bsi_built build_bit_sliced_index(std::vector<std::pair<uint32_t, int64_t>> values) {
  bsi_built built;
  if (values.empty())
    return built;
  if (!std::is_sorted(values.begin(), values.end())) // loads hand them over sorted
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

// O'Neil's comparison, word-parallel over one 2^16-bit chunk at a time: every slice's words are
// read once and nothing is materialized between bits (Debian's CRoaring would allocate a bitmap
// per step and count it with a software popcount). `found` holds the candidates on entry and
// those whose value is >= c (lower) or <= c (upper) on return.
void compare_chunk(const std::vector<const roaring_bitmap_t*>& slices, uint16_t key, uint64_t c,
                   bool upper, uint64_t* found, uint64_t* decided, uint64_t* scratch) {
  std::fill(decided, decided + kChunkWords, uint64_t{0});
  for (size_t i = slices.size(); i-- > 0;) {
    const uint64_t* s = chunk_words(slices[i], key, scratch);
    bool bit_set = (c >> i) & 1;
    if (!s) { // an empty slice chunk: every value has a 0 here
      if (bit_set) {
        if (upper) // values with 0 where c has 1 are below c
          for (size_t w = 0; w < kChunkWords; ++w)
            decided[w] |= found[w];
        std::fill(found, found + kChunkWords, uint64_t{0});
      }
      continue;
    }
    if (bit_set && upper) {
      for (size_t w = 0; w < kChunkWords; ++w) {
        decided[w] |= found[w] & ~s[w];
        found[w] &= s[w];
      }
    } else if (bit_set) {
      for (size_t w = 0; w < kChunkWords; ++w)
        found[w] &= s[w];
    } else if (!upper) {
      for (size_t w = 0; w < kChunkWords; ++w) {
        decided[w] |= found[w] & s[w];
        found[w] &= ~s[w];
      }
    } else {
      for (size_t w = 0; w < kChunkWords; ++w)
        found[w] &= ~s[w];
    }
  }
  for (size_t w = 0; w < kChunkWords; ++w)
    found[w] |= decided[w];
}

// O'Neil's comparison for a short list of candidates of one chunk: their value bits are
// gathered from the highest bit down, and a candidate leaves the list as soon as its bits so far
// decide it (above or below a bound), so most slices are read for only a few candidates.
// Sets matched[j] for the candidates few[j] with a value in [low, high] (offsets) in this layer.
void match_few(const roaring_bitmap_t* existence,
               const std::vector<const roaring_bitmap_t*>& slices, uint16_t key,
               const std::vector<uint32_t>& few, bool need_lower, uint64_t low, bool need_upper,
               uint64_t high, std::vector<bool>& matched) {
  struct candidate {
    uint32_t index;  // into few
    bool lower_open; // not yet known to be above `low`
    bool upper_open; // not yet known to be below `high`
  };
  std::vector<uint16_t> lows(few.size());
  for (size_t j = 0; j < few.size(); ++j)
    lows[j] = static_cast<uint16_t>(few[j]);
  std::vector<uint64_t> bits(few.size(), 0);
  gather_membership(existence, key, lows.data(), lows.size(), 1, bits.data());
  std::vector<candidate> open;
  std::vector<uint16_t> open_lows;
  for (uint32_t j = 0; j < few.size(); ++j)
    if (bits[j] && !matched[j]) {
      open.push_back({j, need_lower, need_upper});
      open_lows.push_back(lows[j]);
    }
  for (size_t i = slices.size(); i-- > 0 && !open.empty();) {
    bits.assign(open.size(), 0);
    gather_membership(slices[i], key, open_lows.data(), open_lows.size(), 1, bits.data());
    size_t kept = 0;
    for (size_t j = 0; j < open.size(); ++j) {
      candidate c = open[j];
      uint64_t v = bits[j];
      bool drop = false;
      if (c.lower_open) {
        uint64_t b = (low >> i) & 1;
        if (v > b)
          c.lower_open = false;
        else if (v < b)
          drop = true;
      }
      if (c.upper_open && !drop) {
        uint64_t b = (high >> i) & 1;
        if (v < b)
          c.upper_open = false;
        else if (v > b)
          drop = true;
      }
      if (drop)
        continue;
      if (!c.lower_open && !c.upper_open) {
        matched[c.index] = true;
        continue;
      }
      open[kept] = c;
      open_lows[kept++] = open_lows[j];
    }
    open.resize(kept);
    open_lows.resize(kept);
  }
  for (const candidate& c : open) // equal to a bound on every bit
    matched[c.index] = true;
}

// The range over every layer; builds `out` when not null, and returns the population.
result<uint64_t> range_chunks(const bsi_meta& meta, const slice_source& slices, int64_t lo,
                              int64_t hi, const roaring_bitmap_t* candidates,
                              roaring_bitmap_t* out) {
  if (meta.layers == 0 || lo > hi)
    return uint64_t{0};
  __int128 max_offset =
      (meta.bits >= 64) ? (__int128{1} << 64) - 1 : (__int128{1} << meta.bits) - 1;
  __int128 lo_offset = __int128{lo} - meta.base, hi_offset = __int128{hi} - meta.base;
  if (hi_offset < 0 || lo_offset > max_offset)
    return uint64_t{0};
  bool need_lower = lo_offset > 0, need_upper = hi_offset < max_offset;
  uint64_t low = need_lower ? static_cast<uint64_t>(lo_offset) : 0;
  uint64_t high = need_upper ? static_cast<uint64_t>(hi_offset) : 0;

  // Every layer's bitmaps, fetched once.
  std::vector<const roaring_bitmap_t*> existence(meta.layers);
  std::vector<std::vector<const roaring_bitmap_t*>> layer_slices(meta.layers);
  std::vector<uint16_t> keys;
  for (uint32_t layer = 0; layer < meta.layers; ++layer) {
    TAGD_TRY_ASSIGN(e, slices(layer, kExistenceSlice));
    existence[layer] = e;
    for (uint32_t bit = 0; bit < meta.bits; ++bit) {
      TAGD_TRY_ASSIGN(slice, slices(layer, bit));
      layer_slices[layer].push_back(slice);
    }
    std::vector<uint16_t> layer_keys = chunk_keys(e);
    std::vector<uint16_t> merged;
    std::set_union(keys.begin(), keys.end(), layer_keys.begin(), layer_keys.end(),
                   std::back_inserter(merged));
    keys.swap(merged);
  }

  // Chunk-sized work space, allocated only when some chunk is swept (zeroing 40 KiB for every
  // vshard was a tenth of a narrow query).
  std::unique_ptr<uint64_t[]> buffers;
  uint64_t *found = nullptr, *decided = nullptr, *any_layer = nullptr, *scratch = nullptr,
           *candidate_scratch = nullptr;
  uint64_t total = 0;
  // Few candidates in a chunk: gather each one's value bits (a bit test per slice) instead
  // of sweeping the chunk's slices, which would expand every sparse slice into 1024 words.
  constexpr uint32_t few_candidates = 1024;
  std::vector<uint32_t> few;
  std::vector<bool> matched;
  for (uint16_t key : keys) {
    if (candidates && small_chunk_values(candidates, key, few_candidates, few)) {
      matched.assign(few.size(), false);
      for (uint32_t layer = 0; layer < meta.layers; ++layer)
        match_few(existence[layer], layer_slices[layer], key, few, need_lower, low, need_upper,
                  high, matched);
      for (size_t j = 0; j < few.size(); ++j)
        if (matched[j]) {
          ++total;
          if (out)
            roaring_bitmap_add(out, few[j]); // ascending: appends to the last container
        }
      continue;
    }
    if (!buffers) {
      buffers.reset(new uint64_t[5 * kChunkWords]);
      found = buffers.get();
      decided = found + kChunkWords;
      any_layer = decided + kChunkWords;
      scratch = any_layer + kChunkWords;
      candidate_scratch = scratch + kChunkWords;
    }
    const uint64_t* allowed = nullptr;
    if (candidates && !(allowed = chunk_words(candidates, key, candidate_scratch)))
      continue;
    std::fill(any_layer, any_layer + kChunkWords, uint64_t{0});
    for (uint32_t layer = 0; layer < meta.layers; ++layer) {
      const uint64_t* e = chunk_words(existence[layer], key, scratch);
      if (!e)
        continue;
      for (size_t w = 0; w < kChunkWords; ++w)
        found[w] = allowed ? e[w] & allowed[w] : e[w];
      if (need_lower)
        compare_chunk(layer_slices[layer], key, low, false, found, decided, scratch);
      if (need_upper)
        compare_chunk(layer_slices[layer], key, high, true, found, decided, scratch);
      for (size_t w = 0; w < kChunkWords; ++w)
        any_layer[w] |= found[w];
    }
    uint64_t population = popcount_words(any_layer);
    total += population;
    if (out)
      append_chunk(out, key, any_layer, population);
  }
  return total;
}

} // namespace

result<bitmap> bsi_range(const bsi_meta& meta, const slice_source& slices, int64_t lo, int64_t hi,
                         const roaring_bitmap_t* candidates) {
  bitmap answer;
  TAGD_TRY(range_chunks(meta, slices, lo, hi, candidates, answer.get()).take_status());
  return answer;
}

result<uint64_t> bsi_range_count(const bsi_meta& meta, const slice_source& slices, int64_t lo,
                                 int64_t hi, const roaring_bitmap_t* candidates) {
  return range_chunks(meta, slices, lo, hi, candidates, nullptr);
}

} // namespace tagd
