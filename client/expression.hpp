#pragma once
// What a query matches: the text form (docs/expressions.md), or the same built from parts, for
// programs that assemble audiences and would otherwise quote and escape values into text. A
// built expression travels as the protocol's structured Expr; the node reads both alike, so
// errors are the same (an unknown tag is UNKNOWN_TAG, AND with one operand INVALID_EXPRESSION).
//
//   using namespace tagd::client;
//   auto rule = expression::all_of({expression::in("city", {"Shanghai", "Beijing"}),
//                                   expression::between("age", 20, 35),
//                                   expression::tag("vip")});
//   connection.estimate(rule);

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tagd::client {

// A value in a built expression: a string, a number as written (exact decimals: "19.99"), or a
// boolean.
struct literal {
  enum class kind { string, number, boolean };
  literal(const char* value) : text(value) {}
  literal(std::string value) : text(std::move(value)) {}
  literal(int value) : type(kind::number), text(std::to_string(value)) {}
  literal(int64_t value) : type(kind::number), text(std::to_string(value)) {}
  literal(bool value) : type(kind::boolean), flag(value) {}
  // A number written out, such as "-12" or "19.99" (no binary floating point in between).
  static literal number(std::string as_written);

  kind type = kind::string;
  std::string text;  // string: the value; number: as written
  bool flag = false; // boolean
};

enum class compare_op { eq, ne, lt, le, gt, ge };

struct expression {
  enum class kind {
    text, // the whole expression as text
    and_,
    or_,
    not_,
    compare,
    in_list,
    between,
    is_null,
    has,
    within,
    in_group,
    tag
  };

  // The text form; a std::string or a string literal converts to it.
  expression(std::string text_form) : text(std::move(text_form)) {}
  expression(const char* text_form) : text(text_form) {}

  static expression compare(std::string tag, compare_op op, literal value);
  static expression in(std::string tag, std::vector<literal> values);
  static expression not_in(std::string tag, std::vector<literal> values);
  static expression between(std::string tag, literal low, literal high);
  static expression is_null(std::string tag);
  static expression is_not_null(std::string tag);
  static expression has_any(std::string tag, std::vector<literal> values);
  static expression has_all(std::string tag, std::vector<literal> values);
  // A time tag within the last `days` days (of the query's `now`).
  static expression within(std::string tag, int64_t days);
  // The members of a group version; 0: the latest.
  static expression in_group(std::string group, uint32_t version = 0);
  // A bool tag that is true, or a composite tag.
  static expression tag(std::string name);
  static expression all_of(std::vector<expression> operands); // AND: two or more
  static expression any_of(std::vector<expression> operands); // OR: two or more
  static expression negation(expression operand);             // NOT

  kind type = kind::text;
  std::string text; // kind::text
  std::string name; // the tag, or the group of in_group
  compare_op op = compare_op::eq;
  std::vector<literal> values;      // compare (one), in_list, between (low, high), has
  bool negated = false;             // in_list: NOT IN; is_null: IS NOT NULL
  bool all = false;                 // has: HAS ALL
  int64_t days = 0;                 // within
  uint32_t version = 0;             // in_group
  std::vector<expression> operands; // and_, or_; not_: one

 private:
  explicit expression(kind k) : type(k) {}
  static expression leaf(kind type, std::string name, std::vector<literal> values = {});
};

} // namespace tagd::client
