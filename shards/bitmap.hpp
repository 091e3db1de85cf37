#pragma once
// Owning handles over CRoaring bitmaps, and the stored (frozen) form that LMDB serves without a
// copy. Everything that is not an owning handle is a plain `const roaring_bitmap_t*`.

#include "shards/status.hpp"

#include <roaring/roaring.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tagd {

// An owned, mutable roaring bitmap. Moving leaves an empty (but valid) bitmap behind.
class bitmap {
 public:
  bitmap() : r_(roaring_bitmap_create()) {}
  explicit bitmap(roaring_bitmap_t* owned) : r_(owned ? owned : roaring_bitmap_create()) {}
  bitmap(bitmap&& other) noexcept : r_(std::exchange(other.r_, roaring_bitmap_create())) {}
  bitmap& operator=(bitmap&& other) noexcept {
    std::swap(r_, other.r_);
    return *this;
  }
  bitmap(const bitmap&) = delete;
  bitmap& operator=(const bitmap&) = delete;
  ~bitmap() { roaring_bitmap_free(r_); }

  static bitmap copy_of(const roaring_bitmap_t* source) {
    return bitmap(roaring_bitmap_copy(source));
  }
  static bitmap of(const std::vector<uint32_t>& values) {
    return bitmap(roaring_bitmap_of_ptr(values.size(), values.data()));
  }

  roaring_bitmap_t* get() { return r_; }
  const roaring_bitmap_t* get() const { return r_; }
  operator const roaring_bitmap_t*() const { return r_; }

  uint64_t cardinality() const { return roaring_bitmap_get_cardinality(r_); }
  bool empty() const { return roaring_bitmap_is_empty(r_); }
  bool contains(uint32_t v) const { return roaring_bitmap_contains(r_, v); }
  void add(uint32_t v) { roaring_bitmap_add(r_, v); }
  void remove(uint32_t v) { roaring_bitmap_remove(r_, v); }
  std::vector<uint32_t> to_vector() const;

 private:
  roaring_bitmap_t* r_;
};

// A read-only view made by roaring_bitmap_frozen_view, released with roaring_bitmap_free.
struct frozen_view_deleter {
  void operator()(const roaring_bitmap_t* r) const {
    roaring_bitmap_free(const_cast<roaring_bitmap_t*>(r));
  }
};
using frozen_view_ptr = std::unique_ptr<const roaring_bitmap_t, frozen_view_deleter>;

// Memory from std::aligned_alloc, which frozen views need (32-byte alignment).
struct aligned_deleter {
  void operator()(char* p) const { std::free(p); }
};
using aligned_buffer = std::unique_ptr<char, aligned_deleter>;
inline aligned_buffer aligned_alloc_bytes(size_t bytes) {
  return aligned_buffer(static_cast<char*>(std::aligned_alloc(32, (bytes + 31) / 32 * 32)));
}

// The stored form of a bitmap: kFrozenPad zero bytes, then CRoaring's frozen serialization.
// LMDB places values larger than a page on overflow pages whose data begins 16 bytes into a
// page, so the pad puts the frozen bytes on a 32-byte boundary, as roaring_bitmap_frozen_view
// requires, and large bitmaps are served from the map without a copy (MEASURED.md).
inline constexpr size_t kFrozenPad = 16;
std::string freeze(const roaring_bitmap_t* source);

// CRoaring's frozen serialization of a bitmap, without a pad.
std::string frozen_bytes(const roaring_bitmap_t* source);

// A read-only bitmap over stored bytes: a view into the LMDB map when the bytes are aligned,
// otherwise over an aligned private copy. Valid while the transaction that read the bytes lives.
class frozen_bitmap {
 public:
  frozen_bitmap() = default;
  frozen_bitmap(frozen_bitmap&&) noexcept = default;
  frozen_bitmap& operator=(frozen_bitmap&&) noexcept = default;
  static result<frozen_bitmap> open(std::string_view stored);
  const roaring_bitmap_t* get() const { return view_.get(); }

 private:
  aligned_buffer copy_;
  frozen_view_ptr view_;
};

// The empty bitmap, shared read-only: the value of a leaf with nothing stored.
const roaring_bitmap_t* empty_bitmap();

} // namespace tagd
