#pragma once
// Private: plain client values to and from their Cap'n Proto form (protocol/tagd.capnp).

#include "client/expression.hpp"
#include "client/types.hpp"
#include "protocol/tagd.capnp.h"

#include <string>

namespace tagd::client::detail {

inline std::string to_string(capnp::Text::Reader text) {
  return std::string(text.cStr(), text.size());
}

void to_wire(const entity_def& def, wire::EntityDef::Builder out);
void to_wire(const table_def& def, wire::TableDef::Builder out);
void to_wire(const composite_def& def, wire::CompositeDef::Builder out);
void to_wire(const snapshot& pinned, wire::Snapshot::Builder out);
void to_wire(const import_options& options, wire::ImportOptions::Builder out);
void to_wire(const expression& built, wire::Expr::Builder out);
// A query; options.deadline_ms 0 takes `default_deadline_ms`.
void to_wire(const expression& matching, const query_options& options, uint32_t default_deadline_ms,
             wire::Query::Builder out);
void to_wire(const std::vector<row>& rows, capnp::List<wire::Row>::Builder out);

snapshot from_wire(wire::Snapshot::Reader in);
group_version_info from_wire(wire::GroupVersionInfo::Reader in);
catalog from_wire(wire::Catalog::Reader in);
node_status from_wire(wire::NodeStatus::Reader in);
import_report from_wire(wire::ImportReport::Reader in);
part_info from_wire(wire::PartInfo::Reader in);
std::vector<std::string> from_wire(capnp::List<capnp::Text>::Reader in);

} // namespace tagd::client::detail
