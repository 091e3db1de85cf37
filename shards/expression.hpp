#pragma once
// The expression AST (DESIGN.md §6): what the text parser produces, what the RPC schema will
// mirror, and what the planner binds against the catalog. Pure syntax: no tag kinds here.

#include "shards/status.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tagd {

struct literal {
  enum class kind { string, number, boolean };
  kind type = kind::string;
  // string: the unescaped value. number: the text as written, an optional '-', digits, an
  // optional '.' and digits (kept as text so decimals stay exact). boolean: "true" or "false".
  std::string text;

  static literal string_value(std::string s) { return {kind::string, std::move(s)}; }
  static literal number_value(std::string s) { return {kind::number, std::move(s)}; }
  static literal boolean_value(bool b) { return {kind::boolean, b ? "true" : "false"}; }
  friend bool operator==(const literal& a, const literal& b) {
    return a.type == b.type && a.text == b.text;
  }
  friend bool operator!=(const literal& a, const literal& b) { return !(a == b); }
};

enum class compare_op { eq, ne, lt, le, gt, ge };

struct expr {
  enum class kind {
    and_,      // children: two or more
    or_,       // children: two or more
    not_,      // children: exactly one
    compare,   // tag op values[0]
    in_list,   // tag [NOT] IN (values...), negated = NOT IN
    between,   // tag BETWEEN values[0] AND values[1], inclusive
    is_null,   // tag IS [NOT] NULL, negated = IS NOT NULL
    has,       // tag HAS ANY (values...) / tag HAS ALL (values...), all = HAS ALL
    within,    // tag WITHIN days DAYS: a time tag in [now - days, now]
    group_ref, // IN GROUP group [VERSION group_version]
    tag_truth, // a bare tag name: a bool tag that is true, or a composite tag
  };

  kind type = kind::tag_truth;
  std::vector<expr> children;
  std::string tag;
  compare_op op = compare_op::eq;
  bool negated = false;
  bool all = false;
  std::vector<literal> values;
  int64_t days = 0;
  std::string group;
  std::optional<uint64_t> group_version;
  // 1-based column where this node starts in the parsed text (0 when built in code); names the
  // place in bind errors. Not part of equality.
  uint32_t column = 0;

  friend bool operator==(const expr& a, const expr& b);
  friend bool operator!=(const expr& a, const expr& b) { return !(a == b); }
};

struct parse_limits {
  size_t max_length = 64 * 1024; // bytes of expression text
  size_t max_depth = 64;         // nesting of AND/OR/NOT and parentheses
  size_t max_list = 100000;      // values in one IN/HAS list
};

// Parses the text form. Errors have code invalid_expression (too_large past max_length) and a
// message "column N: expected X, found Y", with N the 1-based column of the offending token.
result<expr> parse_expression(std::string_view text, const parse_limits& limits = {});

// Prints an expression in the text form; parse_expression(to_string(e)) == e.
std::string to_string(const expr& e);

} // namespace tagd
