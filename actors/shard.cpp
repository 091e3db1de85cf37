#include "actors/errors.hpp"
#include "actors/interfaces.hpp"

#include "shards/database.hpp"

#include <thread>

namespace tagd::actors {

namespace {

// A request that waited in the mailbox past its deadline is not worth starting.
std::optional<caf::error> too_late(clock::time_point deadline, uint32_t vshard) {
  if (clock::now() < deadline)
    return std::nullopt;
  return to_caf_error(status(error_code::deadline_exceeded,
                             "vshard " + std::to_string(vshard) + " reached too late"));
}

template <class T>
caf::result<T> reply(result<T> r) {
  if (!r)
    return to_caf_error(r.error());
  return std::move(r).value();
}

} // namespace

shard_actor::behavior_type shard(shard_actor::pointer self, database* db, uint32_t vshard,
                                 std::chrono::milliseconds injected_delay) {
  return {
      [=](count_atom, const count_request& r) -> caf::result<uint64_t> {
        if (injected_delay.count() > 0)
          std::this_thread::sleep_for(injected_delay);
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->count_vshard(*r.plan, vshard));
      },
      [=](breakdown_atom,
          const breakdown_part_request& r) -> caf::result<std::map<std::string, uint64_t>> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->breakdown_vshard(*r.plan, vshard));
      },
      [=](select_atom, const select_part_request& r) -> caf::result<uint64_t> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->select_vshard(r.pending, *r.plan, vshard));
      },
      [=](resolve_atom, const resolve_part_request& r) -> caf::result<resolved_part> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->resolve_vshard(r.entity, vshard, *r.keys));
      },
      [=](upload_atom, const upload_part_request& r) -> caf::result<uint64_t> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        if (status stored = db->store_group_part(r.pending, vshard, *r.members); !stored)
          return to_caf_error(stored);
        return r.members->cardinality();
      },
      [=](export_atom, const export_part_request& r) -> caf::result<export_part> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        auto part = db->export_vshard(r.group, r.version, vshard);
        if (part && !r.with_text)
          std::string().swap(part->text);
        return reply(std::move(part));
      },
      [=](contains_atom, const contains_request& r) -> caf::result<std::vector<bool>> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->contains_vshard(r.group, r.version, vshard, r.stored_keys));
      },
      [=](realtime_atom, const realtime_part_request& r) -> caf::result<uint64_t> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->apply_realtime_vshard(r.table, vshard, r.changes));
      },
      [=](groups_atom, const groups_of_request& r) -> caf::result<std::vector<std::string>> {
        if (auto late = too_late(r.deadline, vshard))
          return *late;
        return reply(db->groups_of(r.entity, r.key));
      },
  };
}

} // namespace tagd::actors
