#pragma once
// Everything an operator can set on a node: the command line, or an INI file given with
// --config (the command line wins). With neither, tagd runs the embedded default: a
// single-node cluster on ./tagd-data, serving RPC on 127.0.0.1:7411.

#include <cstdint>
#include <optional>
#include <string>

namespace tagd::node {

struct limits {
  uint32_t max_message_mb = 64; // a larger request is refused by Cap'n Proto
  uint32_t max_expression_bytes = 65536;
  uint32_t max_expression_depth = 64;
  uint32_t max_batch_keys = 100000;  // keys of one containsMany / remove, rows of one upsert
  uint32_t max_import_chunk_mb = 16; // bytes of one Import.addRows call
};

struct node_options {
  std::string data_dir = "tagd-data";
  std::string listen = "127.0.0.1:7411"; // host:port; port 0 picks a free port
  uint32_t vshards = 0;                  // for a new data directory; 0: from expected_keys
  uint64_t expected_keys = 1000000;      // keys of the largest entity type, to size vshards
  uint32_t deadline_ms = 30000;          // default deadline of a request
  uint32_t threads = 2;                  // CAF scheduler workers (both cores of this machine)
  std::string scheduler = "sharing";     // CAF's scheduler policy: "sharing" or "stealing"
  std::string log_level = "info";
  std::string port_file;              // if set, the bound port is written there once listening
  bool no_sync = false;               // LMDB without fsync: fast, not durable (tests, benchmarks)
  bool no_key_index = false;          // look keys up in LMDB only (database_options::key_index)
  uint32_t inject_shard_delay_ms = 0; // test seam: shard actors wait this long per count
  // Test seam: exports serve their first part altered after it was described: "digit" (one digit
  // changed: a bad CRC-32) or "short" (its last byte missing); "" for none.
  std::string inject_export_fault;
  limits limit;
};

// Parses argv. Returns nullopt after printing --help or --version; throws std::runtime_error
// with a readable message on a bad option, an unreadable config file or an invalid value.
std::optional<node_options> parse_options(int argc, char** argv);

} // namespace tagd::node
