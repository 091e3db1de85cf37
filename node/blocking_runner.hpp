#pragma once
// One thread for blocking work that must stay off the RPC thread (catalog commits, import
// batches): run() queues a function and returns a promise the worker fulfills. Work runs in
// the order it was queued.

#include "node/bridge.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tagd::node {

class blocking_runner {
 public:
  blocking_runner();
  ~blocking_runner(); // finishes queued work, then joins

  template <class T>
  kj::Promise<T> run(std::function<result<T>()> work) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    auto fulfiller =
        std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<T>>>(kj::mv(paf.fulfiller));
    post([work = std::move(work), fulfiller] {
      result<T> r = work();
      if (r)
        (*fulfiller)->fulfill(std::move(r).value());
      else
        (*fulfiller)->reject(to_exception(r.error()));
    });
    return std::move(paf.promise);
  }

 private:
  void post(std::function<void()> job);
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace tagd::node
