#pragma once
// Errors are values: every fallible call in shards/ returns a status or a result<T> carrying a
// stable code (for programs) and a message (for people). Nothing here throws across the API.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tagd {

enum class error_code {
  ok = 0,
  invalid_argument,   // a request that is malformed in itself (bad name, bad option)
  invalid_expression, // an expression that does not parse
  unknown_tag,        // an expression or table names a tag that does not exist
  type_mismatch,      // an operator or value that does not fit the tag's kind
  bad_row,            // an import row that cannot be accepted
  not_found,          // a named object (table, group, version, key) does not exist
  already_exists,     // a define of a name already taken
  too_large,          // an input past a documented limit
  aborted,            // a load aborted (too many bad rows, or by the caller)
  io_error,           // the file system or LMDB failed
  corruption,         // stored bytes that do not decode
  internal,           // a bug: an invariant did not hold
  deadline_exceeded,  // the request's deadline passed before it was answered
  unavailable,        // a node or part of the data cannot be reached, or the node is stopping
};

// The stable upper-case name of a code, e.g. "INVALID_EXPRESSION": what the RPC layer sends.
std::string_view code_name(error_code code);

class [[nodiscard]] status {
 public:
  status() = default;
  status(error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  static status ok() { return {}; }

  bool is_ok() const { return code_ == error_code::ok; }
  explicit operator bool() const { return is_ok(); }
  error_code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", for logs and command-line tools.
  std::string to_string() const;

 private:
  error_code code_ = error_code::ok;
  std::string message_;
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : data_(std::move(value)) {}
  result(status error) : data_(std::move(error)) { assert(!std::get<status>(data_).is_ok()); }

  bool is_ok() const { return data_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const status& error() const { return std::get<status>(data_); }
  // ok() for a value, the error otherwise (for callers that only need success).
  status take_status() && { return is_ok() ? status::ok() : std::get<status>(std::move(data_)); }
  status take_error() && { return std::get<status>(std::move(data_)); }

 private:
  std::variant<T, status> data_;
};

} // namespace tagd

// Returns early with the error of a status-returning expression.
#define TAGD_TRY(expr)                                                                             \
  do {                                                                                             \
    ::tagd::status tagd_try_status_ = (expr);                                                      \
    if (!tagd_try_status_.is_ok())                                                                 \
      return tagd_try_status_;                                                                     \
  } while (0)

// Declares `var` from a result-returning expression, returning early with its error.
#define TAGD_TRY_ASSIGN(var, expr)                                                                 \
  auto var##_result_ = (expr);                                                                     \
  if (!var##_result_.is_ok())                                                                      \
    return std::move(var##_result_).take_error();                                                  \
  auto var = std::move(var##_result_).value()
