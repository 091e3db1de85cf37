#include "client/session.hpp"

#include <kj/debug.h>

#include <mutex>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace tagd::client::detail {

namespace {

constexpr unsigned default_port = 7411;

wire::Tagd::Client bootstrap(capnp::RpcSystem<capnp::rpc::twoparty::VatId>& rpc) {
  capnp::MallocMessageBuilder message(8);
  auto vat = message.initRoot<capnp::rpc::twoparty::VatId>();
  vat.setSide(capnp::rpc::twoparty::Side::SERVER);
  return rpc.bootstrap(vat).castAs<wire::Tagd>();
}

} // namespace

error error_from_kj(const kj::Exception& e) {
  const char* fallback = "INTERNAL";
  switch (e.getType()) {
  case kj::Exception::Type::DISCONNECTED:
    fallback = "DISCONNECTED";
    break;
  case kj::Exception::Type::OVERLOADED:
    fallback = "UNAVAILABLE";
    break;
  case kj::Exception::Type::UNIMPLEMENTED:
    fallback = "UNIMPLEMENTED";
    break;
  case kj::Exception::Type::FAILED:
    break;
  }
  return error_from_description(e.getDescription().cStr(), fallback);
}

void fail(const char* code, const std::string& message) {
  throw kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                      kj::str(code, ": ", message));
}

// ---- session ----

session::session(kj::Timer& timer, kj::Own<kj::AsyncIoStream> connected,
                 const connection_options& options)
    : timer(timer), options(options), stream(kj::mv(connected)),
      network(*stream, capnp::rpc::twoparty::Side::CLIENT,
              capnp::ReaderOptions{options.max_reply_words, 64}),
      rpc(capnp::makeRpcClient(network)), tagd(bootstrap(rpc)), tasks(*this) {}

session::~session() = default;

uint64_t session::keep(capnp::Capability::Client capability) {
  uint64_t handle = next_handle_++;
  objects_.emplace(handle, kj::mv(capability));
  return handle;
}

void session::drop(uint64_t handle) {
  objects_.erase(handle);
}

void session::taskFailed(kj::Exception&& exception) {
  // Every call's promise handles its own errors (reply_slot), so nothing should arrive here.
  KJ_LOG(ERROR, "tagd client: unexpected failure on the event loop", exception);
}

kj::Own<session> connect_session(kj::AsyncIoProvider& io, kj::WaitScope& wait_scope,
                                 const std::string& address, const connection_options& options) {
  try {
    auto timeout_ms = options.connect_timeout.count();
    auto connected =
        io.getNetwork()
            .parseAddress(address, default_port)
            .then([](kj::Own<kj::NetworkAddress> resolved) {
              return resolved->connect().attach(kj::mv(resolved));
            })
            .exclusiveJoin(io.getTimer()
                               .afterDelay(timeout_ms * kj::MILLISECONDS)
                               .then([timeout_ms]() -> kj::Promise<kj::Own<kj::AsyncIoStream>> {
                                 fail("UNAVAILABLE",
                                      "no connection within " + std::to_string(timeout_ms) + " ms");
                               }));
    auto stream = connected.wait(wait_scope);
    try {
      int on = 1; // requests are small and answered at once: never wait to fill a packet
      stream->setsockopt(IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    } catch (const kj::Exception&) {
      // not TCP (e.g. a Unix socket): nothing to tune
    }
    return kj::heap<session>(io.getTimer(), kj::mv(stream), options);
  } catch (const kj::Exception& e) {
    error cause = error_from_kj(e);
    throw error("UNAVAILABLE", "cannot connect to " + address + ": " + cause.message());
  }
}

// ---- the two ways to run the event loop ----

namespace {

// threading::background_thread: one thread runs the loop until the owner is destroyed; other
// threads hand it work through its kj::Executor and wait for the work (not the reply) to run, or
// post it to a queue that the loop drains whenever it is woken (one wake-up for many posts).
class background_owner final : public session_owner {
 public:
  background_owner(const std::string& address, const connection_options& options)
      : session_owner(address, options) {
    std::promise<void> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, &ready] { run_loop(ready); });
    try {
      started.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }

  ~background_owner() noexcept override {
    stop_->fulfill();
    thread_.join();
  }

  void run(kj::FunctionParam<void(session&)> f) override {
    if (std::this_thread::get_id() == loop_thread_)
      throw error("INVALID_ARGUMENT",
                  "a blocking client call was made on the connection's own event-loop thread");
    try {
      executor_->executeSync([&] { f(*session_); });
    } catch (const kj::Exception& e) {
      throw error_from_kj(e);
    }
  }

  void post(kj::Function<void(session&)> f) override {
    if (std::this_thread::get_id() == loop_thread_) // as run(): its reply could never be waited for
      throw error("INVALID_ARGUMENT",
                  "a blocking client call was made on the connection's own event-loop thread");
    std::lock_guard lock(posted_mutex_);
    if (closed_)
      return; // dropping f tells its caller DISCONNECTED
    posted_.push_back(kj::mv(f));
    if (!woken_) { // the loop will drain everything posted until it re-arms
      woken_ = true;
      wake_->fulfill();
    }
  }

 protected:
  kj::WaitScope* caller_wait_scope() override { return nullptr; }

 private:
  void run_loop(std::promise<void>& ready) {
    try {
      auto io = kj::setupAsyncIo();
      auto s = connect_session(*io.provider, io.waitScope, address(), options());
      auto stop = kj::newPromiseAndCrossThreadFulfiller<void>();
      stop_ = kj::mv(stop.fulfiller);
      executor_ = kj::getCurrentThreadExecutor().addRef();
      session_ = s.get();
      loop_thread_ = std::this_thread::get_id();
      kj::Promise<void> posts = serve_posts().eagerlyEvaluate(nullptr);
      ready.set_value(); // `ready` is gone after this: the constructor returns
      stop.promise.wait(io.waitScope);
      close_posts();
      session_ = nullptr;
      // `s` goes first: pending calls fail with DISCONNECTED while the loop still exists.
    } catch (...) {
      ready.set_exception(std::current_exception());
    }
  }

  // On the loop thread: runs what was posted so far, and arms the next wake-up.
  kj::Promise<void> serve_posts() {
    std::vector<kj::Function<void(session&)>> batch;
    auto next = kj::newPromiseAndCrossThreadFulfiller<void>();
    {
      std::lock_guard lock(posted_mutex_);
      batch.swap(posted_);
      wake_ = kj::mv(next.fulfiller);
      woken_ = false;
    }
    for (auto& f : batch) {
      try {
        f(*session_);
      } catch (...) { // the call's reply slot, dropped on the way out, told its caller
      }
    }
    return next.promise.then([this] { return serve_posts(); });
  }

  // On the loop thread as it ends: what is still queued fails with DISCONNECTED.
  void close_posts() {
    std::vector<kj::Function<void(session&)>> unrun;
    std::lock_guard lock(posted_mutex_);
    closed_ = true;
    unrun.swap(posted_);
    wake_ = nullptr;
  }

  std::thread thread_;
  std::thread::id loop_thread_;
  std::mutex posted_mutex_;
  std::vector<kj::Function<void(session&)>> posted_;    // under posted_mutex_
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake_; // under posted_mutex_
  bool woken_ = false, closed_ = false;                 // under posted_mutex_
  kj::Own<const kj::Executor> executor_;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> stop_;
  session* session_ = nullptr; // owned by the loop thread
};

// One event loop per thread, shared by that thread's caller-thread connections.
struct thread_loop {
  kj::AsyncIoContext io = kj::setupAsyncIo();
};

std::shared_ptr<thread_loop> loop_of_this_thread() {
  thread_local std::weak_ptr<thread_loop> current;
  auto loop = current.lock();
  if (!loop) {
    loop = std::make_shared<thread_loop>();
    current = loop;
  }
  return loop;
}

// threading::caller_thread: the creating thread runs the loop whenever it waits for a reply.
class caller_owner final : public session_owner {
 public:
  caller_owner(const std::string& address, const connection_options& options)
      : session_owner(address, options), loop_(loop_of_this_thread()),
        session_(connect_session(*loop_->io.provider, loop_->io.waitScope, address, options)),
        thread_(std::this_thread::get_id()) {}
  ~caller_owner() noexcept override {}

  void run(kj::FunctionParam<void(session&)> f) override {
    check_thread();
    f(*session_);
  }
  void post(kj::Function<void(session&)> f) override { run(f); }

 protected:
  kj::WaitScope* caller_wait_scope() override {
    check_thread();
    return &loop_->io.waitScope;
  }

 private:
  void check_thread() const {
    if (std::this_thread::get_id() != thread_)
      throw error("INVALID_ARGUMENT", "a caller-thread connection was used from another thread");
  }

  std::shared_ptr<thread_loop> loop_; // outlives session_
  kj::Own<session> session_;
  std::thread::id thread_;
};

} // namespace

std::shared_ptr<session_owner> session_owner::open(const std::string& address,
                                                   const connection_options& options) {
  if (options.mode == threading::caller_thread)
    return std::make_shared<caller_owner>(address, options);
  return std::make_shared<background_owner>(address, options);
}

} // namespace tagd::client::detail
