#include "bench/audience_demo.hpp"

#include "bench/data_generator.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>
#include <unordered_set>

namespace tagd::bench {

namespace {
using clock_type = std::chrono::steady_clock;
double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}
template <class T>
T checked(result<T> r, const std::string& what) {
  if (!r)
    throw std::runtime_error(what + ": " + r.error().to_string());
  return std::move(r).value();
}
} // namespace

audience_figures run_audience_demo(database& db, const std::string& entity,
                                   const std::string& expression, uint64_t expected_members,
                                   uint64_t users, bool string_keys,
                                   const std::string& export_directory) {
  audience_figures figures;
  figures.expression = expression;
  const std::string group = "bench_audience";
  if (!db.snapshot()->find_group(group)) {
    status defined = db.define_group(group, entity);
    if (!defined)
      throw std::runtime_error("define_group: " + defined.to_string());
  }
  auto start = clock_type::now();
  group_version_info selected = checked(db.select(group, expression), "select");
  figures.select_ms = ms_since(start);
  figures.members = selected.count;
  if (selected.count != expected_members)
    throw std::runtime_error("select stored " + std::to_string(selected.count) +
                             " members, the baseline counts " + std::to_string(expected_members));

  start = clock_type::now();
  export_report exported =
      checked(db.export_group(group, selected.version, export_directory), "export");
  figures.export_ms = ms_since(start);
  // The exported files, read back, are the member list the checks below trust.
  std::unordered_set<std::string> members;
  for (const auto& part : exported.parts) {
    std::ifstream in(part.path);
    for (std::string line; std::getline(in, line);) {
      figures.export_bytes += line.size() + 1;
      members.insert(line);
    }
  }
  if (members.size() != expected_members || exported.count != expected_members)
    throw std::runtime_error("export wrote " + std::to_string(members.size()) +
                             " distinct keys, expected " + std::to_string(expected_members));

  // Probes: every exported member plus as many random users (mostly non-members).
  std::vector<std::string> probes(members.begin(), members.end());
  std::mt19937_64 rng(7);
  for (size_t i = 0, n = probes.size(); i < std::max<size_t>(n, 1000); ++i) {
    uint64_t key = user_key(1 + rng() % users);
    probes.push_back(string_keys ? string_key(key) : std::to_string(key));
  }
  std::shuffle(probes.begin(), probes.end(), rng);
  figures.probes = probes.size();

  std::vector<double> single_us;
  for (size_t i = 0; i < std::min<size_t>(probes.size(), 20000); ++i) {
    auto t = clock_type::now();
    bool in = checked(db.contains(group, selected.version, probes[i]), "contains");
    single_us.push_back(ms_since(t) * 1000);
    if (in != (members.count(probes[i]) > 0))
      throw std::runtime_error("contains(" + probes[i] + ") answered " + (in ? "yes" : "no") +
                               ", the export says otherwise");
  }
  std::nth_element(single_us.begin(), single_us.begin() + single_us.size() / 2, single_us.end());
  figures.single_p50_us = single_us[single_us.size() / 2];

  start = clock_type::now();
  for (size_t at = 0; at < probes.size(); at += 1000) {
    std::vector<std::string> batch(probes.begin() + at,
                                   probes.begin() + std::min(probes.size(), at + 1000));
    std::vector<bool> answers = checked(db.contains_many(group, selected.version, batch), "batch");
    for (size_t i = 0; i < batch.size(); ++i)
      if (answers[i] != (members.count(batch[i]) > 0))
        throw std::runtime_error("contains_many disagrees with the export on " + batch[i]);
  }
  figures.batch_keys_per_s = probes.size() / (ms_since(start) / 1000);
  return figures;
}

} // namespace tagd::bench
