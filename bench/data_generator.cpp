#include "bench/data_generator.hpp"

#include "bench/bench_schema.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace tagd::bench {

namespace {

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One row's random stream: splitmix64 seeded from (seed, table, index), so any row can be
// generated on its own and the files stay identical whatever order they are written in.
class row_random {
 public:
  row_random(uint64_t seed, uint64_t table_salt, uint64_t index)
      : state_(mix64(seed ^ mix64(index + table_salt * 0x632be59bd9b4e019ULL))) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
  double normal() {                                                          // Box-Muller
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // 1 + failures before the first success, success probability p.
  uint64_t geometric(double p) {
    return 1 + static_cast<uint64_t>(std::floor(std::log(1.0 - uniform()) / std::log(1.0 - p)));
  }

 private:
  uint64_t state_;
};

// Sampling from fixed weights by binary search over the cumulative distribution.
class discrete {
 public:
  explicit discrete(std::vector<double> weights) : cdf_(std::move(weights)) {
    double total = 0;
    for (double& w : cdf_)
      w = total += w;
    for (double& w : cdf_)
      w /= total;
  }
  static discrete zipf(unsigned n, double s) {
    std::vector<double> w(n);
    for (unsigned k = 0; k < n; ++k)
      w[k] = std::pow(k + 1.0, -s);
    return discrete(std::move(w));
  }
  unsigned sample(double u) const {
    auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<unsigned>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

// A buffered CSV writer with hand-rolled number formatting (snprintf would dominate the time).
class csv_writer {
 public:
  explicit csv_writer(const std::string& path)
      : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (!file_)
      throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    buffer_.resize(kFlushAt + 4096);
  }
  ~csv_writer() {
    if (file_)
      std::fclose(file_);
  }
  void text(const std::string& s) {
    std::memcpy(&buffer_[used_], s.data(), s.size());
    used_ += s.size();
  }
  void ch(char c) { buffer_[used_++] = c; }
  void number(uint64_t v) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    while (n)
      buffer_[used_++] = digits[--n];
  }
  void cents(uint64_t v) {
    number(v / 100);
    ch('.');
    ch(static_cast<char>('0' + v / 10 % 10));
    ch(static_cast<char>('0' + v % 10));
  }
  void hex16(uint64_t v) {
    for (int shift = 60; shift >= 0; shift -= 4)
      ch("0123456789abcdef"[(v >> shift) & 15]);
  }
  // Called after each row: rows are far shorter than the 4 KiB of slack.
  void end_row() {
    buffer_[used_++] = '\n';
    if (used_ >= kFlushAt)
      flush();
  }
  uint64_t close() {
    flush();
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      throw std::runtime_error("cannot write " + path_);
    }
    file_ = nullptr;
    return written_;
  }

 private:
  static constexpr size_t kFlushAt = size_t{1} << 20;
  void flush() {
    if (used_ && std::fwrite(buffer_.data(), 1, used_, file_) != used_)
      throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
    written_ += used_;
    used_ = 0;
  }
  std::string path_;
  FILE* file_;
  std::vector<char> buffer_;
  size_t used_ = 0;
  uint64_t written_ = 0;
};

struct value_names {
  std::vector<std::string> cities;
  std::vector<std::string> dates; // dates[d]: now - d days, d in 0..364
  discrete city = discrete::zipf(kCityCount, 1.1);
  discrete gender{{0.495, 0.475, 0.02}};
  discrete interest = discrete::zipf(40, 0.9);
  discrete interest_count{{0.08, 0.22, 0.24, 0.19, 0.13, 0.08, 0.06}}; // 0..6 values
  discrete channel{{0.40, 0.25, 0.25, 0.07, 0.03}};
  discrete os{{0.45, 0.35, 0.15, 0.05}};
  value_names() {
    for (unsigned rank = 1; rank <= kCityCount; ++rank)
      cities.push_back(city_name(rank));
    for (int64_t d = 0; d < 365; ++d) {
      int64_t y;
      unsigned m, day;
      days_to_civil(now_days() - d, y, m, day);
      char text[16];
      std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(y), m, day);
      dates.push_back(text);
    }
  }
};

const value_names& names() {
  static const value_names n;
  return n;
}

void write_key(csv_writer& out, const generator_options& options, uint64_t index) {
  uint64_t key = user_key(index);
  if (options.string_keys) {
    out.ch('u');
    out.hex16(key);
  } else {
    out.number(key);
  }
}

// Table salts: the per-table random streams must differ.
enum : uint64_t { kProfile = 1, kOrders = 2, kInterests = 3, kDevice = 4 };

void profile_row(csv_writer& out, row_random& r) {
  const value_names& n = names();
  out.text(n.cities[n.city.sample(r.uniform())]);
  out.ch(',');
  if (r.uniform() >= 0.03) {
    double age = std::round(38.0 + 12.0 * r.normal());
    out.number(static_cast<uint64_t>(std::clamp(age, 16.0, 90.0)));
  }
  out.ch(',');
  if (r.uniform() >= 0.01)
    out.text(gender_names()[n.gender.sample(r.uniform())]);
  out.ch(',');
  out.text(r.uniform() < 0.07 ? "true" : "false");
}

void orders_row(csv_writer& out, row_random& r) {
  if (r.uniform() >= 0.05) {
    double spend = 8000.0 * std::exp(r.normal()); // cents, lognormal with median 80.00
    out.cents(std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(spend))));
  }
  out.ch(',');
  out.number(std::min<uint64_t>(200, r.geometric(0.15)));
  out.ch(',');
  out.text(names().dates[static_cast<size_t>(365.0 * std::pow(r.uniform(), 2.0))]);
}

void interests_row(csv_writer& out, row_random& r) {
  const value_names& n = names();
  unsigned count = n.interest_count.sample(r.uniform());
  uint64_t chosen = 0;
  for (unsigned picked = 0; picked < count;) {
    unsigned rank = n.interest.sample(r.uniform());
    if (!(chosen >> rank & 1)) {
      chosen |= uint64_t{1} << rank;
      ++picked;
    }
  }
  bool first = true;
  for (unsigned rank = 0; rank < 40; ++rank)
    if (chosen >> rank & 1) {
      if (!first)
        out.ch(';');
      out.text(interest_names()[rank]);
      first = false;
    }
  out.ch(',');
  out.text(channel_names()[n.channel.sample(r.uniform())]);
}

void device_row(csv_writer& out, row_random& r) {
  out.text(os_names()[names().os.sample(r.uniform())]);
  out.ch(',');
  out.number(560 - 4 * std::min<uint64_t>(40, r.geometric(0.25) - 1));
  out.ch(',');
  out.number(static_cast<uint64_t>(31.0 * std::pow(r.uniform(), 1.3)));
}

struct table_shape {
  const char* name;
  uint64_t salt;
  double coverage;
  void (*row)(csv_writer&, row_random&);
};

const table_shape kShapes[] = {
    {"profile", kProfile, 1.0, profile_row},
    {"orders", kOrders, 0.60, orders_row},
    {"interests", kInterests, 0.45, interests_row},
    {"device_activity", kDevice, 0.30, device_row},
};

} // namespace

uint64_t user_key(uint64_t index) {
  return mix64(index);
}

std::string string_key(uint64_t key) {
  char text[18];
  std::snprintf(text, sizeof text, "u%016llx", static_cast<unsigned long long>(key));
  return text;
}

std::string city_name(unsigned rank) {
  char text[16];
  std::snprintf(text, sizeof text, "city_%03u", rank);
  return text;
}

const std::vector<std::string>& interest_names() {
  static const std::vector<std::string> v = {
      "travel",     "music",     "food",      "sports",  "movies", "fashion", "gaming",
      "books",      "fitness",   "tech",      "beauty",  "cars",   "pets",    "cooking",
      "finance",    "parenting", "outdoors",  "art",     "health", "home",    "gardening",
      "anime",      "crafts",    "dance",     "design",  "diy",    "esports", "football",
      "basketball", "hiking",    "investing", "jewelry", "luxury", "news",    "podcasts",
      "running",    "skincare",  "wine",      "yoga",    "cycling"};
  return v;
}

const std::vector<std::string>& channel_names() {
  static const std::vector<std::string> v = {"web", "ios", "android", "store", "partner"};
  return v;
}

const std::vector<std::string>& os_names() {
  static const std::vector<std::string> v = {"android", "ios", "windows", "macos"};
  return v;
}

const std::vector<std::string>& gender_names() {
  static const std::vector<std::string> v = {"f", "m", "x"};
  return v;
}

generated_file generate_table(const generator_options& options, const std::string& table,
                              const std::string& path) {
  const table_shape* shape = nullptr;
  for (const table_shape& s : kShapes)
    if (table == s.name)
      shape = &s;
  const bench_table* schema = nullptr;
  for (const bench_table& t : bench_tables())
    if (t.name == table)
      schema = &t;
  if (!shape || !schema)
    throw std::runtime_error("no benchmark table '" + table + "'");
  auto start = std::chrono::steady_clock::now();
  generated_file file{table, path};
  csv_writer out(path);
  out.text(kKeyColumn);
  for (const bench_column& c : schema->columns) {
    out.ch(',');
    out.text(c.name);
  }
  out.end_row();
  for (uint64_t index = 1; index <= options.users; ++index) {
    row_random r(options.seed, shape->salt, index);
    if (shape->coverage < 1.0 && r.uniform() >= shape->coverage)
      continue;
    write_key(out, options, index);
    out.ch(',');
    shape->row(out, r);
    out.end_row();
    ++file.rows;
  }
  file.bytes = out.close();
  file.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return file;
}

std::vector<generated_file> generate_data(const generator_options& options,
                                          const std::string& directory) {
  std::vector<generated_file> files;
  for (const bench_table& t : bench_tables())
    files.push_back(generate_table(options, t.name, table_file(directory, t.name)));
  return files;
}

} // namespace tagd::bench
