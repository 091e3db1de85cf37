#include "actors/fan_out.hpp"
#include "actors/interfaces.hpp"

#include "shards/database.hpp"
#include "shards/expression.hpp"

namespace tagd::actors {

namespace {

snapshot_info snapshot_of(const query_plan& plan) {
  return {plan.catalog_version, plan.table_versions, plan.group_versions};
}

// Parses and binds a request against the node's catalog.
result<std::shared_ptr<const query_plan>> plan_request(database& db, const estimate_request& r) {
  TAGD_TRY_ASSIGN(parsed, parse_expression(r.expression));
  query_options options;
  if (r.now != 0)
    options.now = r.now;
  TAGD_TRY_ASSIGN(bound, db.plan(r.entity.empty() ? "user" : r.entity, parsed, options));
  return std::make_shared<const query_plan>(std::move(bound));
}

} // namespace

coordinator_actor::behavior_type coordinator(coordinator_actor::pointer self, database* db,
                                             std::vector<node_manager_actor> nodes) {
  return {
      [=](estimate_atom, const estimate_request& r) -> caf::result<estimate_reply> {
        auto plan = plan_request(*db, r);
        if (!plan)
          return to_caf_error(plan.error());
        estimate_reply reply;
        reply.snapshot = snapshot_of(**plan);
        auto known = db->count_from_stored_counts(**plan);
        if (!known)
          return to_caf_error(known.error());
        if (*known) {
          reply.count = **known;
          return reply;
        }
        auto promise = self->make_response_promise<estimate_reply>();
        fan_out_sum(
            self, nodes, r.deadline,
            [promise, reply](caf::expected<uint64_t> total) mutable {
              if (!total) {
                promise.deliver(total.error());
                return;
              }
              reply.count = *total;
              promise.deliver(std::move(reply));
            },
            count_atom::value, count_request{*plan, r.deadline});
        return promise;
      },
  };
}

} // namespace tagd::actors
