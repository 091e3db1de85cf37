#include "shards/csv_reader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

// Notes on the format as read here, beyond the header:
// - An error record has no fields; its `line` and `error` say what went wrong.
// - A record's length, for max_record_bytes, counts its raw bytes (quotes and delimiters
//   included) without the "\n" or "\r\n" that ends it.
// - A line is empty, and skipped, when it has no bytes before its "\n" or "\r\n".
// - A "\r" right before the end of input is dropped like the "\r" of a CRLF.
// - batch.bytes may hold bytes that belong to no field (the delimiters of an unquoted line,
//   copied with it in one go); only the fields' offsets and lengths say where text is.
// - bytes_consumed() is zlib's gzoffset(): raw file bytes consumed by the decompressor. It
//   runs ahead of the records returned by up to one input buffer of decompressed text.

namespace tagd {

void record_batch::clear() {
  bytes.clear();
  fields.clear();
  first_field.assign(1, 0);
  line.clear();
  error.clear();
}

namespace {

// zlib copies through its own buffer only reads smaller than twice this; the default
// csv_options::input_buffer_bytes is larger, so plain files are read straight into ours.
constexpr unsigned zlib_buffer_bytes = 1u << 20;
constexpr size_t min_input_buffer_bytes = 4; // the UTF-8 BOM must fit in the first read
constexpr size_t max_input_buffer_bytes = size_t{256} << 20;
// Field offsets are uint32_t: one record is at most this long so a batch can always take one.
constexpr size_t max_allowed_record_bytes = size_t{1} << 31;

enum class parse_state : uint8_t {
  field_start,          // before the first byte of a field
  unquoted_field,       // inside a field that did not start with a quote
  quoted_field,         // between the quotes of a quoted field
  quote_in_quoted,      // a quote inside quotes: either half of "" or the closing quote
  carriage_after_quote, // "\r" after a closing quote: fine only as part of "\r\n"
  skip_line,            // a malformed record: its bytes up to the end of the line are dropped
};

std::string open_error_message(const std::string& path, int error_number) {
  return "cannot open " + path + ": " + std::strerror(error_number);
}

} // namespace

struct csv_reader::impl {
  gzFile file = nullptr; // null when reading bytes in memory
  std::string path;
  std::string_view in_memory; // the bytes from_bytes() was given, served as one buffer
  bool skip_bom = true;
  csv_options options;
  // Bytes that end an unquoted field, for the bytes find_unquoted_field_end scans one by one.
  std::array<bool, 256> ends_unquoted_field{};

  std::unique_ptr<char[]> owned_buffer; // what a file is decompressed into
  const char* buffer = nullptr;         // the input parsed now: owned_buffer or in_memory
  const char* position = nullptr;       // next unparsed byte in buffer
  const char* buffer_end = nullptr;
  uint64_t buffer_start_offset = 0; // decompressed offset of buffer[0]
  uint64_t compressed_consumed = 0;
  bool first_read = true;
  bool input_finished = false;
  input_end ended = input_end::line_end;
  status sticky_error;

  uint64_t current_line = 1;
  parse_state state = parse_state::field_start;
  // The record being parsed; it may span input buffers but never batches.
  bool record_open = false;
  bool discarding = false; // too long: its bytes are no longer stored
  uint64_t record_line = 0;
  uint64_t record_start_offset = 0;
  size_t record_bytes_start = 0;
  size_t record_first_field = 0;
  size_t record_field_count = 0;
  std::string record_error;
  size_t field_bytes_start = 0;
  bool field_quoted = false;
  uint64_t quoted_field_line = 0;

  uint64_t offset_of(const char* p) const { return buffer_start_offset + (p - buffer); }

  status refill() {
    buffer_start_offset += buffer_end - buffer;
    if (file == nullptr) {
      // In memory: all the bytes at the first call, then an empty buffer (the end).
      buffer = first_read ? in_memory.data() : in_memory.data() + in_memory.size();
      buffer_end = first_read ? buffer + in_memory.size() : buffer;
      position = buffer;
      skip_byte_order_mark();
      return status::ok();
    }
    // gzread fills the whole request unless the input ends, so a short read means the end.
    int count = gzread(file, owned_buffer.get(), static_cast<unsigned>(options.input_buffer_bytes));
    if (count < 0)
      return read_error();
    if (count == 0) {
      int zlib_error = Z_OK;
      gzerror(file, &zlib_error);
      // Z_BUF_ERROR here is a gzip stream cut short.
      if (zlib_error != Z_OK)
        return read_error();
    }
    buffer = owned_buffer.get();
    position = buffer;
    buffer_end = buffer + count;
    compressed_consumed = static_cast<uint64_t>(gzoffset(file));
    skip_byte_order_mark();
    return status::ok();
  }

  void skip_byte_order_mark() {
    if (!first_read)
      return;
    first_read = false;
    static const char utf8_bom[] = "\xEF\xBB\xBF";
    if (skip_bom && buffer_end - position >= 3 && std::memcmp(position, utf8_bom, 3) == 0)
      position += 3;
  }

  status read_error() const {
    int saved_errno = errno;
    int zlib_error = Z_OK;
    const char* zlib_message = gzerror(file, &zlib_error);
    std::string message = zlib_message != nullptr ? zlib_message : "";
    // zlib names the file "<fd:N>" (it was opened with gzdopen); name it by its path instead.
    size_t prefix_end = message.find(": ");
    if (message.rfind("<fd:", 0) == 0 && prefix_end != std::string::npos)
      message.erase(0, prefix_end + 2);
    if (message.empty())
      message = std::strerror(saved_errno);
    return status(error_code::io_error, "cannot read " + path + ": " + message);
  }

  void begin_record(record_batch& batch, const char* p) {
    record_open = true;
    discarding = false;
    record_line = current_line;
    record_start_offset = offset_of(p);
    record_bytes_start = batch.bytes.size();
    record_first_field = batch.fields.size();
    record_field_count = 0;
  }

  void store(record_batch& batch, const char* data, size_t length) {
    if (!discarding)
      batch.bytes.append(data, length);
  }

  void finish_field(record_batch& batch) {
    ++record_field_count;
    if (discarding)
      return;
    batch.fields.push_back(csv_field{static_cast<uint32_t>(field_bytes_start),
                                     static_cast<uint32_t>(batch.bytes.size() - field_bytes_start),
                                     field_quoted});
  }

  // Drops a trailing "\r" of the unquoted field being finished; says whether there was one.
  bool strip_carriage_return(record_batch& batch) {
    if (discarding || batch.bytes.size() == field_bytes_start || batch.bytes.back() != '\r')
      return false;
    batch.bytes.pop_back();
    return true;
  }

  void set_error(std::string message) {
    if (record_error.empty())
      record_error = std::move(message);
  }

  void drop_record_contents(record_batch& batch) {
    batch.bytes.resize(record_bytes_start);
    batch.fields.resize(record_first_field);
  }

  std::string too_long_message() const {
    return "record longer than " + std::to_string(options.max_record_bytes) + " bytes";
  }

  // Keeps memory bounded mid-record. One byte of slack: the last byte seen may be the "\r" of
  // a "\r\n" that does not count; end_record makes the exact decision.
  void check_length(record_batch& batch, const char* p) {
    if (discarding || offset_of(p) - record_start_offset <= options.max_record_bytes + 1)
      return;
    drop_record_contents(batch);
    discarding = true;
    set_error(too_long_message());
  }

  void mark_malformed() {
    set_error("column " + std::to_string(record_field_count + 1) +
              ": unexpected character after closing quote");
    state = parse_state::skip_line;
  }

  // `end_offset` is where the "\n" (or the end of input) is; `had_carriage_return` says the
  // byte before it was a "\r" that belongs to the line end.
  void end_record(record_batch& batch, uint64_t end_offset, bool had_carriage_return) {
    uint64_t length = end_offset - record_start_offset - (had_carriage_return ? 1 : 0);
    record_open = false;
    state = parse_state::field_start;
    if (record_error.empty() && length > options.max_record_bytes)
      record_error = too_long_message();
    if (!record_error.empty()) {
      if (!discarding)
        drop_record_contents(batch);
      batch.error.push_back(std::move(record_error));
      record_error.clear();
    } else if (length == 0) {
      drop_record_contents(batch); // an empty line
      return;
    } else {
      batch.error.emplace_back();
    }
    batch.first_field.push_back(static_cast<uint32_t>(batch.fields.size()));
    batch.line.push_back(record_line);
  }

  bool batch_full(const record_batch& batch, size_t max_records) const {
    // One more record may add up to max_record_bytes plus one input buffer (the length check
    // runs per buffer) to bytes and fields; stop before that could overflow a uint32_t offset.
    constexpr size_t offset_limit = std::numeric_limits<uint32_t>::max();
    size_t room_for_one = options.max_record_bytes + options.input_buffer_bytes + 2;
    return batch.size() >= max_records || batch.bytes.size() > offset_limit - room_for_one ||
           batch.fields.size() > offset_limit - room_for_one;
  }

  // The first delimiter or "\n" in [p, end), or end. Fields are short, so what counts is
  // finding the end within the first word or two without a branch per byte.
  const char* find_unquoted_field_end(const char* p, const char* end) const {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    constexpr uint64_t low_bits = 0x0101010101010101ull;
    constexpr uint64_t high_bits = 0x8080808080808080ull;
    const uint64_t delimiter_bytes = low_bits * static_cast<unsigned char>(options.delimiter);
    const uint64_t newline_bytes = low_bits * static_cast<unsigned char>('\n');
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      uint64_t delimiters = word ^ delimiter_bytes;
      uint64_t newlines = word ^ newline_bytes;
      // Flags the high bit of each zero byte. A borrow out of a zero byte can falsely flag
      // the byte above it, but never one below, so the lowest flag is always right.
      uint64_t matches = ((delimiters - low_bits) & ~delimiters & high_bits) |
                         ((newlines - low_bits) & ~newlines & high_bits);
      if (matches != 0)
        return p + __builtin_ctzll(matches) / 8;
      p += 8;
    }
#endif
    while (p < end && !ends_unquoted_field[static_cast<unsigned char>(*p)])
      ++p;
    return p;
  }

  // The common case, a whole line in the buffer without quotes: one copy for all its fields.
  void parse_unquoted_line(record_batch& batch, const char* line, const char* line_end) {
    begin_record(batch, line);
    bool had_carriage_return = line_end > line && line_end[-1] == '\r';
    const char* text_end = line_end - (had_carriage_return ? 1 : 0);
    size_t base = batch.bytes.size();
    batch.bytes.append(line, text_end - line);
    const char* field = line;
    while (true) {
      const char* field_end = find_unquoted_field_end(field, text_end);
      batch.fields.push_back(csv_field{static_cast<uint32_t>(base + (field - line)),
                                       static_cast<uint32_t>(field_end - field), false});
      ++record_field_count;
      if (field_end == text_end)
        break;
      field = field_end + 1;
    }
    end_record(batch, offset_of(line_end), had_carriage_return);
  }

  // Parses the input buffer until it is used up (returns false) or the batch is full (true).
  bool parse_buffer(record_batch& batch, size_t max_records) {
    const char* p = position;
    const char* const end = buffer_end;
    const char delimiter = options.delimiter;
    const char quote = options.quote;
    bool full = false;
    while (p < end && !full) {
      switch (state) {
      case parse_state::field_start:
        if (!record_open) {
          const char* line_end = static_cast<const char*>(std::memchr(p, '\n', end - p));
          if (line_end != nullptr && std::memchr(p, quote, line_end - p) == nullptr) {
            parse_unquoted_line(batch, p, line_end);
            p = line_end + 1;
            ++current_line;
            full = batch_full(batch, max_records);
            break;
          }
          begin_record(batch, p);
        }
        field_bytes_start = batch.bytes.size();
        if (*p == quote) {
          field_quoted = true;
          quoted_field_line = current_line;
          state = parse_state::quoted_field;
          ++p;
          break;
        }
        field_quoted = false;
        state = parse_state::unquoted_field;
        [[fallthrough]];
      case parse_state::unquoted_field: {
        const char* run = p;
        p = find_unquoted_field_end(p, end);
        store(batch, run, p - run);
        if (p == end) {
          check_length(batch, p);
          break;
        }
        if (*p == delimiter) {
          finish_field(batch);
          state = parse_state::field_start;
          ++p;
          check_length(batch, p);
          break;
        }
        bool had_carriage_return = strip_carriage_return(batch);
        finish_field(batch);
        end_record(batch, offset_of(p), had_carriage_return);
        ++p;
        ++current_line;
        full = batch_full(batch, max_records);
        break;
      }
      case parse_state::quoted_field: {
        const void* found = std::memchr(p, quote, end - p);
        const char* run_end = found ? static_cast<const char*>(found) : end;
        store(batch, p, run_end - p);
        current_line += std::count(p, run_end, '\n');
        p = run_end;
        if (p == end) {
          check_length(batch, p);
          break;
        }
        ++p;
        state = parse_state::quote_in_quoted;
        break;
      }
      case parse_state::quote_in_quoted:
        if (*p == quote) {
          store(batch, p, 1);
          ++p;
          state = parse_state::quoted_field;
        } else if (*p == delimiter) {
          finish_field(batch);
          ++p;
          state = parse_state::field_start;
          check_length(batch, p);
        } else if (*p == '\n') {
          finish_field(batch);
          end_record(batch, offset_of(p), false);
          ++p;
          ++current_line;
          full = batch_full(batch, max_records);
        } else if (*p == '\r') {
          ++p;
          state = parse_state::carriage_after_quote;
        } else {
          mark_malformed();
        }
        break;
      case parse_state::carriage_after_quote:
        if (*p == '\n') {
          finish_field(batch);
          end_record(batch, offset_of(p), true);
          ++p;
          ++current_line;
          full = batch_full(batch, max_records);
        } else {
          mark_malformed();
        }
        break;
      case parse_state::skip_line: {
        const void* found = std::memchr(p, '\n', end - p);
        if (found == nullptr) {
          p = end;
          break;
        }
        p = static_cast<const char*>(found);
        end_record(batch, offset_of(p), false);
        ++p;
        ++current_line;
        full = batch_full(batch, max_records);
        break;
      }
      }
    }
    position = p;
    return full;
  }

  // Closes the record the input ended in, if any.
  void finish_input(record_batch& batch) {
    uint64_t end_offset = offset_of(buffer_end);
    ended = state == parse_state::quoted_field                  ? input_end::inside_quotes
            : state == parse_state::field_start && !record_open ? input_end::line_end
                                                                : input_end::no_line_end;
    switch (state) {
    case parse_state::field_start:
      if (!record_open)
        return;
      // The input ended right after a delimiter: the last field is empty.
      field_bytes_start = batch.bytes.size();
      field_quoted = false;
      finish_field(batch);
      end_record(batch, end_offset, false);
      return;
    case parse_state::unquoted_field: {
      bool had_carriage_return = strip_carriage_return(batch);
      finish_field(batch);
      end_record(batch, end_offset, had_carriage_return);
      return;
    }
    case parse_state::quoted_field:
      set_error("unterminated quoted field starting on line " + std::to_string(quoted_field_line));
      end_record(batch, end_offset, false);
      return;
    case parse_state::quote_in_quoted:
      finish_field(batch);
      end_record(batch, end_offset, false);
      return;
    case parse_state::carriage_after_quote:
      finish_field(batch);
      end_record(batch, end_offset, true);
      return;
    case parse_state::skip_line:
      end_record(batch, end_offset, false);
      return;
    }
  }
};

namespace {

status check_format(const csv_options& options) {
  if (options.delimiter == options.quote || options.delimiter == '\n' ||
      options.delimiter == '\r' || options.quote == '\n' || options.quote == '\r')
    return status(error_code::invalid_argument,
                  "csv delimiter and quote must differ from each other and from line ends");
  if (options.max_record_bytes == 0 || options.max_record_bytes > max_allowed_record_bytes)
    return status(error_code::invalid_argument, "max_record_bytes must be between 1 and " +
                                                    std::to_string(max_allowed_record_bytes));
  return status::ok();
}

} // namespace

std::unique_ptr<csv_reader> csv_reader::make(const csv_options& options) {
  std::unique_ptr<csv_reader> reader(new csv_reader());
  reader->impl_ = std::make_unique<impl>();
  impl& state = *reader->impl_;
  state.options = options;
  state.ends_unquoted_field[static_cast<unsigned char>(options.delimiter)] = true;
  state.ends_unquoted_field['\n'] = true;
  return reader;
}

result<std::unique_ptr<csv_reader>> csv_reader::open(const std::string& path, csv_options options) {
  TAGD_TRY(check_format(options));
  if (options.input_buffer_bytes < min_input_buffer_bytes ||
      options.input_buffer_bytes > max_input_buffer_bytes)
    return status(error_code::invalid_argument,
                  "input_buffer_bytes must be between " + std::to_string(min_input_buffer_bytes) +
                      " and " + std::to_string(max_input_buffer_bytes));

  // Opened by hand so a directory fails here, with errno, rather than at the first read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return status(error_code::io_error, open_error_message(path, errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    int error_number = S_ISDIR(info.st_mode) ? EISDIR : errno;
    ::close(fd);
    return status(error_code::io_error, open_error_message(path, error_number));
  }
  gzFile file = gzdopen(fd, "rb");
  if (file == nullptr) {
    int error_number = errno != 0 ? errno : ENOMEM;
    ::close(fd);
    return status(error_code::io_error, open_error_message(path, error_number));
  }
  if (gzbuffer(file, zlib_buffer_bytes) != 0) {
    gzclose(file);
    return status(error_code::internal, "gzbuffer failed for " + path);
  }

  std::unique_ptr<csv_reader> reader = make(options);
  impl& state = *reader->impl_;
  state.file = file;
  state.path = path;
  state.owned_buffer = std::make_unique<char[]>(options.input_buffer_bytes);
  state.buffer = state.position = state.buffer_end = state.owned_buffer.get();
  return reader;
}

result<std::unique_ptr<csv_reader>>
csv_reader::from_bytes(std::string_view bytes, csv_options options, uint64_t first_line) {
  TAGD_TRY(check_format(options));
  if (bytes.size() > max_input_buffer_bytes)
    return status(error_code::too_large, "csv input of " + std::to_string(bytes.size()) +
                                             " bytes in memory is more than the limit of " +
                                             std::to_string(max_input_buffer_bytes));
  if (first_line == 0)
    return status(error_code::invalid_argument, "lines are numbered from 1");
  // The whole input is one buffer: a record's length check may see all of it at once.
  options.input_buffer_bytes = std::max(bytes.size(), min_input_buffer_bytes);
  std::unique_ptr<csv_reader> reader = make(options);
  impl& state = *reader->impl_;
  state.in_memory = bytes;
  state.skip_bom = first_line == 1;
  state.current_line = first_line;
  state.buffer = state.position = state.buffer_end = bytes.data();
  return reader;
}

csv_reader::~csv_reader() {
  if (impl_ && impl_->file != nullptr)
    gzclose(impl_->file);
}

result<size_t> csv_reader::read_batch(record_batch& batch, size_t max_records) {
  batch.clear();
  impl& state = *impl_;
  if (!state.sticky_error.is_ok())
    return state.sticky_error;
  if (max_records == 0)
    return status(error_code::invalid_argument, "read_batch needs max_records > 0");
  while (!state.input_finished) {
    if (state.position == state.buffer_end) {
      status read = state.refill();
      if (!read.is_ok()) {
        state.sticky_error = read;
        batch.clear();
        return read;
      }
      if (state.position == state.buffer_end && state.buffer_end == state.buffer) {
        state.finish_input(batch);
        state.input_finished = true;
        break;
      }
    }
    if (state.parse_buffer(batch, max_records))
      break;
  }
  return batch.size();
}

uint64_t csv_reader::bytes_consumed() const {
  return impl_->file != nullptr ? impl_->compressed_consumed : impl_->offset_of(impl_->position);
}

uint64_t csv_reader::next_line() const {
  return impl_->current_line;
}

csv_reader::input_end csv_reader::how_input_ended() const {
  return impl_->ended;
}

} // namespace tagd
