// The actor pipeline on one node: coordinator → node manager → shard actors over a real
// database, answering what database::estimate answers, and failing with coded errors.
#include "actors/errors.hpp"
#include "actors/interfaces.hpp"
#include "shards/database.hpp"
#include "support/open_database.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

using namespace tagd;
using namespace tagd::actors;
using tagd::testing::temp_dir;
using tagd::testing::write_file;

namespace {

struct node {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  coordinator_actor coordinator;

  explicit node(database& db) {
    config.set("scheduler.max-threads", 2);
    system = std::make_unique<caf::actor_system>(config);
    std::vector<shard_actor> shards;
    for (uint32_t v = 0; v < db.vshard_count(); ++v)
      shards.push_back(system->spawn(shard, &db, v, std::chrono::milliseconds(0)));
    auto manager = system->spawn(node_manager, shards);
    coordinator = system->spawn(actors::coordinator, &db, std::vector<node_manager_actor>{manager});
  }

  // The coordinator's reply, or the error as a status.
  template <class Reply, class... Ts>
  result<Reply> ask(const Ts&... message) {
    caf::scoped_actor self{*system};
    result<Reply> answer = status(error_code::internal, "no answer");
    self->request(coordinator, caf::infinite, message...)
        .receive([&](Reply& reply) { answer = std::move(reply); },
                 [&](caf::error& e) { answer = from_caf_error(e); });
    return answer;
  }

  result<estimate_reply> estimate(const std::string& text,
                                  std::chrono::milliseconds budget = std::chrono::seconds(10)) {
    query_request r;
    r.entity = "user";
    r.expression = text;
    r.deadline = clock::now() + budget;
    return ask<estimate_reply>(estimate_atom::value, r);
  }

  result<uint64_t> upsert(const std::string& table, const std::vector<realtime_row>& rows) {
    upsert_request r{table, rows, clock::now() + std::chrono::seconds(10)};
    return ask<uint64_t>(upsert_atom::value, r);
  }

  result<uint64_t> remove(const std::string& table, const std::vector<std::string>& keys) {
    remove_request r{table, keys, clock::now() + std::chrono::seconds(10)};
    return ask<uint64_t>(remove_atom::value, r);
  }

  result<std::vector<bool>> contains_many(const std::string& group, uint32_t version,
                                          const std::vector<std::string>& keys) {
    contains_many_request r{group, version, "user", keys, clock::now() + std::chrono::seconds(10)};
    return ask<std::vector<bool>>(contains_atom::value, r);
  }
};

} // namespace

TEST_CASE("the coordinator counts through node manager and shard actors", "[actors]") {
  temp_dir dir;
  auto db = tagd::testing::open_database(dir, 8);
  table_spec spec;
  spec.name = "people";
  spec.key_column = "id";
  spec.columns = {{"age", "", tag_kind::int_}, {"city", "", tag_kind::enum_}};
  REQUIRE_STATUS_OK(db->define_table(spec));
  std::string csv = "id,age,city\n";
  uint64_t adults = 0, adults_in_c1 = 0;
  for (uint64_t k = 1; k <= 5000; ++k) {
    uint64_t age = k % 90, city = k % 7;
    csv +=
        std::to_string(k * 6151) + "," + std::to_string(age) + ",c" + std::to_string(city) + "\n";
    adults += age >= 18;
    adults_in_c1 += age >= 18 && city == 1;
  }
  write_file(dir / "people.csv", csv);
  auto loaded = db->import_files("people", "2026-11-25", {dir / "people.csv"}, {});
  REQUIRE_OK(loaded);

  node n(*db);
  auto all = n.estimate("age >= 18");
  REQUIRE_OK(all);
  CHECK(all->count == adults);
  CHECK(all->snapshot.tables.at("people") == loaded->storage_id);
  auto both = n.estimate("age >= 18 AND city = 'c1'");
  REQUIRE_OK(both);
  CHECK(both->count == adults_in_c1);
  auto stored = n.estimate("NOT city = 'c1'"); // answered from stored counts
  REQUIRE_OK(stored);
  CHECK(stored->count == 5000 - 5000 / 7 - (5000 % 7 >= 1 ? 1 : 0));

  auto bad = n.estimate("age >= ");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == error_code::invalid_expression);
  auto unknown = n.estimate("height > 3");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code() == error_code::unknown_tag);
  auto late = n.estimate("age >= 18 AND city = 'c2'", std::chrono::milliseconds(-1));
  REQUIRE_FALSE(late);
  CHECK(late.error().code() == error_code::deadline_exceeded);
}

TEST_CASE("the coordinator answers contains_many through node manager and shard actors",
          "[actors]") {
  temp_dir dir;
  auto db = tagd::testing::open_people_by_age(dir, 8, 3000, 7, 90); // keys 7k, ages k % 90
  REQUIRE_STATUS_OK(db->define_group("adults", "user"));
  auto selected = db->select("adults", "age >= 18", {});
  REQUIRE_OK(selected);

  // Members, non-members and keys never loaded, interleaved so that every vshard gets some
  // and the answers must come back in the order asked.
  std::vector<std::string> keys;
  std::vector<bool> want;
  for (uint64_t id = 1; id <= 3000 * 7 + 50; id += 5) {
    keys.push_back(std::to_string(id));
    want.push_back(id % 7 == 0 && id / 7 <= 3000 && (id / 7) % 90 >= 18);
  }
  node n(*db);
  auto answers = n.contains_many("adults", selected->version, keys);
  REQUIRE_OK(answers);
  CHECK(*answers == want);
  CHECK(std::count(want.begin(), want.end(), true) > 100);

  auto empty = n.contains_many("adults", selected->version, {});
  REQUIRE_OK(empty);
  CHECK(empty->empty());
  auto bad_key = n.contains_many("adults", selected->version, {"14", "fourteen"});
  REQUIRE_FALSE(bad_key);
  CHECK(bad_key.error().code() == error_code::invalid_argument);
  auto no_version = n.contains_many("adults", selected->version + 1, {"14"});
  REQUIRE_FALSE(no_version);
  CHECK(no_version.error().code() == error_code::not_found);
}

TEST_CASE("real-time writes go through the coordinator to the shard actors", "[actors]") {
  temp_dir dir;
  auto db = tagd::testing::open_database(dir, 8);
  table_spec spec;
  spec.name = "live";
  spec.mode = table_mode::realtime;
  spec.key_column = "id";
  spec.columns = {{"score", "", tag_kind::int_}, {"tier", "", tag_kind::enum_}};
  REQUIRE_STATUS_OK(db->define_table(spec));
  node n(*db);

  // Keys 1..2000 spread over every vshard; key k scores k % 100 and is tier g(k % 3).
  std::vector<realtime_row> rows;
  for (uint64_t k = 1; k <= 2000; ++k)
    rows.push_back({std::to_string(k), {std::to_string(k % 100), "g" + std::to_string(k % 3)}});
  auto written = n.upsert("live", rows);
  REQUIRE_OK(written);
  CHECK(*written == 2000);
  uint64_t high = 0, high_g1 = 0;
  for (uint64_t k = 1; k <= 2000; ++k) {
    high += k % 100 >= 50;
    high_g1 += k % 100 >= 50 && k % 3 == 1;
  }
  auto counted = n.estimate("score >= 50");
  REQUIRE_OK(counted);
  CHECK(counted->count == high);
  auto both = n.estimate("score >= 50 AND tier = 'g1'");
  REQUIRE_OK(both);
  CHECK(both->count == high_g1);

  // A bad row anywhere rejects the whole call; nothing of it is written.
  std::vector<realtime_row> bad = {{"5", {"0", "g0"}}, {"6", {"not a number", "g0"}}};
  auto refused = n.upsert("live", bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == error_code::bad_row);
  auto unchanged = n.estimate("score >= 50");
  REQUIRE_OK(unchanged);
  CHECK(unchanged->count == high);
  auto score_of_5 = n.estimate("score = 5");
  REQUIRE_OK(score_of_5);
  CHECK(score_of_5->count == 20); // 5, 105, ..., 1905: key 5 still scores 5

  // Removing every key of score >= 90, and some keys that have no row.
  std::vector<std::string> gone;
  uint64_t expected_removed = 0;
  for (uint64_t k = 1; k <= 2100; ++k)
    if (k % 100 >= 90) {
      gone.push_back(std::to_string(k));
      expected_removed += k <= 2000;
    }
  auto removed = n.remove("live", gone);
  REQUIRE_OK(removed);
  CHECK(*removed == expected_removed);
  auto left = n.estimate("score >= 50");
  REQUIRE_OK(left);
  CHECK(left->count == high - expected_removed);
  auto unknown = n.upsert("no_such_table", rows);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code() == error_code::not_found);
}
