#include "shards/bitmap_kernels.hpp"

extern "C" {
#include <roaring/containers/containers.h>
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
