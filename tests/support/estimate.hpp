#pragma once
// The count of an expression over entity type `user`, failing the test (with the expression and
// the error) when the estimate fails.

#include "shards/database.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tagd::testing {

inline uint64_t estimate_count(database& db, const std::string& e, const query_options& at = {}) {
  auto n = db.estimate("user", e, at);
  INFO(e << ": " << (n ? std::string("ok") : n.error().to_string()));
  REQUIRE(n.is_ok());
  return *n;
}

} // namespace tagd::testing
