// Loads of offline tables: rejected rows, limits, version switch, retention, persistence; the
// same text loaded from a file and as chunks (add_chunk) of any size loads alike.
#include "shards/database.hpp"
#include "shards/table_loader.hpp"
#include "support/estimate.hpp"
#include "support/require.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

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

// Checks that `s` failed with `code` and exactly `message`.
void check_error(const status& s, error_code code, const std::string& message) {
  CHECK(s.code() == code);
  CHECK(s.message() == message);
}

// A stream of records with bad rows of every kind, and what loading it must give, worked out
// while writing it (line by line, the first good row of a key wins).
struct stream_data {
  std::vector<std::string> pieces;           // the header, then whole records and empty lines
  std::map<uint64_t, std::string> rejected;  // line → reason
  std::map<std::string, uint64_t> per_level; // loaded rows per level
  uint64_t records = 0;                      // data records, good or bad
  uint64_t loaded = 0;

  std::string text() const {
    std::string all;
    for (const std::string& piece : pieces)
      all += piece;
    return all;
  }
};

stream_data make_stream(const std::string& source, uint64_t rows, bool final_line_end) {
  stream_data d;
  d.pieces.push_back("id,level,score,balance\n");
  uint64_t line = 2;
  std::map<uint64_t, uint64_t> first_line_of_key;
  for (uint64_t i = 1; i <= rows; ++i) {
    if (i % 200 == 0) {
      d.pieces.push_back("\n");
      ++line;
    }
    const char* levels[] = {"gold", "silver", "bronze"};
    std::string level = levels[i % 3];
    std::string level_field = level;
    uint64_t lines = 1;
    if (i % 50 == 0) {
      level = "two\nlines";
      level_field = "\"two\nlines\"";
      lines = 2;
    }
    uint64_t key = i % 131 == 0 ? i - 50 : i == rows ? 1 : i;
    std::string score = std::to_string(i % 100);
    std::string reason;
    std::string record;
    if (i % 97 == 0) {
      score = "abc";
      reason = "column 'score': not an integer: 'abc'";
    }
    if (i % 113 == 0) {
      record = std::to_string(key) + "," + level_field;
      reason = "expected at least 4 fields, found 2";
    } else if (i % 89 == 0) {
      record = std::to_string(key) + ",\"" + level + "\"x," + score + ",1.50";
      reason = "column 2: unexpected character after closing quote";
    } else {
      record = std::to_string(key) + "," + level_field + "," + score + ",1.50";
    }
    if (reason.empty()) {
      auto [first, added] = first_line_of_key.emplace(key, line);
      if (!added) {
        reason =
            "duplicate key (first on line " + std::to_string(first->second) + " of " + source + ")";
      } else {
        ++d.per_level[level];
        ++d.loaded;
      }
    }
    if (!reason.empty())
      d.rejected[line] = reason;
    record += i % 7 == 0 ? "\r\n" : "\n";
    if (i == rows && !final_line_end)
      record.pop_back();
    d.pieces.push_back(record);
    ++d.records;
    line += lines;
  }
  return d;
}

import_options keep_every_reject() {
  import_options options;
  options.max_rejected = 1'000'000;
  options.max_reported = 1'000'000;
  return options;
}

std::map<uint64_t, std::string> rejects_of(const import_report& report, const std::string& source) {
  std::map<uint64_t, std::string> by_line;
  for (const rejected_row& r : report.rejected) {
    CHECK(r.file == source);
    by_line[r.line] = r.reason;
  }
  CHECK(by_line.size() == report.rejected.size());
  return by_line;
}

// The lines where two sets of rejects differ (the first ten), for a readable failure.
std::vector<std::string> differences(const std::map<uint64_t, std::string>& got,
                                     const std::map<uint64_t, std::string>& want) {
  std::vector<std::string> out;
  auto describe = [](const std::map<uint64_t, std::string>& m, uint64_t line) {
    auto it = m.find(line);
    return it == m.end() ? std::string("(none)") : "'" + it->second + "'";
  };
  std::set<uint64_t> lines;
  for (const auto& [line, reason] : got)
    lines.insert(line);
  for (const auto& [line, reason] : want)
    lines.insert(line);
  for (uint64_t line : lines)
    if (describe(got, line) != describe(want, line) && out.size() < 10)
      out.push_back("line " + std::to_string(line) + ": got " + describe(got, line) + ", want " +
                    describe(want, line));
  return out;
}

// What a load and the data it left must show for `d`.
void check_load(database& db, const import_report& report, const stream_data& d,
                const std::string& source) {
  CHECK(report.rows_read == d.records);
  CHECK(report.rows_loaded == d.loaded);
  CHECK(report.keys == d.loaded);
  CHECK(report.rejected_count == d.rejected.size());
  CHECK(differences(rejects_of(report, source), d.rejected) == std::vector<std::string>{});
  for (const char* level : {"gold", "silver", "bronze"})
    CHECK(estimate_count(db, std::string("level = '") + level + "'") == d.per_level.at(level));
  CHECK(estimate_count(db, "balance = 1.5") == d.loaded);
}

// Cuts the pieces into chunks of `per_chunk` pieces, or of at least `min_bytes` bytes.
std::vector<std::string> cut(const stream_data& d, size_t per_chunk, size_t min_bytes) {
  std::vector<std::string> chunks(1);
  size_t in_chunk = 0;
  for (const std::string& piece : d.pieces) {
    if ((per_chunk && in_chunk == per_chunk) || (min_bytes && chunks.back().size() >= min_bytes)) {
      chunks.emplace_back();
      in_chunk = 0;
    }
    chunks.back() += piece;
    ++in_chunk;
  }
  return chunks;
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

TEST_CASE("a query pinned to an earlier snapshot reads it until retention drops it",
          "[load][pin]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table())); // retention 2
  write_file(dir / "v1.csv", "id,level,score,balance\n1,gold,1,1\n2,gold,2,2\n3,bronze,3,3\n");
  write_file(dir / "v2.csv", "id,level,score,balance\n2,silver,20,2\n4,silver,40,4\n");
  REQUIRE_OK(db->import_files("scores", "v1", {dir / "v1.csv"}, {}));
  REQUIRE_STATUS_OK(db->define_group("g", "user"));
  REQUIRE_OK(db->upload_group("g", {"1"}));
  REQUIRE_OK(db->upload_group("g", {"1", "2", "3"}));
  auto first = db->plan("user", *parse_expression("level = 'gold' AND IN GROUP g"), {});
  REQUIRE_OK(first);
  query_options pinned;
  pinned.table_versions = first->table_versions;
  pinned.group_versions = {{"g", 1}};
  CHECK(estimate_count(*db, "level = 'gold'", pinned) == 2);
  CHECK(estimate_count(*db, "IN GROUP g", pinned) == 1);
  CHECK(estimate_count(*db, "IN GROUP g VERSION 2", pinned) == 3); // written out: not pinned

  REQUIRE_OK(db->import_files("scores", "v2", {dir / "v2.csv"}, {}));
  // Unpinned: v2 (keys 2 and 4, silver). Pinned: v1 (keys 1..3), also for NOT and IS NULL.
  CHECK(estimate_count(*db, "level = 'gold'") == 0);
  CHECK(estimate_count(*db, "level = 'gold'", pinned) == 2);
  CHECK(estimate_count(*db, "NOT level = 'gold'") == 2);
  CHECK(estimate_count(*db, "NOT level = 'gold'", pinned) == 1);
  CHECK(estimate_count(*db, "score IS NULL", pinned) == 0);
  CHECK(estimate_count(*db, "score >= 3", pinned) == 1);
  CHECK(estimate_count(*db, "score >= 3") == 2);
  auto pinned_plan = db->plan("user", *parse_expression("NOT level = 'gold'"), pinned);
  REQUIRE_OK(pinned_plan);
  CHECK(pinned_plan->table_versions == first->table_versions);
  auto values = db->breakdown("user", "score > 0", "level", pinned);
  REQUIRE_OK(values);
  CHECK((*values == std::map<std::string, uint64_t>{{"bronze", 1}, {"gold", 2}}));
  values = db->breakdown("user", "score > 0", "level");
  REQUIRE_OK(values);
  CHECK((*values == std::map<std::string, uint64_t>{{"silver", 2}}));
  REQUIRE_STATUS_OK(db->define_group("golden", "user"));
  auto selected = db->select("golden", "level = 'gold'", pinned);
  REQUIRE_OK(selected);
  CHECK(selected->count == 2);
  CHECK(db->snapshot()->find_group("golden")->versions.back().table_versions ==
        first->table_versions);

  // A third version: retention drops v1, and the pinned snapshot with it.
  write_file(dir / "v3.csv", "id,level,score,balance\n5,gold,5,5\n");
  REQUIRE_OK(db->import_files("scores", "v3", {dir / "v3.csv"}, {}));
  auto state = db->snapshot();
  const auto& kept = state->find_table("scores")->versions;
  REQUIRE(kept.size() == 2);
  uint32_t v1 = first->table_versions.at("scores");
  check_error(db->estimate("user", "level = 'gold'", pinned).error(), error_code::not_found,
              "table 'scores' no longer keeps the pinned version " + std::to_string(v1) +
                  ": it keeps " + std::to_string(kept[0].storage_id) + " (v2), " +
                  std::to_string(kept[1].storage_id) + " (v3)");
  CHECK(estimate_count(*db, "level = 'gold'") == 1);

  query_options unknown;
  unknown.table_versions = {{"nosuch", 3}};
  check_error(db->estimate("user", "level = 'gold'", unknown).error(), error_code::not_found,
              "no table 'nosuch' (pinned to version 3)");
  query_options no_group_version;
  no_group_version.group_versions = {{"g", 9}};
  check_error(db->plan("user", *parse_expression("level = 'gold'"), no_group_version).error(),
              error_code::not_found, "group 'g' has no version 9");
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

// Regression: the batches of a load are converted on several threads and appended in any
// order; a key repeated in a later batch could be kept from its later line and rejected on the
// earlier one (seen with one chunk of three batches, whose first batch was appended last).
TEST_CASE("a key repeated in a later batch is rejected on its later line", "[load]") {
  temp_dir dir;
  database_options options;
  options.vshards = 2;
  options.threads = 3;
  auto opened = database::open(dir / "data", options);
  REQUIRE_OK(opened);
  database& db = **opened;
  REQUIRE_STATUS_OK(db.define_table(scores_table()));
  std::string text = "id,level,score,balance\n1,gold,1,1\n";
  for (int i = 2; i <= 60000; ++i)
    text += std::to_string(i) + ",silver," + std::to_string(i) + ",1\n";
  text += "1,bronze,0,1\n"; // line 60002, three batches of 16384 records later
  std::string file = dir / "rows.csv";
  write_file(file, text);
  // The order depends on timing: try a few times.
  for (int attempt = 0; attempt < 8; ++attempt) {
    bool chunked = attempt % 2 == 1;
    CAPTURE(chunked);
    auto loader = db.begin_load("scores", "v");
    REQUIRE_OK(loader);
    REQUIRE_STATUS_OK(chunked ? (*loader)->add_chunk(text, file, {})
                              : (*loader)->add_file(file, {}));
    auto report = (*loader)->commit();
    REQUIRE_OK(report);
    REQUIRE(report->rejected.size() == 1);
    CHECK(report->rejected[0].line == 60002);
    CHECK(report->rejected[0].reason == "duplicate key (first on line 2 of " + file + ")");
    CHECK(estimate_count(db, "level = 'gold'") == 1);
    CHECK(estimate_count(db, "level = 'bronze'") == 0);
  }
}

namespace {

// scores (keys 1..4, no level for 4) and extra (keys 4..6), and two materialized composites:
// one over a tag of scores, one that reads the universe (NOT).
void load_two_tables(database& db, const temp_dir& dir) {
  REQUIRE_STATUS_OK(db.define_table(scores_table()));
  write_file(dir / "scores.csv",
             "id,level,score,balance\n1,gold,1,1\n2,silver,2,2\n3,gold,3,3\n4,,4,4\n");
  REQUIRE_OK(db.import_files("scores", "v1", {dir / "scores.csv"}, {}));
  table_spec extra;
  extra.name = "extra";
  extra.columns = {{"points", "#2", tag_kind::int_}};
  REQUIRE_STATUS_OK(db.define_table(extra));
  write_file(dir / "extra.csv", "4,40\n5,50\n6,60\n");
  import_options headerless;
  headerless.header = false;
  REQUIRE_OK(db.import_files("extra", "v1", {dir / "extra.csv"}, headerless));
  REQUIRE_STATUS_OK(db.define_composite("user", "rich", "balance > 2", true));
  REQUIRE_STATUS_OK(db.define_composite("user", "not_gold", "NOT level = 'gold'", true));
}

} // namespace

TEST_CASE("dropping a table removes its tags, data and keys from the universe", "[load][drop]") {
  temp_dir dir;
  {
    auto db = open_db(dir);
    load_two_tables(*db, dir);
    auto count = [&](const std::string& e) { return estimate_count(*db, e); };
    // The universe is keys 1..6; gold: 1 and 3.
    CHECK(count("NOT level = 'gold'") == 4);
    CHECK(count("level IS NULL") == 3);
    CHECK(count("not_gold") == 4);
    CHECK(count("points >= 50") == 2);

    // Composites over scores' tags keep scores; nothing changes.
    check_error(db->drop_table("scores"), error_code::invalid_argument,
                "table 'scores' cannot be dropped: composite tag 'not_gold' uses its tag 'level'");
    CHECK(db->snapshot()->find_table("scores") != nullptr);
    CHECK(count("rich") == 2);

    std::vector<uint32_t> extra_storage;
    for (const table_version& v : db->snapshot()->find_table("extra")->versions)
      extra_storage.push_back(v.storage_id);
    REQUIRE_STATUS_OK(db->drop_table("extra"));
    auto state = db->snapshot();
    CHECK(state->find_table("extra") == nullptr);
    CHECK(state->find_tag("user", "points") == nullptr);
    check_error(db->estimate("user", "points >= 50").error(), error_code::unknown_tag,
                "column 1: no tag 'points' for entity type 'user'");
    // The universe is keys 1..4 again, for NOT, IS NULL and the stored NOT composite alike.
    CHECK(count("NOT level = 'gold'") == 2);
    CHECK(count("level IS NULL") == 1);
    CHECK(count("not_gold") == 2);
    CHECK(count("NOT not_gold") == 2);
    std::set<uint32_t> stored = stored_ids(*db);
    CHECK(stored == db->live_storage_ids());
    for (uint32_t id : extra_storage)
      CHECK(stored.count(id) == 0);
    check_error(db->drop_table("extra"), error_code::not_found, "no table 'extra'");
  }
  auto db = open_db(dir);
  auto count = [&](const std::string& e) { return estimate_count(*db, e); };
  CHECK(db->snapshot()->find_table("extra") == nullptr);
  CHECK(count("NOT level = 'gold'") == 2);
  CHECK(count("not_gold") == 2);
  // The name is free again; the new table starts empty.
  table_spec extra;
  extra.name = "extra";
  extra.columns = {{"points", "#2", tag_kind::int_}};
  REQUIRE_STATUS_OK(db->define_table(extra));
  CHECK(count("points IS NOT NULL") == 0);
  write_file(dir / "extra2.csv", "7,70\n");
  import_options headerless;
  headerless.header = false;
  REQUIRE_OK(db->import_files("extra", "v1", {dir / "extra2.csv"}, headerless));
  CHECK(count("points IS NOT NULL") == 1);
  CHECK(count("not_gold") == 3); // keys 2, 4 and 7
}

TEST_CASE("dropping a real-time table removes its rows", "[load][drop]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  write_file(dir / "scores.csv", "id,level,score,balance\n1,gold,1,1\n2,silver,2,2\n");
  REQUIRE_OK(db->import_files("scores", "v1", {dir / "scores.csv"}, {}));
  table_spec live;
  live.name = "live";
  live.mode = table_mode::realtime;
  live.columns = {{"state", "", tag_kind::enum_}};
  REQUIRE_STATUS_OK(db->define_table(live));
  REQUIRE_STATUS_OK(db->upsert("live", {{"9", {std::string("on")}}, {"1", {std::string("on")}}}));
  CHECK(estimate_count(*db, "NOT level = 'gold'") == 2); // keys 2 and 9
  REQUIRE_STATUS_OK(db->drop_table("live"));
  CHECK(estimate_count(*db, "NOT level = 'gold'") == 1);
  CHECK(estimate_count(*db, "level IS NULL") == 0);
  CHECK(stored_ids(*db) == db->live_storage_ids());
}

TEST_CASE("a load of a table dropped meanwhile fails and leaves nothing", "[load][drop]") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  write_file(dir / "v1.csv", "id,level,score,balance\n1,gold,1,1\n");
  auto loader = db->begin_load("scores", "v1");
  REQUIRE_OK(loader);
  REQUIRE_STATUS_OK((*loader)->add_file(dir / "v1.csv", {}));
  REQUIRE_STATUS_OK(db->drop_table("scores"));
  REQUIRE_STATUS_OK(db->define_table(scores_table())); // the same name, another table
  check_error((*loader)->commit().error(), error_code::not_found,
              "table 'scores' was dropped during the load");
  CHECK(db->snapshot()->find_table("scores")->versions.empty());
  std::set<uint32_t> stored = stored_ids(*db), live = db->live_storage_ids();
  CHECK(std::includes(live.begin(), live.end(), stored.begin(), stored.end()));
}

// ---- streaming loads (add_chunk) ----

TEST_CASE("a stream loaded in chunks of any size gives what the file gives", "[load][chunk]") {
  temp_dir dir;
  database_options db_options;
  db_options.vshards = 4;
  db_options.threads = 3; // batches are converted out of order
  auto opened = database::open(dir / "data", db_options);
  REQUIRE_OK(opened);
  database& db = **opened;
  table_spec spec = scores_table();
  spec.retention = 1;
  REQUIRE_STATUS_OK(db.define_table(spec));
  for (bool final_line_end : {true, false}) {
    CAPTURE(final_line_end);
    std::string file = dir / "scores.csv";
    // More rows than one conversion batch (16384), so that duplicates span batches.
    stream_data d = make_stream(file, 40'000, final_line_end);
    REQUIRE(d.rejected.size() > 1000);
    write_file(file, d.text());
    auto from_file = db.import_files("scores", "file", {file}, keep_every_reject());
    REQUIRE_OK(from_file);
    check_load(db, *from_file, d, file);

    struct cutting {
      size_t per_chunk;
      size_t min_bytes;
    };
    for (cutting c : std::vector<cutting>{
             {1, 0}, {2, 0}, {7, 0}, {1000, 0}, {0, 100}, {0, 4096}, {0, 1 << 20}}) {
      CAPTURE(c.per_chunk, c.min_bytes);
      auto loader = db.begin_load("scores", "chunks");
      REQUIRE_OK(loader);
      for (const std::string& chunk : cut(d, c.per_chunk, c.min_bytes))
        REQUIRE_STATUS_OK((*loader)->add_chunk(chunk, file, keep_every_reject()));
      auto report = (*loader)->commit();
      REQUIRE_OK(report);
      check_load(db, *report, d, file);
      CHECK(differences(rejects_of(*report, file), rejects_of(*from_file, file)) ==
            std::vector<std::string>{});
    }
  }
}

TEST_CASE("chunks of several sources interleave, each with its own lines", "[load][chunk]") {
  temp_dir dir;
  auto db = open_db(dir, 4);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  auto loader = db->begin_load("scores", "v1");
  REQUIRE_OK(loader);
  import_options options;
  REQUIRE_STATUS_OK((*loader)->add_chunk("level,id,score,balance\ngold,1,1,1\n", "a", options));
  REQUIRE_STATUS_OK((*loader)->add_chunk("id,score,balance,level\n2,x,1,gold\n", "b", options));
  REQUIRE_STATUS_OK((*loader)->add_chunk("\nsilver,3,1,1\nsilver,2,1,1\n", "a", options));
  REQUIRE_STATUS_OK((*loader)->add_chunk("4,1,1,bronze\n1,1,1,bronze\n5,1,1,bronze", "b", options));
  auto report = (*loader)->commit();
  REQUIRE_OK(report);
  CHECK(report->rows_read == 7);
  CHECK(report->rows_loaded == 5);
  std::vector<std::tuple<std::string, uint64_t, std::string>> rejected;
  for (const rejected_row& r : report->rejected)
    rejected.emplace_back(r.file, r.line, r.reason);
  std::sort(rejected.begin(), rejected.end());
  using row = std::tuple<std::string, uint64_t, std::string>;
  CHECK(rejected == std::vector<row>{{"b", 2, "column 'score': not an integer: 'x'"},
                                     {"b", 4, "duplicate key (first on line 2 of a)"}});
  CHECK(estimate_count(*db, "level = 'gold'") == 1);
  CHECK(estimate_count(*db, "level = 'silver'") == 2);
  CHECK(estimate_count(*db, "level = 'bronze'") == 2);
}

TEST_CASE("headerless chunks map columns by position", "[load][chunk]") {
  temp_dir dir;
  auto db = open_db(dir, 2);
  table_spec spec = scores_table();
  spec.key_column = "#2";
  spec.columns[0].column = "#1";
  spec.columns[1].column = "#3";
  spec.columns[2].column = "#4";
  REQUIRE_STATUS_OK(db->define_table(spec));
  auto loader = db->begin_load("scores", "v1");
  REQUIRE_OK(loader);
  import_options options;
  options.header = false;
  options.csv.delimiter = '\t';
  REQUIRE_STATUS_OK((*loader)->add_chunk("gold\t1\t5\t\\N\n", "s", options));
  REQUIRE_STATUS_OK((*loader)->add_chunk("gold\t2\t\t1\nsilver\t3\n", "s", options));
  auto report = (*loader)->commit();
  REQUIRE_OK(report);
  CHECK(report->rows_loaded == 2);
  REQUIRE(report->rejected.size() == 1);
  CHECK(report->rejected[0].line == 3);
  CHECK(report->rejected[0].reason == "expected at least 4 fields, found 2");
  CHECK(estimate_count(*db, "level = 'gold' AND score IS NULL") == 1);
  CHECK(estimate_count(*db, "balance IS NULL") == 1);

  // Named columns need a header.
  table_spec named = scores_table();
  named.name = "named";
  named.columns = {{"tier", "tier", tag_kind::enum_}};
  REQUIRE_STATUS_OK(db->define_table(named));
  auto second = db->begin_load("named", "v1");
  REQUIRE_OK(second);
  check_error((*second)->add_chunk("1,gold\n", "s", options), error_code::invalid_argument,
              "column 'id' is named, but the file has no header: use #N");
}

TEST_CASE("a chunk that is not whole records is refused and adds nothing", "[load][chunk]") {
  temp_dir dir;
  auto db = open_db(dir, 4);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  auto loader = db->begin_load("scores", "v1");
  REQUIRE_OK(loader);
  table_loader& load = **loader;
  import_options options;

  // Cut inside a quoted field: refused, the stream stays where it was.
  check_error(
      load.add_chunk("id,level,score,balance\n1,gold,1,1\n2,\"go", "s", options),
      error_code::invalid_argument,
      "a chunk of s ends inside a quoted field (unterminated quoted field starting on line 3): "
      "send whole records, each chunk ending with a line end");
  CHECK(load.rows_read() == 0);
  // A header naming a column the table does not have: refused alike.
  check_error(load.add_chunk("id,level,points,balance\n1,gold,1,1\n", "s", options),
              error_code::invalid_argument, "the header has no column 'score'");
  CHECK(load.rows_read() == 0);

  REQUIRE_STATUS_OK(load.add_chunk("id,level,score,balance\n1,gold,1,1\n", "s", options));
  REQUIRE_STATUS_OK(load.add_chunk("", "s", options));
  // Without a final line end, a chunk is taken as the last of its source.
  REQUIRE_STATUS_OK(load.add_chunk("2,\"gold\nstill\",2,2", "s", options));
  check_error(
      load.add_chunk("3,gold,3,3\n", "s", options), error_code::invalid_argument,
      "the previous chunk of s ended without a line end on line 4, so it had to be the last: "
      "every other chunk must end with one");
  CHECK(load.rows_read() == 2);

  std::string huge(table_loader::max_chunk_bytes + 1, '\n');
  status too_large = load.add_chunk(huge, "t", options);
  CHECK(too_large.code() == error_code::too_large);
  CHECK(load.rows_read() == 2);

  auto report = load.commit();
  REQUIRE_OK(report);
  CHECK(report->rows_loaded == 2);
  CHECK(report->rejected_count == 0);
  CHECK(estimate_count(*db, "level = 'gold'") == 1);
  CHECK(estimate_count(*db, "score = 2") == 1);
  check_error(load.add_chunk("4,gold,4,4\n", "s", options), error_code::invalid_argument,
              "the load has already finished");
}

TEST_CASE("a chunked load past the reject limit aborts as a file load does", "[load][chunk]") {
  temp_dir dir;
  auto db = open_db(dir, 4);
  REQUIRE_STATUS_OK(db->define_table(scores_table()));
  import_options options;
  options.max_rejected = 2;
  std::string text = "id,level,score,balance\n1,gold,x,1\n2,gold,y,1\n3,gold,3,1\n4,gold,z,1\n";
  write_file(dir / "bad.csv", text);
  auto from_file = db->import_files("scores", "v1", {dir / "bad.csv"}, options);
  REQUIRE_FALSE(from_file.is_ok());

  auto loader = db->begin_load("scores", "v1");
  REQUIRE_OK(loader);
  REQUIRE_STATUS_OK((*loader)->add_chunk(text.substr(0, 45), dir / "bad.csv", options));
  std::string expected =
      "3 rows rejected, more than the limit of 2; nothing was loaded (first: " + (dir / "bad.csv") +
      ":2: column 'score': not an integer: 'x')";
  CHECK(from_file.error().message() == expected);
  check_error((*loader)->add_chunk(text.substr(45), dir / "bad.csv", options), error_code::aborted,
              expected);
}
