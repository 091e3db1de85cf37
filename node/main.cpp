// tagd: one node of the tagd audience engine. Serves the Tagd RPC interface
// (protocol/tagd.capnp) until SIGTERM or SIGINT, then stops accepting, lets requests in flight
// finish for a few seconds, and closes the data directory cleanly.

#include "node/log.hpp"
#include "node/node.hpp"
#include "node/options.hpp"
#include "node/rpc_listener.hpp"
#include "node/rpc_service.hpp"

#include <kj/async-io.h>
#include <kj/async-unix.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace {

int serve(const tagd::node::node_options& options) {
  using namespace tagd::node;
  // Before any thread starts, so that every thread inherits the blocked signals.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  auto io = kj::setupAsyncIo();

  auto started = tagd_node::start(options);
  if (!started) {
    spdlog::error("cannot start: {}", started.error().to_string());
    return 1;
  }
  auto node = std::move(started).value();
  spdlog::info("data directory {}: {} vshards, catalog version {}", options.data_dir,
               node->db().vshard_count(), node->db().snapshot()->version);

  auto server = kj::heap<rpc_listener>(kj::heap<rpc_service>(*node, io.provider->getTimer()),
                                       options.limit.max_message_mb);
  auto colon = options.listen.rfind(':');
  std::string host = options.listen.substr(0, colon);
  uint port = static_cast<uint>(std::stoul(options.listen.substr(colon + 1)));
  kj::Own<kj::ConnectionReceiver> listener;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 auto address =
                     io.provider->getNetwork().parseAddress(host, port).wait(io.waitScope);
                 listener = address->listen();
               })) {
    spdlog::error("cannot listen on {}: {}", options.listen, e->getDescription().cStr());
    return 1;
  }
  uint bound = listener->getPort();
  if (!options.port_file.empty()) {
    std::string temporary = options.port_file + ".tmp";
    std::ofstream(temporary) << bound << "\n";
    std::rename(temporary.c_str(), options.port_file.c_str());
  }
  spdlog::info("listening on {}:{}", host, bound);

  auto accepting = server->listen(*listener).eagerlyEvaluate([](kj::Exception&& e) {
    spdlog::error("accepting connections failed: {}", e.getDescription().cStr());
  });
  auto signalled =
      io.unixEventPort.onSignal(SIGTERM).exclusiveJoin(io.unixEventPort.onSignal(SIGINT));
  siginfo_t signal = signalled.wait(io.waitScope);
  spdlog::info("signal {}: stopping", signal.si_signo);

  // Stop accepting; let requests in flight finish (up to 10 s), then close every connection,
  // which aborts imports that were not committed.
  accepting = nullptr;
  listener = nullptr;
  for (int waited = 0; node->requests_in_flight > 0 && waited < 1000; ++waited)
    io.provider->getTimer().afterDelay(10 * kj::MILLISECONDS).wait(io.waitScope);
  if (node->requests_in_flight > 0)
    spdlog::warn("{} requests still in flight: cancelled", node->requests_in_flight.load());
  server = nullptr;
  node.reset(); // actors stop, queued blocking work finishes, the database closes
  spdlog::info("stopped cleanly");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::optional<tagd::node::node_options> options;
  try {
    options = tagd::node::parse_options(argc, argv);
    if (!options)
      return 0;
    tagd::node::setup_logging(options->log_level);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tagd: %s (see tagd --help)\n", e.what());
    return 2;
  }
  return serve(*options);
}
