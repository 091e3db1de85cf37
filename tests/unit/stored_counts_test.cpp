// Counts answered from stored counts (a value leaf, or NOT of one, on immutable storage) must
// follow every change of the data: a new table version, real-time rows, a universe that grows.
// Each expected figure is counted here from the rows written.
#include "shards/database.hpp"
#include "support/estimate.hpp"
#include "support/open_database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

using namespace tagd;
using tagd::testing::estimate_count;
using tagd::testing::temp_dir;
using tagd::testing::write_file;

namespace {

// Keys 1..n; key k lives in city "c<k % cities>".
std::string people_csv(uint64_t n, uint64_t cities) {
  std::string csv = "id,city\n";
  for (uint64_t k = 1; k <= n; ++k)
    csv += std::to_string(k * 104729) + ",c" + std::to_string(k % cities) + "\n";
  return csv;
}

uint64_t in_city(uint64_t n, uint64_t cities, uint64_t city) {
  uint64_t count = 0;
  for (uint64_t k = 1; k <= n; ++k)
    count += k % cities == city;
  return count;
}

// A database with the offline table `people` (key `id`, enum `city`) loaded from people_csv().
std::unique_ptr<database> people_db(const temp_dir& dir, uint64_t n, uint64_t cities) {
  auto db = tagd::testing::open_database(dir, 4);
  table_spec spec;
  spec.name = "people";
  spec.key_column = "id";
  spec.columns = {{"city", "", tag_kind::enum_}};
  REQUIRE_STATUS_OK(db->define_table(spec));
  write_file(dir / "v1.csv", people_csv(n, cities));
  REQUIRE_OK(db->import_files("people", "v1", {dir / "v1.csv"}, {}));
  return db;
}

} // namespace

TEST_CASE("stored counts follow new table versions", "[stored_counts]") {
  temp_dir dir;
  auto db = people_db(dir, 1000, 7);
  for (int twice = 0; twice < 2; ++twice) { // the second round reads the stored counts
    CHECK(estimate_count(*db, "city = 'c3'") == in_city(1000, 7, 3));
    CHECK(estimate_count(*db, "city IN ('c1', 'c2')") == in_city(1000, 7, 1) + in_city(1000, 7, 2));
    CHECK(estimate_count(*db, "NOT city = 'c3'") == 1000 - in_city(1000, 7, 3));
    CHECK(estimate_count(*db, "city IS NOT NULL") == 1000);
  }
  write_file(dir / "v2.csv", people_csv(500, 5));
  REQUIRE_OK(db->import_files("people", "v2", {dir / "v2.csv"}, {}));
  CHECK(estimate_count(*db, "city = 'c3'") == in_city(500, 5, 3));
  CHECK(estimate_count(*db, "NOT city = 'c3'") == 500 - in_city(500, 5, 3));
  CHECK(estimate_count(*db, "city IS NOT NULL") == 500);
}

TEST_CASE("stored counts never answer for real-time rows or a real-time universe",
          "[stored_counts]") {
  temp_dir dir;
  auto db = people_db(dir, 300, 3);
  table_spec live;
  live.name = "live";
  live.mode = table_mode::realtime;
  live.columns = {{"state", "", tag_kind::enum_}};
  REQUIRE_STATUS_OK(db->define_table(live));

  REQUIRE_STATUS_OK(db->upsert("live", {{"1", {"on"}}, {"2", {"on"}}}));
  CHECK(estimate_count(*db, "state = 'on'") == 2);
  CHECK(estimate_count(*db, "NOT city = 'c0'") == 300 - in_city(300, 3, 0) + 2);
  // Keys 3 and 4 are new to the entity: the universe grows by two, the leaf by three.
  REQUIRE_STATUS_OK(db->upsert("live", {{"3", {"on"}}, {"4", {"on"}}, {"104729", {"on"}}}));
  CHECK(estimate_count(*db, "state = 'on'") == 5);
  CHECK(estimate_count(*db, "NOT city = 'c0'") == 300 - in_city(300, 3, 0) + 4);
  CHECK(estimate_count(*db, "NOT state = 'on'") == 300 + 4 - 5);
  auto removed = db->remove("live", {"1", "2", "3", "4", "104729"});
  REQUIRE_OK(removed);
  CHECK(estimate_count(*db, "state = 'on'") == 0);
  CHECK(estimate_count(*db, "NOT city = 'c0'") == 300 - in_city(300, 3, 0));
}
