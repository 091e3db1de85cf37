#pragma once
// A data directory: the catalog plus, per entity type, one vshard_store per vshard
// (<data>/entities/<entity>/vshard-NNNN). Most operations here run over all vshards of the
// directory; each is made of the per-vshard pieces (the "per vshard" section) that actors call
// one vshard at a time.

#include "shards/catalog.hpp"
#include "shards/csv_reader.hpp"
#include "shards/evaluator.hpp"
#include "shards/expression.hpp"
#include "shards/query_plan.hpp"
#include "shards/stored_counts.hpp"
#include "shards/vshard_store.hpp"
#include "shards/worker_pool.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tagd {

struct database_options {
  uint32_t vshards = 16; // for a new data directory; an existing one keeps its own
  bool no_sync = false;  // see lmdb_options::no_sync
  size_t vshard_map_size = size_t{64} << 30;
  // Worker threads besides the calling thread, which always takes part: 1 uses both cores of a
  // two-core machine; 0 runs every import and query on the calling thread alone.
  unsigned threads = 1;
  // Keep every vshard's keys → ordinals in memory (shards/key_index.hpp) from the first
  // membership check or upload on: 18–36 bytes per key, for checks at memory speed.
  bool key_index = true;
  // Test seam: the hash string keys are indexed by (key_index_options::string_hash).
  uint64_t (*string_key_hash)(std::string_view key) = nullptr;
};

struct column_spec {
  std::string tag;
  std::string column; // header name, or "#N" for the 1-based position N; empty: same as tag
  tag_kind kind = tag_kind::enum_;
  uint32_t precision = 18;
  uint32_t scale = 0;
  time_unit unit = time_unit::date;
};

struct table_spec {
  std::string name;
  std::string entity = default_entity();
  table_mode mode = table_mode::offline;
  bool multi_row = false;
  std::string key_column = "#1";
  std::vector<column_spec> columns;
  uint32_t retention = 2;
  std::string set_separator = ";";
};

struct rejected_row {
  std::string file;
  uint64_t line = 0;
  std::string reason;
};

struct import_progress {
  uint64_t rows = 0;
  uint64_t bytes = 0;       // of the input consumed so far
  uint64_t total_bytes = 0; // of all input files
  double seconds = 0;
  const char* phase = ""; // "reading" or "writing"
};

struct import_options {
  csv_options csv;
  bool header = true;              // the first record names the columns
  std::string null_marker = "\\N"; // an unquoted field equal to it is NULL
  bool empty_is_null = true;       // an unquoted empty field is NULL
  uint64_t max_rejected = 1000;    // past this many rejected rows the load aborts
  size_t max_reported = 100;       // rejected rows kept in the report
  std::function<void(const import_progress&)> progress;
};

struct import_report {
  std::string table;
  std::string label;
  uint32_t storage_id = 0;
  uint64_t rows_read = 0;
  uint64_t rows_loaded = 0;
  uint64_t keys = 0;
  uint64_t rejected_count = 0;
  std::vector<rejected_row> rejected; // the first max_reported
  double seconds = 0;
};

struct query_options {
  std::optional<int64_t> now; // default: the system clock
  // Read these versions instead of the current ones (see bind_options): table → storage id and
  // group → version, e.g. the table_versions and group_versions of a plan bound earlier, so
  // that a later estimate, breakdown or selection sees exactly the same data. NOT_FOUND, naming
  // the table and version, once retention has dropped a pinned version.
  std::map<std::string, uint32_t> table_versions;
  std::map<std::string, uint32_t> group_versions;
};

struct group_version_info {
  std::string group;
  uint32_t version = 0;
  uint64_t count = 0;
};

struct export_report {
  std::string group;
  uint32_t version = 0;
  uint64_t count = 0;
  struct part {
    std::string path;
    uint32_t vshard = 0;
    uint64_t rows = 0;
    uint32_t crc32 = 0;
  };
  std::vector<part> parts;
};

struct upload_report {
  group_version_info version;
  uint64_t unknown_keys = 0;
  std::vector<std::string> unknown_sample; // up to 100
};

// The unknown keys of an upload as they are found, in any order: how many, and the first 100 by
// their position in the uploaded list (upload_report's sample).
class unknown_keys_tally {
 public:
  static constexpr size_t kSample = 100;
  void add(uint64_t position, const std::string& key);
  uint64_t count() const { return count_; }
  std::vector<std::string> sample() const;

 private:
  uint64_t count_ = 0;
  std::map<uint64_t, std::string> first_;
};

// A group version being written one vshard at a time (begin_group_version): its number is
// reserved, its members are stored per vshard, and nothing is visible until it is committed.
struct pending_group_version {
  std::string group;
  uint32_t group_id = 0;
  std::string entity;
  uint32_t version = 0;
};

// One vshard's members of a group version as export_group writes them: one key per line (u64
// keys in decimal, string keys quoted as CSV when needed), with the text's CRC-32 (zlib).
struct export_part {
  uint32_t vshard = 0;
  std::string text; // may be dropped once rows, bytes and crc32 are known
  uint64_t rows = 0;
  uint64_t bytes = 0; // of the text
  uint32_t crc32 = 0;
};

// Some of a list of text keys: those of one vshard, and where each one is in the list.
struct keys_of_vshard {
  std::vector<std::string> keys;   // as given
  std::vector<std::string> stored; // the same keys in stored form (see locate_key)
  std::vector<size_t> positions;   // of each key in the list it was split from
};

// One vshard's share of an upload, resolved against its keys: the ordinals of the known keys
// (the members), and where the unknown ones are in the share's list (keys_of_vshard::keys).
struct resolved_part {
  std::vector<uint32_t> ordinals;
  std::vector<uint32_t> unknown;
};

// A breakdown bound once for every vshard: the matches, and the tag whose values are counted
// at one table version.
struct breakdown_plan {
  query_plan matches;
  uint32_t tag_id = 0;
  tag_kind kind = tag_kind::enum_;
  uint32_t storage_id = 0; // the version of the tag's table read (0: never loaded)
};

class table_loader;

struct realtime_row {
  std::string key;
  std::vector<std::optional<std::string>> fields;
};

// One key's new row, or its removal, checked and ready for its vshard.
struct realtime_change {
  std::string stored_key;
  bool remove = false;
  std::vector<std::vector<int64_t>> values; // per tag, sorted distinct
};

// A checked real-time write of one table, split by vshard (plan_upsert, plan_remove).
struct realtime_batch {
  std::string table;
  std::vector<std::vector<realtime_change>> by_vshard; // [vshard]
};

class database {
 public:
  static result<std::unique_ptr<database>> open(const std::string& directory,
                                                const database_options& options);
  ~database();

  // ---- catalog ----
  status define_entity(const std::string& name, key_kind keys);
  status define_table(const table_spec& spec);
  status define_composite(const std::string& entity, const std::string& name,
                          const std::string& expression, bool materialized);
  status define_group(const std::string& name, const std::string& entity);
  // Remove a table (with its tags and the data of all its versions) or a group (with all its
  // versions) from the catalog and every vshard. Refused (invalid_argument, naming it) while a
  // composite tag's definition uses one of the table's tags or the group. Afterwards the universe
  // and the materialized composites are refreshed, so NOT and IS NULL no longer count the
  // table's keys. A load of the table or a selection into the group under way fails to commit.
  status drop_table(const std::string& name);
  status drop_group(const std::string& name);
  // Recomputes the stored bitmap of every materialized composite tag of `entity` whose inputs
  // (table versions, group versions) changed. Loads and selections call it; until it has run,
  // a stale composite is evaluated from its definition, so answers are never stale.
  status refresh_materialized(const std::string& entity);
  // Stores the union of the present keys of the entity type's current offline table versions,
  // which every NOT and IS NULL reads; loads call it after a version switch.
  status refresh_universe(const std::string& entity);
  std::shared_ptr<const catalog_state> snapshot() const { return catalog_->current(); }
  catalog& catalog_ref() { return *catalog_; }

  // ---- loads ----
  // Starts a new version of an offline table; nothing is visible until commit.
  result<std::unique_ptr<table_loader>> begin_load(const std::string& table,
                                                   const std::string& label);
  // Loads files into a new version and commits it.
  result<import_report> import_files(const std::string& table, const std::string& label,
                                     const std::vector<std::string>& files,
                                     const import_options& options);

  // ---- real-time tables ----
  // Inserts or replaces rows (a key and one field per tag in the table's order, nullopt for
  // NULL); visible at once and durable when it returns. A bad row rejects the whole call
  // (BAD_ROW, naming the row) before anything is written.
  status upsert(const std::string& table, const std::vector<realtime_row>& rows);
  // Removes the rows of these keys; keys without a row are ignored. Returns how many went.
  result<uint64_t> remove(const std::string& table, const std::vector<std::string>& keys);
  // The same in steps, for the shard actors: plan_upsert and plan_remove check every row or key
  // and split the changes by vshard, writing nothing (a bad row fails the whole call);
  // apply_realtime_vshard writes one vshard's changes in one commit and returns how many rows
  // it removed; finish_upsert makes the enum and set values the rows added durable.
  result<realtime_batch> plan_upsert(const std::string& table,
                                     const std::vector<realtime_row>& rows);
  result<realtime_batch> plan_remove(const std::string& table,
                                     const std::vector<std::string>& keys);
  result<uint64_t> apply_realtime_vshard(const std::string& table, uint32_t vshard,
                                         const std::vector<realtime_change>& changes);
  status finish_upsert();

  // ---- queries ----
  result<query_plan> plan(const std::string& entity, const expr& e, const query_options& o);
  result<uint64_t> estimate(const std::string& entity, const std::string& expression,
                            const query_options& options = {});
  result<uint64_t> estimate(const query_plan& plan);
  // The count of a plan that stored counts answer without visiting the vshards (a value leaf on
  // immutable storage, or NOT of one), as estimate() does; nullopt for any other plan.
  result<std::optional<uint64_t>> count_from_stored_counts(const query_plan& plan);
  // Counts per value of an enum, set or bool tag among the matches (values with a count > 0).
  result<std::map<std::string, uint64_t>> breakdown(const std::string& entity,
                                                    const std::string& expression,
                                                    const std::string& tag,
                                                    const query_options& options = {});
  result<group_version_info> select(const std::string& group, const std::string& expression,
                                    const query_options& options = {});
  // Selects exactly what `plan` saw (the table versions it names), e.g. a plan estimated earlier.
  result<group_version_info> select(const std::string& group, const query_plan& plan,
                                    const std::string& expression);
  result<upload_report> upload_group(const std::string& group,
                                     const std::vector<std::string>& keys);
  result<export_report> export_group(const std::string& group, std::optional<uint32_t> version,
                                     const std::string& directory);
  result<bool> contains(const std::string& group, std::optional<uint32_t> version,
                        const std::string& key);
  result<std::vector<bool>> contains_many(const std::string& group, std::optional<uint32_t> version,
                                          const std::vector<std::string>& keys);
  // Every group (at its latest version) holding the key.
  result<std::vector<std::string>> groups_of(const std::string& entity, const std::string& key);

  // ---- per vshard ----
  // The pieces that the whole-database calls above are made of, for callers that fan out one
  // vshard at a time and merge the answers themselves.
  uint32_t vshard_count() const { return vshards_; }
  // The matches of a plan on one vshard (estimate() sums them over all).
  result<uint64_t> count_vshard(const query_plan& plan, uint32_t vshard);

  // Breakdown: bind once, count per vshard (by value name), add the maps up.
  result<breakdown_plan> plan_breakdown(const std::string& entity, const std::string& expression,
                                        const std::string& tag, const query_options& options = {});
  result<std::map<std::string, uint64_t>> breakdown_vshard(const breakdown_plan& plan,
                                                           uint32_t vshard);

  // A new group version in three steps: begin reserves the next version number of the group
  // (type_mismatch if it holds another entity type than `entity`); select_vshard or
  // store_group_part stores one vshard's members (every vshard must be written once); commit
  // records the version with the total count, what was selected and the table versions read, then
  // refreshes the materialized composites. abort drops what was stored. select() and upload_group()
  // are these steps over every vshard.
  result<pending_group_version> begin_group_version(const std::string& group,
                                                    const std::string& entity);
  // Evaluates the plan on one vshard and stores the matches; returns how many there are.
  result<uint64_t> select_vshard(const pending_group_version& pending, const query_plan& plan,
                                 uint32_t vshard);
  // An upload is resolved share by share (keys_by_vshard; a key of another vshard is
  // invalid_argument), then each vshard's members are stored: upload_group() does both steps,
  // a node resolves each batch of a streamed upload as it arrives and stores at commit.
  result<resolved_part> resolve_vshard(const std::string& entity, uint32_t vshard,
                                       const keys_of_vshard& keys);
  // Stores `members` as this vshard's part of a pending version (compressing it first).
  status store_group_part(const pending_group_version& pending, uint32_t vshard, bitmap& members);
  result<group_version_info> commit_group_version(const pending_group_version& pending,
                                                  uint64_t count, const std::string& expression,
                                                  const std::map<std::string, uint32_t>& tables);
  status abort_group_version(const pending_group_version& pending);

  // The members of a group version (a number, not "latest": see catalog_state::find_group_version)
  // on one vshard, as export_group writes them into that vshard's file.
  result<export_part> export_vshard(const std::string& group, uint32_t version, uint32_t vshard);
  // Membership of keys in stored form (from locate_key or keys_by_vshard) that all belong to
  // `vshard` (invalid_argument otherwise).
  result<std::vector<bool>> contains_vshard(const std::string& group, uint32_t version,
                                            uint32_t vshard,
                                            const std::vector<std::string>& stored_keys);
  // Storage ids the catalog names: table versions, stored universes, materialized composites.
  std::set<uint32_t> live_storage_ids() const;
  result<vshard_store*> vshard(const std::string& entity, uint32_t index);
  // The vshard and stored form of a key written as text (u64 keys in decimal).
  result<std::pair<uint32_t, std::string>> locate_key(const std::string& entity,
                                                      std::string_view key) const;
  result<key_kind> key_kind_of(const std::string& entity) const;
  // Builds or extends every vshard's key index of `entity` up to its current keys, ahead of the
  // first membership check (a no-op without key indexes).
  status index_keys(const std::string& entity);
  // Text keys split by vshard (only vshards with keys), for resolve_vshard and contains_vshard;
  // fails (invalid_argument) on the first key that is not one of the entity type.
  result<std::map<uint32_t, keys_of_vshard>> keys_by_vshard(const std::string& entity,
                                                            std::vector<std::string> keys) const;
  worker_pool& workers() { return *workers_; }
  // Per tag, its value dictionary (enum and set tags) or null.
  std::vector<value_dictionary*> dictionaries_of(const std::vector<tag_def>& tags);
  const database_options& options() const { return options_; }

 private:
  friend class table_loader;
  database() = default;
  status open_entity_stores(const entity_def& entity);
  status drop_unreferenced_storage();
  status drop_storage_everywhere(const std::string& entity, const std::vector<uint32_t>& ids);
  // A key's vshard and stored form, for an entity type whose keys are `keys`.
  result<std::pair<uint32_t, std::string>> locate(key_kind keys, std::string_view key) const;
  // invalid_argument naming the first of these keys (stored form) that is not of `vshard`.
  status check_owned(key_kind keys, uint32_t vshard,
                     const std::vector<std::string>& stored_keys) const;
  // Every vshard's share of a batch, in parallel; the rows removed.
  result<uint64_t> apply_realtime(const realtime_batch& batch);
  // The number of entities in the union of disjoint slots of (storage id, tag id).
  result<uint64_t> stored_count(const std::string& entity, uint32_t storage_id, uint32_t tag_id,
                                const std::vector<uint32_t>& slots);
  // Evaluates the plan on every vshard in parallel and hands each result to `use`.
  status for_each_vshard(const query_plan& plan,
                         const std::function<status(uint32_t, vshard_reader&, bitmap&)>& use);

  std::string directory_;
  database_options options_;
  uint32_t vshards_ = 0;
  int lock_fd_ = -1;
  std::unique_ptr<catalog> catalog_;
  std::unique_ptr<worker_pool> workers_;
  std::mutex stores_mutex_;
  std::map<std::string, std::vector<std::unique_ptr<vshard_store>>> stores_;
  std::mutex group_write_mutex_;
  std::map<uint32_t, uint32_t> reserved_group_versions_; // group id → highest version begun
  std::recursive_mutex materialize_mutex_;
  stored_counts stored_counts_;
};

} // namespace tagd
