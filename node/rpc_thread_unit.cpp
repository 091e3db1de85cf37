#include "node/rpc_thread_unit.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <cassert>

namespace tagd::node {

void rpc_thread_unit::exec_later(caf::resumable* job) {
  if (activations_left_ == 0) {
    system().scheduler().enqueue(job); // the job's reference goes with it
    return;
  }
  --activations_left_;
  ready_.push_back(job);
}

void rpc_thread_unit::send_and_run(const caf::actor& target, caf::message content,
                                   size_t activations) {
  assert(ready_.empty());
  activations_left_ = activations;
  caf::actor_cast<caf::abstract_actor*>(target)->enqueue(
      caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, std::move(content)), this);
  // Each job here was idle until a message from this thread woke it: the first message in its
  // mailbox is ours. One message per activation, so the thread is lent for that much only.
  while (!ready_.empty()) {
    caf::resumable* job = ready_.back();
    ready_.pop_back();
    switch (job->resume(this, 1)) {
    case caf::resumable::resume_later: // more mail arrived meanwhile: a worker takes it on
      system().scheduler().enqueue(job);
      break;
    case caf::resumable::awaiting_message:
    case caf::resumable::done:
    case caf::resumable::shutdown_execution_unit:
      caf::intrusive_ptr_release(job); // what a CAF worker does with a job it has finished
      break;
    }
  }
  activations_left_ = 0;
}

} // namespace tagd::node
