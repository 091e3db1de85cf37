// The audience a person estimated is the audience that gets selected: a query pinned to the
// snapshot an earlier answer named reads those versions, even after a new version switched in.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

using namespace tagd;
using namespace tagd::testing;

TEST_CASE("queries pinned to a snapshot read the versions it names", "[e2e]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  auto first = make_people(3000), second = make_people(5000, 7);
  write_text(dir / "first.csv", people_csv(first));
  write_text(dir / "second.csv", people_csv(second));
  auto def = people_table();
  def.retention = 2;
  tagd.define_table(def);
  tagd.import_file(dir / "first.csv", "people", "v1");

  auto vip = [](const person& p) { return p.vip; };
  auto estimated = tagd.estimate("vip");
  CHECK(estimated.count == count_if(first, vip));
  tagd.import_file(dir / "second.csv", "people", "v2"); // switches the current version

  client::query_options pinned;
  pinned.pin = estimated.seen;
  CHECK(tagd.estimate("vip", pinned).count == count_if(first, vip));
  CHECK(tagd.estimate("vip").count == count_if(second, vip));
  CHECK(tagd.estimate("NOT vip", pinned).count == first.size() - count_if(first, vip));
  auto selected = tagd.select("estimated_vips", "vip", pinned);
  CHECK(selected.version.count == count_if(first, vip));
  REQUIRE(selected.seen.tables.size() == 1);
  CHECK(selected.seen.tables[0].label == "v1");

  // A third version: retention 2 drops v1, and the pinned query says so.
  tagd.import_file(dir / "second.csv", "people", "v3");
  CHECK(expect_error("NOT_FOUND", [&] { tagd.estimate("vip", pinned); }).find("people") !=
        std::string::npos);
}
