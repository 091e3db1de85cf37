// tagd_datagen: writes the benchmark's four CSV files (bench/data_generator.hpp).
// Usage: tagd_datagen --users N --out DIR [--seed S] [--string-keys]

#include "bench/data_generator.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  tagd::bench::generator_options options;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--users" && has_value)
      options.users = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && has_value)
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--out" && has_value)
      out = argv[++i];
    else if (a == "--string-keys")
      options.string_keys = true;
    else {
      std::fprintf(stderr, "usage: tagd_datagen --users N --out DIR [--seed S] [--string-keys]\n");
      return 64;
    }
  }
  if (options.users == 0 || out.empty()) {
    std::fprintf(stderr, "usage: tagd_datagen --users N --out DIR [--seed S] [--string-keys]\n");
    return 64;
  }
  try {
    std::filesystem::create_directories(out);
    for (const auto& f : tagd::bench::generate_data(options, out))
      std::printf("%s: %llu rows, %llu bytes, %.2f s (%.2f M rows/s)\n", f.path.c_str(),
                  static_cast<unsigned long long>(f.rows), static_cast<unsigned long long>(f.bytes),
                  f.seconds, f.rows / f.seconds / 1e6);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tagd_datagen: %s\n", e.what());
    return 1;
  }
  return 0;
}
