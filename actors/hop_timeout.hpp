#pragma once
// How long a request between actors may wait for its answer.

#include "actors/messages.hpp"

#include <caf/duration.hpp>

#include <algorithm>

namespace tagd::actors {

inline caf::timespan time_left(clock::time_point deadline) {
  return std::max(caf::timespan{0},
                  std::chrono::duration_cast<caf::timespan>(deadline - clock::now()));
}

// The CAF timeout of a request from `self` to `target`. Across nodes: what is left of the
// deadline (a dead or frozen node never answers). Within this process: none. CAF answers a
// request to an actor that is gone with an error, every actor checks the deadline before it
// starts work, and the RPC edge answers DEADLINE_EXCEEDED on time; while each CAF timeout wakes
// CAF's clock thread to set it and again to cancel it (dropping them took ≈10 µs off a
// single-key check here: docs/performance.md).
template <class Self, class Target>
caf::duration hop_timeout(Self* self, const Target& target, clock::time_point deadline) {
  if (target.node() == self->home_system().node())
    return caf::infinite;
  return caf::duration{time_left(deadline)};
}

} // namespace tagd::actors
