#pragma once
// A stand-in for a tagd node while the real one (node/) is being written: it speaks the real
// wire contract (protocol/tagd.capnp) over loopback TCP on its own thread, keeps tables and
// groups in memory, and records what the client sent so tests can check it. It checks batches
// with its own CSV rules, independent of the client's.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace tagd::client::testing {

struct fake_state {
  uint64_t catalog_version = 1;
  std::set<std::string> entities{"user"};
  std::map<std::string, uint32_t> tables;                 // name → column count
  std::map<std::string, std::vector<std::string>> groups; // name → members of the last version
  std::map<std::string, uint32_t> group_versions;

  // import: every batch as received, and whether each one held only whole records
  std::vector<std::string> batches;
  bool batches_whole = true;
  std::string committed; // the concatenated batches of the last committed load
  bool aborted = false;

  // the last query
  std::string expression;
  std::string entity;
  int64_t now = 0;
  uint32_t deadline_ms = 0;
  uint64_t pinned_catalog = 0;

  size_t largest_key_list = 0; // containsMany
  size_t most_in_flight = 0;   // concurrent calls waiting on the "slow" group
  size_t in_flight = 0;
  std::vector<std::vector<std::string>> upserted; // per upserted row: key then fields ("\N" null)
};

struct fake_options {
  uint32_t parts = 4;
  uint32_t max_read = 0;    // cap on Export.read's answer (0: none), to force short reads
  bool corrupt_crc = false; // announce a wrong CRC-32 for part 1
  uint32_t slow_ms = 20;    // how long calls on the group "slow" wait
};

class fake_node {
 public:
  explicit fake_node(fake_options options = {});
  ~fake_node();
  fake_node(const fake_node&) = delete;
  fake_node& operator=(const fake_node&) = delete;

  unsigned port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Closes every connection and stops listening.
  void stop();

  // A copy of the state, or a change to it, under the node's lock.
  fake_state state();
  template <class F>
  void change(F&& f) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    f(shared_->state);
  }

  struct shared {
    std::mutex mutex;
    fake_state state;
    fake_options options;
  };

 private:
  struct impl;
  std::shared_ptr<shared> shared_;
  std::unique_ptr<impl> impl_;
  unsigned port_ = 0;
};

} // namespace tagd::client::testing
