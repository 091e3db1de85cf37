#include "shards/worker_pool.hpp"

#include <atomic>
#include <memory>

namespace tagd {

worker_pool::worker_pool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void worker_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty())
        return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void worker_pool::post(std::function<void()> job) {
  if (threads_.empty()) {
    job();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

status worker_pool::parallel_for(size_t count, const std::function<status(size_t)>& task) {
  if (count == 0)
    return status::ok();
  struct shared_state {
    std::atomic<size_t> next{0};
    std::mutex mutex;
    std::condition_variable done;
    size_t finished = 0;
    size_t first_error_index = SIZE_MAX;
    status first_error;
  };
  auto state = std::make_shared<shared_state>();
  auto drain = [state, count, &task] {
    size_t ran = 0;
    for (size_t i; (i = state->next.fetch_add(1)) < count; ++ran) {
      status s = task(i);
      if (!s.is_ok()) {
        std::lock_guard lock(state->mutex);
        if (i < state->first_error_index) {
          state->first_error_index = i;
          state->first_error = std::move(s);
        }
      }
    }
    std::lock_guard lock(state->mutex);
    state->finished += ran;
    if (state->finished == count)
      state->done.notify_all();
  };
  size_t helpers = std::min<size_t>(threads_.size(), count - 1);
  for (size_t i = 0; i < helpers; ++i)
    post(drain);
  drain();
  std::unique_lock lock(state->mutex);
  state->done.wait(lock, [&] { return state->finished == count; });
  return state->first_error;
}

} // namespace tagd
