#pragma once
// Private: cuts delimited text (CSV, TSV) into runs of whole records, so that every import batch
// holds complete rows. Record ends are found with the same rules as the node's reader
// (shards/csv_reader.cpp): a quote opens a quoted field only at the start of a field, "" inside
// quotes is a quote, a newline inside quotes belongs to the field, and after a malformed quoted
// field the record runs to the next newline.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace tagd::client::detail {

struct record_run {
  std::string bytes;
  uint64_t records = 0;
  uint64_t lines = 0; // newlines in `bytes`, those inside quoted fields included
};

class record_splitter {
 public:
  explicit record_splitter(char delimiter, char quote = '"');

  void append(std::string_view data);
  size_t buffered() const { return buffer_.size() - front_; }

  // Whole records from the front, as many as fit in max_bytes (but at least one); nullopt while
  // no record is complete.
  std::optional<record_run> take(size_t max_bytes);
  // At the end of input: the records left, the last one given a newline if it had none;
  // nullopt if nothing is left.
  std::optional<record_run> finish();

 private:
  enum class state : uint8_t {
    field_start,
    unquoted_field,
    quoted_field,
    quote_in_quoted,
    carriage_after_quote,
    skip_line
  };
  void scan();
  record_run cut(size_t end, size_t records);

  char delimiter_;
  char quote_;
  std::string buffer_; // taken bytes before front_ are dropped when append() needs room
  size_t front_ = 0;
  size_t scanned_ = 0;
  state state_ = state::field_start;
  std::deque<size_t> ends_; // offsets in buffer_ just past each complete record's newline
};

} // namespace tagd::client::detail
