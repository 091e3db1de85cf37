#include "node/export_session.hpp"

#include "node/bridge.hpp"
#include "node/node.hpp"
#include "node/wire_convert.hpp"

#include <zlib.h>

#include <algorithm>

namespace tagd::node {

namespace {

constexpr size_t kPartsKept = 2; // a client reads in order, a window of pieces spanning two

void serve(wire::Export::ReadResults::Builder results, const std::string& text, uint64_t offset,
           uint32_t max_bytes) {
  offset = std::min<uint64_t>(offset, text.size());
  constexpr uint32_t max_piece = uint32_t{16} << 20; // well under the 64 MiB message limit
  size_t length = std::min<uint64_t>({max_bytes, max_piece, text.size() - offset});
  results.setData(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(text.data()) + offset, length));
}

} // namespace

export_session::export_session(tagd_node& node, kj::Timer& timer, actors::export_reply reply,
                               std::shared_ptr<const catalog_state> state)
    : node_(node), timer_(timer), reply_(std::move(reply)), state_(std::move(state)) {}

kj::Promise<void> export_session::parts(PartsContext context) {
  auto results = context.getResults();
  fill_group_version(results.initInfo(), reply_.version, *state_);
  auto parts = results.initParts(static_cast<unsigned>(reply_.parts.size()));
  for (unsigned i = 0; i < reply_.parts.size(); ++i) {
    const export_part& part = reply_.parts[i];
    parts[i].setVshard(part.vshard);
    parts[i].setRows(part.rows);
    parts[i].setBytes(part.bytes);
    parts[i].setCrc32(part.crc32);
  }
  return kj::READY_NOW;
}

const export_part* export_session::described(uint32_t vshard) const {
  auto part = std::find_if(reply_.parts.begin(), reply_.parts.end(),
                           [&](const export_part& p) { return p.vshard == vshard; });
  return part == reply_.parts.end() ? nullptr : &*part;
}

kj::Promise<export_session::text_ptr> export_session::text_of_part(const export_part& part) {
  for (const auto& [vshard, text] : texts_)
    if (vshard == part.vshard)
      return text;
  auto reader = kj::newPromiseAndFulfiller<text_ptr>();
  auto& readers = waiting_[part.vshard];
  readers.push_back(kj::mv(reader.fulfiller));
  if (readers.size() == 1) { // the first reader asks the shard actor
    auto deadline = deadline_after(node_.options().deadline_ms);
    actors::export_part_request r{reply_.version.group, reply_.version.version, deadline, true};
    making_.add(ask_until<export_part>(timer_, node_.bridge(), deadline, node_.shard(part.vshard),
                                       actors::export_atom::value, r)
                    .then([this, &part](export_part again) { made(part, std::move(again)); },
                          [this, vshard = part.vshard](kj::Exception&& e) { failed(vshard, e); }));
  }
  return kj::mv(reader.promise);
}

void export_session::made(const export_part& part, export_part again) {
  // The test seam (node_options::inject_export_fault), after the CRC-32 was taken.
  const std::string& fault = node_.options().inject_export_fault;
  if (!fault.empty() && &part == &reply_.parts.front() && !again.text.empty()) {
    if (fault == "short")
      again.text.pop_back();
    else
      again.text[0] = again.text[0] == '1' ? '2' : '1';
  }
  if (again.rows != part.rows || again.bytes != part.bytes || again.crc32 != part.crc32) {
    failed(part.vshard,
           to_exception(status(error_code::corruption,
                               "group '" + reply_.version.group + "' version " +
                                   std::to_string(reply_.version.version) + ", vshard " +
                                   std::to_string(part.vshard) +
                                   ": the part made to be read differs from the part described "
                                   "when the export began")));
    return;
  }
  auto text = std::make_shared<const std::string>(std::move(again.text));
  texts_.emplace_back(part.vshard, text);
  if (texts_.size() > kPartsKept)
    texts_.pop_front();
  auto readers = std::move(waiting_[part.vshard]);
  waiting_.erase(part.vshard);
  for (auto& reader : readers)
    reader->fulfill(text_ptr(text));
}

void export_session::failed(uint32_t vshard, const kj::Exception& e) {
  auto readers = std::move(waiting_[vshard]);
  waiting_.erase(vshard); // a later read tries again
  for (auto& reader : readers)
    reader->reject(kj::cp(e));
}

kj::Promise<void> export_session::read(ReadContext context) {
  auto params = context.getParams();
  const export_part* part = described(params.getVshard());
  if (!part)
    return kj::Promise<void>(
        to_exception(status(error_code::not_found, "this export has no part for vshard " +
                                                       std::to_string(params.getVshard()))));
  uint64_t offset = params.getOffset();
  uint32_t max_bytes = params.getMaxBytes();
  return text_of_part(*part).then([context, offset, max_bytes](text_ptr text) mutable {
    serve(context.getResults(), *text, offset, max_bytes);
  });
}

} // namespace tagd::node
