#pragma once
// The node's log: timestamped lines with a level on stderr (spdlog).

#include <spdlog/spdlog.h>

#include <string>

namespace tagd::node {

// Sets the level ("trace" … "off"); throws std::runtime_error for an unknown name.
void setup_logging(const std::string& level);

} // namespace tagd::node
