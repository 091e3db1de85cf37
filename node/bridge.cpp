#include "node/bridge.hpp"

namespace tagd::node {

kj::Exception to_exception(const status& s) {
  return kj::Exception(
      kj::Exception::Type::FAILED, __FILE__, __LINE__,
      kj::str(std::string(code_name(s.code())).c_str(), ": ", s.message().c_str()));
}

caf::actor spawn_bridge(caf::actor_system& system) {
  return system.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[self](bridge_call_ptr& call) { call->start(self); }};
  });
}

} // namespace tagd::node
