#include "node/import_session.hpp"

#include "node/wire_convert.hpp"

namespace tagd::node {

result<wire::Import::Client> import_session::begin(tagd_node& node, const std::string& table,
                                                   const std::string& label,
                                                   wire::ImportOptions::Reader wire_options) {
  import_options options;
  std::string delimiter = text_of(wire_options.getDelimiter());
  if (delimiter.size() > 1)
    return status(error_code::invalid_argument,
                  "the delimiter must be one character, not '" + delimiter + "'");
  if (!delimiter.empty())
    options.csv.delimiter = delimiter[0];
  options.header = wire_options.getHeader();
  if (wire_options.getMaxRejected() > 0)
    options.max_rejected = wire_options.getMaxRejected();
  TAGD_TRY_ASSIGN(loader, node.db().begin_load(table, label));
  return wire::Import::Client(
      kj::heap<import_session>(node, std::move(loader), std::move(options), table + "/" + label));
}

import_session::import_session(tagd_node& node, std::unique_ptr<table_loader> loader,
                               import_options options, std::string source)
    : node_(node), loader_(std::move(loader)), options_(std::move(options)),
      source_(std::move(source)) {}

import_session::~import_session() {
  if (!finished_ && loader_) {
    auto loader = loader_;
    node_.blocking()
        .run<bool>([loader]() -> result<bool> {
          loader->abort();
          return true;
        })
        .detach([](kj::Exception&&) {});
  }
}

kj::Promise<void> import_session::addRows(AddRowsContext context) {
  if (finished_)
    return kj::Promise<void>(
        to_exception(status(error_code::invalid_argument, "this import was already finished")));
  auto data = context.getParams().getData();
  size_t limit = size_t{node_.options().limit.max_import_chunk_mb} << 20;
  if (data.size() > limit)
    return kj::Promise<void>(to_exception(
        status(error_code::too_large,
               "an import batch has at most " +
                   std::to_string(node_.options().limit.max_import_chunk_mb) + " MiB")));
  std::string bytes(reinterpret_cast<const char*>(data.begin()), data.size());
  auto loader = loader_;
  auto options = options_;
  auto source = source_;
  return node_.blocking()
      .run<std::pair<uint64_t, uint64_t>>([loader, bytes = std::move(bytes), options,
                                           source]() -> result<std::pair<uint64_t, uint64_t>> {
        TAGD_TRY(loader->add_chunk(bytes, source, options));
        return std::make_pair(loader->rows_read(), loader->rejected_count());
      })
      .then([context](std::pair<uint64_t, uint64_t> progress) mutable {
        context.getResults().setRowsRead(progress.first);
        context.getResults().setRejected(progress.second);
      });
}

kj::Promise<void> import_session::commit(CommitContext context) {
  if (finished_)
    return kj::Promise<void>(
        to_exception(status(error_code::invalid_argument, "this import was already finished")));
  finished_ = true;
  auto loader = loader_;
  return node_.blocking()
      .run<std::shared_ptr<import_report>>([loader]() -> result<std::shared_ptr<import_report>> {
        TAGD_TRY_ASSIGN(report, loader->commit());
        return std::make_shared<import_report>(std::move(report));
      })
      .then([this, context](std::shared_ptr<import_report> done) mutable {
        const import_report& report = *done;
        node_.warm_key_index_of(report.table); // its new keys, before the first check needs them
        auto out = context.getResults().initReport();
        out.setTable(report.table);
        out.setLabel(report.label);
        out.setStorageId(report.storage_id);
        out.setRowsRead(report.rows_read);
        out.setRowsLoaded(report.rows_loaded);
        out.setKeys(report.keys);
        out.setRejected(report.rejected_count);
        out.setSeconds(report.seconds);
        auto rejects = out.initRejects(static_cast<unsigned>(report.rejected.size()));
        for (unsigned i = 0; i < report.rejected.size(); ++i) {
          rejects[i].setSource(report.rejected[i].file);
          rejects[i].setLine(report.rejected[i].line);
          rejects[i].setReason(report.rejected[i].reason);
        }
      });
}

kj::Promise<void> import_session::abort(AbortContext) {
  if (finished_)
    return kj::READY_NOW;
  finished_ = true;
  auto loader = loader_;
  return node_.blocking()
      .run<bool>([loader]() -> result<bool> {
        loader->abort();
        return true;
      })
      .ignoreResult();
}

} // namespace tagd::node
