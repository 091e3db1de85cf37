// Groups: selection into immutable versions, uploads, export and membership.
#include "shards/clock.hpp"
#include "shards/database.hpp"
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

result<group_version_info>
database::store_group_version(const std::string& group_name, std::vector<bitmap> members,
                              const std::string& expression,
                              const std::map<std::string, uint32_t>& tables) {
  std::lock_guard lock(group_write_mutex_);
  auto state = catalog_->current();
  const group_def* group = state->find_group(group_name);
  if (!group)
    return status(error_code::not_found, "no group '" + group_name + "'");
  uint32_t version = group->versions.empty() ? 1 : group->versions.back().version + 1;
  uint32_t group_id = group->id;
  std::string entity = group->entity;
  uint64_t count = 0;
  for (const bitmap& b : members)
    count += b.cardinality();
  // Members first, then the catalog: a crash in between leaves bitmaps that the next
  // selection of this group overwrites, never a version without members.
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(writer, store->write());
    roaring_bitmap_run_optimize(members[v].get());
    TAGD_TRY(writer.put_group(group_id, version, members[v].get()));
    return writer.commit();
  }));
  TAGD_TRY(catalog_->update([&](catalog_state& next) -> status {
    auto it = next.groups.find(group_name);
    if (it == next.groups.end())
      return status(error_code::not_found, "group '" + group_name + "' was dropped meanwhile");
    group_version gv;
    gv.version = version;
    gv.created = now_seconds();
    gv.count = count;
    gv.expression = expression;
    gv.table_versions = tables;
    it->second.versions.push_back(gv);
    return status::ok();
  }));
  // Best effort: a composite that stays stale is evaluated from its definition instead.
  (void)refresh_materialized(entity);
  return group_version_info{group_name, version, count};
}

result<group_version_info> database::select(const std::string& group_name, const query_plan& plan,
                                            const std::string& expression) {
  auto state = catalog_->current();
  const group_def* group = state->find_group(group_name);
  if (!group)
    return status(error_code::not_found, "no group '" + group_name + "'");
  if (group->entity != plan.entity)
    return status(error_code::type_mismatch, "group '" + group_name + "' holds entity type '" +
                                                 group->entity + "', the expression '" +
                                                 plan.entity + "'");
  std::vector<bitmap> members(vshards_);
  TAGD_TRY(for_each_vshard(plan, [&](uint32_t v, vshard_reader&, bitmap& matches) {
    members[v] = std::move(matches);
    return status::ok();
  }));
  return store_group_version(group_name, std::move(members), expression, plan.table_versions);
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

result<std::pair<uint32_t, std::string>> database::locate_key(const std::string& entity,
                                                              std::string_view key) const {
  auto state = catalog_->current();
  auto it = state->entities.find(entity);
  if (it == state->entities.end())
    return status(error_code::not_found, "no entity type '" + entity + "'");
  std::pair<uint32_t, std::string> located;
  std::string bad = parse_key(it->second.keys, key, vshards_, located.first, located.second);
  if (!bad.empty())
    return status(error_code::invalid_argument, bad);
  return located;
}

result<upload_report> database::upload_group(const std::string& group_name,
                                             const std::vector<std::string>& keys) {
  auto state = catalog_->current();
  const group_def* group = state->find_group(group_name);
  if (!group)
    return status(error_code::not_found, "no group '" + group_name + "'");
  std::vector<std::vector<std::pair<std::string, const std::string*>>> by_vshard(vshards_);
  for (const std::string& key : keys) {
    TAGD_TRY_ASSIGN(located, locate_key(group->entity, key));
    by_vshard[located.first].emplace_back(std::move(located.second), &key);
  }
  std::vector<bitmap> members(vshards_);
  std::vector<std::vector<const std::string*>> unknown(vshards_);
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(group->entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(reader, store->read());
    for (auto& [stored, original] : by_vshard[v]) {
      TAGD_TRY_ASSIGN(ordinal, reader.ordinal_of(stored));
      if (ordinal)
        members[v].add(*ordinal);
      else
        unknown[v].push_back(original);
    }
    return status::ok();
  }));
  upload_report report;
  for (auto& list : unknown) {
    report.unknown_keys += list.size();
    for (const std::string* key : list)
      if (report.unknown_sample.size() < 100)
        report.unknown_sample.push_back(*key);
  }
  TAGD_TRY_ASSIGN(version, store_group_version(group_name, std::move(members), "", {}));
  report.version = version;
  return report;
}

result<export_report> database::export_group(const std::string& group_name,
                                             std::optional<uint32_t> version,
                                             const std::string& directory) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, state->find_group_version(group_name, version));
  const group_def* group = found.first;
  const group_version* gv = found.second;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec)
    return status(error_code::io_error, "cannot create " + directory + ": " + ec.message());
  bool u64_keys = state->entities.at(group->entity).keys == key_kind::u64;
  export_report report;
  report.group = group_name;
  report.version = gv->version;
  report.parts.resize(vshards_);
  uint32_t group_id = group->id, group_version_number = gv->version;
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    TAGD_TRY_ASSIGN(store, vshard(group->entity, static_cast<uint32_t>(v)));
    TAGD_TRY_ASSIGN(reader, store->read());
    TAGD_TRY_ASSIGN(members, reader.group(group_id, group_version_number));
    char name[64];
    std::snprintf(name, sizeof name, "part-%04zu.csv", v);
    std::string path = directory + "/" + name;
    std::string temporary = path + ".tmp";
    std::string text;
    uint64_t rows = 0;
    roaring_uint32_iterator_t* it = roaring_create_iterator(members);
    status failed;
    for (; it->has_value; roaring_advance_uint32_iterator(it)) {
      auto key = reader.key_of(it->current_value);
      if (!key) {
        failed = key.error();
        break;
      }
      text += u64_keys ? std::to_string(decode_u64_key(*key)) : csv_quote(*key);
      text += '\n';
      ++rows;
    }
    roaring_free_uint32_iterator(it);
    TAGD_TRY(failed);
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      out.flush();
      if (!out)
        return status(error_code::io_error, "cannot write " + temporary);
    }
    std::error_code rename_error;
    fs::rename(temporary, path, rename_error);
    if (rename_error)
      return status(error_code::io_error,
                    "cannot rename " + temporary + ": " + rename_error.message());
    auto& part = report.parts[v];
    part.path = path;
    part.vshard = static_cast<uint32_t>(v);
    part.rows = rows;
    part.crc32 = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
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

result<std::vector<bool>> database::contains_many(const std::string& group_name,
                                                  std::optional<uint32_t> version,
                                                  const std::vector<std::string>& keys) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, state->find_group_version(group_name, version));
  const group_def* group = found.first;
  const group_version* gv = found.second;
  uint32_t at = gv->version;
  std::vector<bool> answers(keys.size(), false);
  std::map<uint32_t, std::vector<std::pair<std::string, size_t>>> by_vshard;
  for (size_t i = 0; i < keys.size(); ++i) {
    TAGD_TRY_ASSIGN(located, locate_key(group->entity, keys[i]));
    by_vshard[located.first].emplace_back(std::move(located.second), i);
  }
  for (auto& [v, list] : by_vshard) {
    TAGD_TRY_ASSIGN(store, vshard(group->entity, v));
    TAGD_TRY_ASSIGN(reader, store->read());
    TAGD_TRY_ASSIGN(members, reader.group(group->id, at));
    for (auto& [stored, index] : list) {
      TAGD_TRY_ASSIGN(ordinal, reader.ordinal_of(stored));
      answers[index] = ordinal && roaring_bitmap_contains(members, *ordinal);
    }
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
