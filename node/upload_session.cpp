#include "node/upload_session.hpp"

#include "node/wire_convert.hpp"

namespace tagd::node {

namespace {
kj::Promise<void> finished_already() {
  return kj::Promise<void>(
      to_exception(status(error_code::invalid_argument, "this upload was already finished")));
}
} // namespace

result<wire::Upload::Client> upload_session::begin(tagd_node& node, kj::Timer& timer,
                                                   std::string group, std::string entity) {
  if (group.empty())
    return status(error_code::invalid_argument, "an upload needs a group name");
  // Checked now, not after every batch has been sent: an empty name means the default.
  entity = entity_or_default(entity);
  TAGD_TRY(node.db().key_kind_of(entity).take_status());
  return wire::Upload::Client(
      kj::heap<upload_session>(node, timer, std::move(group), std::move(entity)));
}

upload_session::upload_session(tagd_node& node, kj::Timer& timer, std::string group,
                               std::string entity)
    : node_(node), upload_(node, timer, std::move(group), std::move(entity)) {}

kj::Promise<void> upload_session::addKeys(AddKeysContext context) {
  if (finished_)
    return finished_already();
  auto keys = context.getParams().getKeys();
  uint32_t limit = node_.options().limit.max_batch_keys;
  if (keys.size() > limit)
    return kj::Promise<void>(to_exception(status(
        error_code::too_large, "an upload batch has at most " + std::to_string(limit) + " keys")));
  std::vector<std::string> batch;
  batch.reserve(keys.size());
  for (auto key : keys)
    batch.push_back(text_of(key));
  // The session stays alive until the batch is resolved, even if the client drops it.
  return upload_.add(std::move(batch))
      .then([context](uint64_t so_far) mutable { context.getResults().setKeysSoFar(so_far); })
      .attach(thisCap());
}

kj::Promise<void> upload_session::commit(CommitContext context) {
  if (finished_)
    return finished_already();
  finished_ = true;
  tagd_node* node = &node_;
  return upload_.commit()
      .then([context, node](upload_report report) mutable {
        fill_upload_results(context.getResults(), report, *node->db().snapshot());
      })
      .attach(thisCap());
}

kj::Promise<void> upload_session::abort(AbortContext) {
  finished_ = true; // the resolved members go with the session
  return kj::READY_NOW;
}

} // namespace tagd::node
