#pragma once
// Evaluates a bound query plan on one vshard: AND children smallest first, NOT children as
// AND-NOT, ranges computed only over the candidates that survive the cheaper children, and a
// many-value IN as one multi-way union.

#include "shards/bitmap.hpp"
#include "shards/query_plan.hpp"
#include "shards/vshard_store.hpp"

namespace tagd {

// The matching ordinals of the vshard.
result<bitmap> evaluate(const query_plan& plan, vshard_reader& reader);

// How many ordinals of the vshard match, without building the final intersection.
result<uint64_t> count_matches(const query_plan& plan, vshard_reader& reader);

// The universe of the plan's entity type in this vshard: keys in some current table version.
result<bitmap> universe_of(const query_plan& plan, vshard_reader& reader);

} // namespace tagd
