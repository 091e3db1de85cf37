#pragma once
// A new database under `dir`/data with `vshards` vshards, failing the test if it cannot open;
// and one holding a small table, for tests that need some keys and a tag.

#include "shards/database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <memory>
#include <string>

namespace tagd::testing {

inline std::unique_ptr<database> open_database(const temp_dir& dir, uint32_t vshards) {
  database_options options;
  options.vshards = vshards;
  auto opened = database::open(dir / "data", options);
  REQUIRE_OK(opened);
  return std::move(opened).value();
}

// The offline table `people` (key `id`, int `age`) loaded as version "v1": keys k * key_step
// with age k % ages, for k = 1 .. n.
inline std::unique_ptr<database> open_people_by_age(const temp_dir& dir, uint32_t vshards,
                                                    uint64_t n, uint64_t key_step, uint64_t ages) {
  auto db = open_database(dir, vshards);
  table_spec spec;
  spec.name = "people";
  spec.key_column = "id";
  spec.columns = {{"age", "", tag_kind::int_}};
  REQUIRE_STATUS_OK(db->define_table(spec));
  std::string csv = "id,age\n";
  for (uint64_t k = 1; k <= n; ++k)
    csv += std::to_string(k * key_step) + "," + std::to_string(k % ages) + "\n";
  write_file(dir / "people.csv", csv);
  REQUIRE_OK(db->import_files("people", "v1", {dir / "people.csv"}, {}));
  return db;
}

} // namespace tagd::testing
