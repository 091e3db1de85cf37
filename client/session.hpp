#pragma once
// Private: the Cap'n Proto side of a connection. A `session` (the RPC system and the node's
// capability) lives on the thread that runs its KJ event loop and is touched only there. A
// `session_owner` runs that loop — on its own thread (threading::background_thread) or on the
// caller's (threading::caller_thread) — and turns calls started on the loop into std::futures.

#include "client/tagd_client.hpp"
#include "protocol/tagd.capnp.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <future>
#include <memory>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace tagd::client::detail {

// The error a KJ exception stands for (a node's "CODE: message", or the exception's kind).
error error_from_kj(const kj::Exception& e);

// Throws a KJ exception whose description is "CODE: message", so that a failure inside a
// promise chain reaches the caller like a node's error.
[[noreturn]] void fail(const char* code, const std::string& message);

// Cap'n Proto Text of a std::string (no copy; the string must outlive the reader).
inline capnp::Text::Reader text_of(const std::string& s) {
  return capnp::Text::Reader(s.c_str(), s.size());
}

struct session final : private kj::TaskSet::ErrorHandler {
  session(kj::Timer& timer, kj::Own<kj::AsyncIoStream> stream, const connection_options& options);
  ~session();

  // Capabilities that outlive one call (an import, an export) stay here, under a handle, so that
  // they are created and dropped on the loop thread.
  uint64_t keep(capnp::Capability::Client capability);
  void drop(uint64_t handle);
  template <class Interface>
  typename Interface::Client object(uint64_t handle) {
    auto found = objects_.find(handle);
    if (found == objects_.end())
      fail("INVALID_ARGUMENT", "the import or export was already committed, aborted or dropped");
    return found->second.castAs<Interface>();
  }

  // Sends a request that carries a list or data; one past options.max_request_bytes fails with
  // TOO_LARGE here rather than being dropped by the node's Cap'n Proto limit.
  template <class Request>
  auto send_bounded(Request& request, const char* what) {
    uint64_t bytes = request.totalSize().wordCount * sizeof(capnp::word);
    if (bytes > options.max_request_bytes)
      fail("TOO_LARGE", std::string(what) + " of " + std::to_string(bytes >> 20) +
                            " MiB is past the limit of " +
                            std::to_string(options.max_request_bytes >> 20) + " MiB per request");
    return request.send();
  }

  // Fails `promise` with DEADLINE_EXCEEDED after options.call_timeout (if set).
  template <class T>
  kj::Promise<T> with_timeout(kj::Promise<T> promise) {
    if (options.call_timeout.count() <= 0)
      return promise;
    auto ms = options.call_timeout.count();
    return promise.exclusiveJoin(
        timer.afterDelay(ms * kj::MILLISECONDS).then([ms]() -> kj::Promise<T> {
          fail("DEADLINE_EXCEEDED", "no reply within " + std::to_string(ms) + " ms");
        }));
  }

  kj::Timer& timer;
  const connection_options options;
  // Destroyed bottom-up: pending calls are cancelled before the RPC system and the stream go.
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
  wire::Tagd::Client tagd;
  kj::TaskSet tasks; // calls of a background-thread connection

 private:
  void taskFailed(kj::Exception&& exception) override;
  std::unordered_map<uint64_t, capnp::Capability::Client> objects_;
  uint64_t next_handle_ = 1;
};

// Connects (TCP, Cap'n Proto two-party RPC) and bootstraps the node's Tagd capability on the
// current thread's event loop; throws error("UNAVAILABLE") on failure.
kj::Own<session> connect_session(kj::AsyncIoProvider& io, kj::WaitScope& wait_scope,
                                 const std::string& address, const connection_options& options);

// Holds the std::promise of one call; if the call is dropped unanswered (the connection
// closed), the future gets DISCONNECTED.
template <class T>
class reply_slot {
 public:
  reply_slot() = default;
  reply_slot(const reply_slot&) = delete;
  reply_slot& operator=(const reply_slot&) = delete;
  ~reply_slot() {
    if (!done_)
      promise_.set_exception(std::make_exception_ptr(
          error("DISCONNECTED", "the connection was closed before the reply came")));
  }
  std::future<T> future() { return promise_.get_future(); }
  template <class... Value>
  void fulfill(Value&&... value) {
    done_ = true;
    promise_.set_value(std::forward<Value>(value)...);
  }
  void fail(const kj::Exception& e) {
    done_ = true;
    promise_.set_exception(std::make_exception_ptr(error_from_kj(e)));
  }

 private:
  std::promise<T> promise_;
  bool done_ = false;
};

class session_owner : public std::enable_shared_from_this<session_owner> {
 public:
  // Connects; the factory for both threading modes.
  static std::shared_ptr<session_owner> open(const std::string& address,
                                             const connection_options& options);
  virtual ~session_owner() noexcept = default;

  const std::string& address() const { return address_; }
  const connection_options& options() const { return options_; }

  // Runs start(session&) on the loop thread before returning (so `start` may read the caller's
  // arguments by reference); the kj::Promise<T> it returns becomes the future's value or error.
  // `timed`: options.call_timeout bounds the whole promise (else `start` bounds its own RPCs).
  template <class T, bool timed = true, class Start>
  std::future<T> submit(Start&& start);

  // The same for a `start` that owns what it uses (captures by value): a background-thread
  // connection queues it for the loop thread and returns at once, instead of waiting for the
  // loop thread to run it (two thread switches per call, ≈20 µs here: docs/client.md).
  template <class T, bool timed = true, class Start>
  std::future<T> submit_owned(Start start);

  // Runs f(session&) on the loop thread and returns when it has returned.
  virtual void run(kj::FunctionParam<void(session&)> f) = 0;

  // Runs f(session&) on the loop thread soon (background thread), or now (caller thread).
  virtual void post(kj::Function<void(session&)> f) = 0;

 protected:
  session_owner(std::string address, const connection_options& options)
      : address_(std::move(address)), options_(options) {}
  // For threading::caller_thread: the loop to wait on; nullptr for a background thread.
  virtual kj::WaitScope* caller_wait_scope() = 0;

 private:
  template <class T>
  struct deferred_reply;

  // Starts the call on the loop thread; its reply or error goes to `slot`'s future.
  template <class T, bool timed, class Start>
  static void start_call(session& s, Start& start, kj::Own<reply_slot<T>> slot);

  std::string address_;
  connection_options options_;
};

// A caller-thread reply: get() runs the caller's event loop until the reply is in. The promise
// is destroyed before the owner it keeps alive.
template <class T>
struct session_owner::deferred_reply {
  deferred_reply(std::shared_ptr<session_owner> owner, kj::Promise<T> promise)
      : owner(std::move(owner)), promise(kj::mv(promise)) {}
  deferred_reply(deferred_reply&&) = default;
  ~deferred_reply() noexcept {} // std::future's state needs a destructor that does not throw

  std::shared_ptr<session_owner> owner;
  kj::Promise<T> promise;
  T operator()() {
    kj::WaitScope* wait_scope = owner->caller_wait_scope();
    try {
      return promise.wait(*wait_scope);
    } catch (const kj::Exception& e) {
      throw error_from_kj(e);
    }
  }
};

template <class T, bool timed, class Start>
void session_owner::start_call(session& s, Start& start, kj::Own<reply_slot<T>> slot) {
  auto promise = kj::evalNow([&]() -> kj::Promise<T> { return start(s); });
  if constexpr (timed)
    promise = s.with_timeout<T>(kj::mv(promise));
  reply_slot<T>* raw = slot.get();
  auto failed = [raw](kj::Exception&& e) { raw->fail(e); };
  // kj keeps a reference to an lvalue handler: both are moved in.
  if constexpr (std::is_void_v<T>)
    s.tasks.add(promise.then([raw]() { raw->fulfill(); }, kj::mv(failed)).attach(kj::mv(slot)));
  else
    s.tasks.add(promise.then([raw](T&& value) { raw->fulfill(std::move(value)); }, kj::mv(failed))
                    .attach(kj::mv(slot)));
}

template <class T, bool timed, class Start>
std::future<T> session_owner::submit(Start&& start) {
  try {
    if (caller_wait_scope() != nullptr) {
      kj::Maybe<kj::Promise<T>> promise;
      run([&](session& s) {
        auto started = kj::evalNow([&]() -> kj::Promise<T> { return start(s); });
        promise = timed ? s.with_timeout<T>(kj::mv(started)) : kj::mv(started);
      });
      KJ_IF_MAYBE (p, promise)
        return std::async(std::launch::deferred, deferred_reply<T>{shared_from_this(), kj::mv(*p)});
      throw error("INTERNAL", "a call was not started");
    }
    auto slot = kj::heap<reply_slot<T>>();
    std::future<T> result = slot->future();
    run([&](session& s) { start_call<T, timed>(s, start, kj::mv(slot)); });
    return result;
  } catch (const error&) { // the call could not start: the future carries why
    std::promise<T> failed;
    failed.set_exception(std::current_exception());
    return failed.get_future();
  }
}

template <class T, bool timed, class Start>
std::future<T> session_owner::submit_owned(Start start) {
  if (options_.mode == threading::caller_thread)
    return submit<T, timed>(start);
  auto slot = kj::heap<reply_slot<T>>();
  std::future<T> result = slot->future();
  try {
    // Dropped unrun (the connection closed first), the slot gives the future DISCONNECTED.
    post([start = std::move(start), slot = kj::mv(slot)](session& s) mutable {
      start_call<T, timed>(s, start, kj::mv(slot));
    });
  } catch (const error&) { // the call could not start: the future carries why
    std::promise<T> failed;
    failed.set_exception(std::current_exception());
    return failed.get_future();
  }
  return result;
}

} // namespace tagd::client::detail
