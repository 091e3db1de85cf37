#include "shards/evaluator.hpp"

#include "shards/bitmap_kernels.hpp"

#include <algorithm>

namespace tagd {

namespace {

class evaluator {
 public:
  evaluator(const query_plan& plan, vshard_reader& reader) : plan_(plan), reader_(reader) {}

  // The matches of `node`, restricted to `candidates` when it is not null (a caller that will
  // intersect with candidates anyway lets a node skip work outside them).
  result<bitmap> eval(const plan_node& node, const roaring_bitmap_t* candidates) {
    switch (node.type) {
    case plan_node::kind::empty:
      return bitmap();
    case plan_node::kind::universe: {
      TAGD_TRY_ASSIGN(all, universe());
      return restrict(bitmap::copy_of(all), candidates);
    }
    case plan_node::kind::values_any:
    case plan_node::kind::values_all:
    case plan_node::kind::values_other:
    case plan_node::kind::not_null:
    case plan_node::kind::group:
      return eval_stored(node, candidates);
    case plan_node::kind::range:
      return eval_range(node, candidates);
    case plan_node::kind::and_:
      return eval_and(node, candidates);
    case plan_node::kind::or_: {
      std::vector<bitmap> parts;
      for (const plan_node& child : node.children) {
        TAGD_TRY_ASSIGN(part, eval(child, candidates));
        parts.push_back(std::move(part));
      }
      return union_of(parts);
    }
    case plan_node::kind::not_: {
      // NOT x = universe − x; x only matters inside the universe (and the candidates).
      TAGD_TRY_ASSIGN(all, universe());
      bitmap scope = restrict(bitmap::copy_of(all), candidates);
      TAGD_TRY_ASSIGN(inner, eval(node.children.at(0), scope.get()));
      roaring_bitmap_andnot_inplace(scope.get(), inner.get());
      return scope;
    }
    }
    return status(error_code::internal, "unknown plan node");
  }

 private:
  static bitmap restrict(bitmap b, const roaring_bitmap_t* candidates) {
    if (candidates)
      roaring_bitmap_and_inplace(b.get(), candidates);
    return b;
  }

  static bitmap union_of(std::vector<bitmap>& parts) {
    if (parts.empty())
      return bitmap();
    if (parts.size() == 1)
      return std::move(parts[0]);
    std::vector<const roaring_bitmap_t*> inputs;
    for (const bitmap& b : parts)
      inputs.push_back(b.get());
    return bitmap(roaring_bitmap_or_many(inputs.size(), inputs.data()));
  }

  static bitmap union_of(const std::vector<const roaring_bitmap_t*>& inputs) {
    if (inputs.empty())
      return bitmap();
    if (inputs.size() == 1)
      return bitmap::copy_of(inputs[0]);
    return bitmap(
        roaring_bitmap_or_many(inputs.size(), const_cast<const roaring_bitmap_t**>(inputs.data())));
  }

  result<const roaring_bitmap_t*> universe() {
    if (!universe_view_) {
      std::vector<const roaring_bitmap_t*> present;
      for (uint32_t storage_id : plan_.universe_storage_ids) {
        TAGD_TRY_ASSIGN(keys, reader_.bitmap_of(storage_id, kPresentTag, 0));
        present.push_back(keys);
      }
      if (present.size() == 1) {
        universe_view_ = present[0]; // the stored union: read in place
      } else {
        universe_ = union_of(present);
        universe_view_ = universe_->get();
      }
    }
    return universe_view_;
  }

  result<const roaring_bitmap_t*> not_null(const plan_node& node) {
    if (!node.ranged)
      return reader_.bitmap_of(node.storage_id, node.tag_id, kNotNullSlot);
    return reader_.bitmap_of(node.storage_id, node.tag_id, bsi_slot(0, kExistenceSlice));
  }

  // The stored bitmaps a leaf combines, without combining them (for sizing AND children too).
  result<std::vector<const roaring_bitmap_t*>> inputs_of(const plan_node& node) {
    std::vector<const roaring_bitmap_t*> inputs;
    switch (node.type) {
    case plan_node::kind::values_any:
    case plan_node::kind::values_all:
      for (uint32_t slot : node.slots) {
        TAGD_TRY_ASSIGN(b, reader_.bitmap_of(node.storage_id, node.tag_id, slot));
        inputs.push_back(b);
      }
      break;
    case plan_node::kind::not_null: {
      TAGD_TRY_ASSIGN(b, not_null(node));
      inputs.push_back(b);
      break;
    }
    case plan_node::kind::group: {
      TAGD_TRY_ASSIGN(b, reader_.group(node.group_id, node.group_version));
      inputs.push_back(b);
      break;
    }
    default:
      break;
    }
    return inputs;
  }

  result<bitmap> eval_stored(const plan_node& node, const roaring_bitmap_t* candidates) {
    if (node.type == plan_node::kind::values_other) {
      if (node.single_valued) {
        // One value per entity: "some value not listed" = has a value − has a listed one.
        TAGD_TRY_ASSIGN(any, not_null(node));
        bitmap result = restrict(bitmap::copy_of(any), candidates);
        for (uint32_t slot : node.slots) {
          TAGD_TRY_ASSIGN(b, reader_.bitmap_of(node.storage_id, node.tag_id, slot));
          roaring_bitmap_andnot_inplace(result.get(), b);
        }
        return result;
      }
      TAGD_TRY_ASSIGN(stored_slots, reader_.value_slots(node.storage_id, node.tag_id));
      std::vector<const roaring_bitmap_t*> inputs;
      for (uint32_t slot : stored_slots) {
        if (std::binary_search(node.slots.begin(), node.slots.end(), slot))
          continue;
        TAGD_TRY_ASSIGN(b, reader_.bitmap_of(node.storage_id, node.tag_id, slot));
        inputs.push_back(b);
      }
      return restrict(union_of(inputs), candidates);
    }
    TAGD_TRY_ASSIGN(inputs, inputs_of(node));
    if (node.type == plan_node::kind::values_all) {
      if (inputs.empty())
        return bitmap();
      std::sort(inputs.begin(), inputs.end(), [](auto* a, auto* b) {
        return roaring_bitmap_get_cardinality(a) < roaring_bitmap_get_cardinality(b);
      });
      bitmap result(candidates ? roaring_bitmap_and(inputs[0], candidates)
                               : roaring_bitmap_copy(inputs[0]));
      for (size_t i = 1; i < inputs.size() && !result.empty(); ++i)
        roaring_bitmap_and_inplace(result.get(), inputs[i]);
      return result;
    }
    if (candidates && inputs.size() == 1)
      return bitmap(roaring_bitmap_and(inputs[0], candidates));
    return restrict(union_of(inputs), candidates);
  }

  // Whether every match of `node` is in the universe: true unless a group (whose members may
  // be keys no current table holds) decides it.
  static bool within_universe(const plan_node& node) {
    if (node.beyond_universe)
      return false;
    if (node.type == plan_node::kind::not_)
      return true; // universe − x
    return std::all_of(node.children.begin(), node.children.end(),
                       [](const plan_node& child) { return within_universe(child); });
  }

  slice_source slices_of(const plan_node& node) {
    return [this, &node](uint32_t layer, uint32_t bit) {
      return reader_.bitmap_of(node.storage_id, node.tag_id, bsi_slot(layer, bit));
    };
  }

  result<bitmap> eval_range(const plan_node& node, const roaring_bitmap_t* candidates) {
    TAGD_TRY_ASSIGN(meta, reader_.bsi(node.storage_id, node.tag_id));
    slice_source slices = slices_of(node);
    std::vector<bitmap> parts;
    for (const auto& [lo, hi] : node.ranges) {
      TAGD_TRY_ASSIGN(part, bsi_range(meta, slices, lo, hi, candidates));
      parts.push_back(std::move(part));
    }
    return union_of(parts);
  }

  // An AND's children in the order they run: stored leaves smallest first, then other
  // children, then ranges (over the candidates left by the cheaper ones); negations last, as
  // AND-NOT. `empty` when a child matches nothing.
  struct and_order {
    std::vector<const plan_node*> positive, negated;
    bool empty = false;
    size_t steps() const { return positive.size() + negated.size(); }
  };

  result<and_order> order_and(const plan_node& node) {
    struct sized {
      const plan_node* node;
      uint64_t size;
    };
    std::vector<sized> stored;
    std::vector<const plan_node*> compound, ranges;
    and_order order;
    for (const plan_node& child : node.children) {
      switch (child.type) {
      case plan_node::kind::values_any:
      case plan_node::kind::values_all:
      case plan_node::kind::not_null:
      case plan_node::kind::group: {
        TAGD_TRY_ASSIGN(inputs, inputs_of(child));
        uint64_t size = 0;
        for (auto* b : inputs)
          size = child.type == plan_node::kind::values_all && size
                     ? std::min<uint64_t>(size, roaring_bitmap_get_cardinality(b))
                     : size + roaring_bitmap_get_cardinality(b);
        stored.push_back({&child, size});
        break;
      }
      case plan_node::kind::empty:
        order.empty = true;
        return order;
      case plan_node::kind::range:
        ranges.push_back(&child);
        break;
      case plan_node::kind::not_:
        order.negated.push_back(&child);
        break;
      default:
        compound.push_back(&child);
        break;
      }
    }
    std::stable_sort(stored.begin(), stored.end(),
                     [](const sized& a, const sized& b) { return a.size < b.size; });
    for (const sized& s : stored)
      order.positive.push_back(s.node);
    order.positive.insert(order.positive.end(), compound.begin(), compound.end());
    order.positive.insert(order.positive.end(), ranges.begin(), ranges.end());
    return order;
  }

  // Runs the first `steps` steps of `order` within `candidates`. Before the first negation the
  // result is cut to the universe: NOT x is universe − x, so group members outside the universe
  // never satisfy it.
  result<bitmap> run_and(const and_order& order, const roaring_bitmap_t* candidates, size_t steps) {
    std::optional<bitmap> result;
    size_t positive = std::min(steps, order.positive.size());
    for (size_t i = 0; i < positive; ++i) {
      TAGD_TRY_ASSIGN(part, eval(*order.positive[i], result ? result->get() : candidates));
      result = std::move(part); // eval already intersected with the current candidates
    }
    if (!order.negated.empty() && steps >= order.positive.size()) {
      TAGD_TRY_ASSIGN(all, universe());
      if (result)
        roaring_bitmap_and_inplace(result->get(), all);
      else
        result = restrict(bitmap::copy_of(all), candidates);
    }
    if (!result) { // an AND of one child, built by hand: nothing restricts yet
      TAGD_TRY_ASSIGN(all, universe());
      result = restrict(bitmap::copy_of(candidates ? candidates : all), candidates);
    }
    for (size_t i = order.positive.size(); i < steps && !result->empty(); ++i) {
      TAGD_TRY_ASSIGN(
          inner, eval(order.negated[i - order.positive.size()]->children.at(0), result->get()));
      roaring_bitmap_andnot_inplace(result->get(), inner.get());
    }
    return std::move(*result);
  }

  result<bitmap> eval_and(const plan_node& node, const roaring_bitmap_t* candidates) {
    TAGD_TRY_ASSIGN(order, order_and(node));
    if (order.empty)
      return bitmap();
    return run_and(order, candidates, order.steps());
  }

 public:
  // |matches of node ∩ candidates| (all matches when candidates is null), without building
  // the last intersection: counting kernels do the final step.
  result<uint64_t> count(const plan_node& node, const roaring_bitmap_t* candidates) {
    switch (node.type) {
    case plan_node::kind::values_any:
    case plan_node::kind::not_null:
    case plan_node::kind::group: {
      TAGD_TRY_ASSIGN(inputs, inputs_of(node));
      // A single-valued tag's value bitmaps are disjoint: the union's count is the sum.
      if (inputs.size() == 1 || (node.type == plan_node::kind::values_any && node.single_valued)) {
        uint64_t total = 0;
        for (auto* b : inputs)
          total += and_cardinality(b, candidates);
        return total;
      }
      if (!candidates)
        return union_cardinality(inputs);
      break;
    }
    case plan_node::kind::values_all: {
      TAGD_TRY_ASSIGN(inputs, inputs_of(node));
      if (inputs.empty())
        return uint64_t{0};
      std::sort(inputs.begin(), inputs.end(), [](auto* a, auto* b) {
        return roaring_bitmap_get_cardinality(a) < roaring_bitmap_get_cardinality(b);
      });
      if (inputs.size() == 1)
        return and_cardinality(inputs[0], candidates);
      if (inputs.size() == 2 && !candidates)
        return and_cardinality(inputs[0], inputs[1]);
      bitmap all(candidates ? roaring_bitmap_and(inputs[0], candidates)
                            : roaring_bitmap_and(inputs[0], inputs[1]));
      for (size_t i = candidates ? 1 : 2; i + 1 < inputs.size() && !all.empty(); ++i)
        roaring_bitmap_and_inplace(all.get(), inputs[i]);
      return and_cardinality(all.get(), inputs.back());
    }
    case plan_node::kind::range:
      // Disjoint ranges of a single-valued tag hold disjoint entities: counts add up.
      if (node.ranges.size() == 1 || node.single_valued) {
        TAGD_TRY_ASSIGN(meta, reader_.bsi(node.storage_id, node.tag_id));
        uint64_t total = 0;
        for (const auto& [lo, hi] : node.ranges) {
          TAGD_TRY_ASSIGN(n, bsi_range_count(meta, slices_of(node), lo, hi, candidates));
          total += n;
        }
        return total;
      }
      break;
    case plan_node::kind::or_:
      if (!candidates) {
        // Stored leaves are counted in place; only other children are built.
        std::vector<const roaring_bitmap_t*> views;
        std::vector<bitmap> built;
        for (const plan_node& child : node.children) {
          if (child.type == plan_node::kind::values_any ||
              child.type == plan_node::kind::not_null || child.type == plan_node::kind::group) {
            TAGD_TRY_ASSIGN(inputs, inputs_of(child));
            views.insert(views.end(), inputs.begin(), inputs.end());
          } else {
            TAGD_TRY_ASSIGN(part, eval(child, nullptr));
            built.push_back(std::move(part));
          }
        }
        for (const bitmap& b : built)
          views.push_back(b.get());
        return union_cardinality(views);
      }
      break;
    case plan_node::kind::not_: {
      // |(U − x) ∩ c| = |U ∩ c| − |x ∩ (U ∩ c)|, counted without building U − x.
      TAGD_TRY_ASSIGN(all, universe());
      if (!candidates) {
        // Every table leaf lies inside the universe: x ∩ U = x, no intersection needed.
        const plan_node& inner = node.children.at(0);
        TAGD_TRY_ASSIGN(inside, count(inner, within_universe(inner) ? nullptr : all));
        return roaring_bitmap_get_cardinality(all) - inside;
      }
      bitmap scope(roaring_bitmap_and(all, candidates));
      TAGD_TRY_ASSIGN(inside, count(node.children.at(0), scope.get()));
      return scope.cardinality() - inside;
    }
    case plan_node::kind::and_: {
      TAGD_TRY_ASSIGN(order, order_and(node));
      if (order.empty)
        return uint64_t{0};
      TAGD_TRY_ASSIGN(before_last, run_and(order, candidates, order.steps() - 1));
      if (order.negated.empty())
        return count(*order.positive.back(), before_last.get());
      TAGD_TRY_ASSIGN(inside, count(order.negated.back()->children.at(0), before_last.get()));
      return before_last.cardinality() - inside;
    }
    default:
      break;
    }
    TAGD_TRY_ASSIGN(matches, eval(node, candidates));
    return matches.cardinality();
  }

 private:
  const query_plan& plan_;
  vshard_reader& reader_;
  std::optional<bitmap> universe_;
  const roaring_bitmap_t* universe_view_ = nullptr;
};

} // namespace

result<bitmap> evaluate(const query_plan& plan, vshard_reader& reader) {
  evaluator e(plan, reader);
  return e.eval(plan.root, nullptr);
}

result<uint64_t> count_matches(const query_plan& plan, vshard_reader& reader) {
  evaluator e(plan, reader);
  return e.count(plan.root, nullptr);
}

result<bitmap> universe_of(const query_plan& plan, vshard_reader& reader) {
  evaluator e(plan, reader);
  plan_node all;
  all.type = plan_node::kind::universe;
  return e.eval(all, nullptr);
}

} // namespace tagd
