#include "node/wire_convert.hpp"

namespace tagd::node {

namespace {

tag_kind kind_of(wire::TagKind k) {
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
  return tag_kind::enum_;
}

wire::TagKind wire_kind(tag_kind k) {
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
  case tag_kind::composite:
    return wire::TagKind::TIME;
  }
  return wire::TagKind::ENUM;
}

literal literal_of(wire::Literal::Reader l) {
  switch (l.which()) {
  case wire::Literal::STRING:
    return literal::string_value(text_of(l.getString()));
  case wire::Literal::NUMBER:
    return literal::number_value(text_of(l.getNumber()));
  case wire::Literal::BOOLEAN:
    return literal::boolean_value(l.getBoolean());
  }
  return literal::string_value("");
}

std::vector<literal> literals_of(capnp::List<wire::Literal>::Reader list) {
  std::vector<literal> out;
  for (auto l : list)
    out.push_back(literal_of(l));
  return out;
}

compare_op op_of(wire::CompareOp op) {
  switch (op) {
  case wire::CompareOp::EQ:
    return compare_op::eq;
  case wire::CompareOp::NE:
    return compare_op::ne;
  case wire::CompareOp::LT:
    return compare_op::lt;
  case wire::CompareOp::LE:
    return compare_op::le;
  case wire::CompareOp::GT:
    return compare_op::gt;
  case wire::CompareOp::GE:
    return compare_op::ge;
  }
  return compare_op::eq;
}

} // namespace

std::string text_of(capnp::Text::Reader t) {
  return std::string(t.cStr(), t.size());
}

result<table_spec> table_spec_of(wire::TableDef::Reader def) {
  table_spec spec;
  spec.name = text_of(def.getName());
  spec.entity = entity_or_default(text_of(def.getEntity()));
  spec.mode =
      def.getMode() == wire::TableMode::REALTIME ? table_mode::realtime : table_mode::offline;
  spec.multi_row = def.getMultiRow();
  if (def.getKeyColumn().size() > 0)
    spec.key_column = text_of(def.getKeyColumn());
  if (def.getRetention() > 0)
    spec.retention = def.getRetention();
  for (auto c : def.getColumns()) {
    column_spec column;
    column.tag = text_of(c.getTag());
    column.column = text_of(c.getColumn());
    column.kind = kind_of(c.getKind());
    if (column.kind == tag_kind::decimal) {
      column.precision = c.getPrecision() ? c.getPrecision() : 18;
      column.scale = c.getScale();
    }
    column.unit = c.getUnit() == wire::TimeUnit::TIMESTAMP ? time_unit::timestamp : time_unit::date;
    spec.columns.push_back(std::move(column));
  }
  return spec;
}

result<expr> expr_of(wire::Expr::Reader e, size_t depth_left) {
  if (depth_left == 0)
    return status(error_code::too_large, "the structured expression is nested too deeply");
  expr out;
  auto children = [&](capnp::List<wire::Expr>::Reader list, expr::kind k) -> status {
    if (list.size() < 2)
      return status(error_code::invalid_expression, "AND and OR need two or more operands");
    out.type = k;
    for (auto child : list) {
      TAGD_TRY_ASSIGN(c, expr_of(child, depth_left - 1));
      out.children.push_back(std::move(c));
    }
    return status::ok();
  };
  switch (e.which()) {
  case wire::Expr::AND:
    TAGD_TRY(children(e.getAnd(), expr::kind::and_));
    break;
  case wire::Expr::OR:
    TAGD_TRY(children(e.getOr(), expr::kind::or_));
    break;
  case wire::Expr::NOT: {
    out.type = expr::kind::not_;
    TAGD_TRY_ASSIGN(c, expr_of(e.getNot(), depth_left - 1));
    out.children.push_back(std::move(c));
    break;
  }
  case wire::Expr::COMPARE: {
    auto c = e.getCompare();
    out.type = expr::kind::compare;
    out.tag = text_of(c.getTag());
    out.op = op_of(c.getOp());
    out.values = {literal_of(c.getValue())};
    break;
  }
  case wire::Expr::IN_LIST: {
    auto c = e.getInList();
    out.type = expr::kind::in_list;
    out.tag = text_of(c.getTag());
    out.values = literals_of(c.getValues());
    out.negated = c.getNegated();
    if (out.values.empty())
      return status(error_code::invalid_expression, "IN needs at least one value");
    break;
  }
  case wire::Expr::BETWEEN: {
    auto c = e.getBetween();
    out.type = expr::kind::between;
    out.tag = text_of(c.getTag());
    out.values = {literal_of(c.getLow()), literal_of(c.getHigh())};
    break;
  }
  case wire::Expr::IS_NULL: {
    auto c = e.getIsNull();
    out.type = expr::kind::is_null;
    out.tag = text_of(c.getTag());
    out.negated = c.getNegated();
    break;
  }
  case wire::Expr::HAS: {
    auto c = e.getHas();
    out.type = expr::kind::has;
    out.tag = text_of(c.getTag());
    out.values = literals_of(c.getValues());
    out.all = c.getAll();
    if (out.values.empty())
      return status(error_code::invalid_expression, "HAS needs at least one value");
    break;
  }
  case wire::Expr::WITHIN: {
    auto c = e.getWithin();
    out.type = expr::kind::within;
    out.tag = text_of(c.getTag());
    out.days = c.getDays();
    break;
  }
  case wire::Expr::IN_GROUP: {
    auto c = e.getInGroup();
    out.type = expr::kind::group_ref;
    out.group = text_of(c.getGroup());
    if (c.getVersion() != 0)
      out.group_version = c.getVersion();
    break;
  }
  case wire::Expr::TAG:
    out.type = expr::kind::tag_truth;
    out.tag = text_of(e.getTag());
    break;
  }
  return out;
}

actors::clock::time_point deadline_after(uint32_t milliseconds) {
  return actors::clock::now() + std::chrono::milliseconds(milliseconds);
}

result<actors::query_request> query_of(wire::Query::Reader q, const node_options& options) {
  actors::query_request r;
  r.entity = entity_or_default(text_of(q.getEntity()));
  r.now = q.getNow();
  r.deadline = deadline_after(q.getDeadlineMs() ? q.getDeadlineMs() : options.deadline_ms);
  if (q.hasPin()) {
    for (auto table : q.getPin().getTables())
      r.pinned_tables[text_of(table.getTable())] = table.getStorageId();
    for (auto group : q.getPin().getGroups())
      r.pinned_groups[text_of(group.getGroup())] = group.getVersion();
  }
  auto expression = q.getExpression();
  if (expression.isStructured()) {
    TAGD_TRY_ASSIGN(e, expr_of(expression.getStructured(), options.limit.max_expression_depth));
    r.expression = to_string(e);
  } else {
    r.expression = text_of(expression.getText());
  }
  if (r.expression.size() > options.limit.max_expression_bytes)
    return status(error_code::too_large, "the expression has " +
                                             std::to_string(r.expression.size()) +
                                             " bytes; this node accepts at most " +
                                             std::to_string(options.limit.max_expression_bytes));
  return r;
}

void fill_snapshot(wire::Snapshot::Builder out, const actors::snapshot_info& s,
                   const catalog_state& state) {
  out.setCatalogVersion(s.catalog_version);
  auto tables = out.initTables(static_cast<unsigned>(s.tables.size()));
  unsigned i = 0;
  for (const auto& [name, storage] : s.tables) {
    auto t = tables[i++];
    t.setTable(name);
    t.setStorageId(storage);
    if (const table_def* def = state.find_table(name))
      for (const table_version& v : def->versions)
        if (v.storage_id == storage)
          t.setLabel(v.label);
  }
  auto groups = out.initGroups(static_cast<unsigned>(s.groups.size()));
  i = 0;
  for (const auto& [name, version] : s.groups) {
    groups[i].setGroup(name);
    groups[i++].setVersion(version);
  }
}

void fill_group_version(wire::GroupVersionInfo::Builder out, const group_version_info& v,
                        const catalog_state& state) {
  out.setGroup(v.group);
  out.setVersion(v.version);
  out.setCount(v.count);
  if (auto found = state.find_group_version(v.group, v.version)) {
    out.setCreatedUnix(found->second->created);
    out.setExpression(found->second->expression);
    out.setEntity(found->first->entity);
  }
}

void fill_catalog(wire::Catalog::Builder out, const catalog_state& state) {
  out.setVersion(state.version);
  auto entities = out.initEntities(static_cast<unsigned>(state.entities.size()));
  unsigned i = 0;
  for (const auto& [name, e] : state.entities) {
    entities[i].setName(name);
    entities[i++].setKeys(e.keys == key_kind::string ? wire::KeyKind::STRING : wire::KeyKind::U64);
  }
  auto tables = out.initTables(static_cast<unsigned>(state.tables.size()));
  i = 0;
  for (const auto& [name, t] : state.tables) {
    auto info = tables[i++];
    auto def = info.initDef();
    def.setName(name);
    def.setEntity(t.entity);
    def.setKeyColumn(t.key_column);
    def.setMode(t.mode == table_mode::realtime ? wire::TableMode::REALTIME
                                               : wire::TableMode::OFFLINE);
    def.setMultiRow(t.multi_row);
    def.setRetention(t.retention);
    auto columns = def.initColumns(static_cast<unsigned>(t.tags.size()));
    for (unsigned c = 0; c < t.tags.size(); ++c) {
      const tag_def* tag = state.find_tag(t.entity, t.tags[c]);
      columns[c].setTag(t.tags[c]);
      if (!tag)
        continue;
      columns[c].setColumn(tag->column);
      columns[c].setKind(wire_kind(tag->kind));
      columns[c].setPrecision(tag->precision);
      columns[c].setScale(tag->scale);
      columns[c].setUnit(tag->unit == time_unit::timestamp ? wire::TimeUnit::TIMESTAMP
                                                           : wire::TimeUnit::DATE);
    }
    auto versions = info.initVersions(static_cast<unsigned>(t.versions.size()));
    for (unsigned v = 0; v < t.versions.size(); ++v) {
      versions[v].setTable(name);
      versions[v].setStorageId(t.versions[v].storage_id);
      versions[v].setLabel(t.versions[v].label);
    }
  }
  std::vector<const tag_def*> composites;
  for (const auto& [key, tag] : state.tags)
    if (tag.kind == tag_kind::composite)
      composites.push_back(&tag);
  auto out_composites = out.initComposites(static_cast<unsigned>(composites.size()));
  for (unsigned c = 0; c < composites.size(); ++c) {
    out_composites[c].setName(composites[c]->name);
    out_composites[c].setEntity(composites[c]->entity);
    out_composites[c].setExpression(composites[c]->expression);
    out_composites[c].setMaterialized(composites[c]->materialized);
  }
  size_t version_count = 0;
  for (const auto& [name, g] : state.groups)
    version_count += g.versions.size();
  auto groups = out.initGroups(static_cast<unsigned>(version_count));
  i = 0;
  for (const auto& [name, g] : state.groups)
    for (const group_version& v : g.versions) {
      auto gv = groups[i++];
      gv.setGroup(name);
      gv.setVersion(v.version);
      gv.setCount(v.count);
      gv.setCreatedUnix(v.created);
      gv.setExpression(v.expression);
      gv.setEntity(g.entity);
    }
}

} // namespace tagd::node
