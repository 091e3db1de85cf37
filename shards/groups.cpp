// Groups: selection into immutable versions, uploads, export and membership.
#include "shards/clock.hpp"
#include "shards/database.hpp"
#include "shards/partition.hpp"
#include "shards/row_converter.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tagd {

namespace fs = std::filesystem;

namespace {

std::string csv_quote(const std::string& key) {
  if (key.find_first_of(",\"\r\n") == std::string::npos)
    return key;
  std::string quoted = "\"";
  for (char c : key) {
    if (c == '"')
      quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

} // namespace

result<pending_group_version> database::begin_group_version(const std::string& group_name,
                                                            const std::string& entity) {
  std::lock_guard lock(group_write_mutex_);
  auto state = catalog_->current();
  const group_def* group = state->find_group(group_name);
  if (!group)
    return status(error_code::not_found, "no group '" + group_name + "'");
  if (group->entity != entity)
    return status(error_code::type_mismatch, "group '" + group_name + "' holds entity type '" +
                                                 group->entity + "', not '" + entity + "'");
  // Versions begun but not committed yet keep their numbers: concurrent writers never share one.
  uint32_t& reserved = reserved_group_versions_[group->id];
  reserved = std::max(reserved, group->versions.empty() ? 0 : group->versions.back().version) + 1;
  return pending_group_version{group_name, group->id, group->entity, reserved};
}

status database::store_group_part(const pending_group_version& pending, uint32_t v,
                                  bitmap& members) {
  TAGD_TRY_ASSIGN(store, vshard(pending.entity, v));
  TAGD_TRY_ASSIGN(writer, store->write());
  roaring_bitmap_run_optimize(members.get());
  TAGD_TRY(writer.put_group(pending.group_id, pending.version, members.get()));
  return writer.commit();
}

result<uint64_t> database::select_vshard(const pending_group_version& pending,
                                         const query_plan& plan, uint32_t v) {
  if (plan.entity != pending.entity)
    return status(error_code::type_mismatch, "group '" + pending.group + "' holds entity type '" +
                                                 pending.entity + "', the expression '" +
                                                 plan.entity + "'");
  TAGD_TRY_ASSIGN(store, vshard(plan.entity, v));
  bitmap matches;
  {
    TAGD_TRY_ASSIGN(reader, store->read());
    TAGD_TRY_ASSIGN(evaluated, evaluate(plan, reader));
    matches = std::move(evaluated);
  }
  TAGD_TRY(store_group_part(pending, v, matches));
  return matches.cardinality();
}

result<resolved_part> database::resolve_vshard(const std::string& entity, uint32_t v,
                                               const keys_of_vshard& keys) {
  TAGD_TRY_ASSIGN(kind, key_kind_of(entity));
  TAGD_TRY(check_owned(kind, v, keys.stored));
  TAGD_TRY_ASSIGN(store, vshard(entity, v));
  TAGD_TRY_ASSIGN(reader, store->read());
  TAGD_TRY_ASSIGN(ordinals, reader.ordinals_of(keys.stored));
  resolved_part part;
  part.ordinals.reserve(ordinals.size());
  for (uint32_t i = 0; i < ordinals.size(); ++i) {
    if (ordinals[i] != kUnknownOrdinal)
      part.ordinals.push_back(ordinals[i]);
    else
      part.unknown.push_back(i);
  }
  return part;
}

void unknown_keys_tally::add(uint64_t position, const std::string& key) {
  ++count_;
  if (first_.size() == kSample && position > first_.rbegin()->first)
    return;
  first_.emplace(position, key);
  if (first_.size() > kSample)
    first_.erase(std::prev(first_.end()));
}

std::vector<std::string> unknown_keys_tally::sample() const {
  std::vector<std::string> keys;
  for (const auto& [position, key] : first_)
    keys.push_back(key);
  return keys;
}

result<group_version_info>
database::commit_group_version(const pending_group_version& pending, uint64_t count,
                               const std::string& expression,
                               const std::map<std::string, uint32_t>& tables) {
  TAGD_TRY(catalog_->update([&](catalog_state& next) -> status {
    auto it = next.groups.find(pending.group);
    if (it == next.groups.end() || it->second.id != pending.group_id)
      return status(error_code::not_found, "group '" + pending.group + "' was dropped meanwhile");
    auto& versions = it->second.versions;
    auto at = std::find_if(versions.begin(), versions.end(),
                           [&](const group_version& v) { return v.version >= pending.version; });
    if (at != versions.end() && at->version == pending.version)
      return status(error_code::already_exists, "group '" + pending.group + "' version " +
                                                    std::to_string(pending.version) +
                                                    " is already committed");
    group_version gv;
    gv.version = pending.version;
    gv.created = now_seconds();
    gv.count = count;
    gv.expression = expression;
    gv.table_versions = tables;
    versions.insert(at, gv); // in version order, also when a later one committed first
    return status::ok();
  }));
  // Best effort: a composite that stays stale is evaluated from its definition instead.
  (void)refresh_materialized(pending.entity);
  return group_version_info{pending.group, pending.version, count};
}

status database::abort_group_version(const pending_group_version& pending) {
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(pending.entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(writer, store->write());
    TAGD_TRY(writer.drop_group_version(pending.group_id, pending.version));
    return writer.commit();
  }));
  // Only now may the number be begun again; a later one keeps it reserved (a gap, harmless).
  std::lock_guard lock(group_write_mutex_);
  auto it = reserved_group_versions_.find(pending.group_id);
  if (it != reserved_group_versions_.end() && it->second == pending.version)
    it->second = pending.version - 1;
  return status::ok();
}

result<group_version_info> database::select(const std::string& group_name, const query_plan& plan,
                                            const std::string& expression) {
  TAGD_TRY_ASSIGN(pending, begin_group_version(group_name, plan.entity));
  std::vector<uint64_t> counts(vshards_, 0);
  status written = workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(count, select_vshard(pending, plan, static_cast<uint32_t>(v)));
    counts[v] = count;
    return status::ok();
  });
  if (!written.is_ok()) {
    (void)abort_group_version(pending);
    return written;
  }
  uint64_t total = 0;
  for (uint64_t count : counts)
    total += count;
  return commit_group_version(pending, total, expression, plan.table_versions);
}

result<group_version_info> database::select(const std::string& group_name,
                                            const std::string& expression,
                                            const query_options& options) {
  auto state = catalog_->current();
  const group_def* group = state->find_group(group_name);
  if (!group)
    return status(error_code::not_found, "no group '" + group_name + "'");
  TAGD_TRY_ASSIGN(parsed, parse_expression(expression));
  TAGD_TRY_ASSIGN(bound, plan(group->entity, parsed, options));
  return select(group_name, bound, to_string(parsed));
}

result<key_kind> database::key_kind_of(const std::string& entity) const {
  auto state = catalog_->current();
  auto it = state->entities.find(entity);
  if (it == state->entities.end())
    return status(error_code::not_found, "no entity type '" + entity + "'");
  return it->second.keys;
}

result<std::pair<uint32_t, std::string>> database::locate(key_kind keys,
                                                          std::string_view key) const {
  std::pair<uint32_t, std::string> located;
  std::string bad = parse_key(keys, key, vshards_, located.first, located.second);
  if (!bad.empty())
    return status(error_code::invalid_argument, bad);
  return located;
}

result<std::pair<uint32_t, std::string>> database::locate_key(const std::string& entity,
                                                              std::string_view key) const {
  TAGD_TRY_ASSIGN(keys, key_kind_of(entity));
  return locate(keys, key);
}

status database::check_owned(key_kind keys, uint32_t v,
                             const std::vector<std::string>& stored_keys) const {
  for (const std::string& stored : stored_keys) {
    bool u64 = keys == key_kind::u64;
    uint32_t owner = u64 ? vshard_of(decode_u64_key(stored), vshards_)
                         : vshard_of(std::string_view(stored), vshards_);
    if (owner != v) // a caller's bug; answering for the wrong vshard would be silently wrong
      return status(error_code::invalid_argument,
                    "key '" + (u64 ? std::to_string(decode_u64_key(stored)) : stored) +
                        "' belongs to vshard " + std::to_string(owner) + ", not " +
                        std::to_string(v));
  }
  return status::ok();
}

status database::index_keys(const std::string& entity) {
  for (uint32_t v = 0; v < vshards_; ++v) {
    TAGD_TRY_ASSIGN(store, vshard(entity, v));
    TAGD_TRY_ASSIGN(reader, store->read());
    TAGD_TRY(reader.index_keys());
  }
  return status::ok();
}

result<std::map<uint32_t, keys_of_vshard>>
database::keys_by_vshard(const std::string& entity, std::vector<std::string> keys) const {
  TAGD_TRY_ASSIGN(kind, key_kind_of(entity));
  // Two passes, so that every list is allocated once at its size (this is on the path of every
  // batched membership check).
  std::vector<std::pair<uint32_t, std::string>> located(keys.size());
  std::vector<size_t> per_vshard(vshards_, 0);
  for (size_t i = 0; i < keys.size(); ++i) {
    TAGD_TRY_ASSIGN(one, locate(kind, keys[i]));
    located[i] = std::move(one);
    ++per_vshard[located[i].first];
  }
  std::vector<keys_of_vshard> parts(vshards_); // indexed: no map lookup per key
  for (uint32_t v = 0; v < vshards_; ++v) {
    parts[v].keys.reserve(per_vshard[v]);
    parts[v].stored.reserve(per_vshard[v]);
    parts[v].positions.reserve(per_vshard[v]);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    keys_of_vshard& part = parts[located[i].first];
    part.keys.push_back(std::move(keys[i])); // a caller that can spare its keys moves them in
    part.stored.push_back(std::move(located[i].second));
    part.positions.push_back(i);
  }
  std::map<uint32_t, keys_of_vshard> by_vshard;
  for (uint32_t v = 0; v < vshards_; ++v)
    if (per_vshard[v] > 0)
      by_vshard.emplace(v, std::move(parts[v]));
  return by_vshard;
}

result<upload_report> database::upload_group(const std::string& group_name,
                                             const std::vector<std::string>& keys) {
  auto state = catalog_->current();
  const group_def* group = state->find_group(group_name);
  if (!group)
    return status(error_code::not_found, "no group '" + group_name + "'");
  // Every key is checked before anything is written.
  TAGD_TRY_ASSIGN(by_vshard, keys_by_vshard(group->entity, keys));
  for (uint32_t v = 0; v < vshards_; ++v)
    by_vshard[v]; // a vshard without keys still stores its (empty) part
  TAGD_TRY_ASSIGN(pending, begin_group_version(group_name, group->entity));
  std::vector<resolved_part> parts(vshards_);
  std::vector<uint64_t> members(vshards_, 0);
  status written = workers_->parallel_for(vshards_, [&](size_t v) -> status {
    uint32_t index = static_cast<uint32_t>(v);
    TAGD_TRY_ASSIGN(part, resolve_vshard(group->entity, index, by_vshard.at(index)));
    bitmap known = bitmap::of(part.ordinals);
    TAGD_TRY(store_group_part(pending, index, known));
    members[v] = known.cardinality();
    parts[v] = std::move(part);
    return status::ok();
  });
  if (!written.is_ok()) {
    (void)abort_group_version(pending);
    return written;
  }
  unknown_keys_tally unknown;
  uint64_t count = 0;
  for (uint32_t v = 0; v < vshards_; ++v) {
    count += members[v];
    const keys_of_vshard& share = by_vshard.at(v);
    for (uint32_t i : parts[v].unknown)
      unknown.add(share.positions[i], share.keys[i]);
  }
  TAGD_TRY_ASSIGN(version, commit_group_version(pending, count, "", {}));
  return upload_report{version, unknown.count(), unknown.sample()};
}

result<export_part> database::export_vshard(const std::string& group_name, uint32_t version,
                                            uint32_t v) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, state->find_group_version(group_name, version));
  const group_def* group = found.first;
  bool u64_keys = state->entities.at(group->entity).keys == key_kind::u64;
  TAGD_TRY_ASSIGN(store, vshard(group->entity, v));
  TAGD_TRY_ASSIGN(reader, store->read());
  TAGD_TRY_ASSIGN(members, reader.group(group->id, version));
  export_part part;
  part.vshard = v;
  roaring_uint32_iterator_t* it = roaring_create_iterator(members);
  status failed;
  for (; it->has_value; roaring_advance_uint32_iterator(it)) {
    auto key = reader.key_of(it->current_value);
    if (!key) {
      failed = key.error();
      break;
    }
    part.text += u64_keys ? std::to_string(decode_u64_key(*key)) : csv_quote(*key);
    part.text += '\n';
    ++part.rows;
  }
  roaring_free_uint32_iterator(it);
  TAGD_TRY(failed);
  part.crc32 = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(part.text.data()),
                                           static_cast<uInt>(part.text.size())));
  part.bytes = part.text.size();
  return part;
}

result<export_report> database::export_group(const std::string& group_name,
                                             std::optional<uint32_t> version,
                                             const std::string& directory) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, state->find_group_version(group_name, version));
  const group_version* gv = found.second;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec)
    return status(error_code::io_error, "cannot create " + directory + ": " + ec.message());
  export_report report;
  report.group = group_name;
  report.version = gv->version;
  report.parts.resize(vshards_);
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(part, export_vshard(group_name, gv->version, static_cast<uint32_t>(v)));
    char name[64];
    std::snprintf(name, sizeof name, "part-%04zu.csv", v);
    std::string path = directory + "/" + name;
    std::string temporary = path + ".tmp";
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out.write(part.text.data(), static_cast<std::streamsize>(part.text.size()));
      out.flush();
      if (!out)
        return status(error_code::io_error, "cannot write " + temporary);
    }
    std::error_code rename_error;
    fs::rename(temporary, path, rename_error);
    if (rename_error)
      return status(error_code::io_error,
                    "cannot rename " + temporary + ": " + rename_error.message());
    report.parts[v] = export_report::part{path, part.vshard, part.rows, part.crc32};
    return status::ok();
  }));
  for (const auto& part : report.parts)
    report.count += part.rows;
  if (report.count != gv->count)
    return status(error_code::corruption, "group '" + group_name + "' version " +
                                              std::to_string(gv->version) + " exported " +
                                              std::to_string(report.count) + " keys, but holds " +
                                              std::to_string(gv->count));
  return report;
}

result<std::vector<bool>> database::contains_vshard(const std::string& group_name, uint32_t version,
                                                    uint32_t v,
                                                    const std::vector<std::string>& stored_keys) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, state->find_group_version(group_name, version));
  const group_def* group = found.first;
  TAGD_TRY(check_owned(state->entities.at(group->entity).keys, v, stored_keys));
  TAGD_TRY_ASSIGN(store, vshard(group->entity, v));
  TAGD_TRY_ASSIGN(reader, store->read());
  TAGD_TRY_ASSIGN(members, reader.group(group->id, version));
  TAGD_TRY_ASSIGN(ordinals, reader.ordinals_of(stored_keys));
  std::vector<bool> answers(stored_keys.size(), false);
  for (size_t i = 0; i < stored_keys.size(); ++i)
    answers[i] = ordinals[i] != kUnknownOrdinal && roaring_bitmap_contains(members, ordinals[i]);
  return answers;
}

result<std::vector<bool>> database::contains_many(const std::string& group_name,
                                                  std::optional<uint32_t> version,
                                                  const std::vector<std::string>& keys) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, state->find_group_version(group_name, version));
  TAGD_TRY_ASSIGN(by_vshard, keys_by_vshard(found.first->entity, keys));
  std::vector<bool> answers(keys.size(), false);
  for (const auto& [v, part] : by_vshard) {
    TAGD_TRY_ASSIGN(found_here, contains_vshard(group_name, found.second->version, v, part.stored));
    for (size_t i = 0; i < part.positions.size(); ++i)
      answers[part.positions[i]] = found_here[i];
  }
  return answers;
}

result<bool> database::contains(const std::string& group, std::optional<uint32_t> version,
                                const std::string& key) {
  TAGD_TRY_ASSIGN(answers, contains_many(group, version, {key}));
  return bool(answers[0]);
}

result<std::vector<std::string>> database::groups_of(const std::string& entity,
                                                     const std::string& key) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(located, locate_key(entity, key));
  TAGD_TRY_ASSIGN(store, vshard(entity, located.first));
  TAGD_TRY_ASSIGN(reader, store->read());
  TAGD_TRY_ASSIGN(ordinal, reader.ordinal_of(located.second));
  std::vector<std::string> names;
  if (!ordinal)
    return names;
  for (const auto& [name, group] : state->groups) {
    if (group.entity != entity || group.versions.empty())
      continue;
    TAGD_TRY_ASSIGN(members, reader.group(group.id, group.versions.back().version));
    if (roaring_bitmap_contains(members, *ordinal))
      names.push_back(name);
  }
  return names;
}

} // namespace tagd
