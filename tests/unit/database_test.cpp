#include "shards/database.hpp"
#include "shards/partition.hpp"
#include "shards/typed_value.hpp"
#include "support/estimate.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace tagd;
using tagd::testing::estimate_count;
using tagd::testing::temp_dir;
using tagd::testing::write_file;

namespace {

table_spec profile_table() {
  table_spec spec;
  spec.name = "profile";
  spec.key_column = "uid";
  spec.columns = {{"city", "city", tag_kind::enum_},
                  {"age", "age", tag_kind::int_},
                  {"vip", "vip", tag_kind::bool_},
                  {"spend", "spend", tag_kind::decimal, 12, 2},
                  {"interests", "interests", tag_kind::set},
                  {"last_seen", "last_seen", tag_kind::time, 18, 0, time_unit::date}};
  return spec;
}

const char* profile_csv = "uid,city,age,vip,spend,interests,last_seen\n"
                          "1,Shanghai,25,true,100.50,tea;golf,2026-11-20\n"
                          "2,Beijing,31,false,20,tea,2026-10-01\n"
                          "3,Shanghai,19,,\\N,,\n"
                          "4,Shenzhen,45,true,999999.99,golf;wine;tea,2026-11-24\n"
                          "5,,,,,,\n";

int64_t noon(int y, unsigned m, unsigned d) {
  return days_from_civil(y, m, d) * 86400 + 43200;
}

} // namespace

TEST_CASE("a loaded table answers estimates of every leaf kind", "[database]") {
  temp_dir dir;
  database_options options;
  options.vshards = 4;
  auto db = database::open(dir.path(), options);
  REQUIRE_OK(db);
  REQUIRE_STATUS_OK((*db)->define_table(profile_table()));
  write_file(dir / "profile.csv", profile_csv);
  auto report = (*db)->import_files("profile", "2026-11-24", {dir / "profile.csv"}, {});
  REQUIRE_OK(report);
  CHECK(report->rows_loaded == 5);
  CHECK(report->keys == 5);
  CHECK(report->rejected_count == 0);

  query_options at;
  at.now = noon(2026, 11, 25);
  auto count = [&](const std::string& e) { return estimate_count(**db, e, at); };
  CHECK(count("city = 'Shanghai'") == 2);
  CHECK(count("city != 'Shanghai'") == 2);
  CHECK(count("city IS NULL") == 1);
  CHECK(count("NOT city = 'Shanghai'") == 3);
  CHECK(count("city IN ('Beijing', 'Shenzhen', 'Nowhere')") == 2);
  CHECK(count("age > 20") == 3);
  CHECK(count("age BETWEEN 19 AND 31") == 3);
  CHECK(count("age < 19") == 0);
  CHECK(count("vip") == 2);
  CHECK(count("vip = FALSE") == 1);
  CHECK(count("spend >= 100.5") == 2);
  CHECK(count("spend < 100.501") == 2);
  CHECK(count("spend > 100.501") == 1);
  CHECK(count("interests HAS 'tea'") == 3);
  CHECK(count("interests HAS ALL ('tea', 'golf')") == 2);
  CHECK(count("interests HAS ANY ('wine', 'golf')") == 2);
  CHECK(count("last_seen WITHIN 7 DAYS") == 2);
  CHECK(count("last_seen < '2026-11-01'") == 1);
  CHECK(count("city = 'Shanghai' AND age > 20 OR vip = FALSE") == 2);
  CHECK(count("NOT (age > 20)") == 2);
  CHECK(count("age IS NULL") == 1);
}

// Regression: a 19-digit literal on an int tag was refused as "too many integer digits for
// DECIMAL(18,0)" (found by the differential test).
TEST_CASE("int literals up to and past the int64 range compare exactly", "[database]") {
  temp_dir dir;
  database_options options;
  options.vshards = 2;
  auto db = database::open(dir.path(), options);
  REQUIRE_OK(db);
  table_spec spec;
  spec.name = "t";
  spec.key_column = "k";
  spec.columns = {{"v", "v", tag_kind::int_}, {"d", "d", tag_kind::decimal, 4, 2}};
  REQUIRE_STATUS_OK((*db)->define_table(spec));
  write_file(dir / "t.csv", "k,v,d\n1,4611686018427387906,10.01\n2,-9223372036854775808,-10.01\n"
                            "3,9223372036854775807,0\n");
  REQUIRE_OK((*db)->import_files("t", "v1", {dir / "t.csv"}, {}));
  auto count = [&](const std::string& e) { return estimate_count(**db, e); };
  CHECK(count("v = 4611686018427387906") == 1);
  CHECK(count("v IN (-370138, 4611686018427387906)") == 1);
  CHECK(count("v < 99999999999999999999") == 3);
  CHECK(count("v > 99999999999999999999") == 0);
  CHECK(count("v >= -99999999999999999999") == 3);
  CHECK(count("v = 9223372036854775808") == 0);
  CHECK(count("v != 9223372036854775808") == 3);
  CHECK(count("v NOT IN (9223372036854775807, -9223372036854775808)") == 1);
  CHECK(count("v <= -9223372036854775808") == 1);
  CHECK(count("d > 99.99") == 0); // past DECIMAL(4,2)'s precision, still a valid comparison
  CHECK(count("d >= 10.005") == 1);
  CHECK(count("d > -10.015") == 3);
  CHECK(count("d BETWEEN -10.01 AND 10.009") == 2);
}

TEST_CASE("breakdown counts each value among the matches", "[database]") {
  temp_dir dir;
  database_options options;
  options.vshards = 4;
  auto db = database::open(dir.path(), options);
  REQUIRE_OK(db);
  REQUIRE_STATUS_OK((*db)->define_table(profile_table()));
  write_file(dir / "profile.csv", profile_csv);
  REQUIRE_OK((*db)->import_files("profile", "v1", {dir / "profile.csv"}, {}));
  auto cities = (*db)->breakdown("user", "age >= 19", "city");
  REQUIRE_OK(cities);
  CHECK((*cities ==
         std::map<std::string, uint64_t>{{"Beijing", 1}, {"Shanghai", 2}, {"Shenzhen", 1}}));
  auto interests = (*db)->breakdown("user", "vip", "interests");
  REQUIRE_OK(interests);
  CHECK((*interests == std::map<std::string, uint64_t>{{"golf", 2}, {"tea", 2}, {"wine", 1}}));
  auto vip = (*db)->breakdown("user", "city = 'Shanghai'", "vip");
  REQUIRE_OK(vip);
  CHECK((*vip == std::map<std::string, uint64_t>{{"true", 1}}));
  // Per vshard: the users of each vshard (by the partition function) aged 19 or more.
  std::vector<std::map<std::string, uint64_t>> expected(4);
  for (auto [uid, city] : std::vector<std::pair<uint64_t, std::string>>{
           {1, "Shanghai"}, {2, "Beijing"}, {3, "Shanghai"}, {4, "Shenzhen"}})
    ++expected[vshard_of(uid, 4)][city];
  auto bound = (*db)->plan_breakdown("user", "age >= 19", "city");
  REQUIRE_OK(bound);
  for (uint32_t v = 0; v < 4; ++v) {
    auto part = (*db)->breakdown_vshard(*bound, v);
    REQUIRE_OK(part);
    CHECK(*part == expected[v]);
  }
  auto ranged = (*db)->breakdown("user", "vip", "age");
  REQUIRE_FALSE(ranged.is_ok());
  CHECK(ranged.error().code() == error_code::type_mismatch);
  auto unknown = (*db)->breakdown("user", "vip", "nosuch");
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(unknown.error().code() == error_code::unknown_tag);
}

TEST_CASE("bad expressions fail with a code, the column and the tag", "[database]") {
  temp_dir dir;
  database_options options;
  options.vshards = 2;
  auto db = database::open(dir.path(), options);
  REQUIRE_OK(db);
  REQUIRE_STATUS_OK((*db)->define_table(profile_table()));
  auto error_of = [&](const std::string& e) {
    auto n = (*db)->estimate("user", e);
    REQUIRE_FALSE(n.is_ok());
    return n.error().to_string();
  };
  CHECK(error_of("city = ") ==
        "INVALID_EXPRESSION: column 8: expected a value, found end of input");
  CHECK(error_of("age > 1 AND tier = 'x'") ==
        "UNKNOWN_TAG: column 13: no tag 'tier' for entity type 'user'");
  CHECK(error_of("age = 'old'") ==
        "TYPE_MISMATCH: column 1: tag 'age' is int: compare it with a number");
  CHECK(error_of("city > 'A'") == "TYPE_MISMATCH: column 1: tag 'city' is enum: only =, !=, IN, "
                                  "NOT IN, HAS and IS NULL apply");
  CHECK(error_of("vip = 1") ==
        "TYPE_MISMATCH: column 1: tag 'vip' is bool: compare it with TRUE or FALSE");
  CHECK(error_of("last_seen < '2026-13-01'") ==
        "TYPE_MISMATCH: column 1: tag 'last_seen' is a date: no such date '2026-13-01'");
  CHECK(error_of("age WITHIN 3 DAYS") ==
        "TYPE_MISMATCH: column 1: tag 'age' is int: WITHIN needs a time tag");
  CHECK(error_of("city") ==
        "TYPE_MISMATCH: column 1: tag 'city' is enum, not bool: write a comparison");
  CHECK(error_of("IN GROUP nosuch") == "NOT_FOUND: column 1: no group 'nosuch'");
  auto other = (*db)->estimate("merchant", "vip");
  REQUIRE_FALSE(other.is_ok());
  CHECK(other.error().to_string() == "NOT_FOUND: no entity type 'merchant'");
}

TEST_CASE("ranges on one tag under AND merge into one range", "[database]") {
  temp_dir dir;
  database_options options;
  options.vshards = 2;
  auto db = database::open(dir.path(), options);
  REQUIRE_OK(db);
  REQUIRE_STATUS_OK((*db)->define_table(profile_table()));
  write_file(dir / "profile.csv", profile_csv);
  REQUIRE_OK((*db)->import_files("profile", "v1", {dir / "profile.csv"}, {}));
  auto plan = (*db)->plan("user", *parse_expression("age >= 19 AND vip AND age < 31"), {});
  REQUIRE_OK(plan);
  REQUIRE(plan->root.children.size() == 2);
  const plan_node& range = plan->root.children[0];
  CHECK(range.type == plan_node::kind::range);
  CHECK((range.ranges == std::vector<std::pair<int64_t, int64_t>>{{19, 30}}));
  auto count = [&](const std::string& e) { return estimate_count(**db, e); };
  CHECK(count("age >= 19 AND age < 31") == 2);
  CHECK(count("age != 25 AND age BETWEEN 19 AND 45") == 3);
  CHECK(count("age > 40 AND age < 20") == 0);
  CHECK(count("age NOT IN (19, 31) AND age >= 19") == 2);
}
