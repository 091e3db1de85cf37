#include "shards/csv_reader.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>
#include <zlib.h>

namespace {

namespace fs = std::filesystem;
using tagd::csv_options;
using tagd::csv_reader;
using tagd::error_code;
using tagd::record_batch;

// A fresh directory per test, removed with everything in it at the end.
class temp_dir {
 public:
  temp_dir() {
    std::random_device entropy;
    path_ = fs::temp_directory_path() / ("tagd_csv_reader_test_" + std::to_string(::getpid()) +
                                         "_" + std::to_string(entropy()));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string path_of(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::string& content) const {
    std::string path = path_of(name);
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    REQUIRE(out.good());
    return path;
  }

  std::string write_gzip(const std::string& name, const std::string& content) const {
    std::string path = path_of(name);
    gzFile file = gzopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    // gzwrite takes an unsigned length: write in slices to stay clear of its limits.
    size_t written = 0;
    while (written < content.size()) {
      unsigned slice = static_cast<unsigned>(std::min<size_t>(content.size() - written, 1 << 20));
      REQUIRE(gzwrite(file, content.data() + written, slice) == static_cast<int>(slice));
      written += slice;
    }
    REQUIRE(gzclose(file) == Z_OK);
    return path;
  }

 private:
  fs::path path_;
};

struct parsed_field {
  std::string text;
  bool quoted = false;
  bool operator==(const parsed_field& other) const {
    return text == other.text && quoted == other.quoted;
  }
};

struct parsed_record {
  uint64_t line = 0;
  std::string error;
  std::vector<parsed_field> fields;
  bool operator==(const parsed_record& other) const {
    return line == other.line && error == other.error && fields == other.fields;
  }
};

std::ostream& operator<<(std::ostream& out, const parsed_record& record) {
  out << "{line " << record.line;
  if (!record.error.empty())
    out << ", error \"" << record.error << '"';
  for (const parsed_field& field : record.fields)
    out << (field.quoted ? ", Q[" : ", [") << field.text << ']';
  return out << '}';
}

parsed_field unquoted(std::string text) {
  return {std::move(text), false};
}
parsed_field quoted(std::string text) {
  return {std::move(text), true};
}

parsed_record record_at(uint64_t line, std::vector<parsed_field> fields) {
  return {line, "", std::move(fields)};
}
parsed_record error_at(uint64_t line, std::string error) {
  return {line, std::move(error), {}};
}

// Record `record` of a batch, checking the batch's bookkeeping on the way.
parsed_record record_from(const record_batch& batch, size_t record) {
  REQUIRE(batch.first_field.size() == batch.size() + 1);
  REQUIRE(batch.error.size() == batch.size());
  parsed_record parsed{batch.line[record], batch.error[record], {}};
  for (size_t i = 0; i < batch.field_count(record); ++i)
    parsed.fields.push_back({std::string(batch.text(record, i)), batch.field(record, i).quoted});
  return parsed;
}

std::vector<parsed_record> read_all(csv_reader& reader, size_t max_records = 1000) {
  std::vector<parsed_record> records;
  record_batch batch;
  while (true) {
    auto count = reader.read_batch(batch, max_records);
    REQUIRE(count.is_ok());
    if (*count == 0)
      break;
    REQUIRE(*count == batch.size());
    for (size_t i = 0; i < batch.size(); ++i)
      records.push_back(record_from(batch, i));
  }
  return records;
}

std::vector<parsed_record> read_all(const std::string& path, csv_options options = {},
                                    size_t max_records = 1000) {
  auto reader = csv_reader::open(path, options);
  REQUIRE(reader.is_ok());
  return read_all(**reader, max_records);
}

std::vector<parsed_record> read_bytes(std::string_view bytes, csv_options options = {},
                                      uint64_t first_line = 1, size_t max_records = 1000) {
  auto reader = csv_reader::from_bytes(bytes, options, first_line);
  REQUIRE(reader.is_ok());
  return read_all(**reader, max_records);
}

// The same content read with the default buffer and with tiny ones, which put buffer
// boundaries inside quotes, between a quote and what follows it, inside "\r\n" and a BOM.
std::vector<parsed_record> read_text(const temp_dir& dir, const std::string& content,
                                     csv_options options = {}) {
  std::string path = dir.write("input.csv", content);
  std::vector<parsed_record> records = read_all(path, options);
  for (size_t buffer_bytes = 4; buffer_bytes <= 12; ++buffer_bytes) {
    CAPTURE(buffer_bytes);
    csv_options small = options;
    small.input_buffer_bytes = buffer_bytes;
    CHECK(read_all(path, small) == records);
  }
  CHECK(read_bytes(content, options) == records);
  CHECK(read_bytes(content, options, 1, 1) == records);
  return records;
}

using records = std::vector<parsed_record>;

} // namespace

TEST_CASE("csv_reader reads simple comma-separated records", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "a,b,c\n1,22,333\n") ==
        records{record_at(1, {unquoted("a"), unquoted("b"), unquoted("c")}),
                record_at(2, {unquoted("1"), unquoted("22"), unquoted("333")})});
}

TEST_CASE("csv_reader reads tab-separated records", "[csv_reader]") {
  temp_dir dir;
  csv_options options;
  options.delimiter = '\t';
  CHECK(read_text(dir, "a\tb,c\t\"x\ty\"\n1\t\t3\n", options) ==
        records{record_at(1, {unquoted("a"), unquoted("b,c"), quoted("x\ty")}),
                record_at(2, {unquoted("1"), unquoted(""), unquoted("3")})});
}

TEST_CASE("csv_reader reads pipe-separated records", "[csv_reader]") {
  temp_dir dir;
  csv_options options;
  options.delimiter = '|';
  CHECK(read_text(dir, "a|b,c|d\n|x|\n", options) ==
        records{record_at(1, {unquoted("a"), unquoted("b,c"), unquoted("d")}),
                record_at(2, {unquoted(""), unquoted("x"), unquoted("")})});
}

TEST_CASE("csv_reader unescapes quoted fields and counts their lines", "[csv_reader]") {
  temp_dir dir;
  std::string content = "\"a,b\",\"he said \"\"hi\"\"\",\"line1\nline2\"\n"
                        "next,row\n"
                        "\"x\n\ny\",z\n"
                        "\"\"\"\",\"\"\"lead\",\"trail\"\"\"\n"
                        "last,1\n";
  CHECK(read_text(dir, content) ==
        records{record_at(1, {quoted("a,b"), quoted("he said \"hi\""), quoted("line1\nline2")}),
                record_at(3, {unquoted("next"), unquoted("row")}),
                record_at(4, {quoted("x\n\ny"), unquoted("z")}),
                record_at(7, {quoted("\""), quoted("\"lead"), quoted("trail\"")}),
                record_at(8, {unquoted("last"), unquoted("1")})});
}

TEST_CASE("csv_reader keeps a quote inside an unquoted field", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "ab\"c,d\"\n") ==
        records{record_at(1, {unquoted("ab\"c"), unquoted("d\"")})});
}

TEST_CASE("csv_reader ends records at CRLF", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "a,b\r\nc,\r\n\"q\"\r\n\r\nx\ry,z\r\n\"multi\r\nline\"\r\n") ==
        records{record_at(1, {unquoted("a"), unquoted("b")}),
                record_at(2, {unquoted("c"), unquoted("")}), record_at(3, {quoted("q")}),
                record_at(5, {unquoted("x\ry"), unquoted("z")}),
                record_at(6, {quoted("multi\r\nline")})});
}

TEST_CASE("csv_reader skips a UTF-8 BOM at the start only", "[csv_reader]") {
  temp_dir dir;
  std::string bom = "\xEF\xBB\xBF";
  CHECK(read_text(dir, bom + "id,name\n1,x\n") ==
        records{record_at(1, {unquoted("id"), unquoted("name")}),
                record_at(2, {unquoted("1"), unquoted("x")})});
  CHECK(read_text(dir, bom + "\"id\",n\n") == records{record_at(1, {quoted("id"), unquoted("n")})});
  CHECK(read_text(dir, "a," + bom + "\n") == records{record_at(1, {unquoted("a"), unquoted(bom)})});
  CHECK(read_text(dir, bom).empty());
}

TEST_CASE("csv_reader skips empty lines", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "\n\na,b\n\n\nc\n\n") ==
        records{record_at(3, {unquoted("a"), unquoted("b")}), record_at(6, {unquoted("c")})});
  CHECK(read_text(dir, "\n\n\n").empty());
  CHECK(read_text(dir, "").empty());
}

TEST_CASE("csv_reader reads a last line without a newline", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "a,b\nc,d") == records{record_at(1, {unquoted("a"), unquoted("b")}),
                                              record_at(2, {unquoted("c"), unquoted("d")})});
  CHECK(read_text(dir, "a,b\nc,") == records{record_at(1, {unquoted("a"), unquoted("b")}),
                                             record_at(2, {unquoted("c"), unquoted("")})});
  CHECK(read_text(dir, "x,\"y\"") == records{record_at(1, {unquoted("x"), quoted("y")})});
  CHECK(read_text(dir, "x,\"y\"\r") == records{record_at(1, {unquoted("x"), quoted("y")})});
  CHECK(read_text(dir, "x,y\r") == records{record_at(1, {unquoted("x"), unquoted("y")})});
}

TEST_CASE("csv_reader tells empty unquoted fields from quoted empty strings", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, ",\"\",x,\n\"\"\n") ==
        records{record_at(1, {unquoted(""), quoted(""), unquoted("x"), unquoted("")}),
                record_at(2, {quoted("")})});
}

TEST_CASE("csv_reader keeps \\N as text and reports whether it was quoted", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "a,\\N,\"\\N\"\n") ==
        records{record_at(1, {unquoted("a"), unquoted("\\N"), quoted("\\N")})});
}

TEST_CASE("csv_reader reports a character after a closing quote and reads on", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "\"ab\"x,c\nnext,1\n") ==
        records{error_at(1, "column 1: unexpected character after closing quote"),
                record_at(2, {unquoted("next"), unquoted("1")})});
  CHECK(read_text(dir, "a,\"b\" ,c\nok\n") ==
        records{error_at(1, "column 2: unexpected character after closing quote"),
                record_at(2, {unquoted("ok")})});
  // The rest of the line where the error is found goes, whatever quotes it holds.
  CHECK(read_text(dir, "a,\"x\ny\"z,\"w\nok\n") ==
        records{error_at(1, "column 2: unexpected character after closing quote"),
                record_at(3, {unquoted("ok")})});
  CHECK(read_text(dir, "\"a\"\rb\nok\n") ==
        records{error_at(1, "column 1: unexpected character after closing quote"),
                record_at(2, {unquoted("ok")})});
  CHECK(read_text(dir, "ok\n\"a\"b") ==
        records{record_at(1, {unquoted("ok")}),
                error_at(2, "column 1: unexpected character after closing quote")});
}

TEST_CASE("csv_reader reports an unterminated quote at the end of input", "[csv_reader]") {
  temp_dir dir;
  CHECK(read_text(dir, "a,b\nc,\"open\nmore\n") ==
        records{record_at(1, {unquoted("a"), unquoted("b")}),
                error_at(2, "unterminated quoted field starting on line 2")});
  CHECK(read_text(dir, "\"a\nb\",\"c\nd") ==
        records{error_at(1, "unterminated quoted field starting on line 2")});
  CHECK(read_text(dir, "\"") ==
        records{error_at(1, "unterminated quoted field starting on line 1")});
}

TEST_CASE("csv_reader turns a record past max_record_bytes into an error", "[csv_reader]") {
  temp_dir dir;
  csv_options options;
  options.max_record_bytes = 8;
  std::string too_long = "record longer than 8 bytes";
  CHECK(read_text(dir,
                  "abc,defg\n"
                  "this,is,too,long\n"
                  "ok,1\n"
                  "\"multi\nline,too,long\"\n"
                  "abc,defg\r\n" // the CRLF does not count
                  "\"abcdef\"\r\n"
                  "\"a\"\"b\",c\n" // 8 raw bytes, 5 after unescaping
                  "\"ab\"\"c\",de\n"
                  "fine",
                  options) ==
        records{record_at(1, {unquoted("abc"), unquoted("defg")}), error_at(2, too_long),
                record_at(3, {unquoted("ok"), unquoted("1")}), error_at(4, too_long),
                record_at(6, {unquoted("abc"), unquoted("defg")}), record_at(7, {quoted("abcdef")}),
                record_at(8, {quoted("a\"b"), unquoted("c")}), error_at(9, too_long),
                record_at(10, {unquoted("fine")})});
  // Buffer boundaries right after the "\r" must not make these records too long.
  std::string exactly_max;
  records expected;
  for (uint64_t line = 1; line <= 12; ++line) {
    exactly_max += "abcdefgh\r\n";
    expected.push_back(record_at(line, {unquoted("abcdefgh")}));
  }
  CHECK(read_text(dir, exactly_max, options) == expected);
}

TEST_CASE("csv_reader skips a huge record without keeping it", "[csv_reader]") {
  temp_dir dir;
  csv_options options;
  options.max_record_bytes = 1000;
  options.input_buffer_bytes = 1 << 16;
  std::string huge_unquoted(3 << 20, 'x');
  std::string huge_quoted = "\"" + std::string(3 << 20, '\n') + "\"";
  std::string path = dir.write("huge.csv", "a\n" + huge_unquoted + "\n" + huge_quoted + "\nb\n");
  auto reader = csv_reader::open(path, options);
  REQUIRE(reader.is_ok());
  record_batch batch;
  auto count = (*reader)->read_batch(batch, 100);
  REQUIRE(count.is_ok());
  REQUIRE(*count == 4);
  CHECK(record_from(batch, 0) == record_at(1, {unquoted("a")}));
  CHECK(record_from(batch, 1) == error_at(2, "record longer than 1000 bytes"));
  CHECK(record_from(batch, 2) == error_at(3, "record longer than 1000 bytes"));
  CHECK(record_from(batch, 3) == record_at(3 + (3 << 20) + 1, {unquoted("b")}));
  // Memory stays bounded: the skipped bytes never reached the batch.
  CHECK(batch.bytes.capacity() < 4 * (options.max_record_bytes + options.input_buffer_bytes));
}

TEST_CASE("csv_reader reads gzip input like the plain file", "[csv_reader]") {
  temp_dir dir;
  std::string content = "\xEF\xBB\xBFid,name,note\r\n";
  for (int i = 0; i < 20000; ++i)
    content += std::to_string(i) + ",name " + std::to_string(i * 7) +
               (i % 3 == 0 ? ",\"multi\nline, \"\"quoted\"\"\"\n" : ",plain\n");
  content += "\"broken\"x\nlast,,";
  std::string plain_path = dir.write("plain.csv", content);
  std::string gzip_path = dir.write_gzip("packed.csv.gz", content);

  auto plain = csv_reader::open(plain_path, {});
  auto gzip = csv_reader::open(gzip_path, {});
  REQUIRE(plain.is_ok());
  REQUIRE(gzip.is_ok());
  record_batch plain_batch;
  record_batch gzip_batch;
  size_t total = 0;
  while (true) {
    auto plain_count = (*plain)->read_batch(plain_batch, 777);
    auto gzip_count = (*gzip)->read_batch(gzip_batch, 777);
    REQUIRE(plain_count.is_ok());
    REQUIRE(gzip_count.is_ok());
    REQUIRE(*plain_count == *gzip_count);
    CHECK(plain_batch.bytes == gzip_batch.bytes);
    CHECK(plain_batch.first_field == gzip_batch.first_field);
    CHECK(plain_batch.line == gzip_batch.line);
    CHECK(plain_batch.error == gzip_batch.error);
    REQUIRE(plain_batch.fields.size() == gzip_batch.fields.size());
    for (size_t i = 0; i < plain_batch.fields.size(); ++i) {
      CHECK(plain_batch.fields[i].offset == gzip_batch.fields[i].offset);
      CHECK(plain_batch.fields[i].length == gzip_batch.fields[i].length);
      CHECK(plain_batch.fields[i].quoted == gzip_batch.fields[i].quoted);
    }
    if (*plain_count == 0)
      break;
    total += *plain_count;
  }
  CHECK(total == 20003);
  CHECK(plain_batch.size() == 0);
  CHECK((*plain)->bytes_consumed() == fs::file_size(plain_path));
  CHECK((*gzip)->bytes_consumed() == fs::file_size(gzip_path));
  CHECK(fs::file_size(gzip_path) < fs::file_size(plain_path));
}

TEST_CASE("csv_reader fails on a corrupt or truncated gzip stream", "[csv_reader]") {
  temp_dir dir;
  std::string content;
  std::mt19937 rng(7);
  for (int i = 0; i < 50000; ++i)
    content += std::to_string(rng()) + "," + std::to_string(rng()) + "\n";
  std::string path = dir.write_gzip("good.csv.gz", content);
  std::ifstream in(path, std::ios::binary);
  std::string packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(packed.size() > 1000);

  std::string broken = packed;
  for (size_t i = packed.size() / 2; i < packed.size() / 2 + 64; ++i)
    broken[i] = static_cast<char>(~broken[i]);
  std::string truncated = packed.substr(0, packed.size() / 2);

  for (const auto& [name, bytes] :
       {std::pair{"broken.csv.gz", broken}, std::pair{"truncated.csv.gz", truncated}}) {
    CAPTURE(name);
    std::string bad_path = dir.write(name, bytes);
    auto reader = csv_reader::open(bad_path, {});
    REQUIRE(reader.is_ok());
    record_batch batch;
    tagd::status failure;
    for (int attempt = 0; attempt < 1000 && failure.is_ok(); ++attempt) {
      auto count = (*reader)->read_batch(batch, 10000);
      if (!count.is_ok())
        failure = count.error();
      else
        REQUIRE(*count > 0); // the end of input must not be reached silently
    }
    CHECK(failure.code() == error_code::io_error);
    CHECK_THAT(failure.message(), Catch::Contains(bad_path));
    // The failure sticks.
    auto again = (*reader)->read_batch(batch, 10);
    CHECK_FALSE(again.is_ok());
  }
}

TEST_CASE("csv_reader fills batches up to max_records", "[csv_reader]") {
  temp_dir dir;
  std::string content;
  for (int i = 1; i <= 10; ++i)
    content += "r" + std::to_string(i) + ",\"v\n" + std::to_string(i) + "\"\n";
  std::string path = dir.write("ten.csv", content);
  auto reader = csv_reader::open(path, {});
  REQUIRE(reader.is_ok());
  record_batch batch;
  std::vector<size_t> counts;
  std::vector<std::string> first_fields;
  for (int call = 0; call < 6; ++call) {
    auto count = (*reader)->read_batch(batch, 3);
    REQUIRE(count.is_ok());
    counts.push_back(*count);
    for (size_t i = 0; i < batch.size(); ++i) {
      first_fields.emplace_back(batch.text(i, 0));
      CHECK(batch.line[i] == 2 * first_fields.size() - 1);
      CHECK(batch.text(i, 1) == "v\n" + std::to_string(first_fields.size()));
    }
  }
  CHECK(counts == std::vector<size_t>{3, 3, 3, 1, 0, 0});
  CHECK(first_fields ==
        std::vector<std::string>{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"});
}

TEST_CASE("csv_reader batches own their bytes", "[csv_reader]") {
  temp_dir dir;
  std::string path = dir.write("owned.csv", "alpha,\"be\"\"ta\"\ngamma,delta\n");
  record_batch batch;
  {
    auto reader = csv_reader::open(path, {});
    REQUIRE(reader.is_ok());
    auto count = (*reader)->read_batch(batch, 10);
    REQUIRE(count.is_ok());
    REQUIRE(*count == 2);
  }
  fs::remove(path);
  std::vector<parsed_record> seen;
  std::thread consumer([&] {
    for (size_t i = 0; i < batch.size(); ++i)
      seen.push_back(record_from(batch, i));
  });
  consumer.join();
  CHECK(seen == records{record_at(1, {unquoted("alpha"), quoted("be\"ta")}),
                        record_at(2, {unquoted("gamma"), unquoted("delta")})});
}

TEST_CASE("csv_reader round-trips random records", "[csv_reader]") {
  uint32_t seed = GENERATE(1u, 2u, 3u, 4u, 5u, std::random_device{}());
  CAPTURE(seed);
  std::mt19937 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };

  const char delimiters[] = {',', '\t', '|', ';'};
  csv_options options;
  options.delimiter = delimiters[rng() % 4];
  options.input_buffer_bytes = chance(50) ? 4 + rng() % 60 : options.input_buffer_bytes;
  CAPTURE(options.delimiter, options.input_buffer_bytes);
  const std::string alphabet = std::string{options.delimiter} + "\"\r\n\"ab ,\\N\xC3\xA9";

  // A writer that knows nothing of the reader: quote what must be quoted, and some more.
  std::string content;
  std::vector<parsed_record> expected;
  uint64_t line = 1;
  size_t record_count = 2000 + rng() % 1000;
  for (size_t r = 0; r < record_count; ++r) {
    while (chance(5)) {
      content += chance(50) ? "\n" : "\r\n";
      ++line;
    }
    parsed_record record{line, "", {}};
    size_t field_count = 1 + rng() % 8;
    for (size_t f = 0; f < field_count; ++f) {
      std::string text;
      if (!chance(25)) {
        size_t length = 1 + rng() % 12;
        for (size_t i = 0; i < length; ++i)
          text += alphabet[rng() % alphabet.size()];
      }
      bool needs_quotes =
          text.find_first_of(std::string{options.delimiter} + "\"\r\n") != std::string::npos ||
          (text.empty() && field_count == 1) || chance(10);
      if (f > 0)
        content += options.delimiter;
      if (needs_quotes) {
        content += '"';
        for (char c : text)
          content += c == '"' ? std::string("\"\"") : std::string(1, c);
        content += '"';
      } else {
        content += text;
      }
      for (char c : text)
        line += c == '\n';
      record.fields.push_back({text, needs_quotes});
    }
    expected.push_back(record);
    bool last = r + 1 == record_count;
    if (!last || chance(50)) {
      content += chance(50) ? "\n" : "\r\n";
      ++line;
    }
  }

  temp_dir dir;
  std::string path = dir.write("random.csv", content);
  auto reader = csv_reader::open(path, options);
  REQUIRE(reader.is_ok());
  std::vector<parsed_record> actual;
  record_batch batch;
  while (true) {
    size_t max_records = 1 + rng() % 64;
    auto count = (*reader)->read_batch(batch, max_records);
    REQUIRE(count.is_ok());
    REQUIRE(*count <= max_records);
    if (*count == 0)
      break;
    for (size_t i = 0; i < batch.size(); ++i)
      actual.push_back(record_from(batch, i));
  }
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    REQUIRE(actual[i] == expected[i]);
  }
  CHECK((*reader)->bytes_consumed() == content.size());
}

TEST_CASE("csv_reader reports a file it cannot open", "[csv_reader]") {
  temp_dir dir;
  std::string missing = dir.path_of("missing.csv");
  auto reader = csv_reader::open(missing, {});
  REQUIRE_FALSE(reader.is_ok());
  CHECK(reader.error().code() == error_code::io_error);
  CHECK_THAT(reader.error().message(), Catch::Contains(missing));
  CHECK_THAT(reader.error().message(), Catch::Contains(std::strerror(ENOENT)));

  auto directory = csv_reader::open(dir.path_of(""), {});
  REQUIRE_FALSE(directory.is_ok());
  CHECK(directory.error().code() == error_code::io_error);
  CHECK_THAT(directory.error().message(), Catch::Contains(std::strerror(EISDIR)));
}

TEST_CASE("csv_reader rejects options it cannot honour", "[csv_reader]") {
  temp_dir dir;
  std::string path = dir.write("any.csv", "a\n");
  csv_options same_as_quote;
  same_as_quote.delimiter = '"';
  csv_options newline_delimiter;
  newline_delimiter.delimiter = '\n';
  csv_options no_room;
  no_room.max_record_bytes = 0;
  csv_options tiny_buffer;
  tiny_buffer.input_buffer_bytes = 3;
  for (const csv_options& options : {same_as_quote, newline_delimiter, no_room, tiny_buffer}) {
    auto reader = csv_reader::open(path, options);
    REQUIRE_FALSE(reader.is_ok());
    CHECK(reader.error().code() == error_code::invalid_argument);
  }
  auto reader = csv_reader::open(path, {});
  REQUIRE(reader.is_ok());
  record_batch batch;
  CHECK((*reader)->read_batch(batch, 0).error().code() == error_code::invalid_argument);
}

TEST_CASE("csv_reader reads bytes in memory from a given line on", "[csv_reader]") {
  std::string bom = "\xEF\xBB\xBF";
  CHECK(read_bytes("a,b\n\n\"c\nd\"\ne\n", {}, 41) ==
        records{record_at(41, {unquoted("a"), unquoted("b")}), record_at(43, {quoted("c\nd")}),
                record_at(45, {unquoted("e")})});
  // A byte order mark is skipped only at the start of a stream.
  CHECK(read_bytes(bom + "x\n", {}, 1) == records{record_at(1, {unquoted("x")})});
  CHECK(read_bytes(bom + "x\n", {}, 2) == records{record_at(2, {unquoted(bom + "x")})});
  CHECK(read_bytes("", {}, 7).empty());
  auto zero = csv_reader::from_bytes("x\n", {}, 0);
  REQUIRE_FALSE(zero.is_ok());
  CHECK(zero.error().code() == error_code::invalid_argument);
  csv_options same;
  same.quote = ',';
  auto bad = csv_reader::from_bytes("x\n", same);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.error().code() == error_code::invalid_argument);
}

TEST_CASE("csv_reader says how the input ended and which line comes next", "[csv_reader]") {
  using input_end = csv_reader::input_end;
  struct example {
    std::string text;
    input_end ended;
    uint64_t next_line;
  };
  for (const example& e : std::vector<example>{{"", input_end::line_end, 10},
                                               {"a\n", input_end::line_end, 11},
                                               {"a\r\n\n", input_end::line_end, 12},
                                               {"a\n\"b\nc\"\n", input_end::line_end, 13},
                                               {"a", input_end::no_line_end, 10},
                                               {"a\nb,", input_end::no_line_end, 11},
                                               {"a\n\"b\"", input_end::no_line_end, 11},
                                               {"a\r", input_end::no_line_end, 10},
                                               {"\"a\"x", input_end::no_line_end, 10},
                                               {"a\n\"b\n", input_end::inside_quotes, 12},
                                               {"\"", input_end::inside_quotes, 10}}) {
    CAPTURE(e.text);
    auto reader = csv_reader::from_bytes(e.text, {}, 10);
    REQUIRE(reader.is_ok());
    read_all(**reader);
    CHECK((*reader)->how_input_ended() == e.ended);
    CHECK((*reader)->next_line() == e.next_line);
    CHECK((*reader)->bytes_consumed() == e.text.size());
  }
}
