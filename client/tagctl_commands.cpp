#include "client/tagctl_commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

namespace tagd::tagctl {

namespace {

using client::error;

// ---- options shared by several commands ----

void no_options(po::options_description&) {}

void query_options(po::options_description& o) {
  o.add_options()("entity", po::value<std::string>()->value_name("E"),
                  "entity type (default: user)")(
      "now", po::value<std::string>()->value_name("T"),
      "the time WITHIN counts from: seconds since the epoch or 'YYYY-MM-DD[ HH:MM:SS]' UTC "
      "(default: the node's clock)");
}

void entity_option(po::options_description& o) {
  o.add_options()("entity", po::value<std::string>()->value_name("E"),
                  "entity type (default: user)");
}

void version_option(po::options_description& o) {
  o.add_options()("version", po::value<uint32_t>()->value_name("N")->default_value(0),
                  "group version (0: the latest)");
}

std::string input_of(const invocation& call, size_t index) {
  return call.args().size() > index ? call.arg(index) : "-";
}

void print_catalog_version(const invocation& call, const std::string& done, uint64_t version) {
  if (call.json_output())
    print_json({{"catalog_version", version}});
  else
    std::cout << done << " (catalog version " << version << ")\n";
}

// ---- node ----

void ping_options(po::options_description& o) {
  o.add_options()("count", po::value<unsigned>()->value_name("N")->default_value(1),
                  "calls to make; with more than one, prints the latency distribution");
}

int ping(invocation& call) {
  auto& node = call.node();
  unsigned count = std::max(1u, call.get<unsigned>("count"));
  std::vector<double> micros;
  for (unsigned i = 0; i < count; ++i) {
    auto start = std::chrono::steady_clock::now();
    node.ping();
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<size_t>(q * (micros.size() - 1))]; };
  if (call.json_output()) {
    print_json({{"address", node.address()},
                {"calls", count},
                {"min_us", micros.front()},
                {"p50_us", at(0.5)},
                {"p99_us", at(0.99)},
                {"max_us", micros.back()}});
  } else if (count == 1) {
    std::printf("pong from %s in %.3f ms\n", node.address().c_str(), micros[0] / 1000);
  } else {
    std::printf("pong from %s: %u calls, min %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us\n",
                node.address().c_str(), count, micros.front(), at(0.5), at(0.99), micros.back());
  }
  return 0;
}

int status(invocation& call) {
  client::node_status s = call.node().status();
  if (call.json_output()) {
    print_json({{"version", s.version},
                {"data_directory", s.data_directory},
                {"vshards", s.vshards},
                {"uptime_seconds", s.uptime_seconds},
                {"catalog_version", s.catalog_version},
                {"requests_served", s.requests_served},
                {"requests_failed", s.requests_failed}});
    return 0;
  }
  print_table({"field", "value"}, {{"address", call.node().address()},
                                   {"version", s.version},
                                   {"data directory", s.data_directory},
                                   {"vshards", std::to_string(s.vshards)},
                                   {"uptime", duration(s.uptime_seconds)},
                                   {"catalog version", std::to_string(s.catalog_version)},
                                   {"requests served", with_commas(s.requests_served)},
                                   {"requests failed", with_commas(s.requests_failed)}});
  return 0;
}

// ---- catalog ----

void define_entity_options(po::options_description& o) {
  o.add_options()("keys", po::value<std::string>()->value_name("KIND")->default_value("u64"),
                  "key kind: u64 or string");
}

int define_entity(invocation& call) {
  client::entity_def def{call.arg(0), parse_key_kind(call.get<std::string>("keys"))};
  print_catalog_version(call, "defined entity " + def.name, call.node().define_entity(def));
  return 0;
}

void define_table_options(po::options_description& o) {
  o.add_options()("column", po::value<std::vector<std::string>>()->value_name("SPEC")->composing(),
                  "a tag fed by a column, repeated in column order: tag:kind[:column] with kind "
                  "bool|enum|set|int|decimal(p,s)|date|timestamp and column a header name or "
                  "#N (default: the tag's name)")(
      "key-column", po::value<std::string>()->value_name("C"),
      "the key's column: header name or #N (default: the first column)")(
      "entity", po::value<std::string>()->value_name("E"), "entity type (default: user)")(
      "realtime", "a real-time table (upsert/remove) instead of an offline one (import)")(
      "multi-row", "an entity may have several rows")(
      "retention", po::value<uint32_t>()->value_name("N"),
      "versions kept, the current one included (default: the node's)");
}

int define_table(invocation& call) {
  client::table_def def;
  def.name = call.arg(0);
  if (!call.has("column"))
    throw usage_error("a table needs at least one --column");
  for (const auto& spec : call.get<std::vector<std::string>>("column"))
    def.columns.push_back(parse_column(spec));
  def.key_column = call.maybe<std::string>("key-column").value_or("");
  def.entity = call.maybe<std::string>("entity").value_or("");
  def.mode = call.has("realtime") ? client::table_mode::realtime : client::table_mode::offline;
  def.multi_row = call.has("multi-row");
  def.retention = call.maybe<uint32_t>("retention").value_or(0);
  print_catalog_version(call, "defined table " + def.name, call.node().define_table(def));
  return 0;
}

void define_composite_options(po::options_description& o) {
  entity_option(o);
  o.add_options()("materialized", "store its members (refreshed when its inputs change)");
}

int define_composite(invocation& call) {
  client::composite_def def{call.arg(0), call.maybe<std::string>("entity").value_or(""),
                            call.arg(1), call.has("materialized")};
  print_catalog_version(call, "defined composite tag " + def.name,
                        call.node().define_composite(def));
  return 0;
}

int catalog(invocation& call) {
  client::catalog c = call.node().catalog();
  if (call.json_output()) {
    print_json(to_json(c));
    return 0;
  }
  auto entity_name = [](const std::string& e) { return e.empty() ? std::string("user") : e; };
  std::cout << "catalog version " << c.version << "\n\nentities\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : c.entities)
    rows.push_back({e.name, e.keys == client::key_kind::string ? "string" : "u64"});
  print_table({"name", "keys"}, rows);

  std::cout << "\ntables\n";
  rows.clear();
  for (const auto& t : c.tables) {
    std::string columns;
    for (const auto& col : t.def.columns) {
      columns += (columns.empty() ? "" : ", ") + col.tag + ":" + kind_name(col);
      if (!col.column.empty() && col.column != col.tag)
        columns += ":" + col.column;
    }
    std::string versions;
    for (const auto& v : t.versions)
      versions +=
          (versions.empty() ? "" : ", ") + v.label + " (#" + std::to_string(v.storage_id) + ")";
    std::string mode = t.def.mode == client::table_mode::realtime ? "realtime" : "offline";
    if (t.def.multi_row)
      mode += ", multi-row";
    rows.push_back({t.def.name, entity_name(t.def.entity), mode,
                    t.def.key_column.empty() ? "#1" : t.def.key_column, columns,
                    versions.empty() ? "-" : versions});
  }
  print_table({"name", "entity", "mode", "key", "columns", "versions (current last)"}, rows);

  std::cout << "\ncomposites\n";
  rows.clear();
  for (const auto& x : c.composites)
    rows.push_back({x.name, entity_name(x.entity), x.materialized ? "yes" : "no", x.expression});
  print_table({"name", "entity", "materialized", "expression"}, rows);

  std::cout << "\ngroups\n";
  rows.clear();
  for (const auto& g : c.groups)
    rows.push_back({g.group, std::to_string(g.version), with_commas(g.count),
                    utc_time(g.created_unix), entity_name(g.entity),
                    g.expression.empty() ? "(uploaded)" : g.expression});
  print_table({"name", "version", "count", "created (UTC)", "entity", "expression"}, rows,
              {false, true, true});
  return 0;
}

int drop_table(invocation& call) {
  print_catalog_version(call, "dropped table " + call.arg(0), call.node().drop_table(call.arg(0)));
  return 0;
}

int drop_group(invocation& call) {
  print_catalog_version(call, "dropped group " + call.arg(0), call.node().drop_group(call.arg(0)));
  return 0;
}

// ---- loads ----

void delimiter_options(po::options_description& o) {
  o.add_options()("delimiter", po::value<std::string>()->value_name("X")->default_value(","),
                  "field delimiter: one character, or 'tab'")(
      "no-header", "the first line is a row, not the column names");
}

void import_options(po::options_description& o) {
  delimiter_options(o);
  o.add_options()("max-rejected", po::value<uint64_t>()->value_name("N")->default_value(1000),
                  "past this many bad rows the load aborts")(
      "batch-mib", po::value<unsigned>()->value_name("N")->default_value(2),
      "MiB of whole rows per batch")("window",
                                     po::value<unsigned>()->value_name("N")->default_value(4),
                                     "batches sent before waiting for the oldest reply");
}

int import(invocation& call) {
  client::import_options options;
  options.delimiter = parse_delimiter(call.get<std::string>("delimiter"));
  options.header = !call.has("no-header");
  options.max_rejected = call.get<uint64_t>("max-rejected");
  options.batch_bytes = size_t{std::max(1u, call.get<unsigned>("batch-mib"))} << 20;
  options.window = std::max(1u, call.get<unsigned>("window"));
  std::vector<std::string> files(call.args().begin() + 2, call.args().end());
  progress_line line;
  auto start = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  auto report = call.node().import_files(
      files, call.arg(0), call.arg(1), options, [&](const client::import_progress& p) {
        bytes = p.bytes;
        std::string text = p.committing
                               ? "committing: " + with_commas(p.rows_read) + " rows"
                               : "importing " + p.file + ": " + with_commas(p.rows_read) +
                                     " rows  " + transfer_text(p.bytes, p.total_bytes, p.rate);
        if (p.rejected > 0)
          text += "  " + with_commas(p.rejected) + " rejected";
        line.show(text, p.committing);
      });
  line.clear();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (call.json_output()) {
    json out = to_json(report);
    out["client_seconds"] = seconds;
    out["bytes"] = bytes;
    print_json(out);
    return 0;
  }
  std::ostringstream rate;
  rate.setf(std::ios::fixed);
  rate.precision(1);
  rate << (seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0) << " MB/s";
  std::cout << "loaded " << with_commas(report.rows_loaded) << " rows into " << report.table
            << " version " << report.label << " (storage " << report.storage_id
            << "): " << with_commas(report.keys) << " keys, " << with_commas(report.rows_read)
            << " rows read, " << with_commas(report.rejected) << " rejected; " << duration(seconds)
            << " (" << rate.str() << ")\n";
  if (!report.rejects.empty()) {
    std::cout << "rejected rows (" << report.rejects.size() << " of "
              << with_commas(report.rejected) << "):\n";
    for (const auto& r : report.rejects)
      std::cout << "  " << r.source << ":" << r.line << ": " << r.reason << "\n";
  }
  return 0;
}

void upsert_options(po::options_description& o) {
  delimiter_options(o);
  o.add_options()("batch", po::value<size_t>()->value_name("N")->default_value(10000),
                  "rows per request");
}

// Where each of the table's columns is in the input: the key first, then the tags in order.
std::vector<size_t> field_positions(const client::table_def& table,
                                    const std::vector<std::optional<std::string>>* header) {
  std::vector<std::string> wanted{table.key_column.empty() ? "#1" : table.key_column};
  for (const auto& c : table.columns)
    wanted.push_back(c.column.empty() ? c.tag : c.column);
  std::vector<size_t> positions;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!header) {
      positions.push_back(i);
      continue;
    }
    const std::string& name = wanted[i];
    if (name.size() > 1 && name[0] == '#') {
      positions.push_back(std::stoul(name.substr(1)) - 1);
      continue;
    }
    auto found = std::find(header->begin(), header->end(), std::optional<std::string>(name));
    if (found == header->end())
      throw error("INVALID_ARGUMENT",
                  "the header has no column '" + name + "' for table " + table.name);
    positions.push_back(static_cast<size_t>(found - header->begin()));
  }
  return positions;
}

int upsert(invocation& call) {
  auto& node = call.node();
  const std::string& table_name = call.arg(0);
  auto records =
      read_records(input_of(call, 1), parse_delimiter(call.get<std::string>("delimiter")));
  bool header = !call.has("no-header");
  client::catalog c = node.catalog();
  auto table = std::find_if(c.tables.begin(), c.tables.end(),
                            [&](const client::table_info& t) { return t.def.name == table_name; });
  if (table == c.tables.end())
    throw error("NOT_FOUND", "no table '" + table_name + "'");
  if (header && records.empty())
    throw error("INVALID_ARGUMENT", "no header line (use --no-header for rows only)");
  auto positions = field_positions(table->def, header ? &records.front() : nullptr);
  size_t batch = std::max<size_t>(1, call.get<size_t>("batch"));
  std::vector<client::row> rows;
  uint64_t sent = 0;
  auto flush = [&] {
    if (!rows.empty())
      node.upsert(table_name, rows);
    sent += rows.size();
    rows.clear();
  };
  for (size_t r = header ? 1 : 0; r < records.size(); ++r) {
    const auto& record = records[r];
    client::row row;
    for (size_t i = 0; i < positions.size(); ++i) {
      std::optional<std::string> field =
          positions[i] < record.size() ? record[positions[i]] : std::nullopt;
      if (i == 0) {
        if (!field)
          throw error("BAD_ROW", "record " + std::to_string(r + 1) + " has no key");
        row.key = *field;
      } else {
        row.fields.push_back(std::move(field));
      }
    }
    rows.push_back(std::move(row));
    if (rows.size() >= batch)
      flush();
  }
  flush();
  if (call.json_output())
    print_json({{"table", table_name}, {"rows", sent}});
  else
    std::cout << "upserted " << with_commas(sent) << " rows into " << table_name << "\n";
  return 0;
}

void remove_options(po::options_description& o) {
  o.add_options()("file", po::value<std::string>()->value_name("F"),
                  "read keys from F, one per line ('-': standard input)");
}

int remove(invocation& call) {
  std::vector<std::string> keys(call.args().begin() + 1, call.args().end());
  if (call.has("file") || keys.empty()) {
    auto more = read_lines(call.maybe<std::string>("file").value_or("-"));
    keys.insert(keys.end(), more.begin(), more.end());
  }
  uint64_t removed = 0;
  constexpr size_t batch = 100000;
  for (size_t i = 0; i < keys.size(); i += batch) {
    std::vector<std::string> part(keys.begin() + i,
                                  keys.begin() + std::min(keys.size(), i + batch));
    removed += call.node().remove(call.arg(0), part);
  }
  if (call.json_output())
    print_json({{"table", call.arg(0)}, {"keys", keys.size()}, {"removed", removed}});
  else
    std::cout << "removed " << with_commas(removed) << " rows of " << with_commas(keys.size())
              << " keys from " << call.arg(0) << "\n";
  return 0;
}

// ---- queries ----

void snapshot_option(po::options_description& o) {
  query_options(o);
  o.add_options()("snapshot", "also print the table and group versions the answer saw");
}

void print_snapshot(const client::snapshot& s) {
  std::cout << "snapshot: catalog version " << s.catalog_version;
  for (const auto& t : s.tables)
    std::cout << ", " << t.table << " " << t.label << " (#" << t.storage_id << ")";
  for (const auto& g : s.groups)
    std::cout << ", group " << g.group << " v" << g.version;
  std::cout << "\n";
}

int estimate(invocation& call) {
  auto r = call.node().estimate(call.arg(0), call.query());
  if (call.json_output()) {
    print_json({{"count", r.count}, {"snapshot", to_json(r.seen)}});
    return 0;
  }
  std::cout << r.count << "\n";
  if (call.has("snapshot"))
    print_snapshot(r.seen);
  return 0;
}

int breakdown(invocation& call) {
  auto r = call.node().breakdown(call.arg(0), call.arg(1), call.query());
  std::sort(r.entries.begin(), r.entries.end(), [](const auto& a, const auto& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
  if (call.json_output()) {
    json entries = json::array();
    for (const auto& e : r.entries)
      entries.push_back({{"value", e.value}, {"count", e.count}});
    print_json({{"tag", call.arg(1)}, {"entries", entries}, {"snapshot", to_json(r.seen)}});
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : r.entries)
    rows.push_back({e.value, with_commas(e.count)});
  print_table({call.arg(1), "count"}, rows, {false, true});
  if (call.has("snapshot"))
    print_snapshot(r.seen);
  return 0;
}

void print_group_version(const client::group_version_info& g) {
  std::cout << "group " << g.group << " version " << g.version << ": " << with_commas(g.count)
            << " members\n";
}

int select(invocation& call) {
  auto r = call.node().select(call.arg(0), call.arg(1), call.query());
  if (call.json_output()) {
    print_json({{"version", to_json(r.version)}, {"snapshot", to_json(r.seen)}});
    return 0;
  }
  print_group_version(r.version);
  if (call.has("snapshot"))
    print_snapshot(r.seen);
  return 0;
}

int upload(invocation& call) {
  auto keys = read_lines(input_of(call, 1));
  auto r = call.node().upload(call.arg(0), call.maybe<std::string>("entity").value_or(""), keys);
  if (call.json_output()) {
    print_json({{"version", to_json(r.version)},
                {"unknown_keys", r.unknown_keys},
                {"unknown_sample", r.unknown_sample}});
    return 0;
  }
  print_group_version(r.version);
  if (r.unknown_keys > 0) {
    std::cout << with_commas(r.unknown_keys) << " keys unknown to the node, e.g.";
    for (const auto& k : r.unknown_sample)
      std::cout << " " << k;
    std::cout << "\n";
  }
  return 0;
}

// ---- export ----

void export_options(po::options_description& o) {
  version_option(o);
  o.add_options()("out", po::value<std::string>()->value_name("DIR")->required(),
                  "directory for the part files and manifest.json");
}

int export_group(invocation& call) {
  progress_line line;
  auto r = call.node().export_to_directory(
      call.arg(0), call.get<uint32_t>("version"), call.get<std::string>("out"),
      [&](const client::export_progress& p) {
        line.show("exporting " + call.arg(0) + ": part " + std::to_string(p.parts_done) + "/" +
                      std::to_string(p.parts) + "  " +
                      transfer_text(p.bytes, p.total_bytes, p.rate),
                  p.parts_done == p.parts);
      });
  line.clear();
  if (call.json_output()) {
    json files = json::array();
    for (const auto& f : r.files)
      files.push_back({{"name", f.name},
                       {"vshard", f.vshard},
                       {"rows", f.rows},
                       {"bytes", f.bytes},
                       {"crc32", f.crc32}});
    print_json({{"version", to_json(r.version)},
                {"directory", r.directory},
                {"manifest", r.manifest},
                {"files", files},
                {"bytes", r.bytes},
                {"seconds", r.seconds}});
    return 0;
  }
  std::ostringstream mb;
  mb.setf(std::ios::fixed);
  mb.precision(1);
  mb << static_cast<double>(r.bytes) / 1e6;
  std::cout << "exported group " << r.version.group << " version " << r.version.version << ": "
            << with_commas(r.version.count) << " keys in " << r.files.size() << " files ("
            << mb.str() << " MB) in " << duration(r.seconds) << "; manifest " << r.manifest << "\n";
  return 0;
}

// ---- validation ----

int contains(invocation& call) {
  bool member = call.node().contains(call.arg(0), call.arg(1), call.get<uint32_t>("version"));
  if (call.json_output())
    print_json({{"group", call.arg(0)}, {"key", call.arg(1)}, {"member", member}});
  else
    std::cout << (member ? "true" : "false") << "\n";
  return 0;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

int contains_many(invocation& call) {
  auto keys = read_lines(input_of(call, 1));
  auto members = call.node().contains_many(call.arg(0), keys, call.get<uint32_t>("version"));
  if (call.json_output()) {
    json out = json::array();
    for (size_t i = 0; i < keys.size(); ++i)
      out.push_back({{"key", keys[i]}, {"member", bool(members[i])}});
    print_json(out);
    return 0;
  }
  std::string text;
  for (size_t i = 0; i < keys.size(); ++i)
    text += csv_field(keys[i]) + (members[i] ? ",true\n" : ",false\n");
  std::cout << text;
  return 0;
}

int groups_of(invocation& call) {
  auto groups = call.node().groups_of(call.arg(0), call.maybe<std::string>("entity").value_or(""));
  if (call.json_output()) {
    print_json({{"key", call.arg(0)}, {"groups", groups}});
    return 0;
  }
  for (const auto& g : groups)
    std::cout << g << "\n";
  return 0;
}

constexpr size_t any = static_cast<size_t>(-1);

} // namespace

const std::vector<command>& commands() {
  static const std::vector<command> all = {
      {"ping", "", 0, 0, "checks that the node answers", "", ping_options, ping},
      {"status", "", 0, 0, "shows the node's version, data directory and counters", "", no_options,
       status},
      {"define-entity", "NAME", 1, 1, "defines an entity type", "", define_entity_options,
       define_entity},
      {"define-table", "NAME", 1, 1, "defines a table and the tags its columns feed",
       "example:\n  tagctl define-table profile --key-column uid --column city:enum \\\n"
       "    --column age:int --column spend:decimal(12,2) --column born:date:birth_date\n",
       define_table_options, define_table},
      {"define-composite", "NAME EXPR", 2, 2, "defines a tag by an expression over other tags", "",
       define_composite_options, define_composite},
      {"catalog", "", 0, 0, "lists entity types, tables and versions, composites, groups", "",
       no_options, catalog},
      {"drop-table", "NAME", 1, 1, "drops a table and its tags", "", no_options, drop_table},
      {"drop-group", "NAME", 1, 1, "drops a group and all its versions", "", no_options,
       drop_group},
      {"import", "TABLE LABEL FILE...", 3, any, "loads files as a new version of an offline table",
       "Files are CSV or TSV, gzip-compressed or not; '-' is standard input. Shows progress on\n"
       "stderr, then the rows loaded and the rejected rows with file, line and reason.\n",
       import_options, import},
      {"upsert", "TABLE [FILE]", 1, 2, "inserts or replaces rows of a real-time table",
       "Rows come from FILE or standard input. With a header the columns are found by name;\n"
       "without one (--no-header) each row is the key, then one field per tag in the table's\n"
       "order. An unquoted empty field or \\N is NULL.\n",
       upsert_options, upsert},
      {"remove", "TABLE [KEY...]", 1, any, "removes the rows of keys from a real-time table",
       "Keys come from the arguments, --file, or else standard input, one per line.\n",
       remove_options, remove},
      {"estimate", "EXPR", 1, 1, "counts the entities matching an expression",
       "The expression language is in docs/expressions.md, e.g.\n"
       "  tagctl estimate \"city IN ('Shanghai', 'Beijing') AND age BETWEEN 20 AND 35\"\n",
       snapshot_option, estimate},
      {"breakdown", "EXPR TAG", 2, 2, "counts the matches per value of an enum, set or bool tag",
       "", snapshot_option, breakdown},
      {"select", "GROUP EXPR", 2, 2, "stores the matches as a new version of a group", "",
       snapshot_option, select},
      {"upload", "GROUP [FILE]", 1, 2, "stores a list of keys as a new version of a group",
       "Keys come from FILE or standard input, one per line.\n", entity_option, upload},
      {"export", "GROUP", 1, 1, "writes a group version as files and a manifest",
       "One file per vshard (part-NNNN.csv, one key per line), each checked against the node's\n"
       "row count and CRC-32, then manifest.json.\n",
       export_options, export_group},
      {"contains", "GROUP KEY", 2, 2, "says whether a key is in a group: true or false", "",
       version_option, contains},
      {"contains-many", "GROUP [FILE]", 1, 2, "checks many keys and prints key,true|false",
       "Keys come from FILE or standard input, one per line.\n", version_option, contains_many},
      {"groups-of", "KEY", 1, 1, "lists the groups (latest versions) holding a key", "",
       entity_option, groups_of},
  };
  return all;
}

} // namespace tagd::tagctl
