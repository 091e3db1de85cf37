// Acknowledged writes survive kill -9 of the node; deadlines cut slow requests short.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <csignal>

using namespace tagd;
using namespace tagd::testing;

TEST_CASE("an acknowledged import and real-time updates survive kill -9", "[e2e]") {
  temp_dir dir;
  auto people = make_people(5000);
  write_text(dir / "people.csv", people_csv(people));
  const uint64_t in_c2 = count_if(people, [](const person& p) { return p.city == "c2"; });
  {
    tagd_process node(dir / "data", {"--vshards", "4"}); // durable commits (no --no-sync)
    REQUIRE_FALSE(node.exited());
    client::connection tagd(node.address());
    tagd.define_table(people_table());
    tagd.define_table(live_table("state", client::tag_kind::enum_));
    tagd.import_file(dir / "people.csv", "people", "v1");
    tagd.upsert("live",
                {{std::to_string(people[0].key), {"on"}}, {std::to_string(people[1].key), {"on"}}});
    tagd.remove("live", {std::to_string(people[1].key)});
    tagd.select("c2", "city = 'c2'");
    CHECK(node.kill(SIGKILL) == -1); // no chance to close anything
  }
  tagd_process node(dir / "data", {"--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  CHECK(tagd.estimate("city = 'c2'").count == in_c2);
  CHECK(tagd.estimate("state = 'on'").count == 1);
  CHECK(tagd.contains("c2", std::to_string(people[0].key)) == (people[0].city == "c2"));
  CHECK(tagd.estimate("IN GROUP c2").count == in_c2);
}

TEST_CASE("a request past its deadline fails with DEADLINE_EXCEEDED", "[e2e]") {
  temp_dir dir;
  // Every shard count takes 300 ms: a 50 ms deadline cannot be met, a 10 s one can.
  tagd_process node(dir / "data",
                    {"--no-sync", "--vshards", "4", "--inject-shard-delay-ms", "300"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  auto people = make_people(2000);
  write_text(dir / "people.csv", people_csv(people));
  tagd.define_table(people_table());
  tagd.import_file(dir / "people.csv", "people", "v1");
  client::query_options hurried;
  hurried.deadline_ms = 50;
  auto started = std::chrono::steady_clock::now();
  expect_error("DEADLINE_EXCEEDED", [&] { tagd.estimate("age > 20 AND vip", hurried); });
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(250));
  client::query_options patient;
  patient.deadline_ms = 10000;
  CHECK(tagd.estimate("age > 20 AND vip", patient).count ==
        count_if(people, [](const person& p) { return p.age > 20 && p.vip; }));
}
