// connection::import_file(s): local files streamed into one new table version as batches of
// whole records, with a window of batches in flight and rejects mapped back to file and line.

#include "client/record_splitter.hpp"
#include "client/tagd_client.hpp"
#include "client/throughput.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace tagd::client {

namespace {

constexpr size_t read_bytes = size_t{1} << 20;
// Buffered text without a record end past this is refused (the node's own limit for one record
// is lower).
constexpr size_t max_record_bytes = size_t{64} << 20;

// A file read through zlib: gzip is decompressed, anything else passes through; "-" is stdin.
class input_file {
 public:
  explicit input_file(const std::string& path) : path_(path) {
    int fd = path == "-" ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw error("IO_ERROR", "cannot open " + path + ": " + std::strerror(errno));
    file_ = gzdopen(fd, "rb");
    if (file_ == nullptr) {
      ::close(fd);
      throw error("IO_ERROR", "cannot read " + path);
    }
    gzbuffer(file_, 1u << 20);
  }
  input_file(const input_file&) = delete;
  input_file& operator=(const input_file&) = delete;
  ~input_file() { gzclose(file_); }

  // Appends up to `n` bytes to `out`; false at the end of the file.
  bool read(std::string& out, size_t n) {
    size_t old = out.size();
    out.resize(old + n);
    int got = gzread(file_, out.data() + old, static_cast<unsigned>(n));
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file_, &code);
      throw error("IO_ERROR", "cannot read " + path_ + ": " +
                                  (code == Z_ERRNO ? std::strerror(errno) : message));
    }
    out.resize(old + static_cast<size_t>(got));
    text_bytes_ += static_cast<uint64_t>(got);
    return got > 0;
  }

  // Raw (compressed) bytes consumed so far; for a pipe, which has no offset, the text read.
  uint64_t offset() const {
    auto at = gzoffset(file_);
    return at >= 0 ? static_cast<uint64_t>(at) : text_bytes_;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  uint64_t text_bytes_ = 0;
};

uint64_t size_of(const std::string& path) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return 0;
  return static_cast<uint64_t>(st.st_size);
}

// Where the lines of one file start in the stream of all batches, so that a reject's line (a
// line of that stream, 1-based) can be told as a file and its line.
struct stream_segment {
  uint64_t first_stream_line = 0;
  std::string path;
  uint64_t first_file_line = 0;
};

void map_rejects(std::vector<reject>& rejects, const std::vector<stream_segment>& segments,
                 uint64_t stream_lines) {
  for (reject& r : rejects) {
    if (r.line == 0 || r.line > stream_lines)
      continue;
    auto after = std::upper_bound(
        segments.begin(), segments.end(), r.line,
        [](uint64_t line, const stream_segment& s) { return line < s.first_stream_line; });
    if (after == segments.begin())
      continue;
    const stream_segment& s = *(after - 1);
    r.source = s.path;
    r.line = s.first_file_line + (r.line - s.first_stream_line);
  }
}

std::string_view without_line_end(std::string_view record) {
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r'))
    record.remove_suffix(1);
  return record;
}

// One load: reads the files in order and keeps at most `window` batches unanswered.
class file_load {
 public:
  file_load(importer& load, const import_options& options, uint64_t total_bytes,
            const import_progress_function& progress)
      : load_(load), options_(options), window_(std::max(1u, options.window)),
        batch_bytes_(std::max<size_t>(1, options.batch_bytes)), total_bytes_(total_bytes),
        progress_(progress), start_(std::chrono::steady_clock::now()) {}

  void add_file(const std::string& path) {
    input_file in(path);
    detail::record_splitter splitter(options_.delimiter);
    file_ = path;
    current_ = &in;
    file_line_ = 1;
    bool header_pending = options_.header;
    if (!header_pending)
      segments_.push_back({stream_lines_ + 1, path, 1});
    bool at_start = true;
    std::string chunk;
    for (bool more = true; more;) {
      chunk.clear();
      more = in.read(chunk, read_bytes);
      std::string_view data = chunk;
      if (at_start && !data.empty()) {
        at_start = false;
        if (data.substr(0, 3) == "\xEF\xBB\xBF") // a UTF-8 byte order mark
          data.remove_prefix(3);
      }
      splitter.append(data);
      if (header_pending) {
        auto header = more ? splitter.take(1) : splitter.finish();
        if (header) {
          header_pending = false;
          take_header(path, std::move(*header));
        } else if (more) {
          check_record_length(splitter);
          continue;
        }
      }
      while (splitter.buffered() >= batch_bytes_) {
        auto run = splitter.take(batch_bytes_);
        if (!run) {
          check_record_length(splitter);
          break;
        }
        send(std::move(*run));
      }
    }
    if (auto rest = splitter.finish())
      send(std::move(*rest));
    done_bytes_ += in.offset(); // the whole file, standard input too
    current_ = nullptr;
  }

  // Sends what is still held back (a header with no rows after it) and waits for every reply.
  void drain() {
    if (!header_.empty())
      send(detail::record_run{});
    while (!in_flight_.empty())
      wait_oldest();
    report(true);
  }

  void map(std::vector<reject>& rejects) const { map_rejects(rejects, segments_, stream_lines_); }

 private:
  // The first header goes out with the first batch; every later file's header must be the same
  // and is skipped.
  void take_header(const std::string& path, detail::record_run header) {
    file_line_ = 1 + header.lines;
    if (first_header_.empty()) {
      segments_.push_back({stream_lines_ + 1, path, 1});
      first_header_ = std::string(without_line_end(header.bytes));
      header_ = std::move(header.bytes);
      stream_lines_ += header.lines;
      return;
    }
    if (without_line_end(header.bytes) != first_header_)
      throw error("INVALID_ARGUMENT", path + ": its header differs from the first file's");
    segments_.push_back({stream_lines_ + 1, path, file_line_});
  }

  void check_record_length(const detail::record_splitter& splitter) const {
    if (splitter.buffered() > max_record_bytes)
      throw error("TOO_LARGE", file_ + ": the record at line " + std::to_string(file_line_) +
                                   " is longer than " + std::to_string(max_record_bytes >> 20) +
                                   " MiB");
  }

  void send(detail::record_run run) {
    if (!header_.empty()) {
      run.bytes.insert(0, header_);
      header_.clear();
    }
    if (run.bytes.empty())
      return;
    while (in_flight_.size() >= window_)
      wait_oldest();
    in_flight_.push_back(load_.add_rows_async(run.bytes));
    rows_sent_ += run.records;
    stream_lines_ += run.lines;
    file_line_ += run.lines;
  }

  void wait_oldest() {
    last_ = in_flight_.front().get();
    in_flight_.pop_front();
    report(false);
  }

  void report(bool committing) {
    if (!progress_)
      return;
    import_progress p;
    p.file = file_;
    p.rows_sent = rows_sent_;
    p.rows_read = last_.rows_read;
    p.rejected = last_.rejected;
    p.bytes = done_bytes_ + (current_ ? current_->offset() : 0);
    p.total_bytes = total_bytes_;
    p.rate = detail::measure(start_, p.bytes, total_bytes_);
    if (committing)
      p.rate.eta_seconds = 0;
    p.committing = committing;
    progress_(p);
  }

  importer& load_;
  const import_options& options_;
  const size_t window_;
  const size_t batch_bytes_;
  const uint64_t total_bytes_;
  const import_progress_function& progress_;
  const std::chrono::steady_clock::time_point start_;

  std::deque<std::future<batch_reply>> in_flight_;
  batch_reply last_;
  std::string first_header_;
  std::string header_; // the first header, until it leaves with the first batch
  std::vector<stream_segment> segments_;
  uint64_t stream_lines_ = 0; // lines given to the stream so far, held-back header included
  uint64_t rows_sent_ = 0;    // records sent, headers excluded
  uint64_t done_bytes_ = 0;
  std::string file_;
  input_file* current_ = nullptr;
  uint64_t file_line_ = 1; // the current file's line the next record starts on
};

} // namespace

import_report connection::import_file(const std::string& path, const std::string& table,
                                      const std::string& label, const import_options& options,
                                      const import_progress_function& progress) {
  return import_files({path}, table, label, options, progress);
}

import_report connection::import_files(const std::vector<std::string>& paths,
                                       const std::string& table, const std::string& label,
                                       const import_options& options,
                                       const import_progress_function& progress) {
  if (paths.empty())
    throw error("INVALID_ARGUMENT", "no file to import");
  uint64_t total_bytes = 0; // 0: unknown, for standard input
  for (const auto& path : paths)
    total_bytes += size_of(path);
  if (std::find(paths.begin(), paths.end(), "-") != paths.end())
    total_bytes = 0;
  importer load = begin_import(table, label, options);
  file_load files(load, options, total_bytes, progress);
  for (const auto& path : paths)
    files.add_file(path);
  files.drain();
  import_report report = load.commit();
  files.map(report.rejects);
  return report;
}

} // namespace tagd::client
