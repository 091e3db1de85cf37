#include "shards/partition.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace tagd;

// These vectors pin the partition function forever: stored data sits in the vshard they name.
// XXH3-64 of the empty input is the published reference value 0x2D06800538D394C2.
TEST_CASE("partition: fixed test vectors for u64 keys", "[partition]") {
  CHECK(key_hash(uint64_t{0}) == 0xc77b3abb6f87acd9ull);
  CHECK(key_hash(uint64_t{1}) == 0x2fbc593564db792eull);
  CHECK(key_hash(uint64_t{42}) == 0xd5a6f8c838df27c8ull);
  CHECK(key_hash(uint64_t{1000000007}) == 0xe02e907ee5346bfdull);
  CHECK(key_hash(UINT64_MAX) == 0x5111c7e47d784413ull);
  CHECK(vshard_of(uint64_t{0}, 256) == 217);
  CHECK(vshard_of(uint64_t{1}, 256) == 46);
  CHECK(vshard_of(uint64_t{42}, 256) == 200);
  CHECK(vshard_of(UINT64_MAX, 256) == 19);
  CHECK(vshard_of(uint64_t{42}, 1) == 0);
}

TEST_CASE("partition: fixed test vectors for string keys", "[partition]") {
  CHECK(key_hash(std::string_view("")) == 0x2d06800538d394c2ull);
  CHECK(key_hash(std::string_view("a")) == 0xe6c632b61e964e1full);
  CHECK(key_hash(std::string_view("device-0001")) == 0xa8aa308388148b11ull);
  CHECK(key_hash(std::string_view("13800138000")) == 0x5d1468ff91091469ull);
  CHECK(vshard_of(std::string_view("device-0001"), 256) == 17);
  CHECK(vshard_of(std::string_view("13800138000"), 256) == 105);
}

TEST_CASE("partition: a vshard of a smaller power of two is a prefix of the larger",
          "[partition]") {
  // Low bits: doubling the vshard count splits each vshard in two, never mixes them.
  for (uint64_t key = 0; key < 10000; ++key)
    CHECK(vshard_of(key, 128) == (vshard_of(key, 256) & 127));
}

TEST_CASE("partition: keys spread evenly over vshards", "[partition]") {
  std::map<uint32_t, int> counts;
  const int keys = 256 * 1000;
  for (uint64_t key = 0; key < keys; ++key)
    ++counts[vshard_of(key, 256)];
  REQUIRE(counts.size() == 256);
  for (auto& [vshard, n] : counts) {
    CHECK(n > 850); // mean 1000, sd ~32: 850 is more than 4.5 sd away
    CHECK(n < 1150);
  }
}

TEST_CASE("partition: vshard counts are sized to about 128 k keys each", "[partition]") {
  CHECK(vshard_count_for_keys(0) == 1);
  CHECK(vshard_count_for_keys(1000000) == 8);
  CHECK(vshard_count_for_keys(10000000) == 64);
  CHECK(vshard_count_for_keys(100000000) == 512);
  CHECK(vshard_count_for_keys(1000000000) == 4096);
  CHECK(is_valid_vshard_count(256));
  CHECK_FALSE(is_valid_vshard_count(0));
  CHECK_FALSE(is_valid_vshard_count(100));
}
