// Uploads of more keys than one request carries: the client streams them in batches
// (Tagd.beginUpload), the node keeps them in order and makes one group version at commit, and a
// failed stream leaves no version behind.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace tagd;
using namespace tagd::testing;

namespace {

client::connection_options batches_of(size_t keys, unsigned in_flight) {
  client::connection_options options;
  options.max_keys_per_request = keys;
  options.requests_in_flight = in_flight;
  return options;
}

} // namespace

TEST_CASE("client: an upload past one request streams in batches and makes one group version",
          "[e2e][client][upload]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4", "--max-batch-keys", "1000"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(6000);
  load_people(node.address(), dir / "people.csv", people);

  // Adults, with a key unknown to the node after every 20th: 300 unknown keys in all.
  std::vector<std::string> keys, unknown;
  std::vector<std::string> probes;
  for (size_t i = 0; i < people.size(); ++i) {
    probes.push_back(std::to_string(people[i].key));
    if (people[i].age >= 18)
      keys.push_back(probes.back());
    if (i % 20 == 0) {
      unknown.push_back(std::to_string(1000 + i)); // make_people's keys are far larger
      keys.push_back(unknown.back());
    }
  }
  REQUIRE(unknown.size() == 300);
  uint64_t adults = count_if(people, [](const person& p) { return p.age >= 18; });

  // 8 batches on 3 lanes; the whole list as one request would be past max_request_bytes.
  client::connection_options options = batches_of(700, 3);
  options.max_request_bytes = 64 << 10;
  client::connection tagd(node.address(), options);
  REQUIRE(keys.size() > 5 * 700);
  auto uploaded = tagd.upload("adults", "", keys);
  CHECK(uploaded.version.group == "adults");
  CHECK(uploaded.version.version == 1);
  CHECK(uploaded.version.count == adults);
  CHECK(uploaded.unknown_keys == unknown.size());
  // The sample is the first 100 unknown keys in upload order: the batches kept their order.
  CHECK(uploaded.unknown_sample ==
        std::vector<std::string>(unknown.begin(), unknown.begin() + 100));
  auto members = tagd.contains_many("adults", probes);
  for (size_t i = 0; i < people.size(); ++i) {
    INFO("person " << i);
    REQUIRE(members[i] == (people[i].age >= 18));
  }
  CHECK(tagd.catalog().groups.size() == 1);
  CHECK(tagd.upload("adults", "", {probes[0]}).version.version == 2); // no version in between

  // The asynchronous call streams a copy: the caller's vector is gone before its batches are.
  auto pending = [&] {
    std::vector<std::string> copy = keys;
    return tagd.upload_async("adults_again", "", copy);
  }();
  auto again = pending.get();
  CHECK(again.version.count == adults);
  CHECK(again.unknown_keys == unknown.size());
  CHECK(again.unknown_sample == uploaded.unknown_sample);
}

TEST_CASE("client: a streamed upload that fails leaves no group version", "[e2e][client][upload]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4", "--max-batch-keys", "1000"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(3000);
  load_people(node.address(), dir / "people.csv", people);
  std::vector<std::string> keys;
  for (const person& p : people)
    keys.push_back(std::to_string(p.key));

  SECTION("a batch past the node's --max-batch-keys") {
    client::connection tagd(node.address(), batches_of(1500, 2));
    CHECK(expect_error("TOO_LARGE", [&] { tagd.upload("g", "", keys); }) ==
          "an upload batch has at most 1000 keys");
  }
  SECTION("an entity type the node does not have") {
    client::connection tagd(node.address(), batches_of(500, 2));
    CHECK(expect_error("NOT_FOUND", [&] { tagd.upload("g", "device", keys); }) != "");
  }
  SECTION("a key that is not an integer, in a late batch") {
    client::connection tagd(node.address(), batches_of(500, 2));
    keys.push_back("not-a-number");
    try {
      tagd.upload("g", "", keys);
      FAIL("the upload succeeded");
    } catch (const client::error& e) {
      CHECK(e.code() == "INVALID_ARGUMENT");
      CHECK(std::string(e.what()).find("not-a-number") != std::string::npos);
    }
  }
  client::connection check(node.address());
  CHECK(check.catalog().groups.empty());
  CHECK(expect_error("NOT_FOUND", [&] { check.contains("g", keys[0]); }) == "no group 'g'");
  // The node is still well: an upload that fits works.
  CHECK(check.upload("g", "", {keys[0], keys[1]}).version.count == 2);
}
