#pragma once
// Data and expectations shared by the end-to-end tests: a generated people table whose every
// answer the tests compute on their own, and a client connected to a tagd process.

#include "client/tagd_client.hpp"
#include "e2e/tagd_process.hpp"

#include <cstdint>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace tagd::testing {

struct person {
  uint64_t key;
  std::string city; // c0..c6
  int age;          // 0..89
  bool vip;
};

// n people with keys spread over the u64 space; deterministic.
inline std::vector<person> make_people(uint64_t n, uint64_t salt = 0) {
  std::vector<person> people;
  for (uint64_t i = 1; i <= n; ++i) {
    uint64_t k = (i + salt) * 0x9E3779B97F4A7C15ull;
    people.push_back({k, "c" + std::to_string((i + salt) % 7),
                      static_cast<int>((i * 7 + salt) % 90), (i + salt) % 5 == 0});
  }
  return people;
}

inline std::string people_csv(const std::vector<person>& people) {
  std::string csv = "id,city,age,vip\n";
  for (const person& p : people)
    csv += std::to_string(p.key) + "," + p.city + "," + std::to_string(p.age) + "," +
           (p.vip ? "true" : "false") + "\n";
  return csv;
}

inline uint64_t count_if(const std::vector<person>& people,
                         const std::function<bool(const person&)>& match) {
  uint64_t n = 0;
  for (const person& p : people)
    n += match(p);
  return n;
}

inline client::table_def people_table(const std::string& name = "people") {
  client::table_def def;
  def.name = name;
  def.key_column = "id";
  def.columns = {{"city", "", client::tag_kind::enum_},
                 {"age", "", client::tag_kind::int_},
                 {"vip", "", client::tag_kind::bool_}};
  return def;
}

// A real-time table keyed by `id` with one tag.
inline client::table_def live_table(const std::string& tag, client::tag_kind kind) {
  client::table_def def;
  def.name = "live";
  def.key_column = "id";
  def.mode = client::table_mode::realtime;
  def.columns = {{tag, "", kind}};
  return def;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

// Runs `call`, which must throw client::error with `code`; returns the message.
template <class F>
std::string expect_error(const std::string& code, F&& call) {
  try {
    call();
  } catch (const client::error& e) {
    INFO(e.what());
    CHECK(e.code() == code);
    return e.message();
  }
  FAIL("expected error " << code << ", but the call succeeded");
  return "";
}

// Defines people_table() on the node at `address` and imports `people` into it as version
// `label`, written first to the CSV file `csv_path`.
inline void load_people(const std::string& address, const std::string& csv_path,
                        const std::vector<person>& people, const std::string& label = "v1") {
  client::connection tagd(address);
  write_text(csv_path, people_csv(people));
  tagd.define_table(people_table());
  tagd.import_file(csv_path, "people", label);
}

} // namespace tagd::testing
