#include "node/group_upload.hpp"

#include "node/wire_convert.hpp"

namespace tagd::node {

group_upload::group_upload(tagd_node& node, kj::Timer& timer, std::string group, std::string entity)
    : node_(node), timer_(timer), group_(std::move(group)), entity_(std::move(entity)),
      members_(node.db().vshard_count()) {}

kj::Promise<uint64_t> group_upload::add(std::vector<std::string> keys) {
  KJ_IF_MAYBE (e, failed_) // the upload is lost: no work for the batches after a failed one
    return kj::cp(*e);
  uint64_t first = received_;
  received_ += keys.size();
  ++resolving_;
  actors::resolve_request r{entity_, std::move(keys), deadline_after(node_.options().deadline_ms)};
  auto deadline = r.deadline;
  return ask_until<actors::resolved_keys>(timer_, node_.bridge(), deadline, node_.coordinator(),
                                          actors::resolve_atom::value, std::move(r))
      .then(
          [this, first, so_far = received_](actors::resolved_keys batch) {
            for (const auto& [vshard, ordinals] : batch.ordinals)
              roaring_bitmap_add_many(members_.at(vshard).get(), ordinals.size(), ordinals.data());
            for (const auto& [position, key] : batch.unknown)
              unknown_.add(first + position, key);
            batch_settled();
            return so_far;
          },
          [this](kj::Exception&& e) -> uint64_t {
            if (failed_ == nullptr)
              failed_ = kj::cp(e);
            batch_settled();
            kj::throwFatalException(kj::mv(e));
          });
}

void group_upload::batch_settled() {
  if (--resolving_ > 0)
    return;
  KJ_IF_MAYBE (waiting, all_settled_) {
    (*waiting)->fulfill();
    all_settled_ = nullptr;
  }
}

kj::Promise<upload_report> group_upload::commit() {
  kj::Promise<void> settled = kj::READY_NOW;
  if (resolving_ > 0) {
    auto paf = kj::newPromiseAndFulfiller<void>();
    all_settled_ = kj::mv(paf.fulfiller);
    settled = kj::mv(paf.promise);
  }
  return settled.then([this]() -> kj::Promise<upload_report> {
    KJ_IF_MAYBE (e, failed_)
      return kj::cp(*e);
    actors::upload_request r{group_, entity_,
                             std::make_shared<std::vector<bitmap>>(std::move(members_)),
                             deadline_after(node_.options().deadline_ms)};
    auto deadline = r.deadline;
    return ask_until<group_version_info>(timer_, node_.bridge(), deadline, node_.coordinator(),
                                         actors::upload_atom::value, std::move(r))
        .then([this](group_version_info version) {
          return upload_report{std::move(version), unknown_.count(), unknown_.sample()};
        });
  });
}

} // namespace tagd::node
