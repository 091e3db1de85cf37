#pragma once
// The catalog of a data directory: entity types, tags, tables and their versions, groups and
// their versions, and the value dictionaries of enum and set tags. Held in its own LMDB
// environment (<data>/catalog). Readers take an immutable snapshot; every change copies the
// state, persists it in one LMDB commit, then publishes it — so a table version switch is one
// atomic step for every reader.

#include "shards/lmdb.hpp"
#include "shards/schema.hpp"
#include "shards/status.hpp"
#include "shards/value_dictionary.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace tagd {

struct catalog_state {
  uint64_t version = 0; // bumped by every committed change
  uint32_t vshards = 0; // fixed when the data directory is created
  uint32_t next_id = 1; // tags, tables, groups and storage ids share one sequence
  std::map<std::string, entity_def> entities;
  std::map<std::string, table_def> tables;
  std::map<std::string, tag_def> tags; // key: entity + '\n' + tag name
  std::map<std::string, group_def> groups;

  const tag_def* find_tag(const std::string& entity, const std::string& name) const;
  const table_def* find_table(const std::string& name) const;
  const group_def* find_group(const std::string& name) const;
  // Version `version` of group `name`, its latest when absent; not_found says what is missing.
  result<std::pair<const group_def*, const group_version*>>
  find_group_version(const std::string& name, std::optional<uint32_t> version) const;
  // The tags a table feeds, in its column order.
  std::vector<tag_def> tags_of(const table_def& table) const;
  static std::string tag_key(const std::string& entity, const std::string& name) {
    return entity + '\n' + name;
  }
};

class catalog {
 public:
  // Opens the catalog under `directory`, creating it with `vshards_if_new` when absent.
  static result<std::unique_ptr<catalog>> open(const std::string& directory,
                                               uint32_t vshards_if_new, bool no_sync);

  std::shared_ptr<const catalog_state> current() const;

  // Applies `change` to a copy of the current state; if it returns ok, persists the copy
  // (with every value dictionary's new values) durably and publishes it. Changes are serialized.
  status update(const std::function<status(catalog_state&)>& change);

  // The value dictionary of an enum or set tag (created empty on first use).
  value_dictionary& values(uint32_t tag_id);

 private:
  catalog() = default;
  status load();

  lmdb_env env_;
  MDB_dbi state_dbi_ = 0;
  MDB_dbi values_dbi_ = 0;
  std::mutex update_mutex_;
  mutable std::mutex current_mutex_;
  std::shared_ptr<const catalog_state> current_;
  std::mutex dictionaries_mutex_;
  std::map<uint32_t, std::unique_ptr<value_dictionary>> dictionaries_;
  std::map<uint32_t, uint32_t> persisted_values_; // tag id → values already in LMDB
};

} // namespace tagd
