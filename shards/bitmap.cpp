#include "shards/bitmap.hpp"

#include <cstdlib>
#include <cstring>

namespace tagd {

std::vector<uint32_t> bitmap::to_vector() const {
  std::vector<uint32_t> values(cardinality());
  roaring_bitmap_to_uint32_array(r_, values.data());
  return values;
}

std::string frozen_bytes(const roaring_bitmap_t* source) {
  size_t size = roaring_bitmap_frozen_size_in_bytes(source);
  // frozen_serialize writes through aligned stores: serialize into aligned scratch space.
  void* scratch = std::aligned_alloc(32, (size + 31) / 32 * 32);
  roaring_bitmap_frozen_serialize(source, static_cast<char*>(scratch));
  std::string bytes(static_cast<const char*>(scratch), size);
  std::free(scratch);
  return bytes;
}

std::string freeze(const roaring_bitmap_t* source) {
  return std::string(kFrozenPad, '\0') + frozen_bytes(source);
}

result<frozen_bitmap> frozen_bitmap::open(std::string_view stored) {
  if (stored.size() < kFrozenPad)
    return status(error_code::corruption, "stored bitmap shorter than its pad");
  const char* bytes = stored.data() + kFrozenPad;
  size_t size = stored.size() - kFrozenPad;
  frozen_bitmap result;
  if (reinterpret_cast<uintptr_t>(bytes) % 32 != 0) {
    char* copy = static_cast<char*>(std::aligned_alloc(32, (size + 31) / 32 * 32));
    std::memcpy(copy, bytes, size);
    result.copy_.reset(copy);
    bytes = copy;
  }
  result.view_.reset(roaring_bitmap_frozen_view(bytes, size));
  if (!result.view_)
    return status(error_code::corruption, "stored bitmap is not a valid frozen roaring bitmap");
  return result;
}

const roaring_bitmap_t* empty_bitmap() {
  static const bitmap empty;
  return empty.get();
}

} // namespace tagd
