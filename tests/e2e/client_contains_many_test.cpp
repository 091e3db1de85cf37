// contains_many through the client library against a real tagd: any number of keys, split into
// requests the node accepts (its --max-batch-keys), answered in the order of the keys.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <random>

using namespace tagd;
using namespace tagd::testing;
using client::threading;

TEST_CASE("client: contains_many past max_keys_per_request answers every key in order",
          "[e2e][client]") {
  const size_t node_limit = 1000;
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4", "--max-batch-keys",
                                   std::to_string(node_limit)});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(3000);
  load_people(node.address(), dir / "people.csv", people);
  {
    client::connection setup(node.address());
    CHECK(setup.select("chosen", "vip").version.version == 1);
    CHECK(setup.select("chosen", "age < 45").version.version == 2);
  }
  // Every person, and as many keys no table holds, shuffled with a printed seed.
  struct probe {
    std::string key;
    bool in_v1, in_v2;
  };
  std::vector<probe> probes;
  for (const person& p : people) {
    probes.push_back({std::to_string(p.key), p.vip, p.age < 45});
    probes.push_back({std::to_string(p.key + 1), false, false}); // keys are far apart
  }
  probes.push_back({"1", false, false});
  auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::shuffle(probes.begin(), probes.end(), std::mt19937(seed));
  std::vector<std::string> keys;
  std::vector<bool> in_v1, in_v2;
  for (const probe& p : probes) {
    keys.push_back(p.key);
    in_v1.push_back(p.in_v1);
    in_v2.push_back(p.in_v2);
  }
  REQUIRE(keys.size() > 6 * node_limit);

  for (threading mode : {threading::background_thread, threading::caller_thread}) {
    INFO((mode == threading::caller_thread ? "caller_thread" : "background_thread"));
    client::connection_options options;
    options.mode = mode;
    options.max_keys_per_request = node_limit;
    options.requests_in_flight = 2;
    client::connection tagd(node.address(), options);
    CHECK(tagd.contains_many("chosen", keys) == in_v2);
    CHECK(tagd.contains_many("chosen", keys, 1) == in_v1);
    CHECK(tagd.contains_many_async("chosen", keys, 2).get() == in_v2);
    CHECK(tagd.contains_many("chosen", {}).empty());
    CHECK(expect_error("NOT_FOUND", [&] { tagd.contains_many("nobody", keys); }) ==
          "no group 'nobody'");

    // The same keys in requests the node refuses: the splitting above is what made them pass.
    options.max_keys_per_request = node_limit + 1;
    client::connection unsplit(node.address(), options);
    expect_error("TOO_LARGE", [&] { unsplit.contains_many("chosen", keys); });
    std::vector<std::string> at_limit(keys.begin(), keys.begin() + node_limit);
    CHECK(unsplit.contains_many("chosen", at_limit) ==
          std::vector<bool>(in_v2.begin(), in_v2.begin() + node_limit));
  }
}
