#include "bench/measure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace tagd::bench {

double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double geometric_mean(const std::vector<double>& values) {
  if (values.empty())
    return 0;
  double log_sum = 0;
  for (double v : values)
    log_sum += std::log(v);
  return std::exp(log_sum / static_cast<double>(values.size()));
}

disk_usage directory_usage(const std::string& path) {
  disk_usage usage;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      usage.allocated += static_cast<uint64_t>(st.st_blocks) * 512;
      usage.apparent += static_cast<uint64_t>(st.st_size);
    }
  }
  return usage;
}

namespace {
// A "Name:   12345 kB" line of /proc/self/status, in bytes.
uint64_t status_kilobytes(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(name, 0) == 0)
      return std::stoull(line.substr(name.size())) * 1024;
  return 0;
}
} // namespace

uint64_t process_rss_bytes() {
  return status_kilobytes("VmRSS:");
}
uint64_t process_peak_rss_bytes() {
  return status_kilobytes("VmHWM:");
}

unsigned process_thread_count() {
  unsigned count = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++count;
  return count;
}

std::string megabytes(uint64_t bytes) {
  return fixed(static_cast<double>(bytes) / 1e6, 1) + " MB";
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "unknown CPU";
}

double total_memory_gib() {
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<double>(pages) * size / (1024.0 * 1024 * 1024) : 0;
}

} // namespace tagd::bench
