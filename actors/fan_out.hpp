#pragma once
// Ask several actors and fold their answers (Seastar's map_reduce, Pilosa's executor): `done`
// gets every reply in the order of the targets, or the first error. A request to another node
// carries what is left of the deadline as its timeout, so a node that never answers costs
// DEADLINE_EXCEEDED, never a hang (see hop_timeout).

#include "actors/errors.hpp"
#include "actors/hop_timeout.hpp"
#include "actors/messages.hpp"

#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <tuple>
#include <vector>

namespace tagd::actors {

template <class Reply>
using gathered = std::function<void(caf::expected<std::vector<Reply>>)>;

// Sends targets[i] the message make_request(i) (a std::tuple of its elements, moved into the
// message).
template <class Reply, class Self, class Target, class MakeRequest>
void fan_out(Self* self, const std::vector<Target>& targets, clock::time_point deadline,
             gathered<Reply> done, MakeRequest make_request) {
  struct fold {
    std::vector<Reply> replies;
    size_t left;
    bool finished = false;
    gathered<Reply> done;
  };
  auto state = std::make_shared<fold>(
      fold{std::vector<Reply>(targets.size()), targets.size(), false, std::move(done)});
  if (targets.empty()) {
    state->done(std::move(state->replies));
    return;
  }
  for (size_t i = 0; i < targets.size(); ++i)
    std::apply(
        [&](auto&&... message) {
          self->request(targets[i], hop_timeout(self, targets[i], deadline),
                        std::forward<decltype(message)>(message)...)
              .then(
                  [state, i](Reply& reply) {
                    state->replies[i] = std::move(reply);
                    if (--state->left == 0 && !state->finished) {
                      state->finished = true;
                      state->done(std::move(state->replies));
                    }
                  },
                  [state](caf::error& e) {
                    if (!state->finished) {
                      state->finished = true;
                      state->done(std::move(e));
                    }
                  });
        },
        make_request(i));
}

// The same message to every target.
template <class Reply, class Self, class Target, class... Ts>
void fan_out_same(Self* self, const std::vector<Target>& targets, clock::time_point deadline,
                  gathered<Reply> done, const Ts&... message) {
  auto request = std::make_tuple(message...);
  fan_out<Reply>(self, targets, deadline, std::move(done), [&](size_t) { return request; });
}

// Delivers the fold of the replies through `promise`, or the error.
template <class Reply, class Promise, class Fold>
gathered<Reply> deliver_folded(Promise promise, Fold fold) {
  return [promise, fold](caf::expected<std::vector<Reply>> replies) mutable {
    if (!replies)
      promise.deliver(replies.error());
    else
      promise.deliver(fold(std::move(*replies)));
  };
}

} // namespace tagd::actors
