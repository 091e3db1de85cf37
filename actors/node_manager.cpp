#include "actors/fan_out.hpp"
#include "actors/interfaces.hpp"

namespace tagd::actors {

node_manager_actor::behavior_type node_manager(node_manager_actor::pointer self,
                                               std::vector<shard_actor> shards) {
  auto sum = [](std::vector<uint64_t> counts) {
    uint64_t total = 0;
    for (uint64_t c : counts)
      total += c;
    return total;
  };
  return {
      [=](count_atom verb, const count_request& r) -> caf::result<uint64_t> {
        auto promise = self->make_response_promise<uint64_t>();
        fan_out_same<uint64_t>(self, shards, r.deadline, deliver_folded<uint64_t>(promise, sum),
                               verb, r);
        return promise;
      },
      [=](breakdown_atom verb,
          const breakdown_part_request& r) -> caf::result<std::map<std::string, uint64_t>> {
        using counts = std::map<std::string, uint64_t>;
        auto promise = self->make_response_promise<counts>();
        fan_out_same<counts>(self, shards, r.deadline,
                             deliver_folded<counts>(promise,
                                                    [](std::vector<counts> parts) {
                                                      counts merged;
                                                      for (const counts& part : parts)
                                                        for (const auto& [value, n] : part)
                                                          merged[value] += n;
                                                      return merged;
                                                    }),
                             verb, r);
        return promise;
      },
      [=](select_atom verb, const select_part_request& r) -> caf::result<uint64_t> {
        auto promise = self->make_response_promise<uint64_t>();
        fan_out_same<uint64_t>(self, shards, r.deadline, deliver_folded<uint64_t>(promise, sum),
                               verb, r);
        return promise;
      },
      [=](resolve_atom verb, const resolve_parts_request& r) -> caf::result<resolved_keys> {
        // Only the shards holding some of the keys are asked.
        std::vector<shard_actor> holders;
        std::vector<uint32_t> vshards;
        for (const auto& [vshard, part] : *r.keys) {
          holders.push_back(shards.at(vshard));
          vshards.push_back(vshard);
        }
        auto promise = self->make_response_promise<resolved_keys>();
        fan_out<resolved_part>(
            self, holders, r.deadline,
            deliver_folded<resolved_part>(
                promise,
                [keys = r.keys, vshards](std::vector<resolved_part> parts) {
                  resolved_keys merged;
                  for (size_t i = 0; i < parts.size(); ++i) {
                    const keys_of_vshard& share = keys->at(vshards[i]);
                    for (uint32_t unknown : parts[i].unknown)
                      merged.unknown.emplace_back(share.positions[unknown], share.keys[unknown]);
                    merged.ordinals.emplace(vshards[i], std::move(parts[i].ordinals));
                  }
                  return merged;
                }),
            [&](size_t i) {
              const keys_of_vshard& share = r.keys->at(vshards[i]);
              return std::make_tuple(
                  verb, resolve_part_request{r.entity,
                                             std::shared_ptr<const keys_of_vshard>(r.keys, &share),
                                             r.deadline});
            });
        return promise;
      },
      [=](upload_atom verb, const upload_parts_request& r) -> caf::result<uint64_t> {
        // Every vshard is written (an empty part for a vshard without members), so that each
        // vshard holds the new version.
        auto promise = self->make_response_promise<uint64_t>();
        fan_out<uint64_t>(
            self, shards, r.deadline, deliver_folded<uint64_t>(promise, sum), [&](size_t v) {
              auto members = std::make_shared<bitmap>(std::move(r.members->at(v)));
              return std::make_tuple(verb, upload_part_request{r.pending, members, r.deadline});
            });
        return promise;
      },
      [=](contains_atom verb, const contains_parts_request& r) -> caf::result<std::vector<bool>> {
        // Only the shards holding some of the keys are asked.
        std::vector<shard_actor> holders;
        std::vector<keys_of_vshard*> parts;
        for (auto& [vshard, part] : *r.keys) {
          holders.push_back(shards.at(vshard));
          parts.push_back(&part);
        }
        auto promise = self->make_response_promise<std::vector<bool>>();
        fan_out<std::vector<bool>>(
            self, holders, r.deadline,
            deliver_folded<std::vector<bool>>(
                promise,
                [keys = r.keys, parts, n = r.request_keys](std::vector<std::vector<bool>> found) {
                  std::vector<bool> answers(n, false);
                  for (size_t i = 0; i < found.size(); ++i)
                    for (size_t j = 0; j < found[i].size(); ++j)
                      answers[parts[i]->positions[j]] = found[i][j];
                  return answers;
                }),
            [&](size_t i) {
              return std::make_tuple(
                  verb,
                  contains_request{r.group, r.version, std::move(parts[i]->stored), r.deadline});
            });
        return promise;
      },
      [=](realtime_atom verb, const realtime_parts_request& r) -> caf::result<uint64_t> {
        // Only the shards with changes are asked.
        std::vector<shard_actor> holders;
        std::vector<std::vector<realtime_change>*> parts;
        for (uint32_t v = 0; v < r.batch->by_vshard.size(); ++v)
          if (!r.batch->by_vshard[v].empty()) {
            holders.push_back(shards.at(v));
            parts.push_back(&r.batch->by_vshard[v]);
          }
        auto promise = self->make_response_promise<uint64_t>();
        fan_out<uint64_t>(
            self, holders, r.deadline, deliver_folded<uint64_t>(promise, sum), [&](size_t i) {
              return std::make_tuple(
                  verb, realtime_part_request{r.batch->table, std::move(*parts[i]), r.deadline});
            });
        return promise;
      },
      [=](export_atom verb, const export_part_request& r) -> caf::result<export_parts_reply> {
        auto promise = self->make_response_promise<export_parts_reply>();
        fan_out_same<export_part>(self, shards, r.deadline,
                                  deliver_folded<export_part>(promise,
                                                              [](std::vector<export_part> parts) {
                                                                return export_parts_reply{
                                                                    std::move(parts)};
                                                              }),
                                  verb, r);
        return promise;
      },
  };
}

} // namespace tagd::actors
