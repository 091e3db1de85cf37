#include "shards/bitmap.hpp"
#include "shards/bitmap_pack.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <random>

using namespace tagd;

TEST_CASE("bitmap packs round-trip at every alignment of the stored bytes", "[bitmap_pack]") {
  std::mt19937 rng(7);
  std::map<uint32_t, std::string> frozen;
  std::map<uint32_t, std::vector<uint32_t>> expected;
  for (uint32_t slot : {0u, 3u, 17u, 255u, 0xFFFFFFFFu}) {
    std::vector<uint32_t> values;
    uint32_t n = slot == 17 ? 30000 : rng() % 2000; // one bitset container, the rest arrays
    for (uint32_t i = 0; i < n; ++i)
      values.push_back(rng() % 70000);
    bitmap b = bitmap::of(values);
    expected[slot] = b.to_vector();
    frozen[slot] = frozen_bytes(b.get());
  }
  std::string pack = build_bitmap_pack(frozen);
  char* buffer = static_cast<char*>(std::aligned_alloc(32, pack.size() + 64));
  for (size_t shift = 0; shift < 32; ++shift) {
    CAPTURE(shift);
    std::memcpy(buffer + shift, pack.data(), pack.size());
    auto view = bitmap_pack_view::open(std::string_view(buffer + shift, pack.size()));
    REQUIRE(view.is_ok());
    CHECK(view->slots() == std::vector<uint32_t>{0, 3, 17, 255, 0xFFFFFFFF});
    for (auto& [slot, values] : expected) {
      auto b = view->bitmap(slot);
      REQUIRE(b.is_ok());
      CHECK(bitmap::copy_of(*b).to_vector() == values);
      CHECK(view->frozen(slot) == frozen[slot]);
    }
    auto missing = view->bitmap(4);
    REQUIRE(missing.is_ok());
    CHECK(roaring_bitmap_is_empty(*missing));
  }
  std::free(buffer);
  CHECK_FALSE(bitmap_pack_view::open("garbage!").is_ok());
}
