#include "bench/bench_schema.hpp"

namespace tagd::bench {

const std::vector<bench_table>& bench_tables() {
  static const std::vector<bench_table> tables = {
      {"profile",
       {{"city", column_kind::enum_},
        {"age", column_kind::int_},
        {"gender", column_kind::enum_},
        {"vip", column_kind::bool_}}},
      {"orders",
       {{"total_spend", column_kind::decimal2},
        {"order_count", column_kind::int_},
        {"last_order", column_kind::date}}},
      {"interests", {{"interests", column_kind::set}, {"channel", column_kind::enum_}}},
      {"device_activity",
       {{"os", column_kind::enum_},
        {"app_version", column_kind::int_},
        {"active_days", column_kind::int_}}},
  };
  return tables;
}

std::string table_file(const std::string& directory, const std::string& table) {
  return directory + "/" + table + ".csv";
}

// The benchmark's own date arithmetic, not shards/typed_value's: the baseline checks tagd's
// counts, so it must not share tagd's code for what it checks.
int64_t civil_to_days(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void days_to_civil(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

} // namespace tagd::bench
