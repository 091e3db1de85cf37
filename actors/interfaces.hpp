#pragma once
// Every actor interface of a tagd node, in one place (STYLE.md §2). A request that spans
// vshards goes coordinator → node manager → shard actors; a single-key request goes straight
// to the shard actor that owns the key's vshard.

#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <string>
#include <vector>

namespace tagd::actors {

// One vshard: owns the reads and writes of its LMDB environment.
using shard_actor = caf::typed_actor<
    caf::replies_to<count_atom, count_request>::with<uint64_t>,
    caf::replies_to<breakdown_atom, breakdown_part_request>::with<std::map<std::string, uint64_t>>,
    // stores this vshard's members of a pending group version; replies with their count
    caf::replies_to<select_atom, select_part_request>::with<uint64_t>,
    // keys all of this vshard → the ordinals of the known ones, the indexes of the others
    caf::replies_to<resolve_atom, resolve_part_request>::with<resolved_part>,
    // stores this vshard's part of a pending group version; replies with its count
    caf::replies_to<upload_atom, upload_part_request>::with<uint64_t>,
    caf::replies_to<export_atom, export_part_request>::with<export_part>,
    // keys all of this vshard → membership of each
    caf::replies_to<contains_atom, contains_request>::with<std::vector<bool>>,
    // a key of this vshard → every group (latest version) holding it
    caf::replies_to<groups_atom, groups_of_request>::with<std::vector<std::string>>,
    // writes this vshard's real-time changes in one commit; replies with the rows removed
    caf::replies_to<realtime_atom, realtime_part_request>::with<uint64_t>>;

// One node: fans a request out to its shard actors and merges their answers into one reply.
using node_manager_actor = caf::typed_actor<
    caf::replies_to<count_atom, count_request>::with<uint64_t>,
    caf::replies_to<breakdown_atom, breakdown_part_request>::with<std::map<std::string, uint64_t>>,
    caf::replies_to<select_atom, select_part_request>::with<uint64_t>,
    caf::replies_to<resolve_atom, resolve_parts_request>::with<resolved_keys>,
    caf::replies_to<upload_atom, upload_parts_request>::with<uint64_t>,
    caf::replies_to<export_atom, export_part_request>::with<export_parts_reply>,
    caf::replies_to<contains_atom, contains_parts_request>::with<std::vector<bool>>,
    caf::replies_to<realtime_atom, realtime_parts_request>::with<uint64_t>>;

// Plans a client request against the catalog, fans it out to node managers, merges.
using coordinator_actor =
    caf::typed_actor<caf::replies_to<estimate_atom, query_request>::with<estimate_reply>,
                     caf::replies_to<breakdown_atom, breakdown_request>::with<breakdown_reply>,
                     caf::replies_to<select_atom, select_request>::with<select_reply>,
                     caf::replies_to<resolve_atom, resolve_request>::with<resolved_keys>,
                     caf::replies_to<upload_atom, upload_request>::with<group_version_info>,
                     caf::replies_to<export_atom, export_request>::with<export_reply>,
                     caf::replies_to<contains_atom, contains_many_request>::with<std::vector<bool>>,
                     caf::replies_to<upsert_atom, upsert_request>::with<uint64_t>,
                     caf::replies_to<remove_atom, remove_request>::with<uint64_t>>;

} // namespace tagd::actors

namespace tagd {
class database;
}

namespace tagd::actors {

// The behaviors, one actor per file. `db` must outlive the actor system.
// `injected_delay` is a test seam (tagd --inject-shard-delay-ms): every count waits that long.
shard_actor::behavior_type shard(shard_actor::pointer self, database* db, uint32_t vshard,
                                 std::chrono::milliseconds injected_delay);
// `shards[v]` is the shard actor of vshard v (a node holds all of them, for now).
node_manager_actor::behavior_type node_manager(node_manager_actor::pointer self,
                                               std::vector<shard_actor> shards);
coordinator_actor::behavior_type coordinator(coordinator_actor::pointer self, database* db,
                                             std::vector<node_manager_actor> nodes);

} // namespace tagd::actors
