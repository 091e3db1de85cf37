// Groups: selection into immutable versions, export, upload, membership and groups_of.
#include "shards/database.hpp"
#include "shards/partition.hpp"
#include "support/estimate.hpp"
#include "support/open_database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <zlib.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace tagd;
using tagd::testing::temp_dir;
using tagd::testing::write_file;

namespace {

// Keys 7919 k with age k % 100, k = 1 .. 1000.
std::unique_ptr<database> loaded_db(const temp_dir& dir) {
  return tagd::testing::open_people_by_age(dir, 8, 1000, 7919, 100);
}

std::set<std::string> read_keys(const std::string& path, uint32_t& crc) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string bytes = text.str();
  crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
  std::set<std::string> keys;
  std::string line;
  std::istringstream lines(bytes);
  while (std::getline(lines, line))
    keys.insert(line);
  return keys;
}

} // namespace

TEST_CASE("select freezes a version; later versions do not change it", "[group]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("young", "user"));
  auto v1 = db->select("young", "age < 10");
  REQUIRE_OK(v1);
  CHECK(v1->version == 1);
  CHECK(v1->count == 100);
  auto v2 = db->select("young", "age < 20");
  REQUIRE_OK(v2);
  CHECK(v2->version == 2);
  CHECK(v2->count == 200);
  auto count = [&](const std::string& e) { return tagd::testing::estimate_count(*db, e); };
  CHECK(count("IN GROUP young") == 200);
  CHECK(count("IN GROUP young VERSION 1") == 100);
  CHECK(count("NOT IN GROUP young VERSION 1") == 900);
  CHECK(count("IN GROUP young AND NOT IN GROUP young VERSION 1") == 100);

  // Members by key: 7919 * i with i % 100 == age.
  auto answers = db->contains_many("young", 1, {"7919", std::to_string(7919 * 15), "123", "0"});
  REQUIRE_OK(answers);
  CHECK((*answers == std::vector<bool>{true, false, false, false}));
  auto latest = db->contains("young", std::nullopt, std::to_string(7919 * 15));
  REQUIRE_OK(latest);
  CHECK(*latest);
  auto missing_version = db->contains("young", 9, "7919");
  REQUIRE_FALSE(missing_version.is_ok());
  CHECK(missing_version.error().code() == error_code::not_found);
  auto bad_key = db->contains("young", std::nullopt, "12x");
  REQUIRE_FALSE(bad_key.is_ok());
  CHECK(bad_key.error().code() == error_code::invalid_argument);
}

TEST_CASE("export writes a part per vshard with counts and checksums", "[group]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("fifties", "user"));
  REQUIRE_OK(db->select("fifties", "age BETWEEN 50 AND 59"));
  auto report = db->export_group("fifties", std::nullopt, dir / "out");
  REQUIRE_OK(report);
  CHECK(report->count == 100);
  CHECK(report->parts.size() == 8);
  std::set<std::string> all;
  uint64_t rows = 0;
  for (auto& part : report->parts) {
    uint32_t crc = 0;
    auto keys = read_keys(part.path, crc);
    CHECK(keys.size() == part.rows);
    CHECK(crc == part.crc32);
    rows += part.rows;
    all.insert(keys.begin(), keys.end());
  }
  CHECK(rows == 100);
  std::set<std::string> expected;
  for (int i = 1; i <= 1000; ++i)
    if (i % 100 >= 50 && i % 100 <= 59)
      expected.insert(std::to_string(i * 7919ull));
  CHECK(all == expected);
}

TEST_CASE("an uploaded group reports unknown keys; groups_of lists holders", "[group]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("uploaded", "user"));
  REQUIRE_STATUS_OK(db->define_group("teens", "user"));
  REQUIRE_OK(db->select("teens", "age BETWEEN 13 AND 19"));
  auto report = db->upload_group("uploaded", {"7919", "15838", "5", "6", "15838"});
  REQUIRE_OK(report);
  CHECK(report->version.count == 2);
  CHECK(report->unknown_keys == 2);
  CHECK((report->unknown_sample == std::vector<std::string>{"5", "6"})); // in the order given
  auto of = db->groups_of("user", std::to_string(7919 * 13));
  REQUIRE_OK(of);
  CHECK((*of == std::vector<std::string>{"teens"}));
  of = db->groups_of("user", "7919");
  REQUIRE_OK(of);
  CHECK((*of == std::vector<std::string>{"uploaded"}));
  of = db->groups_of("user", "42");
  REQUIRE_OK(of);
  CHECK(of->empty());
  auto bad = db->upload_group("uploaded", {"1", "not-a-number"});
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.error().code() == error_code::invalid_argument);
}

TEST_CASE("composite tags expand at query time and refuse cycles", "[group][composite]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_composite("user", "adult", "age >= 18", false));
  REQUIRE_STATUS_OK(db->define_composite("user", "senior_adult", "adult AND age >= 65", false));
  auto n = db->estimate("user", "senior_adult");
  REQUIRE_OK(n);
  CHECK(*n == 350);
  n = db->estimate("user", "adult = FALSE");
  REQUIRE_OK(n);
  CHECK(*n == 180);
  status cycle = db->define_composite("user", "adult", "senior_adult OR age > 90", false);
  CHECK(cycle.code() == error_code::invalid_argument);
  CHECK(cycle.message() ==
        "composite tag 'adult' would form a cycle: adult -> senior_adult -> adult");
  status unknown = db->define_composite("user", "odd", "nosuch = 1", false);
  CHECK(unknown.code() == error_code::unknown_tag);
  n = db->estimate("user", "senior_adult");
  REQUIRE_OK(n);
  CHECK(*n == 350); // the refused definitions changed nothing
}

TEST_CASE("a materialized composite is stored, served while fresh, and refreshed", "[composite]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("picked", "user"));
  REQUIRE_OK(db->select("picked", "age < 30"));
  REQUIRE_STATUS_OK(
      db->define_composite("user", "picked_adult", "IN GROUP picked AND age >= 18", true));
  auto stored_storage = [&] {
    return db->snapshot()
        ->tags.at(catalog_state::tag_key("user", "picked_adult"))
        .materialized_storage;
  };
  uint32_t first = stored_storage();
  REQUIRE(first != 0);
  auto served_from_store = [&] {
    auto plan = db->plan("user", *parse_expression("picked_adult"), {});
    REQUIRE_OK(plan);
    return plan->root.type == plan_node::kind::values_any &&
           plan->root.storage_id == stored_storage();
  };
  CHECK(served_from_store());
  auto n = db->estimate("user", "picked_adult");
  REQUIRE_OK(n);
  CHECK(*n == 120); // ages 18..29 of 0..99, 10 people each

  // A new group version makes it stale; selection refreshes it.
  REQUIRE_OK(db->select("picked", "age < 50"));
  CHECK(stored_storage() != first);
  CHECK(served_from_store());
  n = db->estimate("user", "picked_adult");
  REQUIRE_OK(n);
  CHECK(*n == 320);

  // A new table version refreshes it too.
  write_file(dir / "v2.csv", "id,age\n7919,20\n15838,5\n");
  REQUIRE_OK(db->import_files("people", "v2", {dir / "v2.csv"}, {}));
  CHECK(served_from_store());
  n = db->estimate("user", "picked_adult");
  REQUIRE_OK(n);
  CHECK(*n == 1); // group members with a current age >= 18: only key 7919
}

// Regression: NOT of a stored composite built from a group counted |U| − |x| although the
// group holds keys outside the universe (a key dropped by a new table version).
TEST_CASE("NOT of a group or a group-based composite stays inside the universe", "[composite]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("picked", "user"));
  REQUIRE_OK(db->upload_group("picked", {"7919", "15838", "23757"})); // i = 1, 2, 3
  REQUIRE_STATUS_OK(db->define_composite("user", "picked_c", "IN GROUP picked", true));
  REQUIRE_STATUS_OK(db->define_composite("user", "picked_live", "IN GROUP picked", false));
  // Version 2 keeps only i = 1 and 10: 15838 and 23757 leave the universe, not the group.
  write_file(dir / "v2.csv", "id,age\n7919,20\n79190,30\n");
  REQUIRE_OK(db->import_files("people", "v2", {dir / "v2.csv"}, {}));
  auto plan = db->plan("user", *parse_expression("picked_c"), {});
  REQUIRE_OK(plan);
  REQUIRE(plan->root.type == plan_node::kind::values_any); // served from the stored bitmap
  for (const char* e : {"NOT picked_c", "NOT picked_live", "NOT IN GROUP picked",
                        "picked_c = FALSE", "age > 0 AND NOT picked_c"}) {
    auto n = db->estimate("user", e);
    INFO(e);
    REQUIRE_OK(n);
    CHECK(*n == 1); // the universe {7919, 79190} minus the member 7919
  }
  auto members = db->estimate("user", "picked_c");
  REQUIRE_OK(members);
  CHECK(*members == 3);
}

// Regression: a materialized composite with a NOT was served from its stored bitmap after a
// load of another table changed the universe (its inputs named only the tables of its leaves).
TEST_CASE("a materialized NOT composite follows the universe", "[composite]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_composite("user", "not_young", "NOT age < 10", true));
  REQUIRE_STATUS_OK(db->define_composite("user", "young_or_null", "age IS NULL OR age < 10", true));
  CHECK(tagd::testing::estimate_count(*db, "not_young") == 900);
  table_spec more;
  more.name = "more";
  more.columns = {{"flag", "#2", tag_kind::bool_}};
  REQUIRE_STATUS_OK(db->define_table(more));
  write_file(dir / "more.csv", "1,true\n2,false\n3,true\n7919,true\n");
  import_options headerless;
  headerless.header = false;
  REQUIRE_OK(db->import_files("more", "v1", {dir / "more.csv"}, headerless));
  // Keys 1, 2 and 3 join the universe without an age.
  CHECK(tagd::testing::estimate_count(*db, "not_young") == 903);
  CHECK(tagd::testing::estimate_count(*db, "young_or_null") == 103);
  CHECK(tagd::testing::estimate_count(*db, "NOT not_young") == 100);
}

// ---- per-vshard steps ----

namespace {

// Checks that `s` failed with `code` and exactly `message`.
void check_error(const status& s, error_code code, const std::string& message) {
  CHECK(s.code() == code);
  CHECK(s.message() == message);
}

// The people of loaded_db (key 7919 * i, age i % 100) per vshard, by the partition function:
// the keys in ascending order whose age satisfies `keep`.
std::vector<std::vector<uint64_t>> people_by_vshard(uint32_t vshards, bool (*keep)(int age)) {
  std::vector<std::vector<uint64_t>> keys(vshards);
  for (int i = 1; i <= 1000; ++i)
    if (keep(i % 100))
      keys[vshard_of(uint64_t{7919} * i, vshards)].push_back(uint64_t{7919} * i);
  return keys;
}

bool under_ten(int age) {
  return age < 10;
}

} // namespace

TEST_CASE("a selection written one vshard at a time is the selection", "[group][vshard]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("young", "user"));
  auto expected = people_by_vshard(db->vshard_count(), under_ten);
  auto plan = db->plan("user", *parse_expression("age < 10"), {});
  REQUIRE_OK(plan);
  auto pending = db->begin_group_version("young", "user");
  REQUIRE_OK(pending);
  CHECK(pending->version == 1);
  uint64_t total = 0;
  for (uint32_t v = 0; v < db->vshard_count(); ++v) {
    auto count = db->select_vshard(*pending, *plan, v);
    REQUIRE_OK(count);
    CHECK(*count == expected[v].size());
    total += *count;
  }
  CHECK(total == 100);
  CHECK(db->snapshot()->find_group("young")->versions.empty()); // nothing visible yet
  auto committed = db->commit_group_version(*pending, total, "age < 10", plan->table_versions);
  REQUIRE_OK(committed);
  CHECK(committed->version == 1);
  CHECK(committed->count == 100);
  const group_version& stored = db->snapshot()->find_group("young")->versions.at(0);
  CHECK(stored.expression == "age < 10");
  CHECK(stored.table_versions == plan->table_versions);
  CHECK(tagd::testing::estimate_count(*db, "IN GROUP young") == 100);

  // Export and membership per vshard: keys in ordinal order, which is key order for one load.
  for (uint32_t v = 0; v < db->vshard_count(); ++v) {
    auto part = db->export_vshard("young", 1, v);
    REQUIRE_OK(part);
    std::string text;
    for (uint64_t key : expected[v])
      text += std::to_string(key) + "\n";
    CHECK(part->vshard == v);
    CHECK(part->text == text);
    CHECK(part->rows == expected[v].size());
    CHECK(part->crc32 ==
          static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(text.data()),
                                      static_cast<uInt>(text.size()))));
    // Members, a non-member of this vshard and an unknown key of this vshard.
    std::vector<std::string> keys;
    std::vector<bool> want;
    for (uint64_t key : expected[v]) {
      keys.push_back(std::to_string(key));
      want.push_back(true);
    }
    for (int i = 1; i <= 1000 && keys.size() == expected[v].size(); ++i)
      if (i % 100 >= 10 && vshard_of(uint64_t{7919} * i, db->vshard_count()) == v) {
        keys.push_back(std::to_string(uint64_t{7919} * i));
        want.push_back(false);
      }
    for (uint64_t unknown = 1;; ++unknown)
      if (vshard_of(unknown, db->vshard_count()) == v && unknown % 7919 != 0) {
        keys.push_back(std::to_string(unknown));
        want.push_back(false);
        break;
      }
    std::vector<std::string> stored;
    for (const std::string& key : keys) {
      auto located = db->locate_key("user", key);
      REQUIRE_OK(located);
      REQUIRE(located->first == v);
      stored.push_back(located->second);
    }
    auto answers = db->contains_vshard("young", 1, v, stored);
    REQUIRE_OK(answers);
    CHECK(*answers == want);
  }
  uint64_t elsewhere = expected[1].front();
  check_error(db->contains_vshard("young", 1, 0, {encode_key(elsewhere)}).error(),
              error_code::invalid_argument,
              "key '" + std::to_string(elsewhere) + "' belongs to vshard 1, not 0");
  check_error(db->export_vshard("young", 2, 0).error(), error_code::not_found,
              "group 'young' has no version 2");
  check_error(db->export_vshard("old", 1, 0).error(), error_code::not_found, "no group 'old'");
}

TEST_CASE("an upload resolved and stored one vshard at a time: members and unknown keys",
          "[group][vshard]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("listed", "user"));
  // Per vshard: its first two people and two unknown keys of it.
  uint32_t n = db->vshard_count();
  std::vector<std::vector<std::string>> keys(n), unknown(n);
  for (int i = 1; i <= 1000; ++i) {
    uint32_t v = vshard_of(uint64_t{7919} * i, n);
    if (keys[v].size() < 2)
      keys[v].push_back(std::to_string(uint64_t{7919} * i));
  }
  for (uint64_t key = 1; key < 1000; ++key) {
    uint32_t v = vshard_of(key, n);
    if (unknown[v].size() < 2) {
      unknown[v].push_back(std::to_string(key));
      keys[v].push_back(std::to_string(key));
    }
  }
  std::vector<std::string> all;
  for (const auto& list : keys)
    all.insert(all.end(), list.begin(), list.end());
  auto split = db->keys_by_vshard("user", all);
  REQUIRE_OK(split);
  for (uint32_t v = 0, position = 0; v < n; ++v) {
    const keys_of_vshard& part = split->at(v);
    CHECK(part.keys == keys[v]);
    REQUIRE(part.stored.size() == part.keys.size());
    for (size_t i = 0; i < part.keys.size(); ++i)
      CHECK(part.stored[i] == encode_key(std::stoull(part.keys[i])));
    for (size_t p : part.positions)
      CHECK(p == position++);
  }
  check_error(db->keys_by_vshard("user", {"1", "x"}).error(), error_code::invalid_argument,
              "key 'x' is not an unsigned 64-bit integer");

  auto pending = db->begin_group_version("listed", "user");
  REQUIRE_OK(pending);
  uint64_t members = 0;
  for (uint32_t v = 0; v < n; ++v) {
    const keys_of_vshard& share = split->at(v); // keys[v], as checked above
    auto part = db->resolve_vshard("user", v, share);
    REQUIRE_OK(part);
    CHECK(part->ordinals.size() == 2);
    std::vector<std::string> unknown_here;
    for (uint32_t i : part->unknown)
      unknown_here.push_back(share.keys.at(i));
    CHECK(unknown_here == unknown[v]);
    bitmap known = bitmap::of(part->ordinals);
    REQUIRE_STATUS_OK(db->store_group_part(*pending, v, known));
    members += known.cardinality();
  }
  auto committed = db->commit_group_version(*pending, members, "", {});
  REQUIRE_OK(committed);
  CHECK(committed->count == 2 * n);
  CHECK(tagd::testing::estimate_count(*db, "IN GROUP listed") == 2 * n);
  auto wrong = db->resolve_vshard("user", 0, split->at(1)); // keys[1], vshard 1's
  check_error(wrong.error(), error_code::invalid_argument,
              "key '" + keys[1].front() + "' belongs to vshard 1, not 0");
}

TEST_CASE("group versions begun together get their own numbers; an aborted one leaves nothing",
          "[group][vshard]") {
  temp_dir dir;
  auto db = loaded_db(dir);
  REQUIRE_STATUS_OK(db->define_group("g", "user"));
  REQUIRE_OK(db->select("g", "age < 1"));
  auto plan = db->plan("user", *parse_expression("age < 5"), {});
  REQUIRE_OK(plan);
  auto write_all = [&](const pending_group_version& p) {
    uint64_t total = 0;
    for (uint32_t v = 0; v < db->vshard_count(); ++v) {
      auto count = db->select_vshard(p, *plan, v);
      REQUIRE_OK(count);
      total += *count;
    }
    return total;
  };
  auto first = db->begin_group_version("g", "user");
  auto second = db->begin_group_version("g", "user");
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  CHECK(first->version == 2);
  CHECK(second->version == 3);
  // The later one commits first; versions stay in order and the latest is the highest.
  REQUIRE_OK(db->commit_group_version(*second, write_all(*second), "age < 5", {}));
  REQUIRE_OK(db->commit_group_version(*first, write_all(*first), "age < 5", {}));
  std::vector<uint32_t> numbers;
  for (const group_version& gv : db->snapshot()->find_group("g")->versions)
    numbers.push_back(gv.version);
  CHECK(numbers == std::vector<uint32_t>{1, 2, 3});
  check_error(db->commit_group_version(*first, 50, "age < 5", {}).error(),
              error_code::already_exists, "group 'g' version 2 is already committed");

  // An aborted version: its members are dropped everywhere and its number is free again.
  auto aborted = db->begin_group_version("g", "user");
  REQUIRE_OK(aborted);
  CHECK(aborted->version == 4);
  write_all(*aborted);
  REQUIRE_STATUS_OK(db->abort_group_version(*aborted));
  for (uint32_t v = 0; v < db->vshard_count(); ++v) {
    auto store = db->vshard("user", v);
    REQUIRE_OK(store);
    auto reader = (*store)->read();
    REQUIRE_OK(reader);
    auto members = reader->group(aborted->group_id, 4);
    REQUIRE_OK(members);
    CHECK(roaring_bitmap_get_cardinality(*members) == 0);
  }
  CHECK(db->snapshot()->find_group("g")->versions.size() == 3);
  auto again = db->begin_group_version("g", "user");
  REQUIRE_OK(again);
  CHECK(again->version == 4);

  check_error(db->begin_group_version("nosuch", "user").error(), error_code::not_found,
              "no group 'nosuch'");
  REQUIRE_STATUS_OK(db->define_entity("shop", key_kind::string));
  check_error(db->begin_group_version("g", "shop").error(), error_code::type_mismatch,
              "group 'g' holds entity type 'user', not 'shop'");
  query_plan shop_plan = *plan;
  shop_plan.entity = "shop";
  check_error(db->select_vshard(*again, shop_plan, 0).error(), error_code::type_mismatch,
              "group 'g' holds entity type 'user', the expression 'shop'");
}

// ---- dropping groups ----

namespace {

// Group ids with members stored in any vshard of `user`.
std::set<uint32_t> stored_group_ids(database& db) {
  std::set<uint32_t> ids;
  for (uint32_t v = 0; v < db.vshard_count(); ++v) {
    auto store = db.vshard("user", v);
    REQUIRE_OK(store);
    auto stored = (*store)->stored_group_ids();
    REQUIRE_OK(stored);
    ids.insert(stored->begin(), stored->end());
  }
  return ids;
}

} // namespace

TEST_CASE("dropping a group removes every version from every vshard", "[group][drop]") {
  temp_dir dir;
  uint32_t old_id = 0;
  {
    auto db = loaded_db(dir);
    REQUIRE_STATUS_OK(db->define_group("g", "user"));
    REQUIRE_OK(db->select("g", "age < 10"));
    REQUIRE_OK(db->select("g", "age < 20"));
    old_id = db->snapshot()->find_group("g")->id;
    CHECK(stored_group_ids(*db).count(old_id) == 1);
    REQUIRE_STATUS_OK(
        db->define_composite("user", "in_g", "IN GROUP g VERSION 1 OR age = 99", true));
    check_error(db->drop_group("g"), error_code::invalid_argument,
                "group 'g' cannot be dropped: composite tag 'in_g' uses it");
    CHECK(tagd::testing::estimate_count(*db, "IN GROUP g") == 200); // nothing changed

    REQUIRE_STATUS_OK(db->define_composite("user", "in_g", "age = 99", true));
    REQUIRE_STATUS_OK(db->drop_group("g"));
    CHECK(db->snapshot()->find_group("g") == nullptr);
    CHECK(stored_group_ids(*db).count(old_id) == 0);
    auto gone = db->estimate("user", "IN GROUP g");
    REQUIRE_FALSE(gone.is_ok());
    CHECK(gone.error().code() == error_code::not_found);
    check_error(db->contains("g", std::nullopt, "7919").error(), error_code::not_found,
                "no group 'g'");
    check_error(db->drop_group("g"), error_code::not_found, "no group 'g'");
    CHECK(tagd::testing::estimate_count(*db, "in_g") == 10);
  }
  // After reopening: still gone; a new group of the same name starts from version 1.
  auto db = tagd::testing::open_database(dir, 8);
  CHECK(db->snapshot()->find_group("g") == nullptr);
  REQUIRE_STATUS_OK(db->define_group("g", "user"));
  auto v1 = db->select("g", "age = 50");
  REQUIRE_OK(v1);
  CHECK(v1->version == 1);
  CHECK(v1->count == 10);
  auto member = db->contains("g", 1, "7919"); // age 1: a member of the dropped group's version 1
  REQUIRE_OK(member);
  CHECK_FALSE(*member);
}

TEST_CASE("a version written into a group dropped meanwhile is not committed and is cleaned up",
          "[group][drop]") {
  temp_dir dir;
  uint32_t old_id = 0;
  {
    auto db = loaded_db(dir);
    REQUIRE_STATUS_OK(db->define_group("g", "user"));
    auto pending = db->begin_group_version("g", "user");
    REQUIRE_OK(pending);
    old_id = pending->group_id;
    REQUIRE_STATUS_OK(db->drop_group("g"));
    REQUIRE_STATUS_OK(db->define_group("g", "user")); // a new group under the old name
    auto plan = db->plan("user", *parse_expression("age < 10"), {});
    REQUIRE_OK(plan);
    for (uint32_t v = 0; v < db->vshard_count(); ++v)
      REQUIRE_OK(db->select_vshard(*pending, *plan, v));
    check_error(db->commit_group_version(*pending, 100, "age < 10", {}).error(),
                error_code::not_found, "group 'g' was dropped meanwhile");
    CHECK(db->snapshot()->find_group("g")->versions.empty());
    CHECK(stored_group_ids(*db).count(old_id) == 1); // until the next open
  }
  auto db = tagd::testing::open_database(dir, 8);
  CHECK(stored_group_ids(*db).count(old_id) == 0);
}
