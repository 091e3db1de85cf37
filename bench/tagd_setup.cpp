#include "bench/tagd_setup.hpp"

#include "bench/measure.hpp"

#include <lmdb.h>

#include <cstdio>
#include <stdexcept>
#include <string_view>

namespace tagd::bench {

void check(const status& s, const std::string& doing) {
  if (!s.is_ok())
    throw std::runtime_error(doing + ": " + s.to_string());
}

std::string bench_entity(bool string_keys) {
  return string_keys ? "user_text" : "user";
}

table_spec to_table_spec(const bench_table& table, const std::string& entity) {
  table_spec spec;
  spec.name = table.name;
  spec.entity = entity;
  spec.key_column = kKeyColumn;
  spec.set_separator = kSetSeparator;
  for (const bench_column& c : table.columns) {
    column_spec column;
    column.tag = c.name;
    column.column = c.name;
    switch (c.kind) {
    case column_kind::enum_:
      column.kind = tag_kind::enum_;
      break;
    case column_kind::bool_:
      column.kind = tag_kind::bool_;
      break;
    case column_kind::set:
      column.kind = tag_kind::set;
      break;
    case column_kind::int_:
      column.kind = tag_kind::int_;
      break;
    case column_kind::decimal2:
      column.kind = tag_kind::decimal;
      column.precision = 12;
      column.scale = 2;
      break;
    case column_kind::date:
      column.kind = tag_kind::time;
      column.unit = time_unit::date;
      break;
    }
    spec.columns.push_back(column);
  }
  return spec;
}

tagd_import import_tables(database& db, const std::string& csv_directory, bool string_keys) {
  tagd_import result;
  std::string entity = bench_entity(string_keys);
  if (string_keys)
    check(db.define_entity(entity, key_kind::string), "defining entity type " + entity);
  for (const bench_table& table : bench_tables()) {
    check(db.define_table(to_table_spec(table, entity)), "defining table " + table.name);
    import_options options;
    options.progress = [&table](const import_progress& p) {
      // One status line on stderr, rewritten in place: rows, rows/s, share of the file read.
      if (std::string_view(p.phase) == "writing") {
        std::fprintf(stderr, "\r  importing %-16s writing %11llu rows to the vshards%20s",
                     table.name.c_str(), static_cast<unsigned long long>(p.rows), "");
        return;
      }
      std::fprintf(stderr, "\r  importing %-16s reading %11llu rows %6.2f M rows/s %5.1f%%   ",
                   table.name.c_str(), static_cast<unsigned long long>(p.rows),
                   p.seconds > 0 ? p.rows / p.seconds / 1e6 : 0.0,
                   p.total_bytes ? 100.0 * p.bytes / p.total_bytes : 0.0);
    };
    stopwatch clock;
    auto report =
        db.import_files(table.name, "bench", {table_file(csv_directory, table.name)}, options);
    std::fprintf(stderr, "\n");
    result.seconds += clock.seconds();
    if (!report)
      throw std::runtime_error("importing " + table.name + ": " + report.error().to_string());
    if (report->rejected_count != 0)
      throw std::runtime_error("importing " + table.name + ": " +
                               std::to_string(report->rejected_count) + " rows rejected, first: " +
                               (report->rejected.empty() ? "?" : report->rejected[0].reason));
    result.rows += report->rows_loaded;
    result.reports.push_back(*report);
  }
  return result;
}

namespace {

// Sum of the value sizes of the LMDB database `name` inside a read transaction.
void add_lmdb_values(MDB_txn* txn, const char* name, stored_bitmaps& sizes) {
  // The store opened this database already; LMDB hands back the same handle.
  MDB_dbi dbi;
  MDB_cursor* cursor = nullptr;
  if (mdb_dbi_open(txn, name, 0, &dbi) != MDB_SUCCESS ||
      mdb_cursor_open(txn, dbi, &cursor) != MDB_SUCCESS)
    throw std::runtime_error(std::string("cannot list the LMDB database ") + name);
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    ++sizes.lmdb_values;
    sizes.value_bytes += value.mv_size;
  }
  mdb_cursor_close(cursor);
}

template <class T>
T value_or_throw(result<T> r) {
  if (!r)
    throw std::runtime_error(r.error().to_string());
  return std::move(r).value();
}

void add_bitmap(const roaring_bitmap_t* b, stored_bitmaps& sizes) {
  if (roaring_bitmap_is_empty(b))
    return;
  ++sizes.bitmaps;
  sizes.portable_bytes += roaring_bitmap_portable_size_in_bytes(b);
}

} // namespace

stored_bitmaps measure_stored_bitmaps(database& db, const std::string& entity) {
  stored_bitmaps sizes;
  auto state = db.snapshot();
  struct current_tag {
    uint32_t storage_id;
    tag_def tag;
  };
  std::vector<uint32_t> storage_ids;
  std::vector<current_tag> tags;
  for (const auto& [name, table] : state->tables) {
    if (table.entity != entity || table.versions.empty())
      continue;
    uint32_t storage_id = table.versions.back().storage_id;
    storage_ids.push_back(storage_id);
    for (const std::string& tag : table.tags)
      tags.push_back({storage_id, *state->find_tag(entity, tag)});
  }
  for (uint32_t v = 0; v < db.vshard_count(); ++v) {
    vshard_store* store = value_or_throw(db.vshard(entity, v));
    vshard_reader reader = value_or_throw(store->read());
    status counted = reader.with_txn([&](const lmdb_txn& txn) {
      add_lmdb_values(txn.get(), "bitmaps", sizes);
      return status::ok();
    });
    if (!counted.is_ok())
      throw std::runtime_error(counted.to_string());
    for (uint32_t storage_id : storage_ids)
      add_bitmap(value_or_throw(reader.bitmap_of(storage_id, kPresentTag, 0)), sizes);
    for (const current_tag& t : tags) {
      std::vector<uint32_t> slots;
      if (is_ranged(t.tag.kind)) {
        bsi_meta meta = value_or_throw(reader.bsi(t.storage_id, t.tag.id));
        for (uint32_t layer = 0; layer < meta.layers; ++layer) {
          slots.push_back(bsi_slot(layer, kExistenceSlice));
          for (uint32_t bit = 0; bit < meta.bits; ++bit)
            slots.push_back(bsi_slot(layer, bit));
        }
      } else {
        slots = value_or_throw(reader.value_slots(t.storage_id, t.tag.id));
        slots.push_back(kNotNullSlot);
      }
      for (uint32_t slot : slots)
        add_bitmap(value_or_throw(reader.bitmap_of(t.storage_id, t.tag.id, slot)), sizes);
    }
  }
  return sizes;
}

} // namespace tagd::bench
