// Several clients at once, mixing imports, estimates and validations: every answer exact.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <atomic>
#include <thread>

using namespace tagd;
using namespace tagd::testing;

TEST_CASE("concurrent clients get exact answers while versions switch", "[e2e]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "8"});
  REQUIRE_FALSE(node.exited());
  auto stable = make_people(8000);
  auto version_a = make_people(3000, 1), version_b = make_people(4000, 2);
  write_text(dir / "stable.csv", people_csv(stable));
  write_text(dir / "a.csv", people_csv(version_a));
  write_text(dir / "b.csv", people_csv(version_b));
  {
    client::connection setup(node.address());
    setup.define_table(people_table());
    client::table_def other = people_table("moving");
    for (auto& column : other.columns) { // the same file columns feed tags of other names
      column.column = column.tag;
      column.tag = "m_" + column.tag;
    }
    setup.define_table(other);
    setup.import_file(dir / "stable.csv", "people", "v1");
    setup.import_file(dir / "a.csv", "moving", "a0");
    setup.select("vips", "vip");
  }
  const uint64_t adults = count_if(stable, [](const person& p) { return p.age >= 18; });
  const uint64_t moving_a = count_if(version_a, [](const person& p) { return p.vip; });
  const uint64_t moving_b = count_if(version_b, [](const person& p) { return p.vip; });
  std::vector<std::string> probes;
  std::vector<bool> truth;
  for (const person& p : stable) {
    probes.push_back(std::to_string(p.key));
    truth.push_back(p.vip);
  }

  std::atomic<int> wrong{0}, failed{0};
  std::atomic<bool> importing{true};
  std::thread importer([&] {
    try {
      client::connection tagd(node.address());
      for (int i = 0; i < 6; ++i)
        tagd.import_file(dir / (i % 2 ? "a.csv" : "b.csv"), "moving", "v" + std::to_string(i));
    } catch (const std::exception&) {
      ++failed;
    }
    importing = false;
  });
  auto reader = [&](int id) {
    try {
      client::connection tagd(node.address());
      int rounds = 0;
      while (importing || rounds < 5) {
        ++rounds;
        if (tagd.estimate("age >= 18").count != adults)
          ++wrong;
        uint64_t m = tagd.estimate("m_vip").count;
        if (m != moving_a && m != moving_b)
          ++wrong;
        size_t at = (rounds * 131 + id * 17) % probes.size();
        if (tagd.contains("vips", probes[at]) != truth[at])
          ++wrong;
        if (rounds % 5 == 0 && tagd.contains_many("vips", probes) != truth)
          ++wrong;
      }
    } catch (const std::exception&) {
      ++failed;
    }
  };
  std::vector<std::thread> readers;
  for (int id = 0; id < 3; ++id)
    readers.emplace_back(reader, id);
  importer.join();
  for (auto& t : readers)
    t.join();
  CHECK(failed == 0);
  CHECK(wrong == 0);
}
