#pragma once
// Loads one new version of an offline table: rows are parsed and checked on every core into
// per-vshard buffers, then commit() writes each vshard's part under a fresh storage id and
// switches the table to it in one catalog commit. Until then readers see the previous version;
// a load that fails or is aborted leaves no data behind (its storage id is dropped).

#include "shards/database.hpp"
#include "shards/row_converter.hpp"

#include <atomic>
#include <mutex>

namespace tagd {

class table_loader {
 public:
  ~table_loader();
  // Parses a delimited file (optionally gzip) into the load. May be called for several files.
  status add_file(const std::string& path, const import_options& options);
  result<import_report> commit();
  uint64_t rows_read() const { return rows_read_.load(); }
  void abort();

  // For callers streaming rows themselves (one record = key and columns, as in the file).
  status add_records(const record_batch& batch, const std::string& source,
                     const std::vector<int>& field_of_column, const import_options& options);

 private:
  friend class database;
  table_loader(database& db, table_def table, entity_def entity, std::vector<tag_def> tags,
               uint32_t storage_id, const std::string& label);

  struct vshard_rows {
    std::mutex mutex;
    std::vector<std::string> keys; // stored form
    std::vector<uint64_t> lines;
    std::vector<uint32_t> sources;
    std::vector<std::vector<std::pair<uint32_t, int64_t>>> values; // per tag: (row, value)
  };
  struct converted; // one batch's rows, split by vshard
  status reject(const std::string& source, uint64_t line, std::string reason);
  result<std::vector<int>> map_columns(const record_batch& header, bool has_header) const;
  status write_vshard(uint32_t vshard, vshard_rows& rows, std::vector<uint32_t>& order);

  database& db_;
  table_def table_;
  entity_def entity_;
  std::vector<tag_def> tags_;
  row_converter converter_;
  uint32_t storage_id_;
  std::string label_;
  std::vector<std::unique_ptr<vshard_rows>> vshards_;
  std::vector<std::string> sources_;
  std::mutex rejected_mutex_;
  std::vector<rejected_row> rejected_;
  std::atomic<uint64_t> rejected_count_{0};
  std::atomic<uint64_t> rows_read_{0};
  uint64_t max_rejected_ = 1000;
  size_t max_reported_ = 100;
  bool finished_ = false;
  double seconds_ = 0;
};

} // namespace tagd
