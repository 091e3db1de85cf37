// The client library against a fake node over loopback TCP (fake_node.hpp), in both threading
// modes. Expected values come from what the test itself built (records, keys, files), never
// from the client.

#include "client/record_splitter.hpp"
#include "client/tagd_client.hpp"
#include "fake_node.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using namespace tagd::client;
using tagd::client::testing::fake_node;
using tagd::client::testing::fake_options;
using tagd::client::testing::fake_state;

namespace {

std::string code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const error& e) {
    return e.code();
  }
  return "no error";
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() /
           ("tagd-client-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  static std::atomic<int>& counter() {
    static std::atomic<int> n{0};
    return n;
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

table_def table_of(const std::string& name, const std::vector<std::string>& tags,
                   table_mode mode = table_mode::offline) {
  table_def def;
  def.name = name;
  def.mode = mode;
  for (const auto& tag : tags) {
    column_def column;
    column.tag = tag;
    def.columns.push_back(column);
  }
  return def;
}

connection_options mode(threading t) {
  connection_options o;
  o.mode = t;
  return o;
}

} // namespace

TEST_CASE("error codes are parsed from a description") {
  auto e = error_from_description("remote exception: NOT_FOUND: no group 'x'", "INTERNAL");
  CHECK(e.code() == "NOT_FOUND");
  CHECK(e.message() == "no group 'x'");
  CHECK(std::string(e.what()) == "NOT_FOUND: no group 'x'");
  e = error_from_description("INVALID_EXPRESSION: column 9: expected a value", "INTERNAL");
  CHECK(e.code() == "INVALID_EXPRESSION");
  CHECK(e.message() == "column 9: expected a value");
  e = error_from_description("connect(): Connection refused", "DISCONNECTED");
  CHECK(e.code() == "DISCONNECTED");
  CHECK(e.message() == "connect(): Connection refused");
  CHECK(error_from_description("A: one letter is no code", "INTERNAL").code() == "INTERNAL");
  CHECK(error_from_description("Not upper: x", "INTERNAL").code() == "INTERNAL");
}

TEST_CASE("record splitter cuts only at record ends") {
  // Records built here, so every record end is known; fed and taken in random sizes.
  auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> pieces = {
      "a",    "bc",   ",",         "\"q,\"", "\"line\nbreak\"", "\"say \"\"hi\"\"\"",
      "x\"y", "\"\"", "\"a\r\nb\""};
  std::vector<std::string> records;
  std::string all;
  for (int r = 0; r < 2000; ++r) {
    std::string record;
    int fields = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < fields; ++f) {
      if (f > 0)
        record += ',';
      record += pieces[rng() % pieces.size()];
    }
    record += rng() % 3 == 0 ? "\r\n" : "\n";
    records.push_back(record);
    all += record;
  }
  std::string last = "\"no\nnewline\",at end";
  all += last;
  records.push_back(last + "\n");

  tagd::client::detail::record_splitter splitter(',');
  std::vector<tagd::client::detail::record_run> runs;
  size_t at = 0;
  while (at < all.size()) {
    size_t n = std::min(all.size() - at, static_cast<size_t>(1 + rng() % 300));
    splitter.append(std::string_view(all).substr(at, n));
    at += n;
    while (auto run = splitter.take(1 + rng() % 200))
      runs.push_back(std::move(*run));
  }
  if (auto rest = splitter.finish())
    runs.push_back(std::move(*rest));
  CHECK(!splitter.finish());

  size_t next = 0;
  for (const auto& run : runs) {
    std::string expected;
    for (uint64_t i = 0; i < run.records; ++i)
      expected += records.at(next + i);
    REQUIRE(run.bytes == expected);
    CHECK(run.lines == static_cast<uint64_t>(std::count(expected.begin(), expected.end(), '\n')));
    next += run.records;
  }
  CHECK(next == records.size());
}

TEST_CASE("record splitter follows the node's rule for a quote inside an unquoted field") {
  tagd::client::detail::record_splitter splitter('\t');
  splitter.append("k1\tab\"c\n\"k\t2\"\tx\n");
  auto first = splitter.take(1);
  REQUIRE(first);
  CHECK(first->bytes == "k1\tab\"c\n");
  auto second = splitter.take(100);
  REQUIRE(second);
  CHECK(second->bytes == "\"k\t2\"\tx\n");
}

TEST_CASE("a refused connection is UNAVAILABLE") {
  unsigned port;
  {
    fake_node node;
    port = node.port();
  } // nothing listens there now
  for (auto t : {threading::background_thread, threading::caller_thread}) {
    try {
      connection c("127.0.0.1:" + std::to_string(port), mode(t));
      FAIL("connected");
    } catch (const error& e) {
      CHECK(e.code() == "UNAVAILABLE");
      CHECK(e.message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    }
  }
  CHECK(code_of([] { connection c("no-such-host.invalid:7411"); }) == "UNAVAILABLE");
}

TEST_CASE("catalog calls and their errors, in both threading modes") {
  for (auto t : {threading::background_thread, threading::caller_thread}) {
    fake_node node;
    connection c(node.address(), mode(t));
    c.ping();
    CHECK(c.status().version == "fake 0.1");
    uint64_t v = c.define_entity({"device", key_kind::string});
    CHECK(v == 2);
    try {
      c.define_entity({"device", key_kind::string});
      FAIL("defined twice");
    } catch (const error& e) {
      CHECK(e.code() == "ALREADY_EXISTS");
      CHECK(e.message() == "entity 'device' exists");
    }
    table_def table;
    table.name = "profile";
    table.columns = {{"spend", "", tag_kind::decimal, 12, 2}, {"city", "c", tag_kind::enum_}};
    CHECK(c.define_table(table) == 3);
    CHECK(c.define_composite({"rich", "", "spend > 100", true}) == 4);
    catalog cat = c.catalog();
    CHECK(cat.version == 4);
    REQUIRE(cat.tables.size() == 1);
    CHECK(cat.tables[0].def.columns.size() == 2);
    CHECK(cat.tables[0].def.columns[0].kind == tag_kind::decimal);
    CHECK(cat.tables[0].versions.at(0).label == "2026-11-24");
    CHECK(cat.entities.size() == 2);
    CHECK(code_of([&] { c.drop_group("nope"); }) == "NOT_FOUND");
    CHECK(c.drop_table("profile") == 5);
    CHECK(code_of([&] { c.drop_table("profile"); }) == "NOT_FOUND");
  }
}

TEST_CASE("queries carry their options; errors keep code and message") {
  fake_node node;
  connection_options options;
  options.deadline_ms = 1500;
  connection c(node.address(), options);
  auto r = c.estimate("city = 'x'");
  CHECK(r.count == 10);
  CHECK(r.seen.catalog_version == 1);
  REQUIRE(r.seen.tables.size() == 1);
  CHECK(node.state().deadline_ms == 1500);

  query_options q;
  q.entity = "device";
  q.now = 1700000000;
  q.deadline_ms = 99;
  q.pin = r.seen;
  q.pin->catalog_version = 42;
  c.estimate("a", q);
  fake_state st = node.state();
  CHECK(st.entity == "device");
  CHECK(st.now == 1700000000);
  CHECK(st.deadline_ms == 99);
  CHECK(st.pinned_catalog == 42);

  try {
    c.estimate("bad");
    FAIL("no error");
  } catch (const error& e) {
    CHECK(e.code() == "INVALID_EXPRESSION");
    CHECK(e.message() == "column 1: expected a tag, found 'bad'");
  }
  auto b = c.breakdown("x", "city");
  REQUIRE(b.entries.size() == 2);
  CHECK(b.entries[1].value == "city");
  auto s = c.select("g", "abc");
  CHECK(s.version.group == "g");
  CHECK(s.version.version == 1);
  CHECK(s.version.count == 3);
  CHECK(c.select("g", "abcd").version.version == 2);
  CHECK(c.contains("g", "6"));
  CHECK(!c.contains("g", "7"));
  CHECK(c.groups_of("4") == std::vector<std::string>{"g"});
  CHECK(code_of([&] { c.contains("nope", "1"); }) == "NOT_FOUND");
}

TEST_CASE("real-time rows and uploads") {
  fake_node node;
  connection c(node.address());
  c.define_table(table_of("live", {"a", "b"}, table_mode::realtime));
  c.upsert("live",
           {{"k1", {std::string("1"), std::nullopt}}, {"k2", {std::string(""), std::string("x")}}});
  auto rows = node.state().upserted;
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"k1", "1", "\\N"});
  CHECK(rows[1] == std::vector<std::string>{"k2", "", "x"});
  CHECK(code_of([&] { c.upsert("live", {{"k3", {std::string("1")}}}); }) == "BAD_ROW");
  CHECK(c.remove("live", {"k1", "k2", "k9"}) == 3);
  auto up = c.upload("vip", "user", {"1", "x2", "3", "x4"});
  CHECK(up.version.count == 4);
  CHECK(up.unknown_keys == 2);
  CHECK(up.unknown_sample == std::vector<std::string>{"x2", "x4"});

  connection_options small;
  small.max_request_bytes = 4096;
  connection bounded(node.address(), small);
  std::vector<std::string> many(1000, "a-key-of-some-length");
  try {
    bounded.upload("big", "user", many);
    FAIL("sent");
  } catch (const error& e) {
    CHECK(e.code() == "TOO_LARGE");
    CHECK(e.message().find("an upload of ") == 0);
  }
  bounded.upload("small", "user", {"1", "2"});
}

TEST_CASE("a call without a reply fails after call_timeout") {
  fake_node node;
  for (auto t : {threading::background_thread, threading::caller_thread}) {
    connection_options options = mode(t);
    options.call_timeout = std::chrono::milliseconds(100);
    connection c(node.address(), options);
    auto start = std::chrono::steady_clock::now();
    CHECK(code_of([&] { c.estimate("never"); }) == "DEADLINE_EXCEEDED");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    c.ping(); // the connection is still fine
  }
}

TEST_CASE("32 requests in flight from one background-thread client") {
  fake_options slow;
  slow.slow_ms = 300;
  fake_node node(slow);
  node.change([](fake_state& s) { s.groups["slow"] = {"1", "3"}; });
  connection c(node.address());
  std::vector<std::future<bool>> answers;
  for (int i = 0; i < 32; ++i)
    answers.push_back(c.contains_async("slow", std::to_string(i)));
  for (int i = 0; i < 32; ++i)
    CHECK(answers[i].get() == (i == 1 || i == 3));
  CHECK(node.state().most_in_flight == 32);

  // and from several threads at once, synchronously
  std::atomic<int> members{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i)
        members += c.contains("slow", std::to_string(i));
    });
  for (auto& t : threads)
    t.join();
  CHECK(members == 16);
}

TEST_CASE("contains_many splits into bounded requests and keeps the order") {
  for (auto t : {threading::background_thread, threading::caller_thread}) {
    fake_node node;
    std::vector<std::string> members;
    for (int i = 0; i < 250001; i += 3)
      members.push_back(std::to_string(i));
    node.change([&](fake_state& s) { s.groups["g"] = members; });
    connection_options options = mode(t);
    options.max_keys_per_request = 100000;
    options.requests_in_flight = 2;
    connection c(node.address(), options);
    std::vector<std::string> keys;
    for (int i = 0; i < 250001; ++i)
      keys.push_back(std::to_string(i));
    auto answers = c.contains_many("g", keys);
    REQUIRE(answers.size() == keys.size());
    size_t wrong = 0;
    for (size_t i = 0; i < answers.size(); ++i)
      wrong += answers[i] != (i % 3 == 0);
    CHECK(wrong == 0);
    CHECK(node.state().largest_key_list == 100000);
    auto async = c.contains_many_async("g", {"3", "4", "6"}).get();
    CHECK(async == std::vector<bool>{true, false, true});
    CHECK(c.contains_many("g", {}).empty());
    CHECK(code_of([&] { c.contains_many("nope", keys); }) == "NOT_FOUND");
  }
}

TEST_CASE("import_files sends whole records, the header once, and maps rejects to files") {
  for (auto t : {threading::background_thread, threading::caller_thread}) {
    fake_node node;
    connection c(node.address(), mode(t));
    c.define_table(table_of("profile", {"city", "note"}));
    temp_dir dir;
    std::string header = "uid,city,note\n";
    std::string first_rows;
    for (int i = 0; i < 300; ++i)
      first_rows += std::to_string(i) + ",Shanghai,\"two\nlines, \"\"quoted\"\"\"\r\n";
    first_rows += "bad,x,y\n"; // line 1 + 2 * 300 + 1 = 602
    std::string second_rows = "1000,Beijing,\"a\nb\nc\"\n1001,Beijing,z\nbad,q,\"r\"\n1002,X,y";
    // second file: bad at line 1 (header) + 3 + 1 + 1 = 6
    write_file(dir.file("a.csv"), "\xEF\xBB\xBF" + header + first_rows);
    write_gzip(dir.file("b.csv.gz"), header + second_rows);

    import_options options;
    options.batch_bytes = 200;
    options.window = 2;
    std::vector<import_progress> reports;
    auto report = c.import_files({dir.file("a.csv"), dir.file("b.csv.gz")}, "profile", "2026-11-24",
                                 options, [&](const import_progress& p) { reports.push_back(p); });
    fake_state st = node.state();
    CHECK(st.batches_whole);
    CHECK(st.batches.size() > 10);
    CHECK(st.committed == header + first_rows + second_rows + "\n");
    CHECK(report.rows_read == 301 + 4);
    CHECK(report.rejected == 2);
    REQUIRE(report.rejects.size() == 2);
    CHECK(report.rejects[0].source == dir.file("a.csv"));
    CHECK(report.rejects[0].line == 602);
    CHECK(report.rejects[1].source == dir.file("b.csv.gz"));
    CHECK(report.rejects[1].line == 6);
    REQUIRE(!reports.empty());
    CHECK(reports.back().committing);
    CHECK(reports.back().rows_sent == 305);
    CHECK(reports.back().rows_read == 305);
    CHECK(reports.back().bytes == reports.back().total_bytes);
  }
}

TEST_CASE("import_files without a header, with another delimiter") {
  fake_node node;
  connection c(node.address());
  c.define_table(table_of("t", {"a"}));
  temp_dir dir;
  write_file(dir.file("a.tsv"), "1\tx\n2\t\"y\tz\"\n");
  write_file(dir.file("b.tsv"), "bad\tq\n3\tw\n");
  import_options options;
  options.delimiter = '\t';
  options.header = false;
  auto report = c.import_files({dir.file("a.tsv"), dir.file("b.tsv")}, "t", "v1", options);
  CHECK(node.state().committed == "1\tx\n2\t\"y\tz\"\nbad\tq\n3\tw\n");
  REQUIRE(report.rejects.size() == 1);
  CHECK(report.rejects[0].source == dir.file("b.tsv"));
  CHECK(report.rejects[0].line == 1);
}

TEST_CASE("a failed import_files aborts the load") {
  fake_node node;
  connection c(node.address());
  c.define_table(table_of("t", {"a"}));
  temp_dir dir;
  write_file(dir.file("a.csv"), "k,a\n1,x\n");
  write_file(dir.file("b.csv"), "k,b\n2,y\n");
  try {
    c.import_files({dir.file("a.csv"), dir.file("b.csv")}, "t", "v1");
    FAIL("imported");
  } catch (const error& e) {
    CHECK(e.code() == "INVALID_ARGUMENT");
    CHECK(e.message() == dir.file("b.csv") + ": its header differs from the first file's");
  }
  c.ping(); // the drop of the import has reached the node
  CHECK(node.state().aborted);
  CHECK(code_of([&] { c.import_file(dir.file("missing.csv"), "t", "v1"); }) == "IO_ERROR");
  CHECK(code_of([&] { c.import_file(dir.file("a.csv"), "nope", "v1"); }) == "NOT_FOUND");
}

TEST_CASE("an importer is done after commit") {
  fake_node node;
  connection c(node.address());
  c.define_table(table_of("t", {"a"}));
  importer load = c.begin_import("t", "v1");
  CHECK(load.add_rows("k,a\n1,x\n").rows_read == 1);
  CHECK(load.add_rows_async("2,y\n").get().rows_read == 2);
  CHECK(load.commit().rows_loaded == 2);
  CHECK(code_of([&] { load.add_rows("3,z\n"); }) == "INVALID_ARGUMENT");
  importer moved = c.begin_import("t", "v2");
  importer other = std::move(moved);
  CHECK(code_of([&] { moved.commit(); }) == "INVALID_ARGUMENT");
  other.abort();
}

TEST_CASE("export_to_directory checks every part and writes the manifest last") {
  for (auto t : {threading::background_thread, threading::caller_thread}) {
    for (uint32_t max_read : {0u, 700u}) {
      fake_options options;
      options.max_read = max_read; // short reads: the client must fill the gaps
      fake_node node(options);
      std::vector<std::string> keys;
      for (int i = 0; i < 10000; ++i)
        keys.push_back("user-" + std::to_string(i * 7));
      connection_options client = mode(t);
      client.export_piece_bytes = 1000;
      client.requests_in_flight = 3;
      connection c(node.address(), client);
      c.upload("vip", "user", keys);
      temp_dir dir;
      std::vector<export_progress> reports;
      auto result = c.export_to_directory("vip", 0, dir.file("out"),
                                          [&](const export_progress& p) { reports.push_back(p); });
      CHECK(result.files.size() == 4);
      std::vector<std::string> exported;
      for (const auto& f : result.files) {
        std::istringstream in(read_file(dir.file("out/" + f.name)));
        for (std::string line; std::getline(in, line);)
          exported.push_back(line);
      }
      std::sort(exported.begin(), exported.end());
      std::sort(keys.begin(), keys.end());
      CHECK(exported == keys);
      auto manifest = nlohmann::json::parse(read_file(result.manifest));
      CHECK(manifest["group"] == "vip");
      CHECK(manifest["version"] == 1);
      CHECK(manifest["count"] == 10000);
      CHECK(manifest["created"] == 1700000000);
      REQUIRE(manifest["files"].size() == 4);
      CHECK(manifest["files"][2]["name"] == "part-0002.csv");
      CHECK(manifest["files"][2]["rows"] == 2500);
      auto part2 = read_file(dir.file("out/part-0002.csv"));
      CHECK(manifest["files"][2]["bytes"] == part2.size());
      CHECK(manifest["files"][2]["crc32"] ==
            crc32(0L, reinterpret_cast<const Bytef*>(part2.data()), part2.size()));
      REQUIRE(reports.size() == 4);
      CHECK(reports.back().bytes == reports.back().total_bytes);
      size_t files = std::distance(fs::directory_iterator(dir.file("out")), {});
      CHECK(files == 5);
    }
  }
}

TEST_CASE("a part whose CRC-32 does not match fails the export without a manifest") {
  fake_options options;
  options.corrupt_crc = true;
  fake_node node(options);
  connection c(node.address());
  c.upload("vip", "user", {"1", "2", "3", "4", "5"});
  temp_dir dir;
  write_file(dir.file("manifest.json"), "{}"); // an earlier export's
  try {
    c.export_to_directory("vip", 0, dir.path.string());
    FAIL("exported");
  } catch (const error& e) {
    CHECK(e.code() == "CORRUPTION");
    CHECK(e.message().find("part-0001.csv: CRC-32") != std::string::npos);
  }
  CHECK(!fs::exists(dir.file("manifest.json")));
  CHECK(fs::exists(dir.file("part-0000.csv")));
  CHECK(!fs::exists(dir.file("part-0001.csv")));
  CHECK(!fs::exists(dir.file("part-0001.csv.tmp")));
  CHECK(code_of([&] { c.export_to_directory("nope", 0, dir.path.string()); }) == "NOT_FOUND");
}

TEST_CASE("a lost connection is DISCONNECTED; a closed one fails its pending calls") {
  fake_node node;
  connection c(node.address());
  c.ping();
  auto pending = connection(node.address()).estimate_async("never"); // destroyed at once
  CHECK(code_of([&] { pending.get(); }) == "DISCONNECTED");
  node.stop();
  CHECK(code_of([&] { c.ping(); }) == "DISCONNECTED");
}

TEST_CASE("a caller-thread connection refuses other threads") {
  fake_node node;
  connection c(node.address(), mode(threading::caller_thread));
  std::string code;
  std::thread([&] { code = code_of([&] { c.ping(); }); }).join();
  CHECK(code == "INVALID_ARGUMENT");
  auto a = c.estimate_async("ab");
  auto b = c.estimate_async("abc");
  CHECK(b.get().count == 3); // runs the loop; a's reply is kept
  CHECK(a.get().count == 2);
}
