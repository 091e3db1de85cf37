// tagctl, the command-line client, run as a process against a real tagd: what it prints and its
// exit status (0 success; 1 an error from the node or a file, "error: CODE: message" on stderr;
// 2 a usage error). Expected output is computed from the generated people.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <fcntl.h>
#include <filesystem>
#include <map>
#include <sstream>

#ifndef TAGCTL_BINARY
#error "TAGCTL_BINARY must name the tagctl executable"
#endif

using namespace tagd;
using namespace tagd::testing;

namespace {

struct run_result {
  int status = -1;
  std::string out, err;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs tagctl with `args`, `input` on standard input and TAGD_CONNECT set to `connect_env`
// (unset if empty); scratch files go to `scratch`.
run_result tagctl(const temp_dir& scratch, const std::vector<std::string>& args,
                  const std::string& input = "", const std::string& connect_env = "") {
  static int runs = 0;
  std::string base = scratch / ("run-" + std::to_string(runs++));
  write_text(base + ".in", input);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = ::open((base + ".in").c_str(), O_RDONLY);
    int out = ::open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0)
      ::_exit(126);
    if (connect_env.empty())
      ::unsetenv("TAGD_CONNECT");
    else
      ::setenv("TAGD_CONNECT", connect_env.c_str(), 1);
    std::vector<std::string> all = {TAGCTL_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  run_result r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(base + ".out");
  r.err = read_text(base + ".err");
  return r;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// 1234567 -> "1,234,567", as tagctl prints counts.
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

} // namespace

TEST_CASE("tagctl: usage errors exit 2, without a node", "[e2e][tagctl]") {
  temp_dir dir;
  const std::string nowhere = "127.0.0.1:1";
  auto help = tagctl(dir, {"--help"});
  CHECK(help.status == 0);
  CHECK(starts_with(help.out, "usage: tagctl [global options] COMMAND"));
  auto command_help = tagctl(dir, {"estimate", "--help"});
  CHECK(command_help.status == 0);
  CHECK(starts_with(command_help.out, "usage: tagctl [global options] estimate EXPR [options]"));

  auto bare = tagctl(dir, {});
  CHECK(bare.status == 2);
  CHECK(bare.out.empty());
  CHECK(starts_with(bare.err, "usage: tagctl"));
  auto unknown = tagctl(dir, {"nope"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "error: INVALID_ARGUMENT: unknown command 'nope' (see 'tagctl --help')\n");
  auto missing = tagctl(dir, {"-c", nowhere, "estimate"});
  CHECK(missing.status == 2);
  CHECK(missing.err == "error: INVALID_ARGUMENT: estimate takes EXPR, not 0 arguments (see "
                       "'tagctl estimate --help')\n");
  auto bogus = tagctl(dir, {"-c", nowhere, "estimate", "x", "--bogus"});
  CHECK(bogus.status == 2);
  CHECK(starts_with(bogus.err, "error: INVALID_ARGUMENT: "));
  CHECK(bogus.err.find("--bogus") != std::string::npos);
  auto deadline = tagctl(dir, {"-c", nowhere, "--deadline-ms", "soon", "ping"});
  CHECK(deadline.status == 2);
  CHECK(deadline.err == "error: INVALID_ARGUMENT: --deadline-ms 'soon': expected milliseconds\n");
  auto kind = tagctl(dir, {"-c", nowhere, "define-table", "t", "--column", "a:float"});
  CHECK(kind.status == 2);
  CHECK(starts_with(kind.err, "error: INVALID_ARGUMENT: "));
  CHECK(kind.err.find("unknown kind 'float'") != std::string::npos);
  // None of these got as far as connecting: nothing listens on port 1.
  auto refused = tagctl(dir, {"-c", nowhere, "ping"});
  CHECK(refused.status == 1);
  CHECK(starts_with(refused.err, "error: UNAVAILABLE: cannot connect to " + nowhere + ": "));
}

TEST_CASE("tagctl: every command against a real node, output and exit status", "[e2e][tagctl]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  const std::string address = node.address();
  client::connection library(node.address()); // reads the catalog independently of tagctl
  auto t = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--connect", address});
    return tagctl(dir, args, input);
  };

  auto pong = tagctl(dir, {"ping"}, "", address); // the address from TAGD_CONNECT
  CHECK(pong.status == 0);
  CHECK(starts_with(pong.out, "pong from " + address + " in "));

  auto defined = t({"define-table", "people", "--key-column", "id", "--column", "city:enum",
                    "--column", "age:int", "--column", "vip:bool"});
  CHECK(defined.status == 0);
  CHECK(defined.out == "defined table people (catalog version " +
                           std::to_string(library.catalog().version) + ")\n");
  auto twice = t({"define-table", "people", "--column", "a:int"});
  CHECK(twice.status == 1);
  CHECK(twice.err == "error: ALREADY_EXISTS: table 'people' exists\n");

  // Two files, the second gzipped; a.csv's last line (1 + 1000 + 1) is a bad row.
  auto people = make_people(2000);
  std::vector<person> first(people.begin(), people.begin() + 1000),
      second(people.begin() + 1000, people.end());
  write_text(dir / "a.csv", people_csv(first) + "x,c1,5,true\n");
  std::string second_csv = people_csv(second);
  gzFile gz = gzopen((dir / "b.csv.gz").c_str(), "wb");
  REQUIRE(gz != nullptr);
  gzwrite(gz, second_csv.data(), static_cast<unsigned>(second_csv.size()));
  gzclose(gz);
  auto imported = t({"import", "people", "v1", dir / "a.csv", dir / "b.csv.gz"});
  CHECK(imported.status == 0);
  auto lines = lines_of(imported.out);
  REQUIRE(lines.size() == 3);
  CHECK(starts_with(lines[0], "loaded 2,000 rows into people version v1 (storage "));
  CHECK(lines[0].find("): 2,000 keys, 2,001 rows read, 1 rejected; ") != std::string::npos);
  CHECK(lines[1] == "rejected rows (1 of 1):");
  CHECK(starts_with(lines[2], "  " + dir / "a.csv" + ":1002: "));
  auto from_stdin = t({"import", "people", "v2", "-"}, people_csv(people));
  CHECK(from_stdin.status == 0);
  CHECK(starts_with(from_stdin.out, "loaded 2,000 rows into people version v2 (storage "));
  auto no_file = t({"import", "people", "v3", dir / "missing.csv"});
  CHECK(no_file.status == 1);
  CHECK(no_file.err ==
        "error: IO_ERROR: cannot open " + dir / "missing.csv" + ": No such file or directory\n");
  auto no_table = t({"import", "nope", "v1", dir / "a.csv"});
  CHECK(no_table.status == 1);
  CHECK(no_table.err == "error: NOT_FOUND: no table 'nope'\n");

  auto adult = [](const person& p) { return p.age >= 18; };
  auto estimated = t({"estimate", "age >= 18"});
  CHECK(estimated.status == 0);
  CHECK(estimated.out == std::to_string(count_if(people, adult)) + "\n");
  auto as_json = t({"--json", "estimate", "city = 'c3' AND vip"});
  CHECK(as_json.status == 0);
  CHECK(nlohmann::json::parse(as_json.out)["count"] ==
        count_if(people, [](const person& p) { return p.city == "c3" && p.vip; }));
  auto bad = t({"estimate", "age >= "});
  CHECK(bad.status == 1);
  CHECK(starts_with(bad.err, "error: INVALID_EXPRESSION: "));
  auto by_city = t({"--json", "breakdown", "vip", "city"});
  CHECK(by_city.status == 0);
  std::map<std::string, uint64_t> counted, expected_by_city;
  auto breakdown = nlohmann::json::parse(by_city.out);
  for (const auto& entry : breakdown["entries"])
    if (entry["count"].get<uint64_t>() > 0)
      counted[entry["value"].get<std::string>()] = entry["count"].get<uint64_t>();
  for (const person& p : people)
    if (p.vip)
      ++expected_by_city[p.city];
  CHECK(counted == expected_by_city);

  std::set<std::string> adults;
  for (const person& p : people)
    if (adult(p))
      adults.insert(std::to_string(p.key));
  auto selected = t({"select", "adults", "age >= 18"});
  CHECK(selected.status == 0);
  CHECK(selected.out == "group adults version 1: " + grouped(adults.size()) + " members\n");

  std::string upload_keys;
  for (size_t i = 0; i < 1000; ++i)
    upload_keys += std::to_string(people[i].key) + "\n";
  upload_keys += "5\n6\n"; // unknown to the node
  write_text(dir / "keys", upload_keys);
  auto uploaded = t({"upload", "picked", dir / "keys"});
  CHECK(uploaded.status == 0);
  auto upload_lines = lines_of(uploaded.out);
  REQUIRE(upload_lines.size() == 2);
  CHECK(upload_lines[0] == "group picked version 1: 1,000 members");
  CHECK(starts_with(upload_lines[1], "2 keys unknown to the node, e.g."));

  auto exported = t({"export", "adults", "--out", dir / "out"});
  CHECK(exported.status == 0);
  CHECK(starts_with(exported.out, "exported group adults version 1: " + grouped(adults.size()) +
                                      " keys in 4 files ("));
  std::set<std::string> in_files;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "out"))
    if (entry.path().extension() == ".csv")
      for (const auto& key : lines_of(read_text(entry.path().string())))
        in_files.insert(key);
  CHECK(in_files == adults);
  CHECK(nlohmann::json::parse(read_text(dir / "out/manifest.json"))["count"] == adults.size());

  const person* young = nullptr;
  const person* grown = nullptr;
  for (const person& p : people)
    (adult(p) ? grown : young) = &p;
  REQUIRE(young != nullptr);
  REQUIRE(grown != nullptr);
  CHECK(t({"contains", "adults", std::to_string(grown->key)}).out == "true\n");
  CHECK(t({"contains", "adults", std::to_string(young->key)}).out == "false\n");
  auto no_group = t({"contains", "nope", "1"});
  CHECK(no_group.status == 1);
  CHECK(no_group.err == "error: NOT_FOUND: no group 'nope'\n");
  // "-5" after "--" is a key (which the node refuses: 1), before it an unknown option (2).
  auto negative = t({"contains", "adults", "--", "-5"});
  CHECK(negative.status == 1);
  CHECK(starts_with(negative.err, "error: INVALID_ARGUMENT: "));
  CHECK(t({"contains", "adults", "-5"}).status == 2);

  std::string probes, answers;
  for (size_t i = 0; i < people.size(); i += 7) {
    std::string key = std::to_string(people[i].key);
    probes += key + "\n";
    answers += key + (adults.count(key) ? ",true\n" : ",false\n");
  }
  probes += "12\n";
  answers += "12,false\n";
  write_text(dir / "probes", probes);
  auto many = t({"contains-many", "adults", dir / "probes"});
  CHECK(many.status == 0);
  CHECK(many.out == answers);
  auto many_stdin = t({"contains-many", "adults"}, probes);
  CHECK(many_stdin.status == 0);
  CHECK(many_stdin.out == answers);

  auto groups = t({"groups-of", std::to_string(people[0].key)});
  CHECK(groups.status == 0);
  auto group_lines = lines_of(groups.out);
  std::set<std::string> expected_groups = {"picked"};
  if (adult(people[0]))
    expected_groups.insert("adults");
  CHECK(std::set<std::string>(group_lines.begin(), group_lines.end()) == expected_groups);
  CHECK(group_lines.size() == expected_groups.size());
}
