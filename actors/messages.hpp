#pragma once
// The messages actors exchange: one struct per request and reply. Within a node they carry a
// bound plan by shared pointer (the coordinator binds once, every shard reads the same plan);
// between nodes (the cluster issue) they will carry the expression and the pinned versions.

#include "shards/database.hpp"
#include "shards/query_plan.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tagd::actors {

using clock = std::chrono::steady_clock;

// Atoms name the verb of a request (at most 10 characters).
using count_atom = caf::atom_constant<caf::atom("count")>;
using estimate_atom = caf::atom_constant<caf::atom("estimate")>;
using breakdown_atom = caf::atom_constant<caf::atom("breakdown")>;
using select_atom = caf::atom_constant<caf::atom("select")>;
using upload_atom = caf::atom_constant<caf::atom("upload")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using export_atom = caf::atom_constant<caf::atom("export")>;
using contains_atom = caf::atom_constant<caf::atom("contains")>;
using groups_atom = caf::atom_constant<caf::atom("groups")>;
using upsert_atom = caf::atom_constant<caf::atom("upsert")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using part_atom = caf::atom_constant<caf::atom("part")>;         // one vshard's (or node's) share
using realtime_atom = caf::atom_constant<caf::atom("realtime")>; // checked real-time changes

// Count the matches of a plan on every vshard a node holds (node manager) or on one (shard).
struct count_request {
  std::shared_ptr<const query_plan> plan;
  clock::time_point deadline;
};

// An expression from a client, to be bound against the catalog.
struct query_request {
  std::string entity;     // "" means default_entity()
  std::string expression; // text form (docs/expressions.md)
  int64_t now = 0;        // seconds since the epoch for WITHIN; 0: the node's clock
  clock::time_point deadline;
  // Pinned versions (a snapshot an earlier answer named); empty: the current ones.
  std::map<std::string, uint32_t> pinned_tables;
  std::map<std::string, uint32_t> pinned_groups;
};

// What a query read: the catalog version and the table and group versions the plan named.
struct snapshot_info {
  uint64_t catalog_version = 0;
  std::map<std::string, uint32_t> tables; // table → storage id
  std::map<std::string, uint32_t> groups; // group → version
};

struct estimate_reply {
  uint64_t count = 0;
  snapshot_info snapshot;
};

struct breakdown_request {
  query_request query;
  std::string tag;
};

struct breakdown_reply {
  std::map<std::string, uint64_t> counts; // value → entities, values with a count > 0
  snapshot_info snapshot;
};

struct select_request {
  std::string group; // created for the query's entity type when it does not exist
  query_request query;
};

struct select_reply {
  group_version_info version;
  snapshot_info snapshot;
};

// The per-vshard steps behind breakdown, select, upload and export (node manager → shards).
struct breakdown_part_request {
  std::shared_ptr<const breakdown_plan> plan;
  clock::time_point deadline;
};

struct select_part_request {
  pending_group_version pending;
  std::shared_ptr<const query_plan> plan;
  clock::time_point deadline;
};

// An upload in two steps (node/group_upload.hpp): each batch of keys is resolved as it arrives,
// then the members of every vshard are stored as one new group version.

// Keys of an entity type to resolve against the vshards (coordinator).
struct resolve_request {
  std::string entity; // "" means default_entity()
  std::vector<std::string> keys;
  clock::time_point deadline;
};

// What the vshards know of some keys: the ordinals of the known ones by vshard, and the unknown
// ones with their position in the request, in no particular order (node manager, coordinator).
struct resolved_keys {
  std::map<uint32_t, std::vector<uint32_t>> ordinals;
  std::vector<std::pair<size_t, std::string>> unknown;
};

// A node's share of a resolve_request, split by vshard (node manager).
struct resolve_parts_request {
  std::string entity;
  std::shared_ptr<const std::map<uint32_t, keys_of_vshard>> keys;
  clock::time_point deadline;
};

// One vshard's share (shard actor): a view into the coordinator's split, which it keeps alive
// (a batch can be a hundred thousand keys; copying each share cost a copy of every key).
struct resolve_part_request {
  std::string entity;
  std::shared_ptr<const keys_of_vshard> keys;
  clock::time_point deadline;
};

// Resolved members, one bitmap per vshard, as the next version of `group` (coordinator; the
// group is created for `entity` if it does not exist). Made for this one request: each
// vshard's bitmap is moved out to its shard actor.
struct upload_request {
  std::string group;
  std::string entity; // "" means default_entity()
  std::shared_ptr<std::vector<bitmap>> members;
  clock::time_point deadline;
};

// A node's share: every vshard stores its part, empty or not (node manager).
struct upload_parts_request {
  pending_group_version pending;
  std::shared_ptr<std::vector<bitmap>> members; // by vshard
  clock::time_point deadline;
};

// One vshard's part; the reply is how many members it has (shard actor).
struct upload_part_request {
  pending_group_version pending;
  std::shared_ptr<bitmap> members;
  clock::time_point deadline;
};

struct export_part_request {
  std::string group;
  uint32_t version = 0; // a number, resolved by the coordinator
  clock::time_point deadline;
  bool with_text = true; // false: only rows, bytes and CRC-32 (the text is made again to be read)
};

struct export_parts_reply {
  std::vector<export_part> parts;
};

// A group version as files: one part per vshard, keys one per line. The reply describes every
// part (rows, bytes, CRC-32) without its text, which export_session reads part by part.
struct export_request {
  std::string group;
  uint32_t version = 0; // 0: the latest
  clock::time_point deadline;
};

struct export_reply {
  group_version_info version;
  std::vector<export_part> parts; // by vshard
};

// Membership of keys of one vshard (the shard actor owning it answers).
struct contains_request {
  std::string group;
  uint32_t version = 0;                 // a number: the RPC layer resolves "latest" before asking
  std::vector<std::string> stored_keys; // see database::locate_key
  clock::time_point deadline;
};

// Membership of many keys, answered in the order given (coordinator).
struct contains_many_request {
  std::string group;
  uint32_t version = 0; // a number, as above
  std::string entity;   // the group's entity type
  std::vector<std::string> keys;
  clock::time_point deadline;
};

// A node's share of a contains_many_request: its keys split by vshard (node manager). The reply
// has one answer per key of the whole request, false at the positions of other nodes' keys.
struct contains_parts_request {
  std::string group;
  uint32_t version = 0;
  // Made for this one request: the node manager moves each vshard's stored keys out to its
  // shard actor (only positions are read afterwards).
  std::shared_ptr<std::map<uint32_t, keys_of_vshard>> keys;
  size_t request_keys = 0;
  clock::time_point deadline;
};

struct groups_of_request {
  std::string entity;
  std::string key;
  clock::time_point deadline;
};

struct upsert_request {
  std::string table;
  std::vector<realtime_row> rows;
  clock::time_point deadline;
};

struct remove_request {
  std::string table;
  std::vector<std::string> keys;
  clock::time_point deadline;
};

// A node's share of a checked real-time write (node manager). Made for this one request: the
// node manager moves each vshard's changes out to its shard actor.
struct realtime_parts_request {
  std::shared_ptr<realtime_batch> batch;
  clock::time_point deadline;
};

// One vshard's changes (shard actor); the reply is how many rows they removed.
struct realtime_part_request {
  std::string table;
  std::vector<realtime_change> changes;
  clock::time_point deadline;
};

} // namespace tagd::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::count_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::query_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::estimate_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::breakdown_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::breakdown_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::select_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::select_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::upload_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::group_version_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::resolve_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::resolved_keys)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::resolve_parts_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::resolve_part_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::resolved_part)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::export_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::breakdown_part_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::select_part_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::upload_parts_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::upload_part_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::export_part_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::export_part)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::export_parts_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::export_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::contains_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::contains_many_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::contains_parts_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::groups_of_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::upsert_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::remove_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::realtime_parts_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tagd::actors::realtime_part_request)
