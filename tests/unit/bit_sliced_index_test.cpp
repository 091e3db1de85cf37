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

TEST_CASE("bit-sliced index: dense data over several chunks, counted and built", "[bsi]") {
  uint64_t seed = GENERATE(11, 12, 13);
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  // 200 k ordinals over four 2^16 chunks: dense slices become bitset containers, a constant
  // region becomes runs, and the last chunk is sparse (arrays).
  std::multimap<uint32_t, int64_t> data;
  std::vector<std::pair<uint32_t, int64_t>> pairs;
  std::uniform_int_distribution<int64_t> value(-500, 500);
  for (uint32_t ordinal = 0; ordinal < 200000; ++ordinal) {
    if (ordinal >= 196608 && rng() % 50 != 0)
      continue;
    int64_t v = ordinal >= 70000 && ordinal < 120000 ? 7 : value(rng);
    data.emplace(ordinal, v);
    pairs.emplace_back(ordinal, v);
    if (seed == 13 && rng() % 3 == 0) { // a second layer
      int64_t w = value(rng);
      data.emplace(ordinal, w);
      pairs.emplace_back(ordinal, w);
    }
  }
  bsi_built index = build_bit_sliced_index(pairs);
  slice_source slices = [&](uint32_t layer, uint32_t bit) -> result<const roaring_bitmap_t*> {
    if (bit == kExistenceSlice)
      return index.existence.at(layer).get();
    return index.slices.at(layer).at(bit).get();
  };
  // Dense candidates (one chunk has none at all), and sparse ones (a few dozen per chunk,
  // decoded one by one instead of swept).
  std::set<uint32_t> candidates, sparse;
  bitmap candidate_bits, sparse_bits;
  for (uint32_t o = 0; o < 200000; ++o) {
    if (o % 3 != 0 && o / 65536 != 2) {
      candidates.insert(o);
      candidate_bits.add(o);
    }
    if (o % 1999 == 0) {
      sparse.insert(o);
      sparse_bits.add(o);
    }
  }
  for (auto [lo, hi] : std::vector<std::pair<int64_t, int64_t>>{{-500, 500},
                                                                {7, 7},
                                                                {-3, 100},
                                                                {-500, -1},
                                                                {0, 0},
                                                                {8, 500},
                                                                {-1000, -501},
                                                                {499, 600},
                                                                {INT64_MIN, 6},
                                                                {6, INT64_MAX}}) {
    for (int restricted : {0, 1, 2}) {
      INFO("lo=" << lo << " hi=" << hi << " restricted=" << restricted);
      const std::set<uint32_t>* allowed = restricted == 1   ? &candidates
                                          : restricted == 2 ? &sparse
                                                            : nullptr;
      auto expected = naive_range(data, lo, hi, allowed);
      const roaring_bitmap_t* scope = restricted == 1   ? candidate_bits.get()
                                      : restricted == 2 ? sparse_bits.get()
                                                        : nullptr;
      auto built = bsi_range(index.meta, slices, lo, hi, scope);
      REQUIRE(built.is_ok());
      auto values = built->to_vector();
      REQUIRE(std::set<uint32_t>(values.begin(), values.end()) == expected);
      auto counted = bsi_range_count(index.meta, slices, lo, hi, scope);
      REQUIRE(counted.is_ok());
      REQUIRE(*counted == expected.size());
    }
  }
}
