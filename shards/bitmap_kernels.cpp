#include "shards/bitmap_kernels.hpp"

#include <algorithm>
#include <iterator>

extern "C" {
#include <roaring/containers/containers.h>
#include <roaring/containers/convert.h>
}

namespace tagd {

namespace {

__attribute__((target("popcnt"))) uint64_t and_count_words_popcnt(const uint64_t* a,
                                                                  const uint64_t* b) {
  // Four independent accumulators keep the POPCNT unit busy across iterations.
  uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (int i = 0; i < BITSET_CONTAINER_SIZE_IN_WORDS; i += 4) {
    c0 += static_cast<uint64_t>(__builtin_popcountll(a[i] & b[i]));
    c1 += static_cast<uint64_t>(__builtin_popcountll(a[i + 1] & b[i + 1]));
    c2 += static_cast<uint64_t>(__builtin_popcountll(a[i + 2] & b[i + 2]));
    c3 += static_cast<uint64_t>(__builtin_popcountll(a[i + 3] & b[i + 3]));
  }
  return c0 + c1 + c2 + c3;
}

const bool has_popcnt = __builtin_cpu_supports("popcnt");

} // namespace

bool popcnt_kernels_enabled() {
  return has_popcnt;
}

uint64_t and_cardinality(const roaring_bitmap_t* a, const roaring_bitmap_t* b) {
  if (!a || !b)
    return a ? roaring_bitmap_get_cardinality(a) : b ? roaring_bitmap_get_cardinality(b) : 0;
  if (!has_popcnt)
    return roaring_bitmap_and_cardinality(a, b);
  const roaring_array_t& ra = a->high_low_container;
  const roaring_array_t& rb = b->high_low_container;
  uint64_t count = 0;
  int32_t i = 0, j = 0;
  while (i < ra.size && j < rb.size) {
    uint16_t ka = ra.keys[i], kb = rb.keys[j];
    if (ka < kb) {
      ++i;
    } else if (kb < ka) {
      ++j;
    } else {
      uint8_t ta = ra.typecodes[i], tb = rb.typecodes[j];
      const void* ca = container_unwrap_shared(ra.containers[i], &ta);
      const void* cb = container_unwrap_shared(rb.containers[j], &tb);
      if (ta == BITSET_CONTAINER_TYPE_CODE && tb == BITSET_CONTAINER_TYPE_CODE)
        count += and_count_words_popcnt(static_cast<const bitset_container_t*>(ca)->array,
                                        static_cast<const bitset_container_t*>(cb)->array);
      else
        count += static_cast<uint64_t>(container_and_cardinality(ca, ta, cb, tb));
      ++i;
      ++j;
    }
  }
  return count;
}

} // namespace tagd

namespace tagd {

std::vector<uint16_t> chunk_keys(const roaring_bitmap_t* b) {
  const roaring_array_t& ra = b->high_low_container;
  return std::vector<uint16_t>(ra.keys, ra.keys + ra.size);
}

const uint64_t* chunk_words(const roaring_bitmap_t* b, uint16_t key, uint64_t* scratch) {
  const roaring_array_t& ra = b->high_low_container;
  int32_t index = ra_get_index(&ra, key);
  if (index < 0)
    return nullptr;
  uint8_t type = ra.typecodes[index];
  const void* c = container_unwrap_shared(ra.containers[index], &type);
  if (type == BITSET_CONTAINER_TYPE_CODE)
    return static_cast<const bitset_container_t*>(c)->array;
  std::fill(scratch, scratch + kChunkWords, uint64_t{0});
  if (type == ARRAY_CONTAINER_TYPE_CODE) {
    const auto* array = static_cast<const array_container_t*>(c);
    for (int32_t i = 0; i < array->cardinality; ++i)
      scratch[array->array[i] >> 6] |= uint64_t{1} << (array->array[i] & 63);
  } else {
    const auto* run = static_cast<const run_container_t*>(c);
    for (int32_t i = 0; i < run->n_runs; ++i) {
      uint32_t start = run->runs[i].value, end = start + run->runs[i].length; // inclusive
      for (uint32_t v = start; v <= end; ++v)
        scratch[v >> 6] |= uint64_t{1} << (v & 63);
    }
  }
  return scratch;
}

uint64_t union_cardinality(const std::vector<const roaring_bitmap_t*>& inputs) {
  // Chunk by chunk: a chunk held by one input counts as its container's cardinality; chunks
  // held by several are OR-ed word by word and counted.
  std::vector<uint16_t> keys;
  for (const roaring_bitmap_t* b : inputs)
    if (b) {
      std::vector<uint16_t> mine = chunk_keys(b), merged;
      std::set_union(keys.begin(), keys.end(), mine.begin(), mine.end(),
                     std::back_inserter(merged));
      keys.swap(merged);
    }
  std::vector<uint64_t> buffers(2 * kChunkWords);
  uint64_t* acc = buffers.data();
  uint64_t* scratch = acc + kChunkWords;
  uint64_t total = 0;
  for (uint16_t key : keys) {
    const roaring_bitmap_t* only = nullptr;
    int holders = 0;
    for (const roaring_bitmap_t* b : inputs)
      if (b && ra_get_index(&b->high_low_container, key) >= 0) {
        only = b;
        ++holders;
      }
    if (holders == 1) {
      const roaring_array_t& ra = only->high_low_container;
      int32_t index = ra_get_index(&ra, key);
      uint8_t type = ra.typecodes[index];
      const void* c = container_unwrap_shared(ra.containers[index], &type);
      total += static_cast<uint64_t>(container_get_cardinality(c, type));
      continue;
    }
    std::fill(acc, acc + kChunkWords, uint64_t{0});
    for (const roaring_bitmap_t* b : inputs)
      if (b)
        if (const uint64_t* words = chunk_words(b, key, scratch))
          for (size_t w = 0; w < kChunkWords; ++w)
            acc[w] |= words[w];
    total += popcount_words(acc);
  }
  return total;
}

namespace {
// Few probes into a long sorted list: binary searches beat a merge that walks the whole list.
bool sparse_probes(size_t probes, int32_t length) {
  return probes * 16 < static_cast<size_t>(length);
}
} // namespace

void gather_membership(const roaring_bitmap_t* b, uint16_t key, const uint16_t* lows, size_t n,
                       uint64_t mask, uint64_t* acc) {
  const roaring_array_t& ra = b->high_low_container;
  int32_t index = ra_get_index(&ra, key);
  if (index < 0)
    return;
  uint8_t type = ra.typecodes[index];
  const void* c = container_unwrap_shared(ra.containers[index], &type);
  if (type == BITSET_CONTAINER_TYPE_CODE) {
    const uint64_t* words = static_cast<const bitset_container_t*>(c)->array;
    for (size_t j = 0; j < n; ++j)
      if ((words[lows[j] >> 6] >> (lows[j] & 63)) & 1)
        acc[j] |= mask;
  } else if (type == ARRAY_CONTAINER_TYPE_CODE) {
    const auto* array = static_cast<const array_container_t*>(c);
    const uint16_t *at = array->array, *end = array->array + array->cardinality;
    bool search = sparse_probes(n, array->cardinality);
    for (size_t j = 0; j < n && at != end; ++j) {
      if (search)
        at = std::lower_bound(at, end, lows[j]);
      else
        while (at != end && *at < lows[j])
          ++at;
      if (at != end && *at == lows[j])
        acc[j] |= mask;
    }
  } else {
    const auto* run = static_cast<const run_container_t*>(c);
    const rle16_t *at = run->runs, *end = run->runs + run->n_runs;
    bool search = sparse_probes(n, run->n_runs);
    // Whether a run ends before the candidate.
    auto before = [](const rle16_t& r, uint16_t low) { return uint32_t{r.value} + r.length < low; };
    for (size_t j = 0; j < n && at != end; ++j) {
      if (search)
        at = std::partition_point(at, end, [&](const rle16_t& r) { return before(r, lows[j]); });
      else
        while (at != end && before(*at, lows[j]))
          ++at;
      if (at != end && at->value <= lows[j])
        acc[j] |= mask;
    }
  }
}

bool small_chunk_values(const roaring_bitmap_t* b, uint16_t key, uint32_t limit,
                        std::vector<uint32_t>& out) {
  const roaring_array_t& ra = b->high_low_container;
  int32_t index = ra_get_index(&ra, key);
  if (index < 0)
    return false;
  uint8_t type = ra.typecodes[index];
  const void* c = container_unwrap_shared(ra.containers[index], &type);
  int cardinality = container_get_cardinality(c, type);
  if (cardinality < 0 || static_cast<uint32_t>(cardinality) > limit)
    return false;
  out.resize(static_cast<size_t>(cardinality));
  container_to_uint32_array(out.data(), c, type, uint32_t{key} << 16);
  return true;
}

__attribute__((target("popcnt"))) static uint64_t popcount_words_hw(const uint64_t* words) {
  uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (size_t i = 0; i < kChunkWords; i += 4) {
    c0 += static_cast<uint64_t>(__builtin_popcountll(words[i]));
    c1 += static_cast<uint64_t>(__builtin_popcountll(words[i + 1]));
    c2 += static_cast<uint64_t>(__builtin_popcountll(words[i + 2]));
    c3 += static_cast<uint64_t>(__builtin_popcountll(words[i + 3]));
  }
  return c0 + c1 + c2 + c3;
}

uint64_t popcount_words(const uint64_t* words) {
  if (has_popcnt)
    return popcount_words_hw(words);
  uint64_t count = 0;
  for (size_t i = 0; i < kChunkWords; ++i)
    count += static_cast<uint64_t>(__builtin_popcountll(words[i]));
  return count;
}

void append_chunk(roaring_bitmap_t* out, uint16_t key, const uint64_t* words,
                  uint64_t cardinality) {
  if (cardinality == 0)
    return;
  bitset_container_t* bits = bitset_container_create();
  std::copy(words, words + kChunkWords, bits->array);
  bits->cardinality = static_cast<int32_t>(cardinality);
  if (cardinality <= DEFAULT_MAX_SIZE) {
    array_container_t* array = array_container_from_bitset(bits);
    bitset_container_free(bits);
    ra_append(&out->high_low_container, key, array, ARRAY_CONTAINER_TYPE_CODE);
  } else {
    ra_append(&out->high_low_container, key, bits, BITSET_CONTAINER_TYPE_CODE);
  }
}

} // namespace tagd
