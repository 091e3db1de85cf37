#include "client/tagctl_support.hpp"

#include "client/record_splitter.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace tagd::tagctl {

// ---- invocation ----

client::connection& invocation::node() {
  if (!connection_) {
    client::connection_options options;
    options.deadline_ms = globals_.deadline_ms;
    // A node that stops answering still lets tagctl end, a little after the deadline.
    if (globals_.deadline_ms > 0)
      options.call_timeout = std::chrono::milliseconds(globals_.deadline_ms + 5000);
    connection_ = std::make_unique<client::connection>(globals_.address, options);
  }
  return *connection_;
}

client::query_options invocation::query() const {
  client::query_options q;
  if (has("entity"))
    q.entity = get<std::string>("entity");
  if (has("now"))
    q.now = parse_time(get<std::string>("now"));
  return q;
}

// ---- output ----

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right_aligned) {
  std::vector<size_t> width(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c)
    width[c] = header[c].size();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      bool right = c < right_aligned.size() && right_aligned[c];
      std::string pad(width[c] - row[c].size(), ' ');
      if (c > 0)
        line += "  ";
      line += right ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : "");
    }
    std::cout << line << '\n';
  };
  print_row(header);
  for (const auto& row : rows)
    print_row(row);
}

void print_json(const json& value) {
  std::cout << value.dump(2) << '\n';
}

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string utc_time(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::string duration(double seconds) {
  auto s = static_cast<long>(std::llround(std::max(0.0, seconds)));
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

std::string kind_name(const client::column_def& column) {
  switch (column.kind) {
  case client::tag_kind::bool_:
    return "bool";
  case client::tag_kind::enum_:
    return "enum";
  case client::tag_kind::set:
    return "set";
  case client::tag_kind::int_:
    return "int";
  case client::tag_kind::decimal:
    return "decimal(" + std::to_string(column.precision) + "," + std::to_string(column.scale) + ")";
  case client::tag_kind::time:
    return column.unit == client::time_unit::timestamp ? "timestamp" : "date";
  }
  return "?";
}

json to_json(const client::snapshot& s) {
  json tables = json::array();
  for (const auto& t : s.tables)
    tables.push_back({{"table", t.table}, {"storage_id", t.storage_id}, {"label", t.label}});
  json groups = json::array();
  for (const auto& g : s.groups)
    groups.push_back({{"group", g.group}, {"version", g.version}});
  return {{"catalog_version", s.catalog_version}, {"tables", tables}, {"groups", groups}};
}

json to_json(const client::group_version_info& g) {
  return {{"group", g.group},          {"version", g.version},       {"count", g.count},
          {"created", g.created_unix}, {"expression", g.expression}, {"entity", g.entity}};
}

json to_json(const client::catalog& c) {
  json entities = json::array();
  for (const auto& e : c.entities)
    entities.push_back(
        {{"name", e.name}, {"keys", e.keys == client::key_kind::string ? "string" : "u64"}});
  json tables = json::array();
  for (const auto& t : c.tables) {
    json columns = json::array();
    for (const auto& col : t.def.columns)
      columns.push_back({{"tag", col.tag}, {"column", col.column}, {"kind", kind_name(col)}});
    json versions = json::array();
    for (const auto& v : t.versions)
      versions.push_back({{"storage_id", v.storage_id}, {"label", v.label}});
    tables.push_back({{"name", t.def.name},
                      {"entity", t.def.entity},
                      {"key_column", t.def.key_column},
                      {"columns", columns},
                      {"mode", t.def.mode == client::table_mode::realtime ? "realtime" : "offline"},
                      {"multi_row", t.def.multi_row},
                      {"retention", t.def.retention},
                      {"versions", versions}});
  }
  json composites = json::array();
  for (const auto& x : c.composites)
    composites.push_back({{"name", x.name},
                          {"entity", x.entity},
                          {"expression", x.expression},
                          {"materialized", x.materialized}});
  json groups = json::array();
  for (const auto& g : c.groups)
    groups.push_back(to_json(g));
  return {{"version", c.version},
          {"entities", entities},
          {"tables", tables},
          {"composites", composites},
          {"groups", groups}};
}

json to_json(const client::import_report& r) {
  json rejects = json::array();
  for (const auto& x : r.rejects)
    rejects.push_back({{"source", x.source}, {"line", x.line}, {"reason", x.reason}});
  return {{"table", r.table},
          {"label", r.label},
          {"storage_id", r.storage_id},
          {"rows_read", r.rows_read},
          {"rows_loaded", r.rows_loaded},
          {"keys", r.keys},
          {"rejected", r.rejected},
          {"rejects", rejects},
          {"seconds", r.seconds}};
}

progress_line::progress_line() : enabled_(::isatty(STDERR_FILENO) == 1) {}
progress_line::~progress_line() {
  clear();
}

void progress_line::show(const std::string& text, bool force) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100))
    return;
  last_ = now;
  std::string line = text;
  if (line.size() < width_)
    line.append(width_ - line.size(), ' ');
  width_ = text.size();
  std::cerr << '\r' << line << std::flush;
}

void progress_line::clear() {
  if (!enabled_ || width_ == 0)
    return;
  std::cerr << '\r' << std::string(width_, ' ') << '\r' << std::flush;
  width_ = 0;
}

std::string transfer_text(uint64_t bytes, uint64_t total_bytes, const client::transfer_rate& rate) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  if (total_bytes > 0) {
    constexpr int bar = 20;
    int filled = static_cast<int>(
        bar * std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes)));
    out << '[' << std::string(filled, '#') << std::string(bar - filled, '.') << "]  "
        << with_commas(bytes / 1000000) << '/' << with_commas(total_bytes / 1000000) << " MB";
  } else {
    out << with_commas(bytes / 1000000) << " MB";
  }
  out << "  " << rate.mb_per_second << " MB/s";
  if (rate.eta_seconds >= 0)
    out << "  ETA " << duration(rate.eta_seconds);
  return out.str();
}

// ---- input ----

client::column_def parse_column(const std::string& spec) {
  auto bad = [&](const std::string& why) {
    return usage_error("--column '" + spec + "': " + why +
                       " (expected tag:kind[:column], kinds bool|enum|set|int|decimal(p,s)|"
                       "date|timestamp)");
  };
  size_t first = spec.find(':');
  if (first == std::string::npos || first == 0)
    throw bad("no tag or kind");
  client::column_def column;
  column.tag = spec.substr(0, first);
  size_t second = spec.find(':', first + 1);
  std::string kind =
      spec.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (second != std::string::npos)
    column.column = spec.substr(second + 1);
  if (kind == "bool") {
    column.kind = client::tag_kind::bool_;
  } else if (kind == "enum") {
    column.kind = client::tag_kind::enum_;
  } else if (kind == "set") {
    column.kind = client::tag_kind::set;
  } else if (kind == "int") {
    column.kind = client::tag_kind::int_;
  } else if (kind == "date" || kind == "timestamp") {
    column.kind = client::tag_kind::time;
    column.unit = kind == "date" ? client::time_unit::date : client::time_unit::timestamp;
  } else if (kind == "decimal") {
    column.kind = client::tag_kind::decimal;
    column.precision = 18;
  } else if (unsigned p = 0, s = 0;
             std::sscanf(kind.c_str(), "decimal(%u,%u)", &p, &s) == 2 && kind.back() == ')') {
    column.kind = client::tag_kind::decimal;
    column.precision = p;
    column.scale = s;
  } else {
    throw bad("unknown kind '" + kind + "'");
  }
  return column;
}

client::key_kind parse_key_kind(const std::string& text) {
  if (text == "u64")
    return client::key_kind::u64;
  if (text == "string")
    return client::key_kind::string;
  throw usage_error("--keys '" + text + "': expected u64 or string");
}

int64_t parse_time(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  long long seconds = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && *end == '\0' && errno == 0)
    return seconds;
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char separator = ' ';
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &year, &month, &day, &separator,
                      &hour, &minute, &second);
  if (!(n == 3 || (n == 7 && (separator == ' ' || separator == 'T'))) || month < 1 || month > 12 ||
      day < 1 || day > 31)
    throw usage_error("--now '" + text +
                      "': expected seconds since the epoch or 'YYYY-MM-DD[ HH:MM:SS]' (UTC)");
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

char parse_delimiter(const std::string& text) {
  if (text == "tab" || text == "\\t")
    return '\t';
  if (text.size() != 1 || text == "\n" || text == "\"")
    throw usage_error("--delimiter '" + text + "': expected one character (or 'tab')");
  return text[0];
}

namespace {

std::string read_all(const std::string& path) {
  if (path == "-") {
    std::ostringstream out;
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw client::error("IO_ERROR", "cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The fields of one record (RFC 4180, as the node reads them).
std::vector<std::optional<std::string>> split_fields(std::string_view record, char delimiter) {
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r'))
    record.remove_suffix(1);
  std::vector<std::optional<std::string>> fields;
  size_t i = 0;
  while (true) {
    if (i < record.size() && record[i] == '"') {
      std::string value;
      for (++i; i < record.size(); ++i) {
        if (record[i] == '"' && i + 1 < record.size() && record[i + 1] == '"')
          value += record[++i];
        else if (record[i] == '"')
          break;
        else
          value += record[i];
      }
      fields.emplace_back(std::move(value));
      i = record.find(delimiter, i);
    } else {
      size_t end = record.find(delimiter, i);
      std::string_view value = record.substr(i, end == std::string_view::npos ? end : end - i);
      if (value.empty() || value == "\\N")
        fields.emplace_back(std::nullopt);
      else
        fields.emplace_back(std::string(value));
      i = end;
    }
    if (i == std::string_view::npos || i >= record.size())
      break;
    ++i; // past the delimiter
    if (i == record.size()) {
      fields.emplace_back(std::nullopt);
      break;
    }
  }
  return fields;
}

} // namespace

std::vector<std::string> read_lines(const std::string& path) {
  std::istringstream in(read_all(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::vector<std::optional<std::string>>> read_records(const std::string& path,
                                                                  char delimiter) {
  client::detail::record_splitter splitter(delimiter);
  splitter.append(read_all(path));
  std::vector<std::vector<std::optional<std::string>>> records;
  auto add = [&](const client::detail::record_run& record) {
    if (record.bytes != "\n" && record.bytes != "\r\n") // an empty line
      records.push_back(split_fields(record.bytes, delimiter));
  };
  while (auto record = splitter.take(1))
    add(*record);
  if (auto last = splitter.finish())
    add(*last);
  return records;
}

} // namespace tagd::tagctl
