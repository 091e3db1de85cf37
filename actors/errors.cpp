#include "actors/errors.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace tagd::actors {

namespace {
constexpr caf::atom_value tagd_category = caf::atom("tagd");
} // namespace

caf::error to_caf_error(const status& s) {
  return caf::error(static_cast<uint8_t>(s.code()), tagd_category, caf::make_message(s.message()));
}

status from_caf_error(const caf::error& e) {
  if (!e)
    return status::ok();
  if (e.category() == tagd_category) {
    std::string message;
    if (e.context().match_elements<std::string>())
      message = e.context().get_as<std::string>(0);
    return status(static_cast<error_code>(e.code()), std::move(message));
  }
  if (e.category() == caf::atom("system")) {
    auto code = static_cast<caf::sec>(e.code());
    if (code == caf::sec::request_timeout)
      return status(error_code::deadline_exceeded, "the request's deadline passed");
    if (code == caf::sec::request_receiver_down)
      return status(error_code::unavailable, "the actor answering the request is gone");
  }
  return status(error_code::internal, "actor error: " + caf::to_string(e));
}

} // namespace tagd::actors
