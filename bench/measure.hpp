#pragma once
// Small measuring helpers for the benchmark: clocks, medians, disk and memory sizes.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tagd::bench {

class stopwatch {
 public:
  stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double milliseconds() const { return seconds() * 1e3; }

 private:
  std::chrono::steady_clock::time_point start_;
};

double median(std::vector<double> values);
double geometric_mean(const std::vector<double>& values);

struct disk_usage {
  uint64_t allocated = 0; // st_blocks * 512: what the files occupy
  uint64_t apparent = 0;  // file sizes
};
disk_usage directory_usage(const std::string& path);

uint64_t process_rss_bytes();      // VmRSS of this process, 0 if unknown
uint64_t process_peak_rss_bytes(); // VmHWM of this process, 0 if unknown
unsigned process_thread_count();   // entries of /proc/self/task

std::string megabytes(uint64_t bytes); // "12.3 MB" (10^6 bytes)
std::string fixed(double value, int decimals);
std::string cpu_model();
double total_memory_gib();

} // namespace tagd::bench
