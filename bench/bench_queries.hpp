#pragma once
// The benchmark's expressions, each with its hand-written evaluation against the baseline.
// Both must give exactly the same count; the shapes cover single leaves, lists, ranges of
// every ranged kind, ANDs over 2-4 tables, OR, NOT, set operators, broad and narrow results,
// and a ten-predicate expression.

#include "bench/baseline.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tagd::bench {

struct bench_query {
  std::string name;
  std::string expression; // tagd's text form, evaluated at now_seconds()
  std::function<uint64_t(const baseline&)> baseline_count;
};

const std::vector<bench_query>& bench_queries();

} // namespace tagd::bench
