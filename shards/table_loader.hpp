#pragma once
// Loads one new version of an offline table: rows are parsed and checked on every core into
// per-vshard buffers, then commit() writes each vshard's part under a fresh storage id and
// switches the table to it in one catalog commit. Until then readers see the previous version;
// a load that fails or is aborted leaves no data behind (its storage id is dropped).

#include "shards/database.hpp"
#include "shards/row_converter.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

namespace tagd {

class table_loader {
 public:
  ~table_loader();
  // Parses a delimited file (optionally gzip) into the load. May be called for several files.
  status add_file(const std::string& path, const import_options& options);

  // Parses one chunk of a stream of delimited text named `source` (for RPC imports): the chunks
  // of a source, in order, are its text cut between records. Rows are checked and rejected as
  // add_file does, with the line numbers of the whole stream; the header (options.header) is the
  // first record of the first chunk and maps the columns for every later chunk.
  // Rules: a chunk is whole records. It must end with a line end, except the last chunk of a
  // source, whose last record may lack one; a chunk after one without a line end, or a chunk
  // that ends inside a quoted field, is refused (invalid_argument) and adds nothing. At most
  // max_chunk_bytes (too_large); an empty chunk changes nothing. Not gzip. Calls for one loader
  // come one at a time (the chunks of several sources may interleave).
  static constexpr size_t max_chunk_bytes = size_t{64} << 20;
  status add_chunk(std::string_view bytes, const std::string& source,
                   const import_options& options);
  result<import_report> commit();
  uint64_t rows_read() const { return rows_read_.load(); }
  uint64_t rejected_count() const { return rejected_count_.load(); }
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
  // Where the stream of chunks of one source stands.
  struct stream {
    uint64_t next_line = 1;
    std::optional<std::vector<int>> fields; // field of the key and of each tag, once known
    bool ended = false;                     // the last chunk had no final line end
  };
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
  std::vector<std::string> sources_; // in the order rows were first added from them
  std::map<std::string, stream> streams_;
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
