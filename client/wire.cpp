#include "client/wire.hpp"

#include "client/session.hpp"

namespace tagd::client::detail {

namespace {

wire::KeyKind to_wire(key_kind k) {
  return k == key_kind::string ? wire::KeyKind::STRING : wire::KeyKind::U64;
}

key_kind from_wire(wire::KeyKind k) {
  return k == wire::KeyKind::STRING ? key_kind::string : key_kind::u64;
}

wire::TagKind to_wire(tag_kind k) {
  switch (k) {
  case tag_kind::bool_:
    return wire::TagKind::BOOL;
  case tag_kind::enum_:
    return wire::TagKind::ENUM;
  case tag_kind::set:
    return wire::TagKind::SET;
  case tag_kind::int_:
    return wire::TagKind::INT;
  case tag_kind::decimal:
    return wire::TagKind::DECIMAL;
  case tag_kind::time:
    return wire::TagKind::TIME;
  }
  return wire::TagKind::ENUM;
}

tag_kind from_wire(wire::TagKind k) {
  switch (k) {
  case wire::TagKind::BOOL:
    return tag_kind::bool_;
  case wire::TagKind::ENUM:
    return tag_kind::enum_;
  case wire::TagKind::SET:
    return tag_kind::set;
  case wire::TagKind::INT:
    return tag_kind::int_;
  case wire::TagKind::DECIMAL:
    return tag_kind::decimal;
  case wire::TagKind::TIME:
    return tag_kind::time;
  }
  return tag_kind::enum_; // a kind added to the schema later
}

entity_def from_wire(wire::EntityDef::Reader in) {
  return {to_string(in.getName()), from_wire(in.getKeys())};
}

table_def from_wire(wire::TableDef::Reader in) {
  table_def def;
  def.name = to_string(in.getName());
  def.entity = to_string(in.getEntity());
  def.key_column = to_string(in.getKeyColumn());
  for (auto c : in.getColumns()) {
    column_def column;
    column.tag = to_string(c.getTag());
    column.column = to_string(c.getColumn());
    column.kind = from_wire(c.getKind());
    column.precision = c.getPrecision();
    column.scale = c.getScale();
    column.unit = c.getUnit() == wire::TimeUnit::TIMESTAMP ? time_unit::timestamp : time_unit::date;
    def.columns.push_back(std::move(column));
  }
  def.mode = in.getMode() == wire::TableMode::REALTIME ? table_mode::realtime : table_mode::offline;
  def.multi_row = in.getMultiRow();
  def.retention = in.getRetention();
  return def;
}

table_version from_wire(wire::Snapshot::TableVersion::Reader in) {
  return {to_string(in.getTable()), in.getStorageId(), to_string(in.getLabel())};
}

composite_def from_wire(wire::CompositeDef::Reader in) {
  return {to_string(in.getName()), to_string(in.getEntity()), to_string(in.getExpression()),
          in.getMaterialized()};
}

} // namespace

void to_wire(const entity_def& def, wire::EntityDef::Builder out) {
  out.setName(text_of(def.name));
  out.setKeys(to_wire(def.keys));
}

void to_wire(const table_def& def, wire::TableDef::Builder out) {
  out.setName(text_of(def.name));
  out.setEntity(text_of(def.entity));
  out.setKeyColumn(text_of(def.key_column));
  auto columns = out.initColumns(static_cast<unsigned>(def.columns.size()));
  for (unsigned i = 0; i < def.columns.size(); ++i) {
    const column_def& c = def.columns[i];
    auto column = columns[i];
    column.setTag(text_of(c.tag));
    column.setColumn(text_of(c.column));
    column.setKind(to_wire(c.kind));
    column.setPrecision(c.precision);
    column.setScale(c.scale);
    column.setUnit(c.unit == time_unit::timestamp ? wire::TimeUnit::TIMESTAMP
                                                  : wire::TimeUnit::DATE);
  }
  out.setMode(def.mode == table_mode::realtime ? wire::TableMode::REALTIME
                                               : wire::TableMode::OFFLINE);
  out.setMultiRow(def.multi_row);
  out.setRetention(def.retention);
}

void to_wire(const composite_def& def, wire::CompositeDef::Builder out) {
  out.setName(text_of(def.name));
  out.setEntity(text_of(def.entity));
  out.setExpression(text_of(def.expression));
  out.setMaterialized(def.materialized);
}

void to_wire(const snapshot& pinned, wire::Snapshot::Builder out) {
  out.setCatalogVersion(pinned.catalog_version);
  auto tables = out.initTables(static_cast<unsigned>(pinned.tables.size()));
  for (unsigned i = 0; i < pinned.tables.size(); ++i) {
    tables[i].setTable(text_of(pinned.tables[i].table));
    tables[i].setStorageId(pinned.tables[i].storage_id);
    tables[i].setLabel(text_of(pinned.tables[i].label));
  }
  auto groups = out.initGroups(static_cast<unsigned>(pinned.groups.size()));
  for (unsigned i = 0; i < pinned.groups.size(); ++i) {
    groups[i].setGroup(text_of(pinned.groups[i].group));
    groups[i].setVersion(pinned.groups[i].version);
  }
}

void to_wire(const import_options& options, wire::ImportOptions::Builder out) {
  const char delimiter[2] = {options.delimiter, '\0'};
  out.setDelimiter(capnp::Text::Reader(delimiter, 1));
  out.setHeader(options.header);
  out.setMaxRejected(options.max_rejected);
}

namespace {

void to_wire(const literal& value, wire::Literal::Builder out) {
  switch (value.type) {
  case literal::kind::string:
    out.setString(text_of(value.text));
    break;
  case literal::kind::number:
    out.setNumber(text_of(value.text));
    break;
  case literal::kind::boolean:
    out.setBoolean(value.flag);
    break;
  }
}

void to_wire(const std::vector<literal>& values, capnp::List<wire::Literal>::Builder out) {
  for (unsigned i = 0; i < values.size(); ++i)
    to_wire(values[i], out[i]);
}

wire::CompareOp to_wire(compare_op op) {
  switch (op) {
  case compare_op::eq:
    return wire::CompareOp::EQ;
  case compare_op::ne:
    return wire::CompareOp::NE;
  case compare_op::lt:
    return wire::CompareOp::LT;
  case compare_op::le:
    return wire::CompareOp::LE;
  case compare_op::gt:
    return wire::CompareOp::GT;
  case compare_op::ge:
    return wire::CompareOp::GE;
  }
  return wire::CompareOp::EQ;
}

// The one value of a compare, or each bound of a between: a missing one goes as an empty
// string, which the node rejects with the tag's name.
const literal& value_at(const expression& e, size_t i) {
  static const literal none("");
  return i < e.values.size() ? e.values[i] : none;
}

} // namespace

void to_wire(const expression& built, wire::Expr::Builder out) {
  using kind = expression::kind;
  auto operands = [&](capnp::List<wire::Expr>::Builder list) {
    for (unsigned i = 0; i < built.operands.size(); ++i)
      to_wire(built.operands[i], list[i]);
  };
  auto count = [](const auto& list) { return static_cast<unsigned>(list.size()); };
  switch (built.type) {
  case kind::text: // a text operand inside a built expression: not part of the protocol
    fail("INVALID_EXPRESSION",
         "a built expression's operands must be built too, not text: '" + built.text + "'");
  case kind::and_:
    operands(out.initAnd(count(built.operands)));
    break;
  case kind::or_:
    operands(out.initOr(count(built.operands)));
    break;
  case kind::not_:
    if (built.operands.size() != 1)
      fail("INVALID_EXPRESSION", "NOT takes one operand");
    to_wire(built.operands[0], out.initNot());
    break;
  case kind::compare: {
    auto c = out.initCompare();
    c.setTag(text_of(built.name));
    c.setOp(to_wire(built.op));
    to_wire(value_at(built, 0), c.initValue());
    break;
  }
  case kind::in_list: {
    auto c = out.initInList();
    c.setTag(text_of(built.name));
    to_wire(built.values, c.initValues(count(built.values)));
    c.setNegated(built.negated);
    break;
  }
  case kind::between: {
    auto c = out.initBetween();
    c.setTag(text_of(built.name));
    to_wire(value_at(built, 0), c.initLow());
    to_wire(value_at(built, 1), c.initHigh());
    break;
  }
  case kind::is_null: {
    auto c = out.initIsNull();
    c.setTag(text_of(built.name));
    c.setNegated(built.negated);
    break;
  }
  case kind::has: {
    auto c = out.initHas();
    c.setTag(text_of(built.name));
    to_wire(built.values, c.initValues(count(built.values)));
    c.setAll(built.all);
    break;
  }
  case kind::within: {
    auto c = out.initWithin();
    c.setTag(text_of(built.name));
    c.setDays(built.days);
    break;
  }
  case kind::in_group: {
    auto c = out.initInGroup();
    c.setGroup(text_of(built.name));
    c.setVersion(built.version);
    break;
  }
  case kind::tag:
    out.setTag(text_of(built.name));
    break;
  }
}

void to_wire(const expression& matching, const query_options& options, uint32_t default_deadline_ms,
             wire::Query::Builder out) {
  out.setEntity(text_of(options.entity));
  if (matching.type == expression::kind::text)
    out.getExpression().setText(text_of(matching.text));
  else
    to_wire(matching, out.getExpression().initStructured());
  out.setNow(options.now);
  if (options.pin)
    to_wire(*options.pin, out.initPin());
  out.setDeadlineMs(options.deadline_ms != 0 ? options.deadline_ms : default_deadline_ms);
}

void to_wire(const std::vector<row>& rows, capnp::List<wire::Row>::Builder out) {
  for (unsigned i = 0; i < rows.size(); ++i) {
    auto r = out[i];
    r.setKey(text_of(rows[i].key));
    auto fields = r.initFields(static_cast<unsigned>(rows[i].fields.size()));
    for (unsigned f = 0; f < rows[i].fields.size(); ++f) {
      if (rows[i].fields[f])
        fields[f].setValue(text_of(*rows[i].fields[f]));
      else
        fields[f].setNull();
    }
  }
}

snapshot from_wire(wire::Snapshot::Reader in) {
  snapshot out;
  out.catalog_version = in.getCatalogVersion();
  for (auto t : in.getTables())
    out.tables.push_back(from_wire(t));
  for (auto g : in.getGroups())
    out.groups.push_back({to_string(g.getGroup()), g.getVersion()});
  return out;
}

group_version_info from_wire(wire::GroupVersionInfo::Reader in) {
  group_version_info out;
  out.group = to_string(in.getGroup());
  out.version = in.getVersion();
  out.count = in.getCount();
  out.created_unix = in.getCreatedUnix();
  out.expression = to_string(in.getExpression());
  out.entity = to_string(in.getEntity());
  return out;
}

catalog from_wire(wire::Catalog::Reader in) {
  catalog out;
  out.version = in.getVersion();
  for (auto e : in.getEntities())
    out.entities.push_back(from_wire(e));
  for (auto t : in.getTables()) {
    table_info info{from_wire(t.getDef()), {}};
    for (auto v : t.getVersions())
      info.versions.push_back(from_wire(v));
    out.tables.push_back(std::move(info));
  }
  for (auto c : in.getComposites())
    out.composites.push_back(from_wire(c));
  for (auto g : in.getGroups())
    out.groups.push_back(from_wire(g));
  return out;
}

node_status from_wire(wire::NodeStatus::Reader in) {
  node_status out;
  out.version = to_string(in.getVersion());
  out.data_directory = to_string(in.getDataDirectory());
  out.vshards = in.getVshards();
  out.uptime_seconds = in.getUptimeSeconds();
  out.catalog_version = in.getCatalogVersion();
  out.requests_served = in.getRequestsServed();
  out.requests_failed = in.getRequestsFailed();
  return out;
}

import_report from_wire(wire::ImportReport::Reader in) {
  import_report out;
  out.table = to_string(in.getTable());
  out.label = to_string(in.getLabel());
  out.storage_id = in.getStorageId();
  out.rows_read = in.getRowsRead();
  out.rows_loaded = in.getRowsLoaded();
  out.keys = in.getKeys();
  out.rejected = in.getRejected();
  for (auto r : in.getRejects())
    out.rejects.push_back({to_string(r.getSource()), r.getLine(), to_string(r.getReason())});
  out.seconds = in.getSeconds();
  return out;
}

part_info from_wire(wire::PartInfo::Reader in) {
  return {in.getVshard(), in.getRows(), in.getBytes(), in.getCrc32()};
}

std::vector<std::string> from_wire(capnp::List<capnp::Text>::Reader in) {
  std::vector<std::string> out;
  out.reserve(in.size());
  for (auto t : in)
    out.push_back(to_string(t));
  return out;
}

} // namespace tagd::client::detail
