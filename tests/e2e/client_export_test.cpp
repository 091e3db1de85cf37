// export_to_directory and the exporter through the client library against a real tagd: every
// part read in pieces and written as part-NNNN.csv, manifest.json removed first and written last,
// and the keys in the files equal to the group computed from the generated people.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <filesystem>
#include <map>
#include <sstream>

using namespace tagd;
using namespace tagd::testing;
using client::threading;
namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::set<std::string> names_in(const std::string& directory) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.insert(entry.path().filename().string());
  return names;
}

size_t parts_in(const std::string& directory) {
  size_t n = 0;
  for (const auto& name : names_in(directory))
    n += name.rfind("part-", 0) == 0 && name.size() == 13 && name.substr(9) == ".csv";
  return n;
}

// What the test finds in one part file, computed from its bytes.
struct part_file {
  std::string name;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
  std::vector<std::string> keys;
};

part_file read_part(const std::string& directory, const std::string& name) {
  part_file part;
  part.name = name;
  std::string text = read_text(directory + "/" + name);
  part.bytes = text.size();
  part.crc32 = static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    part.keys.push_back(line);
  part.rows = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  return part;
}

std::set<std::string> keys_where(const std::vector<person>& people,
                                 const std::function<bool(const person&)>& match) {
  std::set<std::string> keys;
  for (const person& p : people)
    if (match(p))
      keys.insert(std::to_string(p.key));
  return keys;
}

int64_t created_of(client::connection& tagd, const std::string& group, uint32_t version) {
  for (const auto& g : tagd.catalog().groups)
    if (g.group == group && g.version == version)
      return g.created_unix;
  FAIL("no group " << group << " version " << version << " in the catalog");
  return 0;
}

// Checks a finished export directory against the group's expected keys; returns the keys found.
void check_export(client::connection& tagd, const std::string& directory, uint32_t version,
                  const std::string& expression, const std::set<std::string>& expected,
                  const client::export_result& result) {
  const std::set<std::string> files = {"manifest.json", "part-0000.csv", "part-0001.csv",
                                       "part-0002.csv", "part-0003.csv"};
  CHECK(names_in(directory) == files); // no temporary file left
  std::vector<part_file> parts;
  std::multiset<std::string> exported;
  for (const auto& name : files)
    if (name != "manifest.json") {
      parts.push_back(read_part(directory, name));
      exported.insert(parts.back().keys.begin(), parts.back().keys.end());
    }
  CHECK(exported.size() == expected.size()); // no key twice
  CHECK(std::set<std::string>(exported.begin(), exported.end()) == expected);

  auto manifest = nlohmann::json::parse(read_text(directory + "/manifest.json"));
  CHECK(manifest["group"] == "adults");
  CHECK(manifest["version"] == version);
  CHECK(manifest["entity"] == "user");
  CHECK(manifest["expression"] == expression);
  CHECK(manifest["count"] == expected.size());
  CHECK(manifest["created"] == created_of(tagd, "adults", version));
  REQUIRE(manifest["files"].size() == parts.size());
  REQUIRE(result.files.size() == parts.size());
  CHECK(result.version.version == version);
  CHECK(result.version.count == expected.size());
  CHECK(result.manifest == directory + "/manifest.json");
  uint64_t bytes = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const part_file& part = parts[i];
    INFO(part.name);
    const auto& listed = manifest["files"][i];
    CHECK(listed["name"] == part.name);
    CHECK(listed["vshard"] == i);
    CHECK(listed["rows"] == part.rows);
    CHECK(listed["bytes"] == part.bytes);
    CHECK(listed["crc32"] == part.crc32);
    CHECK(result.files[i].name == part.name);
    CHECK(result.files[i].rows == part.rows);
    CHECK(result.files[i].crc32 == part.crc32);
    bytes += part.bytes;
  }
  CHECK(result.bytes == bytes);
}

} // namespace

TEST_CASE("client: export_to_directory writes checked parts, then manifest.json", "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(5000);
  auto older = keys_where(people, [](const person& p) { return p.age >= 18 && p.vip; });
  auto latest = keys_where(people, [](const person& p) { return p.age < 40; });
  load_people(node.address(), dir / "people.csv", people);
  {
    client::connection setup(node.address());
    CHECK(setup.select("adults", "age >= 18 AND vip").version.version == 1);
    CHECK(setup.select("adults", "age < 40").version.version == 2);
  }

  int run = 0;
  for (threading mode : {threading::background_thread, threading::caller_thread}) {
    // Pieces of 1000 bytes, three in flight across parts; and whole parts in one read each.
    for (uint32_t piece_bytes : {1000u, 4u << 20}) {
      INFO((mode == threading::caller_thread ? "caller_thread" : "background_thread")
           << ", pieces of " << piece_bytes << " bytes");
      client::connection_options options;
      options.mode = mode;
      options.export_piece_bytes = piece_bytes;
      options.requests_in_flight = 3;
      client::connection tagd(node.address(), options);
      std::string out = dir / ("out-" + std::to_string(run++));
      fs::create_directories(out);
      write_text(out + "/manifest.json", "{}"); // an earlier export's
      std::vector<client::export_progress> reports;
      auto result =
          tagd.export_to_directory("adults", 0, out, [&](const client::export_progress& p) {
            reports.push_back(p);
            CHECK_FALSE(fs::exists(out + "/manifest.json"));
            CHECK(parts_in(out) == p.parts_done);
          });
      check_export(tagd, out, 2, "age < 40", latest, result);
      REQUIRE(reports.size() == 4);
      CHECK(reports.back().parts_done == 4);
      CHECK(reports.back().parts == 4);
      CHECK(reports.back().bytes == result.bytes);
      CHECK(reports.back().total_bytes == result.bytes);
    }
  }

  client::connection tagd(node.address());
  std::string out = dir / "older";
  check_export(tagd, out, 1, "age >= 18 AND vip", older,
               tagd.export_to_directory("adults", 1, out));
  CHECK(expect_error("NOT_FOUND", [&] { tagd.export_to_directory("nope", 0, dir / "nope"); }) ==
        "no group 'nope'");
  expect_error("NOT_FOUND", [&] { tagd.export_to_directory("adults", 9, dir / "nine"); });
  CHECK_FALSE(fs::exists(dir / "nope"));
}

TEST_CASE("client: an exporter reads any piece of a part", "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(2000);
  load_people(node.address(), dir / "people.csv", people);
  client::connection tagd(node.address());
  tagd.select("vips", "vip");
  tagd.export_to_directory("vips", 0, dir / "out");

  client::exporter source = tagd.begin_export("vips");
  CHECK(source.info().version.group == "vips");
  CHECK(source.info().version.version == 1);
  CHECK(source.info().version.count == count_if(people, [](const person& p) { return p.vip; }));
  REQUIRE(source.info().parts.size() == 4);
  for (const auto& part : source.info().parts) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%04u.csv", part.vshard);
    std::string file = read_text(dir / "out" + "/" + name);
    INFO(name);
    CHECK(part.bytes == file.size());
    std::string whole = source.read(part.vshard, 0, static_cast<uint32_t>(file.size()));
    CHECK(whole == file);
    uint64_t middle = file.size() / 2;
    auto head = source.read_async(part.vshard, 0, static_cast<uint32_t>(middle));
    auto tail = source.read_async(part.vshard, middle, static_cast<uint32_t>(file.size()));
    CHECK(head.get() + tail.get() == file);
  }
  // The node keeps only the last parts read; earlier ones are made again, byte for byte. All
  // parts at once, in pieces, in reverse order, and again: every read must match the files.
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::pair<std::string, std::future<std::string>>> pieces;
    for (auto part = source.info().parts.rbegin(); part != source.info().parts.rend(); ++part) {
      char name[32];
      std::snprintf(name, sizeof name, "part-%04u.csv", part->vshard);
      std::string file = read_text(dir / "out" + "/" + name);
      for (uint64_t at = 0; at < file.size(); at += 700)
        pieces.emplace_back(file.substr(at, 700), source.read_async(part->vshard, at, 700));
    }
    for (auto& [want, got] : pieces)
      CHECK(got.get() == want);
  }
}

TEST_CASE("client: an export part that disagrees with its description is CORRUPTION, and nothing "
          "is published",
          "[e2e][client]") {
  // The node's test seam alters the first part after taking its CRC-32. With "digit" the row
  // count and the length still agree and only the checksum can tell; with "short" the part
  // ends a byte early.
  auto [fault, symptom] = GENERATE(
      table<std::string, std::string>({{"digit", "CRC-32"}, {"short", "returned 0 bytes"}}));
  INFO("--inject-export-fault=" << fault);
  temp_dir dir;
  tagd_process node(dir / "data",
                    {"--no-sync", "--vshards", "4", "--inject-export-fault=" + fault});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(2000);
  load_people(node.address(), dir / "people.csv", people);
  client::connection tagd(node.address());
  REQUIRE(tagd.select("adults", "age >= 18").version.count > 0);
  std::string out = dir / "out";
  std::string message =
      expect_error("CORRUPTION", [&] { tagd.export_to_directory("adults", 0, out); });
  CHECK(message.find(symptom) != std::string::npos);
  CHECK_FALSE(fs::exists(out + "/manifest.json"));
  CHECK(parts_in(out) == 0);
  if (fs::exists(out)) // no half-written file either
    for (const auto& entry : fs::directory_iterator(out))
      FAIL_CHECK("left behind: " << entry.path());
  CHECK(node.stop() == 0);
}
