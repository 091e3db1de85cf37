// Real-time tables: upserts and removals visible at once, and durable when acknowledged.
#include "shards/database.hpp"
#include "support/estimate.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <atomic>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tagd;
using tagd::testing::estimate_count;
using tagd::testing::temp_dir;

namespace {

table_spec live_table() {
  table_spec spec;
  spec.name = "live";
  spec.mode = table_mode::realtime;
  spec.columns = {{"state", "", tag_kind::enum_},
                  {"points", "", tag_kind::int_},
                  {"seen", "", tag_kind::time, 18, 0, time_unit::timestamp},
                  {"labels", "", tag_kind::set}};
  return spec;
}

realtime_row row(std::string key, std::optional<std::string> state,
                 std::optional<std::string> points, std::optional<std::string> seen,
                 std::optional<std::string> labels) {
  return {std::move(key),
          {std::move(state), std::move(points), std::move(seen), std::move(labels)}};
}

std::unique_ptr<database> open_db(const std::string& path) {
  database_options options;
  options.vshards = 4;
  auto db = database::open(path, options);
  REQUIRE_OK(db);
  return std::move(db).value();
}

} // namespace

TEST_CASE("real-time upserts replace rows and removals drop them", "[realtime]") {
  temp_dir dir;
  auto db = open_db(dir / "data");
  REQUIRE_STATUS_OK(db->define_table(live_table()));
  REQUIRE_STATUS_OK(db->upsert("live", {row("1", "active", "10", "2026-11-25 10:00:00", "a;b"),
                                        row("2", "idle", "-3", std::nullopt, "b"),
                                        row("3", "active", "500", "2026-11-01", std::nullopt)}));
  CHECK(estimate_count(*db, "state = 'active'") == 2);
  CHECK(estimate_count(*db, "points > 0") == 2);
  CHECK(estimate_count(*db, "points < 0") == 1);
  CHECK(estimate_count(*db, "labels HAS 'b'") == 2);
  CHECK(estimate_count(*db, "seen IS NULL") == 1);
  CHECK(estimate_count(*db, "seen >= '2026-11-20'") == 1);

  // Replace key 1 entirely (a field left NULL loses its value), and the same key twice in one
  // call: the last row wins.
  REQUIRE_STATUS_OK(db->upsert("live", {row("1", "idle", std::nullopt, "2026-11-25", "c"),
                                        row("3", "active", "7", "2026-11-01", "a"),
                                        row("3", "gone", "8", std::nullopt, std::nullopt)}));
  CHECK(estimate_count(*db, "state = 'active'") == 0);
  CHECK(estimate_count(*db, "state = 'idle'") == 2);
  CHECK(estimate_count(*db, "state = 'gone'") == 1);
  CHECK(estimate_count(*db, "points IS NULL") == 1);
  CHECK(estimate_count(*db, "points = 8") == 1);
  CHECK(estimate_count(*db, "points BETWEEN -3 AND 8") == 2);
  CHECK(estimate_count(*db, "labels HAS 'b'") == 1);
  CHECK(estimate_count(*db, "labels HAS ANY ('a', 'c')") == 1);
  CHECK(estimate_count(*db, "labels IS NULL") == 1);

  auto removed = db->remove("live", {"2", "999"});
  REQUIRE_OK(removed);
  CHECK(*removed == 1);
  CHECK(estimate_count(*db, "state IS NOT NULL") == 2);
  CHECK(estimate_count(*db, "NOT state = 'idle'") == 1); // the universe lost key 2
  CHECK(estimate_count(*db, "points < 0") == 0);
}

TEST_CASE("a bad real-time row rejects the whole call and changes nothing", "[realtime]") {
  temp_dir dir;
  auto db = open_db(dir / "data");
  REQUIRE_STATUS_OK(db->define_table(live_table()));
  REQUIRE_STATUS_OK(db->upsert("live", {row("1", "active", "10", std::nullopt, std::nullopt)}));
  status s = db->upsert("live", {row("2", "active", "11", std::nullopt, std::nullopt),
                                 row("3", "active", "eleven", std::nullopt, std::nullopt)});
  CHECK(s.code() == error_code::bad_row);
  CHECK(s.message() == "row 2: column 'points': not an integer: 'eleven'");
  CHECK(estimate_count(*db, "state = 'active'") == 1);
  status wrong_width = db->upsert("live", {realtime_row{"4", {std::string("x")}}});
  CHECK(wrong_width.code() == error_code::bad_row);
  status offline = db->upsert("nope", {});
  CHECK(offline.code() == error_code::not_found);
}

TEST_CASE("acknowledged real-time writes and imports survive kill -9", "[realtime][persistence]") {
  temp_dir dir;
  std::string path = dir / "data";
  std::string csv = dir / "profile.csv";
  tagd::testing::write_file(csv, "uid,tier\n1,gold\n2,silver\n3,gold\n");
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child acknowledges its writes through the pipe and waits to be killed.
    database_options options;
    options.vshards = 4;
    auto db = database::open(path, options);
    table_spec offline;
    offline.name = "profile";
    offline.key_column = "uid";
    offline.columns = {{"tier", "", tag_kind::enum_}};
    bool ok =
        db && db.value()->define_table(offline).is_ok() &&
        db.value()->define_table(live_table()).is_ok() &&
        db.value()->import_files("profile", "v1", {csv}, {}).is_ok() &&
        db.value()->upsert("live", {row("7", "active", "1", std::nullopt, "x;y")}).is_ok() &&
        db.value()->upsert("live", {row("8", "active", "2", std::nullopt, std::nullopt)}).is_ok() &&
        db.value()->remove("live", {"8"}).is_ok();
    char byte = ok ? 'y' : 'n';
    if (write(ready[1], &byte, 1) != 1)
      _exit(3);
    for (;;)
      pause();
  }
  close(ready[1]);
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  REQUIRE(byte == 'y');
  kill(child, SIGKILL);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  REQUIRE(WIFSIGNALED(wstatus));

  auto db = open_db(path);
  CHECK(estimate_count(*db, "tier = 'gold'") == 2);
  CHECK(estimate_count(*db, "state = 'active'") == 1);
  CHECK(estimate_count(*db, "labels HAS ALL ('x', 'y')") == 1);
  CHECK(estimate_count(*db, "points = 2") == 0);
}

TEST_CASE("queries running beside upserts see every acknowledged row", "[realtime]") {
  // Readers share one snapshot per vshard until a write commits; a reader must never be
  // handed a snapshot older than a write that has returned.
  temp_dir dir;
  auto db = open_db(dir / "data");
  REQUIRE_STATUS_OK(db->define_table(live_table()));
  constexpr int batches = 60, per_batch = 5;
  std::atomic<int> acknowledged{0};
  std::atomic<bool> reader_failed{false};
  std::thread reader([&] {
    uint64_t last = 0;
    while (acknowledged.load() < batches * per_batch) {
      int floor = acknowledged.load(); // acknowledged before this estimate began
      auto n = db->estimate("user", "state = 'on'");
      if (!n || *n < static_cast<uint64_t>(floor) || *n < last ||
          *n > static_cast<uint64_t>(batches * per_batch))
        reader_failed = true;
      if (n)
        last = *n;
    }
  });
  for (int b = 0; b < batches; ++b) {
    std::vector<realtime_row> rows;
    for (int i = 0; i < per_batch; ++i)
      rows.push_back(row(std::to_string(b * per_batch + i + 1), "on", "1", std::nullopt, "x"));
    REQUIRE_STATUS_OK(db->upsert("live", rows));
    CHECK(estimate_count(*db, "state = 'on'") == static_cast<uint64_t>((b + 1) * per_batch));
    acknowledged = (b + 1) * per_batch;
  }
  reader.join();
  CHECK_FALSE(reader_failed.load());
  CHECK(estimate_count(*db, "labels HAS 'x' AND points = 1") == batches * per_batch);
}
