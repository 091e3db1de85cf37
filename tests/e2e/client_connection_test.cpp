// The client library's connection against real tagd processes: connecting, the node's errors as
// code and message, both threading modes, many calls in flight, deadlines, and connections that
// are lost or closed. Slow calls come from the node's test seam --inject-shard-delay-ms (every
// shard count, that is every estimate, waits that long).
#include "e2e/e2e_support.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <deque>
#include <future>
#include <thread>

using namespace tagd;
using namespace tagd::testing;
using client::threading;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

const threading both_modes[] = {threading::background_thread, threading::caller_thread};

client::connection_options in_mode(threading mode) {
  client::connection_options options;
  options.mode = mode;
  return options;
}

// An estimate that counts on the vshards, so --inject-shard-delay-ms slows it down (a single
// value leaf can be answered from stored counts without them).
const std::string slow_query = "vip AND age > 20";
bool slow_query_matches(const person& p) {
  return p.vip && p.age > 20;
}

const char* name_of(threading mode) {
  return mode == threading::caller_thread ? "caller_thread" : "background_thread";
}

milliseconds since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

// The options of a node on which every estimate that visits the vshards waits `delay`.
std::vector<std::string> slow_node(milliseconds delay) {
  return {"--no-sync",
          "--vshards",
          "2",
          "--threads",
          "4",
          "--inject-shard-delay-ms",
          std::to_string(delay.count())};
}

const client::table_info* find_table(const client::catalog& c, const std::string& name) {
  for (const auto& t : c.tables)
    if (t.def.name == name)
      return &t;
  return nullptr;
}

} // namespace

TEST_CASE("client: a stopped node or an unknown host is UNAVAILABLE", "[e2e][client]") {
  temp_dir dir;
  std::string address;
  {
    tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
    REQUIRE_FALSE(node.exited());
    address = node.address();
    client::connection(address).ping();
    CHECK(node.stop() == 0);
  } // nothing listens there now
  for (threading mode : both_modes) {
    INFO(name_of(mode));
    auto message =
        expect_error("UNAVAILABLE", [&] { client::connection c(address, in_mode(mode)); });
    CHECK(message.rfind("cannot connect to " + address + ": ", 0) == 0);
  }
  client::connection_options quick;
  quick.connect_timeout = milliseconds(3000);
  auto message = expect_error("UNAVAILABLE",
                              [&] { client::connection c("no-such-host.invalid:7411", quick); });
  CHECK(message.rfind("cannot connect to no-such-host.invalid:7411: ", 0) == 0);
}

TEST_CASE("client: definitions round-trip and the node's errors keep code and message",
          "[e2e][client]") {
  for (threading mode : both_modes) {
    INFO(name_of(mode));
    temp_dir dir;
    tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
    REQUIRE_FALSE(node.exited());
    client::connection tagd(node.address(), in_mode(mode));
    uint64_t start = tagd.catalog().version;

    uint64_t entity_version = tagd.define_entity({"device", client::key_kind::string});
    CHECK(entity_version > start);
    try {
      tagd.define_entity({"device", client::key_kind::u64});
      FAIL("defined twice");
    } catch (const client::error& e) {
      CHECK(e.code() == "ALREADY_EXISTS");
      CHECK(e.message() == "entity type 'device' exists");
      CHECK(std::string(e.what()) == "ALREADY_EXISTS: entity type 'device' exists");
    }
    auto again = tagd.define_entity_async({"device", client::key_kind::string});
    CHECK(expect_error("ALREADY_EXISTS", [&] { again.get(); }) == "entity type 'device' exists");

    client::table_def profile;
    profile.name = "profile";
    profile.entity = "device";
    profile.key_column = "serial";
    profile.retention = 3;
    profile.columns = {
        {"spend", "amount", client::tag_kind::decimal, 12, 2, client::time_unit::date},
        {"seen", "seen", client::tag_kind::time, 0, 0, client::time_unit::date},
        {"last", "last", client::tag_kind::time, 0, 0, client::time_unit::timestamp},
        {"apps", "apps", client::tag_kind::set, 0, 0, client::time_unit::date},
        {"model", "#2", client::tag_kind::enum_, 0, 0, client::time_unit::date},
        {"score", "score", client::tag_kind::int_, 0, 0, client::time_unit::date},
        {"active", "active", client::tag_kind::bool_, 0, 0, client::time_unit::date}};
    uint64_t profile_version = tagd.define_table(profile);
    CHECK(profile_version > entity_version);
    client::table_def live = live_table("state", client::tag_kind::enum_);
    live.entity = "device";
    uint64_t live_version = tagd.define_table(live);
    client::table_def visits;
    visits.name = "visits";
    visits.entity = "device";
    visits.multi_row = true;
    visits.columns = {{"place", "", client::tag_kind::enum_}};
    live_version = tagd.define_table(visits);
    CHECK(live_version > profile_version);
    uint64_t composite_version =
        tagd.define_composite({"big_spender", "device", "spend > 100", true});
    CHECK(composite_version > live_version);
    CHECK(expect_error("ALREADY_EXISTS", [&] { tagd.define_table(profile); }) ==
          "table 'profile' exists");

    client::catalog c = tagd.catalog();
    CHECK(c.version == composite_version);
    REQUIRE(c.entities.size() == 2);
    auto device = std::find_if(c.entities.begin(), c.entities.end(),
                               [](const client::entity_def& e) { return e.name == "device"; });
    REQUIRE(device != c.entities.end());
    CHECK(device->keys == client::key_kind::string);
    REQUIRE(c.tables.size() == 3);
    const client::table_info* stored = find_table(c, "profile");
    REQUIRE(stored != nullptr);
    CHECK(stored->def.entity == "device");
    CHECK(stored->def.key_column == "serial");
    CHECK(stored->def.mode == client::table_mode::offline);
    CHECK_FALSE(stored->def.multi_row);
    CHECK(stored->def.retention == 3);
    CHECK(stored->versions.empty());
    REQUIRE(stored->def.columns.size() == profile.columns.size());
    for (size_t i = 0; i < profile.columns.size(); ++i) {
      const client::column_def &want = profile.columns[i], &got = stored->def.columns[i];
      INFO("column " << want.tag);
      CHECK(got.tag == want.tag);
      CHECK(got.column == want.column);
      CHECK(got.kind == want.kind);
      if (want.kind == client::tag_kind::decimal) {
        CHECK(got.precision == want.precision);
        CHECK(got.scale == want.scale);
      }
      if (want.kind == client::tag_kind::time)
        CHECK(got.unit == want.unit);
    }
    const client::table_info* stored_live = find_table(c, "live");
    REQUIRE(stored_live != nullptr);
    CHECK(stored_live->def.mode == client::table_mode::realtime);
    CHECK_FALSE(stored_live->def.multi_row);
    const client::table_info* stored_visits = find_table(c, "visits");
    REQUIRE(stored_visits != nullptr);
    CHECK(stored_visits->def.mode == client::table_mode::offline);
    CHECK(stored_visits->def.multi_row);
    REQUIRE(c.composites.size() == 1);
    CHECK(c.composites[0].name == "big_spender");
    CHECK(c.composites[0].entity == "device");
    CHECK(c.composites[0].expression == "spend > 100");
    CHECK(c.composites[0].materialized);

    CHECK(expect_error("NOT_FOUND", [&] { tagd.drop_group("nope"); }) == "no group 'nope'");
    uint64_t dropped = tagd.drop_table("live");
    CHECK(dropped > composite_version);
    CHECK(expect_error("NOT_FOUND", [&] { tagd.drop_table("live"); }) == "no table 'live'");
    CHECK(tagd.catalog().version == dropped);
    CHECK(tagd.status().catalog_version == dropped);
  }
}

TEST_CASE("client: queries carry the entity type and the time WITHIN counts from",
          "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  tagd.define_entity({"device", client::key_kind::string});
  client::table_def devices;
  devices.name = "devices";
  devices.entity = "device";
  devices.columns = {{"model", "", client::tag_kind::enum_},
                     {"seen", "", client::tag_kind::time, 0, 0, client::time_unit::date}};
  tagd.define_table(devices);
  // Device i was seen on day i % 60 of 2026 (day 0: January 1st).
  std::string csv = "serial,model,seen\n";
  std::vector<int> day_of;
  for (int i = 0; i < 600; ++i) {
    std::tm date{};
    date.tm_year = 2026 - 1900;
    date.tm_mday = 1 + i % 60; // mktime-style normalization: day 32 is February 1st
    std::time_t t = ::timegm(&date);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", ::gmtime(&t));
    csv += "d-" + std::to_string(i) + ",m" + std::to_string(i % 3) + "," + text + "\n";
    day_of.push_back(i % 60);
  }
  write_text(dir / "devices.csv", csv);
  tagd.import_file(dir / "devices.csv", "devices", "v1");

  client::query_options on_devices;
  on_devices.entity = "device";
  CHECK(tagd.estimate("model = 'm1'", on_devices).count == 200);
  CHECK(expect_error("UNKNOWN_TAG", [&] { tagd.estimate("model = 'm1'"); }) ==
        "column 1: no tag 'model' for entity type 'user'");

  // WITHIN 10 DAYS of day d: the days d - 10 .. d.
  auto within_10_days_of = [&](int day) {
    return static_cast<uint64_t>(std::count_if(day_of.begin(), day_of.end(),
                                               [&](int d) { return d >= day - 10 && d <= day; }));
  };
  const std::time_t january_1st = 1767225600; // 2026-01-01 00:00:00 UTC
  for (int day : {30, 65, 75}) {
    client::query_options at = on_devices;
    at.now = january_1st + day * 86400 + 3600; // one in the morning, UTC
    INFO("day " << day);
    CHECK(tagd.estimate("seen WITHIN 10 DAYS", at).count == within_10_days_of(day));
  }
  CHECK(within_10_days_of(75) == 0); // the last check cannot pass by chance
  CHECK(within_10_days_of(30) != within_10_days_of(65));
}

TEST_CASE("client: real-time rows with NULL fields, uploads naming unknown keys, requests past "
          "max_request_bytes",
          "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
  REQUIRE_FALSE(node.exited());
  client::connection tagd(node.address());
  client::table_def live = live_table("a", client::tag_kind::enum_);
  live.columns.push_back({"b", "", client::tag_kind::enum_});
  tagd.define_table(live);
  tagd.upsert("live", {{"1", {std::string("on"), std::nullopt}},
                       {"2", {std::nullopt, std::string("x")}},
                       {"3", {std::string("on"), std::string("x")}}});
  CHECK(tagd.estimate("a = 'on'").count == 2);
  CHECK(tagd.estimate("a IS NULL").count == 1);
  CHECK(tagd.estimate("b IS NULL").count == 1);
  CHECK(tagd.estimate("a = 'on' AND b = 'x'").count == 1);

  auto uploaded = tagd.upload("picked", "", {"1", "77", "3", "88"});
  CHECK(uploaded.version.group == "picked");
  CHECK(uploaded.version.version == 1);
  CHECK(uploaded.version.count == 2);
  CHECK(uploaded.unknown_keys == 2);
  auto sample = uploaded.unknown_sample;
  std::sort(sample.begin(), sample.end());
  CHECK(sample == std::vector<std::string>{"77", "88"});
  CHECK(tagd.contains_many("picked", {"1", "2", "3", "77"}) ==
        std::vector<bool>{true, false, true, false});

  client::connection_options small;
  small.max_request_bytes = 4096;
  client::connection bounded(node.address(), small);
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i)
    many.push_back(std::to_string(1000000 + i));
  CHECK(expect_error("TOO_LARGE", [&] {
          bounded.upload("big", "", many);
        }).rfind("an upload of ", 0) == 0);
  CHECK(expect_error("NOT_FOUND", [&] { bounded.contains("big", "1"); }) == "no group 'big'");
  CHECK(bounded.upload("small", "", {"1", "2"}).version.count == 2);
}

TEST_CASE("client: a caller-thread connection stays on its thread and keeps early replies",
          "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "2"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(2000);
  load_people(node.address(), dir / "people.csv", people);
  client::connection tagd(node.address(), in_mode(threading::caller_thread));
  std::string code, message;
  std::thread([&] {
    try {
      tagd.ping();
    } catch (const client::error& e) {
      code = e.code();
      message = e.message();
    }
  }).join();
  CHECK(code == "INVALID_ARGUMENT");
  CHECK(message == "a caller-thread connection was used from another thread");
  auto young = tagd.estimate_async("age < 30");
  auto vips = tagd.estimate_async("vip");
  CHECK(vips.get().count == count_if(people, [](const person& p) { return p.vip; }));
  CHECK(young.get().count == count_if(people, [](const person& p) { return p.age < 30; }));
}

TEST_CASE("client: 32 calls in flight at once, each answered exactly", "[e2e][client]") {
  // Every estimate takes at least `delay` on the node: calls all sent before `delay` passed were
  // all in flight at once.
  const milliseconds delay(100);
  temp_dir dir;
  tagd_process node(dir / "data", slow_node(delay));
  REQUIRE_FALSE(node.exited());
  auto people = make_people(3000);
  load_people(node.address(), dir / "people.csv", people);
  auto aged_vips = [&](int age) {
    return count_if(people, [age](const person& p) { return p.age == age && p.vip; });
  };
  for (threading mode : both_modes) {
    INFO(name_of(mode));
    client::connection tagd(node.address(), in_mode(mode));
    auto start = steady_clock::now();
    std::vector<std::future<client::estimate_result>> answers;
    for (int age = 0; age < 32; ++age)
      answers.push_back(tagd.estimate_async("age = " + std::to_string(age) + " AND vip"));
    CHECK(since(start) < delay);
    // The node answers in order: once the last reply is in, every other one is in too (a
    // caller-thread future's get() ran the loop for all of them and kept their replies).
    CHECK(answers.back().get().count == aged_vips(31));
    auto last_in = steady_clock::now();
    CHECK(last_in - start >= delay); // the node did wait
    for (int age = 0; age < 31; ++age)
      CHECK(answers[age].get().count == aged_vips(age));
    CHECK(since(last_in) < delay);
  }

  // And synchronous calls from several threads at once on one background-thread connection.
  client::connection tagd(node.address());
  tagd.select("vips", "vip");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = t; i < people.size(); i += 80)
        wrong += tagd.contains("vips", std::to_string(people[i].key)) != people[i].vip;
    });
  for (auto& t : threads)
    t.join();
  CHECK(wrong == 0);
}

TEST_CASE("client: calls posted from several threads at once are all sent and answered",
          "[e2e][client]") {
  // A background-thread connection queues these calls for its loop thread, which drains the
  // queue each time it is woken: a wake-up lost between two threads would leave a call unsent,
  // and a call that kept a reference to its caller's arguments would send garbage.
  temp_dir dir;
  tagd_process node(dir / "data", {"--no-sync", "--vshards", "4"});
  REQUIRE_FALSE(node.exited());
  auto people = make_people(4000);
  load_people(node.address(), dir / "people.csv", people);
  client::connection tagd(node.address());
  tagd.select("vips", "vip");
  std::atomic<int> wrong{0}, unanswered{0};
  const auto give_up = steady_clock::now() + std::chrono::seconds(30);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::deque<std::pair<size_t, std::future<bool>>> window;
      auto settle = [&] {
        auto& [i, answer] = window.front();
        if (answer.wait_until(give_up) != std::future_status::ready)
          ++unanswered;
        else
          wrong += answer.get() != people[i].vip;
        window.pop_front();
      };
      for (size_t i = t; i < people.size(); i += 4) {
        if (window.size() == 16)
          settle();
        // Both arguments are temporaries, gone before the call is sent.
        window.emplace_back(
            i, tagd.contains_async(std::string("vips"), std::to_string(people[i].key)));
      }
      while (!window.empty())
        settle();
    });
  for (auto& t : threads)
    t.join();
  REQUIRE(unanswered == 0); // else the calls below would wait forever too
  CHECK(wrong == 0);
  // Estimates and groups_of take the same path.
  CHECK(tagd.estimate_async(std::string("vip")).get().count ==
        count_if(people, [](const person& p) { return p.vip; }));
  auto vip = std::find_if(people.begin(), people.end(), [](const person& p) { return p.vip; });
  CHECK(tagd.groups_of_async(std::to_string(vip->key), std::string()).get() ==
        std::vector<std::string>{"vips"});
}

TEST_CASE("client: call_timeout and the connection's deadline end slow calls with "
          "DEADLINE_EXCEEDED",
          "[e2e][client]") {
  const milliseconds delay(500);
  temp_dir dir;
  tagd_process node(dir / "data", slow_node(delay));
  REQUIRE_FALSE(node.exited());
  auto people = make_people(1000);
  load_people(node.address(), dir / "people.csv", people);
  for (threading mode : both_modes) {
    INFO(name_of(mode));
    client::connection_options options = in_mode(mode);
    options.call_timeout = milliseconds(100);
    client::connection tagd(node.address(), options);
    client::query_options patient;
    patient.deadline_ms = 20000; // the node would wait: the client gives up first
    auto start = steady_clock::now();
    CHECK(expect_error("DEADLINE_EXCEEDED", [&] { tagd.estimate(slow_query, patient); }) ==
          "no reply within 100 ms");
    CHECK(since(start) >= milliseconds(100));
    CHECK(since(start) < delay);
    tagd.ping(); // the connection is still fine
  }

  // connection_options::deadline_ms is sent with every query that sets none.
  client::connection_options hurried;
  hurried.deadline_ms = 50;
  client::connection tagd(node.address(), hurried);
  auto start = steady_clock::now();
  CHECK(expect_error("DEADLINE_EXCEEDED", [&] { tagd.estimate(slow_query); }) ==
        "the request's deadline passed");
  CHECK(since(start) < delay);
  client::query_options patient;
  patient.deadline_ms = 20000;
  CHECK(tagd.estimate(slow_query, patient).count == count_if(people, slow_query_matches));
}

TEST_CASE("client: a node killed while a call waits gives DISCONNECTED, and the connection stays "
          "broken",
          "[e2e][client]") {
  for (threading mode : both_modes) {
    INFO(name_of(mode));
    temp_dir dir;
    tagd_process node(dir / "data", slow_node(milliseconds(5000)));
    REQUIRE_FALSE(node.exited());
    load_people(node.address(), dir / "people.csv", make_people(100));
    client::connection tagd(node.address(), in_mode(mode));
    auto pending = tagd.estimate_async(slow_query);
    tagd.ping(); // the estimate went out before the ping's reply came back
    CHECK(node.kill(SIGKILL) == -1);
    auto start = steady_clock::now();
    expect_error("DISCONNECTED", [&] { pending.get(); });
    CHECK(since(start) < milliseconds(4000)); // not the node's answer after 5 s
    expect_error("DISCONNECTED", [&] { tagd.ping(); });
    expect_error("DISCONNECTED", [&] { tagd.estimate(slow_query); });
  }
}

TEST_CASE("client: destroying a connection fails its pending calls with DISCONNECTED",
          "[e2e][client]") {
  temp_dir dir;
  tagd_process node(dir / "data", slow_node(milliseconds(3000)));
  REQUIRE_FALSE(node.exited());
  load_people(node.address(), dir / "people.csv", make_people(100));
  auto start = steady_clock::now();
  auto pending = client::connection(node.address()).estimate_async(slow_query); // destroyed at once
  CHECK(expect_error("DISCONNECTED", [&] { pending.get(); }) ==
        "the connection was closed before the reply came");
  CHECK(since(start) < milliseconds(2000));
  client::connection(node.address()).ping(); // the node is unharmed
}
