// Randomized differential test: random data loaded into a database and into a naive in-memory
// model (tests/support/naive_model.hpp, written from docs/expressions.md), then thousands of
// random expressions whose estimates must equal the model's counts exactly, and a sample of
// selections whose members must equal the model's sets.
//
// TAGD_SEED=<n> picks the seed (the default is printed and shown on failure).
// TAGD_DIFF_KEEP_GOING=1 reports every disagreement (on stdout) instead of stopping at the first;
// the test still fails when there was one.

#include "shards/database.hpp"
#include "support/naive_model.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace tagd;
using tagd::testing::model_error;
using tagd::testing::model_row;
using tagd::testing::model_rows;
using tagd::testing::naive_model;
using tagd::testing::temp_dir;
using tagd::testing::write_file;
namespace naive = tagd::testing::naive;

namespace {

constexpr int64_t kToday = 20782; // 2026-11-25
constexpr int64_t kNow = kToday * 86400 + 12 * 3600;
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kDecimalMax = 999999999999; // DECIMAL(12,2): 9999999999.99

// The largest scaled value of a decimal tag: 10^precision - 1.
int64_t decimal_max(const naive_model::tag_info& tag) {
  return static_cast<int64_t>(naive::power_of_ten(tag.precision) - 1);
}

// ---- randomness ----

struct rng {
  std::mt19937_64 gen;
  explicit rng(uint64_t seed) : gen(seed) {}
  uint64_t u64() { return gen(); }
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
  }
  size_t below(size_t n) { return static_cast<size_t>(between(0, static_cast<int64_t>(n) - 1)); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(gen) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v.at(below(v.size()));
  }
  // Index i with weight 1 / (i + 1): a Zipf-like skew.
  size_t zipf(size_t n) {
    double total = 0;
    for (size_t i = 0; i < n; ++i)
      total += 1.0 / static_cast<double>(i + 1);
    double x = std::uniform_real_distribution<double>(0, total)(gen);
    for (size_t i = 0; i < n; ++i) {
      x -= 1.0 / static_cast<double>(i + 1);
      if (x <= 0)
        return i;
    }
    return n - 1;
  }
};

// ---- CSV ----

std::string csv_text(rng& r, const std::string& text) {
  bool needs = text.empty() || text == "\\N" ||
               text.find_first_of(",\"\n\r") != std::string::npos || text.front() == ' ' ||
               text.back() == ' ' || text.front() == '\t' || text.back() == '\t';
  if (!needs && !r.chance(0.15))
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_null(rng& r) {
  return r.chance(0.5) ? "\\N" : "";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i)
    out += (i ? "," : "") + fields[i];
  return out + "\n";
}

// ---- value text ----

std::string two_digits(int64_t v) {
  return std::string(1, char('0' + v / 10)) + char('0' + v % 10);
}

// value / 10^digits as text; "-0" style zeros only when asked.
std::string decimal_text(__int128 value, uint32_t digits, bool negative_zero = false) {
  bool negative = value < 0 || (value == 0 && negative_zero);
  unsigned __int128 magnitude =
      value < 0 ? static_cast<unsigned __int128>(-(value + 1)) + 1 : value;
  std::string s;
  do {
    s.insert(s.begin(), char('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude);
  if (s.size() <= digits)
    s = std::string(digits + 1 - s.size(), '0') + s;
  std::string out = (negative ? "-" : "") + s.substr(0, s.size() - digits);
  if (digits)
    out += "." + s.substr(s.size() - digits);
  return out;
}

std::string bool_text(rng& r, bool b) {
  static const std::vector<std::string> yes{"true", "TRUE", "True", "1", "t", "yes", "Y"};
  static const std::vector<std::string> no{"false", "FALSE", "False", "0", "f", "no", "N"};
  return r.pick(b ? yes : no);
}

std::string timestamp_csv(rng& r, int64_t seconds) {
  std::string date = naive::format_date(naive::floor_div(seconds, 86400));
  int64_t rest = seconds - naive::floor_div(seconds, 86400) * 86400;
  if (rest == 0 && r.chance(0.5))
    return date;
  std::string time =
      two_digits(rest / 3600) + ":" + two_digits(rest / 60 % 60) + ":" + two_digits(rest % 60);
  switch (r.below(3)) {
  case 0:
    return date + " " + time;
  case 1:
    return date + "T" + time;
  default:
    return date + "T" + time + "Z";
  }
}

// Scaled DECIMAL(12,2) as import text, sometimes without trailing zeros.
std::string decimal_csv(rng& r, int64_t scaled) {
  uint32_t digits = 2;
  __int128 v = scaled;
  while (digits > 0 && v % 10 == 0 && r.chance(0.5)) {
    v /= 10;
    --digits;
  }
  return decimal_text(v, digits);
}

// ---- the data ----

const std::vector<std::string> kPlans{
    "free",    "basic",     "pro",     "Pro",        "team",        "enterprise",
    "trial",   "student",   "O'Brien", "a\\b",       "上海",        "with space",
    "comma,x", "quote\"d",  "",        "tab\there",  "line\nbreak", "gold",
    "Gold",    "GOLD",      "silver",  "bronze",     "platinum",    "legacy",
    "v2",      "trailing ", "%_like",  "semi;colon", "x",           "retired"};
// "retired" (the last) appears only in the first version of the profile table.
const std::vector<std::string> kTiers{"A", "B", "C", "D", "E", "a", "b", "ü", "tier one", "Z"};
const std::vector<std::string> kInterests{"tea",  "golf", "wine", "chess", "go",
                                          "ski",  "surf", "read", "write", "code",
                                          "jazz", "rock", "pop",  "it's",  "a,b"};
const std::vector<std::string> kKinds{"click", "view",  "buy",   "share",
                                      "like",  "Click", "view ", "é"};
const std::vector<std::string> kModels{"iphone", "android",    "ipad",  "pixel",
                                       "galaxy", "Nokia 3310", "other", "",
                                       "iPhone", "a'b",        "x\\y",  "zz"};
// Strings that no value has.
const std::vector<std::string> kAbsent{"nope",  "NOPE", "zzz", "'",      "\\",  "tea;golf", "上",
                                       "free ", " pro", "Tea", "clicks", "A B", "\"",       "%"};

int64_t random_score(rng& r) {
  switch (r.below(10)) {
  case 0:
  case 1:
  case 2:
    return r.between(-100, 100);
  case 3:
  case 4:
    return r.between(-1000000, 1000000);
  case 5:
  case 6:
    return static_cast<int64_t>(r.u64()) >> 1; // about ±2^62
  case 7:
    return (r.chance(0.5) ? 1 : -1) * (int64_t{1} << 62) + r.between(-3, 3);
  case 8: {
    static const std::vector<int64_t> special{
        kInt64Min, kInt64Min + 1, kInt64Max, kInt64Max - 1, 0, -1, 1};
    return r.pick(special);
  }
  default: {
    static const std::vector<int64_t> common{0, 1, -1, 42, 1000, -7};
    return r.pick(common);
  }
  }
}

int64_t random_spend(rng& r) {
  switch (r.below(8)) {
  case 0:
  case 1:
  case 2:
    return r.between(-10000, 1000000);
  case 3:
    return r.between(-50, 5000) * 100;
  case 4:
    return r.between(-kDecimalMax, kDecimalMax);
  case 5: {
    static const std::vector<int64_t> special{kDecimalMax, -kDecimalMax, 0, 1, -1, 100000};
    return r.pick(special);
  }
  default: {
    static const std::vector<int64_t> common{1050, 1000, 99999, 100001, -550, 1234};
    return r.pick(common);
  }
  }
}

int64_t random_date(rng& r) {
  switch (r.below(10)) {
  case 0:
  case 1:
  case 2:
  case 3:
  case 4:
    return kToday + r.between(-60, 5);
  case 5:
  case 6:
  case 7:
    return kToday + r.between(-1100, 30);
  default:
    return kToday - r.between(0, 3);
  }
}

int64_t random_timestamp(rng& r) {
  switch (r.below(10)) {
  case 0:
  case 1:
  case 2:
    return kNow - r.between(0, 60) * 86400 + r.between(-1, 1);
  case 3:
  case 4:
  case 5:
  case 6:
    return kNow + r.between(-400 * 86400, 10 * 86400);
  case 7:
    return kNow;
  default:
    return (kToday + r.between(-90, 2)) * 86400;
  }
}

struct csv_table {
  std::vector<std::string> lines; // data lines, without a header
  model_rows rows;
};

// A u64 key as import text: decimal, sometimes with leading zeros.
std::string u64_key_text(rng& r, const std::string& key) {
  if (key.size() < 20 && r.chance(0.05))
    return std::string(r.between(1, static_cast<int64_t>(20 - key.size())), '0') + key;
  return r.chance(0.05) ? "\"" + key + "\"" : key;
}

// Table "profile": plan enum, score int, vip bool, spend DECIMAL(12,2), signup date, last_seen
// timestamp, NULLs (both forms) in every column. Columns in the file: header order below.
const std::vector<std::string> kProfileHeader{"last_seen", "uid",    "Plan",  "note",
                                              "is_vip",    "signup", "score", "spend"};

csv_table make_profile(rng& r, const std::vector<std::string>& keys, bool first_version) {
  csv_table t;
  size_t plans = first_version ? kPlans.size() : kPlans.size() - 1;
  for (const std::string& key : keys) {
    model_row row;
    std::map<std::string, std::string> field;
    field["uid"] = u64_key_text(r, key);
    field["note"] = csv_text(r, r.chance(0.5) ? "ignored, this" : "x");
    const double null_p = 0.1;
    if (r.chance(null_p)) {
      field["Plan"] = csv_null(r);
    } else {
      std::string plan = kPlans[r.zipf(plans)];
      if (first_version && r.chance(0.02))
        plan = "retired";
      row.text["plan"] = {plan};
      field["Plan"] = csv_text(r, plan);
    }
    if (r.chance(null_p)) {
      field["score"] = csv_null(r);
    } else {
      int64_t v = random_score(r);
      row.number["score"] = {v};
      field["score"] = std::to_string(v);
    }
    if (r.chance(null_p)) {
      field["is_vip"] = csv_null(r);
    } else {
      bool b = r.chance(0.3);
      row.text["vip"] = {b ? "true" : "false"};
      field["is_vip"] = bool_text(r, b);
    }
    if (r.chance(null_p)) {
      field["spend"] = csv_null(r);
    } else {
      int64_t v = random_spend(r);
      row.number["spend"] = {v};
      field["spend"] = decimal_csv(r, v);
    }
    if (r.chance(null_p)) {
      field["signup"] = csv_null(r);
    } else {
      int64_t v = random_date(r);
      row.number["signup"] = {v};
      field["signup"] = naive::format_date(v);
    }
    if (r.chance(null_p)) {
      field["last_seen"] = csv_null(r);
    } else {
      int64_t v = random_timestamp(r);
      row.number["last_seen"] = {v};
      field["last_seen"] = timestamp_csv(r, v);
    }
    std::vector<std::string> fields;
    for (const std::string& column : kProfileHeader)
      fields.push_back(field.at(column));
    t.lines.push_back(csv_line(fields));
    t.rows[key].push_back(std::move(row));
  }
  std::shuffle(t.lines.begin(), t.lines.end(), r.gen);
  return t;
}

// Table "extra", no header: key, interests (set), tier (enum), a junk column.
csv_table make_extra(rng& r, const std::vector<std::string>& keys) {
  csv_table t;
  for (const std::string& key : keys) {
    model_row row;
    std::vector<std::string> fields{u64_key_text(r, key)};
    size_t count = r.below(5);
    if (count == 0) {
      fields.push_back(csv_null(r));
    } else {
      std::string cell;
      std::set<std::string> values;
      for (size_t i = 0; i < count; ++i) {
        std::string v = kInterests[r.zipf(kInterests.size())];
        if (i > 0 && r.chance(0.2))
          v = *values.begin(); // a duplicate inside the cell
        values.insert(v);
        cell += (i ? ";" : "") + v;
      }
      row.text["interests"] = values;
      fields.push_back(csv_text(r, cell));
    }
    if (r.chance(0.1)) {
      fields.push_back(csv_null(r));
    } else {
      std::string tier = kTiers[r.zipf(kTiers.size())];
      row.text["tier"] = {tier};
      fields.push_back(csv_text(r, tier));
    }
    fields.push_back(std::to_string(r.below(1000)));
    t.lines.push_back(csv_line(fields));
    t.rows[key].push_back(std::move(row));
  }
  std::shuffle(t.lines.begin(), t.lines.end(), r.gen);
  return t;
}

// Table "activity" (multi-row): 1-5 rows per key, act_kind enum and act_value int.
csv_table make_activity(rng& r, const std::vector<std::string>& keys) {
  csv_table t;
  for (const std::string& key : keys) {
    size_t count = 1 + r.below(5);
    for (size_t i = 0; i < count; ++i) {
      model_row row;
      std::vector<std::string> fields{u64_key_text(r, key)};
      if (r.chance(0.1)) {
        fields.push_back(csv_null(r));
      } else {
        std::string kind = kKinds[r.zipf(kKinds.size())];
        row.text["act_kind"] = {kind};
        fields.push_back(csv_text(r, kind));
      }
      if (r.chance(0.1)) {
        fields.push_back(csv_null(r));
      } else {
        int64_t v = r.chance(0.8) ? r.between(-50, 50) : static_cast<int64_t>(r.u64()) >> 2;
        row.number["act_value"] = {v};
        fields.push_back(std::to_string(v));
      }
      t.lines.push_back(csv_line(fields));
      t.rows[key].push_back(std::move(row));
    }
  }
  std::shuffle(t.lines.begin(), t.lines.end(), r.gen);
  return t;
}

// Table "dev" for devices: device_id, model enum, "days" int (a keyword as a tag name).
csv_table make_devices(rng& r, const std::vector<std::string>& keys) {
  csv_table t;
  for (const std::string& key : keys) {
    model_row row;
    std::vector<std::string> fields{csv_text(r, key)};
    if (r.chance(0.1)) {
      fields.push_back(csv_null(r));
    } else {
      std::string m = kModels[r.zipf(kModels.size())];
      row.text["model"] = {m};
      fields.push_back(csv_text(r, m));
    }
    if (r.chance(0.1)) {
      fields.push_back(csv_null(r));
    } else {
      int64_t v = r.chance(0.9) ? r.between(0, 2000) : r.between(-5, 5);
      row.number["days"] = {v};
      fields.push_back(std::to_string(v));
    }
    t.lines.push_back(csv_line(fields));
    t.rows[key].push_back(std::move(row));
  }
  std::shuffle(t.lines.begin(), t.lines.end(), r.gen);
  return t;
}

// ---- the real-time table "live" ----
// Columns in the table's order: rt_state enum, rt_big int (the full int64 range), rt_amount
// DECIMAL(18,2), rt_labels set (separator "|"), rt_at timestamp.

const std::vector<std::string> kStates{"open", "closed",    "pending",    "Open",
                                       "",     "O'Brien",   "a|b",        "semi;colon",
                                       "上海", "tab\there", "with space", "x"};
const std::vector<std::string> kLabels{"red", "blue", "green",      "Red", "semi;colon",
                                       "x",   "it's", "long label", "上",  "a,b"};
constexpr int64_t kAmountMax = 999999999999999999; // DECIMAL(18,2)

int64_t random_big(rng& r) {
  static const std::vector<int64_t> special{kInt64Min,
                                            kInt64Min + 1,
                                            kInt64Min + 2,
                                            kInt64Max,
                                            kInt64Max - 1,
                                            kInt64Max - 2,
                                            0,
                                            -1,
                                            1,
                                            int64_t{1} << 62,
                                            -(int64_t{1} << 62),
                                            (int64_t{1} << 32) - 1};
  switch (r.below(6)) {
  case 0:
  case 1:
    return r.pick(special);
  case 2:
    return static_cast<int64_t>(r.u64()); // anywhere in the int64 range
  case 3:
    return r.between(-100, 100);
  case 4:
    return r.chance(0.5) ? kInt64Min + r.between(0, 5) : kInt64Max - r.between(0, 5);
  default:
    return static_cast<int64_t>(r.u64()) >> r.below(63);
  }
}

int64_t random_amount(rng& r) {
  switch (r.below(5)) {
  case 0: {
    static const std::vector<int64_t> special{kAmountMax, -kAmountMax, kAmountMax - 1, 0, 1, -1,
                                              100,        -100};
    return r.pick(special);
  }
  case 1:
    return r.between(-kAmountMax, kAmountMax);
  case 2:
    return r.between(-100000, 100000);
  default:
    return r.between(-5000, 5000) * 100;
  }
}

int64_t random_rt_time(rng& r) {
  if (r.chance(0.85))
    return random_timestamp(r);
  static const std::vector<int64_t> far{naive::civil_to_days(1, 1, 1) * 86400,
                                        naive::civil_to_days(9999, 12, 31) * 86400 + 86399,
                                        0,
                                        -1,
                                        naive::civil_to_days(1900, 2, 28) * 86400 + 3600,
                                        naive::civil_to_days(2000, 2, 29) * 86400};
  return r.pick(far);
}

// A DECIMAL(18,2) value as text, sometimes without trailing zeros.
std::string amount_text(rng& r, int64_t scaled) {
  return decimal_csv(r, scaled);
}

// A random row of "live": the engine's fields and the model's row.
realtime_row make_live_row(rng& r, const std::string& key_text, model_row& row) {
  realtime_row out;
  out.key = key_text;
  const double null_p = 0.15;
  // rt_state
  if (r.chance(null_p)) {
    out.fields.emplace_back(std::nullopt);
  } else {
    std::string v = kStates[r.zipf(kStates.size())];
    row.text["rt_state"] = {v};
    out.fields.emplace_back(v);
  }
  // rt_big
  if (r.chance(null_p)) {
    out.fields.emplace_back(std::nullopt);
  } else {
    int64_t v = random_big(r);
    row.number["rt_big"] = {v};
    out.fields.emplace_back(std::to_string(v));
  }
  // rt_amount
  if (r.chance(null_p)) {
    out.fields.emplace_back(std::nullopt);
  } else {
    int64_t v = random_amount(r);
    row.number["rt_amount"] = {v};
    out.fields.emplace_back(amount_text(r, v));
  }
  // rt_labels: 0-4 values; empty elements (doubled, leading or trailing separators) are skipped,
  // an empty cell is NULL.
  if (r.chance(null_p)) {
    out.fields.emplace_back(std::nullopt);
  } else {
    size_t count = r.below(5);
    std::string cell = r.chance(0.1) ? "|" : "";
    std::set<std::string> values;
    for (size_t i = 0; i < count; ++i) {
      std::string v = kLabels[r.zipf(kLabels.size())];
      values.insert(v);
      cell += (i ? (r.chance(0.1) ? "||" : "|") : "") + v;
    }
    if (r.chance(0.1))
      cell += "|";
    if (!values.empty())
      row.text["rt_labels"] = values;
    out.fields.emplace_back(cell);
  }
  // rt_at
  if (r.chance(null_p)) {
    out.fields.emplace_back(std::nullopt);
  } else {
    int64_t v = random_rt_time(r);
    row.number["rt_at"] = {v};
    out.fields.emplace_back(timestamp_csv(r, v));
  }
  return out;
}

// ---- random expressions ----

bool is_keyword(const std::string& name) {
  static const std::set<std::string> words{"and",     "or",    "not",     "in",   "is",     "null",
                                           "between", "has",   "any",     "all",  "within", "days",
                                           "day",     "group", "version", "true", "false"};
  std::string lower;
  for (char c : name)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return words.count(lower) > 0;
}

// Values the generator draws literals from, per tag.
struct tag_pool {
  std::vector<std::string> current_text, ever_text;
  std::vector<int64_t> current_number, ever_number;
};

class expression_generator {
 public:
  expression_generator(rng& r, const naive_model& model, std::string entity,
                       std::map<std::string, tag_pool> pools, std::vector<std::string> groups)
      : r_(r), model_(model), entity_(std::move(entity)), pools_(std::move(pools)),
        groups_(std::move(groups)), tags_(model.tags_of(entity_)) {}

  std::string expression() { return node(static_cast<int>(r_.below(5))).text; }
  std::string expression(int depth) { return node(depth).text; }

 private:
  struct piece {
    std::string text;
    int precedence; // 0: OR, 1: AND, 2: unary or primary
  };

  std::string kw(const std::string& word) {
    size_t style = r_.below(10);
    if (style < 7)
      return word;
    std::string out;
    for (size_t i = 0; i < word.size(); ++i) {
      char c = word[i];
      bool lower = style < 9 ? true : i > 0;
      out += lower ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
    }
    return out;
  }

  std::string sp() { return r_.chance(0.05) ? "  " : " "; }

  piece node(int depth) {
    if (depth <= 0 || r_.chance(0.25))
      return {leaf(), 2};
    size_t kind = r_.below(100);
    if (kind < 40 || kind >= 90 + 5) { // AND
      size_t n = 2 + r_.below(2);
      std::string text;
      for (size_t i = 0; i < n; ++i) {
        piece child = node(depth - 1);
        if (child.precedence < 1 || r_.chance(0.1))
          child.text = "(" + child.text + ")";
        text += (i ? sp() + kw("AND") + sp() : "") + child.text;
      }
      return {text, 1};
    }
    if (kind < 75) { // OR
      size_t n = 2 + r_.below(2);
      std::string text;
      for (size_t i = 0; i < n; ++i) {
        piece child = node(depth - 1);
        if (r_.chance(0.1))
          child.text = "(" + child.text + ")";
        text += (i ? sp() + kw("OR") + sp() : "") + child.text;
      }
      return {text, 0};
    }
    if (kind < 90) { // NOT
      piece child = node(depth - 1);
      if (child.precedence < 2 || r_.chance(0.2))
        child.text = "(" + child.text + ")";
      return {kw("NOT") + " " + child.text, 2};
    }
    piece child = node(depth - 1);
    return {"(" + child.text + ")", 2};
  }

  std::string name(const std::string& tag) {
    if (is_keyword(tag) || r_.chance(0.05))
      return "\"" + tag + "\"";
    return tag;
  }

  std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      switch (c) {
      case '\'':
        out += r_.chance(0.5) ? "''" : "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
      }
    }
    return out + "'";
  }

  std::string op() {
    static const std::vector<std::string> ops{"=", "!=", "<>", "<", "<=", ">", ">="};
    return r_.pick(ops);
  }

  std::string eq_op() {
    static const std::vector<std::string> ops{"=", "=", "!=", "<>"};
    return r_.pick(ops);
  }

  std::string around(const std::string& o) { return r_.chance(0.1) ? o : " " + o + " "; }

  template <class F>
  std::string list(F value, size_t max) {
    size_t n = 1 + r_.below(max);
    std::string out = "(";
    for (size_t i = 0; i < n; ++i)
      out += (i ? (r_.chance(0.2) ? "," : ", ") : "") + value();
    return out + ")";
  }

  std::string null_test(const std::string& tag) {
    return name(tag) + " " + kw("IS") + (r_.chance(0.5) ? " " + kw("NOT") : "") + " " + kw("NULL");
  }

  std::string leaf() {
    if (!groups_.empty() && r_.chance(0.06))
      return group_ref();
    const naive_model::tag_info& tag = r_.pick(tags_);
    if (r_.chance(0.06))
      return tag.kind == tag_kind::composite ? composite_leaf(tag.name) : null_test(tag.name);
    switch (tag.kind) {
    case tag_kind::bool_:
      return bool_leaf(tag.name);
    case tag_kind::enum_:
    case tag_kind::set:
      return text_leaf(tag.name);
    case tag_kind::composite:
      return composite_leaf(tag.name);
    default:
      return number_leaf(tag);
    }
  }

  std::string group_ref() {
    const std::string& g = r_.pick(groups_);
    std::string out = kw("IN") + " " + kw("GROUP") + " " + (r_.chance(0.1) ? "\"" + g + "\"" : g);
    const auto& versions = model_.group(g).versions;
    if (r_.chance(0.5)) {
      auto it = versions.begin();
      std::advance(it, r_.below(versions.size()));
      out += " " + kw("VERSION") + " " + std::to_string(it->first);
    }
    return out;
  }

  std::string boolean() { return kw(r_.chance(0.5) ? "TRUE" : "FALSE"); }

  std::string bool_leaf(const std::string& tag) {
    switch (r_.below(4)) {
    case 0:
      return name(tag);
    case 1:
      return name(tag) + around(eq_op()) + boolean();
    case 2:
      return name(tag) + " " + (r_.chance(0.4) ? kw("NOT") + " " : "") + kw("IN") + " " +
             list([&] { return boolean(); }, 2);
    default:
      return null_test(tag);
    }
  }

  std::string composite_leaf(const std::string& tag) {
    switch (r_.below(3)) {
    case 0:
      return name(tag);
    default:
      return name(tag) + around(r_.chance(0.5) ? "=" : r_.chance(0.5) ? "!=" : "<>") + boolean();
    }
  }

  std::string text_value(const std::string& tag) {
    const tag_pool& p = pools_.at(tag);
    size_t where = r_.below(100);
    if (where < 65 && !p.current_text.empty())
      return quote(r_.pick(p.current_text));
    if (where < 85 && !p.ever_text.empty())
      return quote(r_.pick(p.ever_text));
    return quote(r_.pick(kAbsent));
  }

  std::string text_leaf(const std::string& tag) {
    auto value = [&] { return text_value(tag); };
    switch (r_.below(8)) {
    case 0:
    case 1:
      return name(tag) + around(eq_op()) + value();
    case 2:
      return name(tag) + " " + kw("IN") + " " + list(value, 4);
    case 3:
      return name(tag) + " " + kw("NOT") + " " + kw("IN") + " " + list(value, 4);
    case 4:
      return name(tag) + " " + kw("HAS") + " " + value();
    case 5:
      return name(tag) + " " + kw("HAS") + " " + kw("ANY") + " " + list(value, 4);
    case 6:
      return name(tag) + " " + kw("HAS") + " " + kw("ALL") + " " + list(value, 3);
    default:
      return null_test(tag);
    }
  }

  // A number as value / 10^digits.
  struct number {
    __int128 value = 0;
    uint32_t digits = 0;
    std::string text;
  };

  static int order(const number& a, const number& b) {
    __int128 l = a.value * naive::power_of_ten(b.digits);
    __int128 r = b.value * naive::power_of_ten(a.digits);
    return l < r ? -1 : l > r ? 1 : 0;
  }

  int64_t pool_number(const naive_model::tag_info& tag) {
    const tag_pool& p = pools_.at(tag.name);
    if (!p.current_number.empty() && r_.chance(0.75))
      return r_.pick(p.current_number);
    if (!p.ever_number.empty())
      return r_.pick(p.ever_number);
    return r_.between(-100, 100);
  }

  number number_literal(const naive_model::tag_info& tag) {
    const uint32_t scale = tag.kind == tag_kind::decimal ? tag.scale : 0;
    const tag_pool& p = pools_.at(tag.name);
    for (;;) {
      number n;
      n.digits = scale;
      size_t how = r_.below(100);
      if (how < 40) {
        n.value = pool_number(tag);
      } else if (how < 55) {
        n.value = static_cast<__int128>(pool_number(tag)) + (r_.chance(0.5) ? 1 : -1);
      } else if (how < 70) { // extra places, sometimes all zeros
        uint32_t extra = 1 + static_cast<uint32_t>(r_.below(4));
        __int128 unit = naive::power_of_ten(extra);
        __int128 offset = r_.chance(0.2) ? 0 : r_.between(-(unit - 1), unit - 1);
        n.value = static_cast<__int128>(pool_number(tag)) * unit + offset;
        n.digits = scale + extra;
      } else if (how < 82) { // boundaries
        std::vector<int64_t> edges;
        if (!p.current_number.empty()) {
          edges.push_back(*std::min_element(p.current_number.begin(), p.current_number.end()));
          edges.push_back(*std::max_element(p.current_number.begin(), p.current_number.end()));
        }
        if (tag.kind == tag_kind::decimal) {
          edges.push_back(decimal_max(tag));
          edges.push_back(-decimal_max(tag));
        } else {
          edges.push_back(kInt64Max);
          edges.push_back(kInt64Min);
        }
        n.value = static_cast<__int128>(r_.pick(edges)) + r_.between(-1, 1);
      } else if (how < 90) {
        n.value = r_.between(-3, 3) * naive::power_of_ten(scale);
      } else { // anything in range
        n.value = tag.kind == tag_kind::decimal ? r_.between(-decimal_max(tag), decimal_max(tag))
                                                : static_cast<int64_t>(r_.u64());
      }
      // Trim trailing zeros now and then: 12.50 → 12.5.
      while (n.digits > 0 && n.value % 10 == 0 && r_.chance(0.3)) {
        n.value /= 10;
        --n.digits;
      }
      // Keep the integer part inside what the kind holds (int64; precision - scale digits for a
      // decimal: 10 for DECIMAL(12,2)).
      __int128 integer = n.value / naive::power_of_ten(n.digits);
      __int128 integer_max = naive::power_of_ten(tag.precision - scale) - 1;
      if (tag.kind == tag_kind::decimal ? (integer > integer_max || integer < -integer_max)
                                        : (integer > kInt64Max || integer < kInt64Min))
        continue;
      n.text = decimal_text(n.value, n.digits, n.value == 0 && r_.chance(0.1));
      return n;
    }
  }

  number time_literal(const naive_model::tag_info& tag) {
    number n;
    bool date = tag.unit == time_unit::date;
    size_t how = r_.below(100);
    int64_t v;
    if (how < 50)
      v = pool_number(tag) + (r_.chance(0.5) ? 0 : r_.between(-1, 1));
    else if (how < 65)
      v = date ? kToday - r_.between(0, 40) : kNow - r_.between(0, 40) * 86400;
    else if (how < 80)
      v = date ? kToday + r_.between(-1, 1) : kNow + r_.between(-1, 1);
    else
      v = date ? kToday + r_.between(-1200, 40) : (kToday + r_.between(-400, 10)) * 86400;
    // Literals stay within years 0001-9999 (a neighbour of an extreme value may not).
    int64_t first = naive::civil_to_days(1, 1, 1), last = naive::civil_to_days(9999, 12, 31);
    v = date ? std::clamp(v, first, last) : std::clamp(v, first * 86400, last * 86400 + 86399);
    n.value = v;
    if (date) {
      n.text = "'" + naive::format_date(v) + "'";
    } else if (naive::floor_div(v, 86400) * 86400 == v && r_.chance(0.6)) {
      n.text = "'" + naive::format_date(naive::floor_div(v, 86400)) + "'";
    } else {
      n.text = "'" + naive::format_timestamp(v) + "'";
    }
    return n;
  }

  number literal_of(const naive_model::tag_info& tag) {
    return tag.kind == tag_kind::time ? time_literal(tag) : number_literal(tag);
  }

  std::string within_days(const naive_model::tag_info& tag) {
    size_t how = r_.below(100);
    if (how < 30)
      return std::to_string(r_.below(11));
    if (how < 70)
      return std::to_string(r_.below(401));
    if (how < 93) { // exactly the distance to a present value
      int64_t v = pool_number(tag);
      int64_t d = tag.unit == time_unit::date ? kToday - v : (kNow - v) / 86400;
      return std::to_string(std::max<int64_t>(0, d + r_.between(-1, 1)));
    }
    static const std::vector<std::string> huge{"100000", "1000000000", "106751991167300",
                                               "106751991167301", "9223372036854775807"};
    return r_.pick(huge);
  }

  std::string number_leaf(const naive_model::tag_info& tag) {
    size_t cases = tag.kind == tag_kind::time ? 6 : 5;
    switch (r_.below(cases)) {
    case 0:
    case 1:
      return name(tag.name) + around(op()) + literal_of(tag).text;
    case 2: {
      number a = literal_of(tag), b = literal_of(tag);
      if (r_.chance(0.8) && order(a, b) > 0)
        std::swap(a, b);
      return name(tag.name) + " " + kw("BETWEEN") + " " + a.text + " " + kw("AND") + " " + b.text;
    }
    case 3:
      return name(tag.name) + " " + (r_.chance(0.4) ? kw("NOT") + " " : "") + kw("IN") + " " +
             list([&] { return literal_of(tag).text; }, 4);
    case 4:
      if (tag.kind != tag_kind::time || r_.chance(0.3))
        return null_test(tag.name);
      [[fallthrough]];
    default:
      return name(tag.name) + " " + kw("WITHIN") + " " + within_days(tag) + " " +
             kw(r_.chance(0.8) ? "DAYS" : "DAY");
    }
  }

  rng& r_;
  const naive_model& model_;
  std::string entity_;
  std::map<std::string, tag_pool> pools_;
  std::vector<std::string> groups_;
  std::vector<naive_model::tag_info> tags_;
};

uint64_t seed_from_env() {
  if (const char* s = std::getenv("TAGD_SEED"))
    return std::strtoull(s, nullptr, 10);
  return 20261125;
}

} // namespace

TEST_CASE("random expressions count what a naive model of the documented semantics counts",
          "[differential]") {
  const uint64_t seed = seed_from_env();
  const bool keep_going = std::getenv("TAGD_DIFF_KEEP_GOING") != nullptr;
  std::cout << "differential test seed: " << seed << " (TAGD_SEED=" << seed << " to repeat)\n";
  INFO("seed: " << seed << " (TAGD_SEED=" << seed << " to repeat)");
  auto started = std::chrono::steady_clock::now();
  rng r(seed);

  temp_dir dir;
  database_options options;
  options.vshards = r.chance(0.5) ? 4 : 8;
  options.no_sync = true;
  options.threads = 2;
  auto opened = database::open(dir / "data", options);
  REQUIRE_OK(opened);
  database& db = **opened;
  naive_model model;
  query_options at;
  at.now = kNow;

  // ---- schema ----
  model.define_entity("user", key_kind::u64);
  REQUIRE_STATUS_OK(db.define_entity("device", key_kind::string));
  model.define_entity("device", key_kind::string);

  auto define = [&](const table_spec& spec) {
    REQUIRE_STATUS_OK(db.define_table(spec));
    model.define_table(spec.name, spec.entity, spec.multi_row);
    for (const column_spec& c : spec.columns) {
      naive_model::tag_info t;
      t.name = c.tag;
      t.entity = spec.entity;
      t.table = spec.name;
      t.kind = c.kind;
      t.precision = c.precision;
      t.scale = c.scale;
      t.unit = c.unit;
      model.define_tag(t);
    }
  };
  {
    table_spec profile;
    profile.name = "profile";
    profile.key_column = "uid";
    profile.columns = {{"plan", "Plan", tag_kind::enum_},
                       {"score", "score", tag_kind::int_},
                       {"vip", "is_vip", tag_kind::bool_},
                       {"spend", "spend", tag_kind::decimal, 12, 2},
                       {"signup", "signup", tag_kind::time, 18, 0, time_unit::date},
                       {"last_seen", "last_seen", tag_kind::time, 18, 0, time_unit::timestamp}};
    define(profile);
    table_spec extra;
    extra.name = "extra";
    extra.key_column = "#1";
    extra.columns = {{"tier", "#3", tag_kind::enum_}, {"interests", "#2", tag_kind::set}};
    define(extra);
    table_spec activity;
    activity.name = "activity";
    activity.key_column = "uid";
    activity.multi_row = true;
    activity.columns = {{"act_kind", "kind", tag_kind::enum_},
                        {"act_value", "value", tag_kind::int_}};
    define(activity);
    table_spec never; // never loaded: its tags match nobody
    never.name = "never";
    never.key_column = "uid";
    never.columns = {{"ghost", "ghost", tag_kind::int_}};
    define(never);
    table_spec dev;
    dev.name = "dev";
    dev.entity = "device";
    dev.key_column = "device_id";
    dev.columns = {{"model", "model", tag_kind::enum_}, {"days", "days", tag_kind::int_}};
    define(dev);
    table_spec live; // real-time: upserts and removals instead of versions
    live.name = "live";
    live.mode = table_mode::realtime;
    live.set_separator = "|";
    live.columns = {{"rt_state", "rt_state", tag_kind::enum_},
                    {"rt_big", "rt_big", tag_kind::int_},
                    {"rt_amount", "rt_amount", tag_kind::decimal, 18, 2},
                    {"rt_labels", "rt_labels", tag_kind::set},
                    {"rt_at", "rt_at", tag_kind::time, 18, 0, time_unit::timestamp}};
    define(live);
  }

  // ---- keys ----
  std::vector<std::string> users;
  {
    std::set<uint64_t> ids{0,
                           std::numeric_limits<uint64_t>::max(),
                           std::numeric_limits<uint64_t>::max() - 1,
                           uint64_t{1} << 63,
                           (uint64_t{1} << 63) - 1,
                           uint64_t{1} << 32,
                           (uint64_t{1} << 32) - 1};
    for (uint64_t i = 1; i <= 400; ++i)
      ids.insert(i);
    while (ids.size() < 3000)
      ids.insert(r.chance(0.1) ? r.u64() >> r.below(60) : r.u64());
    for (uint64_t id : ids)
      users.push_back(std::to_string(id));
  }
  std::vector<std::string> devices{
      "a,b", "quote\"d", "O'Reilly", "space in", " leading", "trailing ",   "上海-1",   "é",
      "\\N", "N",        "0",        "007",      "7",        "multi\nline", "tab\tkey", "😀 emoji",
      ",",   "\"\"",     "'",        "x;y",      "NULL",     "null",        "-1"};
  {
    std::set<std::string> seen(devices.begin(), devices.end());
    while (devices.size() < 1000) {
      std::string k = r.chance(0.7) ? "dev-" + std::to_string(r.below(100000))
                                    : "D" + std::to_string(r.u64()) + (r.chance(0.3) ? " x" : "");
      if (seen.insert(k).second)
        devices.push_back(k);
    }
  }
  auto subset = [&](const std::vector<std::string>& keys, double p) {
    std::vector<std::string> out;
    for (const std::string& k : keys)
      if (r.chance(p))
        out.push_back(k);
    return out;
  };

  // ---- loads ----
  int file_number = 0;
  std::map<std::string, uint64_t> universe_size; // per entity type; cleared by every load
  auto load = [&](const std::string& table, const std::string& label, const csv_table& data,
                  const std::string& header, size_t files, bool has_header) {
    std::vector<std::string> paths;
    for (size_t f = 0; f < files; ++f) {
      std::string text = has_header ? header : "";
      for (size_t i = f; i < data.lines.size(); i += files)
        text += data.lines[i];
      paths.push_back(dir / (table + "-" + std::to_string(file_number++) + ".csv"));
      write_file(paths.back(), text);
    }
    import_options io;
    io.header = has_header;
    auto report = db.import_files(table, label, paths, io);
    REQUIRE_OK(report);
    INFO(table << ": " << report->rejected_count << " rejected"
               << (report->rejected.empty()
                       ? std::string()
                       : ", first: line " + std::to_string(report->rejected[0].line) + ": " +
                             report->rejected[0].reason));
    REQUIRE(report->rejected_count == 0);
    REQUIRE(report->rows_loaded == data.lines.size());
    REQUIRE(report->keys == data.rows.size());
    model.load(table, data.rows);
    universe_size.clear();
  };
  std::string profile_header;
  for (size_t i = 0; i < kProfileHeader.size(); ++i)
    profile_header += (i ? "," : "") + kProfileHeader[i];
  profile_header += "\n";

  std::vector<std::string> profile_keys = subset(users, 0.8);
  csv_table profile_v1 = make_profile(r, profile_keys, true);
  load("profile", "v1", profile_v1, profile_header, 2, true);
  load("extra", "v1", make_extra(r, subset(users, 0.6)), "", 1, false);
  load("activity", "v1", make_activity(r, subset(users, 0.4)), "uid,kind,value\n", 2, true);
  load("dev", "v1", make_devices(r, devices), "device_id,model,days\n", 1, true);

  // ---- real-time rounds ----
  // Upserts (new keys, keys of the offline tables, keys with a live row, rows with NULLs, a key
  // twice in one call: the last wins) and removals (live, known without a live row, never seen,
  // repeated), each call mirrored in the model and each removal count checked against it.
  uint64_t upserted_rows = 0, removal_calls = 0;
  auto fresh_user = [&] {
    for (;;) {
      std::string k = std::to_string(r.u64() >> (r.chance(0.1) ? r.below(64) : 0));
      if (!model.known_keys("user").count(k))
        return k;
    }
  };
  auto live_keys = [&] {
    std::vector<std::string> out;
    for (const auto& [key, rows] : model.table("live").rows)
      out.push_back(key);
    return out;
  };
  auto realtime_round = [&](size_t upsert_calls, size_t remove_calls) {
    INFO("real-time round");
    for (size_t c = 0; c < upsert_calls; ++c) {
      std::vector<std::string> live = live_keys();
      size_t n = 1 + r.below(r.chance(0.3) ? 5 : 300);
      std::vector<realtime_row> rows;
      std::vector<std::pair<std::string, model_row>> changes;
      for (size_t i = 0; i < n; ++i) {
        std::string key;
        size_t where = r.below(100);
        if (where < 25)
          key = fresh_user();
        else if (where < 60 || live.empty())
          key = r.pick(users);
        else if (where < 90)
          key = r.pick(live);
        else if (!changes.empty())
          key = r.pick(changes).first; // again within the call
        else
          key = fresh_user();
        model_row row;
        rows.push_back(make_live_row(r, u64_key_text(r, key), row));
        if (rows.back().key.front() == '"') // no CSV quoting here
          rows.back().key = key;
        changes.emplace_back(key, std::move(row));
      }
      REQUIRE_STATUS_OK(db.upsert("live", rows));
      for (auto& [key, row] : changes)
        model.upsert("live", key, std::move(row));
      upserted_rows += rows.size();
    }
    for (size_t c = 0; c < remove_calls; ++c) {
      std::vector<std::string> live = live_keys();
      size_t n = 1 + r.below(60);
      std::vector<std::string> keys, texts;
      for (size_t i = 0; i < n; ++i) {
        size_t where = r.below(100);
        std::string key;
        if (where < 55 && !live.empty())
          key = r.pick(live);
        else if (where < 75)
          key = r.pick(users); // known; a live row or not
        else if (where < 90)
          key = fresh_user(); // never seen
        else if (!keys.empty())
          key = r.pick(keys); // twice in one call
        else
          key = r.pick(users);
        keys.push_back(key);
        texts.push_back(r.chance(0.05) && key.size() < 20 ? "0" + key : key);
      }
      uint64_t expected = 0;
      for (const std::string& k : keys)
        expected += model.remove("live", k) ? 1 : 0;
      auto removed = db.remove("live", texts);
      REQUIRE_OK(removed);
      CHECK(*removed == expected);
      ++removal_calls;
    }
    // Never-seen keys removed stay unknown; removed keys stay known.
    universe_size.clear();
  };
  realtime_round(6, 2);

  // ---- checks ----
  std::map<std::string, std::map<std::string, std::set<std::string>>> text_ever;
  std::map<std::string, std::map<std::string, std::set<int64_t>>> number_ever;
  auto pools_for = [&](const std::string& entity) {
    std::map<std::string, tag_pool> pools;
    for (const auto& t : model.tags_of(entity)) {
      if (t.kind == tag_kind::composite)
        continue;
      tag_pool& p = pools[t.name];
      if (t.kind == tag_kind::bool_ || t.kind == tag_kind::enum_ || t.kind == tag_kind::set) {
        auto now = model.current_text_values(entity, t.name);
        p.current_text.assign(now.begin(), now.end());
        auto& ever = text_ever[entity][t.name];
        ever.insert(now.begin(), now.end());
        p.ever_text.assign(ever.begin(), ever.end());
      } else {
        auto now = model.current_number_values(entity, t.name);
        p.current_number.assign(now.begin(), now.end());
        auto& ever = number_ever[entity][t.name];
        ever.insert(now.begin(), now.end());
        p.ever_number.assign(ever.begin(), ever.end());
      }
    }
    return pools;
  };

  uint64_t checked = 0, disagreements = 0;
  uint64_t empty_answers = 0, full_answers = 0, other_answers = 0; // how varied the answers are
  auto model_count = [&](const std::string& entity, const std::string& text) -> uint64_t {
    try {
      return model.count(entity, text, kNow);
    } catch (const model_error& e) {
      FAIL("the model refuses " << entity << " expression: " << text << ": " << e.what());
    }
    return 0;
  };
  // The smallest subexpression (by text) on which the engine and the model disagree.
  auto smallest_disagreement = [&](const std::string& entity, const std::string& text) {
    auto parsed = parse_expression(text);
    std::string best = text;
    if (!parsed)
      return best;
    std::vector<const expr*> stack{&*parsed};
    while (!stack.empty()) {
      const expr* e = stack.back();
      stack.pop_back();
      for (const expr& c : e->children)
        stack.push_back(&c);
      std::string sub = to_string(*e);
      if (sub.size() >= best.size())
        continue;
      auto got = db.estimate(entity, sub, at);
      uint64_t want = model.count(entity, sub, kNow);
      if (!got || *got != want)
        best = sub;
    }
    std::ostringstream out;
    auto got = db.estimate(entity, best, at);
    out << best << "  (engine " << (got ? std::to_string(*got) : got.error().to_string())
        << ", model " << model.count(entity, best, kNow) << ")";
    return out.str();
  };
  auto check = [&](const std::string& entity, const std::string& text) {
    ++checked;
    uint64_t expected = model_count(entity, text);
    if (!universe_size.count(entity))
      universe_size[entity] = model.universe(entity).size();
    ++(expected == 0                       ? empty_answers
       : expected == universe_size[entity] ? full_answers
                                           : other_answers);
    auto got = db.estimate(entity, text, at);
    if (got && *got == expected)
      return;
    ++disagreements;
    std::string smallest = smallest_disagreement(entity, text);
    std::string actual = got ? std::to_string(*got) : got.error().to_string();
    if (keep_going) {
      std::cout << "DISAGREEMENT (" << entity << "): " << text << "\n  engine " << actual
                << ", model " << expected << "\n  smallest: " << smallest << "\n";
      return;
    }
    INFO("entity: " << entity);
    INFO("expression: " << text);
    INFO("engine: " << actual << ", model: " << expected);
    INFO("smallest disagreeing subexpression: " << smallest);
    REQUIRE(got.is_ok());
    REQUIRE(*got == expected);
  };

  // Selects into `group` and compares the members with the model's set, key by key, and the
  // export's row count; returns the version and records it in the model.
  int export_number = 0;
  auto check_select = [&](const std::string& group, const std::string& entity,
                          const std::string& text) -> uint32_t {
    std::set<std::string> expected;
    try {
      expected = model.evaluate(entity, text, kNow);
    } catch (const model_error& e) {
      FAIL("the model refuses " << entity << " expression: " << text << ": " << e.what());
    }
    INFO("select into " << group << ": " << text);
    auto info = db.select(group, text, at);
    if (!info && keep_going) {
      ++disagreements;
      std::cout << "SELECT FAILED (" << entity << "): " << text << "\n  "
                << info.error().to_string() << "\n";
      return 0;
    }
    REQUIRE_OK(info);
    CHECK(info->count == expected.size());
    const auto& known = model.known_keys(entity);
    std::vector<std::string> keys(known.begin(), known.end());
    keys.push_back(entity == "user" ? "18446744073709551613" : "never seen"); // unknown
    auto answers = db.contains_many(group, info->version, keys);
    REQUIRE_OK(answers);
    REQUIRE(answers->size() == keys.size());
    std::vector<std::string> wrong;
    for (size_t i = 0; i < keys.size(); ++i)
      if ((*answers)[i] != (expected.count(keys[i]) > 0) && wrong.size() < 5)
        wrong.push_back(keys[i] + ((*answers)[i] ? " (engine: member)" : " (model: member)"));
    std::string wrong_text;
    for (const std::string& w : wrong)
      wrong_text += "\n  " + w;
    INFO("engine " << info->count << " members, model " << expected.size() << wrong_text);
    if (!wrong.empty() && keep_going) {
      ++disagreements;
      std::cout << "SELECT DISAGREEMENT (" << entity << "): " << text << wrong_text << "\n";
    } else {
      REQUIRE(wrong.empty());
    }
    std::string out = dir / ("export-" + std::to_string(export_number++));
    auto exported = db.export_group(group, info->version, out);
    REQUIRE_OK(exported);
    uint64_t rows = 0;
    for (const auto& part : exported->parts)
      rows += part.rows;
    CHECK(exported->count == expected.size());
    CHECK(rows == expected.size());
    std::error_code ec;
    std::filesystem::remove_all(out, ec);
    model.add_group_version(group, info->version, expected);
    return info->version;
  };

  auto upload = [&](const std::string& group, const std::string& entity,
                    const std::vector<std::string>& keys) {
    const auto& known = model.known_keys(entity);
    uint64_t unknown = 0;
    std::set<std::string> members;
    for (const std::string& k : keys) {
      if (known.count(k))
        members.insert(k);
      else
        ++unknown;
    }
    auto report = db.upload_group(group, keys);
    REQUIRE_OK(report);
    CHECK(report->unknown_keys == unknown);
    CHECK(report->version.count == members.size());
    model.add_group_version(group, report->version.version, members);
    // What the engine holds is what the model holds.
    std::vector<std::string> probe(known.begin(), known.end());
    auto answers = db.contains_many(group, report->version.version, probe);
    REQUIRE_OK(answers);
    uint64_t wrong = 0;
    for (size_t i = 0; i < probe.size(); ++i)
      wrong += (*answers)[i] != (members.count(probe[i]) > 0);
    CHECK(wrong == 0);
  };
  auto random_upload = [&](const std::string& entity, size_t known_count, size_t unknown_count) {
    const auto& known = model.known_keys(entity);
    std::vector<std::string> all(known.begin(), known.end());
    std::shuffle(all.begin(), all.end(), r.gen);
    all.resize(std::min(all.size(), known_count));
    std::set<std::string> fresh;
    while (fresh.size() < unknown_count) {
      std::string k =
          entity == "user" ? std::to_string(r.u64()) : "unknown " + std::to_string(r.u64());
      if (!known.count(k))
        fresh.insert(k);
    }
    all.insert(all.end(), fresh.begin(), fresh.end());
    std::shuffle(all.begin(), all.end(), r.gen);
    return all;
  };

  // Random expressions over both entity types, and a sample checked through selections.
  auto phase = [&](const std::string& label, size_t user_count, size_t device_count,
                   size_t selections) {
    INFO("phase " << label);
    auto user_pools = pools_for("user");
    auto device_pools = pools_for("device");
    expression_generator users_gen(r, model, "user", user_pools, {"g_sel", "g_up"});
    expression_generator devices_gen(r, model, "device", device_pools, {"d_sel", "d_up"});
    for (size_t i = 0; i < user_count + device_count; ++i) {
      if (i < user_count)
        check("user", users_gen.expression());
      else
        check("device", devices_gen.expression());
    }
    for (size_t i = 0; i < selections; ++i) {
      if (i % 5 == 4)
        check_select("d_chk", "device", devices_gen.expression());
      else
        check_select("g_chk", "user", users_gen.expression());
    }
  };

  // ---- groups and composites ----
  REQUIRE_STATUS_OK(db.define_group("g_sel", "user"));
  REQUIRE_STATUS_OK(db.define_group("g_up", "user"));
  REQUIRE_STATUS_OK(db.define_group("g_chk", "user"));
  REQUIRE_STATUS_OK(db.define_group("g_one", "user"));
  REQUIRE_STATUS_OK(db.define_group("d_sel", "device"));
  REQUIRE_STATUS_OK(db.define_group("d_up", "device"));
  REQUIRE_STATUS_OK(db.define_group("d_chk", "device"));
  for (const char* g : {"g_sel", "g_up", "g_chk", "g_one"})
    model.define_group(g, "user");
  for (const char* g : {"d_sel", "d_up", "d_chk"})
    model.define_group(g, "device");
  {
    auto user_pools = pools_for("user");
    auto device_pools = pools_for("device");
    expression_generator users_gen(r, model, "user", user_pools, {});
    expression_generator devices_gen(r, model, "device", device_pools, {});
    for (int i = 0; i < 3; ++i)
      check_select("g_sel", "user", users_gen.expression(1 + i));
    for (int i = 0; i < 2; ++i)
      check_select("d_sel", "device", devices_gen.expression(2));
  }
  upload("g_up", "user", random_upload("user", 300, 50));
  upload("d_up", "device", random_upload("device", 100, 20));

  auto composite = [&](const std::string& entity, const std::string& name,
                       const std::string& definition) {
    REQUIRE_STATUS_OK(db.define_composite(entity, name, definition, false));
    model.define_composite(entity, name, definition);
  };
  composite("user", "big_vip", "vip AND spend >= 1000");
  composite("user", "engaged",
            "NOT big_vip AND (act_kind HAS ALL ('click', 'view') OR interests HAS ANY ('tea', "
            "'golf')) OR IN GROUP g_up");
  composite("user", "recent", "last_seen WITHIN 7 DAYS OR signup WITHIN 3 DAYS");
  composite("device", "dev_c", "model IN ('iphone', 'ipad') OR \"days\" > 1000");
  composite("user", "rt_hot",
            "rt_big >= 0 AND rt_labels HAS ANY ('red', 'blue') OR rt_state = 'open' OR "
            "rt_at WITHIN 2 DAYS AND NOT rt_amount < 0");

  // Fixed edges of the real-time tags: int64 extremes, DECIMAL(18,2) extremes, NULLs.
  auto realtime_edges = [&] {
    for (const char* e : {"rt_big = 9223372036854775807",
                          "rt_big = -9223372036854775808",
                          "rt_big >= -9223372036854775808",
                          "rt_big <= 9223372036854775807",
                          "rt_big > -9223372036854775808",
                          "rt_big < 9223372036854775807",
                          "rt_big > 9223372036854775806",
                          "rt_big < -9223372036854775807",
                          "rt_big != -9223372036854775808",
                          "rt_big != 9223372036854775807",
                          "rt_big BETWEEN -9223372036854775808 AND 9223372036854775807",
                          "rt_big BETWEEN -9223372036854775808 AND -9223372036854775808",
                          "rt_big IN (-9223372036854775808, 9223372036854775807, 0)",
                          "rt_big NOT IN (-9223372036854775808, 9223372036854775807)",
                          "rt_big < 0",
                          "rt_big >= 0",
                          "rt_big < -0.5",
                          "rt_big > 9223372036854775806.5",
                          "rt_big IS NULL",
                          "rt_big IS NOT NULL",
                          "rt_amount = 9999999999999999.99",
                          "rt_amount = -9999999999999999.99",
                          "rt_amount >= 9999999999999999.985",
                          "rt_amount < -9999999999999999.985",
                          "rt_amount > 0.001",
                          "rt_amount <= -0.001",
                          "rt_amount BETWEEN -0.01 AND 0.01",
                          "rt_amount IS NULL",
                          "rt_at <= '0001-01-01 00:00:00'",
                          "rt_at >= '9999-12-31 23:59:59'",
                          "rt_at < '1970-01-01'",
                          "rt_at WITHIN 9223372036854775807 DAYS",
                          "rt_at WITHIN 0 DAYS",
                          "rt_labels = 'semi;colon'",
                          "rt_labels HAS ALL ('red', 'blue')",
                          "rt_labels IS NULL",
                          "rt_state = ''",
                          "rt_state = 'a|b'",
                          "rt_state IS NULL",
                          "NOT rt_state IS NULL",
                          "rt_hot",
                          "rt_hot = FALSE"})
      check("user", e);
  };
  realtime_edges();

  // Universe checks, then the first round.
  check("user", "plan IS NULL OR plan IS NOT NULL");
  check("user", "ghost IS NULL");
  check("user", "ghost IS NOT NULL OR ghost = 1");
  // A few fixed edges on top of the random ones: extreme WITHIN, 19-digit and fractional int
  // literals, decimal literals with more places than the scale.
  for (const char* e :
       {"last_seen WITHIN 9223372036854775807 DAYS", "signup WITHIN 9223372036854775807 DAYS",
        "last_seen WITHIN 0 DAYS", "signup WITHIN 0 DAYS", "score = 9223372036854775807",
        "score <= -9223372036854775808", "score > 4611686018427387903",
        "score < 9223372036854775807.5", "score = 42.0", "score = 20.5",
        "score BETWEEN -0.5 AND 0.5", "spend > 10.005", "spend >= 10.01", "spend = 10.50",
        "spend < -0.001", "spend <= 9999999999.99"})
    check("user", e);
  CHECK(model.count("user", "ghost IS NULL", kNow) == model.universe("user").size());
  check_select("g_chk", "user", "NOT (ghost = 0)");
  check_select("d_chk", "device", "model IS NULL OR NOT model IS NULL");
  phase("v1", 5000, 1000, 100);

  // ---- more real-time rounds between the offline versions ----
  realtime_round(8, 4);
  realtime_edges();
  check("user", "plan IS NULL OR plan IS NOT NULL");
  check_select("g_chk", "user", "rt_big IS NULL OR rt_big IS NOT NULL");
  phase("rt", 1500, 0, 30);
  realtime_round(4, 3);

  // ---- second versions: the old content must be gone ----
  std::vector<std::string> kept;
  std::set<std::string> dropped;
  for (const std::string& k : profile_keys) {
    if (r.chance(0.7))
      kept.push_back(k);
    else
      dropped.insert(k);
  }
  {
    const auto& known = model.known_keys("user");
    std::set<std::string> fresh;
    while (fresh.size() < 150) {
      std::string k = std::to_string(r.u64());
      if (!known.count(k))
        fresh.insert(k);
    }
    kept.insert(kept.end(), fresh.begin(), fresh.end());
  }
  // A kept key whose score we follow across the versions.
  std::string followed;
  int64_t old_score = 0;
  for (const std::string& k : kept) {
    auto it = profile_v1.rows.find(k);
    if (it != profile_v1.rows.end() && it->second[0].number.count("score")) {
      followed = k;
      old_score = *it->second[0].number.at("score").begin();
      break;
    }
  }
  REQUIRE(!followed.empty());
  upload("g_one", "user", {followed});
  csv_table profile_v2 = make_profile(r, kept, false);
  load("profile", "v2", profile_v2, profile_header, 1, true);
  load("activity", "v2", make_activity(r, subset(users, 0.4)), "uid,kind,value\n", 1, true);
  {
    INFO("after the second versions");
    CHECK(model.count("user", "plan = 'retired'", kNow) == 0);
    check("user", "plan = 'retired'");
    check("user", "plan IS NULL OR plan IS NOT NULL");
    const auto& v2 = profile_v2.rows.at(followed)[0].number;
    bool same = v2.count("score") && *v2.at("score").begin() == old_score;
    std::string e = "score = " + std::to_string(old_score) + " AND IN GROUP g_one";
    REQUIRE(model.count("user", e, kNow) == (same ? 1u : 0u));
    check("user", e);
    // Keys only in the dropped part of the profile left the universe.
    std::set<std::string> universe = model.universe("user");
    for (const std::string& k : dropped)
      if (!model.table("extra").rows.count(k) && !model.table("activity").rows.count(k) &&
          !model.table("live").rows.count(k)) {
        CHECK(universe.count(k) == 0);
        break;
      }
    check_select("g_chk", "user", "score IS NULL OR score IS NOT NULL");
    check_select("g_chk", "user", "NOT IN GROUP g_sel VERSION 1");
  }
  {
    auto user_pools = pools_for("user");
    expression_generator users_gen(r, model, "user", user_pools, {"g_up"});
    check_select("g_sel", "user", users_gen.expression(2));
  }
  {
    // Known keys outside the universe (dropped) are members; unknown ones are counted.
    std::vector<std::string> keys = random_upload("user", 200, 30);
    size_t added = 0;
    for (const std::string& k : dropped)
      if (added++ < 40 && std::find(keys.begin(), keys.end(), k) == keys.end())
        keys.push_back(k);
    upload("g_up", "user", keys);
  }
  realtime_round(6, 3);
  realtime_edges();
  phase("v2", 5000, 1000, 100);
  {
    // Every live row removed: the table's tags match nobody and its keys leave the universe
    // unless another table has them.
    std::vector<std::string> all = live_keys();
    all.push_back(fresh_user());
    auto removed = db.remove("live", all);
    REQUIRE_OK(removed);
    CHECK(*removed == all.size() - 1);
    for (const std::string& k : all)
      model.remove("live", k);
    universe_size.clear();
    CHECK(model.count("user", "rt_big IS NOT NULL OR rt_labels IS NOT NULL", kNow) == 0);
    realtime_edges();
    check("user", "plan IS NULL OR plan IS NOT NULL");
    phase("rt-empty", 300, 0, 10);
  }

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "differential test: " << checked << " expressions checked, " << disagreements
            << " disagreements, " << seconds << " s (seed " << seed << ", " << options.vshards
            << " vshards); answers: " << empty_answers << " empty, " << full_answers
            << " the whole universe, " << other_answers
            << " in between; real-time: " << upserted_rows << " rows upserted, " << removal_calls
            << " removal calls\n";
  CHECK(disagreements == 0);
}
