// The bridge's two ways into the actors: ask() hands a request to CAF's workers, ask_here() lends
// the calling thread (node/rpc_thread_unit.hpp). Which thread answered is the observable: an idle
// actor answers on the caller's thread, a busy one from its worker, and work beyond the
// activation budget goes to the workers; every request is answered either way.
#include "node/bridge.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <catch2/catch.hpp>
#include <kj/async-io.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

using namespace tagd;
using namespace tagd::node;

namespace {

using where_atom = caf::atom_constant<caf::atom("where")>;
using hold_atom = caf::atom_constant<caf::atom("hold")>;
using fan_atom = caf::atom_constant<caf::atom("fan")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;

uint64_t this_thread_id() {
  return std::hash<std::thread::id>{}(std::this_thread::get_id());
}

// Answers `where` with the thread it runs on; `hold` blocks its worker until `release` is set.
caf::behavior reporter(caf::event_based_actor*, std::shared_future<void> release,
                       std::atomic<bool>* holding) {
  return {
      [](where_atom) { return this_thread_id(); },
      [](fail_atom) -> caf::result<uint64_t> {
        return actors::to_caf_error(status(error_code::not_found, "no such thing"));
      },
      [release, holding](hold_atom) {
        holding->store(true);
        release.wait();
      },
  };
}

// Asks each of `children` where it runs and answers with all their threads.
caf::behavior fan(caf::event_based_actor* self, std::vector<caf::actor> children) {
  return {[self, children](fan_atom) {
    auto promise = self->make_response_promise<std::vector<uint64_t>>();
    auto threads = std::make_shared<std::vector<uint64_t>>();
    for (auto& child : children)
      self->request(child, caf::infinite, where_atom::value)
          .then([promise, threads, n = children.size()](uint64_t thread) mutable {
            threads->push_back(thread);
            if (threads->size() == n)
              promise.deliver(*threads);
          });
    return promise;
  }};
}

struct actors_and_loop {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  kj::AsyncIoContext io = kj::setupAsyncIo();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};

  actors_and_loop() {
    config.set("scheduler.max-threads", 2);
    system = std::make_unique<caf::actor_system>(config);
  }
  ~actors_and_loop() { release.set_value(); }
  caf::actor spawn_reporter() { return system->spawn(reporter, released, &holding); }
  static actors::clock::time_point deadline() {
    return actors::clock::now() + std::chrono::seconds(10);
  }
};

} // namespace

TEST_CASE("ask_here runs a request to an idle actor on the calling thread; ask does not",
          "[bridge]") {
  actors_and_loop t;
  caf::actor bridge = spawn_bridge(*t.system);
  caf::actor target = t.spawn_reporter();
  rpc_thread_unit here(*t.system);
  // Spawning schedules an actor's start on a worker; let both start and go idle.
  REQUIRE(ask<uint64_t>(bridge, target, t.deadline(), where_atom::value).wait(t.io.waitScope) !=
          this_thread_id());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Each call ends before the next starts, so the bridge and the target are idle every time.
  for (int round = 0; round < 100; ++round) {
    auto lent = ask_here<uint64_t>(here, bridge, target, t.deadline(), where_atom::value);
    REQUIRE(lent.wait(t.io.waitScope) == this_thread_id());
  }
  for (int round = 0; round < 100; ++round) {
    auto handed = ask<uint64_t>(bridge, target, t.deadline(), where_atom::value);
    REQUIRE(handed.wait(t.io.waitScope) != this_thread_id());
  }
}

TEST_CASE("ask_here to a busy actor is answered from the actor's worker", "[bridge]") {
  actors_and_loop t;
  caf::actor bridge = spawn_bridge(*t.system);
  caf::actor target = t.spawn_reporter();
  rpc_thread_unit here(*t.system);
  caf::anon_send(target, hold_atom::value);
  while (!t.holding.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The call must neither wait for the held actor nor run it here.
  auto answer = ask_here<uint64_t>(here, bridge, target, t.deadline(), where_atom::value);
  t.release.set_value();
  uint64_t thread = answer.wait(t.io.waitScope);
  REQUIRE(thread != this_thread_id());
  t.release = std::promise<void>(); // the destructor releases a fresh one
}

TEST_CASE("ask_here lends the thread for three activations; the rest run on the workers",
          "[bridge]") {
  actors_and_loop t;
  caf::actor bridge = spawn_bridge(*t.system);
  std::vector<caf::actor> children;
  for (int i = 0; i < 6; ++i)
    children.push_back(t.spawn_reporter());
  caf::actor parent = t.system->spawn(fan, children);
  rpc_thread_unit here(*t.system);
  for (int round = 0; round < 50; ++round) {
    // Activations: the bridge, the parent, one child; the other five children run elsewhere.
    auto answer =
        ask_here<std::vector<uint64_t>>(here, bridge, parent, t.deadline(), fan_atom::value);
    std::vector<uint64_t> threads = answer.wait(t.io.waitScope);
    REQUIRE(threads.size() == children.size());
    auto here_count = std::count(threads.begin(), threads.end(), this_thread_id());
    REQUIRE(here_count <= 1);
  }
}

TEST_CASE("an error answer reaches the caller as the tagd exception on either path", "[bridge]") {
  actors_and_loop t;
  caf::actor bridge = spawn_bridge(*t.system);
  caf::actor target = t.spawn_reporter();
  rpc_thread_unit here(*t.system);
  auto expect_not_found = [&](kj::Promise<uint64_t> answer) {
    auto failure = kj::runCatchingExceptions([&] { answer.wait(t.io.waitScope); });
    KJ_IF_MAYBE (e, failure) {
      CHECK(std::string(e->getDescription().cStr()) == "NOT_FOUND: no such thing");
    } else {
      FAIL("no exception");
    }
  };
  for (int round = 0; round < 10; ++round) {
    expect_not_found(ask_here<uint64_t>(here, bridge, target, t.deadline(), fail_atom::value));
    expect_not_found(ask<uint64_t>(bridge, target, t.deadline(), fail_atom::value));
  }
}
