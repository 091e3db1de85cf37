// tagd_rpc_bench: the benchmark of issue 4, tagd measured through its client library against a
// real `tagd` process (docs/performance.md, "Over RPC (issue 4)"). Three parts, all by default:
//   --estimation  the 15 benchmark expressions estimated over RPC against the in-process
//                 single-thread CRoaring baseline, and the per-request floor (ping vs an empty
//                 estimate that still fans out to every vshard);
//   --import      the four benchmark files imported over RPC vs database::import_files in-process;
//   --validation  membership of single keys, 32 requests in flight and batches, against Redis
//                 (GETBIT on one bitmap) over the same member ids.
// Every count and every membership answer is checked; a wrong one prints COUNT MISMATCH or
// ANSWER MISMATCH and exits with status 2. Usage: see usage() below; bench/rpc_run builds and
// runs it.

#include "bench/baseline.hpp"
#include "bench/bench_queries.hpp"
#include "bench/bench_schema.hpp"
#include "bench/data_generator.hpp"
#include "bench/measure.hpp"
#include "bench/tagd_setup.hpp"
#include "client/tagd_client.hpp"
#include "shards/database.hpp"
#include "shards/partition.hpp"

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef TAGD_BINARY
#error "TAGD_BINARY must name the tagd executable"
#endif

namespace tagd::bench {
namespace {

namespace fs = std::filesystem;
namespace tc = tagd::client;

struct rpc_bench_options {
  bool estimation = false; // the parts; none named on the command line: all three
  bool import = false;
  bool validation = false;
  uint64_t users = 10000000;
  uint64_t seed = 42;
  uint64_t runs = 7;
  uint64_t import_rounds = 1;
  uint64_t overhead_calls = 2000;
  uint64_t ids = 100000000;
  uint64_t member_every = 10;
  uint64_t latency_probes = 20000;
  uint64_t in_flight_calls = 200000;
  uint64_t batch_keys = 2000000;
  uint64_t request_keys = 1000;
  uint64_t throughput_rounds = 3;
  std::string data_dir;
  bool keep = false;
  std::string tagd_binary = TAGD_BINARY;
  std::string redis_server = "redis-server";
};

void usage(const char* message) {
  std::fprintf(
      stderr,
      "%s\nusage: tagd_rpc_bench [--estimation] [--import] [--validation] [options]\n"
      "  parts (none named: all three)\n"
      "  --estimation         the 15 expressions over RPC vs the CRoaring baseline, and the\n"
      "                       per-request floor (ping vs an empty estimate)\n"
      "  --import             the four files imported over RPC vs in-process\n"
      "  --validation         contains / 32 in flight / contains_many vs Redis GETBIT\n"
      "  estimation and import\n"
      "  --users N            users to generate (default 10000000)\n"
      "  --seed S             generator and probe seed (default 42)\n"
      "  --runs R             timed rounds per expression after one warm-up (default 7, >= 3)\n"
      "  --import-rounds K    imports of each side, alternating (default 1)\n"
      "  --overhead-calls C   ping and empty-estimate calls each (default 2000)\n"
      "  validation\n"
      "  --ids I              member ids are every k-th integer of 1..I (default 100000000)\n"
      "  --member-every k     (default 10)\n"
      "  --latency-probes P   single-key calls per side (default 20000)\n"
      "  --in-flight-calls C  calls per round with 32 in flight (default 200000)\n"
      "  --batch-keys B       keys per batched round (default 2000000)\n"
      "  --request-keys K     keys per contains_many request of the client (default 1000)\n"
      "  --throughput-rounds T  alternating rounds of each throughput test (default 3)\n"
      "  general\n"
      "  --data-dir D         where files and data directories go; default: a new directory\n"
      "                       under $TMPDIR or /tmp, removed at the end\n"
      "  --keep               keep D\n"
      "  --tagd PATH          the tagd binary (default: the one built with this program)\n"
      "  --redis-server PATH  (default: redis-server from PATH)\n",
      message);
  std::exit(64);
}

// The value after argv[i] (which it steps over).
const char* value_arg(int& i, int argc, char** argv) {
  if (i + 1 >= argc)
    usage((std::string(argv[i]) + " needs a value").c_str());
  return argv[++i];
}

rpc_bench_options parse_args(int argc, char** argv) {
  rpc_bench_options o;
  const std::map<std::string, bool*> switches = {{"--estimation", &o.estimation},
                                                 {"--import", &o.import},
                                                 {"--validation", &o.validation},
                                                 {"--keep", &o.keep}};
  const std::map<std::string, uint64_t*> numbers = {{"--users", &o.users},
                                                    {"--seed", &o.seed},
                                                    {"--runs", &o.runs},
                                                    {"--import-rounds", &o.import_rounds},
                                                    {"--overhead-calls", &o.overhead_calls},
                                                    {"--ids", &o.ids},
                                                    {"--member-every", &o.member_every},
                                                    {"--latency-probes", &o.latency_probes},
                                                    {"--in-flight-calls", &o.in_flight_calls},
                                                    {"--batch-keys", &o.batch_keys},
                                                    {"--request-keys", &o.request_keys},
                                                    {"--throughput-rounds", &o.throughput_rounds}};
  const std::map<std::string, std::string*> texts = {
      {"--data-dir", &o.data_dir}, {"--tagd", &o.tagd_binary}, {"--redis-server", &o.redis_server}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (auto s = switches.find(a); s != switches.end()) {
      *s->second = true;
    } else if (auto n = numbers.find(a); n != numbers.end()) {
      const char* text = value_arg(i, argc, argv);
      auto [end, ec] = std::from_chars(text, text + std::strlen(text), *n->second);
      if (!*text || ec != std::errc() || *end)
        usage((a + " takes a number, not " + text).c_str());
    } else if (auto t = texts.find(a); t != texts.end()) {
      *t->second = value_arg(i, argc, argv);
    } else {
      usage(a == "--help" || a == "-h" ? "" : ("unknown argument " + a).c_str());
    }
  }
  if (!o.estimation && !o.import && !o.validation)
    o.estimation = o.import = o.validation = true;
  if (o.users == 0 || o.users > UINT32_MAX)
    usage("--users must be 1 .. 2^32-1 (the baseline's ids are 32-bit)");
  if (o.runs < 3 || o.import_rounds < 1 || o.overhead_calls < 1 || o.throughput_rounds < 1)
    usage("--runs must be at least 3; --import-rounds, --overhead-calls and "
          "--throughput-rounds at least 1");
  if (o.member_every == 0 || o.ids < o.member_every)
    usage("--member-every must be 1 .. --ids");
  if (o.ids > UINT32_MAX)
    usage("--ids must fit a Redis bitmap (2^32 bits)");
  if (o.latency_probes == 0 || o.in_flight_calls < 32 || o.batch_keys == 0 || o.request_keys == 0)
    usage("--latency-probes, --batch-keys and --request-keys must be positive, "
          "--in-flight-calls at least 32");
  return o;
}

// ---- failures that end the run with status 2 ----

struct wrong_answer : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void count_mismatch(const std::string& what, const std::string& expression,
                                 uint64_t tagd_count, uint64_t baseline_count) {
  throw wrong_answer("COUNT MISMATCH (" + what + "):\n  expression: " + expression +
                     "\n  tagd:     " + std::to_string(tagd_count) +
                     "\n  baseline: " + std::to_string(baseline_count));
}

[[noreturn]] void answer_mismatch(const std::string& who, const std::string& id, bool answer) {
  throw wrong_answer("ANSWER MISMATCH: " + who + " says id " + id + (answer ? " is" : " is not") +
                     " a member; the generator says the opposite");
}

// ---- numbers ----

// The value below which a share `p` of the sorted samples lies (nearest rank).
double percentile(std::vector<double> samples, double p) {
  if (samples.empty())
    return 0;
  std::sort(samples.begin(), samples.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(samples.size())));
  return samples[std::min(samples.size(), std::max<size_t>(rank, 1)) - 1];
}

struct latency {
  double p50_us = 0;
  double p99_us = 0;
};

latency latency_of(const std::vector<double>& us) {
  return {percentile(us, 0.50), percentile(us, 0.99)};
}

double microseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string met(bool ok) {
  return ok ? "met" : "NOT met";
}

// User plus system CPU time of a process (all its threads) from /proc/<pid>/stat ("self" for
// this one); clock ticks of 10 ms, so only meaningful over seconds.
double cpu_seconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t name_end = stat.rfind(')'); // the command name may hold spaces
  if (name_end == std::string::npos)
    return 0;
  std::istringstream fields(stat.substr(name_end + 2));
  std::vector<std::string> f((std::istream_iterator<std::string>(fields)),
                             std::istream_iterator<std::string>());
  if (f.size() < 13)
    return 0;
  // After the name: state is field 3 of the file, utime 14 and stime 15.
  return static_cast<double>(std::stoull(f[11]) + std::stoull(f[12])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU time spent by a server process and by this process over some operations.
struct cpu_account {
  double server_seconds = 0;
  double client_seconds = 0;
  uint64_t operations = 0;

  // Runs `work` (which returns its rate) and adds what both processes spent meanwhile.
  double measure(const std::string& server_pid, uint64_t operations_done,
                 const std::function<double()>& work) {
    double server = cpu_seconds(server_pid), client = cpu_seconds("self");
    double rate = work();
    server_seconds += cpu_seconds(server_pid) - server;
    client_seconds += cpu_seconds("self") - client;
    operations += operations_done;
    return rate;
  }
  std::string server_us() const { return fixed(server_seconds * 1e6 / operations, 2); }
  std::string client_us() const { return fixed(client_seconds * 1e6 / operations, 2); }
};

// ---- child processes: tagd and redis-server ----

// A process started from `args` (args[0] looked up in PATH when it has no slash), its standard
// output sent to `output` (a file) or, when that is empty, to our standard error. It gets SIGTERM
// if this program dies first; the destructor stops it.
class child_process {
 public:
  child_process(const std::vector<std::string>& args, const std::string& output) {
    // Everything the child needs is prepared before fork: it only calls dup2 and exec.
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int out = output.empty()
                  ? STDERR_FILENO
                  : ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
      throw std::runtime_error("cannot write " + output + ": " + std::strerror(errno));
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      ::dup2(out, STDOUT_FILENO);
      if (out != STDERR_FILENO)
        ::dup2(out, STDERR_FILENO);
      ::execvp(argv[0], argv.data());
      const char message[] = "tagd_rpc_bench: exec failed\n";
      ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
      (void)ignored;
      ::_exit(127);
    }
    int fork_errno = errno;
    if (out != STDERR_FILENO)
      ::close(out);
    if (pid_ < 0)
      throw std::runtime_error("fork failed: " + std::string(std::strerror(fork_errno)));
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() { stop(); }

  pid_t pid() const { return pid_; }

  // Whether it still runs; once it has exited, `exit_description` says how.
  bool running() {
    if (pid_ <= 0)
      return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_)
      return true;
    pid_ = -1;
    exit_description_ = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                          : "signal " + std::to_string(WTERMSIG(status));
    return false;
  }
  const std::string& exit_description() const { return exit_description_; }

  // SIGTERM, then SIGKILL if it has not exited within `grace`.
  void stop(std::chrono::seconds grace = std::chrono::seconds(20)) {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGTERM);
    auto give_up = std::chrono::steady_clock::now() + grace;
    while (running() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // VmRSS from /proc/<pid>/status; 0 if unknown.
  uint64_t rss_bytes() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmRSS:", 0) == 0)
        return std::stoull(line.substr(6)) * 1024;
    return 0;
  }

 private:
  pid_t pid_ = -1;
  std::string exit_description_;
};

// A tagd node on a fresh data directory, on a free loopback port.
class tagd_node {
 public:
  tagd_node(const std::string& binary, const std::string& data_dir, uint64_t expected_keys)
      : port_file_(data_dir + ".port") {
    fs::remove_all(data_dir);
    fs::remove(port_file_);
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{binary, "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                                 "--port-file", port_file_, "--no-sync", "--expected-keys",
                                 std::to_string(expected_keys), "--log-level", "warn"},
        "");
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      std::ifstream in(port_file_);
      if (in >> port_ && port_ > 0)
        return;
      if (!process_->running())
        throw std::runtime_error(binary + " stopped before listening (" +
                                 process_->exit_description() + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error(binary + " did not start listening within 60 s");
  }
  ~tagd_node() { fs::remove(port_file_); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint64_t rss_bytes() const { return process_->rss_bytes(); }
  std::string pid() const { return std::to_string(process_->pid()); }

 private:
  std::string port_file_;
  std::unique_ptr<child_process> process_;
  int port_ = 0;
};

// ---- the estimation and import parts ----

tc::table_def client_table_def(const bench_table& table) {
  static const std::map<column_kind, tc::tag_kind> kinds = {
      {column_kind::enum_, tc::tag_kind::enum_},      {column_kind::bool_, tc::tag_kind::bool_},
      {column_kind::set, tc::tag_kind::set},          {column_kind::int_, tc::tag_kind::int_},
      {column_kind::decimal2, tc::tag_kind::decimal}, {column_kind::date, tc::tag_kind::time}};
  tc::table_def def;
  def.name = table.name;
  def.key_column = kKeyColumn;
  for (const bench_column& c : table.columns) {
    tc::column_def column;
    column.tag = column.column = c.name;
    column.kind = kinds.at(c.kind);
    if (c.kind == column_kind::decimal2) {
      column.precision = 12; // DECIMAL(12,2), as bench/tagd_setup.cpp defines it in-process
      column.scale = 2;
    }
    column.unit = tc::time_unit::date; // dates only: the generator writes no timestamps
    def.columns.push_back(column);
  }
  return def;
}

struct table_import {
  std::string table;
  uint64_t rows = 0;
  double seconds = 0;
};

struct imports {
  std::vector<table_import> tables;
  double seconds = 0; // the import calls only, table definitions excluded
  uint64_t rows = 0;
};

void add_table_import(imports& all, const std::string& table, uint64_t rows, double seconds) {
  all.tables.push_back({table, rows, seconds});
  all.seconds += seconds;
  all.rows += rows;
}

// One status line on stderr per table, rewritten in place after every batch reply.
tc::import_progress_function rpc_progress(const std::string& table) {
  return [table](const tc::import_progress& p) {
    std::fprintf(stderr, "\r  importing %-16s over RPC %11llu rows %7.1f MB/s %5.1f%%%s",
                 table.c_str(), static_cast<unsigned long long>(p.rows_read), p.rate.mb_per_second,
                 p.total_bytes ? 100.0 * p.bytes / p.total_bytes : 0.0,
                 p.committing ? " committing" : "           ");
  };
}

tc::import_report import_over_rpc(tc::connection& node, const std::string& table,
                                  const std::string& file) {
  tc::import_report report = node.import_files({file}, table, "bench", {}, rpc_progress(table));
  std::fprintf(stderr, "\n");
  if (report.rejected != 0)
    throw std::runtime_error(
        "importing " + table + " over RPC: " + std::to_string(report.rejected) +
        " rows rejected, first: " + (report.rejects.empty() ? "?" : report.rejects[0].reason));
  return report;
}

// Defines the four benchmark tables on the node, then imports each file (timed per table).
imports define_and_import_over_rpc(tc::connection& node, const std::string& csv_dir) {
  for (const bench_table& table : bench_tables())
    node.define_table(client_table_def(table));
  imports done;
  for (const bench_table& table : bench_tables()) {
    stopwatch clock;
    tc::import_report report = import_over_rpc(node, table.name, table_file(csv_dir, table.name));
    add_table_import(done, table.name, report.rows_loaded, clock.seconds());
  }
  return done;
}

imports import_in_process(const std::string& directory, const std::string& csv_dir, uint64_t users,
                          std::unique_ptr<database>& keep_open) {
  fs::remove_all(directory);
  database_options options;
  options.vshards = vshard_count_for_keys(users);
  options.no_sync = true;
  options.threads = 1;
  auto db = database::open(directory, options);
  if (!db)
    throw std::runtime_error("opening " + directory + ": " + db.error().to_string());
  tagd_import imported = import_tables(**db, csv_dir, false);
  imports done;
  for (const import_report& r : imported.reports)
    add_table_import(done, r.table, r.rows_loaded, r.seconds);
  done.seconds = imported.seconds;
  keep_open = std::move(*db);
  return done;
}

// Whether tagd answers the expression from stored value counts, without visiting the vshards
// (asked of the in-process database, which holds the same data as the node).
bool from_stored_counts(database& db, const std::string& expression) {
  query_options at;
  at.now = now_seconds();
  auto parsed = parse_expression(expression);
  auto plan = parsed ? db.plan("user", *parsed, at) : result<query_plan>(parsed.error());
  auto known =
      plan ? db.count_from_stored_counts(*plan) : result<std::optional<uint64_t>>(plan.error());
  if (!known)
    throw std::runtime_error("planning '" + expression + "': " + known.error().to_string());
  return known->has_value();
}

struct query_timing {
  const bench_query* query = nullptr;
  uint64_t count = 0;
  double tagd_ms = 0;
  double baseline_ms = 0;
  bool stored_counts = false;
};

// One warm-up of each side, then `runs` rounds alternating tagd over RPC and the baseline, so
// that load from other processes falls on both alike; medians. Every count must be the
// baseline's.
query_timing time_query(tc::connection& node, const baseline& base, const bench_query& q,
                        uint64_t runs) {
  tc::query_options at;
  at.now = now_seconds();
  query_timing t;
  t.query = &q;
  t.count = q.baseline_count(base);
  std::vector<double> tagd_ms, baseline_ms;
  for (int64_t round = -1; round < static_cast<int64_t>(runs); ++round) {
    stopwatch tagd_clock;
    uint64_t over_rpc = node.estimate(q.expression, at).count;
    double tagd_elapsed = tagd_clock.milliseconds();
    if (over_rpc != t.count)
      count_mismatch("'" + q.name + "' over RPC", q.expression, over_rpc, t.count);
    stopwatch baseline_clock;
    uint64_t in_memory = q.baseline_count(base);
    double baseline_elapsed = baseline_clock.milliseconds();
    if (in_memory != t.count)
      count_mismatch("'" + q.name + "' baseline run to run", q.expression, in_memory, t.count);
    if (round >= 0) {
      tagd_ms.push_back(tagd_elapsed);
      baseline_ms.push_back(baseline_elapsed);
    }
  }
  t.tagd_ms = median(tagd_ms);
  t.baseline_ms = median(baseline_ms);
  return t;
}

struct overhead {
  latency ping, empty_estimate;
};

// The per-request floor: ping (answered on the node's RPC thread) against an estimate that
// matches nothing but is not answered from stored counts, so it fans out to every vshard.
overhead measure_overhead(tc::connection& node, uint64_t calls, const std::string& expression) {
  std::vector<double> ping_us, estimate_us;
  for (int64_t i = -static_cast<int64_t>(calls / 10); i < static_cast<int64_t>(calls); ++i) {
    // (the first tenth warms up)
    auto start = std::chrono::steady_clock::now();
    node.ping();
    double ping_elapsed = microseconds_since(start);
    start = std::chrono::steady_clock::now();
    uint64_t n = node.estimate(expression).count;
    double estimate_elapsed = microseconds_since(start);
    if (n != 0)
      count_mismatch("empty estimate", expression, n, 0);
    if (i >= 0) {
      ping_us.push_back(ping_elapsed);
      estimate_us.push_back(estimate_elapsed);
    }
  }
  return {latency_of(ping_us), latency_of(estimate_us)};
}

void print_imports(const char* heading, const imports& rpc, const imports* in_process) {
  std::printf("%s\n\n| table | rows | over RPC s |%s\n| --- | ---: | ---: |%s\n", heading,
              in_process ? " in-process s | RPC/in-process |" : "",
              in_process ? " ---: | ---: |" : "");
  for (size_t i = 0; i < rpc.tables.size(); ++i) {
    std::printf("| %s | %llu | %s |", rpc.tables[i].table.c_str(),
                static_cast<unsigned long long>(rpc.tables[i].rows),
                fixed(rpc.tables[i].seconds, 2).c_str());
    if (in_process)
      std::printf(" %s | %s |", fixed(in_process->tables[i].seconds, 2).c_str(),
                  fixed(rpc.tables[i].seconds / in_process->tables[i].seconds, 2).c_str());
    std::printf("\n");
  }
  std::printf("| all | %llu | %s |", static_cast<unsigned long long>(rpc.rows),
              fixed(rpc.seconds, 2).c_str());
  if (in_process)
    std::printf(" %s | %s |", fixed(in_process->seconds, 2).c_str(),
                fixed(rpc.seconds / in_process->seconds, 2).c_str());
  std::printf("\n\n");
}

void run_users_parts(const rpc_bench_options& o, const std::string& root,
                     std::vector<std::string>& summary) {
  const std::string csv_dir = root + "/csv", node_dir = root + "/tagd-node",
                    local_dir = root + "/tagd-in-process";
  fs::create_directories(csv_dir);
  const uint32_t vshards = vshard_count_for_keys(o.users);
  std::printf("## %s at %llu users\n\n",
              o.estimation ? "Estimation and import over RPC" : "Import over RPC",
              static_cast<unsigned long long>(o.users));
  std::printf("- tagd: `tagd --no-sync --expected-keys %llu` (%u vshards), driven through "
              "tagd::client::connection; load average at the start %s\n\n",
              static_cast<unsigned long long>(o.users), vshards, load_average().c_str());
  std::fflush(stdout);

  generator_options g;
  g.users = o.users;
  g.seed = o.seed;
  uint64_t csv_bytes = 0;
  for (const generated_file& f : generate_data(g, csv_dir))
    csv_bytes += f.bytes;
  std::fprintf(stderr, "generated %s of CSV in %s\n", megabytes(csv_bytes).c_str(),
               csv_dir.c_str());

  // Imports, alternating sides round by round; the node of the last round serves the queries.
  std::unique_ptr<tagd_node> node;
  std::unique_ptr<database> local;
  std::vector<imports> rpc_rounds, local_rounds;
  for (uint64_t round = 0; round < (o.import ? o.import_rounds : 1); ++round) {
    for (int side = 0; side < 2; ++side) {
      bool rpc_side = (side == 0) == (round % 2 == 0);
      if (rpc_side) {
        node.reset();
        node = std::make_unique<tagd_node>(o.tagd_binary, node_dir, o.users);
        tc::connection setup(node->address());
        rpc_rounds.push_back(define_and_import_over_rpc(setup, csv_dir));
        std::fprintf(stderr, "import over RPC: %.2f s\n", rpc_rounds.back().seconds);
      } else if (o.import) {
        local.reset();
        local_rounds.push_back(import_in_process(local_dir, csv_dir, o.users, local));
        std::fprintf(stderr, "import in-process: %.2f s\n", local_rounds.back().seconds);
      }
    }
  }
  uint64_t node_rss = node->rss_bytes();
  auto median_round = [](const std::vector<imports>& rounds) {
    std::vector<imports> sorted = rounds;
    std::sort(sorted.begin(), sorted.end(),
              [](const imports& a, const imports& b) { return a.seconds < b.seconds; });
    return sorted[(sorted.size() - 1) / 2];
  };
  imports rpc_import = median_round(rpc_rounds);

  if (o.import) {
    imports local_import = median_round(local_rounds);
    print_imports(o.import_rounds > 1 ? "### Import (the round of median total time)"
                                      : "### Import",
                  rpc_import, &local_import);
    double ratio = rpc_import.seconds / local_import.seconds;
    summary.push_back("import over RPC: " + fixed(rpc_import.seconds, 2) + " s for " +
                      std::to_string(rpc_import.rows) + " rows (" +
                      fixed(rpc_import.rows / rpc_import.seconds / 1e6, 2) +
                      " M rows/s); in-process (database::import_files, threads = 1) " +
                      fixed(local_import.seconds, 2) + " s; RPC/in-process " + fixed(ratio, 2) +
                      " (target <= 1.5: " + met(ratio <= 1.5) + ")" +
                      (o.import_rounds > 1 ? "; medians of " + std::to_string(o.import_rounds) +
                                                 " alternating rounds"
                                           : ""));
  } else {
    print_imports("### Import", rpc_import, nullptr);
  }
  std::printf("tagd process RSS after the import: %s\n\n", megabytes(node_rss).c_str());
  std::fflush(stdout);

  if (o.estimation) {
    std::unique_ptr<baseline> base = baseline::build(csv_dir, false);
    std::fprintf(stderr, "baseline build: %.2f s\n", base->build_seconds());
    if (base->users() != o.users)
      throw std::runtime_error("the baseline found " + std::to_string(base->users()) +
                               " users, expected " + std::to_string(o.users));
    tc::connection_options caller;
    caller.mode = tc::threading::caller_thread;
    tc::connection queries(node->address(), caller);

    std::vector<query_timing> timings;
    for (const bench_query& q : bench_queries()) {
      timings.push_back(time_query(queries, *base, q, o.runs));
      if (local)
        timings.back().stored_counts = from_stored_counts(*local, q.expression);
      std::fprintf(stderr, "%-22s %10llu  tagd over RPC %8.3f ms  baseline %8.3f ms\n",
                   q.name.c_str(), static_cast<unsigned long long>(timings.back().count),
                   timings.back().tagd_ms, timings.back().baseline_ms);
    }
    const std::string empty_expression = "city = 'no_such_city' AND age > 200";
    overhead floor = measure_overhead(queries, o.overhead_calls, empty_expression);

    std::printf("### Estimation\n\nMedians of %llu rounds after one warm-up; tagd = "
                "`connection::estimate` in caller_thread mode (request, parse, plan, fan-out to "
                "%u vshards, reply); baseline = hand-written CRoaring in this process.%s\n\n",
                static_cast<unsigned long long>(o.runs), vshards,
                local ? " \"(stored counts)\": answered from stored value counts." : "");
    std::printf(
        "| # | expression | count | tagd over RPC ms | baseline ms | tagd-over-RPC/baseline |\n"
        "| ---: | --- | ---: | ---: | ---: | ---: |\n");
    std::vector<double> ratios, evaluated;
    for (size_t i = 0; i < timings.size(); ++i) {
      const query_timing& t = timings[i];
      double ratio = t.tagd_ms / t.baseline_ms;
      ratios.push_back(ratio);
      if (!t.stored_counts)
        evaluated.push_back(ratio);
      std::printf("| %zu | %s%s | %llu | %s | %s | %s |\n", i + 1, t.query->name.c_str(),
                  t.stored_counts ? " (stored counts)" : "",
                  static_cast<unsigned long long>(t.count), fixed(t.tagd_ms, 4).c_str(),
                  fixed(t.baseline_ms, 4).c_str(), fixed(ratio, 2).c_str());
    }
    std::printf("\nper-request floor (%llu calls each, interleaved, caller_thread): ping p50 %s us "
                "(p99 %s); empty estimate `%s` (fans out to %u vshards) p50 %s us (p99 %s); "
                "difference %s us\n\n",
                static_cast<unsigned long long>(o.overhead_calls),
                fixed(floor.ping.p50_us, 1).c_str(), fixed(floor.ping.p99_us, 1).c_str(),
                empty_expression.c_str(), vshards, fixed(floor.empty_estimate.p50_us, 1).c_str(),
                fixed(floor.empty_estimate.p99_us, 1).c_str(),
                fixed(floor.empty_estimate.p50_us - floor.ping.p50_us, 1).c_str());
    double mean = geometric_mean(ratios);
    summary.push_back("per-request floor: ping p50 " + fixed(floor.ping.p50_us, 1) +
                      " us, empty estimate p50 " + fixed(floor.empty_estimate.p50_us, 1) + " us");
    if (local)
      summary.push_back("geo-mean ratio tagd-over-RPC/baseline of the " +
                        std::to_string(evaluated.size()) +
                        " queries evaluated on the vshards (not answered from stored counts): " +
                        fixed(geometric_mean(evaluated), 2));
    summary.push_back("geo-mean ratio tagd-over-RPC/baseline: " + fixed(mean, 2) +
                      " (target <= 0.7 at 10 M users: " + met(mean <= 0.7) + "; this run " +
                      std::to_string(o.users) + " users)");
  }
  local.reset();
  node.reset();
  std::printf("load average at the end: %s\n\n", load_average().c_str());
  fs::remove_all(csv_dir);
  fs::remove_all(node_dir);
  fs::remove_all(local_dir);
}

// ---- Redis ----

struct redis_free {
  void operator()(redisContext* c) const { redisFree(c); }
};
using redis_context = std::unique_ptr<redisContext, redis_free>;
struct reply_free {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using redis_reply = std::unique_ptr<redisReply, reply_free>;

redis_context redis_connect(int port) {
  redis_context c(redisConnect("127.0.0.1", port));
  if (!c || c->err)
    throw std::runtime_error("cannot connect to Redis on port " + std::to_string(port) + ": " +
                             (c ? c->errstr : "out of memory"));
  return c;
}

redis_reply redis_call(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  redis_reply reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply || reply->type == REDIS_REPLY_ERROR)
    throw std::runtime_error(
        "Redis " + args[0] + ": " +
        (reply ? std::string(reply->str, reply->len) : std::string(c->errstr)));
  return reply;
}

// The integer answer of a reply read from a pipeline.
long long read_integer(redisContext* c) {
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK)
    throw std::runtime_error(std::string("Redis: ") + c->errstr);
  redis_reply reply(static_cast<redisReply*>(raw));
  if (reply->type != REDIS_REPLY_INTEGER)
    throw std::runtime_error("Redis: not an integer reply: " +
                             std::string(reply->str ? reply->str : "", reply->len));
  return reply->integer;
}

const char* const kRedisKey = "tagd_rpc_bench:members";

// GETBIT of one id, already written in decimal.
void append_getbit(redisContext* c, const std::string& id) {
  const char* argv[] = {"GETBIT", kRedisKey, id.data()};
  size_t lengths[] = {6, std::strlen(kRedisKey), id.size()};
  redisAppendCommandArgv(c, 3, argv, lengths);
}

bool getbit(redisContext* c, const std::string& id) {
  append_getbit(c, id);
  return read_integer(c) != 0;
}

int free_loopback_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot find a free port: " + std::string(std::strerror(errno)));
  ::close(s);
  return ntohs(address.sin_port);
}

// redis-server without persistence on a free loopback port, stopped by the destructor.
class redis_server {
 public:
  redis_server(const std::string& binary, const std::string& directory) {
    fs::create_directories(directory);
    port_ = free_loopback_port();
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{binary, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", directory},
        directory + "/redis.log");
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < give_up) {
      redis_context c(redisConnect("127.0.0.1", port_));
      if (c && !c->err) {
        redis_reply pong(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
        if (pong && pong->type == REDIS_REPLY_STATUS)
          return;
      }
      if (!process_->running())
        throw std::runtime_error(binary + " stopped (" + process_->exit_description() + "); see " +
                                 directory + "/redis.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error(binary + " did not answer PING within 20 s");
  }
  int port() const { return port_; }
  uint64_t rss_bytes() const { return process_->rss_bytes(); }
  std::string pid() const { return std::to_string(process_->pid()); }

 private:
  int port_ = 0;
  std::unique_ptr<child_process> process_;
};

// ---- the validation part ----

struct probe_set {
  std::vector<std::string> ids; // decimal, uniform in 1..I
  std::vector<char> member;     // the generator's truth: id % k == 0
};

probe_set make_probes(uint64_t count, uint64_t ids, uint64_t every, uint64_t seed) {
  probe_set p;
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<uint64_t> uniform(1, ids);
  p.ids.reserve(count);
  p.member.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t id = uniform(random);
    p.ids.push_back(std::to_string(id));
    p.member.push_back(id % every == 0);
  }
  return p;
}

void check_answer(const probe_set& p, size_t i, bool answer, const char* who) {
  if (answer != static_cast<bool>(p.member[i]))
    answer_mismatch(who, p.ids[i], answer);
}

// The member ids k, 2k, ... <= I as a one-column CSV (key user_id, bool m = true); returns rows.
uint64_t write_members_csv(const std::string& path, uint64_t ids, uint64_t every) {
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(path.c_str(), "w"), std::fclose);
  if (!out)
    throw std::runtime_error("cannot write " + path);
  std::string buffer = "user_id,m\n";
  uint64_t rows = 0;
  char digits[24];
  for (uint64_t id = every; id <= ids; id += every, ++rows) {
    buffer.append(digits, std::to_chars(digits, digits + sizeof digits, id).ptr);
    buffer += ",true\n";
    if (buffer.size() >= (1u << 20)) {
      std::fwrite(buffer.data(), 1, buffer.size(), out.get());
      buffer.clear();
    }
  }
  if (std::fwrite(buffer.data(), 1, buffer.size(), out.get()) != buffer.size() ||
      std::fflush(out.get()) != 0)
    throw std::runtime_error("cannot write " + path);
  return rows;
}

// SETBIT of every member id, pipelined 10,000 commands at a time.
void load_redis(redisContext* c, uint64_t ids, uint64_t every) {
  const size_t depth = 10000;
  char digits[24];
  uint64_t id = every;
  while (id <= ids) {
    size_t sent = 0;
    for (; sent < depth && id <= ids; ++sent, id += every) {
      char* end = std::to_chars(digits, digits + sizeof digits, id).ptr;
      const char* argv[] = {"SETBIT", kRedisKey, digits, "1"};
      size_t lengths[] = {6, std::strlen(kRedisKey), static_cast<size_t>(end - digits), 1};
      redisAppendCommandArgv(c, 4, argv, lengths);
    }
    for (size_t i = 0; i < sent; ++i)
      read_integer(c);
  }
}

// Calls per second of `calls` contains_async over one connection, 32 outstanding at all times.
double tagd_in_flight(tc::connection& node, const std::string& group, uint32_t version,
                      const probe_set& p, uint64_t calls) {
  const size_t window = 32;
  std::deque<std::pair<size_t, std::future<bool>>> pending;
  auto settle_oldest = [&] {
    check_answer(p, pending.front().first, pending.front().second.get(), "tagd contains_async");
    pending.pop_front();
  };
  stopwatch clock;
  for (uint64_t i = 0; i < calls; ++i) {
    if (pending.size() == window)
      settle_oldest();
    size_t k = i % p.ids.size();
    pending.emplace_back(k, node.contains_async(group, p.ids[k], version));
  }
  while (!pending.empty())
    settle_oldest();
  return static_cast<double>(calls) / clock.seconds();
}

// Calls per second of `calls` synchronous GETBITs spread over the connections, one thread each.
double redis_connections(std::vector<redis_context>& connections, const probe_set& p,
                         uint64_t calls) {
  std::mutex m;
  std::condition_variable start;
  bool go = false;
  std::string failure;
  std::vector<std::thread> threads;
  const size_t n = connections.size();
  for (size_t t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      {
        std::unique_lock<std::mutex> lock(m);
        start.wait(lock, [&] { return go; });
      }
      try {
        for (uint64_t i = calls * t / n; i < calls * (t + 1) / n; ++i) {
          size_t k = i % p.ids.size();
          check_answer(p, k, getbit(connections[t].get(), p.ids[k]), "Redis GETBIT");
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(m);
        failure = e.what();
      }
    });
  }
  stopwatch clock;
  {
    std::lock_guard<std::mutex> lock(m);
    go = true;
  }
  start.notify_all();
  for (std::thread& t : threads)
    t.join();
  double seconds = clock.seconds();
  if (failure.rfind("ANSWER MISMATCH", 0) == 0)
    throw wrong_answer(failure);
  if (!failure.empty())
    throw std::runtime_error(failure);
  return static_cast<double>(calls) / seconds;
}

// Keys per second of contains_many over the first `keys` probes.
double tagd_batched(tc::connection& node, const std::string& group, uint32_t version,
                    const std::vector<std::string>& keys, const probe_set& p) {
  stopwatch clock;
  std::vector<bool> answers = node.contains_many(group, keys, version);
  double seconds = clock.seconds();
  if (answers.size() != keys.size())
    throw std::runtime_error("contains_many returned " + std::to_string(answers.size()) +
                             " answers for " + std::to_string(keys.size()) + " keys");
  for (size_t i = 0; i < answers.size(); ++i)
    check_answer(p, i, answers[i], "tagd contains_many");
  return static_cast<double>(keys.size()) / seconds;
}

// Keys per second of GETBITs over the first `keys` probes, `depth` sent before reading replies.
double redis_pipelined(redisContext* c, const probe_set& p, uint64_t keys, size_t depth) {
  std::vector<char> answers(keys);
  stopwatch clock;
  for (uint64_t i = 0; i < keys; i += depth) {
    uint64_t end = std::min<uint64_t>(keys, i + depth);
    for (uint64_t j = i; j < end; ++j)
      append_getbit(c, p.ids[j]);
    for (uint64_t j = i; j < end; ++j)
      answers[j] = read_integer(c) != 0;
  }
  double seconds = clock.seconds();
  for (uint64_t i = 0; i < keys; ++i)
    check_answer(p, i, answers[i], "Redis pipelined GETBIT");
  return static_cast<double>(keys) / seconds;
}

std::string per_second(double v) {
  return v >= 1e6 ? fixed(v / 1e6, 2) + " M" : fixed(v / 1e3, 1) + " k";
}

void run_validation(const rpc_bench_options& o, const std::string& root,
                    std::vector<std::string>& summary) {
  const std::string dir = root + "/validation", node_dir = dir + "/tagd-node";
  const std::string csv = dir + "/members.csv", group = "g";
  fs::create_directories(dir);
  const uint64_t members = o.ids / o.member_every;
  std::printf("## Validation over RPC: %llu ids, %llu members (every %llu-th id)\n\n",
              static_cast<unsigned long long>(o.ids), static_cast<unsigned long long>(members),
              static_cast<unsigned long long>(o.member_every));
  std::printf("- load average at the start %s\n", load_average().c_str());
  std::fflush(stdout);

  // ---- tagd: import the members, select the group ----
  stopwatch write_clock;
  if (write_members_csv(csv, o.ids, o.member_every) != members)
    throw std::runtime_error("wrote an unexpected number of member rows");
  std::fprintf(stderr, "wrote %s in %.2f s\n", csv.c_str(), write_clock.seconds());
  tagd_node node(o.tagd_binary, node_dir, members);
  tc::connection setup(node.address());
  tc::table_def table;
  table.name = "members";
  table.key_column = kKeyColumn;
  table.columns = {{"m", "m", tc::tag_kind::bool_}};
  setup.define_table(table);
  stopwatch import_clock;
  import_over_rpc(setup, table.name, csv);
  double import_seconds = import_clock.seconds();
  fs::remove(csv);
  stopwatch select_clock;
  tc::select_result selected = setup.select(group, "m");
  double select_ms = select_clock.milliseconds();
  if (selected.version.count != members)
    count_mismatch("group g", "m", selected.version.count, members);
  const uint32_t version = selected.version.version;
  const uint32_t vshards = setup.status().vshards;
  // The same members as an uploaded group: more keys than one request, so the client streams them.
  double upload_seconds = 0;
  {
    std::vector<std::string> member_keys;
    member_keys.reserve(members);
    for (uint64_t id = o.member_every; id <= o.ids; id += o.member_every)
      member_keys.push_back(std::to_string(id));
    stopwatch upload_clock;
    tc::upload_result uploaded = setup.upload("u", "", member_keys);
    upload_seconds = upload_clock.seconds();
    if (uploaded.version.count != members || uploaded.unknown_keys != 0)
      count_mismatch("uploaded group u", "members", uploaded.version.count, members);
  }

  // ---- Redis: the same ids as bits of one key ----
  redis_server redis(o.redis_server, dir + "/redis");
  redis_context sync = redis_connect(redis.port());
  stopwatch load_clock;
  load_redis(sync.get(), o.ids, o.member_every);
  double load_seconds = load_clock.seconds();
  uint64_t bits = static_cast<uint64_t>(redis_call(sync.get(), {"BITCOUNT", kRedisKey})->integer);
  if (bits != members)
    count_mismatch("Redis BITCOUNT", "members", bits, members);

  std::printf("- tagd: `tagd --no-sync --expected-keys %llu` (%u vshards); members imported "
              "over RPC in %s s, selected as group `g` = `m` in %s ms; process RSS %s\n",
              static_cast<unsigned long long>(members), vshards, fixed(import_seconds, 2).c_str(),
              fixed(select_ms, 1).c_str(), megabytes(node.rss_bytes()).c_str());
  std::printf("- the same members uploaded as group `u` (%llu keys, streamed in requests of "
              "100,000) in %s s: %s keys/s\n",
              static_cast<unsigned long long>(members), fixed(upload_seconds, 2).c_str(),
              per_second(static_cast<double>(members) / upload_seconds).c_str());
  summary.push_back("upload over RPC: " + std::to_string(members) + " keys as one group in " +
                    fixed(upload_seconds, 2) + " s (" +
                    per_second(static_cast<double>(members) / upload_seconds) + " keys/s)");
  std::printf("- Redis (`redis-server --save '' --appendonly no`): SETBIT of the members, "
              "pipelined 10,000 deep, in %s s; process RSS %s\n",
              fixed(load_seconds, 2).c_str(), megabytes(redis.rss_bytes()).c_str());

  const uint64_t pool = std::max({o.latency_probes, o.in_flight_calls, o.batch_keys});
  probe_set probes = make_probes(pool, o.ids, o.member_every, o.seed);
  std::printf("- probes: %llu ids uniform in 1..%llu (seed %llu), every answer checked against "
              "id %% %llu == 0\n\n",
              static_cast<unsigned long long>(pool), static_cast<unsigned long long>(o.ids),
              static_cast<unsigned long long>(o.seed),
              static_cast<unsigned long long>(o.member_every));
  std::fflush(stdout);

  // ---- single keys, synchronous: ping, contains and GETBIT interleaved ----
  tc::connection_options caller;
  caller.mode = tc::threading::caller_thread;
  tc::connection single(node.address(), caller);
  std::vector<double> ping_us, contains_us, getbit_us;
  const int64_t warm_up = static_cast<int64_t>(std::min<uint64_t>(o.latency_probes / 10, 1000));
  // One synchronous call of each kind, timed; the membership answers are checked.
  auto timed_call = [&](int which, size_t k) {
    auto start = std::chrono::steady_clock::now();
    bool answer = false;
    if (which == 0)
      single.ping();
    else if (which == 1)
      answer = single.contains(group, probes.ids[k], version);
    else
      answer = getbit(sync.get(), probes.ids[k]);
    double elapsed = microseconds_since(start);
    if (which != 0)
      check_answer(probes, k, answer, which == 1 ? "tagd contains" : "Redis GETBIT");
    return elapsed;
  };
  for (int64_t i = -warm_up; i < static_cast<int64_t>(o.latency_probes); ++i) {
    size_t k = static_cast<size_t>(i < 0 ? -i : i) % probes.ids.size();
    double elapsed[3];
    for (int step = 0; step < 3; ++step) {
      int which = static_cast<int>((step + k) % 3); // the order rotates from call to call
      elapsed[which] = timed_call(which, k);
    }
    if (i >= 0) {
      ping_us.push_back(elapsed[0]);
      contains_us.push_back(elapsed[1]);
      getbit_us.push_back(elapsed[2]);
    }
  }
  latency ping = latency_of(ping_us), contains = latency_of(contains_us),
          redis_single = latency_of(getbit_us);
  std::fprintf(stderr, "single keys: ping p50 %.1f us, contains p50 %.1f us, GETBIT p50 %.1f us\n",
               ping.p50_us, contains.p50_us, redis_single.p50_us);

  // ---- throughput: 32 in flight, then batches; the two sides alternate round by round ----
  tc::connection background(node.address());
  std::vector<redis_context> redis_pool;
  for (int i = 0; i < 32; ++i)
    redis_pool.push_back(redis_connect(redis.port()));
  std::vector<double> tagd_32, redis_32;
  cpu_account tagd_32_cpu, redis_32_cpu, tagd_bg_cpu, tagd_caller_cpu, tagd_default_cpu,
      redis_256_cpu;
  const uint64_t calls = o.in_flight_calls, keys = o.batch_keys;
  for (uint64_t round = 0; round < o.throughput_rounds; ++round) {
    tagd_32.push_back(tagd_32_cpu.measure(node.pid(), calls, [&] {
      return tagd_in_flight(background, group, version, probes, calls);
    }));
    redis_32.push_back(redis_32_cpu.measure(
        redis.pid(), calls, [&] { return redis_connections(redis_pool, probes, calls); }));
    std::fprintf(stderr, "32 in flight: tagd %.0f calls/s, Redis %.0f calls/s\n", tagd_32.back(),
                 redis_32.back());
  }
  redis_pool.clear();

  std::vector<std::string> batch(probes.ids.begin(), probes.ids.begin() + o.batch_keys);
  tc::connection_options batched_background;
  batched_background.max_keys_per_request = o.request_keys;
  tc::connection_options batched_caller = batched_background;
  batched_caller.mode = tc::threading::caller_thread;
  tc::connection many_background(node.address(), batched_background);
  tc::connection many_caller(node.address(), batched_caller);
  // What a program gets that leaves the client's batching alone.
  const tc::connection_options library_defaults;
  tc::connection many_default(node.address(), library_defaults);
  std::vector<double> tagd_bg, tagd_caller, tagd_default, redis_256;
  for (uint64_t round = 0; round < o.throughput_rounds; ++round) {
    tagd_bg.push_back(tagd_bg_cpu.measure(node.pid(), keys, [&] {
      return tagd_batched(many_background, group, version, batch, probes);
    }));
    redis_256.push_back(redis_256_cpu.measure(
        redis.pid(), keys, [&] { return redis_pipelined(sync.get(), probes, keys, 256); }));
    tagd_caller.push_back(tagd_caller_cpu.measure(node.pid(), keys, [&] {
      return tagd_batched(many_caller, group, version, batch, probes);
    }));
    tagd_default.push_back(tagd_default_cpu.measure(node.pid(), keys, [&] {
      return tagd_batched(many_default, group, version, batch, probes);
    }));
    std::fprintf(stderr,
                 "batched: tagd %.0f keys/s (background thread), %.0f keys/s (caller thread), "
                 "%.0f keys/s (library defaults), Redis %.0f keys/s\n",
                 tagd_bg.back(), tagd_caller.back(), tagd_default.back(), redis_256.back());
  }
  double in_flight_tagd = median(tagd_32), in_flight_redis = median(redis_32);
  double batch_tagd = median(tagd_bg), batch_caller = median(tagd_caller),
         batch_default = median(tagd_default), batch_redis = median(redis_256);

  std::printf("Single keys: %llu calls of each, interleaved (after %lld warm-up calls); tagd in "
              "caller_thread mode, Redis GETBIT on one synchronous connection. Throughput: "
              "medians of %llu alternating rounds.\n\n",
              static_cast<unsigned long long>(o.latency_probes), static_cast<long long>(warm_up),
              static_cast<unsigned long long>(o.throughput_rounds));
  std::printf("| measurement | tagd | Redis | tagd/Redis |\n| --- | ---: | ---: | ---: |\n");
  std::printf("| ping p50 / p99 | %s / %s us | | |\n", fixed(ping.p50_us, 1).c_str(),
              fixed(ping.p99_us, 1).c_str());
  std::printf("| single key p50 (contains / GETBIT) | %s us | %s us | %s |\n",
              fixed(contains.p50_us, 1).c_str(), fixed(redis_single.p50_us, 1).c_str(),
              fixed(contains.p50_us / redis_single.p50_us, 2).c_str());
  std::printf("| single key p99 | %s us | %s us | %s |\n", fixed(contains.p99_us, 1).c_str(),
              fixed(redis_single.p99_us, 1).c_str(),
              fixed(contains.p99_us / redis_single.p99_us, 2).c_str());
  std::printf("| 32 in flight (tagd: contains_async on one connection; Redis: 32 connections) "
              "| %s calls/s | %s calls/s | %s |\n",
              per_second(in_flight_tagd).c_str(), per_second(in_flight_redis).c_str(),
              fixed(in_flight_tagd / in_flight_redis, 2).c_str());
  std::printf("| batched (tagd: contains_many, %llu-key requests, 8 in flight, background "
              "thread; Redis: GETBIT pipelined 256 deep) | %s keys/s | %s keys/s | %s |\n",
              static_cast<unsigned long long>(o.request_keys), per_second(batch_tagd).c_str(),
              per_second(batch_redis).c_str(), fixed(batch_tagd / batch_redis, 2).c_str());
  std::printf("| batched, tagd in caller_thread mode | %s keys/s | %s keys/s | %s |\n",
              per_second(batch_caller).c_str(), per_second(batch_redis).c_str(),
              fixed(batch_caller / batch_redis, 2).c_str());
  std::printf("| batched, tagd with the client's defaults (%zu-key requests, %u in flight, "
              "background thread) | %s keys/s | %s keys/s | %s |\n\n",
              library_defaults.max_keys_per_request, library_defaults.requests_in_flight,
              per_second(batch_default).c_str(), per_second(batch_redis).c_str(),
              fixed(batch_default / batch_redis, 2).c_str());
  std::printf("CPU time per call or key over the throughput rounds, in us (user + system, from "
              "/proc/PID/stat; \"client\" is this program):\n\n"
              "| test | tagd node | client | redis-server | client |\n"
              "| --- | ---: | ---: | ---: | ---: |\n");
  std::printf("| 32 in flight | %s | %s | %s | %s |\n", tagd_32_cpu.server_us().c_str(),
              tagd_32_cpu.client_us().c_str(), redis_32_cpu.server_us().c_str(),
              redis_32_cpu.client_us().c_str());
  std::printf("| batched, background thread | %s | %s | %s | %s |\n",
              tagd_bg_cpu.server_us().c_str(), tagd_bg_cpu.client_us().c_str(),
              redis_256_cpu.server_us().c_str(), redis_256_cpu.client_us().c_str());
  std::printf("| batched, caller thread | %s | %s | | |\n", tagd_caller_cpu.server_us().c_str(),
              tagd_caller_cpu.client_us().c_str());
  std::printf("| batched, client's defaults | %s | %s | | |\n\n",
              tagd_default_cpu.server_us().c_str(), tagd_default_cpu.client_us().c_str());
  std::printf("load average at the end: %s\n\n", load_average().c_str());

  const std::string size =
      "; this run " + std::to_string(o.ids) + " ids, " + std::to_string(members) + " members";
  double single_ratio = contains.p50_us / ping.p50_us;
  summary.push_back("validation single key: contains p50 " + fixed(contains.p50_us, 1) +
                    " us / ping p50 " + fixed(ping.p50_us, 1) + " us = " + fixed(single_ratio, 2) +
                    " (target <= 1.3: " + met(single_ratio <= 1.3) + "); contains p99 " +
                    fixed(contains.p99_us, 1) +
                    " us (target < 1000 us: " + met(contains.p99_us < 1000) +
                    "); Redis GETBIT p50 " + fixed(redis_single.p50_us, 1) + " us" + size);
  summary.push_back("validation 32 in flight: tagd " + per_second(in_flight_tagd) +
                    " calls/s (one connection), Redis " + per_second(in_flight_redis) +
                    " calls/s (32 connections); tagd/Redis " +
                    fixed(in_flight_tagd / in_flight_redis, 2));
  double batch_ratio = batch_tagd / batch_redis;
  summary.push_back(
      "validation batched (" + std::to_string(o.request_keys) + "-key requests): tagd " +
      fixed(batch_tagd / 1e6, 2) + " M keys/s (target >= 1.5: " + met(batch_tagd >= 1.5e6) +
      "), Redis pipelined 256 deep " + fixed(batch_redis / 1e6, 2) + " M keys/s; tagd/Redis " +
      fixed(batch_ratio, 2) + " (target >= 3: " + met(batch_ratio >= 3) + ")");
  double default_ratio = batch_default / batch_redis;
  summary.push_back("validation batched (the client's defaults: " +
                    std::to_string(library_defaults.max_keys_per_request) +
                    "-key requests): tagd " + fixed(batch_default / 1e6, 2) +
                    " M keys/s (target >= 1.5: " + met(batch_default >= 1.5e6) + "); tagd/Redis " +
                    fixed(default_ratio, 2) + " (target >= 3: " + met(default_ratio >= 3) + ")");
  fs::remove_all(dir);
}

int run(const rpc_bench_options& o) {
  bool temporary = o.data_dir.empty();
  std::string root = o.data_dir;
  if (temporary) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/tagd-rpc-bench-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("cannot create a directory from " + pattern);
    root = pattern;
  }
  fs::create_directories(root);
  std::printf("# tagd over RPC (issue 4)\n\n");
  std::printf("- machine: %s, %u cores, %.1f GiB; load average %s\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), total_memory_gib(), load_average().c_str());
  std::printf("- parts: %s%s%s; tagd binary %s; data under %s\n\n",
              o.estimation ? "estimation " : "", o.import ? "import " : "",
              o.validation ? "validation" : "", o.tagd_binary.c_str(), root.c_str());
  std::fflush(stdout);

  std::vector<std::string> summary;
  bool failed = true;
  struct cleanup {
    const std::string& root;
    bool remove;
    bool& failed;
    ~cleanup() {
      if (remove && !failed)
        fs::remove_all(root);
      else if (failed)
        std::fprintf(stderr, "data kept in %s\n", root.c_str());
    }
  } at_exit{root, temporary && !o.keep, failed};

  if (o.estimation || o.import)
    run_users_parts(o, root, summary);
  if (o.validation)
    run_validation(o, root, summary);
  std::printf("Peak RSS of this program (baseline, in-process import, probes): %s\n\n",
              megabytes(process_peak_rss_bytes()).c_str());
  std::printf("## Summary\n\n```\n");
  for (const std::string& line : summary)
    std::printf("%s\n", line.c_str());
  std::printf("```\n");
  std::fflush(stdout);
  failed = false;
  return 0;
}

} // namespace
} // namespace tagd::bench

int main(int argc, char** argv) {
  auto options = tagd::bench::parse_args(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return tagd::bench::run(options);
  } catch (const tagd::bench::wrong_answer& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "\n%s\n", e.what());
    return 2;
  } catch (const tagd::client::error& e) {
    std::fprintf(stderr, "tagd_rpc_bench: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tagd_rpc_bench: %s\n", e.what());
    return 1;
  }
}
