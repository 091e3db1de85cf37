// tagd_bench: generates the benchmark data at N users, imports it into tagd (one thread), builds
// the single-thread CRoaring baseline from the same files, then times every benchmark
// expression on both, requiring exactly equal counts. Prints a table, the import and memory
// figures, and last the geometric mean of the per-expression time ratios tagd/baseline.
// Usage: see usage() below; bench/run builds and runs it.

#include "bench/audience_demo.hpp"
#include "bench/baseline.hpp"
#include "bench/bench_queries.hpp"
#include "bench/bench_schema.hpp"
#include "bench/data_generator.hpp"
#include "bench/measure.hpp"
#include "bench/tagd_setup.hpp"
#include "shards/database.hpp"
#include "shards/partition.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace tagd;
using namespace tagd::bench;
namespace fs = std::filesystem;

namespace {

struct bench_options {
  uint64_t users = 0;
  std::string data_dir; // empty: a fresh temporary directory
  uint64_t seed = 42;
  int runs = 7;
  bool keep = false;
  bool string_keys = false;
  bool two_threads = true; // also time queries on both cores (database_options::threads = 1)
  uint32_t vshards = 0;    // 0: vshard_count_for_keys(users)
};

void usage(const char* message) {
  std::fprintf(stderr,
               "%s\nusage: tagd_bench --users N [--data-dir D] [--seed S] [--runs R] [--keep]\n"
               "                  [--string-keys] [--no-threads2] [--vshards V]\n"
               "  --users N      users to generate (required)\n"
               "  --data-dir D   where the CSV files (D/csv) and the tagd data (D/tagd) go;\n"
               "                 default: a new directory under $TMPDIR or /tmp\n"
               "  --seed S       generator seed (default 42)\n"
               "  --runs R       timed runs per expression after one warm-up (default 7, >= 5)\n"
               "  --keep         keep the generated files and the tagd data directory\n"
               "  --string-keys  string user keys instead of u64\n"
               "  --no-threads2  skip the second query pass on both cores\n"
               "  --vshards V    vshard count instead of vshard_count_for_keys(N), a power of 2\n",
               message);
  std::exit(64);
}

uint64_t number_arg(int& i, int argc, char** argv) {
  if (i + 1 >= argc)
    usage((std::string(argv[i]) + " needs a value").c_str());
  char* end = nullptr;
  const char* text = argv[++i];
  unsigned long long v = std::strtoull(text, &end, 10);
  if (!*text || *end)
    usage((std::string("not a number: ") + text).c_str());
  return v;
}

bench_options parse_args(int argc, char** argv) {
  bench_options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--users")
      o.users = number_arg(i, argc, argv);
    else if (a == "--seed")
      o.seed = number_arg(i, argc, argv);
    else if (a == "--runs")
      o.runs = static_cast<int>(number_arg(i, argc, argv));
    else if (a == "--data-dir") {
      if (++i >= argc)
        usage("--data-dir needs a value");
      o.data_dir = argv[i];
    } else if (a == "--keep")
      o.keep = true;
    else if (a == "--string-keys")
      o.string_keys = true;
    else if (a == "--no-threads2")
      o.two_threads = false;
    else if (a == "--vshards")
      o.vshards = static_cast<uint32_t>(number_arg(i, argc, argv));
    else if (a == "--help" || a == "-h")
      usage("");
    else
      usage(("unknown argument " + a).c_str());
  }
  if (o.users == 0)
    usage("--users N is required");
  if (o.users > UINT32_MAX)
    usage("--users must fit the baseline's 32-bit ids");
  if (o.runs < 5)
    usage("--runs must be at least 5");
  return o;
}

struct timing {
  uint64_t count = 0;
  double median_ms = 0;
};

// Times two evaluations of one expression: one warm-up each, then `runs` rounds that alternate
// them, so that load from other processes falls on both sides alike. Every call of a side must
// return the same count.
std::pair<timing, timing> time_pair(int runs, const std::string& what,
                                    const std::function<uint64_t()>& first,
                                    const std::function<uint64_t()>& second) {
  timing a, b;
  a.count = first();
  b.count = second();
  std::vector<double> a_ms, b_ms;
  for (int r = 0; r < runs; ++r) {
    for (int side = 0; side < 2; ++side) {
      stopwatch clock;
      uint64_t c = side == 0 ? first() : second();
      (side == 0 ? a_ms : b_ms).push_back(clock.milliseconds());
      uint64_t expected = side == 0 ? a.count : b.count;
      if (c != expected)
        throw std::runtime_error(what + (side == 0 ? " (tagd)" : " (baseline)") + " returned " +
                                 std::to_string(c) + " after " + std::to_string(expected));
    }
  }
  a.median_ms = median(a_ms);
  b.median_ms = median(b_ms);
  return {a, b};
}

std::unique_ptr<database> open_database(const std::string& directory, uint32_t vshards,
                                        unsigned threads) {
  database_options options;
  options.vshards = vshards;
  options.no_sync = true;
  options.threads = threads;
  auto db = database::open(directory, options);
  if (!db)
    throw std::runtime_error("opening " + directory + ": " + db.error().to_string());
  if ((*db)->workers().size() != threads)
    throw std::runtime_error("asked for " + std::to_string(threads) + " worker threads, got " +
                             std::to_string((*db)->workers().size()));
  return std::move(*db);
}

std::function<uint64_t()> tagd_estimate(database& db, const std::string& entity,
                                        const std::string& expression) {
  return [&db, entity, expression] {
    query_options at;
    at.now = now_seconds();
    auto n = db.estimate(entity, expression, at);
    if (!n)
      throw std::runtime_error("tagd estimate of '" + expression + "': " + n.error().to_string());
    return *n;
  };
}

struct query_result {
  const bench_query* query = nullptr;
  timing tagd, base;          // threads = 0, interleaved
  timing tagd2, base2;        // both cores (caller + 1 worker), interleaved again
  bool stored_counts = false; // tagd answered from stored value counts, not the vshards
};

// Whether tagd answers the expression from its stored value counts (see docs/performance.md).
bool answered_from_stored_counts(database& db, const std::string& entity,
                                 const std::string& expression) {
  auto parsed = parse_expression(expression);
  if (!parsed)
    throw std::runtime_error("parsing '" + expression + "': " + parsed.error().to_string());
  query_options at;
  at.now = now_seconds();
  auto plan = db.plan(entity, *parsed, at);
  if (!plan)
    throw std::runtime_error("planning '" + expression + "': " + plan.error().to_string());
  auto known = db.count_from_stored_counts(*plan);
  if (!known)
    throw std::runtime_error("stored counts of '" + expression + "': " + known.error().to_string());
  return known->has_value();
}

[[noreturn]] void mismatch(const bench_query& q, const char* what, uint64_t tagd_count,
                           uint64_t baseline_count, const std::string& kept) {
  std::fprintf(stderr,
               "\nCOUNT MISMATCH (%s) in '%s':\n  expression: %s\n  tagd:     %llu\n"
               "  baseline: %llu\nThis is a bug in tagd or in the baseline; the data is kept in "
               "%s\n",
               what, q.name.c_str(), q.expression.c_str(),
               static_cast<unsigned long long>(tagd_count),
               static_cast<unsigned long long>(baseline_count), kept.c_str());
  std::exit(2);
}

int run(const bench_options& o) {
  bool temporary = o.data_dir.empty();
  std::string root = o.data_dir;
  if (temporary) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/tagd-bench-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data()))
      throw std::runtime_error("cannot create a directory from " + pattern);
    root = buffer.data();
  }
  const std::string csv_dir = root + "/csv", tagd_dir = root + "/tagd";
  fs::create_directories(csv_dir);
  fs::remove_all(tagd_dir); // a fresh import every time
  const std::string entity = bench_entity(o.string_keys);
  const uint32_t vshards = o.vshards ? o.vshards : vshard_count_for_keys(o.users);

  std::printf("# tagd benchmark\n\n");
  std::printf("- users: %llu, seed %llu, %s keys, %u vshards (%s), no_sync\n",
              static_cast<unsigned long long>(o.users), static_cast<unsigned long long>(o.seed),
              o.string_keys ? "string" : "u64", vshards,
              o.vshards ? "--vshards" : "vshard_count_for_keys");
  std::printf("- machine: %s, %u cores, %.1f GiB\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), total_memory_gib());
  std::printf("- timing: median of %d runs after 1 warm-up; tagd = database::estimate (parse, "
              "bind, evaluate, count)\n- data: %s\n\n",
              o.runs, root.c_str());
  std::fflush(stdout);

  // ---- data ----
  generator_options g;
  g.users = o.users;
  g.seed = o.seed;
  g.string_keys = o.string_keys;
  uint64_t csv_bytes = 0;
  std::printf(
      "| table | rows | CSV size | generated in | rows/s |\n| --- | ---: | ---: | ---: | ---: |\n");
  for (const generated_file& f : generate_data(g, csv_dir)) {
    csv_bytes += f.bytes;
    std::printf("| %s | %llu | %s | %s s | %s M |\n", f.table.c_str(),
                static_cast<unsigned long long>(f.rows), megabytes(f.bytes).c_str(),
                fixed(f.seconds, 2).c_str(), fixed(f.rows / f.seconds / 1e6, 2).c_str());
  }
  std::printf("\n");
  std::fflush(stdout);

  // ---- tagd import, one thread ----
  auto db = open_database(tagd_dir, vshards, 0);
  if (unsigned threads = process_thread_count(); threads != 1)
    throw std::runtime_error("with database_options::threads = 0 the process runs " +
                             std::to_string(threads) + " threads, expected 1");
  uint64_t rss_before_import = process_rss_bytes();
  tagd_import imported = import_tables(*db, csv_dir, o.string_keys);
  uint64_t rss_after_import = process_rss_bytes();
  disk_usage disk = directory_usage(tagd_dir);
  stored_bitmaps stored = measure_stored_bitmaps(*db, entity);
  std::fprintf(stderr, "tagd import: %.2f s\n", imported.seconds);

  // ---- baseline ----
  std::unique_ptr<baseline> base = baseline::build(csv_dir, o.string_keys);
  std::fprintf(stderr, "baseline build: %.2f s\n", base->build_seconds());
  if (base->users() != o.users)
    throw std::runtime_error("the baseline found " + std::to_string(base->users()) +
                             " users, expected " + std::to_string(o.users));

  // ---- queries ----
  std::vector<query_result> results;
  for (const bench_query& q : bench_queries()) {
    query_result r;
    r.query = &q;
    std::tie(r.tagd, r.base) =
        time_pair(o.runs, "'" + q.name + "'", tagd_estimate(*db, entity, q.expression),
                  [&] { return q.baseline_count(*base); });
    if (r.tagd.count != r.base.count)
      mismatch(q, "threads = 0", r.tagd.count, r.base.count, root);
    r.stored_counts = answered_from_stored_counts(*db, entity, q.expression);
    std::fprintf(stderr, "%-22s %10llu  tagd %8.3f ms  baseline %8.3f ms\n", q.name.c_str(),
                 static_cast<unsigned long long>(r.tagd.count), r.tagd.median_ms, r.base.median_ms);
    results.push_back(r);
  }
  db.reset();
  // Both cores: the calling thread plus one worker, on a second import of the same files (which
  // also times the import on both cores).
  fs::remove_all(tagd_dir);
  auto db2 = open_database(tagd_dir, vshards, 1);
  tagd_import imported2 = import_tables(*db2, csv_dir, o.string_keys);
  std::fprintf(stderr, "tagd import on both cores: %.2f s\n", imported2.seconds);
  if (o.two_threads) {
    for (query_result& r : results) {
      std::tie(r.tagd2, r.base2) = time_pair(o.runs, "'" + r.query->name + "' (2 threads)",
                                             tagd_estimate(*db2, entity, r.query->expression),
                                             [&] { return r.query->baseline_count(*base); });
      if (r.tagd2.count != r.base.count)
        mismatch(*r.query, "2 threads", r.tagd2.count, r.base.count, root);
    }
  }

  // ---- report ----
  std::printf("| # | expression | tagd text |\n| ---: | --- | --- |\n");
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("| %zu | %s | `%s` |\n", i + 1, results[i].query->name.c_str(),
                results[i].query->expression.c_str());
  std::printf("\n| # | expression | count | tagd ms | baseline ms | tagd/baseline |%s\n",
              o.two_threads ? " tagd ms, 2 threads | 2 threads/baseline |" : "");
  std::printf("| ---: | --- | ---: | ---: | ---: | ---: |%s\n",
              o.two_threads ? " ---: | ---: |" : "");
  std::vector<double> ratios, ratios2;
  for (size_t i = 0; i < results.size(); ++i) {
    const query_result& r = results[i];
    double ratio = r.tagd.median_ms / r.base.median_ms;
    ratios.push_back(ratio);
    std::printf("| %zu | %s%s | %llu | %s | %s | %s |", i + 1, r.query->name.c_str(),
                r.stored_counts ? " (stored counts)" : "",
                static_cast<unsigned long long>(r.tagd.count), fixed(r.tagd.median_ms, 4).c_str(),
                fixed(r.base.median_ms, 4).c_str(), fixed(ratio, 2).c_str());
    if (o.two_threads) {
      double ratio2 = r.tagd2.median_ms / r.base2.median_ms;
      ratios2.push_back(ratio2);
      std::printf(" %s | %s |", fixed(r.tagd2.median_ms, 4).c_str(), fixed(ratio2, 2).c_str());
    }
    std::printf("\n");
  }
  // ---- select, export, validate one audience (the AND over 4 tables) ----
  const bench_query& chosen = bench_queries()[7];
  uint64_t chosen_count = chosen.baseline_count(*base);
  audience_figures audience = run_audience_demo(*db2, entity, chosen.expression, chosen_count,
                                                o.users, o.string_keys, root + "/export");
  fs::remove_all(root + "/export");

  double import_ratio = imported.seconds / base->build_seconds();
  double memory_ratio = static_cast<double>(stored.value_bytes) / base->raw_bytes();
  std::printf("\n");
  std::printf("import: tagd %s s for %llu rows (%s M rows/s, threads = 0); baseline build %s s; "
              "tagd/baseline %s (target <= 2.0)\n",
              fixed(imported.seconds, 2).c_str(), static_cast<unsigned long long>(imported.rows),
              fixed(imported.rows / imported.seconds / 1e6, 2).c_str(),
              fixed(base->build_seconds(), 2).c_str(), fixed(import_ratio, 2).c_str());
  std::printf("import on both cores (1 worker + the caller): tagd %s s (%s M rows/s); "
              "tagd/baseline %s\n",
              fixed(imported2.seconds, 2).c_str(),
              fixed(imported2.rows / imported2.seconds / 1e6, 2).c_str(),
              fixed(imported2.seconds / base->build_seconds(), 2).c_str());
  for (const import_report& r : imported.reports)
    std::printf("  import %s: %llu rows, %llu keys, %s s\n", r.table.c_str(),
                static_cast<unsigned long long>(r.rows_loaded),
                static_cast<unsigned long long>(r.keys), fixed(r.seconds, 2).c_str());
  std::printf("disk: tagd data directory %s allocated (%s apparent); CSV input %s\n",
              megabytes(disk.allocated).c_str(), megabytes(disk.apparent).c_str(),
              megabytes(csv_bytes).c_str());
  std::printf(
      "memory: tagd resident bitmaps %s = sum of the LMDB values of the vshards' "
      "`bitmaps` databases (%llu values holding %llu non-empty bitmaps, whose portable "
      "size is %s); baseline raw roaring %s (%llu bitmaps, portable size after "
      "run_optimize); tagd/baseline %s (target <= 1.3)\n",
      megabytes(stored.value_bytes).c_str(), static_cast<unsigned long long>(stored.lmdb_values),
      static_cast<unsigned long long>(stored.bitmaps), megabytes(stored.portable_bytes).c_str(),
      megabytes(base->raw_bytes()).c_str(), static_cast<unsigned long long>(base->bitmap_count()),
      fixed(memory_ratio, 2).c_str());
  std::printf(
      "memory: process RSS grew %s during the tagd import; %s at the end, peak %s\n",
      megabytes(rss_after_import > rss_before_import ? rss_after_import - rss_before_import : 0)
          .c_str(),
      megabytes(process_rss_bytes()).c_str(), megabytes(process_peak_rss_bytes()).c_str());
  std::printf(
      "\naudience '%s' (2 threads): %llu members; select %s ms; export %s ms "
      "(%s); %llu membership probes, every answer checked against the export: "
      "single contains p50 %s us, batches of 1000 %s M keys/s\n",
      chosen.name.c_str(), static_cast<unsigned long long>(audience.members),
      fixed(audience.select_ms, 1).c_str(), fixed(audience.export_ms, 1).c_str(),
      megabytes(audience.export_bytes).c_str(), static_cast<unsigned long long>(audience.probes),
      fixed(audience.single_p50_us, 1).c_str(), fixed(audience.batch_keys_per_s / 1e6, 2).c_str());
  // Queries answered from stored counts cost tagd a lookup: show the mean without them too.
  std::vector<double> evaluated;
  for (size_t i = 0; i < results.size(); ++i)
    if (!results[i].stored_counts)
      evaluated.push_back(ratios[i]);
  std::printf("geo-mean ratio tagd/baseline of the %zu queries evaluated on the vshards (not "
              "answered from stored counts): %s\n",
              evaluated.size(), fixed(geometric_mean(evaluated), 2).c_str());
  if (o.two_threads)
    std::printf("geo-mean ratio tagd(2 threads)/baseline: %s\n",
                fixed(geometric_mean(ratios2), 2).c_str());
  std::printf("geo-mean ratio tagd/baseline: %s\n", fixed(geometric_mean(ratios), 2).c_str());
  std::fflush(stdout);

  base.reset();
  if (o.keep) {
    std::fprintf(stderr, "kept %s (csv/ and tagd/)\n", root.c_str());
  } else {
    fs::remove_all(csv_dir);
    fs::remove_all(tagd_dir);
    if (temporary)
      fs::remove_all(root);
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  bench_options options = parse_args(argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tagd_bench: %s\n", e.what());
    return 1;
  }
}
