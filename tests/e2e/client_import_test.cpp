// import_file(s) and the importer through the client library against a real tagd: batches of
// whole records (a newline inside quotes does not end one), CRLF, a byte order mark, gzip, the
// header once, rejects told as file and line, and a load dropped on any error. The expected rows,
// values and lines come from the files the test writes.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <zlib.h>

#include <map>

using namespace tagd;
using namespace tagd::testing;
using client::threading;

namespace {

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  CHECK(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) ==
        static_cast<int>(text.size()));
  CHECK(gzclose(f) == Z_OK);
}

client::table_def notes_table() {
  client::table_def def;
  def.name = "notes";
  def.key_column = "uid"; // by name: a header that kept its byte order mark would not have it
  def.columns = {{"city", "", client::tag_kind::enum_}, {"note", "", client::tag_kind::enum_}};
  return def;
}

// A table "t" with one enum tag "a"; empty column names: the defaults.
client::table_def table_t(const std::string& key_column = "", const std::string& column = "") {
  client::table_def def;
  def.name = "t";
  def.key_column = key_column;
  def.columns = {{"a", column, client::tag_kind::enum_}};
  return def;
}

std::map<std::string, uint64_t> breakdown_of(client::connection& tagd, const std::string& expr,
                                             const std::string& tag) {
  std::map<std::string, uint64_t> counts;
  for (const auto& entry : tagd.breakdown(expr, tag).entries)
    if (entry.count > 0)
      counts[entry.value] = entry.count;
  return counts;
}

std::vector<std::string> labels_of(client::connection& tagd, const std::string& table) {
  std::vector<std::string> labels;
  for (const auto& t : tagd.catalog().tables)
    if (t.def.name == table)
      for (const auto& v : t.versions)
        labels.push_back(v.label);
  return labels;
}

} // namespace

TEST_CASE("client: import_files sends whole records, the header once, and maps rejects to files",
          "[e2e][client]") {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string header = "uid,city,note\n";
  const std::string long_note = "two\nlines, \"quoted\"";
  std::string first_rows;
  for (int i = 1; i <= 300; ++i)
    first_rows += std::to_string(i) + ",Shanghai,\"two\nlines, \"\"quoted\"\"\"\r\n";
  first_rows += "bad,x,y\n"; // line 1 + 2 * 300 + 1 = 602 of a.csv
  // No newline at the end; "bad" is on line 1 (header) + 3 + 1 + 1 = 6 of b.csv.gz.
  std::string second_rows = "1000,Beijing,\"a\nb\nc\"\n1001,Beijing,z\nbad,q,\"r\"\n1002,X,y";
  std::string third_rows = "2000,Shenzhen,q\r\n";

  for (threading mode : {threading::background_thread, threading::caller_thread}) {
    INFO((mode == threading::caller_thread ? "caller_thread" : "background_thread"));
    temp_dir dir;
    tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
    REQUIRE_FALSE(node.exited());
    client::connection_options connection_options;
    connection_options.mode = mode;
    client::connection tagd(node.address(), connection_options);
    tagd.define_table(notes_table());
    write_text(dir / "a.csv", bom + header + first_rows);
    // A byte order mark on the first and the third file only: each header is the same once
    // its file's mark is gone.
    write_gzip(dir / "b.csv.gz", header + second_rows);
    write_text(dir / "c.csv", bom + header + third_rows);

    client::import_options options;
    options.batch_bytes = 200; // about 6 records a batch
    options.window = 2;
    std::vector<client::import_progress> reports;
    auto report =
        tagd.import_files({dir / "a.csv", dir / "b.csv.gz", dir / "c.csv"}, "notes", "2026-11-24",
                          options, [&](const client::import_progress& p) { reports.push_back(p); });
    CHECK(report.table == "notes");
    CHECK(report.label == "2026-11-24");
    CHECK(report.rows_read == 301 + 4 + 1);
    CHECK(report.rows_loaded == 304);
    CHECK(report.keys == 304);
    CHECK(report.rejected == 2);
    REQUIRE(report.rejects.size() == 2);
    CHECK(report.rejects[0].source == dir / "a.csv");
    CHECK(report.rejects[0].line == 602);
    CHECK(report.rejects[1].source == dir / "b.csv.gz");
    CHECK(report.rejects[1].line == 6);

    // Every record arrived whole, without its line end and without a header read as a row.
    CHECK(breakdown_of(tagd, "city IS NOT NULL", "city") ==
          std::map<std::string, uint64_t>{
              {"Shanghai", 300}, {"Beijing", 2}, {"X", 1}, {"Shenzhen", 1}});
    CHECK(breakdown_of(tagd, "city = 'Shanghai'", "note") ==
          std::map<std::string, uint64_t>{{long_note, 300}});
    CHECK(breakdown_of(tagd, "NOT city = 'Shanghai'", "note") ==
          std::map<std::string, uint64_t>{{"a\nb\nc", 1}, {"z", 1}, {"y", 1}, {"q", 1}});

    // A report after every batch reply (there were more than 40 batches), then the commit's.
    CHECK(reports.size() > 40);
    REQUIRE(!reports.empty());
    const auto& last = reports.back();
    CHECK(last.committing);
    CHECK(last.rows_sent == 306);
    CHECK(last.rows_read == 306);
    CHECK(last.rejected == 2);
    CHECK(last.total_bytes == std::filesystem::file_size(dir / "a.csv") +
                                  std::filesystem::file_size(dir / "b.csv.gz") +
                                  std::filesystem::file_size(dir / "c.csv"));
    CHECK(last.bytes == last.total_bytes);
    CHECK(node.stop() == 0);
  }
}

TEST_CASE("client: import_files without a header, with another delimiter", "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  tagd.define_table(table_t("#1", "#2"));
  write_text(dir / "a.tsv", "1\tx\n2\t\"y\tz\"\n");
  write_text(dir / "b.tsv", "bad\tq\n3\tw\n");
  client::import_options options;
  options.delimiter = '\t';
  options.header = false;
  auto report = tagd.import_files({dir / "a.tsv", dir / "b.tsv"}, "t", "v1", options);
  CHECK(report.rows_loaded == 3);
  REQUIRE(report.rejects.size() == 1);
  CHECK(report.rejects[0].source == dir / "b.tsv");
  CHECK(report.rejects[0].line == 1);
  CHECK(breakdown_of(tagd, "a IS NOT NULL", "a") ==
        std::map<std::string, uint64_t>{{"x", 1}, {"y\tz", 1}, {"w", 1}});
}

TEST_CASE("client: a failed import_files aborts the load on the node", "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  tagd.define_table(table_t());
  write_text(dir / "v1.csv", "k,a\n1,old\n2,old\n");
  tagd.import_file(dir / "v1.csv", "t", "v1");

  write_text(dir / "a.csv", "k,a\n1,x\n");
  write_text(dir / "b.csv", "k,b\n2,y\n");
  CHECK(expect_error("INVALID_ARGUMENT", [&] {
          tagd.import_files({dir / "a.csv", dir / "b.csv"}, "t", "v2");
        }) == dir / "b.csv" + ": its header differs from the first file's");
  CHECK(expect_error("IO_ERROR", [&] { tagd.import_file(dir / "missing.csv", "t", "v2"); }) ==
        "cannot open " + dir / "missing.csv" + ": No such file or directory");
  CHECK(expect_error("NOT_FOUND", [&] { tagd.import_file(dir / "a.csv", "nope", "v2"); }) ==
        "no table 'nope'");
  // Nothing of the failed loads is visible: v1 is current and the only version.
  CHECK(labels_of(tagd, "t") == std::vector<std::string>{"v1"});
  CHECK(tagd.estimate("a = 'old'").count == 2);
  CHECK(tagd.estimate("a = 'x'").count == 0);
  // The dropped load left nothing in the way of the next one.
  auto report = tagd.import_file(dir / "a.csv", "t", "v2");
  CHECK(report.rows_loaded == 1);
  CHECK(labels_of(tagd, "t") == std::vector<std::string>{"v1", "v2"});
  CHECK(tagd.estimate("a = 'x'").count == 1);
  CHECK(tagd.estimate("a = 'old'").count == 0);
}

TEST_CASE("client: an importer's batches, commit and abort", "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  tagd.define_table(table_t());

  client::importer load = tagd.begin_import("t", "v1");
  auto first = load.add_rows("k,a\n1,x\n");
  CHECK(first.rows_read == 1);
  CHECK(first.rejected == 0);
  auto second = load.add_rows_async("2,y\nbad,z\n").get();
  CHECK(second.rows_read == 3);
  CHECK(second.rejected == 1);
  CHECK(tagd.estimate("a IS NOT NULL").count == 0); // nothing visible before the commit
  auto report = load.commit();
  CHECK(report.rows_loaded == 2);
  CHECK(tagd.estimate("a IS NOT NULL").count == 2);
  CHECK(expect_error("INVALID_ARGUMENT", [&] { load.add_rows("3,z\n"); }) ==
        "the import or export was committed, aborted or moved away");

  client::importer moved = tagd.begin_import("t", "v2");
  moved.add_rows("k,a\n5,q\n");
  client::importer other = std::move(moved);
  expect_error("INVALID_ARGUMENT", [&] { moved.commit(); });
  other.abort();
  expect_error("INVALID_ARGUMENT", [&] { other.commit(); });
  CHECK(labels_of(tagd, "t") == std::vector<std::string>{"v1"});
  CHECK(tagd.estimate("a = 'q'").count == 0);
}
