#include "shards/partition.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tagd {

uint64_t key_hash(uint64_t key) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<unsigned char>(key >> (8 * i));
  return XXH3_64bits(bytes, sizeof bytes);
}

uint64_t key_hash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

uint32_t vshard_count_for_keys(uint64_t expected_keys) {
  constexpr uint64_t keys_per_vshard = 131072; // two full 2^16 containers
  uint64_t wanted = (expected_keys + keys_per_vshard / 2) / keys_per_vshard;
  uint32_t count = 1;
  // Round to the nearest power of two (geometrically), within [1, 4096].
  while (count < 4096 && count * 3 / 2 < wanted)
    count *= 2;
  return count;
}

} // namespace tagd
