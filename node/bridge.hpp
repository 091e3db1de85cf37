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

#include <atomic>
#include <memory>
#include <thread>
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

// Where an actor's answer goes: through a cross-thread fulfiller to the RPC thread's event loop,
// or, when it comes on the RPC thread itself during ask_here(), into the slot, which spares the
// fulfiller's two system calls and a turn of the event loop.
template <class Reply>
class reply_slot {
 public:
  explicit reply_slot(kj::Own<kj::CrossThreadPromiseFulfiller<Reply>> fulfiller)
      : fulfiller_(kj::mv(fulfiller)) {}
  void fulfill(Reply&& reply) {
    if (on_collecting_thread())
      answer_ = kj::Promise<Reply>(kj::mv(reply));
    else
      fulfiller_->fulfill(kj::mv(reply));
  }
  void reject(kj::Exception&& error) {
    if (on_collecting_thread())
      answer_ = kj::Promise<Reply>(kj::mv(error));
    else
      fulfiller_->reject(kj::mv(error));
  }
  // On the thread that made the slot, around the time it lends itself to the actors.
  void collect_here(bool collect) { collecting_.store(collect, std::memory_order_release); }
  kj::Maybe<kj::Promise<Reply>> take_answer() { return kj::mv(answer_); }

 private:
  bool on_collecting_thread() const {
    return collecting_.load(std::memory_order_acquire) && std::this_thread::get_id() == owner_;
  }
  const std::thread::id owner_ = std::this_thread::get_id();
  std::atomic<bool> collecting_{false};
  kj::Own<kj::CrossThreadPromiseFulfiller<Reply>> fulfiller_;
  kj::Maybe<kj::Promise<Reply>> answer_; // only touched on owner_
};

template <class Reply, class Handle, class... Ts>
class typed_bridge_call final : public bridge_call {
 public:
  using slot_ptr = std::shared_ptr<reply_slot<Reply>>;
  typed_bridge_call(Handle target, actors::clock::time_point deadline, slot_ptr slot, Ts... request)
      : target_(std::move(target)), deadline_(deadline), slot_(std::move(slot)),
        request_(std::move(request)...) {}

  void start(caf::event_based_actor* self) override {
    slot_ptr slot = slot_;
    std::apply(
        [&](auto&... request) { // a call starts once: its request moves into the message
          self->request(target_, actors::hop_timeout(self, target_, deadline_),
                        std::move(request)...)
              .then(
                  [slot](Reply& reply) { slot->fulfill(std::move(reply)); },
                  [slot](caf::error& e) { slot->reject(to_exception(actors::from_caf_error(e))); });
        },
        request_);
  }

 private:
  Handle target_;
  actors::clock::time_point deadline_;
  slot_ptr slot_;
  std::tuple<Ts...> request_;
};

// A call ready to hand to the bridge actor, and where its reply will be.
template <class Reply>
struct prepared_call {
  std::shared_ptr<reply_slot<Reply>> slot; // first, so that it outlives `reply`
  kj::Promise<Reply> reply;                // fulfilled across threads
  bridge_call_ptr call;
};

template <class Reply, class Handle, class... Ts>
prepared_call<Reply> prepare_call(const Handle& target, actors::clock::time_point deadline,
                                  Ts... request) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<Reply>();
  auto slot = std::make_shared<reply_slot<Reply>>(kj::mv(paf.fulfiller));
  auto call = std::make_shared<typed_bridge_call<Reply, Handle, Ts...>>(target, deadline, slot,
                                                                        std::move(request)...);
  return {std::move(slot), std::move(paf.promise), std::move(call)};
}

// Hands the request to a CAF worker.
template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> ask(const caf::actor& bridge, const Handle& target,
                       actors::clock::time_point deadline, Ts... request) {
  auto prepared = prepare_call<Reply>(target, deadline, std::move(request)...);
  caf::anon_send(bridge, std::move(prepared.call));
  return std::move(prepared.reply);
}

// Runs the request on this (the RPC) thread when the target is idle (node/rpc_thread_unit.hpp),
// for three activations: a single-key check (the bridge, the shard actor, the bridge with the
// answer); an estimate or a breakdown (the bridge, the coordinator's planning, then the node
// manager, or the bridge with an answer from stored counts). What follows runs on the workers.
template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> ask_here(rpc_thread_unit& here, const caf::actor& bridge, const Handle& target,
                            actors::clock::time_point deadline, Ts... request) {
  auto prepared = prepare_call<Reply>(target, deadline, std::move(request)...);
  prepared.slot->collect_here(true);
  here.send_and_run(bridge, caf::make_message(std::move(prepared.call)), 3);
  prepared.slot->collect_here(false);
  KJ_IF_MAYBE (answer, prepared.slot->take_answer())
    return kj::mv(*answer);
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
