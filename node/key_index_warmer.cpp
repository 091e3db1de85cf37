#include "node/key_index_warmer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tagd::node {

key_index_warmer::key_index_warmer(database& db) : db_(db), thread_([this] { run(); }) {}

key_index_warmer::~key_index_warmer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

void key_index_warmer::warm(const std::string& entity) {
  {
    std::lock_guard lock(mutex_);
    if (std::find(queue_.begin(), queue_.end(), entity) != queue_.end())
      return; // already due: one pass will cover both
    queue_.push_back(entity);
  }
  wake_.notify_one();
}

void key_index_warmer::run() {
  // Below the RPC thread and the actors: requests come first (Linux applies this to the thread).
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  for (;;) {
    std::string entity;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      entity = std::move(queue_.front());
      queue_.pop_front();
    }
    auto start = std::chrono::steady_clock::now();
    if (status built = db_.index_keys(entity); !built)
      spdlog::warn("key index of {}: {}", entity, built.to_string());
    else
      spdlog::debug(
          "key index of {} up to date in {:.3f} s", entity,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}

} // namespace tagd::node
