#include "shards/typed_value.hpp"

#include <catch2/catch.hpp>

using namespace tagd;

TEST_CASE("typed values: integers", "[typed_value]") {
  CHECK(*parse_int("0") == 0);
  CHECK(*parse_int("-42") == -42);
  CHECK(*parse_int("+7") == 7);
  CHECK(*parse_int("9223372036854775807") == INT64_MAX);
  CHECK(*parse_int("-9223372036854775808") == INT64_MIN);
  CHECK_FALSE(parse_int("9223372036854775808").is_ok());
  CHECK_FALSE(parse_int("").is_ok());
  CHECK_FALSE(parse_int("12a").is_ok());
  CHECK_FALSE(parse_int(" 1").is_ok());
  CHECK(parse_int("1.5").error().code() == error_code::bad_row);
}

TEST_CASE("typed values: decimals are exact scaled integers", "[typed_value]") {
  CHECK(*parse_decimal("100.50", 12, 2) == 10050);
  CHECK(*parse_decimal("100.5", 12, 2) == 10050);
  CHECK(*parse_decimal("100", 12, 2) == 10000);
  CHECK(*parse_decimal("-0.01", 12, 2) == -1);
  CHECK(*parse_decimal("0009999999999.99", 12, 2) == 999999999999);
  CHECK(*parse_decimal("1.230", 12, 2) == 123);             // a trailing zero is no extra digit
  CHECK_FALSE(parse_decimal("10000000000", 12, 2).is_ok()); // 11 integer digits > 10
  auto excess = parse_decimal("1.234", 12, 2);
  REQUIRE_FALSE(excess.is_ok());
  CHECK(excess.error().message() == "more than 2 decimal places: '1.234'");
  auto scaled = parse_scaled("1.234", 2);
  REQUIRE(scaled.is_ok());
  CHECK(scaled->floor == 123);
  CHECK(scaled->fraction);
  scaled = parse_scaled("-1.234", 2);
  CHECK(scaled->floor == -124); // floor
  CHECK(scaled->fraction);
  scaled = parse_scaled("-1.230", 2);
  CHECK(scaled->floor == -123);
  CHECK_FALSE(scaled->fraction);
  // Literals past int64 stay exact, so comparisons against them are still answered.
  scaled = parse_scaled("99999999999999999999", 0);
  CHECK(scaled->floor == static_cast<__int128>(9999999999ull) * 10000000000ull + 9999999999ull);
  CHECK_FALSE(parse_decimal("9223372036854775808", 19, 0).is_ok());
  CHECK(*parse_decimal("9223372036854775807", 19, 0) == INT64_MAX);
  CHECK_FALSE(parse_decimal("1.", 12, 2).is_ok());
  CHECK_FALSE(parse_decimal(".5", 12, 2).is_ok());
  CHECK_FALSE(parse_decimal("1e5", 12, 2).is_ok());
  CHECK(format_decimal(10050, 2) == "100.50");
  CHECK(format_decimal(-1, 2) == "-0.01");
  CHECK(format_decimal(7, 0) == "7");
}

TEST_CASE("typed values: dates and timestamps", "[typed_value]") {
  CHECK(*parse_time("1970-01-01", time_unit::date) == 0);
  CHECK(*parse_time("2026-11-25", time_unit::date) ==
        20782); // Python: (date(2026,11,25) - date(1970,1,1)).days
  CHECK(*parse_time("1969-12-31", time_unit::date) == -1);
  CHECK(*parse_time("2024-02-29", time_unit::date) == days_from_civil(2024, 2, 29));
  CHECK_FALSE(parse_time("2023-02-29", time_unit::date).is_ok());
  CHECK_FALSE(parse_time("2026-13-01", time_unit::date).is_ok());
  CHECK_FALSE(parse_time("2026-11-25 10:00:00", time_unit::date).is_ok());
  CHECK(*parse_time("2026-11-25 10:00:01", time_unit::timestamp) == 20782LL * 86400 + 36001);
  CHECK(*parse_time("2026-11-25T10:00:01Z", time_unit::timestamp) == 20782LL * 86400 + 36001);
  CHECK(*parse_time("2026-11-25", time_unit::timestamp) == 20782LL * 86400);
  CHECK_FALSE(parse_time("2026-11-25 24:00:00", time_unit::timestamp).is_ok());
  CHECK(format_time(20782, time_unit::date) == "2026-11-25");
  CHECK(format_time(20782LL * 86400 + 36001, time_unit::timestamp) == "2026-11-25 10:00:01");
  CHECK(format_time(-1, time_unit::timestamp) == "1969-12-31 23:59:59");
}

TEST_CASE("typed values: booleans", "[typed_value]") {
  for (const char* yes : {"true", "TRUE", "1", "t", "Yes", "y"})
    CHECK(*parse_bool(yes));
  for (const char* no : {"false", "0", "F", "no", "N"})
    CHECK_FALSE(*parse_bool(no));
  CHECK_FALSE(parse_bool("maybe").is_ok());
}
