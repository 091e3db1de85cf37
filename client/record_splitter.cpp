#include "client/record_splitter.hpp"

#include <algorithm>

namespace tagd::client::detail {

record_splitter::record_splitter(char delimiter, char quote)
    : delimiter_(delimiter), quote_(quote) {}

void record_splitter::append(std::string_view data) {
  if (front_ > 0 && front_ >= buffer_.size() / 2) {
    buffer_.erase(0, front_);
    scanned_ -= front_;
    for (size_t& end : ends_)
      end -= front_;
    front_ = 0;
  }
  buffer_.append(data);
  scan();
}

void record_splitter::scan() {
  const char* const data = buffer_.data();
  const size_t size = buffer_.size();
  state s = state_;
  for (size_t i = scanned_; i < size; ++i) {
    const char c = data[i];
    switch (s) {
    case state::field_start:
      if (c == quote_)
        s = state::quoted_field;
      else if (c == '\n')
        ends_.push_back(i + 1);
      else if (c != delimiter_)
        s = state::unquoted_field;
      break;
    case state::unquoted_field:
      if (c == delimiter_) {
        s = state::field_start;
      } else if (c == '\n') {
        ends_.push_back(i + 1);
        s = state::field_start;
      }
      break;
    case state::quoted_field:
      if (c == quote_)
        s = state::quote_in_quoted;
      break;
    case state::quote_in_quoted:
      if (c == quote_) {
        s = state::quoted_field;
      } else if (c == delimiter_) {
        s = state::field_start;
      } else if (c == '\n') {
        ends_.push_back(i + 1);
        s = state::field_start;
      } else {
        s = c == '\r' ? state::carriage_after_quote : state::skip_line;
      }
      break;
    case state::carriage_after_quote:
    case state::skip_line:
      if (c == '\n') {
        ends_.push_back(i + 1);
        s = state::field_start;
      } else {
        s = state::skip_line;
      }
      break;
    }
  }
  state_ = s;
  scanned_ = size;
}

record_run record_splitter::cut(size_t end, size_t records) {
  record_run run;
  run.bytes.assign(buffer_, front_, end - front_);
  front_ = end;
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(records));
  run.records = records;
  run.lines = static_cast<uint64_t>(std::count(run.bytes.begin(), run.bytes.end(), '\n'));
  return run;
}

std::optional<record_run> record_splitter::take(size_t max_bytes) {
  if (ends_.empty())
    return std::nullopt;
  // The last record end within max_bytes, or the first one.
  auto past = std::upper_bound(ends_.begin(), ends_.end(), front_ + max_bytes);
  size_t records = std::max<size_t>(1, static_cast<size_t>(past - ends_.begin()));
  return cut(ends_[records - 1], records);
}

std::optional<record_run> record_splitter::finish() {
  if (buffered() == 0)
    return std::nullopt;
  size_t records = ends_.size();
  if (ends_.empty() || ends_.back() != buffer_.size()) { // an unfinished last record
    if (buffer_.back() != '\n')
      buffer_ += '\n';
    ends_.push_back(buffer_.size());
    ++records;
  }
  scanned_ = buffer_.size();
  state_ = state::field_start;
  return cut(buffer_.size(), records);
}

} // namespace tagd::client::detail
