#include "shards/expression.hpp"

#include "shards/expression_lexer.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

namespace tagd {

bool operator==(const expr& a, const expr& b) {
  return a.type == b.type && a.tag == b.tag && a.op == b.op && a.negated == b.negated &&
         a.all == b.all && a.values == b.values && a.days == b.days && a.group == b.group &&
         a.group_version == b.group_version && a.children == b.children;
}

namespace {

using expression_syntax::describe;
using expression_syntax::keyword;
using expression_syntax::token;

std::string column_prefix(size_t column) {
  return "column " + std::to_string(column) + ": ";
}

class parser {
 public:
  parser(std::string_view text, const parse_limits& limits)
      : text_(text), limits_(limits), lexer_(text) {}

  result<expr> parse_all();

 private:
  // A parsed sub-expression and how many nesting levels (NOT, parentheses, AND/OR) it spans,
  // which the AST alone cannot say because parentheses leave no node.
  struct nested {
    expr node;
    size_t depth = 0;
    // Of the operand's first token, its '(' included: the column of an enclosing AND/OR. The
    // node inside parentheses keeps the column of its own first token.
    size_t column = 0;
  };

  result<nested> parse_chain(keyword joiner, expr::kind kind, result<nested> (parser::*operand)());
  result<nested> parse_or();
  result<nested> parse_and();
  result<nested> parse_unary();
  result<nested> parse_parenthesized();
  result<expr> parse_primary();
  result<expr> parse_group_ref(size_t column);
  result<expr> parse_predicate(std::string tag, size_t column);
  result<literal> parse_value(std::string_view expected = "a value");
  result<std::vector<literal>> parse_value_list();
  result<uint64_t> parse_unsigned(uint64_t max, std::string_view expected);
  result<std::string> parse_name(std::string_view expected);
  status expect(token::kind type, std::string_view expected);
  status expect(keyword word, std::string_view expected);
  status expect_end_of_nesting(bool inside_parentheses);
  status check_depth(size_t depth, size_t column);

  void advance() {
    current_ = lexer_.next();
    ++tokens_consumed_;
  }
  // Every syntax error: names the current token, or the lexer's problem if it is not a token.
  status unexpected(std::string_view expected) const {
    return status(error_code::invalid_expression, column_prefix(current_.column) + "expected " +
                                                      std::string(expected) + ", found " +
                                                      describe(current_));
  }
  static uint32_t node_column(size_t column) {
    return static_cast<uint32_t>(std::min<size_t>(column, std::numeric_limits<uint32_t>::max()));
  }

  std::string_view text_;
  const parse_limits& limits_;
  expression_syntax::lexer lexer_;
  token current_;
  size_t tokens_consumed_ = 0;
  // NOTs and parentheses open around the current token: bounds the parser's recursion.
  size_t open_nesting_ = 0;
  // Right after a bare tag or a group without a version, more than AND/OR could follow; an
  // error there lists those too. Valid while tokens_consumed_ == optional_tail_at_.
  std::string_view optional_tail_;
  size_t optional_tail_at_ = std::numeric_limits<size_t>::max();
};

result<expr> parser::parse_all() {
  if (text_.size() > limits_.max_length)
    return status(error_code::too_large,
                  column_prefix(limits_.max_length + 1) + "expected at most " +
                      std::to_string(limits_.max_length) + " bytes of expression text, found " +
                      std::to_string(text_.size()) + " bytes");
  advance();
  if (current_.type == token::kind::end)
    return unexpected("an expression");
  TAGD_TRY_ASSIGN(whole, parse_or());
  TAGD_TRY(expect_end_of_nesting(false));
  return std::move(whole.node);
}

status parser::check_depth(size_t depth, size_t column) {
  if (depth <= limits_.max_depth)
    return status::ok();
  return status(error_code::too_large, column_prefix(column) + "expected nesting at most " +
                                           std::to_string(limits_.max_depth) +
                                           " levels deep, found " + std::to_string(depth) +
                                           " levels");
}

// After an operand: whatever comes next must continue or close the enclosing level.
status parser::expect_end_of_nesting(bool inside_parentheses) {
  token::kind closing = inside_parentheses ? token::kind::close_paren : token::kind::end;
  if (current_.type == closing)
    return status::ok();
  std::string expected;
  if (tokens_consumed_ == optional_tail_at_)
    expected = optional_tail_;
  expected += inside_parentheses ? "'AND', 'OR' or ')'" : "'AND', 'OR' or end of input";
  return unexpected(expected);
}

// OR and AND operands are collected in one loop, so `a OR b OR c` is one node; a
// parenthesized operand comes back from parse_unary whole and so stays its own child.
result<parser::nested> parser::parse_chain(keyword joiner, expr::kind kind,
                                           result<nested> (parser::*operand)()) {
  TAGD_TRY_ASSIGN(first, (this->*operand)());
  if (!current_.is(joiner))
    return first;
  nested combined;
  combined.node.type = kind;
  combined.node.column = node_column(first.column);
  combined.column = first.column;
  combined.depth = first.depth + 1;
  combined.node.children.push_back(std::move(first.node));
  while (current_.is(joiner)) {
    advance();
    TAGD_TRY_ASSIGN(next, (this->*operand)());
    combined.depth = std::max(combined.depth, next.depth + 1);
    combined.node.children.push_back(std::move(next.node));
  }
  TAGD_TRY(check_depth(combined.depth, combined.column));
  return combined;
}

result<parser::nested> parser::parse_or() {
  return parse_chain(keyword::or_, expr::kind::or_, &parser::parse_and);
}

result<parser::nested> parser::parse_and() {
  return parse_chain(keyword::and_, expr::kind::and_, &parser::parse_unary);
}

result<parser::nested> parser::parse_unary() {
  if (current_.type == token::kind::open_paren)
    return parse_parenthesized();
  if (!current_.is(keyword::not_)) {
    size_t column = current_.column;
    TAGD_TRY_ASSIGN(leaf, parse_primary());
    return nested{std::move(leaf), 0, column};
  }
  size_t column = current_.column;
  TAGD_TRY(check_depth(open_nesting_ + 1, column));
  advance();
  ++open_nesting_;
  TAGD_TRY_ASSIGN(operand, parse_unary());
  --open_nesting_;
  nested negation;
  negation.node.type = expr::kind::not_;
  negation.node.column = node_column(column);
  negation.node.children.push_back(std::move(operand.node));
  negation.depth = operand.depth + 1;
  negation.column = column;
  TAGD_TRY(check_depth(negation.depth, column));
  return negation;
}

result<parser::nested> parser::parse_parenthesized() {
  size_t column = current_.column;
  TAGD_TRY(check_depth(open_nesting_ + 1, column));
  advance();
  ++open_nesting_;
  TAGD_TRY_ASSIGN(inner, parse_or());
  TAGD_TRY(expect_end_of_nesting(true));
  advance();
  --open_nesting_;
  inner.depth += 1;
  inner.column = column;
  TAGD_TRY(check_depth(inner.depth, column));
  return inner;
}

result<expr> parser::parse_primary() {
  size_t column = current_.column;
  if (current_.is(keyword::in))
    return parse_group_ref(column);
  if (current_.type != token::kind::name && current_.type != token::kind::quoted_name)
    return unexpected("a tag name, 'NOT', '(' or 'IN GROUP'");
  std::string tag = std::move(current_.text);
  advance();
  return parse_predicate(std::move(tag), column);
}

result<expr> parser::parse_group_ref(size_t column) {
  advance();
  TAGD_TRY(expect(keyword::group, "'GROUP'"));
  expr node;
  node.type = expr::kind::group_ref;
  node.column = node_column(column);
  TAGD_TRY_ASSIGN(group, parse_name("a group name"));
  node.group = std::move(group);
  if (current_.is(keyword::version)) {
    advance();
    TAGD_TRY_ASSIGN(version, parse_unsigned(std::numeric_limits<uint64_t>::max(),
                                            "a non-negative integer version"));
    node.group_version = version;
  } else {
    optional_tail_ = "'VERSION', ";
    optional_tail_at_ = tokens_consumed_;
  }
  return node;
}

result<expr> parser::parse_predicate(std::string tag, size_t column) {
  expr node;
  node.tag = std::move(tag);
  node.column = node_column(column);
  if (current_.type == token::kind::comparison) {
    node.type = expr::kind::compare;
    node.op = current_.op;
    advance();
    TAGD_TRY_ASSIGN(value, parse_value());
    node.values.push_back(std::move(value));
    return node;
  }
  if (current_.is(keyword::not_) || current_.is(keyword::in)) {
    node.type = expr::kind::in_list;
    node.negated = current_.is(keyword::not_);
    if (node.negated) {
      advance();
      TAGD_TRY(expect(keyword::in, "'IN'"));
    } else {
      advance();
    }
    TAGD_TRY_ASSIGN(values, parse_value_list());
    node.values = std::move(values);
    return node;
  }
  if (current_.is(keyword::between)) {
    node.type = expr::kind::between;
    advance();
    TAGD_TRY_ASSIGN(low, parse_value());
    TAGD_TRY(expect(keyword::and_, "'AND'"));
    TAGD_TRY_ASSIGN(high, parse_value());
    node.values = {std::move(low), std::move(high)};
    return node;
  }
  if (current_.is(keyword::is)) {
    node.type = expr::kind::is_null;
    advance();
    if (current_.is(keyword::not_)) {
      node.negated = true;
      advance();
      TAGD_TRY(expect(keyword::null, "'NULL'"));
    } else {
      TAGD_TRY(expect(keyword::null, "'NOT' or 'NULL'"));
    }
    return node;
  }
  if (current_.is(keyword::has)) {
    node.type = expr::kind::has;
    advance();
    if (current_.is(keyword::any) || current_.is(keyword::all)) {
      node.all = current_.is(keyword::all);
      advance();
      TAGD_TRY_ASSIGN(values, parse_value_list());
      node.values = std::move(values);
      return node;
    }
    TAGD_TRY_ASSIGN(value, parse_value("'ANY', 'ALL' or a value"));
    node.values.push_back(std::move(value));
    return node;
  }
  if (current_.is(keyword::within)) {
    node.type = expr::kind::within;
    advance();
    TAGD_TRY_ASSIGN(days, parse_unsigned(std::numeric_limits<int64_t>::max(),
                                         "a non-negative integer number of days"));
    node.days = static_cast<int64_t>(days);
    if (!current_.is(keyword::days) && !current_.is(keyword::day))
      return unexpected("'DAYS'");
    advance();
    return node;
  }
  node.type = expr::kind::tag_truth;
  optional_tail_ = "a comparison operator, 'IN', 'NOT IN', 'BETWEEN', 'IS', 'HAS', 'WITHIN', ";
  optional_tail_at_ = tokens_consumed_;
  return node;
}

result<literal> parser::parse_value(std::string_view expected) {
  literal value;
  switch (current_.type) {
  case token::kind::string:
    value = literal::string_value(std::move(current_.text));
    break;
  case token::kind::number:
    value = literal::number_value(std::move(current_.text));
    break;
  case token::kind::keyword:
    if (current_.is(keyword::true_) || current_.is(keyword::false_)) {
      value = literal::boolean_value(current_.is(keyword::true_));
      break;
    }
    return unexpected(expected);
  default:
    return unexpected(expected);
  }
  advance();
  return value;
}

result<std::vector<literal>> parser::parse_value_list() {
  TAGD_TRY(expect(token::kind::open_paren, "'('"));
  std::vector<literal> values;
  while (true) {
    if (values.size() == limits_.max_list)
      return status(error_code::too_large, column_prefix(current_.column) + "expected at most " +
                                               std::to_string(limits_.max_list) +
                                               " values in a list, found more");
    TAGD_TRY_ASSIGN(value, parse_value());
    values.push_back(std::move(value));
    if (current_.type == token::kind::close_paren)
      break;
    TAGD_TRY(expect(token::kind::comma, "',' or ')'"));
  }
  advance();
  return values;
}

result<uint64_t> parser::parse_unsigned(uint64_t max, std::string_view expected) {
  if (current_.type != token::kind::number)
    return unexpected(expected);
  uint64_t value = 0;
  for (char c : current_.text) {
    if (c < '0' || c > '9')
      return unexpected(expected);
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10)
      return unexpected(std::string(expected) + " no larger than " + std::to_string(max));
    value = value * 10 + digit;
  }
  advance();
  return value;
}

result<std::string> parser::parse_name(std::string_view expected) {
  if (current_.type != token::kind::name && current_.type != token::kind::quoted_name)
    return unexpected(expected);
  std::string name = std::move(current_.text);
  advance();
  return name;
}

status parser::expect(token::kind type, std::string_view expected) {
  if (current_.type != type)
    return unexpected(expected);
  advance();
  return status::ok();
}

status parser::expect(keyword word, std::string_view expected) {
  if (!current_.is(word))
    return unexpected(expected);
  advance();
  return status::ok();
}

} // namespace

namespace {

bool is_and_or(const expr& e) {
  return e.type == expr::kind::and_ || e.type == expr::kind::or_;
}

void append_name(std::string& out, std::string_view name) {
  keyword reserved;
  if (expression_syntax::is_plain_identifier(name) &&
      !expression_syntax::find_keyword(name, reserved)) {
    out += name;
    return;
  }
  out += '"';
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

void append_literal(std::string& out, const literal& value) {
  switch (value.type) {
  case literal::kind::number:
    out += value.text;
    return;
  case literal::kind::boolean:
    out += value.text == "true" ? "TRUE" : "FALSE";
    return;
  case literal::kind::string:
    break;
  }
  out += '\'';
  for (char c : value.text) {
    switch (c) {
    case '\'':
      out += "\\'";
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
  out += '\'';
}

// A malformed tree built in code may lack values; printing must not read past them.
void append_value_at(std::string& out, const expr& e, size_t index) {
  append_literal(out, index < e.values.size() ? e.values[index] : literal::string_value(""));
}

void append_list(std::string& out, const std::vector<literal>& values) {
  out += '(';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      out += ", ";
    append_literal(out, values[i]);
  }
  out += ')';
}

std::string_view operator_text(compare_op op) {
  switch (op) {
  case compare_op::eq:
    return "=";
  case compare_op::ne:
    return "!=";
  case compare_op::lt:
    return "<";
  case compare_op::le:
    return "<=";
  case compare_op::gt:
    return ">";
  case compare_op::ge:
    return ">=";
  }
  return "=";
}

void append_expr(std::string& out, const expr& e);

// Nested AND/OR children are always parenthesized: that keeps their nesting through a parse,
// which flattens only operators that are not separated by parentheses.
void append_operand(std::string& out, const expr& child) {
  if (!is_and_or(child)) {
    append_expr(out, child);
    return;
  }
  out += '(';
  append_expr(out, child);
  out += ')';
}

void append_expr(std::string& out, const expr& e) {
  switch (e.type) {
  case expr::kind::and_:
  case expr::kind::or_:
    for (size_t i = 0; i < e.children.size(); ++i) {
      if (i > 0)
        out += e.type == expr::kind::and_ ? " AND " : " OR ";
      append_operand(out, e.children[i]);
    }
    return;
  case expr::kind::not_:
    out += "NOT ";
    if (!e.children.empty())
      append_operand(out, e.children.front());
    return;
  case expr::kind::group_ref:
    out += "IN GROUP ";
    append_name(out, e.group);
    if (e.group_version) {
      out += " VERSION ";
      out += std::to_string(*e.group_version);
    }
    return;
  default:
    break;
  }
  append_name(out, e.tag);
  switch (e.type) {
  case expr::kind::compare:
    out += ' ';
    out += operator_text(e.op);
    out += ' ';
    append_value_at(out, e, 0);
    return;
  case expr::kind::in_list:
    out += e.negated ? " NOT IN " : " IN ";
    append_list(out, e.values);
    return;
  case expr::kind::between:
    out += " BETWEEN ";
    append_value_at(out, e, 0);
    out += " AND ";
    append_value_at(out, e, 1);
    return;
  case expr::kind::is_null:
    out += e.negated ? " IS NOT NULL" : " IS NULL";
    return;
  case expr::kind::has:
    if (!e.all && e.values.size() == 1) {
      out += " HAS ";
      append_literal(out, e.values.front());
      return;
    }
    out += e.all ? " HAS ALL " : " HAS ANY ";
    append_list(out, e.values);
    return;
  case expr::kind::within:
    out += " WITHIN ";
    out += std::to_string(e.days);
    out += " DAYS";
    return;
  default:
    return;
  }
}

} // namespace

std::string to_string(const expr& e) {
  std::string out;
  append_expr(out, e);
  return out;
}

result<expr> parse_expression(std::string_view text, const parse_limits& limits) {
  return parser(text, limits).parse_all();
}

} // namespace tagd
