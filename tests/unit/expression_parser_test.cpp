#include "shards/expression.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace Catch {
template <>
struct StringMaker<tagd::expr> {
  static std::string convert(const tagd::expr& e) { return "<" + tagd::to_string(e) + ">"; }
};
} // namespace Catch

namespace {

using tagd::compare_op;
using tagd::error_code;
using tagd::expr;
using tagd::literal;
using tagd::parse_expression;
using tagd::parse_limits;

literal str(std::string s) {
  return literal::string_value(std::move(s));
}
literal num(std::string s) {
  return literal::number_value(std::move(s));
}
literal boolean(bool b) {
  return literal::boolean_value(b);
}

expr leaf(expr::kind type, std::string tag) {
  expr e;
  e.type = type;
  e.tag = std::move(tag);
  return e;
}

expr tag_truth(std::string tag) {
  return leaf(expr::kind::tag_truth, std::move(tag));
}

expr compare(std::string tag, compare_op op, literal value) {
  expr e = leaf(expr::kind::compare, std::move(tag));
  e.op = op;
  e.values = {std::move(value)};
  return e;
}

expr in_list(std::string tag, std::vector<literal> values, bool negated = false) {
  expr e = leaf(expr::kind::in_list, std::move(tag));
  e.values = std::move(values);
  e.negated = negated;
  return e;
}

expr between(std::string tag, literal low, literal high) {
  expr e = leaf(expr::kind::between, std::move(tag));
  e.values = {std::move(low), std::move(high)};
  return e;
}

expr is_null(std::string tag, bool negated = false) {
  expr e = leaf(expr::kind::is_null, std::move(tag));
  e.negated = negated;
  return e;
}

expr has(std::string tag, std::vector<literal> values, bool all) {
  expr e = leaf(expr::kind::has, std::move(tag));
  e.values = std::move(values);
  e.all = all;
  return e;
}

expr within(std::string tag, int64_t days) {
  expr e = leaf(expr::kind::within, std::move(tag));
  e.days = days;
  return e;
}

expr group_ref(std::string group, std::optional<uint64_t> version = std::nullopt) {
  expr e;
  e.type = expr::kind::group_ref;
  e.group = std::move(group);
  e.group_version = version;
  return e;
}

expr node(expr::kind type, std::vector<expr> children) {
  expr e;
  e.type = type;
  e.children = std::move(children);
  return e;
}
expr and_of(std::vector<expr> children) {
  return node(expr::kind::and_, std::move(children));
}
expr or_of(std::vector<expr> children) {
  return node(expr::kind::or_, std::move(children));
}
expr not_of(expr child) {
  return node(expr::kind::not_, {std::move(child)});
}

expr parsed(const std::string& text) {
  auto parsed_result = parse_expression(text);
  INFO("text: " << text);
  if (!parsed_result.is_ok())
    FAIL(parsed_result.error().to_string());
  return parsed_result.value();
}

std::string error_of(const std::string& text, const parse_limits& limits = {},
                     error_code expected_code = error_code::invalid_expression) {
  auto parsed_result = parse_expression(text, limits);
  INFO("text: " << text);
  if (parsed_result.is_ok())
    FAIL("parsed as " << tagd::to_string(parsed_result.value()));
  CHECK(parsed_result.error().code() == expected_code);
  return parsed_result.error().message();
}

std::string canonical(const std::string& text) {
  return tagd::to_string(parsed(text));
}

} // namespace

TEST_CASE("comparisons parse with every operator and value kind", "[expression]") {
  CHECK(parsed("city = 'Shanghai'") == compare("city", compare_op::eq, str("Shanghai")));
  CHECK(parsed("age != 3") == compare("age", compare_op::ne, num("3")));
  CHECK(parsed("age <> 3") == compare("age", compare_op::ne, num("3")));
  CHECK(parsed("age < 3") == compare("age", compare_op::lt, num("3")));
  CHECK(parsed("age <= 3") == compare("age", compare_op::le, num("3")));
  CHECK(parsed("age > 20") == compare("age", compare_op::gt, num("20")));
  CHECK(parsed("age>=20") == compare("age", compare_op::ge, num("20")));
  CHECK(parsed("delta = -7") == compare("delta", compare_op::eq, num("-7")));
  CHECK(parsed("price < 12.50") == compare("price", compare_op::lt, num("12.50")));
  CHECK(parsed("x = -0.5") == compare("x", compare_op::eq, num("-0.5")));
  CHECK(parsed("x = 007") == compare("x", compare_op::eq, num("007")));
  CHECK(parsed("vip = TRUE") == compare("vip", compare_op::eq, boolean(true)));
  CHECK(parsed("vip != false") == compare("vip", compare_op::ne, boolean(false)));
  // The number text is kept as written, so 12.50 and 12.5 stay distinct.
  CHECK(parsed("p = 12.50") != parsed("p = 12.5"));
  // A string is not a number and a boolean is not a string.
  CHECK(parsed("p = '1'") != parsed("p = 1"));
  CHECK(parsed("p = 'true'") != parsed("p = true"));
}

TEST_CASE("IN, BETWEEN, IS NULL, HAS, WITHIN and IN GROUP parse", "[expression]") {
  CHECK(parsed("city IN ('a', 'b')") == in_list("city", {str("a"), str("b")}));
  CHECK(parsed("city NOT IN('x','y')") == in_list("city", {str("x"), str("y")}, true));
  CHECK(parsed("n in (1)") == in_list("n", {num("1")}));
  CHECK(parsed("n IN (1, -2.5, TRUE, 'z')") ==
        in_list("n", {num("1"), num("-2.5"), boolean(true), str("z")}));
  CHECK(parsed("age BETWEEN 18 AND 30") == between("age", num("18"), num("30")));
  CHECK(parsed("name between 'a' and 'm'") == between("name", str("a"), str("m")));
  CHECK(parsed("income IS NULL") == is_null("income"));
  CHECK(parsed("income is not null") == is_null("income", true));
  CHECK(parsed("tags HAS ANY ('tea', 'golf')") == has("tags", {str("tea"), str("golf")}, false));
  CHECK(parsed("tags HAS ALL ('tea', 'golf')") == has("tags", {str("tea"), str("golf")}, true));
  CHECK(parsed("tags has all ('tea')") == has("tags", {str("tea")}, true));
  CHECK(parsed("tags HAS 'tea'") == has("tags", {str("tea")}, false));
  CHECK(parsed("tags HAS ANY ('tea')") == has("tags", {str("tea")}, false));
  CHECK(parsed("last_seen WITHIN 7 DAYS") == within("last_seen", 7));
  CHECK(parsed("last_seen within 1 day") == within("last_seen", 1));
  CHECK(parsed("last_seen WITHIN 0 Days") == within("last_seen", 0));
  CHECK(parsed("t WITHIN 9223372036854775807 DAYS") ==
        within("t", std::numeric_limits<int64_t>::max()));
  CHECK(parsed("IN GROUP vip") == group_ref("vip"));
  CHECK(parsed("in group vip version 3") == group_ref("vip", 3));
  CHECK(parsed("IN GROUP \"group\" VERSION 0") == group_ref("group", 0));
  CHECK(parsed("IN GROUP g VERSION 18446744073709551615") ==
        group_ref("g", std::numeric_limits<uint64_t>::max()));
  CHECK(parsed("is_vip") == tag_truth("is_vip"));
  CHECK(parsed("_a1") == tag_truth("_a1"));
}

TEST_CASE("keywords are case-insensitive, names are case-sensitive", "[expression]") {
  CHECK(parsed("a and Not b Or c") ==
        or_of({and_of({tag_truth("a"), not_of(tag_truth("b"))}), tag_truth("c")}));
  CHECK(parsed("x BeTwEeN 1 aNd 2") == between("x", num("1"), num("2")));
  CHECK(parsed("x iS nOt NuLl") == is_null("x", true));
  CHECK(parsed("City") == tag_truth("City"));
  CHECK(parsed("City") != parsed("city"));
}

TEST_CASE("NOT binds tighter than AND, AND tighter than OR", "[expression]") {
  expr a = tag_truth("a"), b = tag_truth("b"), c = tag_truth("c"), d = tag_truth("d");
  CHECK(parsed("a OR b AND c") == or_of({a, and_of({b, c})}));
  CHECK(parsed("a AND b OR c") == or_of({and_of({a, b}), c}));
  CHECK(parsed("NOT a AND b") == and_of({not_of(a), b}));
  CHECK(parsed("NOT a OR b") == or_of({not_of(a), b}));
  CHECK(parsed("NOT NOT a") == not_of(not_of(a)));
  CHECK(parsed("NOT (a AND b)") == not_of(and_of({a, b})));
  CHECK(parsed("a AND b AND c OR d") == or_of({and_of({a, b, c}), d}));
  // The AND inside BETWEEN is not a conjunction.
  CHECK(parsed("x BETWEEN 1 AND 2 AND c") == and_of({between("x", num("1"), num("2")), c}));
  CHECK(parsed("NOT x BETWEEN 1 AND 2") == not_of(between("x", num("1"), num("2"))));
}

TEST_CASE("chains flatten, parentheses keep their own node", "[expression]") {
  expr a = tag_truth("a"), b = tag_truth("b"), c = tag_truth("c"), d = tag_truth("d");
  CHECK(parsed("a OR b OR c") == or_of({a, b, c}));
  CHECK(parsed("a AND b AND c AND d") == and_of({a, b, c, d}));
  CHECK(parsed("(a OR b) OR c") == or_of({or_of({a, b}), c}));
  CHECK(parsed("a OR (b OR c)") == or_of({a, or_of({b, c})}));
  CHECK(parsed("(a AND b) AND (c AND d)") == and_of({and_of({a, b}), and_of({c, d})}));
  CHECK(parsed("((a))") == a);
  CHECK(parsed("(a) OR (b)") == or_of({a, b}));
  CHECK(parsed("(a OR b) AND NOT c") == and_of({or_of({a, b}), not_of(c)}));
  CHECK(parsed("a OR b OR c") != parsed("(a OR b) OR c"));
}

TEST_CASE("strings unescape, quoted identifiers allow any name", "[expression]") {
  CHECK(parsed(R"(s = 'it\'s')") == compare("s", compare_op::eq, str("it's")));
  CHECK(parsed("s = 'it''s'") == compare("s", compare_op::eq, str("it's")));
  CHECK(parsed(R"(s = 'a\\b')") == compare("s", compare_op::eq, str("a\\b")));
  CHECK(parsed(R"(s = 'line\nnext\tcol')") == compare("s", compare_op::eq, str("line\nnext\tcol")));
  CHECK(parsed("s = ''") == compare("s", compare_op::eq, str("")));
  CHECK(parsed("s = ''''") == compare("s", compare_op::eq, str("'")));
  CHECK(parsed("s = 'AND \"x\" OR'") == compare("s", compare_op::eq, str("AND \"x\" OR")));
  CHECK(parsed("s = '上海'") == compare("s", compare_op::eq, str("上海")));
  CHECK(parsed("\"and\" = 1") == compare("and", compare_op::eq, num("1")));
  CHECK(parsed("\"days\" WITHIN 3 DAYS") == within("days", 3));
  CHECK(parsed("\"my \"\"tag\"\"\" IS NULL") == is_null("my \"tag\""));
  CHECK(parsed("\"城市\" = 'x'") == compare("城市", compare_op::eq, str("x")));
  CHECK(parsed("\"plain\"") == tag_truth("plain"));
  CHECK(parsed("\" a'b \"") == tag_truth(" a'b "));
}

TEST_CASE("any whitespace separates tokens", "[expression]") {
  CHECK(parsed("\ta\n=\r\n1  ") == compare("a", compare_op::eq, num("1")));
  CHECK(parsed("a=1 AND(b)OR c") ==
        or_of({and_of({compare("a", compare_op::eq, num("1")), tag_truth("b")}), tag_truth("c")}));
}

TEST_CASE("nodes carry the column of their first token", "[expression]") {
  expr e = parsed("a AND NOT (b OR c)");
  CHECK(e.column == 1);
  CHECK(e.children[0].column == 1);
  CHECK(e.children[1].column == 7);
  CHECK(e.children[1].children[0].column == 12);
  CHECK(e.children[1].children[0].children[1].column == 17);

  // An AND/OR takes its first operand's column, the '(' included; the node inside the
  // parentheses keeps its own first token's column.
  expr grouped = parsed("  (a OR b) AND IN GROUP g");
  CHECK(grouped.column == 3);
  CHECK(grouped.children[0].column == 4);
  CHECK(grouped.children[1].column == 16);
  CHECK(parsed("x IS NULL").column == 1);
  CHECK(compare("x", compare_op::eq, num("1")) == parsed("   x = 1"));
}

TEST_CASE("to_string prints the canonical form", "[expression]") {
  CHECK(canonical("city='Shanghai' and age>20") == "city = 'Shanghai' AND age > 20");
  CHECK(canonical("(a or b) and not c") == "(a OR b) AND NOT c");
  CHECK(canonical("age between 18 and 30") == "age BETWEEN 18 AND 30");
  CHECK(canonical("tags has all ('tea','golf')") == "tags HAS ALL ('tea', 'golf')");
  CHECK(canonical("tags has any ('tea','golf')") == "tags HAS ANY ('tea', 'golf')");
  CHECK(canonical("tags has any ('tea')") == "tags HAS 'tea'");
  CHECK(canonical("in group vip version 3") == "IN GROUP vip VERSION 3");
  CHECK(canonical("last_seen within 7 day") == "last_seen WITHIN 7 DAYS");
  CHECK(canonical("city not in ('x','y')") == "city NOT IN ('x', 'y')");
  CHECK(canonical("income is not null") == "income IS NOT NULL");
  CHECK(canonical("a <> -1.50") == "a != -1.50");
  CHECK(canonical("a = true OR b = False") == "a = TRUE OR b = FALSE");
  CHECK(canonical("NOT (a AND b)") == "NOT (a AND b)");
  CHECK(canonical("not not a") == "NOT NOT a");
  CHECK(canonical("(a OR b) OR c") == "(a OR b) OR c");
  CHECK(canonical("a OR (b AND c)") == "a OR (b AND c)");
  CHECK(canonical("a OR b AND c") == "a OR (b AND c)");
  CHECK(canonical("((a))") == "a");
  CHECK(canonical("s = 'it''s'") == R"(s = 'it\'s')");
  CHECK(canonical(R"(s = 'a\\b\n\t')") == R"(s = 'a\\b\n\t')");
  CHECK(tagd::to_string(tag_truth("Days")) == "\"Days\"");
  CHECK(tagd::to_string(tag_truth("my \"tag\"")) == "\"my \"\"tag\"\"\"");
  CHECK(tagd::to_string(tag_truth("1st")) == "\"1st\"");
  CHECK(tagd::to_string(group_ref("version")) == "IN GROUP \"version\"");
  CHECK(tagd::to_string(not_of(or_of({tag_truth("a"), not_of(tag_truth("b"))}))) ==
        "NOT (a OR NOT b)");
}

TEST_CASE("syntax errors name the column, what was expected and what was found", "[expression]") {
  const std::string after_tag = "a comparison operator, 'IN', 'NOT IN', 'BETWEEN', 'IS', 'HAS', "
                                "'WITHIN', 'AND', 'OR'";
  const std::string operand = "a tag name, 'NOT', '(' or 'IN GROUP'";

  CHECK(error_of("") == "column 1: expected an expression, found end of input");
  CHECK(error_of("   ") == "column 4: expected an expression, found end of input");
  CHECK(error_of("city = ") == "column 8: expected a value, found end of input");
  CHECK(error_of("age > 'x' AND") == "column 14: expected " + operand + ", found end of input");
  CHECK(error_of("(a AND b") == "column 9: expected " + after_tag + " or ')', found end of input");
  CHECK(error_of("(a = 1") == "column 7: expected 'AND', 'OR' or ')', found end of input");
  CHECK(error_of("a b") == "column 3: expected " + after_tag + " or end of input, found 'b'");
  CHECK(error_of("x = 1 y") == "column 7: expected 'AND', 'OR' or end of input, found 'y'");
  CHECK(error_of("x IS NULL )") == "column 11: expected 'AND', 'OR' or end of input, found ')'");
  CHECK(error_of("city IN ('a',)") == "column 14: expected a value, found ')'");
  CHECK(error_of("city IN ()") == "column 10: expected a value, found ')'");
  CHECK(error_of("x IN 'a'") == "column 6: expected '(', found the string 'a'");
  CHECK(error_of("x IN ('a' 'b')") == "column 11: expected ',' or ')', found the string 'b'");
  CHECK(error_of("x NOT y") == "column 7: expected 'IN', found 'y'");
  CHECK(error_of("x BETWEEN 1") == "column 12: expected 'AND', found end of input");
  CHECK(error_of("x BETWEEN 1 OR 2") == "column 13: expected 'AND', found 'OR'");
  CHECK(error_of("x IS NOT") == "column 9: expected 'NULL', found end of input");
  CHECK(error_of("x IS 5") == "column 6: expected 'NOT' or 'NULL', found '5'");
  CHECK(error_of("tags HAS ('a')") == "column 10: expected 'ANY', 'ALL' or a value, found '('");
  CHECK(error_of("tags HAS ANY 'a'") == "column 14: expected '(', found the string 'a'");
  CHECK(error_of("x WITHIN -1 DAYS") ==
        "column 10: expected a non-negative integer number of days, found '-1'");
  CHECK(error_of("x WITHIN 1.5 DAYS") ==
        "column 10: expected a non-negative integer number of days, found '1.5'");
  CHECK(error_of("x WITHIN 9223372036854775808 DAYS") ==
        "column 10: expected a non-negative integer number of days no larger than "
        "9223372036854775807, found '9223372036854775808'");
  CHECK(error_of("x WITHIN 3") == "column 11: expected 'DAYS', found end of input");
  CHECK(error_of("x WITHIN 3 WEEKS") == "column 12: expected 'DAYS', found 'WEEKS'");
  CHECK(error_of("IN GROUP") == "column 9: expected a group name, found end of input");
  CHECK(error_of("IN GROUP g VERSN 3") ==
        "column 12: expected 'VERSION', 'AND', 'OR' or end of input, found 'VERSN'");
  CHECK(error_of("(IN GROUP g 3)") ==
        "column 13: expected 'VERSION', 'AND', 'OR' or ')', found '3'");
  CHECK(error_of("IN x") == "column 4: expected 'GROUP', found 'x'");
  CHECK(error_of("IN GROUP g VERSION -3") ==
        "column 20: expected a non-negative integer version, found '-3'");
  CHECK(error_of("IN GROUP g VERSION 18446744073709551616") ==
        "column 20: expected a non-negative integer version no larger than "
        "18446744073709551615, found '18446744073709551616'");
  CHECK(error_of("a AND AND b") == "column 7: expected " + operand + ", found 'AND'");
  CHECK(error_of(")") == "column 1: expected " + operand + ", found ')'");
  CHECK(error_of("NOT") == "column 4: expected " + operand + ", found end of input");
  CHECK(error_of("days = 1") == "column 1: expected " + operand + ", found 'days'");
  CHECK(error_of("TRUE") == "column 1: expected " + operand + ", found 'TRUE'");
  CHECK(error_of("x = NULL") == "column 5: expected a value, found 'NULL'");
  CHECK(error_of("x = y") == "column 5: expected a value, found 'y'");
  CHECK(error_of("x == 1") == "column 4: expected a value, found '='");
}

TEST_CASE("bad bytes, strings and numbers are errors at their column", "[expression]") {
  const std::string after_tag = "a comparison operator, 'IN', 'NOT IN', 'BETWEEN', 'IS', 'HAS', "
                                "'WITHIN', 'AND', 'OR' or end of input";
  CHECK(error_of("a @ b") == "column 3: expected " + after_tag + ", found '@'");
  CHECK(error_of("a && b") == "column 3: expected " + after_tag + ", found '&'");
  CHECK(error_of("a ! b") == "column 3: expected " + after_tag + ", found '!'");
  CHECK(error_of(std::string("a \x01")) == "column 3: expected " + after_tag + ", found byte 0x01");
  CHECK(error_of(std::string("a \0 b", 5)) ==
        "column 3: expected " + after_tag + ", found byte 0x00");
  CHECK(error_of("city = 'abc") == "column 8: expected a value, found an unterminated string");
  CHECK(error_of("city = 'abc\\") == "column 8: expected a value, found an unterminated string");
  CHECK(error_of("'abc") == "column 1: expected a tag name, 'NOT', '(' or 'IN GROUP', found an "
                            "unterminated string");
  CHECK(error_of(R"(x = 'a\qb')") ==
        R"(column 7: expected a value, found an unknown escape '\q' in a string)");
  CHECK(error_of("x = 1.") == "column 5: expected a value, found a malformed number '1.'");
  CHECK(error_of("x = .5") == "column 5: expected a value, found a malformed number '.5'");
  CHECK(error_of("x = 1.2.3") == "column 5: expected a value, found a malformed number '1.2.3'");
  CHECK(error_of("x = 12abc") == "column 5: expected a value, found a malformed number '12abc'");
  CHECK(error_of("x = 1AND y") == "column 5: expected a value, found a malformed number '1AND'");
  CHECK(error_of("x = - 1") == "column 5: expected a value, found '-'");
  CHECK(error_of("x = " + std::string(41, '9')) ==
        "column 5: expected a value, found a number longer than 40 characters");
  CHECK(parsed("x = " + std::string(40, '9')) ==
        compare("x", compare_op::eq, num(std::string(40, '9'))));
  CHECK(error_of("\"abc = 1") == "column 1: expected a tag name, 'NOT', '(' or 'IN GROUP', "
                                 "found an unterminated quoted identifier");
  CHECK(error_of("\"\" = 1") == "column 1: expected a tag name, 'NOT', '(' or 'IN GROUP', found "
                                "an empty quoted identifier");
  // A syntax error before a bad byte is reported first.
  CHECK(error_of("x = = @") == "column 5: expected a value, found '='");
  // Long tokens are cut and control bytes escaped, so a message stays short and on one line.
  CHECK(error_of("x = 1 '" + std::string(50, 'a') + "\n'") ==
        "column 7: expected 'AND', 'OR' or end of input, found the string '" +
            std::string(39, 'a') + "...");
  CHECK(error_of("x = 1 'a\nb'") ==
        "column 7: expected 'AND', 'OR' or end of input, found the string 'a\\nb'");
  CHECK(error_of("x = 1 \"my tag\"") ==
        "column 7: expected 'AND', 'OR' or end of input, found the name \"my tag\"");
}

TEST_CASE("limits on length, nesting and lists are too_large errors", "[expression]") {
  parse_limits small;
  small.max_length = 10;
  CHECK(error_of("abcdefghijk", small, error_code::too_large) ==
        "column 11: expected at most 10 bytes of expression text, found 11 bytes");
  CHECK(parsed("abcdefghij") == tag_truth("abcdefghij"));
  CHECK(parse_expression("abcdefghij", small).is_ok());

  std::string nots;
  for (int i = 0; i < 65; ++i)
    nots += "NOT ";
  CHECK(error_of(nots + "a", {}, error_code::too_large) ==
        "column 257: expected nesting at most 64 levels deep, found 65 levels");
  CHECK(parse_expression(nots.substr(4) + "a").is_ok());

  std::string parens = std::string(65, '(') + "a" + std::string(65, ')');
  CHECK(error_of(parens, {}, error_code::too_large) ==
        "column 65: expected nesting at most 64 levels deep, found 65 levels");
  CHECK(parsed(parens.substr(1, parens.size() - 2)) == tag_truth("a"));

  // AND/OR levels count too, each with the parentheses that separate them.
  parse_limits shallow;
  shallow.max_depth = 2;
  CHECK(parse_expression("(a AND b)", shallow).is_ok());
  CHECK(parse_expression("NOT a OR b", shallow).is_ok());
  CHECK(error_of("c OR (a AND b)", shallow, error_code::too_large) ==
        "column 1: expected nesting at most 2 levels deep, found 3 levels");
  CHECK(error_of("NOT NOT NOT a", shallow, error_code::too_large) ==
        "column 9: expected nesting at most 2 levels deep, found 3 levels");
  CHECK(error_of("x AND NOT (y)", shallow, error_code::too_large) ==
        "column 1: expected nesting at most 2 levels deep, found 3 levels");

  // Far past the limit, the parser stops instead of recursing into a stack overflow.
  parse_limits long_text;
  long_text.max_length = 1 << 20;
  std::string huge = std::string(50000, '(') + "a" + std::string(50000, ')');
  CHECK(error_of(huge, long_text, error_code::too_large) ==
        "column 65: expected nesting at most 64 levels deep, found 65 levels");
  std::string many_nots;
  for (int i = 0; i < 20000; ++i)
    many_nots += "NOT ";
  CHECK(parse_expression(many_nots + "a", long_text).error().code() == error_code::too_large);

  // A long flat chain is one level.
  std::string chain = "a0";
  for (int i = 1; i < 10000; ++i)
    chain += " AND a" + std::to_string(i);
  auto flat = parse_expression(chain, long_text);
  REQUIRE(flat.is_ok());
  CHECK(flat->children.size() == 10000);

  parse_limits short_lists;
  short_lists.max_list = 2;
  CHECK(parse_expression("x IN (1, 2)", short_lists).is_ok());
  CHECK(error_of("x IN (1, 2, 3)", short_lists, error_code::too_large) ==
        "column 13: expected at most 2 values in a list, found more");
  CHECK(error_of("t HAS ALL ('a', 'b', 'c')", short_lists, error_code::too_large) ==
        "column 22: expected at most 2 values in a list, found more");
}

namespace {

// Random canonical trees: AND/OR with two or more children, names and strings chosen to
// stress quoting (keywords, quotes, backslashes, control bytes, UTF-8).
class random_tree_builder {
 public:
  explicit random_tree_builder(std::mt19937& rng) : rng_(rng) {}

  expr tree(int depth) {
    if (depth == 0 || below(3) == 0)
      return leaf_node();
    switch (below(3)) {
    case 0:
      return not_of(tree(depth - 1));
    default: {
      std::vector<expr> children;
      int count = 2 + below(3);
      for (int i = 0; i < count; ++i)
        children.push_back(tree(depth - 1));
      return below(2) == 0 ? and_of(std::move(children)) : or_of(std::move(children));
    }
    }
  }

 private:
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string name() {
    static const char* const names[] = {
        "city", "age",   "_x",      "tag_2", "and",   "OR",        "Not",    "in",
        "Is",   "null",  "between", "HAS",   "any",   "all",       "within", "days",
        "Day",  "group", "VERSION", "true",  "False", "my tag",    "a\"b",   "\"",
        "城市", "x-y",   "1abc",    "'",     "a\\b",  "tab\there", "NULL_x", "in_group"};
    if (below(4) == 0) {
      std::string random_identifier(1, "abcXYZ_"[below(7)]);
      for (int i = below(6); i > 0; --i)
        random_identifier += "aZ_09"[below(5)];
      return random_identifier;
    }
    return names[below(static_cast<int>(std::size(names)))];
  }

  std::string tricky_string() {
    static const char* const pieces[] = {"a",  "Z",   "'",   "\\", "\"",   " ",   "\n", "\t",
                                         "\r", ",",   "(",   ")",  "上海", "AND", "''", "\\'",
                                         "--", "\\n", "OR ", "%",  "\x01", "é"};
    std::string text;
    for (int i = below(7); i > 0; --i)
      text += pieces[below(static_cast<int>(std::size(pieces)))];
    return text;
  }

  std::string number_text() {
    std::string text = below(3) == 0 ? "-" : "";
    for (int i = 1 + below(5); i > 0; --i)
      text += static_cast<char>('0' + below(10));
    if (below(2) == 0) {
      text += '.';
      for (int i = 1 + below(3); i > 0; --i)
        text += static_cast<char>('0' + below(10));
    }
    return text;
  }

  literal value() {
    switch (below(4)) {
    case 0:
      return num(number_text());
    case 1:
      return boolean(below(2) == 0);
    default:
      return str(tricky_string());
    }
  }

  std::vector<literal> values() {
    std::vector<literal> list;
    for (int i = 1 + below(4); i > 0; --i)
      list.push_back(value());
    return list;
  }

  expr leaf_node() {
    static const compare_op ops[] = {compare_op::eq, compare_op::ne, compare_op::lt,
                                     compare_op::le, compare_op::gt, compare_op::ge};
    switch (below(8)) {
    case 0:
      return compare(name(), ops[below(6)], value());
    case 1:
      return in_list(name(), values(), below(2) == 0);
    case 2:
      return between(name(), value(), value());
    case 3:
      return is_null(name(), below(2) == 0);
    case 4:
      return has(name(), values(), below(2) == 0);
    case 5:
      return within(name(), below(4) == 0 ? std::numeric_limits<int64_t>::max() : below(400));
    case 6: {
      std::optional<uint64_t> version;
      if (below(2) == 0)
        version = below(4) == 0 ? std::numeric_limits<uint64_t>::max() : below(50);
      return group_ref(name(), version);
    }
    default:
      return tag_truth(name());
    }
  }

  std::mt19937& rng_;
};

unsigned test_seed() {
  // `--rng-seed <n>` (or `--rng-seed time`) explores other trees; the default is fixed.
  return Catch::rngSeed() != 0 ? Catch::rngSeed() : 20240517u;
}

} // namespace

TEST_CASE("random trees survive printing and parsing", "[expression]") {
  const unsigned seed = test_seed();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  random_tree_builder builder(rng);
  for (int iteration = 0; iteration < 6000; ++iteration) {
    expr original = builder.tree(5);
    std::string text = tagd::to_string(original);
    CAPTURE(iteration, text);
    auto reparsed = parse_expression(text);
    if (!reparsed.is_ok())
      FAIL(reparsed.error().to_string());
    REQUIRE(reparsed.value() == original);
    REQUIRE(tagd::to_string(reparsed.value()) == text);
  }
}

TEST_CASE("mangled text never crashes and errors always carry a column", "[expression]") {
  const unsigned seed = test_seed();
  CAPTURE(seed);
  std::mt19937 rng(seed + 1);
  random_tree_builder builder(rng);
  auto below = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  static const char* const fragments[] = {"(", ")", "'", "\"", "\\", "NOT ", " AND ", " OR ", "IN ",
                                          ",", "-", ".", "@",  "=",  "<",    "\xff",  " "};
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string text = tagd::to_string(builder.tree(3));
    for (size_t edits = 1 + below(3); edits > 0; --edits) {
      size_t at = below(text.size() + 1);
      switch (below(3)) {
      case 0:
        text.insert(at, fragments[below(std::size(fragments))]);
        break;
      case 1:
        text.erase(at, below(4));
        break;
      default:
        text = text.substr(0, at);
        break;
      }
    }
    CAPTURE(iteration, text);
    auto result = parse_expression(text);
    if (!result.is_ok()) {
      REQUIRE(result.error().message().rfind("column ", 0) == 0);
      REQUIRE(result.error().message().find(": expected ") != std::string::npos);
      continue;
    }
    // Whatever still parses must print to something that parses back the same.
    std::string printed = tagd::to_string(result.value());
    auto reparsed = parse_expression(printed);
    REQUIRE(reparsed.is_ok());
    REQUIRE(reparsed.value() == result.value());
  }
}
