#pragma once
// Plain values exchanged with a tagd node, one struct per struct of protocol/tagd.capnp, with
// the same meaning (see that file for every field). No Cap'n Proto type appears here, so users of
// the client library never include generated code.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tagd::client {

enum class key_kind { u64, string };
enum class tag_kind { bool_, enum_, set, int_, decimal, time };
enum class time_unit { date, timestamp };
enum class table_mode { offline, realtime };

// ---- catalog ----

struct entity_def {
  std::string name;
  key_kind keys = key_kind::u64;
};

struct column_def {
  std::string tag;
  std::string column; // header name or "#N" (1-based position); empty: the tag's name
  tag_kind kind = tag_kind::enum_;
  uint32_t precision = 0; // decimal
  uint32_t scale = 0;     // decimal
  time_unit unit = time_unit::date;
};

struct table_def {
  std::string name;
  std::string entity;     // empty: "user"
  std::string key_column; // empty: the first column
  std::vector<column_def> columns;
  table_mode mode = table_mode::offline;
  bool multi_row = false;
  uint32_t retention = 0; // versions kept, the current one included; 0: the node's default
};

struct composite_def {
  std::string name;
  std::string entity;
  std::string expression;
  bool materialized = false;
};

struct table_version {
  std::string table;
  uint32_t storage_id = 0;
  std::string label;
};

struct group_version {
  std::string group;
  uint32_t version = 0;
};

// What a query saw; passing it back in query_options::pin reads exactly these versions.
struct snapshot {
  uint64_t catalog_version = 0;
  std::vector<table_version> tables;
  std::vector<group_version> groups;
};

struct table_info {
  table_def def;
  std::vector<table_version> versions; // oldest first; the last is current
};

struct group_version_info {
  std::string group;
  uint32_t version = 0;
  uint64_t count = 0;
  int64_t created_unix = 0;
  std::string expression; // empty for an uploaded group
  std::string entity;
};

struct catalog {
  uint64_t version = 0;
  std::vector<entity_def> entities;
  std::vector<table_info> tables;
  std::vector<composite_def> composites;
  std::vector<group_version_info> groups; // every kept version of every group
};

struct node_status {
  std::string version;
  std::string data_directory;
  uint32_t vshards = 0;
  double uptime_seconds = 0;
  uint64_t catalog_version = 0;
  uint64_t requests_served = 0;
  uint64_t requests_failed = 0;
};

// ---- queries ----

struct query_options {
  std::string entity;          // empty: "user"
  int64_t now = 0;             // seconds since the epoch for WITHIN; 0: the node's clock
  std::optional<snapshot> pin; // unset: the current versions
  uint32_t deadline_ms = 0;    // 0: connection_options::deadline_ms, else the node's default
};

struct estimate_result {
  uint64_t count = 0;
  snapshot seen;
};

struct breakdown_entry {
  std::string value;
  uint64_t count = 0;
};

struct breakdown_result {
  std::vector<breakdown_entry> entries;
  snapshot seen;
};

struct select_result {
  group_version_info version;
  snapshot seen;
};

struct upload_result {
  group_version_info version;
  uint64_t unknown_keys = 0;
  std::vector<std::string> unknown_sample;
};

// ---- import ----

struct import_options {
  char delimiter = ',';
  bool header = true;           // the first line of the (first) file names the columns
  uint64_t max_rejected = 1000; // past this many bad rows the node aborts the load
  // import_file(s) only: the size a batch of whole records aims at, and how many batches may
  // wait for their reply before the next is sent (the flow control).
  size_t batch_bytes = size_t{2} << 20;
  unsigned window = 4;
};

// The node's running totals after a batch.
struct batch_reply {
  uint64_t rows_read = 0;
  uint64_t rejected = 0;
};

struct reject {
  std::string source;
  uint64_t line = 0;
  std::string reason;
};

struct import_report {
  std::string table;
  std::string label;
  uint32_t storage_id = 0;
  uint64_t rows_read = 0;
  uint64_t rows_loaded = 0;
  uint64_t keys = 0;
  uint64_t rejected = 0;
  std::vector<reject> rejects; // the first ones
  double seconds = 0;
};

// How fast a transfer goes.
struct transfer_rate {
  double seconds = 0;
  double mb_per_second = 0; // input MB (10^6 bytes) per second
  double eta_seconds = -1;  // time left; -1: unknown
};

// Reported by import_file(s) after every batch reply and once when committing.
struct import_progress {
  std::string file;         // the file being read
  uint64_t rows_sent = 0;   // records sent, headers excluded
  uint64_t rows_read = 0;   // the node's count so far
  uint64_t rejected = 0;    // the node's count so far
  uint64_t bytes = 0;       // input bytes consumed (compressed bytes for gzip files)
  uint64_t total_bytes = 0; // of all files; 0 if unknown (standard input)
  transfer_rate rate;
  bool committing = false; // every batch was sent; waiting for the commit
};

// ---- real-time rows ----

struct row {
  std::string key;
  std::vector<std::optional<std::string>> fields; // the table's column order; nullopt: NULL
};

// ---- export ----

struct part_info {
  uint32_t vshard = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};

struct export_info {
  group_version_info version;
  std::vector<part_info> parts;
};

struct exported_file {
  std::string name; // inside the directory, e.g. "part-0007.csv"
  uint32_t vshard = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};

struct export_result {
  group_version_info version;
  std::string directory;
  std::string manifest; // path of manifest.json, written last
  std::vector<exported_file> files;
  uint64_t bytes = 0;
  double seconds = 0;
};

struct export_progress {
  uint64_t bytes = 0;
  uint64_t total_bytes = 0;
  uint32_t parts_done = 0;
  uint32_t parts = 0;
  transfer_rate rate;
};

} // namespace tagd::client
