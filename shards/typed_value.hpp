#pragma once
// Text ↔ the 64-bit integers that ranged tags store: int as is, decimal times 10^scale (exact,
// no floating point), time as days (date) or seconds (timestamp) since 1970-01-01 UTC.
// The same parsers serve import rows and expression literals, so both agree on every value.

#include "shards/schema.hpp"
#include "shards/status.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace tagd {

// A signed decimal integer, no spaces, within int64.
result<int64_t> parse_int(std::string_view text);

// A decimal number times 10^scale, exactly, rounded down (floor) to an integer: `fraction` tells
// whether non-zero digits past `scale` were dropped. Up to 36 significant digits; no exponent.
struct scaled_number {
  __int128 floor = 0;
  bool fraction = false;
  size_t integer_digits = 0; // significant digits before the point
};
result<scaled_number> parse_scaled(std::string_view text, uint32_t scale);

// A DECIMAL(precision, scale) value as its value times 10^scale: at most precision - scale
// integer digits and scale fraction digits, within int64.
result<int64_t> parse_decimal(std::string_view text, uint32_t precision, uint32_t scale);

// 'YYYY-MM-DD' for dates; 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' or 'YYYY-MM-DDTHH:MM:SS'
// (optionally with a trailing 'Z') for timestamps, all UTC.
result<int64_t> parse_time(std::string_view text, time_unit unit);

// true/false, 1/0, t/f, yes/no, y/n (case-insensitive).
result<bool> parse_bool(std::string_view text);

std::string format_decimal(int64_t scaled, uint32_t scale);
std::string format_time(int64_t value, time_unit unit);

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

} // namespace tagd
