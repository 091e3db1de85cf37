#include "bench/baseline.hpp"

#include "bench/bench_schema.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace tagd::bench {

namespace {

// u64 key → dense id, open addressing with linear probing: what a hand-written loader would
// use instead of std::unordered_map, which costs an allocation per key.
class u64_ids {
 public:
  u64_ids() : slots_(1024) {}
  uint32_t id_of(uint64_t key, uint32_t next_id, bool& added) {
    if ((size_ + 1) * 2 > slots_.size())
      grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.id == kEmpty) {
        s = {key, next_id};
        ++size_;
        added = true;
        return next_id;
      }
      if (s.key == key) {
        added = false;
        return s.id;
      }
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct slot {
    uint64_t key = 0;
    uint32_t id = kEmpty;
  };
  static uint64_t hash(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void grow() {
    std::vector<slot> old(slots_.size() * 2);
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const slot& s : old)
      if (s.id != kEmpty) {
        size_t i = hash(s.key) & mask;
        while (slots_[i].id != kEmpty)
          i = (i + 1) & mask;
        slots_[i] = s;
      }
  }
  std::vector<slot> slots_;
  size_t size_ = 0;
};

[[noreturn]] void malformed(const std::string& path, uint64_t line, const std::string& why) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + why);
}

// Calls f(line) for every line of the file, reading it in 8 MiB chunks.
template <class F>
void for_each_line(const std::string& path, F&& f) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file)
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  std::vector<char> buffer(size_t{8} << 20);
  size_t have = 0;
  for (;;) {
    size_t n = std::fread(buffer.data() + have, 1, buffer.size() - have, file);
    have += n;
    size_t start = 0;
    for (;;) {
      const char* begin = buffer.data() + start;
      const char* end = static_cast<const char*>(std::memchr(begin, '\n', have - start));
      if (!end)
        break;
      f(std::string_view(begin, static_cast<size_t>(end - begin)));
      start = static_cast<size_t>(end - buffer.data()) + 1;
    }
    if (n == 0) {
      if (start < have)
        f(std::string_view(buffer.data() + start, have - start));
      break;
    }
    std::memmove(buffer.data(), buffer.data() + start, have - start);
    have -= start;
    if (have == buffer.size())
      buffer.resize(buffer.size() * 2);
  }
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    throw std::runtime_error("cannot read " + path);
}

bool parse_int(std::string_view s, int64_t& out) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative)
    s.remove_prefix(1);
  if (s.empty() || s.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  out = negative ? -v : v;
  return true;
}

bool parse_cents(std::string_view s, int64_t& out) {
  size_t point = s.find('.');
  std::string_view fraction = point == std::string_view::npos ? "" : s.substr(point + 1);
  if (fraction.size() > 2 || !parse_int(s.substr(0, point), out) || s[0] == '-')
    return false;
  int64_t cents = 0;
  for (size_t i = 0; i < 2; ++i) {
    char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9')
      return false;
    cents = cents * 10 + (c - '0');
  }
  out = out * 100 + cents;
  return true;
}

bool parse_date(std::string_view s, int64_t& out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-')
    return false;
  int64_t y, m, d;
  if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), m) ||
      !parse_int(s.substr(8, 2), d) || m < 1 || m > 12 || d < 1 || d > 31)
    return false;
  out = civil_to_days(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

roaring_ptr optimized(const std::vector<uint32_t>& ids) {
  roaring_ptr b(roaring_bitmap_of_ptr(ids.size(), ids.data()));
  roaring_bitmap_run_optimize(b.get());
  return b;
}

// Values of one column while a table is read.
struct value_column {
  std::unordered_map<std::string, uint32_t> dictionary;
  std::vector<std::string> names;
  std::vector<std::vector<uint32_t>> ids; // per dictionary entry
  void add(std::string_view value, uint32_t id) {
    auto [it, added] = dictionary.emplace(std::string(value), static_cast<uint32_t>(names.size()));
    if (added) {
      names.emplace_back(value);
      ids.emplace_back();
    }
    ids[it->second].push_back(id);
  }
};

struct ranged_column {
  std::vector<uint32_t> ids;
  std::vector<int64_t> values;
};

bsi_index build_bsi(const ranged_column& column) {
  bsi_index index;
  index.existence = optimized(column.ids);
  if (column.ids.empty()) {
    index.bits = 1;
    index.slices.emplace_back(roaring_bitmap_create());
    return index;
  }
  auto [lo, hi] = std::minmax_element(column.values.begin(), column.values.end());
  index.base = *lo;
  uint64_t span = static_cast<uint64_t>(*hi) - static_cast<uint64_t>(*lo);
  index.bits = 1;
  while (index.bits < 64 && (span >> index.bits) != 0)
    ++index.bits;
  std::vector<std::vector<uint32_t>> slices(index.bits);
  for (size_t i = 0; i < column.ids.size(); ++i) {
    uint64_t offset = static_cast<uint64_t>(column.values[i]) - static_cast<uint64_t>(index.base);
    for (uint32_t b = 0; b < index.bits; ++b)
      if (offset >> b & 1)
        slices[b].push_back(column.ids[i]);
  }
  for (const auto& ids : slices)
    index.slices.push_back(optimized(ids));
  return index;
}

} // namespace

class baseline_builder {
 public:
  baseline_builder(baseline& out, bool string_keys) : out_(out), string_keys_(string_keys) {}

  void read_table(const std::string& directory, const bench_table& table) {
    std::string path = table_file(directory, table.name);
    const size_t columns = table.columns.size();
    std::vector<value_column> values(columns);
    std::vector<ranged_column> ranged(columns);
    std::vector<uint32_t> present;
    std::vector<std::string_view> fields(columns + 1);
    uint64_t line = 0;
    for_each_line(path, [&](std::string_view text) {
      if (++line == 1 || text.empty())
        return; // the header
      size_t n = 0;
      for (size_t start = 0;;) {
        size_t comma = text.find(',', start);
        if (n > columns)
          malformed(path, line, "more than " + std::to_string(columns + 1) + " fields");
        fields[n++] = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
        if (comma == std::string_view::npos)
          break;
        start = comma + 1;
      }
      if (n != columns + 1)
        malformed(path, line, "expected " + std::to_string(columns + 1) + " fields");
      uint32_t id = id_of(fields[0], path, line);
      present.push_back(id);
      ++out_.rows_;
      for (size_t c = 0; c < columns; ++c) {
        std::string_view field = fields[c + 1];
        if (field.empty())
          continue; // NULL
        int64_t v = 0;
        bool ok = true;
        switch (table.columns[c].kind) {
        case column_kind::enum_:
          values[c].add(field, id);
          break;
        case column_kind::bool_:
          ok = field == "true" || field == "false";
          values[c].add(field, id);
          break;
        case column_kind::set:
          for (size_t start = 0; start < field.size();) {
            size_t end = std::min(field.find(';', start), field.size());
            if (end > start)
              values[c].add(field.substr(start, end - start), id);
            start = end + 1;
          }
          break;
        case column_kind::int_:
          ok = parse_int(field, v);
          break;
        case column_kind::decimal2:
          ok = parse_cents(field, v);
          break;
        case column_kind::date:
          ok = parse_date(field, v);
          break;
        }
        if (!ok)
          malformed(path, line,
                    "bad value '" + std::string(field) + "' for " + table.columns[c].name);
        if (table.columns[c].kind == column_kind::int_ ||
            table.columns[c].kind == column_kind::decimal2 ||
            table.columns[c].kind == column_kind::date) {
          ranged[c].ids.push_back(id);
          ranged[c].values.push_back(v);
        }
      }
    });
    out_.presence_.push_back(optimized(present));
    for (size_t c = 0; c < columns; ++c) {
      const bench_column& column = table.columns[c];
      if (column.kind == column_kind::int_ || column.kind == column_kind::decimal2 ||
          column.kind == column_kind::date) {
        out_.ranged_[column.name] = build_bsi(ranged[c]);
        continue;
      }
      auto& bitmaps = out_.values_[column.name];
      for (size_t v = 0; v < values[c].names.size(); ++v)
        bitmaps[values[c].names[v]] = optimized(values[c].ids[v]);
    }
  }

  void finish() {
    std::vector<const roaring_bitmap_t*> tables;
    for (auto& p : out_.presence_)
      tables.push_back(p.get());
    out_.universe_.reset(roaring_bitmap_or_many(tables.size(), tables.data()));
    roaring_bitmap_run_optimize(out_.universe_.get());
    out_.users_ = next_id_;
  }

 private:
  uint32_t id_of(std::string_view key, const std::string& path, uint64_t line) {
    bool added = false;
    uint32_t id;
    if (string_keys_) {
      auto [it, inserted] = string_ids_.emplace(std::string(key), next_id_);
      added = inserted;
      id = it->second;
    } else {
      uint64_t k = 0;
      if (key.empty() || key.size() > 20)
        malformed(path, line, "bad key '" + std::string(key) + "'");
      for (char c : key) {
        if (c < '0' || c > '9')
          malformed(path, line, "bad key '" + std::string(key) + "'");
        k = k * 10 + static_cast<uint64_t>(c - '0');
      }
      id = u64_ids_.id_of(k, next_id_, added);
    }
    if (added)
      ++next_id_;
    return id;
  }

  baseline& out_;
  bool string_keys_;
  u64_ids u64_ids_;
  std::unordered_map<std::string, uint32_t> string_ids_;
  uint32_t next_id_ = 0;
};

baseline::baseline() : empty_(roaring_bitmap_create()) {}

std::unique_ptr<baseline> baseline::build(const std::string& directory, bool string_keys) {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<baseline> b(new baseline());
  baseline_builder builder(*b, string_keys);
  for (const bench_table& table : bench_tables())
    builder.read_table(directory, table);
  builder.finish();
  b->build_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return b;
}

const roaring_bitmap_t* baseline::value(const std::string& tag, const std::string& value) const {
  auto t = values_.find(tag);
  if (t == values_.end())
    throw std::runtime_error("baseline: no value tag '" + tag + "'");
  auto v = t->second.find(value);
  return v == t->second.end() ? empty_.get() : v->second.get();
}

const bsi_index& baseline::ranged(const std::string& tag) const {
  auto it = ranged_.find(tag);
  if (it == ranged_.end())
    throw std::runtime_error("baseline: no ranged tag '" + tag + "'");
  return it->second;
}

uint64_t baseline::raw_bytes() const {
  uint64_t total = roaring_bitmap_portable_size_in_bytes(universe_.get());
  for (const auto& p : presence_)
    total += roaring_bitmap_portable_size_in_bytes(p.get());
  for (const auto& [tag, bitmaps] : values_)
    for (const auto& [value, b] : bitmaps)
      total += roaring_bitmap_portable_size_in_bytes(b.get());
  for (const auto& [tag, index] : ranged_) {
    total += roaring_bitmap_portable_size_in_bytes(index.existence.get());
    for (const auto& s : index.slices)
      total += roaring_bitmap_portable_size_in_bytes(s.get());
  }
  return total;
}

uint64_t baseline::bitmap_count() const {
  uint64_t count = 1 + presence_.size();
  for (const auto& [tag, bitmaps] : values_)
    count += bitmaps.size();
  for (const auto& [tag, index] : ranged_)
    count += 1 + index.slices.size();
  return count;
}

namespace {

// Members of `found` whose offset is >= c (at_least) or <= c (at most); consumes `found`.
roaring_ptr compare(const bsi_index& index, uint64_t c, bool at_least, roaring_ptr found) {
  roaring_ptr decided(roaring_bitmap_create()); // strictly above (at_least) or below c
  for (uint32_t i = index.bits; i-- > 0 && !roaring_bitmap_is_empty(found.get());) {
    const roaring_bitmap_t* slice = index.slices[i].get();
    bool bit = c >> i & 1;
    if (at_least && !bit) {
      roaring_ptr above(roaring_bitmap_and(found.get(), slice));
      roaring_bitmap_or_inplace(decided.get(), above.get());
    } else if (!at_least && bit) {
      roaring_ptr below(roaring_bitmap_andnot(found.get(), slice));
      roaring_bitmap_or_inplace(decided.get(), below.get());
    }
    if (bit)
      roaring_bitmap_and_inplace(found.get(), slice);
    else
      roaring_bitmap_andnot_inplace(found.get(), slice);
  }
  roaring_bitmap_or_inplace(decided.get(), found.get()); // equal to c
  return decided;
}

} // namespace

roaring_ptr bsi_range(const bsi_index& index, int64_t lo, int64_t hi,
                      const roaring_bitmap_t* candidates) {
  __int128 max_offset =
      index.bits >= 64 ? (__int128{1} << 64) - 1 : (__int128{1} << index.bits) - 1;
  __int128 lo_offset = __int128{lo} - index.base, hi_offset = __int128{hi} - index.base;
  if (lo > hi || hi_offset < 0 || lo_offset > max_offset)
    return roaring_ptr(roaring_bitmap_create());
  roaring_ptr found(candidates ? roaring_bitmap_and(index.existence.get(), candidates)
                               : roaring_bitmap_copy(index.existence.get()));
  if (lo_offset > 0)
    found = compare(index, static_cast<uint64_t>(lo_offset), true, std::move(found));
  if (hi_offset < max_offset)
    found = compare(index, static_cast<uint64_t>(hi_offset), false, std::move(found));
  return found;
}

} // namespace tagd::bench
