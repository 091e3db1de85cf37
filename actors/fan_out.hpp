#pragma once
// Ask every actor of a list the same question and fold the answers (Seastar's map_reduce,
// Pilosa's executor): `done` gets the sum of every answer, or the first error. Every request
// carries what is left of the deadline as its timeout, so an actor that never answers costs
// DEADLINE_EXCEEDED, never a hang.

#include "actors/errors.hpp"
#include "actors/messages.hpp"

#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace tagd::actors {

inline caf::timespan time_left(clock::time_point deadline) {
  return std::max(caf::timespan{0},
                  std::chrono::duration_cast<caf::timespan>(deadline - clock::now()));
}

template <class Self, class Target, class... Ts>
void fan_out_sum(Self* self, const std::vector<Target>& targets, clock::time_point deadline,
                 std::function<void(caf::expected<uint64_t>)> done, const Ts&... request) {
  struct fold {
    size_t left;
    uint64_t total = 0;
    bool finished = false;
    std::function<void(caf::expected<uint64_t>)> done;
  };
  auto state = std::make_shared<fold>(fold{targets.size(), 0, false, std::move(done)});
  if (targets.empty()) {
    state->done(uint64_t{0});
    return;
  }
  for (const Target& target : targets)
    self->request(target, time_left(deadline), request...)
        .then(
            [state](uint64_t n) {
              state->total += n;
              if (--state->left == 0 && !state->finished) {
                state->finished = true;
                state->done(state->total);
              }
            },
            [state](caf::error& e) {
              if (!state->finished) {
                state->finished = true;
                state->done(std::move(e));
              }
            });
}

} // namespace tagd::actors
