#pragma once
// Counting kernels that beat Debian's CRoaring 0.2.66, which is built without POPCNT: its
// bitset×bitset intersection count runs a software popcount (MEASURED.md: 312 µs for two
// 50%-dense 10 M-bit bitmaps; a POPCNT word loop 112 µs). Only the bitset×bitset container
// pairs take the own loop; every other pair goes to the library.

#include <roaring/roaring.h>

#include <cstdint>
#include <vector>

namespace tagd {

// |a ∩ b|. Either may be null, meaning "no restriction": the other one's cardinality.
uint64_t and_cardinality(const roaring_bitmap_t* a, const roaring_bitmap_t* b);

// |b1 ∪ b2 ∪ …| without building the union (nulls are skipped).
uint64_t union_cardinality(const std::vector<const roaring_bitmap_t*>& inputs);

// Whether the POPCNT path is in use (the CPU has the instruction).
bool popcnt_kernels_enabled();

} // namespace tagd

namespace tagd {

// Word-level access to roaring containers, for kernels that work on the 2^16-bit chunk of one
// key at a time (the fused bit-sliced range): 1024 words per chunk.
inline constexpr size_t kChunkWords = 1024;

// The high-16-bit keys of a bitmap's containers, ascending.
std::vector<uint16_t> chunk_keys(const roaring_bitmap_t* b);

// The 1024 words of chunk `key` of `b`: a bitset container's own words, or the container
// expanded into `scratch`; null when `b` has no such chunk.
const uint64_t* chunk_words(const roaring_bitmap_t* b, uint16_t key, uint64_t* scratch);

uint64_t popcount_words(const uint64_t* words);

// For ascending low halves `lows[0..n)` of values in chunk `key`: acc[j] |= mask for every
// value that `b` holds (a bit test per value for bitsets; for arrays and runs a merge, or binary
// searches when the values are few).
void gather_membership(const roaring_bitmap_t* b, uint16_t key, const uint16_t* lows, size_t n,
                       uint64_t mask, uint64_t* acc);

// The values (full 32-bit) of chunk `key` of `b` into `out`, if the chunk exists and holds at
// most `limit` values; false otherwise (out untouched).
bool small_chunk_values(const roaring_bitmap_t* b, uint16_t key, uint32_t limit,
                        std::vector<uint32_t>& out);

// Appends chunk `key` (greater than every key already in `out`) holding `words`, whose
// population is `cardinality`, as a bitset or array container.
void append_chunk(roaring_bitmap_t* out, uint16_t key, const uint64_t* words, uint64_t cardinality);

} // namespace tagd
