#include "actors/fan_out.hpp"
#include "actors/interfaces.hpp"

namespace tagd::actors {

node_manager_actor::behavior_type node_manager(node_manager_actor::pointer self,
                                               std::vector<shard_actor> shards) {
  return {
      [=](count_atom verb, const count_request& r) -> caf::result<uint64_t> {
        auto promise = self->make_response_promise<uint64_t>();
        fan_out_sum(
            self, shards, r.deadline,
            [promise](caf::expected<uint64_t> total) mutable {
              if (total)
                promise.deliver(*total);
              else
                promise.deliver(total.error());
            },
            verb, r);
        return promise;
      },
  };
}

} // namespace tagd::actors
