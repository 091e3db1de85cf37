#include "shards/catalog.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace tagd {

using json = nlohmann::json;

const char* to_string(key_kind k) {
  return k == key_kind::u64 ? "u64" : "string";
}
const char* to_string(tag_kind k) {
  switch (k) {
  case tag_kind::bool_:
    return "bool";
  case tag_kind::enum_:
    return "enum";
  case tag_kind::set:
    return "set";
  case tag_kind::int_:
    return "int";
  case tag_kind::decimal:
    return "decimal";
  case tag_kind::time:
    return "time";
  case tag_kind::composite:
    return "composite";
  }
  return "?";
}
const char* to_string(time_unit u) {
  return u == time_unit::date ? "date" : "timestamp";
}
const char* to_string(table_mode m) {
  return m == table_mode::offline ? "offline" : "realtime";
}

NLOHMANN_JSON_SERIALIZE_ENUM(key_kind, {{key_kind::u64, "u64"}, {key_kind::string, "string"}})
NLOHMANN_JSON_SERIALIZE_ENUM(tag_kind, {{tag_kind::bool_, "bool"},
                                        {tag_kind::enum_, "enum"},
                                        {tag_kind::set, "set"},
                                        {tag_kind::int_, "int"},
                                        {tag_kind::decimal, "decimal"},
                                        {tag_kind::time, "time"},
                                        {tag_kind::composite, "composite"}})
NLOHMANN_JSON_SERIALIZE_ENUM(time_unit,
                             {{time_unit::date, "date"}, {time_unit::timestamp, "timestamp"}})
NLOHMANN_JSON_SERIALIZE_ENUM(table_mode,
                             {{table_mode::offline, "offline"}, {table_mode::realtime, "realtime"}})
// Fields missing from a stored catalog (written before they existed) take their defaults.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(entity_def, name, keys, universe_storage,
                                                universe_inputs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(tag_def, id, name, entity, kind, precision, scale,
                                                unit, table, column, expression, materialized,
                                                materialized_storage, materialized_tables,
                                                materialized_groups)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(table_version, storage_id, label, created, rows)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(table_def, id, name, entity, mode, multi_row,
                                                key_column, tags, retention, set_separator,
                                                versions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(group_version, version, created, count, expression,
                                                table_versions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(group_def, id, name, entity, versions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(catalog_state, version, vshards, next_id, entities,
                                                tables, tags, groups)

namespace {
constexpr const char* state_key = "state";
constexpr int format_version = 1;

std::string value_key(uint32_t tag_id, uint32_t value_id) {
  std::string key;
  append_be32(key, tag_id);
  append_be32(key, value_id);
  return key;
}
} // namespace

const tag_def* catalog_state::find_tag(const std::string& entity, const std::string& name) const {
  auto it = tags.find(tag_key(entity, name));
  return it == tags.end() ? nullptr : &it->second;
}
const table_def* catalog_state::find_table(const std::string& name) const {
  auto it = tables.find(name);
  return it == tables.end() ? nullptr : &it->second;
}
std::vector<tag_def> catalog_state::tags_of(const table_def& table) const {
  std::vector<tag_def> tags;
  for (const std::string& name : table.tags)
    tags.push_back(*find_tag(table.entity, name));
  return tags;
}

result<std::pair<const group_def*, const group_version*>>
catalog_state::find_group_version(const std::string& name, std::optional<uint32_t> version) const {
  const group_def* group = find_group(name);
  if (!group)
    return status(error_code::not_found, "no group '" + name + "'");
  if (group->versions.empty())
    return status(error_code::not_found, "group '" + name + "' has no version yet");
  if (!version)
    return std::make_pair(group, &group->versions.back());
  for (const group_version& v : group->versions)
    if (v.version == *version)
      return std::make_pair(group, &v);
  return status(error_code::not_found,
                "group '" + name + "' has no version " + std::to_string(*version));
}

const group_def* catalog_state::find_group(const std::string& name) const {
  auto it = groups.find(name);
  return it == groups.end() ? nullptr : &it->second;
}

result<std::unique_ptr<catalog>> catalog::open(const std::string& directory,
                                               uint32_t vshards_if_new, bool no_sync) {
  std::unique_ptr<catalog> cat(new catalog());
  lmdb_options options;
  options.map_size = size_t{16} << 30;
  options.no_sync = no_sync;
  TAGD_TRY_ASSIGN(env, lmdb_env::open(directory, options, true));
  cat->env_ = std::move(env);
  {
    TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(cat->env_, false));
    TAGD_TRY_ASSIGN(state_dbi, open_dbi(txn, "state", MDB_CREATE));
    TAGD_TRY_ASSIGN(values_dbi, open_dbi(txn, "values", MDB_CREATE));
    cat->state_dbi_ = state_dbi;
    cat->values_dbi_ = values_dbi;
    TAGD_TRY_ASSIGN(existing, lmdb_get(txn, state_dbi, state_key));
    if (!existing) {
      catalog_state fresh;
      fresh.vshards = vshards_if_new;
      json doc = fresh;
      doc["format"] = format_version;
      TAGD_TRY(lmdb_put(txn, state_dbi, state_key, doc.dump()));
    }
    TAGD_TRY(txn.commit());
  }
  TAGD_TRY(cat->load());
  return cat;
}

status catalog::load() {
  TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(env_, true));
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn, state_dbi_, state_key));
  if (!stored)
    return status(error_code::corruption, "catalog has no state record");
  auto state = std::make_shared<catalog_state>();
  try {
    json doc = json::parse(*stored);
    if (doc.value("format", 0) != format_version)
      return status(error_code::corruption, "catalog format " +
                                                doc.value("format", json(0)).dump() +
                                                " is not supported by this build");
    *state = doc.get<catalog_state>();
  } catch (const std::exception& e) {
    return status(error_code::corruption,
                  std::string("catalog state does not decode: ") + e.what());
  }
  // Value dictionaries, in (tag, value number) order.
  MDB_cursor* raw = nullptr;
  TAGD_TRY(lmdb_status(mdb_cursor_open(txn.get(), values_dbi_, &raw), "mdb_cursor_open"));
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> cursor(raw, mdb_cursor_close);
  MDB_val k, v;
  for (int rc = mdb_cursor_get(raw, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT)) {
    if (k.mv_size != 8)
      return status(error_code::corruption, "bad value dictionary key");
    uint32_t tag_id = read_be32(static_cast<const char*>(k.mv_data));
    uint32_t value_id = read_be32(static_cast<const char*>(k.mv_data) + 4);
    value_dictionary& dict = values(tag_id);
    if (dict.intern(from_val(v)) != value_id)
      return status(error_code::corruption,
                    "value dictionary of tag " + std::to_string(tag_id) + " is not dense");
    persisted_values_[tag_id] = value_id + 1;
  }
  std::lock_guard lock(current_mutex_);
  current_ = std::move(state);
  return status::ok();
}

std::shared_ptr<const catalog_state> catalog::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

value_dictionary& catalog::values(uint32_t tag_id) {
  std::lock_guard lock(dictionaries_mutex_);
  auto& slot = dictionaries_[tag_id];
  if (!slot)
    slot = std::make_unique<value_dictionary>();
  return *slot;
}

status catalog::update(const std::function<status(catalog_state&)>& change) {
  std::lock_guard update_lock(update_mutex_);
  auto next = std::make_shared<catalog_state>(*current());
  TAGD_TRY(change(*next));
  next->version += 1;
  TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(env_, false));
  json doc = *next;
  doc["format"] = format_version;
  TAGD_TRY(lmdb_put(txn, state_dbi_, state_key, doc.dump()));
  std::map<uint32_t, uint32_t> persisted = persisted_values_;
  {
    std::lock_guard lock(dictionaries_mutex_);
    for (auto& [tag_id, dict] : dictionaries_) {
      uint32_t from = persisted[tag_id];
      for (const std::string& value : dict->values_from(from))
        TAGD_TRY(lmdb_put(txn, values_dbi_, value_key(tag_id, from++), value));
      persisted[tag_id] = from;
    }
  }
  TAGD_TRY(txn.commit());
  persisted_values_ = std::move(persisted);
  std::lock_guard lock(current_mutex_);
  current_ = std::move(next);
  return status::ok();
}

} // namespace tagd
