#pragma once
// The tagd side of the benchmark: the tables defined from bench_schema, the import of the
// generated files, and the size of what tagd stores.

#include "bench/bench_schema.hpp"
#include "shards/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tagd::bench {

table_spec to_table_spec(const bench_table& table, const std::string& entity);

struct tagd_import {
  std::vector<import_report> reports; // per table, in bench_tables() order
  double seconds = 0;                 // wall time of all import_files calls
  uint64_t rows = 0;
};

// The entity type the benchmark's tables feed: "user" (u64 keys, defined by database::open) or,
// for string keys, "user_text", defined by import_tables.
std::string bench_entity(bool string_keys);

// Defines every benchmark table and imports <csv_directory>/<table>.csv into it; throws
// std::runtime_error naming the table on any error or rejected row.
tagd_import import_tables(database& db, const std::string& csv_directory, bool string_keys);

// What tagd keeps for queries, measured two ways that do not depend on the storage layout:
// the LMDB values of every vshard's `bitmaps` database (however bitmaps are grouped into
// values), and every bitmap the current table versions hold, fetched through vshard_reader.
struct stored_bitmaps {
  uint64_t lmdb_values = 0;    // entries of the `bitmaps` databases
  uint64_t value_bytes = 0;    // their sizes: what queries read from the LMDB map
  uint64_t bitmaps = 0;        // bitmaps reachable through vshard_reader (present, value, slices)
  uint64_t portable_bytes = 0; // their roaring_bitmap_portable_size_in_bytes
};
stored_bitmaps measure_stored_bitmaps(database& db, const std::string& entity);

// Throws std::runtime_error with the status text when `s` is an error.
void check(const status& s, const std::string& doing);

} // namespace tagd::bench
