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

  // The reply, or the error as a status.
  result<estimate_reply> estimate(const std::string& text,
                                  std::chrono::milliseconds budget = std::chrono::seconds(10)) {
    caf::scoped_actor self{*system};
    result<estimate_reply> answer = status(error_code::internal, "no answer");
    query_request r;
    r.entity = "user";
    r.expression = text;
    r.deadline = clock::now() + budget;
    self->request(coordinator, caf::infinite, estimate_atom::value, r)
        .receive([&](estimate_reply& reply) { answer = std::move(reply); },
                 [&](caf::error& e) { answer = from_caf_error(e); });
    return answer;
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
