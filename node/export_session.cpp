#include "node/export_session.hpp"

#include "node/bridge.hpp"
#include "node/wire_convert.hpp"

#include <algorithm>

namespace tagd::node {

export_session::export_session(actors::export_reply reply,
                               std::shared_ptr<const catalog_state> state, bool inject_fault)
    : reply_(std::move(reply)), state_(std::move(state)) {
  // A digit for another: rows and length stay, only the CRC-32 disagrees.
  for (export_part& part : reply_.parts)
    if (inject_fault && !part.text.empty()) {
      part.text[0] = part.text[0] == '1' ? '2' : '1';
      break;
    }
}

kj::Promise<void> export_session::parts(PartsContext context) {
  auto results = context.getResults();
  fill_group_version(results.initInfo(), reply_.version, *state_);
  auto parts = results.initParts(static_cast<unsigned>(reply_.parts.size()));
  for (unsigned i = 0; i < reply_.parts.size(); ++i) {
    const export_part& part = reply_.parts[i];
    parts[i].setVshard(part.vshard);
    parts[i].setRows(part.rows);
    parts[i].setBytes(part.text.size());
    parts[i].setCrc32(part.crc32);
  }
  return kj::READY_NOW;
}

kj::Promise<void> export_session::read(ReadContext context) {
  auto params = context.getParams();
  auto part = std::find_if(reply_.parts.begin(), reply_.parts.end(),
                           [&](const export_part& p) { return p.vshard == params.getVshard(); });
  if (part == reply_.parts.end())
    return kj::Promise<void>(
        to_exception(status(error_code::not_found, "this export has no part for vshard " +
                                                       std::to_string(params.getVshard()))));
  uint64_t offset = std::min<uint64_t>(params.getOffset(), part->text.size());
  constexpr uint32_t max_piece = uint32_t{16} << 20; // well under the 64 MiB message limit
  size_t length = std::min<uint64_t>({params.getMaxBytes(), max_piece, part->text.size() - offset});
  context.getResults().setData(
      kj::arrayPtr(reinterpret_cast<const capnp::byte*>(part->text.data()) + offset, length));
  return kj::READY_NOW;
}

} // namespace tagd::node
