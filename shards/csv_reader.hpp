#pragma once
// Reads delimited text (CSV, TSV, any one-byte delimiter) per RFC 4180 in batches of records,
// optionally gzip-compressed (detected from the magic bytes). One reader is not thread-safe; a
// filled record_batch owns its bytes and can be handed to another thread.

#include "shards/status.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tagd {

struct csv_options {
  char delimiter = ',';
  char quote = '"';
  size_t max_record_bytes = 16 * 1024 * 1024; // a longer record is an error record, not a crash
  // Decompressed bytes parsed at a time (at least 4). Tests shrink it so that records cross
  // buffer boundaries everywhere; the default lets zlib read plain files without a copy.
  size_t input_buffer_bytes = 4 * 1024 * 1024;
};

struct csv_field {
  uint32_t offset = 0; // into record_batch::bytes
  uint32_t length = 0;
  bool quoted = false; // written between quotes: "" is an empty string, not a null
};

// Records of one batch. Field text is unescaped ("" inside quotes became ").
struct record_batch {
  std::string bytes;
  std::vector<csv_field> fields;
  std::vector<uint32_t> first_field; // per record, index into fields; one extra entry at the end
  std::vector<uint64_t> line;        // per record, the 1-based line where it starts
  std::vector<std::string> error;    // per record, empty or why the record is malformed

  size_t size() const { return line.size(); }
  size_t field_count(size_t record) const { return first_field[record + 1] - first_field[record]; }
  const csv_field& field(size_t record, size_t i) const { return fields[first_field[record] + i]; }
  std::string_view text(size_t record, size_t i) const {
    const csv_field& f = field(record, i);
    return std::string_view(bytes).substr(f.offset, f.length);
  }
  void clear();
};

class csv_reader {
 public:
  // Opens a file; gzip input is detected and decompressed transparently.
  static result<std::unique_ptr<csv_reader>> open(const std::string& path, csv_options options);
  ~csv_reader();

  // Clears `batch` and appends up to max_records records. Returns how many were read; 0 at the
  // end of input. A malformed record (unterminated quote at end of input, a character after a
  // closing quote, a record past max_record_bytes) is returned with its error set and reading
  // goes on after it. Fails only for I/O or decompression errors.
  result<size_t> read_batch(record_batch& batch, size_t max_records);

  // Compressed bytes consumed so far (for progress against the file size).
  uint64_t bytes_consumed() const;

 private:
  csv_reader() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tagd
