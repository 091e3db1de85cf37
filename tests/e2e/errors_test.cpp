// Every error code a client can provoke with bad input, each leaving the data as it was.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

using namespace tagd;
using namespace tagd::testing;

TEST_CASE("bad requests fail with their error code and change nothing", "[e2e]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4", "--max-expression-bytes", "200",
                                   "--max-batch-keys", "1000"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  auto people = make_people(3000);
  write_text(dir / "people.csv", people_csv(people));
  tagd.define_table(people_table());
  tagd.import_file(dir / "people.csv", "people", "v1");
  tagd.select("vips", "vip");
  tagd.define_table(live_table("points", client::tag_kind::int_));

  const uint64_t vips = count_if(people, [](const person& p) { return p.vip; });
  auto unchanged = [&] {
    CHECK(tagd.estimate("vip").count == vips);
    CHECK(tagd.estimate("IN GROUP vips").count == vips);
    CHECK(tagd.estimate("points IS NOT NULL").count == 0);
  };
  uint64_t catalog_version = tagd.catalog().version;

  CHECK(expect_error("INVALID_EXPRESSION", [&] { tagd.estimate("age >= "); }).find("column") !=
        std::string::npos);
  CHECK(expect_error("UNKNOWN_TAG", [&] { tagd.estimate("height > 3"); }).find("height") !=
        std::string::npos);
  CHECK(expect_error("TYPE_MISMATCH", [&] { tagd.estimate("age = 'old'"); }).find("age") !=
        std::string::npos);
  expect_error("TOO_LARGE", [&] {
    tagd.estimate(std::string(150, ' ') + "age > 1 AND age < 9"
                                          " AND age < 9 AND age < 9 AND age < 9");
  });
  expect_error("NOT_FOUND", [&] { tagd.estimate("IN GROUP nobody"); });
  expect_error("NOT_FOUND", [&] { tagd.contains("nobody", "1"); });
  expect_error("NOT_FOUND", [&] { tagd.contains("vips", "1", 7); });
  expect_error("INVALID_ARGUMENT", [&] { tagd.contains("vips", "not-a-number"); });
  expect_error("ALREADY_EXISTS", [&] { tagd.define_table(people_table()); });
  expect_error("NOT_FOUND", [&] { tagd.begin_import("nosuchtable", "v1"); });
  expect_error("BAD_ROW", [&] { tagd.upsert("live", {{"1", {"12x"}}}); });
  expect_error("TOO_LARGE", [&] {
    std::vector<client::row> rows;
    for (int i = 0; i < 1001; ++i)
      rows.push_back({std::to_string(i + 1), {"1"}});
    tagd.upsert("live", rows);
  });
  CHECK(tagd.catalog().version == catalog_version);
  unchanged();

  // A load that rejects more rows than allowed aborts and leaves the old version current.
  std::string bad = "id,city,age,vip\n1,c1,x,true\n2,c1,y,true\n3,c1,z,true\n";
  write_text(dir / "bad.csv", bad);
  client::import_options strict;
  strict.max_rejected = 1;
  expect_error("ABORTED", [&] { tagd.import_file(dir / "bad.csv", "people", "v2", strict); });
  unchanged();
  auto tables = tagd.catalog().tables;
  auto found = std::find_if(tables.begin(), tables.end(),
                            [](const client::table_info& t) { return t.def.name == "people"; });
  REQUIRE(found != tables.end());
  REQUIRE(found->versions.size() == 1);
  CHECK(found->versions[0].label == "v1");
  CHECK(node.stop() == 0);
}

TEST_CASE("a second node on the same data directory refuses to start", "[e2e]") {
  temp_dir dir;
  tagd_process first(dir / "data", {"--no-sync"});
  REQUIRE_FALSE(first.exited());
  tagd_process second(dir / "data", {"--no-sync"});
  CHECK(second.exited());
  CHECK(second.exit_code() == 1);
  client::connection tagd(first.address());
  tagd.ping(); // the first one is unharmed
}

TEST_CASE("a vshard count that differs from the data directory's is refused", "[e2e]") {
  temp_dir dir;
  {
    tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
    REQUIRE_FALSE(node.exited());
    CHECK(node.stop() == 0);
  }
  tagd_process again(dir / "data", {"--no-sync", "--vshards", "8"});
  CHECK(again.exited());
  CHECK(again.exit_code() == 1);
}
