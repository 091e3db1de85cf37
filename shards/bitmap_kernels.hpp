#pragma once
// Counting kernels that beat Debian's CRoaring 0.2.66, which is built without POPCNT: its
// bitset×bitset intersection count runs a software popcount (MEASURED.md: 312 µs for two
// 50%-dense 10 M-bit bitmaps; a POPCNT word loop 112 µs). Only the bitset×bitset container
// pairs take the own loop; every other pair goes to the library.

#include <roaring/roaring.h>

#include <cstdint>

namespace tagd {

// |a ∩ b|. Either may be null, meaning "no restriction": the other one's cardinality.
uint64_t and_cardinality(const roaring_bitmap_t* a, const roaring_bitmap_t* b);

// Whether the POPCNT path is in use (the CPU has the instruction).
bool popcnt_kernels_enabled();

} // namespace tagd
