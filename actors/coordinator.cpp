#include "actors/fan_out.hpp"
#include "actors/interfaces.hpp"

#include "shards/database.hpp"
#include "shards/expression.hpp"

#include <iterator>

namespace tagd::actors {

namespace {

snapshot_info snapshot_of(const query_plan& plan) {
  return {plan.catalog_version, plan.table_versions, plan.group_versions};
}

query_options options_of(const query_request& r) {
  query_options options;
  if (r.now != 0)
    options.now = r.now;
  options.table_versions = r.pinned_tables;
  options.group_versions = r.pinned_groups;
  return options;
}

status check_deadline(clock::time_point deadline) {
  if (clock::now() >= deadline)
    return status(error_code::deadline_exceeded, "the request's deadline passed before it started");
  return status::ok();
}

// Parses and binds a request against the node's catalog; `canonical` gets the expression as
// printed from its syntax tree (what a group version records).
result<std::shared_ptr<const query_plan>> plan_request(database& db, const query_request& r,
                                                       std::string* canonical = nullptr) {
  TAGD_TRY(check_deadline(r.deadline));
  TAGD_TRY_ASSIGN(parsed, parse_expression(r.expression));
  if (canonical)
    *canonical = to_string(parsed);
  TAGD_TRY_ASSIGN(bound, db.plan(entity_or_default(r.entity), parsed, options_of(r)));
  return std::make_shared<const query_plan>(std::move(bound));
}

// The group's next version, creating the group for `entity` if it does not exist yet.
result<pending_group_version> begin_version(database& db, const std::string& group,
                                            const std::string& entity) {
  if (!db.snapshot()->find_group(group))
    if (status defined = db.define_group(group, entity);
        !defined && defined.code() != error_code::already_exists)
      return defined;
  return db.begin_group_version(group, entity);
}

uint64_t sum(const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts)
    total += c;
  return total;
}

} // namespace

coordinator_actor::behavior_type coordinator(coordinator_actor::pointer self, database* db,
                                             std::vector<node_manager_actor> nodes) {
  return {
      [=](estimate_atom, const query_request& r) -> caf::result<estimate_reply> {
        auto plan = plan_request(*db, r);
        if (!plan)
          return to_caf_error(plan.error());
        estimate_reply answer;
        answer.snapshot = snapshot_of(**plan);
        auto known = db->count_from_stored_counts(**plan);
        if (!known)
          return to_caf_error(known.error());
        if (*known) {
          answer.count = **known;
          return answer;
        }
        auto promise = self->make_response_promise<estimate_reply>();
        fan_out_same<uint64_t>(self, nodes, r.deadline,
                               deliver_folded<uint64_t>(promise,
                                                        [answer](std::vector<uint64_t> counts) {
                                                          estimate_reply done = answer;
                                                          done.count = sum(counts);
                                                          return done;
                                                        }),
                               count_atom::value, count_request{*plan, r.deadline});
        return promise;
      },
      [=](breakdown_atom, const breakdown_request& r) -> caf::result<breakdown_reply> {
        if (status late = check_deadline(r.query.deadline); !late)
          return to_caf_error(late);
        auto plan = db->plan_breakdown(entity_or_default(r.query.entity), r.query.expression, r.tag,
                                       options_of(r.query));
        if (!plan)
          return to_caf_error(plan.error());
        auto shared = std::make_shared<const breakdown_plan>(std::move(*plan));
        snapshot_info seen = snapshot_of(shared->matches);
        using counts = std::map<std::string, uint64_t>;
        auto promise = self->make_response_promise<breakdown_reply>();
        fan_out_same<counts>(self, nodes, r.query.deadline,
                             deliver_folded<counts>(promise,
                                                    [seen](std::vector<counts> parts) {
                                                      breakdown_reply done{{}, seen};
                                                      for (const counts& part : parts)
                                                        for (const auto& [value, n] : part)
                                                          done.counts[value] += n;
                                                      return done;
                                                    }),
                             breakdown_atom::value,
                             breakdown_part_request{shared, r.query.deadline});
        return promise;
      },
      [=](select_atom, const select_request& r) -> caf::result<select_reply> {
        std::string canonical;
        auto plan = plan_request(*db, r.query, &canonical);
        if (!plan)
          return to_caf_error(plan.error());
        auto pending = begin_version(*db, r.group, (*plan)->entity);
        if (!pending)
          return to_caf_error(pending.error());
        auto promise = self->make_response_promise<select_reply>();
        auto shared_plan = *plan;
        fan_out_same<uint64_t>(
            self, nodes, r.query.deadline,
            [=](caf::expected<std::vector<uint64_t>> counts) mutable {
              if (!counts) {
                (void)db->abort_group_version(*pending);
                promise.deliver(counts.error());
                return;
              }
              auto version = db->commit_group_version(*pending, sum(*counts), canonical,
                                                      shared_plan->table_versions);
              if (!version)
                promise.deliver(to_caf_error(version.error()));
              else
                promise.deliver(select_reply{*version, snapshot_of(*shared_plan)});
            },
            select_atom::value, select_part_request{*pending, shared_plan, r.query.deadline});
        return promise;
      },
      [=](resolve_atom verb, resolve_request& r) -> caf::result<resolved_keys> {
        if (status late = check_deadline(r.deadline); !late)
          return to_caf_error(late);
        auto keys = db->keys_by_vshard(entity_or_default(r.entity), std::move(r.keys));
        if (!keys)
          return to_caf_error(keys.error());
        auto shared_keys =
            std::make_shared<const std::map<uint32_t, keys_of_vshard>>(std::move(*keys));
        auto promise = self->make_response_promise<resolved_keys>();
        fan_out_same<resolved_keys>(
            self, nodes, r.deadline,
            deliver_folded<resolved_keys>(promise,
                                          [](std::vector<resolved_keys> parts) {
                                            resolved_keys merged;
                                            for (resolved_keys& part : parts) {
                                              merged.ordinals.merge(part.ordinals);
                                              std::move(part.unknown.begin(), part.unknown.end(),
                                                        std::back_inserter(merged.unknown));
                                            }
                                            return merged;
                                          }),
            verb, resolve_parts_request{entity_or_default(r.entity), shared_keys, r.deadline});
        return promise;
      },
      [=](upload_atom verb, upload_request& r) -> caf::result<group_version_info> {
        if (status late = check_deadline(r.deadline); !late)
          return to_caf_error(late);
        if (!r.members || r.members->size() != db->vshard_count())
          return to_caf_error(
              status(error_code::internal, "an upload needs one bitmap of members per vshard"));
        auto pending = begin_version(*db, r.group, entity_or_default(r.entity));
        if (!pending)
          return to_caf_error(pending.error());
        auto promise = self->make_response_promise<group_version_info>();
        fan_out_same<uint64_t>(
            self, nodes, r.deadline,
            [=](caf::expected<std::vector<uint64_t>> parts) mutable {
              if (!parts) {
                (void)db->abort_group_version(*pending);
                promise.deliver(parts.error());
                return;
              }
              auto version = db->commit_group_version(*pending, sum(*parts), "", {});
              if (!version)
                promise.deliver(to_caf_error(version.error()));
              else
                promise.deliver(*version);
            },
            verb, upload_parts_request{*pending, r.members, r.deadline});
        return promise;
      },
      [=](export_atom, const export_request& r) -> caf::result<export_reply> {
        if (status late = check_deadline(r.deadline); !late)
          return to_caf_error(late);
        std::optional<uint32_t> wanted;
        if (r.version != 0)
          wanted = r.version;
        auto state = db->snapshot();
        auto found = state->find_group_version(r.group, wanted);
        if (!found)
          return to_caf_error(found.error());
        group_version_info info{r.group, found->second->version, found->second->count};
        auto promise = self->make_response_promise<export_reply>();
        fan_out_same<export_parts_reply>(
            self, nodes, r.deadline,
            [=](caf::expected<std::vector<export_parts_reply>> replies) mutable {
              if (!replies) {
                promise.deliver(replies.error());
                return;
              }
              export_reply answer{info, {}};
              uint64_t rows = 0;
              for (auto& reply : *replies)
                for (auto& part : reply.parts) {
                  rows += part.rows;
                  answer.parts.push_back(std::move(part));
                }
              std::sort(
                  answer.parts.begin(), answer.parts.end(),
                  [](const export_part& a, const export_part& b) { return a.vshard < b.vshard; });
              if (rows != info.count) // never ship a version that does not add up
                promise.deliver(to_caf_error(
                    status(error_code::corruption, "group '" + info.group + "' version " +
                                                       std::to_string(info.version) + " exported " +
                                                       std::to_string(rows) + " keys, but holds " +
                                                       std::to_string(info.count))));
              else
                promise.deliver(std::move(answer));
            },
            export_atom::value, export_part_request{r.group, info.version, r.deadline, false});
        return promise;
      },
      [=](contains_atom verb, contains_many_request& r) -> caf::result<std::vector<bool>> {
        if (status late = check_deadline(r.deadline); !late)
          return to_caf_error(late);
        size_t n = r.keys.size();
        auto keys = db->keys_by_vshard(r.entity, std::move(r.keys));
        if (!keys)
          return to_caf_error(keys.error());
        // One node holds every vshard for now; the cluster splits the keys by node here.
        contains_parts_request parts{
            r.group, r.version,
            std::make_shared<std::map<uint32_t, keys_of_vshard>>(std::move(*keys)), n, r.deadline};
        auto promise = self->make_response_promise<std::vector<bool>>();
        fan_out_same<std::vector<bool>>(
            self, nodes, r.deadline,
            deliver_folded<std::vector<bool>>(promise,
                                              [n](std::vector<std::vector<bool>> of_nodes) {
                                                // each node answered for its own keys only
                                                std::vector<bool> answers(n, false);
                                                for (const auto& found : of_nodes)
                                                  for (size_t i = 0; i < n; ++i)
                                                    if (found[i])
                                                      answers[i] = true;
                                                return answers;
                                              }),
            verb, parts);
        return promise;
      },
      // Real-time writes: checked here as a whole (a bad row writes nothing), then each vshard's
      // changes are written by its shard actor, one commit per vshard.
      [=](upsert_atom, const upsert_request& r) -> caf::result<uint64_t> {
        if (status late = check_deadline(r.deadline); !late)
          return to_caf_error(late);
        auto batch = db->plan_upsert(r.table, r.rows);
        if (!batch)
          return to_caf_error(batch.error());
        auto promise = self->make_response_promise<uint64_t>();
        uint64_t rows = r.rows.size();
        fan_out_same<uint64_t>(
            self, nodes, r.deadline,
            [=](caf::expected<std::vector<uint64_t>> written) mutable {
              if (!written) {
                promise.deliver(written.error());
                return;
              }
              if (status durable = db->finish_upsert(); !durable)
                promise.deliver(to_caf_error(durable));
              else
                promise.deliver(rows);
            },
            realtime_atom::value,
            realtime_parts_request{std::make_shared<realtime_batch>(std::move(*batch)),
                                   r.deadline});
        return promise;
      },
      [=](remove_atom, const remove_request& r) -> caf::result<uint64_t> {
        if (status late = check_deadline(r.deadline); !late)
          return to_caf_error(late);
        auto batch = db->plan_remove(r.table, r.keys);
        if (!batch)
          return to_caf_error(batch.error());
        auto promise = self->make_response_promise<uint64_t>();
        fan_out_same<uint64_t>(
            self, nodes, r.deadline, deliver_folded<uint64_t>(promise, sum), realtime_atom::value,
            realtime_parts_request{std::make_shared<realtime_batch>(std::move(*batch)),
                                   r.deadline});
        return promise;
      },
  };
}

} // namespace tagd::actors
