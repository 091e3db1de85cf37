#include "shards/typed_value.hpp"

#include <cctype>
#include <cstdio>
#include <limits>

namespace tagd {

namespace {

status bad(std::string_view what, std::string_view text) {
  return status(error_code::bad_row, std::string(what) + " '" + std::string(text) + "'");
}

bool all_digits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

} // namespace

result<int64_t> parse_int(std::string_view text) {
  size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (!all_digits(text.substr(sign)))
    return bad("not an integer:", text);
  TAGD_TRY_ASSIGN(number, parse_scaled(text, 0));
  if (number.floor > std::numeric_limits<int64_t>::max() ||
      number.floor < std::numeric_limits<int64_t>::min())
    return bad("number out of range", text);
  return static_cast<int64_t>(number.floor);
}

result<scaled_number> parse_scaled(std::string_view text, uint32_t scale) {
  bool negative = !text.empty() && text[0] == '-';
  std::string_view body = text.substr(negative || (!text.empty() && text[0] == '+') ? 1 : 0);
  size_t point = body.find('.');
  std::string_view integer = body.substr(0, point);
  std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : body.substr(point + 1);
  if (!all_digits(integer) || (point != std::string_view::npos && !all_digits(fraction)))
    return bad("not a decimal number:", text);
  scaled_number out;
  // Leading zeros do not count as digits.
  size_t first_significant = integer.find_first_not_of('0');
  out.integer_digits =
      first_significant == std::string_view::npos ? 0 : integer.size() - first_significant;
  if (out.integer_digits + scale > 36)
    return bad("number out of range", text);
  std::string_view kept = fraction.substr(0, scale);
  std::string_view excess = fraction.size() > scale ? fraction.substr(scale) : std::string_view();
  out.fraction = excess.find_first_not_of('0') != std::string_view::npos;
  __int128 magnitude = 0;
  for (std::string_view digits : {integer, kept})
    for (char c : digits)
      magnitude = magnitude * 10 + (c - '0');
  for (size_t i = kept.size(); i < scale; ++i)
    magnitude *= 10;
  // floor: a negative value with dropped non-zero digits rounds down, away from zero.
  out.floor = negative ? -magnitude - (out.fraction ? 1 : 0) : magnitude;
  return out;
}

result<int64_t> parse_decimal(std::string_view text, uint32_t precision, uint32_t scale) {
  TAGD_TRY_ASSIGN(number, parse_scaled(text, scale));
  if (number.integer_digits > precision - scale)
    return bad("too many integer digits for DECIMAL(" + std::to_string(precision) + "," +
                   std::to_string(scale) + "):",
               text);
  if (number.fraction)
    return bad("more than " + std::to_string(scale) + " decimal places:", text);
  if (number.floor > std::numeric_limits<int64_t>::max() ||
      number.floor < std::numeric_limits<int64_t>::min())
    return bad("number out of range", text);
  return static_cast<int64_t>(number.floor);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
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

bool fixed_digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size())
    return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

bool is_leap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
} // namespace

result<int64_t> parse_time(std::string_view text, time_unit unit) {
  unsigned year, month, day;
  if (text.size() < 10 || !fixed_digits(text, 0, 4, year) || text[4] != '-' ||
      !fixed_digits(text, 5, 2, month) || text[7] != '-' || !fixed_digits(text, 8, 2, day))
    return bad(unit == time_unit::date ? "not a date (YYYY-MM-DD):"
                                       : "not a timestamp (YYYY-MM-DD[ HH:MM:SS]):",
               text);
  static constexpr unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 ||
      day > month_days[month - 1] + (month == 2 && is_leap(year) ? 1 : 0))
    return bad("no such date", text);
  int64_t days = days_from_civil(year, month, day);
  if (unit == time_unit::date) {
    if (text.size() != 10)
      return bad("not a date (YYYY-MM-DD):", text);
    return days;
  }
  std::string_view rest = text.substr(10);
  if (!rest.empty() && rest.back() == 'Z')
    rest.remove_suffix(1);
  unsigned hour = 0, minute = 0, second = 0;
  if (!rest.empty()) {
    if (rest.size() != 9 || (rest[0] != ' ' && rest[0] != 'T') || !fixed_digits(rest, 1, 2, hour) ||
        rest[3] != ':' || !fixed_digits(rest, 4, 2, minute) || rest[6] != ':' ||
        !fixed_digits(rest, 7, 2, second) || hour > 23 || minute > 59 || second > 59)
      return bad("not a timestamp (YYYY-MM-DD[ HH:MM:SS]):", text);
  }
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

result<bool> parse_bool(std::string_view text) {
  std::string lower;
  for (char c : text)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "true" || lower == "1" || lower == "t" || lower == "yes" || lower == "y")
    return true;
  if (lower == "false" || lower == "0" || lower == "f" || lower == "no" || lower == "n")
    return false;
  return bad("not a boolean:", text);
}

std::string format_decimal(int64_t scaled, uint32_t scale) {
  bool negative = scaled < 0;
  unsigned __int128 magnitude =
      negative ? static_cast<unsigned __int128>(-static_cast<__int128>(scaled)) : scaled;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude);
  while (digits.size() <= scale)
    digits.insert(digits.begin(), '0');
  if (scale)
    digits.insert(digits.end() - scale, '.');
  return negative ? "-" + digits : digits;
}

std::string format_time(int64_t value, time_unit unit) {
  int64_t days =
      unit == time_unit::date ? value : (value >= 0 ? value / 86400 : (value - 86399) / 86400);
  int64_t seconds = unit == time_unit::date ? 0 : value - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buffer[64];
  if (unit == time_unit::date)
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  else
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
                  static_cast<long long>(y), m, d, static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  return buffer;
}

} // namespace tagd
