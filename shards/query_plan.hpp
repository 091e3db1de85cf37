#pragma once
// An expression bound to a catalog snapshot: tags resolved to stored ids, literals converted to
// the tag's stored form, composite tags expanded, group references pinned to a version. A plan
// is what every vshard evaluates; it names storage ids, so all vshards answer from the same
// table versions even if a new version is committed meanwhile.

#include "shards/catalog.hpp"
#include "shards/expression.hpp"
#include "shards/status.hpp"

#include <cstdint>
#include <vector>

namespace tagd {

struct plan_node {
  enum class kind {
    empty,        // matches nothing
    universe,     // every entity present in a current table version
    values_any,   // OR of the value bitmaps `slots` of a value tag
    values_all,   // AND of them (set HAS ALL)
    values_other, // entities with some value not in `slots`
    not_null,     // entities with any value of the tag
    range,        // ranged tag: entities with some value in one of `ranges` (inclusive)
    group,        // members of a group version
    and_,
    or_,
    not_,
  };
  kind type = kind::empty;
  std::vector<plan_node> children;
  uint32_t storage_id = 0; // the table version the leaf reads (0: table never loaded)
  uint32_t tag_id = 0;
  bool ranged = false;        // not_null of a ranged tag reads the index's existence bitmap
  bool single_valued = false; // at most one value per entity (not a set, not a multi-row table)
  // Matches may lie outside the universe: group members, or a stored composite built from a
  // group. (Table leaves never do: a value implies a row.)
  bool beyond_universe = false;
  std::vector<uint32_t> slots;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  uint32_t group_id = 0;
  uint32_t group_version = 0;
};

// What a query reads: the catalog version it was bound against, and for the entity type the
// present-keys bitmaps of every current table version (their union is the universe).
struct query_plan {
  plan_node root;
  std::string entity;
  uint64_t catalog_version = 0;
  std::vector<uint32_t> universe_storage_ids;
  // Table → storage id read: by a leaf, or (with a NOT or IS NULL) for the universe.
  std::map<std::string, uint32_t> table_versions;
  std::map<std::string, uint32_t> group_versions; // group → version read
  bool reads_realtime = false;   // a leaf, or the universe of a NOT, reads a real-time table
  bool universe_mutable = false; // a real-time table's keys are part of the universe
};

struct bind_options {
  int64_t now = 0; // seconds since the epoch, for WITHIN
  size_t max_composite_depth = 16;
  // Versions to read instead of the current ones, e.g. the snapshot an earlier plan read (its
  // table_versions and group_versions): table → storage id, group → version. Tables and groups
  // not named are read at their current version; IN GROUP g VERSION n still reads version n.
  std::map<std::string, uint32_t> pinned_tables;
  std::map<std::string, uint32_t> pinned_groups;
};

// Binds `e` for entity type `entity`. Errors: unknown_tag (names the tag), type_mismatch (names
// the tag and what its kind accepts), not_found (a group or group version, or a pinned table or
// group version that is no longer kept, naming it), invalid_expression.
result<query_plan> bind_expression(const expr& e, const std::string& entity,
                                   const catalog_state& state, catalog& cat,
                                   const bind_options& options);

} // namespace tagd
