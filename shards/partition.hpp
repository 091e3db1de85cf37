#pragma once
// The one place that hashes keys. A key's vshard is fixed forever: vshard_of must never change
// (tests/unit/partition_test.cpp pins test vectors), because data directories and clusters store
// every key under the vshard this function named when the key first arrived.

#include <cstdint>
#include <string_view>

namespace tagd {

// The 64-bit hash of a key: XXH3-64 with seed 0 over the key's bytes — for an unsigned 64-bit
// key its 8 bytes in little-endian order, for a string key its UTF-8 bytes as given.
uint64_t key_hash(uint64_t key);
uint64_t key_hash(std::string_view key);

// The vshard of a key among vshard_count vshards (a power of two): the low bits of key_hash.
inline uint32_t vshard_of_hash(uint64_t hash, uint32_t vshard_count) {
  return static_cast<uint32_t>(hash & (vshard_count - 1));
}
inline uint32_t vshard_of(uint64_t key, uint32_t vshard_count) {
  return vshard_of_hash(key_hash(key), vshard_count);
}
inline uint32_t vshard_of(std::string_view key, uint32_t vshard_count) {
  return vshard_of_hash(key_hash(key), vshard_count);
}

inline bool is_valid_vshard_count(uint64_t count) {
  return count >= 1 && count <= 65536 && (count & (count - 1)) == 0;
}

// The vshard count a new data directory should get for an expected number of keys: about 128 k
// keys per vshard (two full roaring containers; docs/storage.md has the measurements), a power
// of two between 1 and 4096.
uint32_t vshard_count_for_keys(uint64_t expected_keys);

} // namespace tagd
