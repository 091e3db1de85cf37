#include "shards/bit_sliced_index.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

using namespace tagd;

namespace {
// Every (ordinal, value) pair; an ordinal may have several values.
std::set<uint32_t> naive_range(const std::multimap<uint32_t, int64_t>& data, int64_t lo, int64_t hi,
                               const std::set<uint32_t>* candidates) {
  std::set<uint32_t> out;
  for (auto& [ordinal, value] : data)
    if (value >= lo && value <= hi && (!candidates || candidates->count(ordinal)))
      out.insert(ordinal);
  return out;
}
} // namespace

TEST_CASE("bit-sliced index: ranges equal a scan, with layers and candidates", "[bsi]") {
  uint64_t seed = GENERATE(1, 2, 3, 4, 5, 6, 7, 8);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  // Value spreads from tiny to the full 64-bit range.
  const int64_t spans[] = {1, 7, 1000, int64_t{1} << 40, INT64_MAX};
  int64_t span = spans[seed % 5];
  std::uniform_int_distribution<int64_t> value(seed % 2 ? -span : 0, span);
  std::multimap<uint32_t, int64_t> data;
  std::vector<std::pair<uint32_t, int64_t>> pairs;
  for (uint32_t ordinal = 0; ordinal < 3000; ++ordinal) {
    int copies = static_cast<int>(rng() % 4); // 0..3 values; duplicates possible
    for (int c = 0; c < copies; ++c) {
      int64_t v = value(rng);
      data.emplace(ordinal, v);
      pairs.emplace_back(ordinal, v);
      if (rng() % 5 == 0)
        pairs.emplace_back(ordinal, v);
    }
  }
  bsi_built index = build_bit_sliced_index(pairs);
  slice_source slices = [&](uint32_t layer, uint32_t bit) -> result<const roaring_bitmap_t*> {
    if (bit == kExistenceSlice)
      return index.existence.at(layer).get();
    return index.slices.at(layer).at(bit).get();
  };
  std::set<uint32_t> candidates;
  bitmap candidate_bits;
  for (uint32_t o = 0; o < 3000; o += 3) {
    candidates.insert(o);
    candidate_bits.add(o);
  }
  std::vector<int64_t> points{INT64_MIN, INT64_MAX, 0, -1, 1, span, -span};
  for (auto& [o, v] : data) {
    if (points.size() > 60)
      break;
    points.push_back(v);
    if (v > INT64_MIN)
      points.push_back(v - 1);
    if (v < INT64_MAX)
      points.push_back(v + 1);
  }
  for (int64_t lo : points)
    for (int64_t hi : points) {
      if (lo > hi)
        continue;
      for (bool restricted : {false, true}) {
        auto got =
            bsi_range(index.meta, slices, lo, hi, restricted ? candidate_bits.get() : nullptr);
        REQUIRE(got.is_ok());
        auto values = got->to_vector();
        std::set<uint32_t> actual(values.begin(), values.end());
        INFO("lo=" << lo << " hi=" << hi << " restricted=" << restricted);
        REQUIRE(actual == naive_range(data, lo, hi, restricted ? &candidates : nullptr));
      }
    }
}

TEST_CASE("bit-sliced index: an empty index matches nothing", "[bsi]") {
  bsi_built index = build_bit_sliced_index({});
  CHECK(index.meta.layers == 0);
  slice_source none = [](uint32_t, uint32_t) -> result<const roaring_bitmap_t*> {
    return status(error_code::internal, "must not be read");
  };
  auto got = bsi_range(index.meta, none, INT64_MIN, INT64_MAX, nullptr);
  REQUIRE(got.is_ok());
  CHECK(got->empty());
}
