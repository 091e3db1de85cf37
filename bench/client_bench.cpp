// client_bench: request latency and validation throughput of the client library against a
// running node, in both threading modes (docs/client.md, "Performance").
//   client_bench [HOST:PORT] [KEYS]
// Uploads KEYS keys (default 1,000,000: "0".."KEYS-1") as the group client_bench, then measures
// ping and contains latency, contains with 32 calls in flight, and contains_many throughput.
// Every answer is checked: even keys are members, odd ones not.

#include "client/tagd_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <string>
#include <vector>

using namespace tagd::client;
using clock_type = std::chrono::steady_clock;

namespace {

const char* const group = "client_bench";

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// p50 and p99 of `calls` runs of `call`, in microseconds.
void latency(const char* what, int calls, const std::function<void()>& call) {
  std::vector<double> us;
  for (int i = 0; i < calls; ++i) {
    auto start = clock_type::now();
    call();
    us.push_back(seconds_since(start) * 1e6);
  }
  std::sort(us.begin(), us.end());
  std::printf("%-52s p50 %7.1f us   p99 %7.1f us\n", what, us[us.size() / 2],
              us[us.size() * 99 / 100]);
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wrong answer: %s\n", what);
    std::exit(1);
  }
}

} // namespace

int main(int argc, char** argv) {
  std::string address = argc > 1 ? argv[1] : "127.0.0.1:7411";
  size_t count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  try {
    connection setup(address);
    std::vector<std::string> members;
    std::vector<std::string> probes; // members and non-members, alternating
    for (size_t i = 0; i < count; ++i) {
      probes.push_back(std::to_string(i));
      if (i % 2 == 0)
        members.push_back(probes.back());
    }
    auto uploaded = setup.upload(group, "", members);
    uint32_t version = uploaded.version.version;
    std::printf("group %s version %u: %zu members of %zu keys\n\n", group, version, members.size(),
                count);

    for (auto mode : {threading::background_thread, threading::caller_thread}) {
      connection_options options;
      options.mode = mode;
      connection c(address, options);
      const char* name = mode == threading::caller_thread ? "caller thread" : "background thread";
      std::printf("-- %s\n", name);
      latency("ping", 20000, [&] { c.ping(); });
      size_t next = 0;
      latency("contains (one key)", 20000, [&] {
        size_t i = next++ % count;
        check(c.contains(group, probes[i], version) == (i % 2 == 0), "contains");
      });
      for (size_t batch : {size_t{1000}, size_t{100000}}) {
        for (unsigned in_flight : {1u, 8u}) {
          connection_options o = options;
          o.max_keys_per_request = batch;
          o.requests_in_flight = in_flight;
          connection many(address, o);
          auto start = clock_type::now();
          auto answers = many.contains_many(group, probes, version);
          double s = seconds_since(start);
          for (size_t i = 0; i < count; ++i)
            check(answers[i] == (i % 2 == 0), "contains_many");
          std::printf("contains_many, %6zu keys per request, %u in flight  %8.2f M keys/s\n", batch,
                      in_flight, static_cast<double>(count) / s / 1e6);
        }
      }
      if (mode == threading::background_thread) {
        constexpr size_t calls = 100000, window = 32;
        std::deque<std::pair<size_t, std::future<bool>>> pending;
        auto start = clock_type::now();
        for (size_t i = 0; i < calls; ++i) {
          if (pending.size() == window) {
            check(pending.front().second.get() == (pending.front().first % 2 == 0), "async");
            pending.pop_front();
          }
          size_t k = i % count;
          pending.emplace_back(k, c.contains_async(group, probes[k], version));
        }
        for (auto& [k, answer] : pending)
          check(answer.get() == (k % 2 == 0), "async");
        std::printf("contains_async, 32 in flight %26.0f calls/s\n", calls / seconds_since(start));
      }
      std::printf("\n");
    }
  } catch (const error& e) {
    std::fprintf(stderr, "error: %s: %s\n", e.code().c_str(), e.message().c_str());
    return 1;
  }
}
