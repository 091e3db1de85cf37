// Every operation through a real tagd process and the client library, with answers computed
// independently from the generated rows.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

using namespace tagd;
using namespace tagd::testing;

namespace {

std::set<std::string> keys_in_directory(const std::string& directory) {
  std::set<std::string> keys;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() != ".csv")
      continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line))
      keys.insert(line);
  }
  return keys;
}

} // namespace

TEST_CASE("a client runs every operation against one node", "[e2e]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  tagd.ping();

  auto people = make_people(20000);
  std::string csv = people_csv(people);
  csv += "12,c1,notanumber,false\n"; // line 20002
  csv += "13,c1,30\n";               // line 20003: a column short
  write_text(dir / "people.csv", csv);
  tagd.define_table(people_table());
  std::vector<client::import_progress> progress;
  client::import_options import;
  import.batch_bytes = 64 * 1024; // several batches
  auto report = tagd.import_file(dir / "people.csv", "people", "2026-11-25", import,
                                 [&](const client::import_progress& p) { progress.push_back(p); });
  CHECK(report.rows_loaded == people.size());
  CHECK(report.rejected == 2);
  REQUIRE(report.rejects.size() == 2);
  CHECK(report.rejects[0].line == 20002);
  CHECK(report.rejects[1].line == 20003);
  CHECK(progress.size() > 1);

  auto adults = tagd.estimate("age >= 18");
  CHECK(adults.count == count_if(people, [](const person& p) { return p.age >= 18; }));
  REQUIRE(adults.seen.tables.size() == 1);
  CHECK(adults.seen.tables[0].label == "2026-11-25");
  CHECK(tagd.estimate("city = 'c3' AND vip").count ==
        count_if(people, [](const person& p) { return p.city == "c3" && p.vip; }));
  CHECK(tagd.estimate("NOT city IN ('c1', 'c2')").count ==
        count_if(people, [](const person& p) { return p.city != "c1" && p.city != "c2"; }));

  auto by_city = tagd.breakdown("age BETWEEN 20 AND 29", "city");
  uint64_t total = 0;
  for (const auto& entry : by_city.entries) {
    CHECK(entry.count == count_if(people, [&](const person& p) {
            return p.city == entry.value && p.age >= 20 && p.age <= 29;
          }));
    total += entry.count;
  }
  CHECK(total == count_if(people, [](const person& p) { return p.age >= 20 && p.age <= 29; }));

  auto selected = tagd.select("young_vips", "vip AND age < 30");
  std::set<std::string> expected;
  for (const person& p : people)
    if (p.vip && p.age < 30)
      expected.insert(std::to_string(p.key));
  CHECK(selected.version.version == 1);
  CHECK(selected.version.count == expected.size());

  auto exported = tagd.export_to_directory("young_vips", 0, dir / "export");
  CHECK(exported.version.count == expected.size());
  CHECK(keys_in_directory(dir / "export") == expected);
  CHECK(std::filesystem::exists(dir / "export/manifest.json"));

  // Every member, and as many non-members, one by one and in one batch.
  std::vector<std::string> probes;
  std::vector<bool> truth;
  for (const person& p : people) {
    probes.push_back(std::to_string(p.key));
    truth.push_back(expected.count(probes.back()) > 0);
  }
  probes.push_back("42"); // not a known key at all
  truth.push_back(false);
  CHECK(tagd.contains_many("young_vips", probes) == truth);
  for (size_t i = 0; i < probes.size(); i += 97)
    CHECK(tagd.contains("young_vips", probes[i]) == truth[i]);
  auto groups = tagd.groups_of(*expected.begin());
  CHECK(groups == std::vector<std::string>{"young_vips"});

  auto uploaded = tagd.upload("hand_picked", "", {probes[0], probes[1], "77777"});
  CHECK(uploaded.version.count == 2);
  CHECK(uploaded.unknown_keys == 1);
  CHECK(tagd.estimate("IN GROUP hand_picked").count == 2);

  tagd.define_table(live_table("state", client::tag_kind::enum_));
  tagd.upsert("live", {{probes[0], {"on"}}, {probes[1], {"on"}}, {probes[2], {"off"}}});
  CHECK(tagd.estimate("state = 'on'").count == 2);
  CHECK(tagd.remove("live", {probes[0], "999"}) == 1);
  CHECK(tagd.estimate("state = 'on'").count == 1);

  auto catalog = tagd.catalog();
  CHECK(catalog.tables.size() == 2);

  // Drops: the group's members and the table's tags are gone, the rest stays.
  tagd.drop_group("hand_picked");
  expect_error("NOT_FOUND", [&] { tagd.contains("hand_picked", probes[0]); });
  CHECK(tagd.contains("young_vips", *expected.begin()));
  tagd.drop_table("live");
  expect_error("UNKNOWN_TAG", [&] { tagd.estimate("state = 'on'"); });
  expect_error("NOT_FOUND", [&] { tagd.drop_table("live"); });
  CHECK(tagd.estimate("vip AND age < 30").count == expected.size());
  auto status = tagd.status();
  CHECK(status.vshards == 4);
  CHECK(status.requests_served > 10);
  CHECK(node.stop() == 0);
}
