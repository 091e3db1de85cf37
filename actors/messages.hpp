#pragma once
// The messages actors exchange: one struct per request and reply. Within a node they carry a
// bound plan by shared pointer (the coordinator binds once, every shard reads the same plan);
// between nodes (the cluster issue) they will carry the expression and the pinned versions.

#include "shards/query_plan.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace tagd::actors {

using clock = std::chrono::steady_clock;

// Atoms name the verb of a request (at most 10 characters).
using count_atom = caf::atom_constant<caf::atom("count")>;
using estimate_atom = caf::atom_constant<caf::atom("estimate")>;

// Count the matches of a plan on every vshard a node holds (node manager) or on one (shard).
struct count_request {
  std::shared_ptr<const query_plan> plan;
  clock::time_point deadline;
};

struct estimate_request {
  std::string entity;
  std::string expression; // text form (docs/expressions.md)
  int64_t now = 0;        // seconds since the epoch for WITHIN; 0: the node's clock
  clock::time_point deadline;
};

// What a count read: the catalog version and the table and group versions the plan named.
struct snapshot_info {
  uint64_t catalog_version = 0;
  std::map<std::string, uint32_t> tables; // table → storage id
  std::map<std::string, uint32_t> groups; // group → version
};

struct estimate_reply {
  uint64_t count = 0;
  snapshot_info snapshot;
};

} // namespace tagd::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::count_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::estimate_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::estimate_reply)
