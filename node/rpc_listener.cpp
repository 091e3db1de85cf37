#include "node/rpc_listener.hpp"

#include <capnp/rpc-twoparty.h>
#include <spdlog/spdlog.h>

namespace tagd::node {

namespace {
// Members in this order, so that the RPC system goes first, then its network, then the socket.
struct accepted_connection {
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
  accepted_connection(kj::Own<kj::AsyncIoStream> socket, capnp::Capability::Client bootstrap,
                      capnp::ReaderOptions options)
      : stream(kj::mv(socket)), network(*stream, capnp::rpc::twoparty::Side::SERVER, options),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}
};
} // namespace

rpc_listener::rpc_listener(capnp::Capability::Client bootstrap, uint32_t max_message_mb)
    : bootstrap_(kj::mv(bootstrap)), connections_(*this) {
  reader_options_.traversalLimitInWords = uint64_t{max_message_mb} << 20 >> 3;
}

kj::Promise<void> rpc_listener::listen(kj::ConnectionReceiver& receiver) {
  return receiver.accept().then([this, &receiver](kj::Own<kj::AsyncIoStream>&& stream) {
    auto connection = kj::heap<accepted_connection>(kj::mv(stream), bootstrap_, reader_options_);
    auto done = connection->network.onDisconnect();
    connections_.add(done.attach(kj::mv(connection)));
    return listen(receiver);
  });
}

void rpc_listener::taskFailed(kj::Exception&& exception) {
  spdlog::warn("connection ended: {}", exception.getDescription().cStr());
}

} // namespace tagd::node
