// tagd reads its settings from an INI file given with --config; the command line wins.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

using namespace tagd;
using namespace tagd::testing;

TEST_CASE("settings come from the config file unless the command line sets them", "[e2e]") {
  temp_dir dir;
  write_text(dir / "tagd.ini", "# a comment\nvshards = 2\nmax-batch-keys = 10\nno-sync = true\n");
  tagd_process node(dir / "data", {"--config", dir / "tagd.ini", "--max-batch-keys", "20"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  CHECK(tagd.status().vshards == 2); // from the file
  auto people = make_people(100);
  write_text(dir / "people.csv", people_csv(people));
  tagd.define_table(people_table());
  tagd.import_file(dir / "people.csv", "people", "v1");
  tagd.select("all", "age >= 0");
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i)
    keys.push_back(std::to_string(people[i].key));
  CHECK(tagd.contains_many("all", keys) == std::vector<bool>(20, true)); // 20 from the command line
  keys.push_back(std::to_string(people[20].key));
  expect_error("TOO_LARGE", [&] { tagd.contains_many("all", keys); });
}

TEST_CASE("a bad option or config file stops tagd with a message", "[e2e]") {
  temp_dir dir;
  tagd_process unknown(dir / "a", {"--no-such-option"});
  CHECK(unknown.exited());
  CHECK(unknown.exit_code() == 2);
  tagd_process odd(dir / "b", {"--vshards", "3"});
  CHECK(odd.exited());
  CHECK(odd.exit_code() == 2);
  write_text(dir / "bad.ini", "vshards = many\n");
  tagd_process bad_file(dir / "c", {"--config", dir / "bad.ini"});
  CHECK(bad_file.exited());
  CHECK(bad_file.exit_code() == 2);
  tagd_process missing(dir / "d", {"--config", dir / "missing.ini"});
  CHECK(missing.exited());
  CHECK(missing.exit_code() == 2);
}
