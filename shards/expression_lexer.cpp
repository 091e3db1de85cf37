#include "shards/expression_lexer.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace tagd::expression_syntax {

namespace {

struct keyword_spelling {
  std::string_view upper;
  keyword word;
};

constexpr std::array<keyword_spelling, 17> keyword_spellings = {{
    {"AND", keyword::and_},
    {"OR", keyword::or_},
    {"NOT", keyword::not_},
    {"IN", keyword::in},
    {"IS", keyword::is},
    {"NULL", keyword::null},
    {"BETWEEN", keyword::between},
    {"HAS", keyword::has},
    {"ANY", keyword::any},
    {"ALL", keyword::all},
    {"WITHIN", keyword::within},
    {"DAYS", keyword::days},
    {"DAY", keyword::day},
    {"GROUP", keyword::group},
    {"VERSION", keyword::version},
    {"TRUE", keyword::true_},
    {"FALSE", keyword::false_},
}};

// Locale-independent on purpose: <cctype> would make the grammar depend on the process locale.
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_identifier_start(char c) {
  return is_letter(c) || c == '_';
}
bool is_identifier_char(char c) {
  return is_identifier_start(c) || is_digit(c);
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// Error messages quote source text: control bytes are escaped so a message stays on one line,
// and long tokens are cut (at a UTF-8 character boundary) so a message stays short.
std::string excerpt(std::string_view source) {
  constexpr size_t max_excerpt = 40;
  bool cut = false;
  if (source.size() > max_excerpt) {
    size_t end = max_excerpt;
    while (end > 0 && (static_cast<unsigned char>(source[end]) & 0xC0) == 0x80)
      --end;
    source = source.substr(0, end);
    cut = true;
  }
  std::string out;
  for (char c : source) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  if (cut)
    out += "...";
  return out;
}

} // namespace

bool find_keyword(std::string_view word, keyword& found) {
  for (const auto& spelling : keyword_spellings) {
    if (spelling.upper.size() != word.size())
      continue;
    bool same = true;
    for (size_t i = 0; i < word.size() && same; ++i)
      same = to_upper(word[i]) == spelling.upper[i];
    if (same) {
      found = spelling.word;
      return true;
    }
  }
  return false;
}

bool is_plain_identifier(std::string_view text) {
  if (text.empty() || !is_identifier_start(text[0]))
    return false;
  for (char c : text)
    if (!is_identifier_char(c))
      return false;
  return true;
}

std::string describe(const token& t) {
  switch (t.type) {
  case token::kind::end:
    return "end of input";
  case token::kind::invalid:
    return t.text;
  case token::kind::string:
    return "the string " + excerpt(t.source);
  case token::kind::quoted_name:
    return "the name " + excerpt(t.source);
  default:
    return "'" + excerpt(t.source) + "'";
  }
}

token lexer::make(token::kind type, size_t start, size_t end) const {
  token t;
  t.type = type;
  t.source = text_.substr(start, end - start);
  t.column = start + 1;
  return t;
}

token lexer::invalid(size_t problem_offset, size_t start, size_t end, std::string problem) const {
  token t = make(token::kind::invalid, start, end);
  t.column = problem_offset + 1;
  t.text = std::move(problem);
  return t;
}

token lexer::next() {
  while (offset_ < text_.size() && is_space(text_[offset_]))
    ++offset_;
  size_t start = offset_;
  if (start >= text_.size())
    return make(token::kind::end, text_.size(), text_.size());
  char c = text_[start];
  if (c == '\'')
    return lex_string(start);
  if (c == '"')
    return lex_quoted_name(start);
  if (is_digit(c) || c == '-' || c == '.')
    return lex_number(start);
  if (is_identifier_start(c))
    return lex_word(start);
  return lex_symbol(start);
}

token lexer::lex_string(size_t start) {
  std::string value;
  size_t i = start + 1;
  while (i < text_.size()) {
    char c = text_[i];
    if (c == '\'') {
      if (i + 1 < text_.size() && text_[i + 1] == '\'') {
        value += '\'';
        i += 2;
        continue;
      }
      offset_ = i + 1;
      token t = make(token::kind::string, start, offset_);
      t.text = std::move(value);
      return t;
    }
    if (c == '\\' && i + 1 < text_.size()) {
      char escaped = text_[i + 1];
      switch (escaped) {
      case '\'':
        value += '\'';
        break;
      case '\\':
        value += '\\';
        break;
      case 'n':
        value += '\n';
        break;
      case 't':
        value += '\t';
        break;
      default:
        offset_ = text_.size();
        return invalid(i, start, text_.size(),
                       "an unknown escape '\\" + excerpt(text_.substr(i + 1, 1)) + "' in a string");
      }
      i += 2;
      continue;
    }
    value += c;
    ++i;
  }
  // Also reached by a backslash that is the last byte: the closing quote is missing either way.
  offset_ = text_.size();
  return invalid(start, start, text_.size(), "an unterminated string");
}

token lexer::lex_quoted_name(size_t start) {
  std::string name;
  size_t i = start + 1;
  while (i < text_.size()) {
    if (text_[i] != '"') {
      name += text_[i++];
      continue;
    }
    if (i + 1 < text_.size() && text_[i + 1] == '"') {
      name += '"';
      i += 2;
      continue;
    }
    offset_ = i + 1;
    if (name.empty())
      return invalid(start, start, offset_, "an empty quoted identifier");
    token t = make(token::kind::quoted_name, start, offset_);
    t.text = std::move(name);
    return t;
  }
  offset_ = text_.size();
  return invalid(start, start, text_.size(), "an unterminated quoted identifier");
}

token lexer::lex_number(size_t start) {
  size_t i = start;
  if (text_[i] == '-')
    ++i;
  size_t integer_start = i;
  while (i < text_.size() && is_digit(text_[i]))
    ++i;
  bool well_formed = i > integer_start;
  if (well_formed && i < text_.size() && text_[i] == '.') {
    size_t fraction_start = ++i;
    while (i < text_.size() && is_digit(text_[i]))
      ++i;
    well_formed = i > fraction_start;
  }
  // "12abc" or "1.2.3" is one malformed number, not a number followed by something else.
  bool glued = i < text_.size() && (is_identifier_char(text_[i]) || text_[i] == '.');
  if (glued) {
    well_formed = false;
    while (i < text_.size() && (is_identifier_char(text_[i]) || text_[i] == '.'))
      ++i;
  }
  if (i == start + 1 && (text_[start] == '-' || text_[start] == '.')) {
    // A lone '-' or '.' is a stray symbol rather than a number.
    offset_ = i;
    return invalid(start, start, i, "'" + std::string(1, text_[start]) + "'");
  }
  offset_ = i;
  std::string_view source = text_.substr(start, i - start);
  if (!well_formed)
    return invalid(start, start, i, "a malformed number '" + excerpt(source) + "'");
  if (source.size() > max_number_length)
    return invalid(start, start, i,
                   "a number longer than " + std::to_string(max_number_length) + " characters");
  token t = make(token::kind::number, start, i);
  t.text = std::string(source);
  return t;
}

token lexer::lex_word(size_t start) {
  size_t i = start;
  while (i < text_.size() && is_identifier_char(text_[i]))
    ++i;
  offset_ = i;
  token t = make(token::kind::name, start, i);
  if (find_keyword(t.source, t.word))
    t.type = token::kind::keyword;
  else
    t.text = std::string(t.source);
  return t;
}

token lexer::lex_symbol(size_t start) {
  char c = text_[start];
  char following = start + 1 < text_.size() ? text_[start + 1] : '\0';
  auto comparison = [&](compare_op op, size_t length) {
    offset_ = start + length;
    token t = make(token::kind::comparison, start, offset_);
    t.op = op;
    return t;
  };
  switch (c) {
  case '(':
    offset_ = start + 1;
    return make(token::kind::open_paren, start, offset_);
  case ')':
    offset_ = start + 1;
    return make(token::kind::close_paren, start, offset_);
  case ',':
    offset_ = start + 1;
    return make(token::kind::comma, start, offset_);
  case '=':
    return comparison(compare_op::eq, 1);
  case '!':
    if (following == '=')
      return comparison(compare_op::ne, 2);
    break;
  case '<':
    if (following == '=')
      return comparison(compare_op::le, 2);
    if (following == '>')
      return comparison(compare_op::ne, 2);
    return comparison(compare_op::lt, 1);
  case '>':
    if (following == '=')
      return comparison(compare_op::ge, 2);
    return comparison(compare_op::gt, 1);
  default:
    break;
  }
  offset_ = text_.size();
  auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7F)
    return invalid(start, start, start + 1, "'" + std::string(1, c) + "'");
  char hex[16];
  std::snprintf(hex, sizeof hex, "byte 0x%02X", byte);
  return invalid(start, start, start + 1, hex);
}

} // namespace tagd::expression_syntax
