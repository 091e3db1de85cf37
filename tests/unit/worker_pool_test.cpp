#include "shards/worker_pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace tagd;

TEST_CASE("parallel_for runs every task once and returns the first error by index", "[pool]") {
  for (unsigned threads : {0u, 1u, 3u}) {
    CAPTURE(threads);
    worker_pool pool(threads);
    std::vector<std::atomic<int>> runs(1000);
    std::mutex mutex;
    std::set<std::thread::id> seen;
    status s = pool.parallel_for(runs.size(), [&](size_t i) -> status {
      ++runs[i];
      {
        std::lock_guard lock(mutex);
        seen.insert(std::this_thread::get_id());
      }
      if (i == 700 || i == 300)
        return status(error_code::internal, "task " + std::to_string(i));
      return status::ok();
    });
    for (auto& r : runs)
      REQUIRE(r.load() == 1);
    CHECK(s.code() == error_code::internal);
    CHECK(s.message() == "task 300");
    CHECK(seen.size() <= threads + 1);
    if (threads == 0)
      CHECK(seen == std::set<std::thread::id>{std::this_thread::get_id()});
    CHECK(pool.parallel_for(0, [](size_t) { return status(error_code::internal, "never"); }));
  }
}
