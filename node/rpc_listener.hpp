#pragma once
// Accepts RPC connections and serves the bootstrap interface on each, with the node's message
// size limit (Cap'n Proto's ReaderOptions; a larger message fails the connection's call).
// Destroying the listener closes every connection.

#include <capnp/capability.h>
#include <capnp/message.h>
#include <kj/async-io.h>

namespace tagd::node {

class rpc_listener : private kj::TaskSet::ErrorHandler {
 public:
  rpc_listener(capnp::Capability::Client bootstrap, uint32_t max_message_mb);
  // Accepts until the returned promise is dropped.
  kj::Promise<void> listen(kj::ConnectionReceiver& receiver);

 private:
  void taskFailed(kj::Exception&& exception) override;
  capnp::Capability::Client bootstrap_;
  capnp::ReaderOptions reader_options_;
  kj::TaskSet connections_;
};

} // namespace tagd::node
