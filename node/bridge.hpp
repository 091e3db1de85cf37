#pragma once
// Where the RPC thread (a KJ event loop) meets the actors. ask() hands a request to the
// node's bridge actor and returns a kj::Promise; the bridge sends the request (timeout: see
// actors::hop_timeout) and fulfills the promise from whatever thread runs the reply handler: a
// CAF worker, or the RPC thread itself with ask_here().
// The KJ thread never blocks, and an error reply becomes a kj::Exception whose description starts
// with the tagd error code (docs/protocol.md).

#include "actors/errors.hpp"
#include "actors/hop_timeout.hpp"
#include "node/rpc_thread_unit.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <kj/async.h>
#include <kj/timer.h>

#include <memory>
#include <tuple>

namespace tagd::node {

// The exception a client sees for an error status.
kj::Exception to_exception(const status& s);

// One request on its way from the KJ thread to an actor.
struct bridge_call {
  virtual ~bridge_call() = default;
  virtual void start(caf::event_based_actor* self) = 0;
};
using bridge_call_ptr = std::shared_ptr<bridge_call>;

} // namespace tagd::node

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::node::bridge_call_ptr)

namespace tagd::node {

// The bridge actor: starts each call it receives; replies come back to it.
caf::actor spawn_bridge(caf::actor_system& system);

template <class Reply, class Handle, class... Ts>
class typed_bridge_call final : public bridge_call {
 public:
  using fulfiller_ptr = std::shared_ptr<kj::Own<kj::CrossThreadPromiseFulfiller<Reply>>>;
  typed_bridge_call(Handle target, actors::clock::time_point deadline, fulfiller_ptr fulfiller,
                    Ts... request)
      : target_(std::move(target)), deadline_(deadline), fulfiller_(std::move(fulfiller)),
        request_(std::move(request)...) {}

  void start(caf::event_based_actor* self) override {
    fulfiller_ptr fulfiller = fulfiller_;
    std::apply(
        [&](auto&... request) {
          self->request(target_, actors::hop_timeout(self, target_, deadline_), request...)
              .then([fulfiller](Reply& reply) { (*fulfiller)->fulfill(std::move(reply)); },
                    [fulfiller](caf::error& e) {
                      (*fulfiller)->reject(to_exception(actors::from_caf_error(e)));
                    });
        },
        request_);
  }

 private:
  Handle target_;
  actors::clock::time_point deadline_;
  fulfiller_ptr fulfiller_;
  std::tuple<Ts...> request_;
};

// A call ready to hand to the bridge actor, and the promise of its reply.
template <class Reply>
struct prepared_call {
  kj::Promise<Reply> reply;
  bridge_call_ptr call;
};

template <class Reply, class Handle, class... Ts>
prepared_call<Reply> prepare_call(const Handle& target, actors::clock::time_point deadline,
                                  Ts... request) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<Reply>();
  auto fulfiller =
      std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<Reply>>>(kj::mv(paf.fulfiller));
  return {std::move(paf.promise),
          std::make_shared<typed_bridge_call<Reply, Handle, Ts...>>(
              target, deadline, std::move(fulfiller), std::move(request)...)};
}

// Hands the request to a CAF worker.
template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> ask(const caf::actor& bridge, const Handle& target,
                       actors::clock::time_point deadline, Ts... request) {
  auto prepared = prepare_call<Reply>(target, deadline, std::move(request)...);
  caf::anon_send(bridge, std::move(prepared.call));
  return std::move(prepared.reply);
}

// Runs the request on this (the RPC) thread when the target is idle (node/rpc_thread_unit.hpp):
// for a request one actor answers at once, such as a single-key check. Three activations: the
// bridge, the target, the bridge again with the answer.
template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> ask_here(rpc_thread_unit& here, const caf::actor& bridge, const Handle& target,
                            actors::clock::time_point deadline, Ts... request) {
  auto prepared = prepare_call<Reply>(target, deadline, std::move(request)...);
  here.send_and_run(bridge, caf::make_message(std::move(prepared.call)), 3);
  return std::move(prepared.reply);
}

// `reply`, or DEADLINE_EXCEEDED at the deadline whatever the actors do. The actors check the
// deadline before they start work; this timer answers on time even when every worker is busy
// (within a node actors ask each other without timeouts: actors::hop_timeout).
template <class Reply>
kj::Promise<Reply> until_deadline(kj::Timer& timer, actors::clock::time_point deadline,
                                  kj::Promise<Reply> reply) {
  caf::timespan left = actors::time_left(deadline);
  auto expired =
      timer
          .afterDelay(std::chrono::duration_cast<std::chrono::nanoseconds>(left).count() *
                      kj::NANOSECONDS)
          .then([]() -> kj::Promise<Reply> {
            return to_exception(
                tagd::status(error_code::deadline_exceeded, "the request's deadline passed"));
          });
  return reply.exclusiveJoin(kj::mv(expired));
}

template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> ask_until(kj::Timer& timer, const caf::actor& bridge,
                             actors::clock::time_point deadline, const Handle& target,
                             Ts... request) {
  return until_deadline(timer, deadline,
                        ask<Reply>(bridge, target, deadline, std::move(request)...));
}

} // namespace tagd::node
