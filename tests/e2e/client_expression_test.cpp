// Built expressions (client/expression.hpp): sent as the protocol's structured Expr, they count,
// break down and select exactly what the generated people say, and a malformed one fails with
// the code its text form would get, changing nothing.
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace tagd;
using namespace tagd::testing;
using client::compare_op;
using client::expression;

TEST_CASE("client: built expressions count, break down and select like their meaning",
          "[e2e][client][expression]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(5000);
  load_people(node.address(), dir / "people.csv", people);
  client::connection tagd(node.address());
  auto in_cities = [](const person& p, std::initializer_list<const char*> cities) {
    for (const char* c : cities)
      if (p.city == c)
        return true;
    return false;
  };

  struct built_case {
    const char* what;
    expression built;
    std::function<bool(const person&)> matches;
  };
  const std::vector<built_case> cases = {
      {"compare", expression::compare("age", compare_op::ge, 60),
       [](const person& p) { return p.age >= 60; }},
      {"compare ne on an enum", expression::compare("city", compare_op::ne, "c3"),
       [](const person& p) { return p.city != "c3"; }},
      {"a number as written",
       expression::compare("age", compare_op::lt, client::literal::number("7")),
       [](const person& p) { return p.age < 7; }},
      {"in", expression::in("city", {"c1", "c4", "c6"}),
       [&](const person& p) {
         return in_cities(p, {"c1", "c4", "c6"});
       }},
      {"not in", expression::not_in("city", {"c1", "c4"}),
       [&](const person& p) {
         return !in_cities(p, {"c1", "c4"});
       }},
      {"between", expression::between("age", 20, 29),
       [](const person& p) { return p.age >= 20 && p.age <= 29; }},
      {"bool tag", expression::tag("vip"), [](const person& p) { return p.vip; }},
      {"bool compare", expression::compare("vip", compare_op::eq, false),
       [](const person& p) { return !p.vip; }},
      {"is null", expression::is_null("city"), [](const person&) { return false; }},
      {"is not null", expression::is_not_null("age"), [](const person&) { return true; }},
      {"and, or, not",
       expression::all_of({expression::any_of({expression::tag("vip"),
                                               expression::compare("age", compare_op::lt, 18)}),
                           expression::negation(expression::in("city", {"c0"})),
                           expression::between("age", 10, 70)}),
       [](const person& p) {
         return (p.vip || p.age < 18) && p.city != "c0" && p.age >= 10 && p.age <= 70;
       }},
  };
  for (const built_case& c : cases) {
    INFO(c.what);
    CHECK(tagd.estimate(c.built).count == count_if(people, c.matches));
  }

  // Breakdown and select take them too; a group reference is one more kind of part.
  expression adults = expression::compare("age", compare_op::ge, 18);
  auto by_city = tagd.breakdown(adults, "city");
  uint64_t total = 0;
  for (const auto& [city, count] : by_city.entries) {
    INFO(city);
    CHECK(count ==
          count_if(people, [&](const person& p) { return p.age >= 18 && p.city == city; }));
    total += count;
  }
  CHECK(total == count_if(people, [](const person& p) { return p.age >= 18; }));
  auto selected = tagd.select("adults", adults);
  CHECK(selected.version.count == total);
  CHECK(
      tagd.estimate(expression::all_of({expression::in_group("adults", 1), expression::tag("vip")}))
          .count == count_if(people, [](const person& p) { return p.age >= 18 && p.vip; }));
  // Set and time tags, from a real-time table over the first 300 people.
  client::table_def extra;
  extra.name = "extra";
  extra.key_column = "id";
  extra.mode = client::table_mode::realtime;
  extra.columns = {{"labels", "", client::tag_kind::set}, {"seen", "", client::tag_kind::time}};
  tagd.define_table(extra);
  std::vector<client::row> rows;
  for (size_t i = 0; i < 300; ++i)
    rows.push_back({std::to_string(people[i].key),
                    {i % 3 == 0   ? "a;b"
                     : i % 3 == 1 ? "b"
                                  : "c",
                     i % 2 == 0 ? "2026-11-20" : "2026-10-01"}});
  tagd.upsert("extra", rows);
  CHECK(tagd.estimate(expression::has_any("labels", {"a", "c"})).count == 200); // i % 3 != 1
  CHECK(tagd.estimate(expression::has_all("labels", {"a", "b"})).count == 100); // i % 3 == 0
  client::query_options on_25_november;
  on_25_november.now = 1795564800; // 2026-11-25 00:00:00 UTC
  CHECK(tagd.estimate(expression::within("seen", 10), on_25_november).count == 150); // even i

  // The text form still works, as a plain string.
  CHECK(tagd.estimate("age >= 18 AND vip").count ==
        count_if(people, [](const person& p) { return p.age >= 18 && p.vip; }));
}

TEST_CASE("client: a malformed built expression fails with its code and changes nothing",
          "[e2e][client][expression]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2", "--max-expression-depth", "8"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(500);
  load_people(node.address(), dir / "people.csv", people);
  client::connection tagd(node.address());
  auto vip = expression::tag("vip");

  CHECK(expect_error("UNKNOWN_TAG", [&] { tagd.estimate(expression::tag("height")); }) != "");
  CHECK(expect_error("TYPE_MISMATCH",
                     [&] { tagd.estimate(expression::compare("city", compare_op::gt, 5)); }) != "");
  CHECK(expect_error("INVALID_EXPRESSION", [&] { tagd.estimate(expression::all_of({vip})); }) ==
        "AND and OR need two or more operands");
  CHECK(expect_error("INVALID_EXPRESSION", [&] { tagd.estimate(expression::in("city", {})); }) ==
        "IN needs at least one value");
  CHECK(expect_error("INVALID_EXPRESSION", [&] {
          tagd.estimate(expression::all_of({vip, expression("age > 3")}));
        }) == "a built expression's operands must be built too, not text: 'age > 3'");
  expression deep = vip;
  for (int i = 0; i < 10; ++i)
    deep = expression::negation(deep);
  CHECK(expect_error("TOO_LARGE", [&] { tagd.estimate(deep); }) ==
        "the structured expression is nested too deeply");
  // A select with a bad expression makes no group; the node still answers.
  CHECK(expect_error("UNKNOWN_TAG", [&] { tagd.select("g", expression::tag("height")); }) != "");
  CHECK(tagd.catalog().groups.empty());
  CHECK(tagd.estimate(vip).count == count_if(people, [](const person& p) { return p.vip; }));
}
