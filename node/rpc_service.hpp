#pragma once
// The Tagd interface of protocol/tagd.capnp, served on the node's KJ event loop. Methods check
// their input, hand the work to the actors (or, for blocking catalog and import work, to the
// node's blocking thread) and return a promise; errors become exceptions whose description
// starts with the tagd error code.

#include "node/node.hpp"

#include "protocol/tagd.capnp.h"

#include <kj/timer.h>

namespace tagd::node {

class rpc_service final : public wire::Tagd::Server {
 public:
  rpc_service(tagd_node& node, kj::Timer& timer)
      : node_(node), timer_(timer), this_thread_(node.actor_system()) {}

 protected:
  kj::Promise<void> ping(PingContext context) override;
  kj::Promise<void> status(StatusContext context) override;
  kj::Promise<void> defineEntity(DefineEntityContext context) override;
  kj::Promise<void> defineTable(DefineTableContext context) override;
  kj::Promise<void> defineComposite(DefineCompositeContext context) override;
  kj::Promise<void> catalog(CatalogContext context) override;
  kj::Promise<void> dropTable(DropTableContext context) override;
  kj::Promise<void> dropGroup(DropGroupContext context) override;
  kj::Promise<void> beginImport(BeginImportContext context) override;
  kj::Promise<void> upsert(UpsertContext context) override;
  kj::Promise<void> remove(RemoveContext context) override;
  kj::Promise<void> estimate(EstimateContext context) override;
  kj::Promise<void> breakdown(BreakdownContext context) override;
  kj::Promise<void> select(SelectContext context) override;
  kj::Promise<void> upload(UploadContext context) override;
  kj::Promise<void> export_(ExportContext context) override;
  kj::Promise<void> contains(ContainsContext context) override;
  kj::Promise<void> containsMany(ContainsManyContext context) override;
  kj::Promise<void> groupsOf(GroupsOfContext context) override;
  kj::Promise<void> beginUpload(BeginUploadContext context) override;

 private:
  // Asks an actor; fails with DEADLINE_EXCEEDED at the deadline whatever the actors do.
  template <class Reply, class Handle, class... Ts>
  kj::Promise<Reply> ask_until(actors::clock::time_point deadline, const Handle& target,
                               Ts... request);
  // The same, run on this thread while the actors it reaches are idle (node/bridge.hpp).
  template <class Reply, class Handle, class... Ts>
  kj::Promise<Reply> ask_here_until(actors::clock::time_point deadline, const Handle& target,
                                    Ts... request);
  // The version number a request means (`version`, or the group's latest when 0) and the
  // group's entity type.
  struct group_at {
    uint32_t version = 0;
    std::string entity;
  };
  result<group_at> resolve_group(const std::string& group, uint32_t version) const;
  // Counts the request as served or failed when it settles.
  kj::Promise<void> counted(kj::Promise<void> work);
  // A catalog change on the blocking thread; replies with the new catalog version.
  template <class Context>
  kj::Promise<void> catalog_change(Context context, std::function<tagd::status()> change);
  tagd_node& node_;
  kj::Timer& timer_;
  rpc_thread_unit this_thread_; // lent to the actors: single-key checks, estimates, breakdowns
};

} // namespace tagd::node
