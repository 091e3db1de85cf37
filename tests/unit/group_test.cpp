// Groups: selection into immutable versions, export, upload, membership and groups_of.
#include "shards/database.hpp"
#include "support/estimate.hpp"
#include "support/open_database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <zlib.h>

#include <fstream>
#include <set>
#include <sstream>

using namespace tagd;
using tagd::testing::temp_dir;
using tagd::testing::write_file;

namespace {

std::unique_ptr<database> loaded_db(const temp_dir& dir) {
  auto db = tagd::testing::open_database(dir, 8);
  table_spec spec;
  spec.name = "people";
  spec.key_column = "id";
  spec.columns = {{"age", "", tag_kind::int_}};
  REQUIRE_STATUS_OK(db->define_table(spec));
  std::string csv = "id,age\n";
  for (int i = 1; i <= 1000; ++i)
    csv += std::to_string(i * 7919ull) + "," + std::to_string(i % 100) + "\n";
  write_file(dir / "people.csv", csv);
  REQUIRE_OK(db->import_files("people", "v1", {dir / "people.csv"}, {}));
  return db;
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
  CHECK((std::set<std::string>(report->unknown_sample.begin(), report->unknown_sample.end()) ==
         std::set<std::string>{"5", "6"}));
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
