#pragma once
// Lends the RPC thread to CAF for one short request. A message sent from a plain thread wakes a
// sleeping CAF worker, and the answer wakes the sleeping RPC thread again: ≈13 µs each way on
// this machine, a third of a single-key check (docs/performance.md). Sent through this unit, the
// message instead runs the actors it wakes right here, one message each, as a CAF worker would:
// an actor still handles one message at a time, and one that is busy elsewhere keeps its
// message in its mailbox and answers from its worker as before. Beyond a few activations the
// rest goes to CAF's scheduler, so work that fans out still runs on both cores.
//
// Only for requests that are short by nature: the RPC thread serves no other call meanwhile.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/message.hpp>

#include <cstddef>
#include <vector>

namespace tagd::node {

class rpc_thread_unit final : public caf::execution_unit {
 public:
  explicit rpc_thread_unit(caf::actor_system& system) : caf::execution_unit(&system) {}

  // Sends `content` to `target` (anonymously) and runs at most `activations` actor activations
  // that follow from it on this thread before returning.
  void send_and_run(const caf::actor& target, caf::message content, size_t activations);

  // Called by CAF, on this thread, when an actor running here wakes an idle actor.
  void exec_later(caf::resumable* job) override;

 private:
  std::vector<caf::resumable*> ready_;
  size_t activations_left_ = 0;
};

} // namespace tagd::node
