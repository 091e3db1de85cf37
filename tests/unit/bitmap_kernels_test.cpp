#include "shards/bitmap.hpp"
#include "shards/bitmap_kernels.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace tagd;

namespace {
// A bitmap mixing every container kind: dense (bitset), sparse (array) and runs.
bitmap random_bitmap(std::mt19937& rng, double density) {
  bitmap b;
  std::uniform_real_distribution<double> coin(0, 1);
  for (uint32_t chunk = 0; chunk < 6; ++chunk) {
    uint32_t base = chunk * 65536;
    double d = chunk % 3 == 0 ? density : chunk % 3 == 1 ? density / 40 : 0;
    for (uint32_t i = 0; i < 65536; ++i)
      if (coin(rng) < d)
        b.add(base + i);
    if (chunk % 3 == 2)
      roaring_bitmap_add_range(b.get(), base + rng() % 1000, base + 30000 + rng() % 30000);
  }
  roaring_bitmap_run_optimize(b.get());
  return b;
}
} // namespace

TEST_CASE("and_cardinality equals a count of the intersection", "[kernels]") {
  INFO("POPCNT kernels: " << popcnt_kernels_enabled());
  std::mt19937 rng(11);
  for (double density : {0.02, 0.3, 0.5, 0.9}) {
    bitmap a = random_bitmap(rng, density), b = random_bitmap(rng, 1 - density);
    std::vector<uint32_t> av = a.to_vector(), bv = b.to_vector();
    std::set<uint32_t> as(av.begin(), av.end());
    uint64_t expected = 0;
    for (uint32_t v : bv)
      expected += as.count(v);
    CHECK(and_cardinality(a.get(), b.get()) == expected);
    CHECK(and_cardinality(b.get(), a.get()) == expected);
    CHECK(and_cardinality(a.get(), nullptr) == av.size());
    CHECK(and_cardinality(nullptr, b.get()) == bv.size());
    // Through frozen views too, as queries read them.
    std::string stored = freeze(a.get());
    auto frozen = frozen_bitmap::open(stored);
    REQUIRE(frozen.is_ok());
    CHECK(and_cardinality(frozen->get(), b.get()) == expected);
  }
}

TEST_CASE("union_cardinality equals the size of the union", "[kernels]") {
  std::mt19937 rng(5);
  std::vector<bitmap> owned;
  std::vector<const roaring_bitmap_t*> inputs{nullptr};
  std::set<uint32_t> all;
  for (double density : {0.01, 0.4, 0.7, 0.05}) {
    owned.push_back(random_bitmap(rng, density));
    for (uint32_t v : owned.back().to_vector())
      all.insert(v);
  }
  for (const bitmap& b : owned)
    inputs.push_back(b.get());
  CHECK(union_cardinality(inputs) == all.size());
  CHECK(union_cardinality({owned[0].get()}) == owned[0].cardinality());
  CHECK(union_cardinality({}) == 0);
}

TEST_CASE("gather_membership marks exactly the probed values the bitmap holds", "[kernels]") {
  std::mt19937 rng(5);
  // Chunk 0 a bitset, 1 a short array, 2 a long array, 3 a few long runs, 4 thousands of runs:
  // few probes take binary searches in long arrays and run lists, many probes a merge.
  bitmap b;
  for (uint32_t i = 0; i < 65536; ++i)
    if (rng() % 2)
      b.add(i);
  for (int i = 0; i < 40; ++i)
    b.add(65536 + rng() % 65536);
  for (int i = 0; i < 3000; ++i)
    b.add(2 * 65536 + rng() % 65536);
  roaring_bitmap_add_range(b.get(), 3 * 65536 + 100, 3 * 65536 + 9000);
  roaring_bitmap_add_range(b.get(), 3 * 65536 + 20000, 3 * 65536 + 60000);
  for (uint32_t start = 0; start + 20 < 65536; start += 40)
    roaring_bitmap_add_range(b.get(), 4 * 65536 + start, 4 * 65536 + start + 20);
  roaring_bitmap_run_optimize(b.get());
  REQUIRE(roaring_bitmap_get_cardinality(b.get()) > 0);
  std::vector<uint32_t> values = b.to_vector();
  std::set<uint32_t> held(values.begin(), values.end());
  for (uint16_t key = 0; key < 6; ++key) { // chunk 5 is absent
    std::vector<uint16_t> in_chunk;
    for (uint32_t v : values)
      if (v >> 16 == key)
        in_chunk.push_back(static_cast<uint16_t>(v));
    for (size_t probes : {1, 1, 1, 3, 3, 3, 8, 8, 8, 8, 20, 20, 20, 50, 50, 50, 400, 400, 5000}) {
      // Half the probes on or next to held values: the edges of runs and array entries.
      std::set<uint16_t> chosen;
      while (chosen.size() < probes)
        chosen.insert(in_chunk.empty() || rng() % 2
                          ? static_cast<uint16_t>(rng())
                          : static_cast<uint16_t>(in_chunk[rng() % in_chunk.size()] +
                                                  static_cast<int>(rng() % 3) - 1));
      std::vector<uint16_t> lows(chosen.begin(), chosen.end());
      std::vector<uint64_t> acc(lows.size(), 0b100);
      gather_membership(b.get(), key, lows.data(), lows.size(), 0b1, acc.data());
      for (size_t j = 0; j < lows.size(); ++j) {
        INFO("chunk " << key << ", " << probes << " probes, value " << lows[j]);
        bool expected = held.count(uint32_t{key} * 65536 + lows[j]) > 0;
        CHECK(acc[j] == (expected ? 0b101u : 0b100u));
      }
    }
  }
}
