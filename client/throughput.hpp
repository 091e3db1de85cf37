#pragma once
// Private: elapsed time, rate and time left of a transfer, for progress reports.

#include "client/types.hpp"

#include <chrono>
#include <cstdint>

namespace tagd::client::detail {

inline transfer_rate measure(std::chrono::steady_clock::time_point start, uint64_t bytes,
                             uint64_t total_bytes) {
  transfer_rate t;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (t.seconds > 0)
    t.mb_per_second = static_cast<double>(bytes) / t.seconds / 1e6;
  if (total_bytes > 0 && bytes > 0 && bytes <= total_bytes)
    t.eta_seconds =
        t.seconds * static_cast<double>(total_bytes - bytes) / static_cast<double>(bytes);
  return t;
}

} // namespace tagd::client::detail
