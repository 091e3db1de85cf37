#include "shards/query_plan.hpp"

#include "shards/typed_value.hpp"

#include <algorithm>
#include <limits>

namespace tagd {

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// The version of `table` a plan reads: the pinned one, or the current one (0: none yet).
uint32_t version_read(const table_def& table, const bind_options& options) {
  auto pinned = options.pinned_tables.find(table.name);
  if (pinned != options.pinned_tables.end())
    return pinned->second;
  return table.versions.empty() ? 0 : table.versions.back().storage_id;
}

// Every pinned version must still be kept: a snapshot is read whole or not at all.
status check_pins(const catalog_state& state, const bind_options& options) {
  for (const auto& [name, storage_id] : options.pinned_tables) {
    const table_def* table = state.find_table(name);
    if (!table)
      return status(error_code::not_found, "no table '" + name + "' (pinned to version " +
                                               std::to_string(storage_id) + ")");
    bool kept = std::any_of(table->versions.begin(), table->versions.end(),
                            [&](const table_version& v) { return v.storage_id == storage_id; });
    if (kept)
      continue;
    std::string kept_now;
    for (const table_version& v : table->versions)
      kept_now +=
          (kept_now.empty() ? "" : ", ") + std::to_string(v.storage_id) + " (" + v.label + ")";
    return status(error_code::not_found,
                  "table '" + name + "' no longer keeps the pinned version " +
                      std::to_string(storage_id) +
                      (kept_now.empty() ? ": it has none" : ": it keeps " + kept_now));
  }
  for (const auto& [name, version] : options.pinned_groups)
    TAGD_TRY(state.find_group_version(name, version).take_status());
  return status::ok();
}

status mismatch(const expr& e, const std::string& what) {
  return status(error_code::type_mismatch,
                "column " + std::to_string(e.column) + ": tag '" + e.tag + "' " + what);
}

class binder {
 public:
  binder(const std::string& entity, const catalog_state& state, catalog& cat,
         const bind_options& options, query_plan& plan)
      : entity_(entity), state_(state), catalog_(cat), options_(options), plan_(plan) {}

  result<plan_node> bind(const expr& e) {
    switch (e.type) {
    case expr::kind::and_:
    case expr::kind::or_: {
      plan_node node;
      node.type = e.type == expr::kind::and_ ? plan_node::kind::and_ : plan_node::kind::or_;
      for (const expr& child : e.children) {
        TAGD_TRY_ASSIGN(bound, bind(child));
        if (node.type == plan_node::kind::and_ && merge_range(node, bound))
          continue;
        node.children.push_back(std::move(bound));
      }
      if (node.children.size() == 1)
        return std::move(node.children[0]);
      return node;
    }
    case expr::kind::not_: {
      TAGD_TRY_ASSIGN(inner, bind(e.children.at(0)));
      return negate(std::move(inner));
    }
    case expr::kind::group_ref:
      return bind_group(e);
    default:
      break;
    }
    const tag_def* tag = state_.find_tag(entity_, e.tag);
    if (!tag)
      return status(error_code::unknown_tag, "column " + std::to_string(e.column) + ": no tag '" +
                                                 e.tag + "' for entity type '" + entity_ + "'");
    if (tag->kind == tag_kind::composite)
      return bind_composite(e, *tag);
    if (e.type == expr::kind::is_null) {
      plan_node not_null = leaf(*tag, plan_node::kind::not_null);
      return e.negated ? std::move(not_null) : negate(std::move(not_null));
    }
    if (is_ranged(tag->kind))
      return bind_ranged(e, *tag);
    return bind_valued(e, *tag);
  }

 private:
  // `a >= x AND a < y` on one single-valued tag is one range: one pass over the index instead
  // of two. Merges `range` into a range child of `conjunction` on the same tag, if any.
  static bool merge_range(plan_node& conjunction, const plan_node& range) {
    if (range.type != plan_node::kind::range || !range.single_valued)
      return false;
    for (plan_node& sibling : conjunction.children) {
      if (sibling.type != plan_node::kind::range || sibling.tag_id != range.tag_id ||
          sibling.storage_id != range.storage_id)
        continue;
      // Intersect two sorted lists of disjoint inclusive ranges.
      std::vector<std::pair<int64_t, int64_t>> both;
      size_t i = 0, j = 0;
      while (i < sibling.ranges.size() && j < range.ranges.size()) {
        int64_t lo = std::max(sibling.ranges[i].first, range.ranges[j].first);
        int64_t hi = std::min(sibling.ranges[i].second, range.ranges[j].second);
        if (lo <= hi)
          both.emplace_back(lo, hi);
        (sibling.ranges[i].second < range.ranges[j].second ? i : j)++;
      }
      sibling.ranges = std::move(both);
      return true;
    }
    return false;
  }

  // NOT x is the universe minus x: the answer depends on every table of the entity type.
  plan_node negate(plan_node inner) {
    note_universe();
    plan_node node;
    node.type = plan_node::kind::not_;
    node.children.push_back(std::move(inner));
    return node;
  }

  // Records the tables whose keys make the universe among the plan's inputs, so that what was
  // computed from a plan (a materialized composite, a group version) names everything it read.
  void note_universe() {
    for (const auto& [name, table] : state_.tables)
      if (table.entity == entity_ && !table.versions.empty()) {
        plan_.table_versions[name] = version_read(table, options_);
        plan_.reads_realtime |= table.mode == table_mode::realtime;
      }
  }

  plan_node leaf(const tag_def& tag, plan_node::kind type) {
    plan_node node;
    node.type = type;
    node.tag_id = tag.id;
    node.ranged = is_ranged(tag.kind);
    const table_def* table = state_.find_table(tag.table);
    if (table && !table->versions.empty()) {
      node.storage_id = version_read(*table, options_);
      plan_.table_versions[table->name] = node.storage_id;
      plan_.reads_realtime |= table->mode == table_mode::realtime;
    }
    node.single_valued = tag.kind != tag_kind::set && table && !table->multi_row;
    return node;
  }

  result<plan_node> bind_group(const expr& e) {
    const group_def* group = state_.find_group(e.group);
    if (!group)
      return status(error_code::not_found,
                    "column " + std::to_string(e.column) + ": no group '" + e.group + "'");
    if (group->entity != entity_)
      return status(error_code::type_mismatch, "column " + std::to_string(e.column) + ": group '" +
                                                   e.group + "' holds entity type '" +
                                                   group->entity + "', not '" + entity_ + "'");
    if (group->versions.empty())
      return status(error_code::not_found, "column " + std::to_string(e.column) + ": group '" +
                                               e.group + "' has no version yet");
    auto pinned = options_.pinned_groups.find(group->name);
    uint32_t version =
        pinned != options_.pinned_groups.end() ? pinned->second : group->versions.back().version;
    if (e.group_version) {
      auto it = std::find_if(group->versions.begin(), group->versions.end(),
                             [&](const group_version& v) { return v.version == *e.group_version; });
      if (it == group->versions.end())
        return status(error_code::not_found, "column " + std::to_string(e.column) + ": group '" +
                                                 e.group + "' has no version " +
                                                 std::to_string(*e.group_version));
      version = it->version;
    }
    plan_node node;
    node.type = plan_node::kind::group;
    node.beyond_universe = true;
    node.group_id = group->id;
    node.group_version = version;
    plan_.group_versions[group->name] = version;
    return node;
  }

  result<plan_node> bind_composite(const expr& e, const tag_def& tag) {
    bool want_true = true;
    if (e.type == expr::kind::compare && (e.op == compare_op::eq || e.op == compare_op::ne) &&
        e.values.size() == 1 && e.values[0].type == literal::kind::boolean) {
      want_true = (e.values[0].text == "true") == (e.op == compare_op::eq);
    } else if (e.type != expr::kind::tag_truth) {
      return mismatch(e, "is a composite tag: use it bare or with = TRUE / = FALSE");
    }
    if (depth_ >= options_.max_composite_depth)
      return status(error_code::invalid_expression,
                    "composite tags nest deeper than " +
                        std::to_string(options_.max_composite_depth) + " at '" + tag.name + "'");
    TAGD_TRY_ASSIGN(definition, parse_expression(tag.expression));
    // Bind the definition on its own to learn its inputs, then merge them into the plan.
    query_plan inputs;
    binder inner(entity_, state_, catalog_, options_, inputs);
    inner.depth_ = depth_ + 1;
    auto bound = inner.bind(definition);
    if (!bound)
      return status(bound.error().code(),
                    "in composite tag '" + tag.name + "': " + bound.error().message());
    plan_.table_versions.insert(inputs.table_versions.begin(), inputs.table_versions.end());
    plan_.group_versions.insert(inputs.group_versions.begin(), inputs.group_versions.end());
    plan_.reads_realtime |= inputs.reads_realtime;
    plan_node node = std::move(bound).value();
    if (tag.materialized && tag.materialized_storage != 0 && !inputs.reads_realtime &&
        inputs.table_versions == tag.materialized_tables &&
        inputs.group_versions == tag.materialized_groups) {
      // The stored bitmap was computed from exactly these inputs.
      node = plan_node{};
      node.type = plan_node::kind::values_any;
      node.storage_id = tag.materialized_storage;
      node.tag_id = tag.id;
      node.slots = {0};
      node.beyond_universe = !inputs.group_versions.empty();
    }
    return want_true ? std::move(node) : negate(std::move(node));
  }

  // bool, enum and set tags: a bitmap per value.
  result<plan_node> bind_valued(const expr& e, const tag_def& tag) {
    auto value_id = [&](const literal& lit) -> result<std::optional<uint32_t>> {
      if (tag.kind == tag_kind::bool_) {
        if (lit.type != literal::kind::boolean)
          return mismatch(e, "is bool: compare it with TRUE or FALSE");
        return std::optional<uint32_t>(lit.text == "true" ? 1u : 0u);
      }
      if (lit.type != literal::kind::string)
        return mismatch(e, std::string("is ") + to_string(tag.kind) +
                               ": compare it with quoted strings");
      return catalog_.values(tag.id).find(lit.text);
    };
    auto slots_of = [&](const std::vector<literal>& values) -> result<std::vector<uint32_t>> {
      std::vector<uint32_t> slots;
      for (const literal& lit : values) {
        TAGD_TRY_ASSIGN(id, value_id(lit));
        if (id)
          slots.push_back(*id);
      }
      std::sort(slots.begin(), slots.end());
      slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
      return slots;
    };
    switch (e.type) {
    case expr::kind::tag_truth:
      if (tag.kind != tag_kind::bool_)
        return mismatch(e, std::string("is ") + to_string(tag.kind) +
                               ", not bool: write a comparison");
      {
        plan_node node = leaf(tag, plan_node::kind::values_any);
        node.slots = {1};
        return node;
      }
    case expr::kind::compare: {
      if (e.op != compare_op::eq && e.op != compare_op::ne)
        return mismatch(e, std::string("is ") + to_string(tag.kind) +
                               ": only =, !=, IN, NOT IN, HAS and IS NULL apply");
      TAGD_TRY_ASSIGN(slots, slots_of(e.values));
      plan_node node = leaf(tag, e.op == compare_op::eq ? plan_node::kind::values_any
                                                        : plan_node::kind::values_other);
      node.slots = std::move(slots);
      return node;
    }
    case expr::kind::in_list: {
      TAGD_TRY_ASSIGN(slots, slots_of(e.values));
      plan_node node =
          leaf(tag, e.negated ? plan_node::kind::values_other : plan_node::kind::values_any);
      node.slots = std::move(slots);
      return node;
    }
    case expr::kind::has: {
      TAGD_TRY_ASSIGN(slots, slots_of(e.values));
      if (e.all) {
        // HAS ALL of a value nobody has matches nobody.
        std::vector<literal> distinct;
        for (const literal& lit : e.values)
          if (std::find(distinct.begin(), distinct.end(), lit) == distinct.end())
            distinct.push_back(lit);
        if (slots.size() < distinct.size())
          return plan_node{};
      }
      plan_node node = leaf(tag, e.all ? plan_node::kind::values_all : plan_node::kind::values_any);
      node.slots = std::move(slots);
      return node;
    }
    default:
      return mismatch(e, std::string("is ") + to_string(tag.kind) +
                             ": BETWEEN, <, >, and WITHIN need an int, decimal or time tag");
    }
  }

  // A literal in the tag's stored units, exact: floor of the value and whether it had a fraction.
  result<scaled_number> ranged_value(const expr& e, const tag_def& tag, const literal& lit) {
    if (tag.kind == tag_kind::time) {
      if (lit.type != literal::kind::string)
        return mismatch(e, std::string("is a time (") + to_string(tag.unit) +
                               "): compare it with a quoted date such as '2026-11-25'");
      auto parsed = parse_time(lit.text, tag.unit);
      if (!parsed)
        return mismatch(e, std::string("is a ") + to_string(tag.unit) + ": " +
                               parsed.error().message());
      scaled_number out;
      out.floor = *parsed;
      return out;
    }
    if (lit.type != literal::kind::number)
      return mismatch(e, std::string("is ") + to_string(tag.kind) + ": compare it with a number");
    auto parsed = parse_scaled(lit.text, tag.kind == tag_kind::decimal ? tag.scale : 0);
    if (!parsed)
      return mismatch(e,
                      std::string("is ") + to_string(tag.kind) + ": " + parsed.error().message());
    return std::move(parsed).value();
  }

  result<plan_node> bind_ranged(const expr& e, const tag_def& tag) {
    plan_node node = leaf(tag, plan_node::kind::range);
    // Bounds are 128-bit so that literals past int64 still compare exactly; a range is clipped
    // to the stored int64 domain, dropped when nothing of it is left, merged when adjacent.
    auto add = [&](__int128 lo, __int128 hi) {
      lo = std::max<__int128>(lo, kMin);
      hi = std::min<__int128>(hi, kMax);
      if (lo > hi)
        return;
      if (!node.ranges.empty() && __int128{node.ranges.back().second} + 1 >= lo)
        node.ranges.back().second =
            static_cast<int64_t>(std::max<__int128>(hi, node.ranges.back().second));
      else
        node.ranges.emplace_back(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
    };
    // The smallest stored integer >= the literal, and the largest <= it.
    auto lowest = [](const scaled_number& v) { return v.floor + (v.fraction ? 1 : 0); };
    auto highest = [](const scaled_number& v) { return v.floor; };
    switch (e.type) {
    case expr::kind::compare: {
      TAGD_TRY_ASSIGN(v, ranged_value(e, tag, e.values.at(0)));
      switch (e.op) {
      case compare_op::eq:
        if (!v.fraction)
          add(v.floor, v.floor);
        break;
      case compare_op::ne:
        if (v.fraction) {
          add(kMin, kMax);
        } else {
          add(kMin, v.floor - 1);
          add(v.floor + 1, kMax);
        }
        break;
      case compare_op::lt:
        add(kMin, lowest(v) - 1);
        break;
      case compare_op::le:
        add(kMin, highest(v));
        break;
      case compare_op::gt:
        add(highest(v) + 1, kMax);
        break;
      case compare_op::ge:
        add(lowest(v), kMax);
        break;
      }
      return node;
    }
    case expr::kind::between: {
      TAGD_TRY_ASSIGN(lo, ranged_value(e, tag, e.values.at(0)));
      TAGD_TRY_ASSIGN(hi, ranged_value(e, tag, e.values.at(1)));
      add(lowest(lo), highest(hi));
      return node;
    }
    case expr::kind::in_list: {
      std::vector<__int128> points;
      for (const literal& lit : e.values) {
        TAGD_TRY_ASSIGN(v, ranged_value(e, tag, lit));
        if (!v.fraction) // a value with a fraction equals no stored integer
          points.push_back(v.floor);
      }
      std::sort(points.begin(), points.end());
      points.erase(std::unique(points.begin(), points.end()), points.end());
      if (!e.negated) {
        for (__int128 p : points)
          add(p, p);
        return node;
      }
      // Some value outside the list: the gaps between the listed points.
      __int128 next = kMin;
      for (__int128 p : points) {
        add(next, p - 1);
        next = std::max(next, p + 1);
      }
      add(next, kMax);
      return node;
    }
    case expr::kind::within: {
      if (tag.kind != tag_kind::time)
        return mismatch(e, std::string("is ") + to_string(tag.kind) + ": WITHIN needs a time tag");
      if (tag.unit == time_unit::date) {
        int64_t today = options_.now >= 0 ? options_.now / 86400 : (options_.now - 86399) / 86400;
        add(__int128{today} - e.days, today);
      } else {
        add(__int128{options_.now} - __int128{e.days} * 86400, options_.now);
      }
      return node;
    }
    case expr::kind::tag_truth:
      return mismatch(e,
                      std::string("is ") + to_string(tag.kind) + ", not bool: write a comparison");
    default:
      return mismatch(e, std::string("is ") + to_string(tag.kind) +
                             ": HAS applies to set and enum tags");
    }
  }

  const std::string& entity_;
  const catalog_state& state_;
  catalog& catalog_;
  const bind_options& options_;
  query_plan& plan_;
  size_t depth_ = 0;
};

} // namespace

result<query_plan> bind_expression(const expr& e, const std::string& entity,
                                   const catalog_state& state, catalog& cat,
                                   const bind_options& options) {
  if (!state.entities.count(entity))
    return status(error_code::not_found, "no entity type '" + entity + "'");
  TAGD_TRY(check_pins(state, options));
  query_plan plan;
  plan.entity = entity;
  plan.catalog_version = state.version;
  // The universe: the stored union of the offline tables' present keys when it is current,
  // plus each real-time table's present keys (those change row by row).
  std::vector<uint32_t> offline;
  for (const auto& [name, table] : state.tables)
    if (table.entity == entity && !table.versions.empty()) {
      (table.mode == table_mode::offline ? offline : plan.universe_storage_ids)
          .push_back(version_read(table, options));
      plan.universe_mutable |= table.mode == table_mode::realtime;
    }
  std::sort(offline.begin(), offline.end());
  const entity_def& def = state.entities.at(entity);
  if (def.universe_storage != 0 && def.universe_inputs == offline)
    plan.universe_storage_ids.push_back(def.universe_storage);
  else
    plan.universe_storage_ids.insert(plan.universe_storage_ids.end(), offline.begin(),
                                     offline.end());
  binder b(entity, state, cat, options, plan);
  TAGD_TRY_ASSIGN(root, b.bind(e));
  plan.root = std::move(root);
  return plan;
}

} // namespace tagd
