// Loads of offline tables: rejected rows, limits, version switch, retention, persistence.
#include "shards/database.hpp"
#include "shards/table_loader.hpp"
#include "support/estimate.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <set>

using namespace tagd;
using tagd::testing::estimate_count;
using tagd::testing::temp_dir;
using tagd::testing::write_file;

namespace {

table_spec scores_table() {
  table_spec spec;
  spec.name = "scores";
  spec.key_column = "id";
  spec.columns = {{"level", "level", tag_kind::enum_},
                  {"score", "score", tag_kind::int_},
                  {"balance", "balance", tag_kind::decimal, 6, 2}};
  return spec;
}

std::unique_ptr<database> open_db(const temp_dir& dir, uint32_t vshards = 4) {
  database_options options;
  options.vshards = vshards;
  auto db = database::open(dir / "data", options);
  REQUIRE_OK(db);
  return std::move(db).value();
}

// Storage ids with data in any vshard of `user`.
std::set<uint32_t> stored_ids(database& db) {
  std::set<uint32_t> ids;
  for (uint32_t v = 0; v < db.vshard_count(); ++v) {
    auto store = db.vshard("user", v);
    REQUIRE_OK(store);
    auto stored = (*store)->stored_storage_ids();
    REQUIRE_OK(stored);
    ids.insert(stored->begin(), stored->end());
  }
  return ids;
}

} // namespace

TEST_CASE("import rejects bad rows with file, line and reason", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  std::string file = dir / "scores.csv";
  write_file(file, "id,level,score,balance\n"
                   "1,gold,10,1.50\n"
                   "2,silver,abc,2\n"                // line 3: not an integer
                   ",gold,1,1\n"                     // line 4: empty key
                   "4,gold,1\n"                      // line 5: too few fields
                   "5,gold,99999999999999999999,1\n" // line 6: out of range
                   "6,gold,1,1.234\n"                // line 7: too many decimal places
                   "7,gold,1,10000.00\n"             // line 8: DECIMAL(6,2) holds 4 integer digits
                   "-8,gold,1,1\n"                   // line 9: negative u64 key
                   "\"9\",\"gold\",\"3\",\"0.10\"\n" // line 10: quoted fields are fine
                   "1,silver,5,5\n");                // line 11: duplicate key
  auto report = db->import_files("scores", "v1", {file}, {});
  REQUIRE_OK(report);
  CHECK(report->rows_loaded == 2);
  CHECK(report->rejected_count == 8);
  std::map<uint64_t, std::string> reasons;
  for (auto& r : report->rejected) {
    CHECK(r.file == file);
    reasons[r.line] = r.reason;
  }
  CHECK(reasons[3] == "column 'score': not an integer: 'abc'");
  CHECK(reasons[4] == "empty key");
  CHECK(reasons[5] == "expected at least 4 fields, found 3");
  CHECK(reasons[6] == "column 'score': number out of range '99999999999999999999'");
  CHECK(reasons[7] == "column 'balance': more than 2 decimal places: '1.234'");
  CHECK(reasons[8] == "column 'balance': too many integer digits for DECIMAL(6,2): '10000.00'");
  CHECK(reasons[9] == "key '-8' is not an unsigned 64-bit integer");
  CHECK(reasons[11] == "duplicate key (first on line 2 of " + file + ")");
  CHECK(estimate_count(*db, "level = 'gold'") == 2);
  CHECK(estimate_count(*db, "score = 3") == 1);
  CHECK(estimate_count(*db, "balance = 0.1") == 1);
}

TEST_CASE("a load past the reject limit aborts and leaves nothing behind", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  write_file(dir / "good.csv", "id,level,score,balance\n1,gold,1,1\n2,gold,2,2\n");
  REQUIRE_OK(db->import_files("scores", "v1", {dir / "good.csv"}, {}));
  auto before = db->snapshot();
  std::string bad = "id,level,score,balance\n";
  for (int i = 10; i < 1000; ++i)
    bad += std::to_string(i) + ",silver," + (i % 100 == 0 ? "x" : "5") + ",1\n";
  write_file(dir / "bad.csv", bad);
  import_options options;
  options.max_rejected = 5;
  auto report = db->import_files("scores", "v2", {dir / "bad.csv"}, options);
  REQUIRE_FALSE(report.is_ok());
  CHECK(report.error().code() == error_code::aborted);
  CHECK(report.error().message().find("more than the limit of 5") != std::string::npos);
  // Readers still see v1, and no data of the aborted load is stored anywhere.
  CHECK(estimate_count(*db, "level = 'gold'") == 2);
  CHECK(estimate_count(*db, "level = 'silver'") == 0);
  CHECK(db->snapshot()->tables.at("scores").versions.size() == 1);
  CHECK(db->snapshot()->tables.at("scores").versions.back().label == "v1");
  CHECK(stored_ids(*db) == db->live_storage_ids());
}

TEST_CASE("readers see the previous version until the load commits", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  write_file(dir / "v1.csv", "id,level,score,balance\n1,gold,1,1\n2,gold,2,2\n3,bronze,3,3\n");
  write_file(dir / "v2.csv", "id,level,score,balance\n2,silver,20,2\n4,silver,40,4\n");
  REQUIRE_OK(db->import_files("scores", "v1", {dir / "v1.csv"}, {}));
  auto pinned = db->plan("user", *parse_expression("level = 'gold' OR score >= 20"), {});
  REQUIRE_OK(pinned);

  auto loader = db->begin_load("scores", "v2");
  REQUIRE_OK(loader);
  REQUIRE_STATUS_OK((*loader)->add_file(dir / "v2.csv", {}));
  CHECK(estimate_count(*db, "level = 'gold'") == 2); // mid-load: still v1
  CHECK(estimate_count(*db, "level = 'silver'") == 0);
  CHECK(estimate_count(*db, "score IS NOT NULL") == 3);
  auto committed = (*loader)->commit();
  REQUIRE_OK(committed);
  // The switch: v2 replaces every tag of the table; key 1 and 3 are gone from it.
  CHECK(estimate_count(*db, "level = 'gold'") == 0);
  CHECK(estimate_count(*db, "level = 'silver'") == 2);
  CHECK(estimate_count(*db, "score IS NOT NULL") == 2);
  CHECK(estimate_count(*db, "NOT level = 'silver'") == 0);
  // A plan bound before the switch still reads v1 (kept by retention 2).
  auto old_answer = db->estimate(*pinned);
  REQUIRE_OK(old_answer);
  CHECK(*old_answer == 2);
}

TEST_CASE("an abandoned load leaves no trace; retention drops old versions", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  table_spec spec = scores_table();
  spec.retention = 2;
  REQUIRE_STATUS_OK(db->define_table(spec));
  for (int v = 1; v <= 4; ++v) {
    std::string file = dir / ("v" + std::to_string(v) + ".csv");
    write_file(file, "id,level,score,balance\n" + std::to_string(v) + ",gold,1,1\n");
    REQUIRE_OK(db->import_files("scores", "v" + std::to_string(v), {file}, {}));
  }
  auto& versions = db->snapshot()->tables.at("scores").versions;
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].label == "v3");
  CHECK(versions[1].label == "v4");
  CHECK(stored_ids(*db) == db->live_storage_ids());
  {
    auto loader = db->begin_load("scores", "v5");
    REQUIRE_OK(loader);
    REQUIRE_STATUS_OK((*loader)->add_file(dir / "v1.csv", {}));
  } // destroyed without commit
  CHECK(stored_ids(*db) == db->live_storage_ids());
  CHECK(estimate_count(*db, "level = 'gold'") == 1);
}

TEST_CASE("data written by a load that crashed before its commit is dropped at open", "[load]") {
  temp_dir dir;
  {
    auto db = open_db(dir);
    REQUIRE_STATUS_OK(db->define_table(scores_table()));
    write_file(dir / "v1.csv", "id,level,score,balance\n1,gold,1,1\n");
    REQUIRE_OK(db->import_files("scores", "v1", {dir / "v1.csv"}, {}));
    // What a crash between vshard commits and the catalog switch leaves: data under a storage
    // id that the catalog never named.
    auto store = db->vshard("user", 0);
    REQUIRE_OK(store);
    auto writer = (*store)->write();
    REQUIRE_OK(writer);
    bitmap orphan = bitmap::of({1, 2, 3});
    REQUIRE_STATUS_OK(writer->put_bitmap(999, 5, 0, orphan.get()));
    REQUIRE_STATUS_OK(writer->commit());
    CHECK(stored_ids(*db).count(999) == 1);
  }
  auto db = open_db(dir);
  CHECK(stored_ids(*db).count(999) == 0);
  CHECK(stored_ids(*db) == db->live_storage_ids());
  CHECK(estimate_count(*db, "level = 'gold'") == 1);
}

TEST_CASE("everything survives closing and reopening", "[load][persistence]") {
  temp_dir dir;
  {
    auto db = open_db(dir, 8);
    REQUIRE_STATUS_OK(db->define_table(scores_table()));
    write_file(dir / "v1.csv", "id,level,score,balance\n1,gold,-5,1\n2,silver,7,2.5\n3,gold,,\n");
    REQUIRE_OK(db->import_files("scores", "v1", {dir / "v1.csv"}, {}));
    REQUIRE_STATUS_OK(db->define_group("golden", "user"));
    REQUIRE_OK(db->select("golden", "level = 'gold'"));
  }
  database_options other;
  other.vshards = 64; // ignored: an existing directory keeps its vshard count
  auto reopened = database::open(dir / "data", other);
  REQUIRE_OK(reopened);
  database& db = **reopened;
  CHECK(db.vshard_count() == 8);
  CHECK(estimate_count(db, "level = 'gold'") == 2);
  CHECK(estimate_count(db, "score < 0") == 1);
  CHECK(estimate_count(db, "balance >= 2.5") == 1);
  CHECK(estimate_count(db, "IN GROUP golden") == 2);
  auto in = db.contains("golden", std::nullopt, "3");
  REQUIRE_OK(in);
  CHECK(*in);
}

TEST_CASE("a second open of the same data directory is refused", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  database_options options;
  auto second = database::open(dir / "data", options);
  REQUIRE_FALSE(second.is_ok());
  CHECK(second.error().code() == error_code::already_exists);
  CHECK(second.error().message().find("in use by another process") != std::string::npos);
}

TEST_CASE("gzip, TSV, headerless files and null markers load alike", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  table_spec spec = scores_table();
  spec.key_column = "#1";
  spec.columns[0].column = "#2";
  spec.columns[1].column = "#3";
  spec.columns[2].column = "#4";
  REQUIRE_STATUS_OK(db->define_table(spec));
  std::string text = "1\tgold\t\\N\t1\n2\t\tx\t\n3\t\"\"\t5\t\\N\n";
  gzFile gz = gzopen((dir / "rows.tsv.gz").c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  import_options options;
  options.header = false;
  options.csv.delimiter = '\t';
  auto report = db->import_files("scores", "v1", {dir / "rows.tsv.gz"}, options);
  REQUIRE_OK(report);
  CHECK(report->rows_loaded == 2);
  REQUIRE(report->rejected.size() == 1);
  CHECK(report->rejected[0].line == 2);
  CHECK(estimate_count(*db, "level IS NULL") == 0); // "" quoted is an empty string, not NULL
  CHECK(estimate_count(*db, "level = ''") == 1);
  CHECK(estimate_count(*db, "score IS NULL") == 1);   // \N
  CHECK(estimate_count(*db, "balance IS NULL") == 1); // \N
}

// Regression: a catalog written before a field existed failed to open with "catalog state does
// not decode: key 'materialized_storage' not found".
TEST_CASE("a catalog stored without newer fields still opens", "[load][persistence]") {
  temp_dir dir;
  {
    auto db = open_db(dir);
    REQUIRE_STATUS_OK(db->define_table(scores_table()));
    write_file(dir / "v1.csv", "id,level,score,balance\n1,gold,1,1\n");
    REQUIRE_OK(db->import_files("scores", "v1", {dir / "v1.csv"}, {}));
  }
  {
    // Strip the fields added later from the stored state, as an older build wrote it.
    lmdb_options options;
    auto env = lmdb_env::open(dir / "data/catalog", options, false);
    REQUIRE_OK(env);
    auto txn = lmdb_txn::begin(*env, false);
    REQUIRE_OK(txn);
    auto dbi = open_dbi(*txn, "state", 0);
    REQUIRE_OK(dbi);
    auto stored = lmdb_get(*txn, *dbi, "state");
    REQUIRE_OK(stored);
    REQUIRE(stored->has_value());
    auto state = nlohmann::json::parse(**stored);
    for (auto& [name, entity] : state["entities"].items()) {
      entity.erase("universe_storage");
      entity.erase("universe_inputs");
    }
    for (auto& [key, tag] : state["tags"].items()) {
      tag.erase("materialized_storage");
      tag.erase("materialized_tables");
      tag.erase("materialized_groups");
    }
    REQUIRE_STATUS_OK(lmdb_put(*txn, *dbi, "state", state.dump()));
    REQUIRE_STATUS_OK(txn->commit());
  }
  auto db = open_db(dir);
  CHECK(estimate_count(*db, "level = 'gold'") == 1);
  CHECK(estimate_count(*db, "NOT level = 'gold'") == 0);
}

// Regression: with no rejected rows kept for the report, aborting read the first kept row of
// an empty list.
TEST_CASE("a load that keeps no rejected rows still aborts cleanly", "[load]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  write_file(dir / "bad.csv", "id,level,score,balance\n1,gold,x,1\n");
  import_options options;
  options.max_rejected = 0;
  options.max_reported = 0;
  auto report = db->import_files("scores", "v1", {dir / "bad.csv"}, options);
  REQUIRE_FALSE(report.is_ok());
  CHECK(report.error().to_string() ==
        "ABORTED: 1 rows rejected, more than the limit of 0; nothing was loaded");
  CHECK(db->snapshot()->tables.at("scores").versions.empty());
}
