#pragma once
// tagctl's plumbing: one invocation of a subcommand (global options, its own options and
// arguments, the connection), readable and JSON output, progress lines, and input parsing.

#include "client/tagd_client.hpp"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tagd::tagctl {

namespace po = boost::program_options;
using nlohmann::json;

// A mistake on the command line: exit status 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct global_options {
  std::string address = "127.0.0.1:7411";
  uint32_t deadline_ms = 0;
  bool json = false;
};

class invocation {
 public:
  invocation(global_options globals, po::variables_map options, std::vector<std::string> args)
      : globals_(std::move(globals)), options_(std::move(options)), args_(std::move(args)) {}

  const global_options& globals() const { return globals_; }
  bool json_output() const { return globals_.json; }
  const std::vector<std::string>& args() const { return args_; }
  const std::string& arg(size_t i) const { return args_.at(i); }
  bool has(const std::string& option) const { return options_.count(option) > 0; }
  template <class T>
  T get(const std::string& option) const {
    return options_[option].as<T>();
  }
  template <class T>
  std::optional<T> maybe(const std::string& option) const {
    if (!has(option))
      return std::nullopt;
    return options_[option].as<T>();
  }

  // Connects on first use.
  client::connection& node();
  // --entity, --now and the global --deadline-ms as query options.
  client::query_options query() const;

 private:
  global_options globals_;
  po::variables_map options_;
  std::vector<std::string> args_;
  std::unique_ptr<client::connection> connection_;
};

// ---- output ----

// Columns padded to their widest cell; cells of `right_aligned` columns are right-aligned.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right_aligned = {});
void print_json(const json& value);
std::string with_commas(uint64_t n);
std::string utc_time(int64_t unix_seconds); // "2026-11-24 10:00:00"
std::string duration(double seconds);       // "0:42", "1:02:03"
std::string kind_name(const client::column_def& column);

json to_json(const client::snapshot& s);
json to_json(const client::group_version_info& g);
json to_json(const client::catalog& c);
json to_json(const client::import_report& r);

// One line on stderr, rewritten in place at most ten times a second, when stderr is a terminal.
class progress_line {
 public:
  progress_line();
  ~progress_line();
  void show(const std::string& text, bool force = false);
  void clear();

 private:
  bool enabled_;
  size_t width_ = 0;
  std::chrono::steady_clock::time_point last_{};
};
// "[#####.....]  312/1,024 MB  55.2 MB/s  ETA 0:13"
std::string transfer_text(uint64_t bytes, uint64_t total_bytes, const client::transfer_rate& rate);

// ---- input ----

// "tag:kind[:column]", kinds bool|enum|set|int|decimal(p,s)|date|timestamp.
client::column_def parse_column(const std::string& spec);
client::key_kind parse_key_kind(const std::string& text);
// Seconds since the epoch, or 'YYYY-MM-DD[ HH:MM:SS]' (UTC).
int64_t parse_time(const std::string& text);
char parse_delimiter(const std::string& text); // one character, or "tab", "\t"
// Lines of a file or of stdin ("-"); a trailing "\r" and empty lines are dropped.
std::vector<std::string> read_lines(const std::string& path);
// Records of a delimited file or stdin ("-"), each a list of fields; a NULL field (unquoted
// empty or \N) is nullopt.
std::vector<std::vector<std::optional<std::string>>> read_records(const std::string& path,
                                                                  char delimiter);

} // namespace tagd::tagctl
