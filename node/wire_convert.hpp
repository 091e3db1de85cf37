#pragma once
// Between the wire types of protocol/tagd.capnp and the engine's and actors' structs.

#include "actors/messages.hpp"
#include "node/options.hpp"
#include "shards/catalog.hpp"
#include "shards/database.hpp"
#include "shards/expression.hpp"

#include "protocol/tagd.capnp.h"

namespace tagd::node {

std::string text_of(capnp::Text::Reader t);
result<table_spec> table_spec_of(wire::TableDef::Reader def);
result<expr> expr_of(wire::Expr::Reader e, size_t depth_left);

// A client's query as the coordinator takes it: the text form (a structured expression is
// printed), within the node's limits, with its deadline.
result<actors::query_request> query_of(wire::Query::Reader q, const node_options& options);
actors::clock::time_point deadline_after(uint32_t milliseconds);

void fill_snapshot(wire::Snapshot::Builder out, const actors::snapshot_info& s,
                   const catalog_state& state);
void fill_group_version(wire::GroupVersionInfo::Builder out, const group_version_info& v,
                        const catalog_state& state);
void fill_catalog(wire::Catalog::Builder out, const catalog_state& state);

// The answer of an upload: Tagd.upload and Upload.commit have the same fields.
template <class Results>
void fill_upload_results(Results results, const upload_report& report, const catalog_state& state) {
  fill_group_version(results.initVersion(), report.version, state);
  results.setUnknownKeys(report.unknown_keys);
  auto sample = results.initUnknownSample(static_cast<unsigned>(report.unknown_sample.size()));
  for (unsigned i = 0; i < report.unknown_sample.size(); ++i)
    sample.set(i, report.unknown_sample[i]);
}

} // namespace tagd::node
