#include "actors/errors.hpp"
#include "actors/interfaces.hpp"

#include "shards/database.hpp"

namespace tagd::actors {

shard_actor::behavior_type shard(shard_actor::pointer self, database* db, uint32_t vshard) {
  return {
      [=](count_atom, const count_request& r) -> caf::result<uint64_t> {
        if (clock::now() >= r.deadline) // queued past its deadline: not worth starting
          return to_caf_error(status(error_code::deadline_exceeded,
                                     "vshard " + std::to_string(vshard) + " reached too late"));
        auto count = db->count_vshard(*r.plan, vshard);
        if (!count)
          return to_caf_error(count.error());
        return *count;
      },
  };
}

} // namespace tagd::actors
