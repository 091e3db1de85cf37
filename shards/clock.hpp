#pragma once
// Wall-clock seconds, the one place tagd reads the time (versions' and groups' creation times,
// the default "now" of WITHIN).

#include <chrono>
#include <cstdint>

namespace tagd {

inline int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace tagd
