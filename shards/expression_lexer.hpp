#pragma once
// The tokens of the expression text form (see expression.hpp). Internal to the parser and the
// printer: the printer needs the same keyword and identifier rules to know when to quote a name.

#include "shards/expression.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace tagd::expression_syntax {

enum class keyword {
  and_,
  or_,
  not_,
  in,
  is,
  null,
  between,
  has,
  any,
  all,
  within,
  days,
  day,
  group,
  version,
  true_,
  false_,
};

// The reserved word `word` spells, case-insensitively; false when it is not one.
bool find_keyword(std::string_view word, keyword& found);

// [A-Za-z_][A-Za-z0-9_]*, reserved words included.
bool is_plain_identifier(std::string_view text);

struct token {
  enum class kind {
    end,         // past the last token
    name,        // a plain identifier that is not a keyword; `text` is the name
    quoted_name, // "..." with "" for a quote; `text` is the unquoted name
    keyword,     // `word` says which
    string,      // '...'; `text` is the unescaped value
    number,      // `text` is the number as written
    open_paren,  // (
    close_paren, // )
    comma,       // ,
    comparison,  // = != <> < <= > >=; `op` says which
    invalid,     // text that is no token; `text` describes the problem for an error message
  };

  kind type = kind::end;
  keyword word = keyword::and_;
  compare_op op = compare_op::eq;
  std::string text;
  // The token's bytes in the source, for error messages.
  std::string_view source;
  // 1-based byte column of the token, or of the problem for an invalid token.
  size_t column = 0;

  bool is(keyword k) const { return type == kind::keyword && word == k; }
};

// How an error message names `t`: "end of input", "'AND'", "the string 'abc'", ...
std::string describe(const token& t);

// Longest number literal accepted; longer ones are errors rather than silently huge values.
inline constexpr size_t max_number_length = 40;

// Produces tokens on demand, so an error in the middle of the text is reported only once the
// parser reaches it and an earlier syntax error wins.
class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {}

  token next();

 private:
  token lex_string(size_t start);
  token lex_quoted_name(size_t start);
  token lex_number(size_t start);
  token lex_word(size_t start);
  token lex_symbol(size_t start);
  token make(token::kind type, size_t start, size_t end) const;
  token invalid(size_t problem_offset, size_t start, size_t end, std::string problem) const;

  std::string_view text_;
  size_t offset_ = 0;
};

} // namespace tagd::expression_syntax
