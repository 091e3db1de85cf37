// client/record_splitter: import batches end only where a record ends, by the node's CSV rules.
// The records are built here, so every record end is known.
#include "client/record_splitter.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using tagd::client::detail::record_run;
using tagd::client::detail::record_splitter;

TEST_CASE("record splitter cuts only at record ends") {
  // Fed and taken in random sizes.
  auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> pieces = {
      "a",    "bc",   ",",         "\"q,\"", "\"line\nbreak\"", "\"say \"\"hi\"\"\"",
      "x\"y", "\"\"", "\"a\r\nb\""};
  std::vector<std::string> records;
  std::string all;
  for (int r = 0; r < 2000; ++r) {
    std::string record;
    int fields = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < fields; ++f) {
      if (f > 0)
        record += ',';
      record += pieces[rng() % pieces.size()];
    }
    record += rng() % 3 == 0 ? "\r\n" : "\n";
    records.push_back(record);
    all += record;
  }
  std::string last = "\"no\nnewline\",at end";
  all += last;
  records.push_back(last + "\n");

  record_splitter splitter(',');
  std::vector<record_run> runs;
  size_t at = 0;
  while (at < all.size()) {
    size_t n = std::min(all.size() - at, static_cast<size_t>(1 + rng() % 300));
    splitter.append(std::string_view(all).substr(at, n));
    at += n;
    while (auto run = splitter.take(1 + rng() % 200))
      runs.push_back(std::move(*run));
  }
  if (auto rest = splitter.finish())
    runs.push_back(std::move(*rest));
  CHECK(!splitter.finish());

  size_t next = 0;
  for (const auto& run : runs) {
    std::string expected;
    for (uint64_t i = 0; i < run.records; ++i)
      expected += records.at(next + i);
    REQUIRE(run.bytes == expected);
    CHECK(run.lines == static_cast<uint64_t>(std::count(expected.begin(), expected.end(), '\n')));
    next += run.records;
  }
  CHECK(next == records.size());
}

TEST_CASE("record splitter follows the node's rule for a quote inside an unquoted field") {
  record_splitter splitter('\t');
  splitter.append("k1\tab\"c\n\"k\t2\"\tx\n");
  auto first = splitter.take(1);
  REQUIRE(first);
  CHECK(first->bytes == "k1\tab\"c\n");
  auto second = splitter.take(100);
  REQUIRE(second);
  CHECK(second->bytes == "\"k\t2\"\tx\n");
}
