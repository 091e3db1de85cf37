#include "shards/table_loader.hpp"

#include "shards/counting_sort.hpp"

#include "shards/clock.hpp"

#include "shards/typed_value.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <numeric>

namespace tagd {

namespace {
using clock_type = std::chrono::steady_clock;
constexpr size_t batch_records = 16384;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

bool is_null_field(const record_batch& batch, size_t record, size_t field,
                   const import_options& options) {
  const csv_field& f = batch.field(record, field);
  if (f.quoted)
    return false;
  return (f.length == 0 && options.empty_is_null) ||
         batch.text(record, field) == options.null_marker;
}
} // namespace

// One batch's accepted rows, split by vshard, built without locks and appended in one step.
struct table_loader::converted {
  struct part {
    std::vector<std::string> keys;
    std::vector<uint64_t> lines;
    std::vector<std::vector<std::pair<uint32_t, int64_t>>> values;
  };
  std::vector<part> parts;
};

table_loader::table_loader(database& db, table_def table, entity_def entity,
                           std::vector<tag_def> tags, uint32_t storage_id, const std::string& label)
    : db_(db), table_(std::move(table)), entity_(std::move(entity)), tags_(std::move(tags)),
      converter_(entity_.keys, tags_, db.dictionaries_of(tags_), table_.set_separator,
                 db.vshard_count()),
      storage_id_(storage_id), label_(label) {
  for (uint32_t v = 0; v < db_.vshard_count(); ++v) {
    vshards_.push_back(std::make_unique<vshard_rows>());
    vshards_.back()->values.resize(tags_.size());
  }
}

table_loader::~table_loader() {
  abort();
}

void table_loader::abort() {
  if (finished_)
    return;
  finished_ = true;
  // Nothing was written to the vshards unless commit() failed midway; drop whatever is there.
  (void)db_.drop_storage_everywhere(entity_.name, {storage_id_});
}

status table_loader::reject(const std::string& source, uint64_t line, std::string reason) {
  uint64_t count = ++rejected_count_;
  {
    std::lock_guard lock(rejected_mutex_);
    if (rejected_.size() < max_reported_)
      rejected_.push_back({source, line, std::move(reason)});
  }
  if (count > max_rejected_) {
    std::lock_guard lock(rejected_mutex_);
    std::string first;
    if (!rejected_.empty())
      first = " (first: " + rejected_.front().file + ":" + std::to_string(rejected_.front().line) +
              ": " + rejected_.front().reason + ")";
    return status(error_code::aborted,
                  std::to_string(count) + " rows rejected, more than the limit of " +
                      std::to_string(max_rejected_) + "; nothing was loaded" + first);
  }
  return status::ok();
}

result<std::vector<int>> table_loader::map_columns(const record_batch& first,
                                                   bool has_header) const {
  auto find = [&](const std::string& column) -> result<int> {
    if (!column.empty() && column[0] == '#') {
      auto position = parse_int(std::string_view(column).substr(1));
      if (!position || *position < 1)
        return status(error_code::invalid_argument, "bad column position '" + column + "'");
      return static_cast<int>(*position - 1);
    }
    if (!has_header)
      return status(error_code::invalid_argument,
                    "column '" + column + "' is named, but the file has no header: use #N");
    for (size_t i = 0; i < first.field_count(0); ++i)
      if (first.text(0, i) == column)
        return static_cast<int>(i);
    return status(error_code::invalid_argument, "the header has no column '" + column + "'");
  };
  std::vector<int> fields;
  TAGD_TRY_ASSIGN(key_field, find(table_.key_column));
  fields.push_back(key_field);
  for (const tag_def& tag : tags_) {
    TAGD_TRY_ASSIGN(field, find(tag.column));
    fields.push_back(field);
  }
  return fields;
}

status table_loader::add_records(const record_batch& batch, const std::string& source,
                                 const std::vector<int>& field_of_column,
                                 const import_options& options) {
  max_rejected_ = options.max_rejected;
  max_reported_ = options.max_reported;
  uint32_t source_index;
  {
    std::lock_guard lock(rejected_mutex_);
    auto it = std::find(sources_.begin(), sources_.end(), source);
    source_index = static_cast<uint32_t>(it - sources_.begin());
    if (it == sources_.end())
      sources_.push_back(source);
  }
  converted out;
  out.parts.resize(vshards_.size());
  for (auto& part : out.parts)
    part.values.resize(tags_.size());
  size_t needed =
      static_cast<size_t>(*std::max_element(field_of_column.begin(), field_of_column.end())) + 1;
  std::vector<std::optional<std::string_view>> fields(tags_.size());
  converted_row row;
  for (size_t r = 0; r < batch.size(); ++r) {
    uint64_t line = batch.line[r];
    if (!batch.error[r].empty()) {
      TAGD_TRY(reject(source, line, batch.error[r]));
      continue;
    }
    if (batch.field_count(r) < needed) {
      TAGD_TRY(reject(source, line,
                      "expected at least " + std::to_string(needed) + " fields, found " +
                          std::to_string(batch.field_count(r))));
      continue;
    }
    int key_field = field_of_column[0];
    std::string_view key_text =
        is_null_field(batch, r, key_field, options) ? std::string_view() : batch.text(r, key_field);
    for (size_t t = 0; t < fields.size(); ++t) {
      int field = field_of_column[t + 1];
      fields[t] = is_null_field(batch, r, field, options) ? std::nullopt
                                                          : std::optional(batch.text(r, field));
    }
    std::string bad = converter_.convert(key_text, fields, row);
    if (!bad.empty()) {
      TAGD_TRY(reject(source, line, std::move(bad)));
      continue;
    }
    auto& part = out.parts[row.vshard];
    uint32_t index = static_cast<uint32_t>(part.keys.size());
    part.keys.push_back(std::move(row.stored_key));
    part.lines.push_back(line);
    for (auto& [t, value] : row.values)
      part.values[t].emplace_back(index, value);
  }
  rows_read_ += batch.size();
  // Append each vshard's part, renumbering rows after what the vshard already holds.
  for (size_t v = 0; v < out.parts.size(); ++v) {
    auto& part = out.parts[v];
    if (part.keys.empty())
      continue;
    vshard_rows& rows = *vshards_[v];
    std::lock_guard lock(rows.mutex);
    uint32_t offset = static_cast<uint32_t>(rows.keys.size());
    std::move(part.keys.begin(), part.keys.end(), std::back_inserter(rows.keys));
    rows.lines.insert(rows.lines.end(), part.lines.begin(), part.lines.end());
    rows.sources.insert(rows.sources.end(), part.lines.size(), source_index);
    for (size_t t = 0; t < tags_.size(); ++t)
      for (auto& [row, value] : part.values[t])
        rows.values[t].emplace_back(row + offset, value);
  }
  return status::ok();
}

status table_loader::add_file(const std::string& path, const import_options& options) {
  if (finished_)
    return status(error_code::invalid_argument, "the load has already finished");
  TAGD_TRY_ASSIGN(reader, csv_reader::open(path, options.csv));
  std::error_code ec;
  uint64_t total_bytes = std::filesystem::file_size(path, ec);
  auto first = std::make_shared<record_batch>();
  TAGD_TRY_ASSIGN(got, reader->read_batch(*first, options.header ? 1 : batch_records));
  if (got == 0)
    return status::ok(); // an empty file adds no rows
  TAGD_TRY_ASSIGN(fields, map_columns(*first, options.header));
  if (options.header)
    first->clear();

  // The calling thread reads; workers convert. At most `in_flight_limit` batches wait in memory.
  auto start = clock_type::now();
  auto last_report = start;
  std::mutex mutex;
  std::condition_variable changed;
  size_t in_flight = 0;
  status failure;
  const size_t in_flight_limit = 2 * (db_.workers().size() + 1);
  auto convert = [&, fields](std::shared_ptr<record_batch> batch) {
    status s = add_records(*batch, path, fields, options);
    std::lock_guard lock(mutex);
    if (!s.is_ok() && failure.is_ok())
      failure = std::move(s);
    --in_flight;
    changed.notify_all();
  };
  std::shared_ptr<record_batch> batch = first;
  for (;;) {
    if (batch->size() > 0) {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return in_flight < in_flight_limit || !failure.is_ok(); });
      if (!failure.is_ok())
        break;
      ++in_flight;
      lock.unlock();
      db_.workers().post([convert, batch] { convert(batch); });
    }
    if (options.progress && seconds_since(last_report) > 0.5) {
      last_report = clock_type::now();
      options.progress({rows_read_.load(), reader->bytes_consumed(), total_bytes,
                        seconds_since(start), "reading"});
    }
    batch = std::make_shared<record_batch>();
    auto read = reader->read_batch(*batch, batch_records);
    if (!read) {
      std::lock_guard lock(mutex);
      if (failure.is_ok())
        failure = read.error();
      break;
    }
    if (*read == 0)
      break;
  }
  std::unique_lock lock(mutex);
  changed.wait(lock, [&] { return in_flight == 0; });
  if (options.progress)
    options.progress({rows_read_.load(), reader->bytes_consumed(), total_bytes,
                      seconds_since(start), "reading"});
  return failure;
}

status table_loader::add_chunk(std::string_view bytes, const std::string& source,
                               const import_options& options) {
  if (finished_)
    return status(error_code::invalid_argument, "the load has already finished");
  if (bytes.empty())
    return status::ok();
  if (bytes.size() > max_chunk_bytes)
    return status(error_code::too_large, "a chunk of " + std::to_string(bytes.size()) +
                                             " bytes is more than the limit of " +
                                             std::to_string(max_chunk_bytes));
  stream& at = streams_[source]; // changed only once the chunk is known to be whole
  if (at.ended)
    return status(error_code::invalid_argument,
                  "the previous chunk of " + source + " ended without a line end on line " +
                      std::to_string(at.next_line) +
                      ", so it had to be the last: every other chunk must end with one");
  TAGD_TRY_ASSIGN(reader, csv_reader::from_bytes(bytes, options.csv, at.next_line));
  // Parse the whole chunk first: a chunk that is not whole records adds nothing.
  std::vector<std::unique_ptr<record_batch>> batches;
  std::optional<record_batch> header;
  for (bool want_header = options.header && !at.fields;;) {
    auto batch = std::make_unique<record_batch>();
    TAGD_TRY_ASSIGN(read, reader->read_batch(*batch, want_header ? 1 : batch_records));
    if (read == 0)
      break;
    if (want_header)
      header = std::move(*batch);
    else
      batches.push_back(std::move(batch));
    want_header = false;
  }
  if (reader->how_input_ended() == csv_reader::input_end::inside_quotes) {
    const record_batch& last = batches.empty() ? *header : *batches.back();
    return status(error_code::invalid_argument,
                  "a chunk of " + source + " ends inside a quoted field (" + last.error.back() +
                      "): send whole records, each chunk ending with a line end");
  }
  std::vector<int> fields;
  if (at.fields) {
    fields = *at.fields;
  } else if (header || !options.header) {
    record_batch none;
    TAGD_TRY_ASSIGN(mapped, map_columns(header ? *header : none, options.header));
    fields = std::move(mapped);
  } else {
    at.next_line = reader->next_line(); // no header yet: the chunk held only empty lines
    return status::ok();
  }
  at.fields = fields;
  at.next_line = reader->next_line();
  at.ended = reader->how_input_ended() == csv_reader::input_end::no_line_end;
  return db_.workers().parallel_for(
      batches.size(), [&](size_t b) { return add_records(*batches[b], source, fields, options); });
}

status table_loader::write_vshard(uint32_t vshard, vshard_rows& rows,
                                  std::vector<uint32_t>& order) {
  TAGD_TRY_ASSIGN(store, db_.vshard(entity_.name, vshard));
  TAGD_TRY_ASSIGN(writer, store->write());
  // Unique keys in sorted order (B-tree friendly), then each row's ordinal.
  std::vector<std::string> unique_keys;
  std::vector<uint32_t> unique_of_row(rows.keys.size(), UINT32_MAX);
  for (uint32_t row : order) {
    if (unique_keys.empty() || unique_keys.back() != rows.keys[row])
      unique_keys.push_back(rows.keys[row]);
    unique_of_row[row] = static_cast<uint32_t>(unique_keys.size() - 1);
  }
  std::vector<uint32_t> ordinals;
  TAGD_TRY(writer.resolve(unique_keys, true, ordinals));
  auto ordinal_of_row = [&](uint32_t row) { return ordinals[unique_of_row[row]]; };
  size_t ordinal_bound = 0;
  for (uint32_t ordinal : ordinals)
    ordinal_bound = std::max<size_t>(ordinal_bound, size_t{ordinal} + 1);

  bitmap present = bitmap::of(ordinals);
  TAGD_TRY(writer.put_bitmap(storage_id_, kPresentTag, 0, present.get()));
  for (size_t t = 0; t < tags_.size(); ++t) {
    const tag_def& tag = tags_[t];
    auto& values = rows.values[t];
    if (is_ranged(tag.kind)) {
      std::vector<std::pair<uint32_t, int64_t>> by_ordinal;
      by_ordinal.reserve(values.size());
      for (auto& [row, value] : values)
        if (unique_of_row[row] != UINT32_MAX)
          by_ordinal.emplace_back(ordinal_of_row(row), value);
      counting_sort(by_ordinal, ordinal_bound, [](const auto& p) { return p.first; });
      bsi_built index = build_bit_sliced_index(std::move(by_ordinal));
      if (index.meta.layers > 0)
        TAGD_TRY(writer.put_bsi(storage_id_, tag.id, index));
      continue;
    }
    // A bitmap per value: sort (value, ordinal) and cut runs. Values are slots (dictionary ids,
    // 0/1 for bool): two stable counting sorts, by ordinal and then by value.
    std::vector<std::pair<int64_t, uint32_t>> by_value;
    by_value.reserve(values.size());
    int64_t value_bound = 0;
    bool dense = true;
    for (auto& [row, value] : values)
      if (unique_of_row[row] != UINT32_MAX) {
        by_value.emplace_back(value, ordinal_of_row(row));
        value_bound = std::max(value_bound, value + 1);
        dense &= value >= 0;
      }
    if (dense && static_cast<uint64_t>(value_bound) <= 4 * by_value.size() + 1024) {
      counting_sort(by_value, ordinal_bound, [](const auto& p) { return p.second; });
      counting_sort(by_value, static_cast<size_t>(value_bound),
                    [](const auto& p) { return p.first; });
    } else {
      std::sort(by_value.begin(), by_value.end()); // far more values than rows here
    }
    by_value.erase(std::unique(by_value.begin(), by_value.end()), by_value.end());
    bitmap any;
    std::vector<uint32_t> members;
    for (size_t i = 0; i < by_value.size();) {
      size_t j = i;
      members.clear();
      while (j < by_value.size() && by_value[j].first == by_value[i].first)
        members.push_back(by_value[j++].second);
      bitmap b = bitmap::of(members);
      roaring_bitmap_run_optimize(b.get());
      roaring_bitmap_or_inplace(any.get(), b.get());
      TAGD_TRY(writer.put_bitmap(storage_id_, tag.id, static_cast<uint32_t>(by_value[i].first),
                                 b.get()));
      i = j;
    }
    roaring_bitmap_run_optimize(any.get());
    TAGD_TRY(writer.put_bitmap(storage_id_, tag.id, kNotNullSlot, any.get()));
  }
  return writer.commit();
}

result<import_report> table_loader::commit() {
  if (finished_)
    return status(error_code::invalid_argument, "the load has already finished");
  auto start = clock_type::now();
  const uint32_t n = static_cast<uint32_t>(vshards_.size());
  // Phase 1: order each vshard's rows by key; a single-row table rejects repeated keys.
  std::vector<std::vector<uint32_t>> orders(n);
  TAGD_TRY(db_.workers().parallel_for(n, [&](size_t v) -> status {
    vshard_rows& rows = *vshards_[v];
    auto& order = orders[v];
    order.resize(rows.keys.size());
    std::iota(order.begin(), order.end(), 0u);
    // Key order as the dictionary sorts it (numeric for u64 keys), so new keys append.
    if (entity_.keys == key_kind::u64) {
      std::vector<std::pair<uint64_t, uint32_t>> by_key(order.size());
      for (uint32_t row = 0; row < by_key.size(); ++row)
        by_key[row] = {decode_u64_key(rows.keys[row]), row};
      std::sort(by_key.begin(), by_key.end());
      for (size_t i = 0; i < by_key.size(); ++i)
        order[i] = by_key[i].second;
    } else {
      std::sort(order.begin(), order.end(),
                [&](uint32_t a, uint32_t b) { return rows.keys[a] < rows.keys[b]; });
    }
    if (table_.multi_row)
      return status::ok();
    // A single-row table: equal keys in input order (source, then line), whatever order the batches
    // were converted in, so that a repeated key is rejected on its later line.
    auto input_order = [&](uint32_t a, uint32_t b) {
      return std::pair(rows.sources[a], rows.lines[a]) < std::pair(rows.sources[b], rows.lines[b]);
    };
    for (size_t i = 0; i < order.size();) {
      size_t j = i + 1;
      while (j < order.size() && rows.keys[order[j]] == rows.keys[order[i]])
        ++j;
      if (j - i > 1)
        std::sort(order.begin() + i, order.begin() + j, input_order);
      i = j;
    }
    std::vector<uint32_t> kept;
    kept.reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      if (i > 0 && rows.keys[order[i]] == rows.keys[order[i - 1]]) {
        uint32_t first = kept.back();
        TAGD_TRY(reject(sources_[rows.sources[order[i]]], rows.lines[order[i]],
                        "duplicate key (first on line " + std::to_string(rows.lines[first]) +
                            " of " + sources_[rows.sources[first]] + ")"));
        continue;
      }
      kept.push_back(order[i]);
    }
    order.swap(kept);
    return status::ok();
  }));
  // Phase 2: every vshard writes its part under the new storage id.
  status written = db_.workers().parallel_for(n, [&](size_t v) -> status {
    vshard_rows& rows = *vshards_[v];
    if (orders[v].size() != rows.keys.size()) {
      // Drop the values of rejected duplicate rows.
      std::vector<bool> keep(rows.keys.size(), false);
      for (uint32_t row : orders[v])
        keep[row] = true;
      for (auto& values : rows.values)
        values.erase(std::remove_if(values.begin(), values.end(),
                                    [&](const auto& rv) { return !keep[rv.first]; }),
                     values.end());
    }
    return write_vshard(static_cast<uint32_t>(v), rows, orders[v]);
  });
  if (!written.is_ok()) {
    abort();
    return written;
  }
  // Phase 3: switch the table to the new version, dropping versions past the retention.
  import_report report;
  report.table = table_.name;
  report.label = label_;
  report.storage_id = storage_id_;
  report.rows_read = rows_read_.load();
  report.rejected_count = rejected_count_.load();
  report.rejected = rejected_;
  for (auto& order : orders)
    report.rows_loaded += order.size();
  for (uint32_t v = 0; v < n; ++v) {
    auto& keys = vshards_[v]->keys;
    for (size_t i = 0; i < orders[v].size(); ++i)
      if (i == 0 || keys[orders[v][i]] != keys[orders[v][i - 1]])
        ++report.keys;
  }
  std::vector<uint32_t> dropped;
  status switched = db_.catalog_ref().update([&](catalog_state& state) -> status {
    auto it = state.tables.find(table_.name);
    if (it == state.tables.end() || it->second.id != table_.id)
      return status(error_code::not_found,
                    "table '" + table_.name + "' was dropped during the load");
    table_def& table = it->second;
    table_version version;
    version.storage_id = storage_id_;
    version.label = label_;
    version.created = now_seconds();
    version.rows = report.rows_loaded;
    table.versions.push_back(version);
    while (table.versions.size() > std::max<uint32_t>(1, table.retention)) {
      dropped.push_back(table.versions.front().storage_id);
      table.versions.erase(table.versions.begin());
    }
    return status::ok();
  });
  if (!switched.is_ok()) {
    abort();
    return switched;
  }
  finished_ = true;
  // Space of dropped versions is reused by LMDB; a crash before this is cleaned up at open.
  (void)db_.drop_storage_everywhere(entity_.name, dropped);
  // Best effort: a stale universe or composite is computed from its inputs instead.
  (void)db_.refresh_universe(entity_.name);
  (void)db_.refresh_materialized(entity_.name);
  report.seconds = seconds_since(start);
  return report;
}

} // namespace tagd
