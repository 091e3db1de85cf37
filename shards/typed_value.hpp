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

// A decimal number as its value times 10^scale. With allow_excess_digits, more fraction digits
// than `scale` are accepted and `floor` of the scaled value returned with *had_excess set when a
// dropped digit was non-zero (for comparisons against literals); otherwise they are an error.
// The integer part may have at most precision - scale digits.
result<int64_t> parse_decimal(std::string_view text, uint32_t precision, uint32_t scale,
                              bool allow_excess_digits = false, bool* had_excess = nullptr);

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
