#pragma once
// The rest of an audience's life after estimation: select it into a group version, export the
// version as part files, and validate membership key by key and in batches — each step timed
// and each answer checked against an independent source (the exported files and the baseline).

#include "shards/database.hpp"

#include <cstdint>
#include <string>

namespace tagd::bench {

struct audience_figures {
  std::string expression;
  uint64_t members = 0;
  double select_ms = 0;
  double export_ms = 0;
  uint64_t export_bytes = 0;
  uint64_t probes = 0;
  double single_p50_us = 0;    // one contains() call
  double batch_keys_per_s = 0; // contains_many() over batches of 1,000 keys
};

// Throws std::runtime_error when any answer disagrees with the exported files or with
// `expected_members` (the baseline's count).
audience_figures run_audience_demo(database& db, const std::string& entity,
                                   const std::string& expression, uint64_t expected_members,
                                   uint64_t users, bool string_keys,
                                   const std::string& export_directory);

} // namespace tagd::bench
