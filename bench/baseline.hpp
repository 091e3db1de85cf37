#pragma once
// The reference tagd is measured against: a straightforward single-thread CRoaring program.
// It reads the benchmark's CSV files with its own simple parser (they are unquoted), gives each
// user a dense 32-bit id in first-seen order, and holds in memory a roaring bitmap per
// (tag, value) for enum, bool and set tags, a bit-sliced index (a bitmap per bit of
// value - min, plus existence) for int, decimal and date tags, and a presence bitmap per table.
// Queries are written by hand against it (bench_queries.cpp).

#include <roaring/roaring.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace tagd::bench {

struct roaring_deleter {
  void operator()(roaring_bitmap_t* r) const { roaring_bitmap_free(r); }
};
using roaring_ptr = std::unique_ptr<roaring_bitmap_t, roaring_deleter>;

struct bsi_index {
  int64_t base = 0;  // the smallest value; slices hold value - base
  uint32_t bits = 0; // bit width of max - base, at least 1
  roaring_ptr existence;
  std::vector<roaring_ptr> slices; // slices[b]: ids whose (value - base) has bit b set
};

class baseline {
 public:
  // Reads <directory>/<table>.csv of every benchmark table; throws std::runtime_error on a
  // missing file or a malformed row.
  static std::unique_ptr<baseline> build(const std::string& directory, bool string_keys);

  double build_seconds() const { return build_seconds_; }
  uint64_t users() const { return users_; }
  uint64_t rows() const { return rows_; }

  // The bitmap of one value of an enum, bool ("true"/"false") or set tag; empty if absent.
  const roaring_bitmap_t* value(const std::string& tag, const std::string& value) const;
  const bsi_index& ranged(const std::string& tag) const; // throws for an unknown tag
  // Users present in any table: what NOT is taken against.
  const roaring_bitmap_t* universe() const { return universe_.get(); }

  // Sum of roaring_bitmap_portable_size_in_bytes over every bitmap held (after run_optimize).
  uint64_t raw_bytes() const;
  uint64_t bitmap_count() const;

 private:
  baseline();
  friend class baseline_builder;
  double build_seconds_ = 0;
  uint64_t users_ = 0;
  uint64_t rows_ = 0;
  std::vector<roaring_ptr> presence_; // per table
  roaring_ptr universe_;
  std::unordered_map<std::string, std::unordered_map<std::string, roaring_ptr>> values_;
  std::unordered_map<std::string, bsi_index> ranged_;
  roaring_ptr empty_;
};

// O'Neil's range search over a bit-sliced index: ids with lo <= value <= hi, restricted to
// `candidates` when given.
roaring_ptr bsi_range(const bsi_index& index, int64_t lo, int64_t hi,
                      const roaring_bitmap_t* candidates = nullptr);

} // namespace tagd::bench
