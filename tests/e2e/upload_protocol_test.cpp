// The Upload capability driven over Cap'n Proto directly, as a client other than ours may use
// it: batches pipelined without waiting, a commit sent before their replies, a batch that fails
// and a commit after it. The client library never does the last two, so only this test reaches
// them.
#include "e2e/e2e_support.hpp"
#include "protocol/tagd.capnp.h"
#include "support/temp_dir.hpp"

#include <capnp/rpc-twoparty.h>
#include <catch2/catch.hpp>
#include <kj/async-io.h>

using namespace tagd;
using namespace tagd::testing;

namespace {

// A bare Cap'n Proto connection to a node: its event loop runs while a test waits on a promise.
struct raw_connection {
  explicit raw_connection(uint16_t port)
      : io(kj::setupAsyncIo()),
        stream(io.provider->getNetwork()
                   .parseAddress("127.0.0.1", port)
                   .then([](kj::Own<kj::NetworkAddress> a) { return a->connect(); })
                   .wait(io.waitScope)),
        client(*stream), tagd(client.bootstrap().castAs<wire::Tagd>()) {}

  wire::Upload::Client begin(const std::string& group) {
    auto request = tagd.beginUploadRequest();
    request.setGroup(group);
    return request.send().wait(io.waitScope).getUpload();
  }

  static auto add_keys(wire::Upload::Client& upload, const std::vector<std::string>& keys) {
    auto request = upload.addKeysRequest();
    auto list = request.initKeys(static_cast<unsigned>(keys.size()));
    for (unsigned i = 0; i < keys.size(); ++i)
      list.set(i, keys[i]);
    return request.send();
  }

  // The node's description of the exception `promise` fails with ("" when it does not).
  template <class Promise>
  std::string failure_of(Promise&& promise) {
    try {
      promise.wait(io.waitScope);
      return "";
    } catch (const kj::Exception& e) {
      std::string description = e.getDescription().cStr();
      const std::string remote = "remote exception: "; // added by Cap'n Proto on this side
      return description.rfind(remote, 0) == 0 ? description.substr(remote.size()) : description;
    }
  }

  kj::AsyncIoContext io;
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyClient client;
  wire::Tagd::Client tagd;
};

uint16_t port_of(const tagd_process& node) {
  const std::string address = node.address();
  return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

} // namespace

TEST_CASE("Upload over the wire: pipelined batches, an early commit, a failed batch",
          "[e2e][upload]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(3000);
  load_people(node.address(), dir / "people.csv", people);
  // Three batches of a thousand people each, with one unknown key at the front of each.
  std::vector<std::vector<std::string>> batches(3);
  for (size_t b = 0; b < batches.size(); ++b) {
    batches[b].push_back(std::to_string(b + 1)); // make_people's keys are far larger
    for (size_t i = b * 1000; i < (b + 1) * 1000; ++i)
      batches[b].push_back(std::to_string(people[i].key));
  }
  raw_connection wire(port_of(node));

  SECTION("the commit waits for every batch sent before it") {
    auto upload = wire.begin("all");
    std::vector<capnp::RemotePromise<wire::Upload::AddKeysResults>> added;
    for (const auto& batch : batches)
      added.push_back(raw_connection::add_keys(upload, batch));
    auto committed = upload.commitRequest().send(); // before any batch's reply came
    auto reply = committed.wait(wire.io.waitScope);
    CHECK(reply.getVersion().getCount() == people.size());
    CHECK(reply.getUnknownKeys() == batches.size());
    auto sample = reply.getUnknownSample();
    REQUIRE(sample.size() == 3);
    for (unsigned b = 0; b < 3; ++b)
      CHECK(std::string(sample[b].cStr()) == std::to_string(b + 1)); // upload order
    uint64_t last = 0;
    for (auto& a : added)
      last = a.wait(wire.io.waitScope).getKeysSoFar();
    CHECK(last == 3 * 1001);
    CHECK(wire.failure_of(raw_connection::add_keys(upload, batches[0])) ==
          "INVALID_ARGUMENT: this upload was already finished");
    client::connection check(node.address());
    auto members = check.contains_many("all", {batches[0][1], batches[2][1000], "1"});
    CHECK((members == std::vector<bool>{true, true, false}));
  }

  SECTION("a bad key fails its own batch, then every later call, and nothing is stored") {
    auto upload = wire.begin("broken");
    CHECK(wire.failure_of(raw_connection::add_keys(upload, batches[0])) == "");
    std::vector<std::string> bad = batches[1];
    bad[500] = "five";
    CHECK(wire.failure_of(raw_connection::add_keys(upload, bad)) ==
          "INVALID_ARGUMENT: key 'five' is not an unsigned 64-bit integer");
    CHECK(wire.failure_of(raw_connection::add_keys(upload, batches[2])) ==
          "INVALID_ARGUMENT: key 'five' is not an unsigned 64-bit integer");
    CHECK(wire.failure_of(upload.commitRequest().send()) ==
          "INVALID_ARGUMENT: key 'five' is not an unsigned 64-bit integer");
    client::connection check(node.address());
    CHECK(check.catalog().groups.empty());
  }
}
