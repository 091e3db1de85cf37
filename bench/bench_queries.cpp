#include "bench/bench_queries.hpp"

#include "bench/bench_schema.hpp"

#include <limits>

namespace tagd::bench {

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

uint64_t count(const roaring_ptr& b) {
  return roaring_bitmap_get_cardinality(b.get());
}

// The union of some values' bitmaps (a new bitmap even for one value).
roaring_ptr any_of(const baseline& b, const std::string& tag,
                   const std::vector<std::string>& values) {
  std::vector<const roaring_bitmap_t*> inputs;
  for (const std::string& v : values)
    inputs.push_back(b.value(tag, v));
  if (inputs.size() == 1)
    return roaring_ptr(roaring_bitmap_copy(inputs[0]));
  return roaring_ptr(roaring_bitmap_or_many(inputs.size(), inputs.data()));
}

std::vector<bench_query> make_queries() {
  std::vector<bench_query> q;
  q.push_back({"single eq", "city = 'city_002'", [](const baseline& b) {
                 return roaring_bitmap_get_cardinality(b.value("city", "city_002"));
               }});
  q.push_back({"IN list (5 cities)",
               "city IN ('city_003', 'city_010', 'city_025', 'city_050', 'city_100')",
               [](const baseline& b) {
                 return count(any_of(b, "city",
                                     {"city_003", "city_010", "city_025", "city_050", "city_100"}));
               }});
  q.push_back({"int range", "age BETWEEN 25 AND 34",
               [](const baseline& b) { return count(bsi_range(b.ranged("age"), 25, 34)); }});
  q.push_back(
      {"decimal range", "total_spend >= 100.00 AND total_spend < 500.00",
       [](const baseline& b) { return count(bsi_range(b.ranged("total_spend"), 10000, 49999)); }});
  q.push_back({"date WITHIN 30 DAYS", "last_order WITHIN 30 DAYS", [](const baseline& b) {
                 return count(bsi_range(b.ranged("last_order"), now_days() - 30, now_days()));
               }});
  q.push_back({"AND 2 tables", "gender = 'f' AND order_count >= 3", [](const baseline& b) {
                 return count(bsi_range(b.ranged("order_count"), 3, kMax, b.value("gender", "f")));
               }});
  q.push_back({"AND 3 tables", "vip AND total_spend > 200 AND interests HAS 'travel'",
               [](const baseline& b) {
                 roaring_ptr c(
                     roaring_bitmap_and(b.value("vip", "true"), b.value("interests", "travel")));
                 return count(bsi_range(b.ranged("total_spend"), 20001, kMax, c.get()));
               }});
  q.push_back({"AND 4 tables",
               "city IN ('city_001', 'city_002', 'city_003') AND channel = 'web' AND os = 'ios' "
               "AND order_count BETWEEN 2 AND 10",
               [](const baseline& b) {
                 roaring_ptr c = any_of(b, "city", {"city_001", "city_002", "city_003"});
                 roaring_bitmap_and_inplace(c.get(), b.value("channel", "web"));
                 roaring_bitmap_and_inplace(c.get(), b.value("os", "ios"));
                 return count(bsi_range(b.ranged("order_count"), 2, 10, c.get()));
               }});
  q.push_back(
      {"OR across tables", "vip OR total_spend >= 1000 OR os = 'macos'", [](const baseline& b) {
         roaring_ptr u = bsi_range(b.ranged("total_spend"), 100000, kMax);
         roaring_bitmap_or_inplace(u.get(), b.value("vip", "true"));
         return roaring_bitmap_or_cardinality(u.get(), b.value("os", "macos"));
       }});
  q.push_back({"NOT", "NOT os = 'android'", [](const baseline& b) {
                 return roaring_bitmap_andnot_cardinality(b.universe(), b.value("os", "android"));
               }});
  q.push_back(
      {"set HAS ANY", "interests HAS ANY ('music', 'food', 'gaming')", [](const baseline& b) {
         return count(any_of(b, "interests", {"music", "food", "gaming"}));
       }});
  q.push_back({"set HAS ALL", "interests HAS ALL ('travel', 'music')", [](const baseline& b) {
                 return roaring_bitmap_and_cardinality(b.value("interests", "travel"),
                                                       b.value("interests", "music"));
               }});
  q.push_back({"very broad", "age > 16",
               [](const baseline& b) { return count(bsi_range(b.ranged("age"), 17, kMax)); }});
  q.push_back({"very narrow", "city = 'city_300' AND vip AND age < 30", [](const baseline& b) {
                 roaring_ptr c(
                     roaring_bitmap_and(b.value("city", "city_300"), b.value("vip", "true")));
                 return count(bsi_range(b.ranged("age"), kMin, 29, c.get()));
               }});
  q.push_back({"10 predicates",
               "city IN ('city_001', 'city_002', 'city_004', 'city_008', 'city_016', 'city_032') "
               "AND age BETWEEN 20 AND 60 AND gender != 'x' AND NOT vip AND total_spend >= 20 "
               "AND order_count > 1 AND last_order WITHIN 180 DAYS "
               "AND interests HAS ANY ('travel', 'sports') AND channel IN ('web', 'ios') "
               "AND active_days >= 5",
               [](const baseline& b) {
                 roaring_ptr c = any_of(
                     b, "city",
                     {"city_001", "city_002", "city_004", "city_008", "city_016", "city_032"});
                 roaring_ptr gender = any_of(b, "gender", {"f", "m"}); // one gender each: != 'x'
                 roaring_bitmap_and_inplace(c.get(), gender.get());
                 roaring_bitmap_andnot_inplace(c.get(), b.value("vip", "true"));
                 roaring_ptr interests = any_of(b, "interests", {"travel", "sports"});
                 roaring_bitmap_and_inplace(c.get(), interests.get());
                 roaring_ptr channel = any_of(b, "channel", {"web", "ios"});
                 roaring_bitmap_and_inplace(c.get(), channel.get());
                 c = bsi_range(b.ranged("age"), 20, 60, c.get());
                 c = bsi_range(b.ranged("total_spend"), 2000, kMax, c.get());
                 c = bsi_range(b.ranged("order_count"), 2, kMax, c.get());
                 c = bsi_range(b.ranged("last_order"), now_days() - 180, now_days(), c.get());
                 c = bsi_range(b.ranged("active_days"), 5, kMax, c.get());
                 return count(c);
               }});
  return q;
}

} // namespace

const std::vector<bench_query>& bench_queries() {
  static const std::vector<bench_query> queries = make_queries();
  return queries;
}

} // namespace tagd::bench
