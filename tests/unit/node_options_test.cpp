// tagd's options: values checked before anything starts.
#include "node/options.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using tagd::node::parse_options;

namespace {
std::optional<tagd::node::node_options> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tagd");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}
} // namespace

TEST_CASE("tagd refuses a listen address without a numeric port", "[node]") {
  // Regression: "host:http" reached std::stoul at startup and ended the process uncaught.
  for (const char* bad : {"127.0.0.1:http", "127.0.0.1", ":7411", "127.0.0.1:", "h:65536"})
    CHECK_THROWS_AS(parse({"--listen", bad}), std::runtime_error);
  auto good = parse({"--listen", "0.0.0.0:7411", "--vshards", "16"});
  REQUIRE(good);
  CHECK(good->listen == "0.0.0.0:7411");
  CHECK(good->vshards == 16);
  CHECK_THROWS_AS(parse({"--vshards", "12"}), std::runtime_error);
}

TEST_CASE("tagd takes a scheduler policy by name and refuses others", "[node]") {
  auto defaults = parse({});
  REQUIRE(defaults);
  CHECK(defaults->scheduler == "sharing");
  auto stealing = parse({"--scheduler", "stealing"});
  REQUIRE(stealing);
  CHECK(stealing->scheduler == "stealing");
  CHECK_THROWS_AS(parse({"--scheduler", "fifo"}), std::runtime_error);
}
