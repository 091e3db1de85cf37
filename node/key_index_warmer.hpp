#pragma once
// Builds the key indexes (shards/key_index.hpp) in the background, on a thread of low priority:
// every entity type's at start, and an entity type's again after a load or real-time upserts
// add keys. A membership check adds only a few keys to an index itself and reads LMDB (≈1 µs
// a key) while its vshard's index is behind; a full build takes ≈21 ms for 156 k keys.

#include "shards/database.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace tagd::node {

class key_index_warmer {
 public:
  explicit key_index_warmer(database& db);
  ~key_index_warmer(); // drops what is queued, finishes the entity type at hand, joins
  void warm(const std::string& entity);

 private:
  void run();
  database& db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace tagd::node
