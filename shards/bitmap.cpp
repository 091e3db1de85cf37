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
  aligned_buffer scratch = aligned_alloc_bytes(size);
  roaring_bitmap_frozen_serialize(source, scratch.get());
  return std::string(scratch.get(), size);
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
    result.copy_ = aligned_alloc_bytes(size);
    std::memcpy(result.copy_.get(), bytes, size);
    bytes = result.copy_.get();
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
