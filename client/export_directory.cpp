// connection::export_to_directory: every part of a group version read in pieces (a window of
// pieces in flight across parts), checked against the node's PartInfo, written through a
// temporary file and a rename; manifest.json last.

#include "client/tagd_client.hpp"
#include "client/throughput.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace fs = std::filesystem;

namespace tagd::client {

namespace {

[[noreturn]] void io_failure(const std::string& what, const std::string& path) {
  throw error("IO_ERROR", "cannot " + what + " " + path + ": " + std::strerror(errno));
}

// A file written under a temporary name and renamed into place by publish(); removed if it is
// dropped before.
class staged_file {
 public:
  explicit staged_file(std::string path) : path_(std::move(path)), temporary_(path_ + ".tmp") {
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      io_failure("create", temporary_);
  }
  staged_file(const staged_file&) = delete;
  staged_file& operator=(const staged_file&) = delete;
  ~staged_file() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temporary_.c_str());
    }
  }

  void write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        io_failure("write", temporary_);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Durable, then visible under its name.
  void publish() {
    if (::fsync(fd_) != 0)
      io_failure("sync", temporary_);
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) {
      ::unlink(temporary_.c_str());
      io_failure("close", temporary_);
    }
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
      ::unlink(temporary_.c_str());
      io_failure("rename", temporary_);
    }
  }

 private:
  std::string path_;
  std::string temporary_;
  int fd_ = -1;
};

void sync_directory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    io_failure("open", directory);
  int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0)
    io_failure("sync", directory);
}

std::string part_name(uint32_t vshard) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%04u.csv", vshard);
  return name;
}

std::string hex(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

struct piece {
  size_t part = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  std::future<std::string> data;
};

// Reads the parts in order, `window` pieces in flight, and writes each part as it completes.
class part_writer {
 public:
  part_writer(exporter& source, const std::string& directory, uint32_t piece_bytes, unsigned window,
              const export_progress_function& progress)
      : source_(source), parts_(source.info().parts), directory_(directory),
        piece_bytes_(std::max<uint32_t>(1, piece_bytes)), window_(std::max(1u, window)),
        progress_(progress), start_(std::chrono::steady_clock::now()) {
    for (const auto& p : parts_)
      total_bytes_ += p.bytes;
  }

  std::vector<exported_file> run() {
    std::vector<exported_file> files;
    for (size_t part = 0; part < parts_.size(); ++part) {
      const part_info& info = parts_[part];
      exported_file file{part_name(info.vshard), info.vshard, 0, 0, 0};
      staged_file out(directory_ + "/" + file.name);
      uLong crc = crc32(0L, Z_NULL, 0);
      while (file.bytes < info.bytes) {
        fill_window();
        piece next = std::move(in_flight_.front());
        in_flight_.pop_front();
        if (next.part != part || next.offset != file.bytes)
          fail(info, "pieces out of order");
        std::string data = next.data.get();
        if (data.size() > next.length)
          fail(info, "a read returned more bytes than asked");
        append(out, file, crc, data);
        // A short read leaves a gap before the pieces already asked for: fill it now.
        uint64_t end = next.offset + next.length;
        while (file.bytes < end) {
          data = source_.read(info.vshard, file.bytes, static_cast<uint32_t>(end - file.bytes));
          if (data.empty() || data.size() > end - file.bytes)
            fail(info, "a read at byte " + std::to_string(file.bytes) + " of " +
                           std::to_string(info.bytes) + " returned " + std::to_string(data.size()) +
                           " bytes");
          append(out, file, crc, data);
        }
      }
      file.crc32 = static_cast<uint32_t>(crc);
      if (file.crc32 != info.crc32)
        fail(info, "CRC-32 " + hex(file.crc32) + " but the node announced " + hex(info.crc32));
      if (file.rows != info.rows)
        fail(info, std::to_string(file.rows) + " rows but the node announced " +
                       std::to_string(info.rows));
      out.publish();
      files.push_back(std::move(file));
      report(part + 1);
    }
    return files;
  }

 private:
  // Asks for the next pieces (of this part and the following ones) up to the window.
  void fill_window() {
    while (in_flight_.size() < window_ && next_part_ < parts_.size()) {
      const part_info& info = parts_[next_part_];
      if (next_offset_ >= info.bytes) {
        ++next_part_;
        next_offset_ = 0;
        continue;
      }
      auto length =
          static_cast<uint32_t>(std::min<uint64_t>(piece_bytes_, info.bytes - next_offset_));
      in_flight_.push_back({next_part_, next_offset_, length,
                            source_.read_async(info.vshard, next_offset_, length)});
      next_offset_ += length;
    }
  }

  void append(staged_file& out, exported_file& file, uLong& crc, const std::string& data) {
    out.write(data);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    file.rows += static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
    file.bytes += data.size();
    bytes_ += data.size();
  }

  [[noreturn]] void fail(const part_info& info, const std::string& what) const {
    throw error("CORRUPTION", "export of " + source_.info().version.group + " version " +
                                  std::to_string(source_.info().version.version) + ", " +
                                  part_name(info.vshard) + ": " + what);
  }

  void report(size_t parts_done) {
    if (!progress_)
      return;
    export_progress p;
    p.bytes = bytes_;
    p.total_bytes = total_bytes_;
    p.parts_done = static_cast<uint32_t>(parts_done);
    p.parts = static_cast<uint32_t>(parts_.size());
    p.rate = detail::measure(start_, bytes_, total_bytes_);
    progress_(p);
  }

  exporter& source_;
  const std::vector<part_info>& parts_;
  const std::string& directory_;
  const uint32_t piece_bytes_;
  const size_t window_;
  const export_progress_function& progress_;
  const std::chrono::steady_clock::time_point start_;
  std::deque<piece> in_flight_;
  size_t next_part_ = 0;
  uint64_t next_offset_ = 0;
  uint64_t bytes_ = 0;
  uint64_t total_bytes_ = 0;
};

nlohmann::json manifest_of(const group_version_info& version,
                           const std::vector<exported_file>& files) {
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& f : files)
    listed.push_back({{"name", f.name},
                      {"vshard", f.vshard},
                      {"rows", f.rows},
                      {"bytes", f.bytes},
                      {"crc32", f.crc32}});
  return {{"group", version.group},    {"version", version.version},
          {"entity", version.entity},  {"expression", version.expression},
          {"count", version.count},    {"created", version.created_unix},
          {"files", std::move(listed)}};
}

} // namespace

export_result connection::export_to_directory(const std::string& group, uint32_t version,
                                              const std::string& directory,
                                              const export_progress_function& progress) {
  auto start = std::chrono::steady_clock::now();
  exporter source = begin_export(group, version);
  const export_info& info = source.info();

  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec)
    throw error("IO_ERROR", "cannot create " + directory + ": " + ec.message());
  export_result result;
  result.version = info.version;
  result.directory = directory;
  result.manifest = directory + "/manifest.json";
  // A manifest describes the files beside it only once they are all written.
  if (std::remove(result.manifest.c_str()) != 0 && errno != ENOENT)
    io_failure("remove", result.manifest);

  const connection_options& options = this->options();
  part_writer writer(source, directory, std::min(options.export_piece_bytes, uint32_t{4} << 20),
                     options.requests_in_flight, progress);
  result.files = writer.run();
  uint64_t rows = 0;
  for (const auto& f : result.files) {
    rows += f.rows;
    result.bytes += f.bytes;
  }
  if (rows != info.version.count)
    throw error("CORRUPTION", "export of " + group + " version " +
                                  std::to_string(info.version.version) + ": the parts hold " +
                                  std::to_string(rows) + " keys, but the version counts " +
                                  std::to_string(info.version.count));

  staged_file manifest(result.manifest);
  manifest.write(manifest_of(info.version, result.files).dump(2) + "\n");
  manifest.publish();
  sync_directory(directory);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace tagd::client
