#pragma once
// A naive in-memory model of tagd's data and of the meaning of expressions, written from
// docs/expressions.md (not from the engine's planner or evaluator) for the differential test.
//
// The data: per entity type, per table, the rows of the current version only, per key; a row holds
// for each tag a std::set of values: strings for bool ("true"/"false"), enum and set tags, int64
// for int, decimal (scaled by 10^scale) and time (days or seconds since 1970-01-01 UTC) tags.
// A real-time table holds its rows as they stand after the upserts and removals so far (one row
// per key). Groups: their versions as stored member sets. Composite tags: their definitions as
// text.
//
// The evaluator parses the text with tagd::parse_expression and walks the tree itself, deciding
// every leaf for every key of the universe by the documented rule: a leaf matches a key with at
// least one value satisfying it; NULL never satisfies; NOT is the universe minus; IS NULL is the
// universe minus the keys with a value. Number literals compare exactly: the literal's digits and
// the stored value are brought to one power of ten in __int128 (no floating point, no tagd
// number parsing). Anything the document does not allow (an operator that does
// not fit the tag's kind, a value of the wrong kind) throws model_error, so that a generator bug
// shows up as such rather than as a disagreement.
//
// Header-only; everything is in tagd::testing (the helpers in tagd::testing::naive).

#include "shards/expression.hpp"
#include "shards/schema.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tagd::testing {

struct model_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One row of a table: per tag its values (a missing tag or an empty set is NULL).
struct model_row {
  std::map<std::string, std::set<std::string>> text; // bool ("true"/"false"), enum, set
  std::map<std::string, std::set<int64_t>> number;   // int, decimal (scaled), time
};
using model_rows = std::map<std::string, std::vector<model_row>>; // key → its rows

namespace naive {

// ---- exact decimal numbers as digit strings ----

struct exact_number {
  bool negative = false;
  std::string integer;  // no leading zeros; empty for 0
  std::string fraction; // no trailing zeros
};

inline exact_number normalize(exact_number n) {
  size_t lead = n.integer.find_first_not_of('0');
  n.integer = lead == std::string::npos ? std::string() : n.integer.substr(lead);
  size_t trail = n.fraction.find_last_not_of('0');
  n.fraction = trail == std::string::npos ? std::string() : n.fraction.substr(0, trail + 1);
  if (n.integer.empty() && n.fraction.empty())
    n.negative = false;
  return n;
}

// A number literal as the parser keeps it: optional '-', digits, optional '.' and digits.
inline exact_number number_literal(const std::string& text) {
  exact_number n;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    n.negative = true;
    ++i;
  }
  size_t start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    ++i;
  n.integer = text.substr(start, i - start);
  if (n.integer.empty())
    throw model_error("bad number literal '" + text + "'");
  if (i < text.size()) {
    if (text[i] != '.')
      throw model_error("bad number literal '" + text + "'");
    size_t f = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      ++i;
    n.fraction = text.substr(f, i - f);
    if (n.fraction.empty() || i != text.size())
      throw model_error("bad number literal '" + text + "'");
  }
  return normalize(n);
}

// A number as numerator / 10^exponent, exactly (at most 36 digits, at most 18 after the point).
struct rational {
  __int128 numerator = 0;
  uint32_t exponent = 0;
};

inline __int128 power_of_ten(uint32_t n) {
  __int128 p = 1;
  for (uint32_t i = 0; i < n; ++i)
    p *= 10;
  return p;
}

inline rational to_rational(const exact_number& n) {
  if (n.integer.size() + n.fraction.size() > 36 || n.fraction.size() > 18)
    throw model_error("number literal too long for the model");
  rational r;
  for (char c : n.integer + n.fraction)
    r.numerator = r.numerator * 10 + (c - '0');
  if (n.negative)
    r.numerator = -r.numerator;
  r.exponent = static_cast<uint32_t>(n.fraction.size());
  return r;
}

// -1, 0 or 1 as stored / 10^scale is below, equal to or above r: both sides brought to the
// denominator 10^(scale + r.exponent), which __int128 holds (|stored| < 2^63, 10^18; 10^36, 10^2).
inline int compare(int64_t stored, uint32_t scale, const rational& r) {
  if (scale > 2)
    throw model_error("the model compares scales up to 2");
  __int128 left = static_cast<__int128>(stored) * power_of_ten(r.exponent);
  __int128 right = r.numerator * power_of_ten(scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

// ---- calendar ----

inline int64_t civil_to_days(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

inline void days_to_civil(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

inline std::string two(int64_t v) {
  return std::string(1, char('0' + v / 10)) + char('0' + v % 10);
}

// 'YYYY-MM-DD' of a day number.
inline std::string format_date(int64_t days) {
  int64_t y, m, d;
  days_to_civil(days, y, m, d);
  std::string year = std::to_string(y);
  if (year.size() < 4)
    year = std::string(4 - year.size(), '0') + year;
  return year + "-" + two(m) + "-" + two(d);
}

// 'YYYY-MM-DD HH:MM:SS' of seconds since the epoch.
inline std::string format_timestamp(int64_t seconds) {
  int64_t days = floor_div(seconds, 86400), rest = seconds - days * 86400;
  return format_date(days) + " " + two(rest / 3600) + ":" + two(rest / 60 % 60) + ":" +
         two(rest % 60);
}

// A time literal of the documented forms: 'YYYY-MM-DD' (days, or midnight for a timestamp tag)
// and, for timestamp tags only, 'YYYY-MM-DD HH:MM:SS'.
inline int64_t time_literal(const std::string& text, time_unit unit) {
  auto digits = [&](size_t at, size_t count) {
    int64_t v = 0;
    for (size_t i = at; i < at + count; ++i) {
      if (i >= text.size() || text[i] < '0' || text[i] > '9')
        throw model_error("bad time literal '" + text + "'");
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() != 10 && text.size() != 19)
    throw model_error("bad time literal '" + text + "'");
  if (text[4] != '-' || text[7] != '-')
    throw model_error("bad time literal '" + text + "'");
  int64_t y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31)
    throw model_error("bad time literal '" + text + "'");
  int64_t days = civil_to_days(y, mo, d);
  int64_t y2, m2, d2;
  days_to_civil(days, y2, m2, d2);
  if (m2 != mo || d2 != d)
    throw model_error("no such date '" + text + "'");
  if (text.size() == 10)
    return unit == time_unit::date ? days : days * 86400;
  if (unit == time_unit::date)
    throw model_error("a timestamp literal for a date tag: '" + text + "'");
  if (text[10] != ' ' || text[13] != ':' || text[16] != ':')
    throw model_error("bad time literal '" + text + "'");
  int64_t h = digits(11, 2), mi = digits(14, 2), s = digits(17, 2);
  if (h > 23 || mi > 59 || s > 59)
    throw model_error("bad time literal '" + text + "'");
  return days * 86400 + h * 3600 + mi * 60 + s;
}

} // namespace naive

class naive_model {
 public:
  struct tag_info {
    std::string name;
    std::string entity;
    std::string table; // empty for a composite
    tag_kind kind = tag_kind::enum_;
    uint32_t precision = 18; // decimal
    uint32_t scale = 0;
    time_unit unit = time_unit::date;
    std::string definition; // composite
  };
  struct table_info {
    std::string name;
    std::string entity;
    bool multi_row = false;
    bool loaded = false; // has a current version
    model_rows rows;     // of the current version
  };
  struct group_info {
    std::string name;
    std::string entity;
    std::map<uint64_t, std::set<std::string>> versions;
  };

  // ---- definitions and data ----

  void define_entity(const std::string& name, key_kind keys) {
    entities_[name] = keys;
    known_[name];
    changed();
  }
  void define_table(const std::string& name, const std::string& entity, bool multi_row) {
    table_info t;
    t.name = name;
    t.entity = entity;
    t.multi_row = multi_row;
    tables_[name] = std::move(t);
    changed();
  }
  void define_tag(const tag_info& tag) {
    tags_[{tag.entity, tag.name}] = tag;
    changed();
  }
  void define_composite(const std::string& entity, const std::string& name,
                        const std::string& definition) {
    tag_info t;
    t.name = name;
    t.entity = entity;
    t.kind = tag_kind::composite;
    t.definition = definition;
    define_tag(t);
  }
  // A new current version of a table: these rows replace all of the previous version's.
  void load(const std::string& table, model_rows rows) {
    table_info& t = tables_.at(table);
    t.rows = std::move(rows);
    t.loaded = true;
    for (const auto& [key, list] : t.rows)
      known_[t.entity].insert(key);
    changed();
  }
  // A real-time table (single-row): `row` replaces the key's whole row (a tag missing from it, or
  // with no values, is NULL). The key counts for the universe while it has a row.
  void upsert(const std::string& table, const std::string& key, model_row row) {
    table_info& t = tables_.at(table);
    if (t.multi_row)
      throw model_error("upsert into multi-row table '" + table + "'");
    for (auto it = row.text.begin(); it != row.text.end();)
      it = it->second.empty() ? row.text.erase(it) : std::next(it);
    for (auto it = row.number.begin(); it != row.number.end();)
      it = it->second.empty() ? row.number.erase(it) : std::next(it);
    t.rows[key] = {std::move(row)};
    t.loaded = true;
    known_[t.entity].insert(key);
    changed();
  }
  // Removes a real-time table's row of a key; whether there was one. The key stays known.
  bool remove(const std::string& table, const std::string& key) {
    table_info& t = tables_.at(table);
    bool had = t.rows.erase(key) > 0;
    changed();
    return had;
  }
  void define_group(const std::string& name, const std::string& entity) {
    group_info g;
    g.name = name;
    g.entity = entity;
    groups_[name] = std::move(g);
    changed();
  }
  void add_group_version(const std::string& group, uint64_t version,
                         std::set<std::string> members) {
    groups_.at(group).versions[version] = std::move(members);
    changed();
  }

  // ---- questions ----

  // Keys that were ever in a loaded version of a table of the entity type.
  const std::set<std::string>& known_keys(const std::string& entity) const {
    return known_.at(entity);
  }
  // Keys with a row in the current version of any table of the entity type.
  std::set<std::string> universe(const std::string& entity) const {
    std::set<std::string> out;
    for (const auto& [name, t] : tables_)
      if (t.entity == entity && t.loaded)
        for (const auto& [key, rows] : t.rows)
          if (!rows.empty())
            out.insert(key);
    return out;
  }
  const table_info& table(const std::string& name) const { return tables_.at(name); }
  const group_info& group(const std::string& name) const { return groups_.at(name); }
  const tag_info* find_tag(const std::string& entity, const std::string& name) const {
    auto it = tags_.find({entity, name});
    return it == tags_.end() ? nullptr : &it->second;
  }
  std::vector<tag_info> tags_of(const std::string& entity) const {
    std::vector<tag_info> out;
    for (const auto& [id, t] : tags_)
      if (t.entity == entity)
        out.push_back(t);
    return out;
  }
  // The values the current version holds for a tag (across keys and rows).
  std::set<std::string> current_text_values(const std::string& entity,
                                            const std::string& tag) const {
    std::set<std::string> out;
    const tag_info& t = tags_.at({entity, tag});
    const table_info& table = tables_.at(t.table);
    if (table.loaded)
      for (const auto& [key, rows] : table.rows)
        for (const model_row& row : rows)
          if (auto it = row.text.find(tag); it != row.text.end())
            out.insert(it->second.begin(), it->second.end());
    return out;
  }
  std::set<int64_t> current_number_values(const std::string& entity, const std::string& tag) const {
    std::set<int64_t> out;
    const tag_info& t = tags_.at({entity, tag});
    const table_info& table = tables_.at(t.table);
    if (table.loaded)
      for (const auto& [key, rows] : table.rows)
        for (const model_row& row : rows)
          if (auto it = row.number.find(tag); it != row.number.end())
            out.insert(it->second.begin(), it->second.end());
    return out;
  }

  // The keys an expression selects. `now` is seconds since the epoch (UTC).
  std::set<std::string> evaluate(const std::string& entity, const std::string& text,
                                 int64_t now) const {
    const view& v = view_of(entity);
    std::vector<char> bits = evaluate_bits(entity, v, text, now, 0);
    std::set<std::string> out;
    for (size_t i = 0; i < bits.size(); ++i)
      if (bits[i])
        out.insert(v.keys[i]);
    return out;
  }
  uint64_t count(const std::string& entity, const std::string& text, int64_t now) const {
    const view& v = view_of(entity);
    std::vector<char> bits = evaluate_bits(entity, v, text, now, 0);
    return static_cast<uint64_t>(std::count(bits.begin(), bits.end(), char(1)));
  }

 private:
  using bits = std::vector<char>;

  // Every key that can appear in an answer (the universe and the members of every group version)
  // with each tag's values merged over the key's rows: a leaf asks "is there a value that…" or
  // "are these all among the values", both of which only see the union of the rows.
  struct view {
    std::vector<std::string> keys; // sorted
    std::vector<char> in_universe;
    std::map<std::string, std::vector<std::set<std::string>>> text;
    std::map<std::string, std::vector<std::set<int64_t>>> number;
    std::map<std::pair<std::string, uint64_t>, bits> groups;
  };

  void changed() { views_.clear(); }

  const view& view_of(const std::string& entity) const {
    auto found = views_.find(entity);
    if (found != views_.end())
      return *found->second;
    if (!entities_.count(entity))
      throw model_error("no entity type '" + entity + "'");
    auto v = std::make_unique<view>();
    std::set<std::string> universe_keys = universe(entity);
    std::set<std::string> all = universe_keys;
    for (const auto& [name, g] : groups_)
      if (g.entity == entity)
        for (const auto& [version, members] : g.versions)
          all.insert(members.begin(), members.end());
    v->keys.assign(all.begin(), all.end());
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < v->keys.size(); ++i) {
      index[v->keys[i]] = i;
      v->in_universe.push_back(universe_keys.count(v->keys[i]) ? 1 : 0);
    }
    size_t n = v->keys.size();
    for (const auto& [id, t] : tags_) {
      if (t.entity != entity || t.kind == tag_kind::composite)
        continue;
      bool is_text =
          t.kind == tag_kind::bool_ || t.kind == tag_kind::enum_ || t.kind == tag_kind::set;
      auto& text_values = v->text[t.name];
      auto& number_values = v->number[t.name];
      if (is_text)
        text_values.resize(n);
      else
        number_values.resize(n);
      const table_info& table = tables_.at(t.table);
      if (!table.loaded)
        continue;
      for (const auto& [key, rows] : table.rows) {
        size_t i = index.at(key);
        for (const model_row& row : rows) {
          if (is_text) {
            if (auto it = row.text.find(t.name); it != row.text.end())
              text_values[i].insert(it->second.begin(), it->second.end());
          } else if (auto it = row.number.find(t.name); it != row.number.end()) {
            number_values[i].insert(it->second.begin(), it->second.end());
          }
        }
      }
    }
    for (const auto& [name, g] : groups_) {
      if (g.entity != entity)
        continue;
      for (const auto& [version, members] : g.versions) {
        bits b(n, 0);
        for (const std::string& key : members)
          b[index.at(key)] = 1;
        v->groups[{name, version}] = std::move(b);
      }
    }
    return *(views_[entity] = std::move(v));
  }

  bits evaluate_bits(const std::string& entity, const view& v, const std::string& text, int64_t now,
                     int depth) const {
    if (depth > 32)
      throw model_error("composite tags nest too deep");
    auto parsed = parse_expression(text);
    if (!parsed)
      throw model_error("does not parse: " + parsed.error().to_string() + ": " + text);
    return eval(entity, v, *parsed, now, depth);
  }

  static void require(bool ok, const std::string& what) {
    if (!ok)
      throw model_error(what);
  }

  // A leaf over the merged values of every key: in the universe and `match` says yes.
  template <class Values, class Match>
  static bits per_key(const view& v, const std::vector<Values>& values, Match match) {
    bits out(v.keys.size(), 0);
    for (size_t i = 0; i < v.keys.size(); ++i)
      out[i] = v.in_universe[i] && match(values[i]) ? 1 : 0;
    return out;
  }

  bits eval(const std::string& entity, const view& v, const expr& e, int64_t now, int depth) const {
    size_t n = v.keys.size();
    switch (e.type) {
    case expr::kind::and_:
    case expr::kind::or_: {
      require(!e.children.empty(), "empty AND/OR");
      bits out = eval(entity, v, e.children[0], now, depth);
      for (size_t c = 1; c < e.children.size(); ++c) {
        bits other = eval(entity, v, e.children[c], now, depth);
        for (size_t i = 0; i < n; ++i)
          out[i] = e.type == expr::kind::and_ ? (out[i] && other[i]) : (out[i] || other[i]);
      }
      return out;
    }
    case expr::kind::not_: {
      require(e.children.size() == 1, "NOT takes one operand");
      return negate(v, eval(entity, v, e.children[0], now, depth));
    }
    case expr::kind::group_ref: {
      auto g = groups_.find(e.group);
      require(g != groups_.end(), "no group '" + e.group + "'");
      require(g->second.entity == entity, "group '" + e.group + "' is of another entity type");
      require(!g->second.versions.empty(), "group '" + e.group + "' has no version");
      uint64_t version = e.group_version ? *e.group_version : g->second.versions.rbegin()->first;
      auto members = v.groups.find({e.group, version});
      require(members != v.groups.end(),
              "group '" + e.group + "' has no version " + std::to_string(version));
      return members->second;
    }
    default:
      break;
    }

    const tag_info* tag = find_tag(entity, e.tag);
    require(tag != nullptr, "unknown tag '" + e.tag + "'");
    const tag_kind kind = tag->kind;

    if (kind == tag_kind::composite) {
      bits definition = evaluate_bits(entity, v, tag->definition, now, depth + 1);
      if (e.type == expr::kind::tag_truth)
        return definition;
      require(e.type == expr::kind::compare && e.values.size() == 1 &&
                  e.values[0].type == literal::kind::boolean &&
                  (e.op == compare_op::eq || e.op == compare_op::ne),
              "composite '" + e.tag + "' allows only bare, = TRUE/FALSE, != TRUE/FALSE");
      bool want_true = (e.values[0].text == "true") == (e.op == compare_op::eq);
      return want_true ? definition : negate(v, definition);
    }

    if (e.type == expr::kind::is_null) {
      bool is_text = kind == tag_kind::bool_ || kind == tag_kind::enum_ || kind == tag_kind::set;
      auto has_value = [&](const auto& values) { return !values.empty() != !e.negated; };
      // IS NOT NULL (negated): has a value; IS NULL: in the universe without one.
      return is_text ? per_key(v, v.text.at(e.tag), has_value)
                     : per_key(v, v.number.at(e.tag), has_value);
    }

    if (kind == tag_kind::bool_ || kind == tag_kind::enum_ || kind == tag_kind::set)
      return eval_text(v, e, *tag);
    return eval_number(v, e, *tag, now);
  }

  static bits negate(const view& v, const bits& x) {
    bits out(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      out[i] = v.in_universe[i] && !x[i] ? 1 : 0;
    return out;
  }

  // bool, enum and set tags: values are strings.
  static bits eval_text(const view& v, const expr& e, const tag_info& tag) {
    const bool is_bool = tag.kind == tag_kind::bool_;
    const auto& values = v.text.at(tag.name);
    auto literal_text = [&](const literal& l) {
      if (is_bool)
        require(l.type == literal::kind::boolean,
                "bool tag '" + tag.name + "' compared with a non-boolean");
      else
        require(l.type == literal::kind::string,
                "tag '" + tag.name + "' compared with a non-string");
      return l.text;
    };
    switch (e.type) {
    case expr::kind::tag_truth:
      require(is_bool, "bare tag '" + tag.name + "' is not bool or composite");
      return per_key(v, values, [](const std::set<std::string>& s) { return s.count("true"); });
    case expr::kind::compare: {
      require(e.op == compare_op::eq || e.op == compare_op::ne,
              "ordering operator on tag '" + tag.name + "'");
      std::string value = literal_text(e.values.at(0));
      if (e.op == compare_op::eq)
        return per_key(v, values, [&](const std::set<std::string>& s) {
          return std::any_of(s.begin(), s.end(), [&](const std::string& x) { return x == value; });
        });
      return per_key(v, values, [&](const std::set<std::string>& s) {
        return std::any_of(s.begin(), s.end(), [&](const std::string& x) { return x != value; });
      });
    }
    case expr::kind::in_list: {
      std::set<std::string> list;
      for (const literal& l : e.values)
        list.insert(literal_text(l));
      return per_key(v, values, [&](const std::set<std::string>& s) {
        return std::any_of(s.begin(), s.end(),
                           [&](const std::string& x) { return list.count(x) != e.negated; });
      });
    }
    case expr::kind::has: {
      require(!is_bool, "HAS on bool tag '" + tag.name + "'");
      std::vector<std::string> list;
      for (const literal& l : e.values)
        list.push_back(literal_text(l));
      if (e.all)
        return per_key(v, values, [&](const std::set<std::string>& s) {
          return std::all_of(list.begin(), list.end(),
                             [&](const std::string& x) { return s.count(x) > 0; });
        });
      return per_key(v, values, [&](const std::set<std::string>& s) {
        return std::any_of(list.begin(), list.end(),
                           [&](const std::string& x) { return s.count(x) > 0; });
      });
    }
    default:
      throw model_error("operator does not fit " + std::string(to_string(tag.kind)) + " tag '" +
                        tag.name + "'");
    }
  }

  // int, decimal and time tags: values are integers; literals compare exactly.
  static bits eval_number(const view& v, const expr& e, const tag_info& tag, int64_t now) {
    const auto& values = v.number.at(tag.name);
    const uint32_t scale = tag.kind == tag_kind::decimal ? tag.scale : 0;
    auto literal_number = [&](const literal& l) {
      if (tag.kind == tag_kind::time) {
        require(l.type == literal::kind::string,
                "time tag '" + tag.name + "' compared with a non-string");
        naive::rational r;
        r.numerator = naive::time_literal(l.text, tag.unit);
        return r;
      }
      require(l.type == literal::kind::number, "tag '" + tag.name + "' compared with a non-number");
      return naive::to_rational(naive::number_literal(l.text));
    };
    auto cmp = [scale](int64_t stored, const naive::rational& lit) {
      return naive::compare(stored, scale, lit);
    };
    switch (e.type) {
    case expr::kind::compare: {
      naive::rational lit = literal_number(e.values.at(0));
      compare_op op = e.op;
      auto ok = [&](int64_t x) {
        int c = cmp(x, lit);
        switch (op) {
        case compare_op::eq:
          return c == 0;
        case compare_op::ne:
          return c != 0;
        case compare_op::lt:
          return c < 0;
        case compare_op::le:
          return c <= 0;
        case compare_op::gt:
          return c > 0;
        case compare_op::ge:
          return c >= 0;
        }
        return false;
      };
      return per_key(v, values, [&](const std::set<int64_t>& s) {
        return std::any_of(s.begin(), s.end(), ok);
      });
    }
    case expr::kind::between: {
      require(e.values.size() == 2, "BETWEEN takes two values");
      naive::rational lo = literal_number(e.values[0]), hi = literal_number(e.values[1]);
      return per_key(v, values, [&](const std::set<int64_t>& s) {
        return std::any_of(s.begin(), s.end(),
                           [&](int64_t x) { return cmp(x, lo) >= 0 && cmp(x, hi) <= 0; });
      });
    }
    case expr::kind::in_list: {
      std::vector<naive::rational> list;
      for (const literal& l : e.values)
        list.push_back(literal_number(l));
      return per_key(v, values, [&](const std::set<int64_t>& s) {
        return std::any_of(s.begin(), s.end(), [&](int64_t x) {
          bool in = std::any_of(list.begin(), list.end(),
                                [&](const naive::rational& l) { return cmp(x, l) == 0; });
          return in != e.negated;
        });
      });
    }
    case expr::kind::within: {
      require(tag.kind == tag_kind::time, "WITHIN on non-time tag '" + tag.name + "'");
      require(e.days >= 0, "WITHIN a negative number of days");
      __int128 hi, lo;
      if (tag.unit == time_unit::date) {
        hi = naive::floor_div(now, 86400); // today, UTC
        lo = hi - e.days;
      } else {
        hi = now;
        lo = hi - static_cast<__int128>(e.days) * 86400;
      }
      return per_key(v, values, [&](const std::set<int64_t>& s) {
        return std::any_of(s.begin(), s.end(), [&](int64_t x) { return x >= lo && x <= hi; });
      });
    }
    default:
      throw model_error("operator does not fit " + std::string(to_string(tag.kind)) + " tag '" +
                        tag.name + "'");
    }
  }

  std::map<std::string, key_kind> entities_;
  std::map<std::string, std::set<std::string>> known_;
  std::map<std::string, table_info> tables_;
  std::map<std::pair<std::string, std::string>, tag_info> tags_;
  std::map<std::string, group_info> groups_;
  mutable std::map<std::string, std::unique_ptr<view>> views_;
};

} // namespace tagd::testing
