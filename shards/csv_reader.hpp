#pragma once
// Reads delimited text (CSV, TSV, any one-byte delimiter) per RFC 4180 in batches of records,
// from a file, optionally gzip-compressed (detected from the magic bytes), or from bytes in memory.
// One reader is not thread-safe; a filled record_batch owns its bytes and can be handed to another
// thread.

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
  // Reads `bytes` in place (plain text, never gzip): they must outlive the reader. Lines are
  // numbered from `first_line`, so that a piece of a longer stream reports the stream's lines; a
  // UTF-8 byte order mark is skipped only at the start of a stream (first_line 1). At most
  // 256 MiB (too_large); options.input_buffer_bytes does not apply.
  static result<std::unique_ptr<csv_reader>> from_bytes(std::string_view bytes, csv_options options,
                                                        uint64_t first_line = 1);
  ~csv_reader();

  // Clears `batch` and appends up to max_records records. Returns how many were read; 0 at the
  // end of input. A malformed record (unterminated quote at end of input, a character after a
  // closing quote, a record past max_record_bytes) is returned with its error set and reading
  // goes on after it. Fails only for I/O or decompression errors.
  result<size_t> read_batch(record_batch& batch, size_t max_records);

  // Compressed bytes consumed so far (for progress against the file size); for bytes in memory,
  // the bytes parsed so far.
  uint64_t bytes_consumed() const;

  // The line the next record would start on: after the end of input, one past the last line
  // end read.
  uint64_t next_line() const;

  // How the input ended, once read_batch has returned 0: right after a line end (or empty),
  // inside a last record without a line end, or inside a quoted field (the last record is then
  // an error record "unterminated quoted field ...").
  enum class input_end { line_end, no_line_end, inside_quotes };
  input_end how_input_ended() const;

 private:
  csv_reader() = default;
  static std::unique_ptr<csv_reader> make(const csv_options& options);
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tagd
