#pragma once
// tagd errors across actor boundaries: a caf::error of category "tagd" whose code is the
// error_code and whose context holds the message (STYLE.md §3). CAF's own errors (a request
// that timed out, an actor that is gone) map back to DEADLINE_EXCEEDED and UNAVAILABLE.

#include "shards/status.hpp"

#include <caf/error.hpp>

namespace tagd::actors {

caf::error to_caf_error(const status& s);
status from_caf_error(const caf::error& e);

} // namespace tagd::actors
