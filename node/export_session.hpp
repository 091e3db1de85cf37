#pragma once
// One export of a group version over RPC (the Export interface). When the export begins the
// shard actors describe every vshard's part (rows, bytes, CRC-32) and keep none of it; a part's
// text is made again by its shard actor when the client first reads it, checked against that
// description, and kept only while it is being read (the last two parts), so a node holds a
// part or two of an export in memory, not the whole group. A group version never changes, so
// the second rendering is the first one's bytes.

#include "actors/messages.hpp"
#include "shards/catalog.hpp"

#include "protocol/tagd.capnp.h"

#include <kj/timer.h>

#include <deque>
#include <map>

namespace tagd::node {

class tagd_node;

class export_session final : public wire::Export::Server, private kj::TaskSet::ErrorHandler {
 public:
  // `state` describes the version (created, entity, expression) in parts().
  export_session(tagd_node& node, kj::Timer& timer, actors::export_reply reply,
                 std::shared_ptr<const catalog_state> state);

 protected:
  kj::Promise<void> parts(PartsContext context) override;
  kj::Promise<void> read(ReadContext context) override;

 private:
  using text_ptr = std::shared_ptr<const std::string>;
  const export_part* described(uint32_t vshard) const;
  // The part's text: from the last parts read, or made by its shard actor once for all the
  // reads that wait for it.
  kj::Promise<text_ptr> text_of_part(const export_part& part);
  void made(const export_part& part, export_part again);
  void failed(uint32_t vshard, const kj::Exception& e);
  void taskFailed(kj::Exception&& e) override {} // every failure reaches its readers first

  tagd_node& node_;
  kj::Timer& timer_;
  actors::export_reply reply_; // parts without their text
  std::shared_ptr<const catalog_state> state_;
  std::deque<std::pair<uint32_t, text_ptr>> texts_; // the last parts made, newest last
  std::map<uint32_t, std::vector<kj::Own<kj::PromiseFulfiller<text_ptr>>>> waiting_;
  kj::TaskSet making_{*this};
};

} // namespace tagd::node
