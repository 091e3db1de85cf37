#include "fake_node.hpp"

#include "protocol/tagd.capnp.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <algorithm>
#include <future>
#include <thread>

#include <zlib.h>

namespace tagd::client::testing {

namespace {

using shared = fake_node::shared;

[[noreturn]] void fail(const char* code, const std::string& message) {
  throw kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                      kj::str(code, ": ", message));
}

std::string text(capnp::Text::Reader t) {
  return std::string(t.cStr(), t.size());
}

struct parsed_record {
  uint64_t line = 0; // 0-based, within the parsed text
  std::string first_field;
};

// RFC 4180 records of a batch; false unless the batch is a run of whole records.
bool parse_records(const std::string& b, char delimiter, std::vector<parsed_record>& out) {
  if (b.empty() || b.back() != '\n')
    return false;
  uint64_t line = 0;
  size_t i = 0;
  while (i < b.size()) {
    parsed_record record{line, {}};
    for (bool first = true;; first = false) {
      std::string field;
      if (b[i] == '"') {
        for (++i;; ++i) {
          if (i >= b.size())
            return false;
          if (b[i] == '"' && i + 1 < b.size() && b[i + 1] == '"') {
            field += '"';
            ++i;
          } else if (b[i] == '"') {
            ++i;
            break;
          } else {
            line += b[i] == '\n';
            field += b[i];
          }
        }
      } else {
        while (i < b.size() && b[i] != delimiter && b[i] != '\n')
          field += b[i++];
      }
      if (first)
        record.first_field = field;
      if (i >= b.size())
        return false;
      if (b[i] == delimiter) {
        ++i;
        continue;
      }
      if (b[i] == '\r' && i + 1 < b.size() && b[i + 1] == '\n')
        ++i;
      if (b[i] != '\n')
        return false;
      ++i;
      ++line;
      break;
    }
    out.push_back(std::move(record));
  }
  return true;
}

class fake_import final : public wire::Import::Server {
 public:
  fake_import(std::shared_ptr<shared> s, std::string table, std::string label, char delimiter,
              bool header)
      : shared_(std::move(s)), table_(std::move(table)), label_(std::move(label)),
        delimiter_(delimiter), header_(header) {}
  ~fake_import() {
    if (!committed_) {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->state.aborted = true;
    }
  }

  kj::Promise<void> addRows(AddRowsContext context) override {
    auto data = context.getParams().getData();
    std::string batch(reinterpret_cast<const char*>(data.begin()), data.size());
    std::vector<parsed_record> records;
    bool whole = parse_records(batch, delimiter_, records);
    for (const auto& r : records) {
      if (header_ && !header_seen_) {
        header_seen_ = true;
        continue;
      }
      ++rows_read_;
      if (r.first_field == "bad") {
        ++rejected_;
        rejects_.push_back({lines_ + r.line + 1, "the key is 'bad'"});
      } else {
        keys_.insert(r.first_field);
      }
    }
    lines_ += static_cast<uint64_t>(std::count(batch.begin(), batch.end(), '\n'));
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->state.batches.push_back(batch);
      shared_->state.batches_whole = shared_->state.batches_whole && whole;
    }
    stream_ += batch;
    context.getResults().setRowsRead(rows_read_);
    context.getResults().setRejected(rejected_);
    return kj::READY_NOW;
  }

  kj::Promise<void> commit(CommitContext context) override {
    committed_ = true;
    auto report = context.getResults().initReport();
    report.setTable(table_);
    report.setLabel(label_);
    report.setStorageId(7);
    report.setRowsRead(rows_read_);
    report.setRowsLoaded(rows_read_ - rejected_);
    report.setKeys(keys_.size());
    report.setRejected(rejected_);
    auto rejects = report.initRejects(static_cast<unsigned>(rejects_.size()));
    for (unsigned i = 0; i < rejects_.size(); ++i) {
      rejects[i].setSource("stream");
      rejects[i].setLine(rejects_[i].first);
      rejects[i].setReason(rejects_[i].second);
    }
    report.setSeconds(0.5);
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->state.committed = stream_;
    return kj::READY_NOW;
  }

  kj::Promise<void> abort(AbortContext) override { return kj::READY_NOW; }

 private:
  std::shared_ptr<shared> shared_;
  std::string table_, label_;
  char delimiter_;
  bool header_;
  bool header_seen_ = false;
  bool committed_ = false;
  uint64_t rows_read_ = 0, rejected_ = 0, lines_ = 0;
  std::set<std::string> keys_;
  std::vector<std::pair<uint64_t, std::string>> rejects_;
  std::string stream_;
};

class fake_export final : public wire::Export::Server {
 public:
  fake_export(std::string group, uint32_t version, const std::vector<std::string>& members,
              const fake_options& options)
      : group_(std::move(group)), version_(version), options_(options) {
    parts_.resize(options.parts);
    for (size_t i = 0; i < members.size(); ++i)
      parts_[i % options.parts] += members[i] + "\n";
    count_ = members.size();
  }

  kj::Promise<void> parts(PartsContext context) override {
    auto results = context.getResults();
    auto info = results.initInfo();
    info.setGroup(group_);
    info.setVersion(version_);
    info.setCount(count_);
    info.setCreatedUnix(1700000000);
    info.setEntity("user");
    auto parts = results.initParts(static_cast<unsigned>(parts_.size()));
    for (unsigned v = 0; v < parts_.size(); ++v) {
      const std::string& p = parts_[v];
      uint32_t crc = static_cast<uint32_t>(
          crc32(0L, reinterpret_cast<const Bytef*>(p.data()), static_cast<uInt>(p.size())));
      parts[v].setVshard(v);
      parts[v].setRows(static_cast<uint64_t>(std::count(p.begin(), p.end(), '\n')));
      parts[v].setBytes(p.size());
      parts[v].setCrc32(options_.corrupt_crc && v == 1 ? crc ^ 1 : crc);
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> read(ReadContext context) override {
    auto params = context.getParams();
    if (params.getVshard() >= parts_.size())
      fail("NOT_FOUND", "no vshard " + std::to_string(params.getVshard()));
    const std::string& p = parts_[params.getVshard()];
    uint64_t offset = std::min<uint64_t>(params.getOffset(), p.size());
    uint64_t n = std::min<uint64_t>(params.getMaxBytes(), p.size() - offset);
    if (options_.max_read != 0)
      n = std::min<uint64_t>(n, options_.max_read);
    context.getResults().setData(
        kj::arrayPtr(reinterpret_cast<const capnp::byte*>(p.data()) + offset, n));
    return kj::READY_NOW;
  }

 private:
  std::string group_;
  uint32_t version_;
  fake_options options_;
  std::vector<std::string> parts_;
  uint64_t count_ = 0;
};

class fake_tagd final : public wire::Tagd::Server {
 public:
  fake_tagd(std::shared_ptr<shared> s, kj::Timer& timer) : shared_(std::move(s)), timer_(timer) {}

  kj::Promise<void> ping(PingContext) override { return kj::READY_NOW; }

  kj::Promise<void> status(StatusContext context) override {
    auto status = context.getResults().initStatus();
    status.setVersion("fake 0.1");
    status.setDataDirectory("/nowhere");
    status.setVshards(4);
    status.setUptimeSeconds(1.5);
    std::lock_guard<std::mutex> lock(shared_->mutex);
    status.setCatalogVersion(shared_->state.catalog_version);
    return kj::READY_NOW;
  }

  kj::Promise<void> defineEntity(DefineEntityContext context) override {
    std::string name = text(context.getParams().getDef().getName());
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (name.empty())
      fail("INVALID_ARGUMENT", "an entity needs a name");
    if (!shared_->state.entities.insert(name).second)
      fail("ALREADY_EXISTS", "entity '" + name + "' exists");
    context.getResults().setCatalogVersion(++shared_->state.catalog_version);
    return kj::READY_NOW;
  }

  kj::Promise<void> defineTable(DefineTableContext context) override {
    auto def = context.getParams().getDef();
    std::string name = text(def.getName());
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (shared_->state.tables.count(name))
      fail("ALREADY_EXISTS", "table '" + name + "' exists");
    shared_->state.tables[name] = def.getColumns().size();
    context.getResults().setCatalogVersion(++shared_->state.catalog_version);
    return kj::READY_NOW;
  }

  kj::Promise<void> defineComposite(DefineCompositeContext context) override {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    context.getResults().setCatalogVersion(++shared_->state.catalog_version);
    return kj::READY_NOW;
  }

  kj::Promise<void> catalog(CatalogContext context) override {
    auto catalog = context.getResults().initCatalog();
    std::lock_guard<std::mutex> lock(shared_->mutex);
    const fake_state& st = shared_->state;
    catalog.setVersion(st.catalog_version);
    auto entities = catalog.initEntities(static_cast<unsigned>(st.entities.size()));
    unsigned i = 0;
    for (const auto& e : st.entities)
      entities[i++].setName(e);
    auto tables = catalog.initTables(static_cast<unsigned>(st.tables.size()));
    i = 0;
    for (const auto& [name, columns] : st.tables) {
      auto def = tables[i].initDef();
      def.setName(name);
      def.setEntity("user");
      auto cols = def.initColumns(columns);
      for (unsigned c = 0; c < columns; ++c) {
        cols[c].setTag("tag" + std::to_string(c));
        cols[c].setKind(c == 0 ? wire::TagKind::DECIMAL : wire::TagKind::ENUM);
        cols[c].setPrecision(12);
        cols[c].setScale(2);
      }
      auto versions = tables[i].initVersions(1);
      versions[0].setTable(name);
      versions[0].setStorageId(3);
      versions[0].setLabel("2026-11-24");
      ++i;
    }
    auto groups = catalog.initGroups(static_cast<unsigned>(st.groups.size()));
    i = 0;
    for (const auto& [name, members] : st.groups) {
      groups[i].setGroup(name);
      groups[i].setVersion(st.group_versions.at(name));
      groups[i].setCount(members.size());
      groups[i].setEntity("user");
      ++i;
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> dropTable(DropTableContext context) override {
    std::string name = text(context.getParams().getName());
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (shared_->state.tables.erase(name) == 0)
      fail("NOT_FOUND", "no table '" + name + "'");
    context.getResults().setCatalogVersion(++shared_->state.catalog_version);
    return kj::READY_NOW;
  }

  kj::Promise<void> dropGroup(DropGroupContext context) override {
    std::string name = text(context.getParams().getName());
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (shared_->state.groups.erase(name) == 0)
      fail("NOT_FOUND", "no group '" + name + "'");
    context.getResults().setCatalogVersion(++shared_->state.catalog_version);
    return kj::READY_NOW;
  }

  kj::Promise<void> beginImport(BeginImportContext context) override {
    auto params = context.getParams();
    std::string table = text(params.getTable());
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      if (!shared_->state.tables.count(table))
        fail("NOT_FOUND", "no table '" + table + "'");
      shared_->state.batches.clear();
      shared_->state.batches_whole = true;
      shared_->state.aborted = false;
    }
    auto options = params.getOptions();
    char delimiter = options.getDelimiter().size() == 1 ? options.getDelimiter()[0] : ',';
    context.getResults().setImport(kj::heap<fake_import>(shared_, table, text(params.getLabel()),
                                                         delimiter, options.getHeader()));
    return kj::READY_NOW;
  }

  kj::Promise<void> upsert(UpsertContext context) override {
    auto params = context.getParams();
    std::lock_guard<std::mutex> lock(shared_->mutex);
    std::string table = text(params.getTable());
    auto found = shared_->state.tables.find(table);
    if (found == shared_->state.tables.end())
      fail("NOT_FOUND", "no table '" + table + "'");
    unsigned n = 0;
    for (auto r : params.getRows()) {
      ++n;
      if (r.getFields().size() != found->second)
        fail("BAD_ROW", "row " + std::to_string(n) + ": " + std::to_string(r.getFields().size()) +
                            " fields for " + std::to_string(found->second) + " columns");
      std::vector<std::string> fields{text(r.getKey())};
      for (auto f : r.getFields())
        fields.push_back(f.isNull() ? "\\N" : text(f.getValue()));
      shared_->state.upserted.push_back(std::move(fields));
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> remove(RemoveContext context) override {
    context.getResults().setRemoved(context.getParams().getKeys().size());
    return kj::READY_NOW;
  }

  kj::Promise<void> estimate(EstimateContext context) override {
    auto query = context.getParams().getQuery();
    std::string expression = remember(query);
    if (expression == "never")
      return kj::NEVER_DONE;
    context.getResults().setCount(expression.size());
    snapshot_of(context.getResults().initSnapshot());
    return kj::READY_NOW;
  }

  kj::Promise<void> breakdown(BreakdownContext context) override {
    remember(context.getParams().getQuery());
    auto entries = context.getResults().initEntries(2);
    entries[0].setValue("Shanghai");
    entries[0].setCount(30);
    entries[1].setValue(text(context.getParams().getTag()));
    entries[1].setCount(12);
    snapshot_of(context.getResults().initSnapshot());
    return kj::READY_NOW;
  }

  kj::Promise<void> select(SelectContext context) override {
    std::string expression = remember(context.getParams().getQuery());
    std::string group = text(context.getParams().getGroup());
    std::vector<std::string> members;
    for (size_t i = 0; i < expression.size(); ++i)
      members.push_back(std::to_string(i * 2));
    auto info = context.getResults().initVersion();
    store_group(group, members, info);
    info.setExpression(expression);
    snapshot_of(context.getResults().initSnapshot());
    return kj::READY_NOW;
  }

  kj::Promise<void> upload(UploadContext context) override {
    auto params = context.getParams();
    std::vector<std::string> members;
    std::vector<std::string> unknown;
    for (auto k : params.getKeys()) {
      members.push_back(text(k));
      if (members.back().rfind("x", 0) == 0)
        unknown.push_back(members.back());
    }
    store_group(text(params.getGroup()), members, context.getResults().initVersion());
    context.getResults().setUnknownKeys(unknown.size());
    auto sample = context.getResults().initUnknownSample(static_cast<unsigned>(unknown.size()));
    for (unsigned i = 0; i < unknown.size(); ++i)
      sample.set(i, unknown[i]);
    return kj::READY_NOW;
  }

  kj::Promise<void> export_(ExportContext context) override {
    std::string group = text(context.getParams().getGroup());
    std::lock_guard<std::mutex> lock(shared_->mutex);
    auto found = shared_->state.groups.find(group);
    if (found == shared_->state.groups.end())
      fail("NOT_FOUND", "no group '" + group + "'");
    context.getResults().setExport(kj::heap<fake_export>(
        group, shared_->state.group_versions.at(group), found->second, shared_->options));
    return kj::READY_NOW;
  }

  kj::Promise<void> contains(ContainsContext context) override {
    auto params = context.getParams();
    std::string group = text(params.getGroup());
    bool member = members_of(group).count(text(params.getKey())) > 0;
    context.getResults().setMember(member);
    if (group != "slow")
      return kj::READY_NOW;
    uint32_t delay;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      auto& st = shared_->state;
      st.most_in_flight = std::max(st.most_in_flight, ++st.in_flight);
      delay = shared_->options.slow_ms;
    }
    return timer_.afterDelay(delay * kj::MILLISECONDS).then([s = shared_]() {
      std::lock_guard<std::mutex> lock(s->mutex);
      --s->state.in_flight;
    });
  }

  kj::Promise<void> containsMany(ContainsManyContext context) override {
    auto params = context.getParams();
    auto members = members_of(text(params.getGroup()));
    auto keys = params.getKeys();
    auto answers = context.getResults().initMembers(keys.size());
    for (unsigned i = 0; i < keys.size(); ++i)
      answers.set(i, members.count(text(keys[i])) > 0);
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->state.largest_key_list =
        std::max<size_t>(shared_->state.largest_key_list, keys.size());
    return kj::READY_NOW;
  }

  kj::Promise<void> groupsOf(GroupsOfContext context) override {
    std::string key = text(context.getParams().getKey());
    std::vector<std::string> holding;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      for (const auto& [name, members] : shared_->state.groups)
        if (std::find(members.begin(), members.end(), key) != members.end())
          holding.push_back(name);
    }
    auto groups = context.getResults().initGroups(static_cast<unsigned>(holding.size()));
    for (unsigned i = 0; i < holding.size(); ++i)
      groups.set(i, holding[i]);
    return kj::READY_NOW;
  }

 private:
  std::string remember(wire::Query::Reader query) {
    std::string expression = text(query.getExpression().getText());
    std::lock_guard<std::mutex> lock(shared_->mutex);
    auto& st = shared_->state;
    st.expression = expression;
    st.entity = text(query.getEntity());
    st.now = query.getNow();
    st.deadline_ms = query.getDeadlineMs();
    st.pinned_catalog = query.hasPin() ? query.getPin().getCatalogVersion() : 0;
    if (expression == "bad")
      fail("INVALID_EXPRESSION", "column 1: expected a tag, found 'bad'");
    return expression;
  }

  void snapshot_of(wire::Snapshot::Builder out) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    out.setCatalogVersion(shared_->state.catalog_version);
    auto tables = out.initTables(1);
    tables[0].setTable("profile");
    tables[0].setStorageId(3);
    tables[0].setLabel("2026-11-24");
  }

  void store_group(const std::string& group, std::vector<std::string> members,
                   wire::GroupVersionInfo::Builder info) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    auto& st = shared_->state;
    info.setGroup(group);
    info.setVersion(++st.group_versions[group]);
    info.setCount(members.size());
    info.setCreatedUnix(1700000000);
    info.setEntity("user");
    st.groups[group] = std::move(members);
  }

  std::set<std::string> members_of(const std::string& group) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    auto found = shared_->state.groups.find(group);
    if (found == shared_->state.groups.end())
      fail("NOT_FOUND", "no group '" + group + "'");
    return {found->second.begin(), found->second.end()};
  }

  std::shared_ptr<shared> shared_;
  kj::Timer& timer_;
};

} // namespace

struct fake_node::impl {
  std::thread thread;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> stop;
};

fake_node::fake_node(fake_options options)
    : shared_(std::make_shared<shared>()), impl_(std::make_unique<impl>()) {
  shared_->options = options;
  std::promise<unsigned> listening;
  auto port = listening.get_future();
  impl_->thread = std::thread([this, &listening] {
    auto io = kj::setupAsyncIo();
    auto stop = kj::newPromiseAndCrossThreadFulfiller<void>();
    auto address = io.provider->getNetwork().parseAddress("127.0.0.1", 0).wait(io.waitScope);
    auto listener = address->listen();
    capnp::TwoPartyServer server(kj::heap<fake_tagd>(shared_, io.provider->getTimer()));
    impl_->stop = kj::mv(stop.fulfiller);
    listening.set_value(listener->getPort());
    server.listen(*listener).exclusiveJoin(kj::mv(stop.promise)).wait(io.waitScope);
  });
  port_ = port.get();
}

fake_node::~fake_node() {
  stop();
}

void fake_node::stop() {
  if (!impl_->thread.joinable())
    return;
  impl_->stop->fulfill();
  impl_->thread.join();
}

fake_state fake_node::state() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  return shared_->state;
}

} // namespace tagd::client::testing
