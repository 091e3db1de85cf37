#pragma once
// One streaming load of a table version over RPC (the Import interface): batches of whole
// records are parsed on the node's blocking thread in the order they arrive; nothing is
// visible until commit(); a session dropped without commit() aborts its load.

#include "node/node.hpp"
#include "shards/table_loader.hpp"

#include "protocol/tagd.capnp.h"

#include <memory>

namespace tagd::node {

class import_session final : public wire::Import::Server {
 public:
  static result<wire::Import::Client> begin(tagd_node& node, const std::string& table,
                                            const std::string& label,
                                            wire::ImportOptions::Reader options);
  import_session(tagd_node& node, std::unique_ptr<table_loader> loader, import_options options,
                 std::string source);
  ~import_session();

 protected:
  kj::Promise<void> addRows(AddRowsContext context) override;
  kj::Promise<void> commit(CommitContext context) override;
  kj::Promise<void> abort(AbortContext context) override;

 private:
  tagd_node& node_;
  // Shared with the jobs on the blocking thread, which may outlive a dropped session.
  std::shared_ptr<table_loader> loader_;
  import_options options_;
  std::string source_; // names the stream in rejects: "<table>/<label>"
  bool finished_ = false;
};

} // namespace tagd::node
