#pragma once
// Every actor interface of a tagd node, in one place (STYLE.md §2). A request that spans
// vshards goes coordinator → node manager → shard actors; a single-key request goes straight
// to the shard actor that owns the key's vshard.

#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

namespace tagd::actors {

// One vshard: owns the reads and writes of its LMDB environment.
using shard_actor = caf::typed_actor<caf::replies_to<count_atom, count_request>::with<uint64_t>>;

// One node: fans a request out to its shard actors and merges their answers into one reply.
using node_manager_actor =
    caf::typed_actor<caf::replies_to<count_atom, count_request>::with<uint64_t>>;

// Plans a client request against the catalog, fans it out to node managers, merges.
using coordinator_actor =
    caf::typed_actor<caf::replies_to<estimate_atom, estimate_request>::with<estimate_reply>>;

} // namespace tagd::actors

namespace tagd {
class database;
}

namespace tagd::actors {

// The behaviors, one actor per file. A shard actor reads vshard `vshard` of `db`; `db` must
// outlive the actor system.
shard_actor::behavior_type shard(shard_actor::pointer self, database* db, uint32_t vshard);
node_manager_actor::behavior_type node_manager(node_manager_actor::pointer self,
                                               std::vector<shard_actor> shards);
coordinator_actor::behavior_type coordinator(coordinator_actor::pointer self, database* db,
                                             std::vector<node_manager_actor> nodes);

} // namespace tagd::actors
