#include "client/expression.hpp"

namespace tagd::client {

literal literal::number(std::string as_written) {
  literal value(std::move(as_written));
  value.type = kind::number;
  return value;
}

expression expression::leaf(kind type, std::string name, std::vector<literal> values) {
  expression e(type);
  e.name = std::move(name);
  e.values = std::move(values);
  return e;
}

expression expression::compare(std::string tag, compare_op op, literal value) {
  expression e = leaf(kind::compare, std::move(tag), {std::move(value)});
  e.op = op;
  return e;
}

expression expression::in(std::string tag, std::vector<literal> values) {
  return leaf(kind::in_list, std::move(tag), std::move(values));
}

expression expression::not_in(std::string tag, std::vector<literal> values) {
  expression e = in(std::move(tag), std::move(values));
  e.negated = true;
  return e;
}

expression expression::between(std::string tag, literal low, literal high) {
  return leaf(kind::between, std::move(tag), {std::move(low), std::move(high)});
}

expression expression::is_null(std::string tag) {
  return leaf(kind::is_null, std::move(tag));
}

expression expression::is_not_null(std::string tag) {
  expression e = is_null(std::move(tag));
  e.negated = true;
  return e;
}

expression expression::has_any(std::string tag, std::vector<literal> values) {
  return leaf(kind::has, std::move(tag), std::move(values));
}

expression expression::has_all(std::string tag, std::vector<literal> values) {
  expression e = has_any(std::move(tag), std::move(values));
  e.all = true;
  return e;
}

expression expression::within(std::string tag, int64_t days) {
  expression e = leaf(kind::within, std::move(tag));
  e.days = days;
  return e;
}

expression expression::in_group(std::string group, uint32_t version) {
  expression e = leaf(kind::in_group, std::move(group));
  e.version = version;
  return e;
}

expression expression::tag(std::string name) {
  return leaf(kind::tag, std::move(name));
}

expression expression::all_of(std::vector<expression> operands) {
  expression e(kind::and_);
  e.operands = std::move(operands);
  return e;
}

expression expression::any_of(std::vector<expression> operands) {
  expression e(kind::or_);
  e.operands = std::move(operands);
  return e;
}

expression expression::negation(expression operand) {
  expression e(kind::not_);
  e.operands.push_back(std::move(operand));
  return e;
}

} // namespace tagd::client
