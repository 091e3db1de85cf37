#include "client/error.hpp"

#include <string_view>

namespace tagd::client {

error::error(std::string code, std::string message)
    : std::runtime_error(code + ": " + message), code_(std::move(code)),
      message_(std::move(message)) {}

namespace {

// A code is an upper-case word of at least two characters (letters, digits, '_') before ": ".
size_t code_length(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && ((text[n] >= 'A' && text[n] <= 'Z') || text[n] == '_' ||
                             (n > 0 && text[n] >= '0' && text[n] <= '9')))
    ++n;
  if (n < 2 || text.substr(n, 2) != ": ")
    return 0;
  return n;
}

} // namespace

error error_from_description(const std::string& description, const std::string& fallback_code) {
  std::string_view text = description;
  // Cap'n Proto prefixes what it received from the peer.
  for (std::string_view prefix : {"remote exception: ", "(remote) "})
    while (text.substr(0, prefix.size()) == prefix)
      text.remove_prefix(prefix.size());
  if (size_t n = code_length(text))
    return error(std::string(text.substr(0, n)), std::string(text.substr(n + 2)));
  return error(fallback_code, std::string(text));
}

} // namespace tagd::client
