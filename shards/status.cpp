#include "shards/status.hpp"

namespace tagd {

std::string_view code_name(error_code code) {
  switch (code) {
  case error_code::ok:
    return "OK";
  case error_code::invalid_argument:
    return "INVALID_ARGUMENT";
  case error_code::invalid_expression:
    return "INVALID_EXPRESSION";
  case error_code::unknown_tag:
    return "UNKNOWN_TAG";
  case error_code::type_mismatch:
    return "TYPE_MISMATCH";
  case error_code::bad_row:
    return "BAD_ROW";
  case error_code::not_found:
    return "NOT_FOUND";
  case error_code::already_exists:
    return "ALREADY_EXISTS";
  case error_code::too_large:
    return "TOO_LARGE";
  case error_code::aborted:
    return "ABORTED";
  case error_code::io_error:
    return "IO_ERROR";
  case error_code::corruption:
    return "CORRUPTION";
  case error_code::internal:
    return "INTERNAL";
  case error_code::deadline_exceeded:
    return "DEADLINE_EXCEEDED";
  case error_code::unavailable:
    return "UNAVAILABLE";
  }
  return "INTERNAL";
}

std::string status::to_string() const {
  if (is_ok())
    return "OK";
  std::string text(code_name(code_));
  text += ": ";
  text += message_;
  return text;
}

} // namespace tagd
