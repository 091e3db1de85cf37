#pragma once
// The four user tables of the benchmark, described once: the data generator writes them, the
// baseline parses them and tagd_bench defines them in tagd. Every file is
// <directory>/<table>.csv with a header; the key column `user_id` comes first.

#include <cstdint>
#include <string>
#include <vector>

namespace tagd::bench {

enum class column_kind { enum_, bool_, set, int_, decimal2, date };

struct bench_column {
  std::string name;
  column_kind kind;
};

struct bench_table {
  std::string name;
  std::vector<bench_column> columns; // after the key column
};

inline const char* kKeyColumn = "user_id";
inline const char* kSetSeparator = ";";

// The fixed "now" of the data set: last_order dates lie in the 365 days up to this date.
inline constexpr int kNowYear = 2026;
inline constexpr unsigned kNowMonth = 11;
inline constexpr unsigned kNowDay = 25;

const std::vector<bench_table>& bench_tables();
std::string table_file(const std::string& directory, const std::string& table);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms).
int64_t civil_to_days(int64_t year, unsigned month, unsigned day);
void days_to_civil(int64_t days, int64_t& year, unsigned& month, unsigned& day);
inline int64_t now_days() {
  return civil_to_days(kNowYear, kNowMonth, kNowDay);
}
// Noon UTC of the "now" date, in seconds: what queries pass as query_options::now.
inline int64_t now_seconds() {
  return now_days() * 86400 + 43200;
}

} // namespace tagd::bench
