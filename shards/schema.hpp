#pragma once
// The catalog's model: entity types, tags, tables with their versions, and groups with theirs.
// Plain values; the catalog (catalog.hpp) persists and versions them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tagd {

enum class key_kind { u64, string };
enum class tag_kind { bool_, enum_, set, int_, decimal, time, composite };
enum class time_unit { date, timestamp }; // days or seconds since 1970-01-01 UTC
enum class table_mode { offline, realtime };

const char* to_string(key_kind k);
const char* to_string(tag_kind k);
const char* to_string(time_unit u);
const char* to_string(table_mode m);

// True for kinds stored as a bit-sliced index (ranges), false for a bitmap per value.
inline bool is_ranged(tag_kind k) {
  return k == tag_kind::int_ || k == tag_kind::decimal || k == tag_kind::time;
}

// The entity type of a request, table or group that names none; a new data directory has it.
inline const std::string& default_entity() {
  static const std::string user = "user";
  return user;
}
inline const std::string& entity_or_default(const std::string& entity) {
  return entity.empty() ? default_entity() : entity;
}

struct entity_def {
  std::string name;
  key_kind keys = key_kind::u64;
  // The union of the present keys of the current offline table versions, stored per vshard
  // (slot 0 of kPresentTag under this storage id; 0: none), and the versions it was built from.
  uint32_t universe_storage = 0;
  std::vector<uint32_t> universe_inputs;
};

struct tag_def {
  uint32_t id = 0;
  std::string name;
  std::string entity;
  tag_kind kind = tag_kind::bool_;
  uint32_t precision = 18; // decimal: total digits
  uint32_t scale = 0;      // decimal: digits after the point; values are stored times 10^scale
  time_unit unit = time_unit::date;
  std::string table;      // the table whose column feeds it; empty for a composite tag
  std::string column;     // source column: a header name, or "#N" for the 1-based position N
  std::string expression; // composite: its definition
  bool materialized = false;
  // A materialized composite's stored bitmap (slot 0 under this storage id, 0: none yet) and
  // the inputs it was computed from; served only while the inputs are still current.
  uint32_t materialized_storage = 0;
  std::map<std::string, uint32_t> materialized_tables; // table → storage id
  std::map<std::string, uint32_t> materialized_groups; // group → version
};

struct table_version {
  uint32_t storage_id = 0; // names the version's data inside every vshard
  std::string label;       // e.g. a partition date
  int64_t created = 0;     // seconds since the epoch
  uint64_t rows = 0;
};

struct table_def {
  uint32_t id = 0;
  std::string name;
  std::string entity;
  table_mode mode = table_mode::offline;
  bool multi_row = false;              // several rows per key; a leaf matches if any row matches
  std::string key_column;              // a header name or "#N"
  std::vector<std::string> tags;       // tag names fed by this table, in column order
  uint32_t retention = 2;              // offline versions kept, the current one included
  std::string set_separator = ";";     // between the values of a set tag inside one field
  std::vector<table_version> versions; // committed, oldest first; the current one is last
};

struct group_version {
  uint32_t version = 0;
  int64_t created = 0;
  uint64_t count = 0;
  std::string expression;                         // what was selected (empty for an uploaded list)
  std::map<std::string, uint32_t> table_versions; // the snapshot it saw: table → storage id
};

struct group_def {
  uint32_t id = 0;
  std::string name;
  std::string entity;
  std::vector<group_version> versions; // oldest first
};

} // namespace tagd
