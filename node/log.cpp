#include "node/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <stdexcept>

namespace tagd::node {

void setup_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw std::runtime_error("unknown --log-level '" + level +
                             "' (trace, debug, info, warn, error, off)");
  auto logger = spdlog::stderr_logger_mt("tagd");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

} // namespace tagd::node
