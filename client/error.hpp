#pragma once
// The one exception type of the client library: a stable upper-case code (the node's codes,
// e.g. "NOT_FOUND", "INVALID_EXPRESSION", plus the client's own: "UNAVAILABLE" when no
// connection could be made, "DISCONNECTED" when it was lost, "DEADLINE_EXCEEDED" when no reply
// came in time, "UNIMPLEMENTED" when the node does not know the method) and a message for people.

#include <stdexcept>
#include <string>

namespace tagd::client {

class error : public std::runtime_error {
 public:
  error(std::string code, std::string message);

  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string code_;
  std::string message_;
};

// Splits "CODE: message" (optionally after "remote exception: ") into code and message; a
// description without a code becomes `fallback_code` with the whole text as message.
error error_from_description(const std::string& description, const std::string& fallback_code);

} // namespace tagd::client
