// The in-memory key index: against std::unordered_map, and inside a vshard store, where it
// must agree with LMDB and with the snapshot that asks.
#include "shards/database.hpp"
#include "shards/key_index.hpp"
#include "shards/vshard_store.hpp"
#include "support/open_database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <random>
#include <unordered_map>

using namespace tagd;
using tagd::testing::temp_dir;

TEST_CASE("key_index finds every key inserted and nothing else", "[key_index]") {
  key_index index;
  std::unordered_map<uint64_t, uint32_t> truth;
  std::mt19937_64 rng(11);
  uint32_t next = 0;
  auto add = [&](uint64_t key) {
    if (truth.emplace(key, next).second)
      index.insert(key, next++);
  };
  // Sequential ids, ids that share their low 16 bits (as one vshard's may), random ids, and 0
  // and UINT64_MAX: past several doublings of the table.
  for (uint64_t k = 1; k <= 3000; ++k)
    add(k);
  for (uint64_t k = 1; k <= 3000; ++k)
    add(k << 16);
  for (int i = 0; i < 5000; ++i)
    add(rng());
  add(0);
  add(UINT64_MAX);
  REQUIRE(index.size() == truth.size());
  for (const auto& [key, ordinal] : truth) {
    auto found = index.find(key);
    REQUIRE(found);
    CHECK(*found == ordinal);
  }
  size_t absent = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t probe = rng() % 100000;
    if (truth.count(probe) == 0) {
      ++absent;
      CHECK_FALSE(index.find(probe));
    }
  }
  CHECK(absent > 10000);
  CHECK(index.memory_bytes() >= truth.size() * 12);
  CHECK_FALSE(key_index().find(5));
}

namespace {
std::vector<std::string> stored_keys(uint64_t first, uint64_t last) {
  std::vector<std::string> keys;
  for (uint64_t k = first; k <= last; ++k)
    keys.push_back(encode_key(k * 7));
  return keys;
}

void add_keys(vshard_store& store, const std::vector<std::string>& keys) {
  auto writer = store.write();
  REQUIRE_OK(writer);
  std::vector<uint32_t> ordinals;
  REQUIRE_STATUS_OK(writer->resolve(keys, true, ordinals));
  REQUIRE_STATUS_OK(writer->commit());
}

std::unique_ptr<vshard_store> open_store(const std::string& directory, bool index_keys,
                                         key_kind keys = key_kind::u64,
                                         uint64_t (*string_hash)(std::string_view) = nullptr) {
  lmdb_options options;
  options.map_size = size_t{64} << 20;
  options.no_sync = true;
  auto store =
      vshard_store::open(directory, keys, options, key_index_options{index_keys, string_hash});
  REQUIRE_OK(store);
  return std::move(*store);
}

// A hash that two keys of one length always share: the index must still answer exactly.
uint64_t length_only(std::string_view key) {
  return key.size();
}
} // namespace

TEST_CASE("a vshard answers ordinals from its key index as from LMDB, per snapshot",
          "[key_index]") {
  temp_dir dir;
  auto indexed = open_store(dir / "indexed", true);
  auto plain = open_store(dir / "plain", false);
  for (auto* store : {indexed.get(), plain.get()})
    add_keys(*store, stored_keys(1, 5000));

  auto before = indexed->read(); // sees keys 1..5000 only
  REQUIRE_OK(before);
  std::vector<std::string> probes = stored_keys(4990, 5010); // ten old keys, then new ones
  probes.push_back(encode_key(3));                           // never added (not a multiple of 7)
  auto early = before->ordinals_of(probes);
  REQUIRE_OK(early);
  CHECK(indexed->key_index_bytes() > 0);

  for (auto* store : {indexed.get(), plain.get()})
    add_keys(*store, stored_keys(5001, 9000));
  auto after = indexed->read();
  auto after_plain = plain->read();
  REQUIRE_OK(after);
  REQUIRE_OK(after_plain);
  auto now = after->ordinals_of(probes);
  auto from_lmdb = after_plain->ordinals_of(probes);
  REQUIRE_OK(now);
  REQUIRE_OK(from_lmdb);
  CHECK(*now == *from_lmdb);
  for (size_t i = 0; i < probes.size(); ++i) {
    uint64_t id = decode_u64_key(probes[i]) / 7;
    if (decode_u64_key(probes[i]) == 3) {
      CHECK((*now)[i] == kUnknownOrdinal);
      continue;
    }
    CHECK((*now)[i] == id - 1); // dense ordinals in the order added
    // The older snapshot must not see keys added after it, though the index now holds them.
    CHECK((*early)[i] == (id <= 5000 ? id - 1 : kUnknownOrdinal));
  }
  auto again = before->ordinals_of(probes);
  REQUIRE_OK(again);
  CHECK(*again == *early);
}

TEST_CASE("a check far behind the key index reads LMDB and leaves the build to index_keys",
          "[key_index]") {
  temp_dir dir;
  auto store = open_store(dir / "v", true);
  const uint64_t many = vshard_store::kKeysIndexedByACheck + 100;
  add_keys(*store, stored_keys(1, many));
  std::vector<std::string> probes = stored_keys(many - 20, many + 20);
  probes.push_back(encode_key(3)); // never added (not a multiple of 7)
  // Ordinals are dense, in the order added: key 7k has ordinal k - 1.
  auto expected = [&](uint64_t known) {
    std::vector<uint32_t> ordinals;
    for (const auto& probe : probes) {
      uint64_t key = decode_u64_key(probe);
      ordinals.push_back(key % 7 == 0 && key / 7 <= known ? static_cast<uint32_t>(key / 7 - 1)
                                                          : kUnknownOrdinal);
    }
    return ordinals;
  };

  auto first = store->read();
  REQUIRE_OK(first);
  auto answered = first->ordinals_of(probes);
  REQUIRE_OK(answered);
  CHECK(*answered == expected(many));
  CHECK(store->key_index_bytes() == 0); // too many keys for a check to index: from LMDB

  REQUIRE_STATUS_OK(first->index_keys()); // what the node's warmer calls
  CHECK(store->key_index_bytes() > 0);
  answered = first->ordinals_of(probes);
  REQUIRE_OK(answered);
  CHECK(*answered == expected(many));

  add_keys(*store, stored_keys(many + 1, many + 10)); // a few more: the check adds them itself
  auto later = store->read();
  REQUIRE_OK(later);
  answered = later->ordinals_of(probes);
  REQUIRE_OK(answered);
  CHECK(*answered == expected(many + 10));
}

TEST_CASE("database::index_keys builds every vshard's key index ahead of a check", "[key_index]") {
  temp_dir dir;
  auto db = tagd::testing::open_people_by_age(dir, 4, 4000, 3, 90); // keys 3k, ages k % 90
  for (uint32_t v = 0; v < 4; ++v) {
    auto store = db->vshard("user", v);
    REQUIRE_OK(store);
    CHECK((*store)->key_index_bytes() == 0); // nothing asked yet
  }
  REQUIRE_STATUS_OK(db->index_keys("user"));
  for (uint32_t v = 0; v < 4; ++v) {
    auto store = db->vshard("user", v);
    REQUIRE_OK(store);
    CHECK((*store)->key_index_bytes() > 0);
  }
  REQUIRE_STATUS_OK(db->define_group("adults", "user"));
  auto selected = db->select("adults", "age >= 18", {});
  REQUIRE_OK(selected);
  auto answers = db->contains_many("adults", selected->version, {"3", "54", "55", "12000"});
  REQUIRE_OK(answers);
  CHECK(*answers == std::vector<bool>{false, true, false, true}); // ages 1, 18, none, 4000 % 90
  CHECK(db->index_keys("nobody").code() == error_code::not_found);
}

TEST_CASE("string keys: the index answers exactly though keys share its hash", "[key_index]") {
  temp_dir dir;
  auto indexed = open_store(dir / "indexed", true, key_kind::string, length_only);
  auto plain = open_store(dir / "plain", false, key_kind::string);
  // One key of length 3 (its hash is its own), many of length 5 (one hash for all of them).
  std::vector<std::string> first = {"abc", "k0001", "k0002", "k0003"};
  for (auto* store : {indexed.get(), plain.get()})
    add_keys(*store, first);
  auto before = indexed->read();
  REQUIRE_OK(before);
  REQUIRE_STATUS_OK(before->index_keys());
  // Known keys; "xyz" has the hash of "abc" alone, "k9999" the hash all the k-keys share, and
  // "q" a hash no key has.
  const std::vector<std::string> probes = {"abc", "k0002", "xyz", "k9999", "q", "abd", "k0004"};
  auto early = before->ordinals_of(probes);
  REQUIRE_OK(early);
  CHECK((*early == std::vector<uint32_t>{0, 2, kUnknownOrdinal, kUnknownOrdinal, kUnknownOrdinal,
                                         kUnknownOrdinal, kUnknownOrdinal}));

  // Later keys: "abd" now shares the hash of "abc".
  for (auto* store : {indexed.get(), plain.get()})
    add_keys(*store, {"abd", "k0004"});
  auto after = indexed->read();
  auto after_plain = plain->read();
  REQUIRE_OK(after);
  REQUIRE_OK(after_plain);
  REQUIRE_STATUS_OK(after->index_keys());
  auto now = after->ordinals_of(probes);
  auto from_lmdb = after_plain->ordinals_of(probes);
  REQUIRE_OK(now);
  REQUIRE_OK(from_lmdb);
  CHECK(*now == *from_lmdb);
  CHECK((*now ==
         std::vector<uint32_t>{0, 2, kUnknownOrdinal, kUnknownOrdinal, kUnknownOrdinal, 4, 5}));
  // The earlier snapshot still sees only its own keys.
  auto again = before->ordinals_of(probes);
  REQUIRE_OK(again);
  CHECK(*again == *early);
}

TEST_CASE("string keys: the index agrees with LMDB on many keys", "[key_index]") {
  temp_dir dir;
  auto indexed = open_store(dir / "indexed", true, key_kind::string);
  auto plain = open_store(dir / "plain", false, key_kind::string);
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; i += 2)
    keys.push_back("device-" + std::to_string(i));
  for (auto* store : {indexed.get(), plain.get()})
    add_keys(*store, keys);
  std::vector<std::string> probes;
  for (int i = 0; i < 20000; ++i)
    probes.push_back("device-" + std::to_string(i)); // every other one unknown
  auto with_index = indexed->read();
  auto without = plain->read();
  REQUIRE_OK(with_index);
  REQUIRE_OK(without);
  REQUIRE_STATUS_OK(with_index->index_keys());
  CHECK(indexed->key_index_bytes() > 0);
  auto a = with_index->ordinals_of(probes);
  auto b = without->ordinals_of(probes);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  CHECK(*a == *b);
  for (size_t i = 0; i < probes.size(); ++i)
    CHECK((*a)[i] == (i % 2 == 0 ? i / 2 : kUnknownOrdinal));
}
