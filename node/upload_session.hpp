#pragma once
// One streaming upload of an external group over RPC (the Upload interface), for key sets past
// one message's size: batches of keys are kept in order until commit(), which hands them all to
// the coordinator as Tagd.upload does; nothing is stored before. A session dropped without
// commit() leaves no trace.

#include "node/node.hpp"

#include "protocol/tagd.capnp.h"

#include <kj/timer.h>

#include <string>
#include <vector>

namespace tagd::node {

class upload_session final : public wire::Upload::Server {
 public:
  // Fails for an entity type the catalog does not have ("" means the default,
  // entity_or_default).
  static result<wire::Upload::Client> begin(tagd_node& node, kj::Timer& timer, std::string group,
                                            std::string entity);
  upload_session(tagd_node& node, kj::Timer& timer, std::string group, std::string entity);

 protected:
  kj::Promise<void> addKeys(AddKeysContext context) override;
  kj::Promise<void> commit(CommitContext context) override;
  kj::Promise<void> abort(AbortContext context) override;

 private:
  tagd_node& node_;
  kj::Timer& timer_;
  std::string group_, entity_;
  std::vector<std::string> keys_;
  bool finished_ = false;
};

} // namespace tagd::node
