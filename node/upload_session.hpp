#pragma once
// One streaming upload of an external group over RPC (the Upload interface), for key sets past
// one message's size: each batch is resolved as it arrives (node/group_upload.hpp) and commit()
// stores the members as one new version; nothing is stored before. A session dropped without
// commit() leaves no trace.

#include "node/group_upload.hpp"
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
  group_upload upload_;
  bool finished_ = false;
};

} // namespace tagd::node
