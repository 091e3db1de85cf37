#pragma once
// One export of a group version over RPC (the Export interface): the shard actors produce every
// vshard's part once, when the export begins; the client then reads the parts in pieces. The
// parts live in memory until the client drops the capability.

#include "actors/messages.hpp"
#include "shards/catalog.hpp"

#include "protocol/tagd.capnp.h"

namespace tagd::node {

class export_session final : public wire::Export::Server {
 public:
  // `state` describes the version (created, entity, expression) in parts(). `inject_fault` is
  // the test seam of tagd --inject-export-fault.
  export_session(actors::export_reply reply, std::shared_ptr<const catalog_state> state,
                 bool inject_fault);

 protected:
  kj::Promise<void> parts(PartsContext context) override;
  kj::Promise<void> read(ReadContext context) override;

 private:
  actors::export_reply reply_;
  std::shared_ptr<const catalog_state> state_;
};

} // namespace tagd::node
