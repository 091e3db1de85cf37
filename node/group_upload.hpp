#pragma once
// One upload of keys as a new version of a group, in one batch (Tagd.upload) or many
// (Upload.addKeys). Each batch is resolved against the vshards' keys as it arrives, so the node
// keeps each vshard's members as a bitmap rather than the keys, a bad key fails its own batch at
// once, and commit() only stores the bitmaps. Lives on the RPC thread; it must outlive the
// promises it returns.

#include "node/node.hpp"

#include "shards/bitmap.hpp"
#include "shards/database.hpp"

#include <kj/async.h>
#include <kj/timer.h>

#include <string>
#include <vector>

namespace tagd::node {

class group_upload {
 public:
  group_upload(tagd_node& node, kj::Timer& timer, std::string group, std::string entity);

  // Resolves a batch: the number of keys received so far, or the batch's error, which then
  // also fails the later batches (at once) and commit(): an upload that lost a batch is never
  // stored.
  kj::Promise<uint64_t> add(std::vector<std::string> keys);
  // Once every batch added is resolved: the new version and the unknown keys.
  kj::Promise<upload_report> commit();

 private:
  void batch_settled();

  tagd_node& node_;
  kj::Timer& timer_;
  std::string group_, entity_;
  std::vector<bitmap> members_; // by vshard
  unknown_keys_tally unknown_;
  uint64_t received_ = 0;
  size_t resolving_ = 0; // batches in flight
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> all_settled_;
  kj::Maybe<kj::Exception> failed_;
};

} // namespace tagd::node
