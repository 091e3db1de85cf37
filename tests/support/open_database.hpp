#pragma once
// A new database under `dir`/data with `vshards` vshards, failing the test if it cannot open.

#include "shards/database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <memory>

namespace tagd::testing {

inline std::unique_ptr<database> open_database(const temp_dir& dir, uint32_t vshards) {
  database_options options;
  options.vshards = vshards;
  auto opened = database::open(dir / "data", options);
  REQUIRE_OK(opened);
  return std::move(opened).value();
}

} // namespace tagd::testing
