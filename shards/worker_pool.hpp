#pragma once
// A fixed set of long-lived threads. Threads stay alive because a new thread per query
// registers new LMDB reader slots and tripled a short query's time (MEASURED.md).

#include "shards/status.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tagd {

class worker_pool {
 public:
  // `threads` workers besides the callers; 0 runs everything on the calling thread.
  explicit worker_pool(unsigned threads);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Runs task(i) for i in [0, count) on the workers and the calling thread; returns the first
  // error (by index) after every task has finished.
  status parallel_for(size_t count, const std::function<status(size_t)>& task);

  // Runs `job` on a worker thread (or inline without workers).
  void post(std::function<void()> job);

  unsigned size() const { return static_cast<unsigned>(threads_.size()); }

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace tagd
