#pragma once
// A deterministic generator of the benchmark's four user tables (bench_schema.hpp) at any
// number of users: the same seed and user count give byte-identical files. Every row draws
// from its own random stream (seed, table, user index), so files do not depend on each other.
//
// Shapes: profile covers every user (city Zipf s=1.1 over 300 cities, age normal 38±12 clipped
// to 16..90 with 3% NULL, gender 3 values with 1% NULL, vip 7%); orders ~60% (total_spend
// lognormal with median 80.00 and 5% NULL, order_count geometric 1..200, last_order in the 365
// days up to 2026-11-25, skewed recent); interests ~45% (0-6 of 40 interests, Zipf-skewed;
// channel 5 values); device_activity ~30% (os 4 values, app_version, active_days 0..30).

#include <cstdint>
#include <string>
#include <vector>

namespace tagd::bench {

struct generator_options {
  uint64_t users = 0;
  uint64_t seed = 42;
  bool string_keys = false; // "u" + 16 hex digits instead of the decimal u64
};

struct generated_file {
  std::string table;
  std::string path;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

// Writes <directory>/<table>.csv for every table; throws std::runtime_error on I/O errors.
std::vector<generated_file> generate_data(const generator_options& options,
                                          const std::string& directory);
generated_file generate_table(const generator_options& options, const std::string& table,
                              const std::string& path);

// The key of user `index` (1..N): a bijection of the index (the splitmix64 finalizer), so keys
// are distinct and spread over the whole 64-bit space, independent of the seed.
uint64_t user_key(uint64_t index);
std::string string_key(uint64_t key);

// Value names, for writing queries: cities by popularity rank (1 = most frequent).
std::string city_name(unsigned rank);
inline constexpr unsigned kCityCount = 300;
const std::vector<std::string>& interest_names(); // by popularity rank
const std::vector<std::string>& channel_names();
const std::vector<std::string>& os_names();
const std::vector<std::string>& gender_names();

} // namespace tagd::bench
