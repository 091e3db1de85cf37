#include "shards/database.hpp"

#include "shards/clock.hpp"
#include "shards/partition.hpp"
#include "shards/row_converter.hpp"
#include "shards/table_loader.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <sys/file.h>
#include <unistd.h>

namespace tagd {

namespace fs = std::filesystem;

namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128 ||
      !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

status bad_name(const std::string& what, const std::string& name) {
  return status(error_code::invalid_argument,
                what + " name '" + name +
                    "' must be letters, digits and '_', not starting with a digit");
}

// Calls `visit` on `e` and every node below it, in the order they are written.
void for_each_node(const expr& e, const std::function<void(const expr&)>& visit) {
  visit(e);
  for (const expr& child : e.children)
    for_each_node(child, visit);
}

// Composite tags that `e` refers to, directly.
void composite_refs(const expr& e, const catalog_state& state, const std::string& entity,
                    std::vector<std::string>& out) {
  for_each_node(e, [&](const expr& node) {
    if (node.type == expr::kind::group_ref || node.tag.empty())
      return;
    if (const tag_def* tag = state.find_tag(entity, node.tag);
        tag && tag->kind == tag_kind::composite)
      out.push_back(tag->name);
  });
}

// The first composite tag of `entity` (by name) whose definition has a node that `uses`
// accepts, and what that node names; nullopt if none.
result<std::optional<std::pair<std::string, std::string>>>
composite_using(const catalog_state& state, const std::string& entity,
                const std::function<std::optional<std::string>(const expr&)>& uses) {
  for (const auto& [key, tag] : state.tags) {
    if (tag.entity != entity || tag.kind != tag_kind::composite)
      continue;
    TAGD_TRY_ASSIGN(definition, parse_expression(tag.expression));
    std::optional<std::string> used;
    for_each_node(definition, [&](const expr& node) {
      if (!used)
        used = uses(node);
    });
    if (used)
      return std::optional(std::make_pair(tag.name, *used));
  }
  return std::optional<std::pair<std::string, std::string>>();
}

} // namespace

database::~database() {
  workers_.reset();
  stores_.clear();
  catalog_.reset();
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

result<std::unique_ptr<database>> database::open(const std::string& directory,
                                                 const database_options& options) {
  if (!is_valid_vshard_count(options.vshards))
    return status(error_code::invalid_argument, "vshard count " + std::to_string(options.vshards) +
                                                    " must be a power of two between 1 and 65536");
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec)
    return status(error_code::io_error, "cannot create " + directory + ": " + ec.message());
  std::unique_ptr<database> db(new database());
  db->directory_ = directory;
  db->options_ = options;
  std::string lock_path = directory + "/LOCK";
  db->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (db->lock_fd_ < 0)
    return status(error_code::io_error, "cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return status(error_code::already_exists,
                  "data directory " + directory + " is in use by another process");
  TAGD_TRY_ASSIGN(cat, catalog::open(directory + "/catalog", options.vshards, options.no_sync));
  db->catalog_ = std::move(cat);
  db->vshards_ = db->catalog_->current()->vshards;
  db->workers_ = std::make_unique<worker_pool>(options.threads);
  if (db->catalog_->current()->entities.empty())
    TAGD_TRY(db->define_entity(default_entity(), key_kind::u64));
  for (const auto& [name, entity] : db->catalog_->current()->entities)
    TAGD_TRY(db->open_entity_stores(entity));
  TAGD_TRY(db->drop_unreferenced_storage());
  return db;
}

status database::open_entity_stores(const entity_def& entity) {
  std::vector<std::unique_ptr<vshard_store>> stores(vshards_);
  lmdb_options lmdb;
  lmdb.map_size = options_.vshard_map_size;
  lmdb.no_sync = options_.no_sync;
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    char name[32];
    std::snprintf(name, sizeof name, "/vshard-%04zu", v);
    TAGD_TRY_ASSIGN(
        store, vshard_store::open(directory_ + "/entities/" + entity.name + name, entity.keys, lmdb,
                                  key_index_options{options_.key_index, options_.string_key_hash}));
    stores[v] = std::move(store);
    return status::ok();
  }));
  std::lock_guard lock(stores_mutex_);
  stores_[entity.name] = std::move(stores);
  return status::ok();
}

result<vshard_store*> database::vshard(const std::string& entity, uint32_t index) {
  std::lock_guard lock(stores_mutex_);
  auto it = stores_.find(entity);
  if (it == stores_.end())
    return status(error_code::not_found, "no entity type '" + entity + "'");
  if (index >= it->second.size())
    return status(error_code::invalid_argument, "no vshard " + std::to_string(index));
  return it->second[index].get();
}

status database::drop_storage_everywhere(const std::string& entity,
                                         const std::vector<uint32_t>& ids) {
  if (ids.empty())
    return status::ok();
  for (uint32_t id : ids)
    stored_counts_.forget(id);
  return workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(writer, store->write());
    for (uint32_t id : ids)
      TAGD_TRY(writer.drop_storage(id));
    return writer.commit();
  });
}

std::set<uint32_t> database::live_storage_ids() const {
  auto state = catalog_->current();
  std::set<uint32_t> live;
  for (const auto& [name, table] : state->tables)
    for (const table_version& v : table.versions)
      live.insert(v.storage_id);
  for (const auto& [key, tag] : state->tags)
    if (tag.materialized_storage)
      live.insert(tag.materialized_storage);
  for (const auto& [name, entity] : state->entities)
    if (entity.universe_storage)
      live.insert(entity.universe_storage);
  return live;
}

// Data of loads that never committed, of versions dropped just before a crash, and members of
// groups dropped meanwhile.
status database::drop_unreferenced_storage() {
  auto state = catalog_->current();
  std::set<uint32_t> live = live_storage_ids();
  std::set<uint32_t> live_groups;
  for (const auto& [name, group] : state->groups)
    live_groups.insert(group.id);
  auto dead = [](const std::set<uint32_t>& stored, const std::set<uint32_t>& live) {
    std::vector<uint32_t> ids;
    std::set_difference(stored.begin(), stored.end(), live.begin(), live.end(),
                        std::back_inserter(ids));
    return ids;
  };
  for (const auto& [name, entity] : state->entities) {
    TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
      TAGD_TRY_ASSIGN(store, vshard(name, static_cast<uint32_t>(v)));
      TAGD_TRY_ASSIGN(stored, store->stored_storage_ids());
      TAGD_TRY_ASSIGN(stored_groups, store->stored_group_ids());
      std::vector<uint32_t> dead_storage = dead(stored, live);
      std::vector<uint32_t> dead_groups = dead(stored_groups, live_groups);
      if (dead_storage.empty() && dead_groups.empty())
        return status::ok();
      TAGD_TRY_ASSIGN(writer, store->write());
      for (uint32_t id : dead_storage)
        TAGD_TRY(writer.drop_storage(id));
      for (uint32_t id : dead_groups)
        TAGD_TRY(writer.drop_group(id));
      return writer.commit();
    }));
  }
  return status::ok();
}

std::vector<value_dictionary*> database::dictionaries_of(const std::vector<tag_def>& tags) {
  std::vector<value_dictionary*> dictionaries;
  for (const tag_def& tag : tags)
    dictionaries.push_back(tag.kind == tag_kind::enum_ || tag.kind == tag_kind::set
                               ? &catalog_->values(tag.id)
                               : nullptr);
  return dictionaries;
}

// ---- catalog ----

status database::define_entity(const std::string& name, key_kind keys) {
  if (!valid_name(name))
    return bad_name("entity type", name);
  TAGD_TRY(catalog_->update([&](catalog_state& state) -> status {
    if (state.entities.count(name))
      return status(error_code::already_exists, "entity type '" + name + "' exists");
    entity_def entity;
    entity.name = name;
    entity.keys = keys;
    state.entities[name] = entity;
    return status::ok();
  }));
  return open_entity_stores(catalog_->current()->entities.at(name));
}

status database::define_table(const table_spec& spec) {
  if (!valid_name(spec.name))
    return bad_name("table", spec.name);
  if (spec.columns.empty())
    return status(error_code::invalid_argument, "table '" + spec.name + "' maps no columns");
  if (spec.set_separator.empty())
    return status(error_code::invalid_argument, "the set separator must not be empty");
  if (spec.mode == table_mode::realtime && spec.multi_row)
    return status(error_code::invalid_argument,
                  "a real-time table holds one row per key; multi_row needs an offline table");
  for (const column_spec& c : spec.columns) {
    if (!valid_name(c.tag))
      return bad_name("tag", c.tag);
    if (c.kind == tag_kind::composite)
      return status(error_code::invalid_argument,
                    "tag '" + c.tag +
                        "': composite tags are defined on their own, not by a column");
    if (c.kind == tag_kind::decimal &&
        (c.precision < 1 || c.precision > 18 || c.scale > c.precision))
      return status(error_code::invalid_argument,
                    "tag '" + c.tag + "': DECIMAL(" + std::to_string(c.precision) + "," +
                        std::to_string(c.scale) +
                        ") needs 1 <= precision <= 18 and scale <= precision");
  }
  uint32_t live_storage = 0;
  TAGD_TRY(catalog_->update([&](catalog_state& state) -> status {
    if (!state.entities.count(spec.entity))
      return status(error_code::not_found, "no entity type '" + spec.entity + "'");
    if (state.tables.count(spec.name))
      return status(error_code::already_exists, "table '" + spec.name + "' exists");
    table_def table;
    table.id = state.next_id++;
    table.name = spec.name;
    table.entity = spec.entity;
    table.mode = spec.mode;
    table.multi_row = spec.multi_row;
    table.key_column = spec.key_column;
    table.retention = std::max<uint32_t>(1, spec.retention);
    table.set_separator = spec.set_separator;
    for (const column_spec& c : spec.columns) {
      std::string key = catalog_state::tag_key(spec.entity, c.tag);
      if (state.tags.count(key))
        return status(error_code::already_exists,
                      "tag '" + c.tag + "' exists for entity type '" + spec.entity + "'");
      tag_def tag;
      tag.id = state.next_id++;
      tag.name = c.tag;
      tag.entity = spec.entity;
      tag.kind = c.kind;
      tag.precision = c.precision;
      tag.scale = c.scale;
      tag.unit = c.unit;
      tag.table = spec.name;
      tag.column = c.column.empty() ? c.tag : c.column;
      state.tags[key] = tag;
      table.tags.push_back(c.tag);
    }
    if (spec.mode == table_mode::realtime) {
      // A real-time table has one live version from the start, updated in place.
      live_storage = state.next_id++;
      table.versions.push_back(table_version{live_storage, "live", now_seconds(), 0});
    }
    state.tables[spec.name] = table;
    return status::ok();
  }));
  return status::ok();
}

status database::define_composite(const std::string& entity, const std::string& name,
                                  const std::string& expression, bool materialized) {
  if (!valid_name(name))
    return bad_name("tag", name);
  TAGD_TRY_ASSIGN(parsed, parse_expression(expression));
  uint32_t superseded = 0; // the stored bitmap of a definition being replaced
  TAGD_TRY(catalog_->update([&](catalog_state& state) -> status {
    std::string key = catalog_state::tag_key(entity, name);
    auto existing = state.tags.find(key);
    if (existing != state.tags.end() && existing->second.kind != tag_kind::composite)
      return status(error_code::already_exists, "tag '" + name + "' exists and is not composite");
    tag_def tag;
    tag.id = existing != state.tags.end() ? existing->second.id : state.next_id++;
    tag.name = name;
    tag.entity = entity;
    tag.kind = tag_kind::composite;
    tag.expression = to_string(parsed);
    tag.materialized = materialized;
    if (existing != state.tags.end()) {
      if (existing->second.expression == tag.expression && materialized) {
        tag.materialized_storage = existing->second.materialized_storage;
        tag.materialized_tables = existing->second.materialized_tables;
        tag.materialized_groups = existing->second.materialized_groups;
      } else {
        superseded = existing->second.materialized_storage;
      }
    }
    state.tags[key] = tag;
    // Refuse a cycle, naming its path: depth-first over composite references.
    std::vector<std::string> path{name};
    std::function<status(const std::string&)> visit = [&](const std::string& at) -> status {
      const tag_def* t = state.find_tag(entity, at);
      auto definition = parse_expression(t->expression);
      if (!definition)
        return definition.error();
      std::vector<std::string> refs;
      composite_refs(*definition, state, entity, refs);
      for (const std::string& ref : refs) {
        if (std::find(path.begin(), path.end(), ref) != path.end()) {
          std::string cycle;
          for (const std::string& p : path)
            cycle += p + " -> ";
          return status(error_code::invalid_argument,
                        "composite tag '" + name + "' would form a cycle: " + cycle + ref);
        }
        path.push_back(ref);
        TAGD_TRY(visit(ref));
        path.pop_back();
      }
      return status::ok();
    };
    TAGD_TRY(visit(name));
    // Every tag it names must exist and fit: bind it against the new state.
    bind_options options;
    options.now = now_seconds();
    auto bound = bind_expression(parsed, entity, state, *catalog_, options);
    return bound ? status::ok() : bound.error();
  }));
  if (superseded)
    TAGD_TRY(drop_storage_everywhere(entity, {superseded}));
  return materialized ? refresh_materialized(entity) : status::ok();
}

status database::refresh_universe(const std::string& entity) {
  std::lock_guard lock(materialize_mutex_);
  auto state = catalog_->current();
  std::vector<uint32_t> inputs;
  for (const auto& [name, table] : state->tables)
    if (table.entity == entity && table.mode == table_mode::offline && !table.versions.empty())
      inputs.push_back(table.versions.back().storage_id);
  std::sort(inputs.begin(), inputs.end());
  const entity_def& def = state->entities.at(entity);
  if (def.universe_inputs == inputs && def.universe_storage != 0)
    return status::ok();
  uint32_t storage_id = 0;
  TAGD_TRY(catalog_->update([&](catalog_state& next) {
    storage_id = next.next_id++;
    return status::ok();
  }));
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(writer, store->write());
    bitmap all;
    {
      TAGD_TRY_ASSIGN(reader, store->read());
      for (uint32_t input : inputs) {
        TAGD_TRY_ASSIGN(present, reader.bitmap_of(input, kPresentTag, 0));
        roaring_bitmap_or_inplace(all.get(), present);
      }
    }
    roaring_bitmap_run_optimize(all.get());
    TAGD_TRY(writer.put_bitmap(storage_id, kPresentTag, 0, all.get()));
    return writer.commit();
  }));
  uint32_t replaced = 0;
  TAGD_TRY(catalog_->update([&](catalog_state& next) {
    entity_def& e = next.entities.at(entity);
    replaced = e.universe_storage;
    e.universe_storage = storage_id;
    e.universe_inputs = inputs;
    return status::ok();
  }));
  return replaced ? drop_storage_everywhere(entity, {replaced}) : status::ok();
}

status database::refresh_materialized(const std::string& entity) {
  std::lock_guard lock(materialize_mutex_);
  // A composite over another materialized composite goes stale when the inner one is
  // refreshed, so repeat until a round changes nothing (nesting depth is bounded).
  for (size_t round = 0; round <= bind_options{}.max_composite_depth; ++round) {
    auto state = catalog_->current();
    bool changed = false;
    for (const auto& [key, tag] : state->tags) {
      if (tag.entity != entity || tag.kind != tag_kind::composite || !tag.materialized)
        continue;
      TAGD_TRY_ASSIGN(definition, parse_expression(tag.expression));
      bind_options options;
      options.now = now_seconds();
      TAGD_TRY_ASSIGN(bound, bind_expression(definition, entity, *state, *catalog_, options));
      // Real-time inputs change row by row: such a composite is always evaluated live.
      if (bound.reads_realtime ||
          (tag.materialized_storage != 0 && bound.table_versions == tag.materialized_tables &&
           bound.group_versions == tag.materialized_groups))
        continue;
      uint32_t storage_id = 0;
      TAGD_TRY(catalog_->update([&](catalog_state& next) {
        storage_id = next.next_id++;
        return status::ok();
      }));
      TAGD_TRY(for_each_vshard(bound, [&](uint32_t v, vshard_reader&, bitmap& matches) {
        TAGD_TRY_ASSIGN(store, vshard(entity, v));
        TAGD_TRY_ASSIGN(writer, store->write());
        roaring_bitmap_run_optimize(matches.get());
        TAGD_TRY(writer.put_bitmap(storage_id, tag.id, 0, matches.get()));
        return writer.commit();
      }));
      uint32_t replaced = 0;
      TAGD_TRY(catalog_->update([&](catalog_state& next) {
        auto it = next.tags.find(key);
        if (it == next.tags.end() || it->second.expression != tag.expression) {
          replaced = storage_id; // redefined meanwhile: this result is already stale
          return status::ok();
        }
        replaced = it->second.materialized_storage;
        it->second.materialized_storage = storage_id;
        it->second.materialized_tables = bound.table_versions;
        it->second.materialized_groups = bound.group_versions;
        return status::ok();
      }));
      if (replaced)
        TAGD_TRY(drop_storage_everywhere(entity, {replaced}));
      changed = true;
    }
    if (!changed)
      return status::ok();
  }
  return status::ok();
}

status database::define_group(const std::string& name, const std::string& entity) {
  if (!valid_name(name))
    return bad_name("group", name);
  return catalog_->update([&](catalog_state& state) -> status {
    if (!state.entities.count(entity))
      return status(error_code::not_found, "no entity type '" + entity + "'");
    if (state.groups.count(name))
      return status(error_code::already_exists, "group '" + name + "' exists");
    group_def group;
    group.id = state.next_id++;
    group.name = name;
    group.entity = entity;
    state.groups[name] = group;
    return status::ok();
  });
}

status database::drop_table(const std::string& name) {
  std::string entity;
  std::vector<uint32_t> storage;
  TAGD_TRY(catalog_->update([&](catalog_state& state) -> status {
    const table_def* table = state.find_table(name);
    if (!table)
      return status(error_code::not_found, "no table '" + name + "'");
    entity = table->entity;
    const std::vector<std::string>& tags = table->tags;
    TAGD_TRY_ASSIGN(user, composite_using(state, entity, [&](const expr& e) {
                      bool fed = e.type != expr::kind::group_ref &&
                                 std::find(tags.begin(), tags.end(), e.tag) != tags.end();
                      return fed ? std::optional(e.tag) : std::nullopt;
                    }));
    if (user)
      return status(error_code::invalid_argument,
                    "table '" + name + "' cannot be dropped: composite tag '" + user->first +
                        "' uses its tag '" + user->second + "'");
    for (const table_version& version : table->versions)
      storage.push_back(version.storage_id);
    for (const std::string& tag : tags)
      state.tags.erase(catalog_state::tag_key(entity, tag));
    state.tables.erase(name);
    return status::ok();
  }));
  // Readers no longer see the table; a crash before its data is dropped leaves data that the
  // next open drops.
  TAGD_TRY(drop_storage_everywhere(entity, storage));
  TAGD_TRY(refresh_universe(entity));
  return refresh_materialized(entity);
}

status database::drop_group(const std::string& name) {
  uint32_t group_id = 0;
  std::string entity;
  TAGD_TRY(catalog_->update([&](catalog_state& state) -> status {
    const group_def* group = state.find_group(name);
    if (!group)
      return status(error_code::not_found, "no group '" + name + "'");
    TAGD_TRY_ASSIGN(user, composite_using(state, group->entity, [&](const expr& e) {
                      bool named = e.type == expr::kind::group_ref && e.group == name;
                      return named ? std::optional(e.group) : std::nullopt;
                    }));
    if (user)
      return status(error_code::invalid_argument, "group '" + name +
                                                      "' cannot be dropped: composite tag '" +
                                                      user->first + "' uses it");
    group_id = group->id;
    entity = group->entity;
    state.groups.erase(name);
    return status::ok();
  }));
  {
    std::lock_guard lock(group_write_mutex_);
    reserved_group_versions_.erase(group_id); // a version still being written fails to commit
  }
  return workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(writer, store->write());
    TAGD_TRY(writer.drop_group(group_id));
    return writer.commit();
  });
}

// ---- loads ----

result<std::unique_ptr<table_loader>> database::begin_load(const std::string& table_name,
                                                           const std::string& label) {
  uint32_t storage_id = 0;
  TAGD_TRY(catalog_->update([&](catalog_state& state) -> status {
    const table_def* table = state.find_table(table_name);
    if (!table)
      return status(error_code::not_found, "no table '" + table_name + "'");
    if (table->mode != table_mode::offline)
      return status(error_code::invalid_argument,
                    "table '" + table_name + "' is real-time: upsert rows instead of loading");
    storage_id = state.next_id++;
    return status::ok();
  }));
  auto state = catalog_->current();
  const table_def& table = *state->find_table(table_name);
  return std::unique_ptr<table_loader>(new table_loader(
      *this, table, state->entities.at(table.entity), state->tags_of(table), storage_id, label));
}

result<import_report> database::import_files(const std::string& table, const std::string& label,
                                             const std::vector<std::string>& files,
                                             const import_options& options) {
  TAGD_TRY_ASSIGN(loader, begin_load(table, label));
  auto start = std::chrono::steady_clock::now();
  for (const std::string& file : files)
    TAGD_TRY(loader->add_file(file, options));
  if (options.progress)
    options.progress({loader->rows_read(), 0, 0, 0, "writing"});
  TAGD_TRY_ASSIGN(report, loader->commit());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

// ---- queries ----

result<query_plan> database::plan(const std::string& entity, const expr& e,
                                  const query_options& o) {
  bind_options options;
  options.now = o.now ? *o.now : now_seconds();
  options.pinned_tables = o.table_versions;
  options.pinned_groups = o.group_versions;
  return bind_expression(e, entity, *catalog_->current(), *catalog_, options);
}

status
database::for_each_vshard(const query_plan& plan,
                          const std::function<status(uint32_t, vshard_reader&, bitmap&)>& use) {
  return workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(plan.entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(reader, store->read());
    TAGD_TRY_ASSIGN(matches, evaluate(plan, reader));
    return use(static_cast<uint32_t>(v), reader, matches);
  });
}

result<uint64_t> database::stored_count(const std::string& entity, uint32_t storage_id,
                                        uint32_t tag_id, const std::vector<uint32_t>& slots) {
  uint64_t total = 0;
  std::vector<uint32_t> missing;
  for (uint32_t slot : slots) {
    if (auto known = stored_counts_.find(storage_id, tag_id, slot))
      total += *known;
    else
      missing.push_back(slot);
  }
  if (missing.empty())
    return total;
  std::vector<std::vector<uint64_t>> per_vshard(vshards_, std::vector<uint64_t>(missing.size()));
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(reader, store->read());
    for (size_t i = 0; i < missing.size(); ++i) {
      TAGD_TRY_ASSIGN(stored, reader.bitmap_of(storage_id, tag_id, missing[i]));
      per_vshard[v][i] = roaring_bitmap_get_cardinality(stored);
    }
    return status::ok();
  }));
  for (size_t i = 0; i < missing.size(); ++i) {
    uint64_t count = 0;
    for (const auto& counts : per_vshard)
      count += counts[i];
    stored_counts_.insert(storage_id, tag_id, missing[i], count);
    total += count;
  }
  return total;
}

result<std::optional<uint64_t>> database::count_from_stored_counts(const query_plan& plan) {
  std::optional<uint64_t> none;
  if (plan.reads_realtime)
    return none;
  // Value bitmaps of one leaf that never share an entity: their counts add up.
  auto counted_slots = [](const plan_node& node) -> std::optional<std::vector<uint32_t>> {
    if (node.storage_id == 0 || node.ranged)
      return std::nullopt;
    if (node.type == plan_node::kind::not_null)
      return std::vector<uint32_t>{kNotNullSlot};
    if (node.type == plan_node::kind::values_any && (node.slots.size() == 1 || node.single_valued))
      return node.slots;
    return std::nullopt;
  };
  const plan_node& root = plan.root;
  if (auto slots = counted_slots(root)) {
    TAGD_TRY_ASSIGN(count, stored_count(plan.entity, root.storage_id, root.tag_id, *slots));
    return std::optional<uint64_t>(count);
  }
  if (root.type != plan_node::kind::not_ || plan.universe_mutable ||
      plan.universe_storage_ids.size() != 1)
    return none;
  // NOT x = universe − x, and a table leaf lies inside the universe.
  const plan_node& inner = root.children.at(0);
  auto slots = counted_slots(inner);
  if (!slots || inner.beyond_universe)
    return none;
  TAGD_TRY_ASSIGN(universe,
                  stored_count(plan.entity, plan.universe_storage_ids[0], kPresentTag, {0}));
  TAGD_TRY_ASSIGN(inside, stored_count(plan.entity, inner.storage_id, inner.tag_id, *slots));
  return std::optional<uint64_t>(universe - inside);
}

result<uint64_t> database::count_vshard(const query_plan& plan, uint32_t index) {
  TAGD_TRY_ASSIGN(store, vshard(plan.entity, index));
  TAGD_TRY_ASSIGN(reader, store->read());
  return count_matches(plan, reader);
}

result<uint64_t> database::estimate(const query_plan& plan) {
  TAGD_TRY_ASSIGN(known, count_from_stored_counts(plan));
  if (known)
    return *known;
  std::vector<uint64_t> counts(vshards_, 0);
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(count, count_vshard(plan, static_cast<uint32_t>(v)));
    counts[v] = count;
    return status::ok();
  }));
  uint64_t total = 0;
  for (uint64_t c : counts)
    total += c;
  return total;
}

result<uint64_t> database::estimate(const std::string& entity, const std::string& expression,
                                    const query_options& options) {
  TAGD_TRY_ASSIGN(parsed, parse_expression(expression));
  TAGD_TRY_ASSIGN(bound, plan(entity, parsed, options));
  return estimate(bound);
}

result<breakdown_plan> database::plan_breakdown(const std::string& entity,
                                                const std::string& expression,
                                                const std::string& tag_name,
                                                const query_options& options) {
  TAGD_TRY_ASSIGN(parsed, parse_expression(expression));
  breakdown_plan bound;
  TAGD_TRY_ASSIGN(matches, plan(entity, parsed, options));
  bound.matches = std::move(matches);
  auto state = catalog_->current();
  const tag_def* tag = state->find_tag(entity, tag_name);
  if (!tag)
    return status(error_code::unknown_tag,
                  "no tag '" + tag_name + "' for entity type '" + entity + "'");
  if (tag->kind != tag_kind::enum_ && tag->kind != tag_kind::set && tag->kind != tag_kind::bool_)
    return status(error_code::type_mismatch, "tag '" + tag_name + "' is " + to_string(tag->kind) +
                                                 ": breakdown needs an enum, set or bool tag");
  bound.tag_id = tag->id;
  bound.kind = tag->kind;
  // The version the matches read, if they read the tag's table; else the pinned or current one.
  auto read = bound.matches.table_versions.find(tag->table);
  auto pinned = options.table_versions.find(tag->table);
  const table_def* table = state->find_table(tag->table);
  if (read != bound.matches.table_versions.end())
    bound.storage_id = read->second;
  else if (pinned != options.table_versions.end())
    bound.storage_id = pinned->second;
  else if (table && !table->versions.empty())
    bound.storage_id = table->versions.back().storage_id;
  return bound;
}

result<std::map<std::string, uint64_t>> database::breakdown_vshard(const breakdown_plan& plan,
                                                                   uint32_t v) {
  TAGD_TRY_ASSIGN(store, vshard(plan.matches.entity, v));
  TAGD_TRY_ASSIGN(reader, store->read());
  TAGD_TRY_ASSIGN(matches, evaluate(plan.matches, reader));
  TAGD_TRY_ASSIGN(slots, reader.value_slots(plan.storage_id, plan.tag_id));
  std::map<std::string, uint64_t> counts;
  for (uint32_t slot : slots) {
    TAGD_TRY_ASSIGN(values, reader.bitmap_of(plan.storage_id, plan.tag_id, slot));
    if (uint64_t n = roaring_bitmap_and_cardinality(values, matches.get())) {
      std::string value = plan.kind == tag_kind::bool_
                              ? (slot ? "true" : "false")
                              : catalog_->values(plan.tag_id).value_of(slot);
      counts[value] += n;
    }
  }
  return counts;
}

result<std::map<std::string, uint64_t>> database::breakdown(const std::string& entity,
                                                            const std::string& expression,
                                                            const std::string& tag_name,
                                                            const query_options& options) {
  TAGD_TRY_ASSIGN(bound, plan_breakdown(entity, expression, tag_name, options));
  std::vector<std::map<std::string, uint64_t>> partial(vshards_);
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(counts, breakdown_vshard(bound, static_cast<uint32_t>(v)));
    partial[v] = std::move(counts);
    return status::ok();
  }));
  std::map<std::string, uint64_t> counts;
  for (auto& per_vshard : partial)
    for (auto& [value, n] : per_vshard)
      counts[value] += n;
  return counts;
}

} // namespace tagd
