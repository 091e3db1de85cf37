// Real-time tables: rows upserted and removed one by one, applied in place to the table's one
// live version. Each key's current row is kept (rows db) so that an update knows which bits to
// clear. Ranged tags use a fixed 64-bit index (base INT64_MIN) so any new value fits without
// rebuilding the index.

#include "shards/database.hpp"
#include "shards/row_converter.hpp"

#include <cstring>
#include <limits>

namespace tagd {

namespace {

constexpr int64_t kRealtimeBase = std::numeric_limits<int64_t>::min();

std::string encode_row(const std::vector<std::vector<int64_t>>& values) {
  std::string out;
  for (const auto& tag_values : values) {
    uint32_t n = static_cast<uint32_t>(tag_values.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(reinterpret_cast<const char*>(tag_values.data()), n * sizeof(int64_t));
  }
  return out;
}

result<std::vector<std::vector<int64_t>>> decode_row(std::string_view bytes, size_t tags) {
  std::vector<std::vector<int64_t>> values(tags);
  size_t at = 0;
  for (size_t t = 0; t < tags; ++t) {
    uint32_t n = 0;
    if (at + sizeof n > bytes.size())
      return status(error_code::corruption, "truncated real-time row");
    std::memcpy(&n, bytes.data() + at, sizeof n);
    at += sizeof n;
    if (at + size_t{n} * sizeof(int64_t) > bytes.size())
      return status(error_code::corruption, "truncated real-time row");
    values[t].resize(n);
    std::memcpy(values[t].data(), bytes.data() + at, n * sizeof(int64_t));
    at += n * sizeof(int64_t);
  }
  return values;
}

// The final state of each ordinal in each touched bitmap, applied in one read-modify-write.
using bitmap_edits = std::map<std::pair<uint32_t, uint32_t>, std::map<uint32_t, bool>>;

void edit_ranged(bitmap_edits& edits, uint32_t tag_id, uint32_t ordinal,
                 const std::vector<int64_t>& old_values, const std::vector<int64_t>& new_values) {
  auto offset = [](int64_t v) { return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63); };
  bool had = !old_values.empty(), has = !new_values.empty();
  uint64_t before = had ? offset(old_values[0]) : 0, after = has ? offset(new_values[0]) : 0;
  if (had != has)
    edits[{tag_id, bsi_slot(0, kExistenceSlice)}][ordinal] = has;
  for (uint32_t bit = 0; bit < 64; ++bit) {
    bool was = had && ((before >> bit) & 1), is = has && ((after >> bit) & 1);
    if (was != is)
      edits[{tag_id, bsi_slot(0, bit)}][ordinal] = is;
  }
}

void edit_valued(bitmap_edits& edits, uint32_t tag_id, uint32_t ordinal,
                 const std::vector<int64_t>& old_values, const std::vector<int64_t>& new_values) {
  for (int64_t v : old_values)
    if (!std::binary_search(new_values.begin(), new_values.end(), v))
      edits[{tag_id, static_cast<uint32_t>(v)}][ordinal] = false;
  for (int64_t v : new_values)
    if (!std::binary_search(old_values.begin(), old_values.end(), v))
      edits[{tag_id, static_cast<uint32_t>(v)}][ordinal] = true;
  if (old_values.empty() != new_values.empty())
    edits[{tag_id, kNotNullSlot}][ordinal] = !new_values.empty();
}

// The real-time table named `name`, or why it cannot take row updates.
result<const table_def*> realtime_table(const catalog_state& state, const std::string& name) {
  const table_def* table = state.find_table(name);
  if (!table)
    return status(error_code::not_found, "no table '" + name + "'");
  if (table->mode != table_mode::realtime)
    return status(error_code::invalid_argument,
                  "table '" + name + "' is offline: load a new version instead");
  return table;
}

} // namespace

result<realtime_batch> database::plan_upsert(const std::string& table_name,
                                             const std::vector<realtime_row>& rows) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(table, realtime_table(*state, table_name));
  std::vector<tag_def> tags = state->tags_of(*table);
  row_converter converter(state->entities.at(table->entity).keys, tags, dictionaries_of(tags),
                          table->set_separator, vshards_);
  realtime_batch batch{table_name, std::vector<std::vector<realtime_change>>(vshards_)};
  std::vector<std::optional<std::string_view>> fields(tags.size());
  converted_row converted;
  for (size_t i = 0; i < rows.size(); ++i) {
    const realtime_row& row = rows[i];
    if (row.fields.size() != tags.size())
      return status(error_code::bad_row, "row " + std::to_string(i + 1) + ": expected " +
                                             std::to_string(tags.size()) + " fields, found " +
                                             std::to_string(row.fields.size()));
    for (size_t t = 0; t < tags.size(); ++t)
      fields[t] = row.fields[t] ? std::optional<std::string_view>(*row.fields[t]) : std::nullopt;
    std::string bad = converter.convert(row.key, fields, converted);
    if (!bad.empty())
      return status(error_code::bad_row, "row " + std::to_string(i + 1) + ": " + bad);
    realtime_change change;
    change.stored_key = std::move(converted.stored_key);
    change.values.resize(tags.size());
    for (auto& [t, value] : converted.values)
      change.values[t].push_back(value);
    for (auto& values : change.values) {
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
    }
    batch.by_vshard[converted.vshard].push_back(std::move(change));
  }
  return batch;
}

status database::finish_upsert() {
  // New enum and set values become durable with a catalog commit.
  return catalog_->update([](catalog_state&) { return status::ok(); });
}

status database::upsert(const std::string& table_name, const std::vector<realtime_row>& rows) {
  TAGD_TRY_ASSIGN(batch, plan_upsert(table_name, rows));
  TAGD_TRY_ASSIGN(removed, apply_realtime(batch));
  (void)removed; // an upsert removes no rows
  return finish_upsert();
}

result<realtime_batch> database::plan_remove(const std::string& table_name,
                                             const std::vector<std::string>& keys) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(table, realtime_table(*state, table_name));
  TAGD_TRY_ASSIGN(kind, key_kind_of(table->entity));
  realtime_batch batch{table_name, std::vector<std::vector<realtime_change>>(vshards_)};
  for (const std::string& key : keys) {
    TAGD_TRY_ASSIGN(located, locate(kind, key));
    realtime_change change;
    change.stored_key = std::move(located.second);
    change.remove = true;
    batch.by_vshard[located.first].push_back(std::move(change));
  }
  return batch;
}

result<uint64_t> database::remove(const std::string& table_name,
                                  const std::vector<std::string>& keys) {
  TAGD_TRY_ASSIGN(batch, plan_remove(table_name, keys));
  return apply_realtime(batch);
}

result<uint64_t> database::apply_realtime(const realtime_batch& batch) {
  std::vector<uint64_t> removed(vshards_, 0);
  TAGD_TRY(workers_->parallel_for(vshards_, [&](size_t v) -> status {
    if (batch.by_vshard[v].empty())
      return status::ok();
    TAGD_TRY_ASSIGN(
        n, apply_realtime_vshard(batch.table, static_cast<uint32_t>(v), batch.by_vshard[v]));
    removed[v] = n;
    return status::ok();
  }));
  uint64_t total = 0;
  for (uint64_t n : removed)
    total += n;
  return total;
}

result<uint64_t> database::apply_realtime_vshard(const std::string& table_name, uint32_t v,
                                                 const std::vector<realtime_change>& changes) {
  auto state = catalog_->current();
  TAGD_TRY_ASSIGN(found, realtime_table(*state, table_name)); // it may have been dropped since
  const table_def& table = *found;
  const uint32_t storage_id = table.versions.back().storage_id;
  std::vector<tag_def> tags = state->tags_of(table);
  uint64_t removed = 0;
  if (changes.empty())
    return uint64_t{0};
  TAGD_TRY_ASSIGN(store, vshard(table.entity, static_cast<uint32_t>(v)));
  TAGD_TRY_ASSIGN(writer, store->write());
  std::vector<std::string> keys;
  for (auto& change : changes)
    keys.push_back(change.stored_key);
  std::vector<uint32_t> ordinals;
  bool only_removals = std::all_of(changes.begin(), changes.end(),
                                   [](const realtime_change& c) { return c.remove; });
  TAGD_TRY(writer.resolve(keys, !only_removals, ordinals));
  // Rows as they stand, updated change by change (a key may repeat within one call).
  std::map<uint32_t, std::optional<std::vector<std::vector<int64_t>>>> current;
  bitmap_edits edits;
  for (size_t i = 0; i < changes.size(); ++i) {
    uint32_t ordinal = ordinals[i];
    if (ordinal == UINT32_MAX)
      continue; // removal of a key never seen
    auto it = current.find(ordinal);
    if (it == current.end()) {
      TAGD_TRY_ASSIGN(stored, writer.row(storage_id, ordinal));
      std::optional<std::vector<std::vector<int64_t>>> row;
      if (stored) {
        TAGD_TRY_ASSIGN(decoded, decode_row(*stored, tags.size()));
        row = std::move(decoded);
      }
      it = current.emplace(ordinal, std::move(row)).first;
    }
    static const std::vector<int64_t> none;
    auto& before = it->second;
    const auto* after = changes[i].remove ? nullptr : &changes[i].values;
    if (changes[i].remove && before)
      ++removed;
    for (size_t t = 0; t < tags.size(); ++t) {
      const auto& old_values = before ? (*before)[t] : none;
      const auto& new_values = after ? (*after)[t] : none;
      if (is_ranged(tags[t].kind))
        edit_ranged(edits, tags[t].id, ordinal, old_values, new_values);
      else
        edit_valued(edits, tags[t].id, ordinal, old_values, new_values);
    }
    if (before.has_value() != (after != nullptr))
      edits[{kPresentTag, 0}][ordinal] = after != nullptr;
    before = after ? std::optional(*after) : std::nullopt;
  }
  for (auto& [ordinal, row] : current) {
    if (row)
      TAGD_TRY(writer.put_row(storage_id, ordinal, encode_row(*row)));
    else
      TAGD_TRY(writer.delete_row(storage_id, ordinal));
  }
  for (const tag_def& tag : tags)
    if (is_ranged(tag.kind))
      TAGD_TRY(writer.put_bsi_meta(storage_id, tag.id, bsi_meta{kRealtimeBase, 64, 1}));
  for (auto& [slot_key, members] : edits) {
    TAGD_TRY_ASSIGN(bits, writer.load_bitmap(storage_id, slot_key.first, slot_key.second));
    for (auto& [ordinal, present] : members)
      present ? bits.add(ordinal) : bits.remove(ordinal);
    roaring_bitmap_run_optimize(bits.get());
    TAGD_TRY(writer.put_bitmap(storage_id, slot_key.first, slot_key.second, bits.get()));
  }
  TAGD_TRY(writer.commit());
  return removed;
}

} // namespace tagd
