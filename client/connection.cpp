// One method per RPC of protocol/tagd.capnp. Each `_async` method builds its request on the
// event-loop thread (session_owner::submit) and converts the reply there into plain values;
// each synchronous method waits for its `_async` twin.

#include "client/session.hpp"
#include "client/wire.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace tagd::client {

using detail::session;
using detail::text_of;
using detail::to_string;

namespace {

kj::ArrayPtr<const capnp::byte> bytes_of(std::string_view data) {
  return kj::arrayPtr(reinterpret_cast<const capnp::byte*>(data.data()), data.size());
}

// A size hint that makes a request carrying `n` keys (and a name) one segment: a reader resolves
// a pointer into a later segment under a lock, once per key (capnp::ReaderArena::tryGetSegment),
// which showed in the node's profile of containsMany.
capnp::MessageSize one_segment_for(const std::string* keys, size_t n, size_t name_bytes) {
  uint64_t words = 16 + (name_bytes + 8) / 8; // the struct, its pointers, the name
  for (size_t i = 0; i < n; ++i)
    words += 1 + (keys[i].size() + 8) / 8; // a list pointer, the text with its NUL, padded
  return capnp::MessageSize{words, 0};
}

void set_keys(capnp::List<capnp::Text>::Builder out, const std::string* keys) {
  for (unsigned i = 0; i < out.size(); ++i)
    out.set(i, text_of(keys[i]));
}

// Calls that each carry a batch of `total` items: they go out on several chains ("lanes"), each
// sending its next batch when the previous answer came, so at most as many requests as lanes
// are outstanding; the first failure stops every lane.
struct batched_calls {
  size_t total = 0;
  size_t batch = 1;
  size_t next = 0;
  bool failed = false;
  std::function<kj::Promise<void>(size_t begin, size_t count)> send;
};

kj::Promise<void> batch_lane(batched_calls& calls) {
  if (calls.failed || calls.next >= calls.total)
    return kj::READY_NOW;
  size_t begin = calls.next;
  size_t count = std::min(calls.batch, calls.total - begin);
  calls.next += count;
  return calls.send(begin, count)
      .then([&calls]() { return batch_lane(calls); })
      .catch_([&calls](kj::Exception&& e) -> kj::Promise<void> {
        calls.failed = true;
        return kj::mv(e);
      });
}

kj::Promise<void> run_in_lanes(session& s, batched_calls& calls) {
  calls.batch = std::max<size_t>(1, s.options.max_keys_per_request);
  size_t lanes = std::max<size_t>(1, s.options.requests_in_flight);
  auto lane_promises = kj::heapArrayBuilder<kj::Promise<void>>(lanes);
  for (size_t i = 0; i < lanes; ++i)
    lane_promises.add(batch_lane(calls));
  return kj::joinPromises(lane_promises.finish());
}

// A running contains_many.
struct membership_job {
  std::string group;
  uint32_t version = 0;
  const std::vector<std::string>* keys = nullptr;
  std::vector<std::string> owned_keys; // the keys of an asynchronous call
  std::vector<bool> members;
  batched_calls calls;
};

kj::Promise<std::vector<bool>> contains_many_on_loop(session& s, kj::Own<membership_job> job) {
  job->members.assign(job->keys->size(), false);
  job->calls.total = job->keys->size();
  job->calls.send = [&s, &job = *job](size_t begin, size_t count) {
    auto request = s.tagd.containsManyRequest(
        one_segment_for(job.keys->data() + begin, count, job.group.size()));
    request.setGroup(text_of(job.group));
    request.setVersion(job.version);
    set_keys(request.initKeys(static_cast<unsigned>(count)), job.keys->data() + begin);
    using reply_type = capnp::Response<wire::Tagd::ContainsManyResults>;
    return s.with_timeout<reply_type>(s.send_bounded(request, "a containsMany request"))
        .then([&job, begin, count](reply_type&& reply) {
          auto members = reply.getMembers();
          if (members.size() != count)
            detail::fail("INTERNAL", "the node answered " + std::to_string(members.size()) +
                                         " memberships for " + std::to_string(count) + " keys");
          for (unsigned i = 0; i < count; ++i)
            job.members[begin + i] = members[i];
        });
  };
  membership_job& ref = *job;
  return run_in_lanes(s, job->calls)
      .then([&ref]() { return std::move(ref.members); })
      .attach(kj::mv(job));
}

// A running upload of more keys than one request carries: batches on one Upload capability
// (calls on a capability arrive in the order sent, so the node keeps the keys' order), then one
// commit.
struct upload_job {
  const std::vector<std::string>* keys = nullptr;
  std::vector<std::string> owned_keys; // the keys of an asynchronous call
  kj::Maybe<wire::Upload::Client> upload;
  batched_calls calls;
};

kj::Promise<upload_result> upload_on_loop(session& s, const std::string& group,
                                          const std::string& entity, kj::Own<upload_job> job) {
  auto begin = s.tagd.beginUploadRequest();
  begin.setGroup(text_of(group));
  begin.setEntity(text_of(entity));
  using begun_type = capnp::Response<wire::Tagd::BeginUploadResults>;
  using reply_type = capnp::Response<wire::Upload::CommitResults>;
  upload_job& ref = *job;
  return s.with_timeout<begun_type>(begin.send())
      .then([&s, &ref](begun_type&& begun) {
        wire::Upload::Client& upload = ref.upload.emplace(begun.getUpload());
        ref.calls.total = ref.keys->size();
        ref.calls.send = [&s, &ref, &upload](size_t first, size_t count) {
          auto request = upload.addKeysRequest(one_segment_for(ref.keys->data() + first, count, 0));
          set_keys(request.initKeys(static_cast<unsigned>(count)), ref.keys->data() + first);
          using added_type = capnp::Response<wire::Upload::AddKeysResults>;
          return s.with_timeout<added_type>(s.send_bounded(request, "an upload batch"))
              .ignoreResult();
        };
        return run_in_lanes(s, ref.calls).then([&s, &upload]() {
          return s.with_timeout<reply_type>(upload.commitRequest().send());
        });
      })
      .then([](reply_type&& reply) {
        return upload_result{detail::from_wire(reply.getVersion()), reply.getUnknownKeys(),
                             detail::from_wire(reply.getUnknownSample())};
      })
      .attach(kj::mv(job)); // dropping the Upload capability without commit aborts it
}

// A catalog change: `make` creates the request, `fill` completes it; the reply is the new
// catalog version.
template <class Make, class Fill>
std::future<uint64_t> catalog_change(detail::session_owner& owner, Make make, Fill fill) {
  return owner.submit<uint64_t>([&](session& s) {
    auto request = make(s.tagd);
    fill(request);
    return request.send().then([](auto reply) { return reply.getCatalogVersion(); });
  });
}

struct export_begun {
  uint64_t handle = 0;
  export_info info;
};

} // namespace

// ---- connection ----

connection::connection(const std::string& address, const connection_options& options)
    : owner_(detail::session_owner::open(address, options)) {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

const std::string& connection::address() const {
  return owner_->address();
}
const connection_options& connection::options() const {
  return owner_->options();
}

void connection::ping() {
  ping_async().get();
}
std::future<void> connection::ping_async() {
  return owner_->submit_owned<void>(
      [](session& s) { return s.tagd.pingRequest().send().then([](auto) {}); });
}

node_status connection::status() {
  return status_async().get();
}
std::future<node_status> connection::status_async() {
  return owner_->submit<node_status>([](session& s) {
    return s.tagd.statusRequest().send().then(
        [](auto reply) { return detail::from_wire(reply.getStatus()); });
  });
}

uint64_t connection::define_entity(const entity_def& def) {
  return define_entity_async(def).get();
}
std::future<uint64_t> connection::define_entity_async(const entity_def& def) {
  return catalog_change(
      *owner_, [](wire::Tagd::Client& tagd) { return tagd.defineEntityRequest(); },
      [&](auto& request) { detail::to_wire(def, request.initDef()); });
}

uint64_t connection::define_table(const table_def& def) {
  return define_table_async(def).get();
}
std::future<uint64_t> connection::define_table_async(const table_def& def) {
  return catalog_change(
      *owner_, [](wire::Tagd::Client& tagd) { return tagd.defineTableRequest(); },
      [&](auto& request) { detail::to_wire(def, request.initDef()); });
}

uint64_t connection::define_composite(const composite_def& def) {
  return define_composite_async(def).get();
}
std::future<uint64_t> connection::define_composite_async(const composite_def& def) {
  return catalog_change(
      *owner_, [](wire::Tagd::Client& tagd) { return tagd.defineCompositeRequest(); },
      [&](auto& request) { detail::to_wire(def, request.initDef()); });
}

catalog connection::catalog() {
  return catalog_async().get();
}
std::future<catalog> connection::catalog_async() {
  return owner_->submit<tagd::client::catalog>([](session& s) {
    return s.tagd.catalogRequest().send().then(
        [](auto reply) { return detail::from_wire(reply.getCatalog()); });
  });
}

uint64_t connection::drop_table(const std::string& name) {
  return drop_table_async(name).get();
}
std::future<uint64_t> connection::drop_table_async(const std::string& name) {
  return catalog_change(
      *owner_, [](wire::Tagd::Client& tagd) { return tagd.dropTableRequest(); },
      [&](auto& request) { request.setName(text_of(name)); });
}

uint64_t connection::drop_group(const std::string& name) {
  return drop_group_async(name).get();
}
std::future<uint64_t> connection::drop_group_async(const std::string& name) {
  return catalog_change(
      *owner_, [](wire::Tagd::Client& tagd) { return tagd.dropGroupRequest(); },
      [&](auto& request) { request.setName(text_of(name)); });
}

importer connection::begin_import(const std::string& table, const std::string& label,
                                  const import_options& options) {
  auto handle = owner_->submit<uint64_t>([&](session& s) {
    auto request = s.tagd.beginImportRequest();
    request.setTable(text_of(table));
    request.setLabel(text_of(label));
    detail::to_wire(options, request.initOptions());
    return request.send().then([&s](auto reply) { return s.keep(reply.getImport()); });
  });
  return importer(detail::remote_handle(owner_, handle.get()));
}

void connection::upsert(const std::string& table, const std::vector<row>& rows) {
  upsert_async(table, rows).get();
}
std::future<void> connection::upsert_async(const std::string& table, const std::vector<row>& rows) {
  return owner_->submit<void>([&](session& s) {
    auto request = s.tagd.upsertRequest();
    request.setTable(text_of(table));
    detail::to_wire(rows, request.initRows(static_cast<unsigned>(rows.size())));
    return s.send_bounded(request, "an upsert").then([](auto) {});
  });
}

uint64_t connection::remove(const std::string& table, const std::vector<std::string>& keys) {
  return remove_async(table, keys).get();
}
std::future<uint64_t> connection::remove_async(const std::string& table,
                                               const std::vector<std::string>& keys) {
  return owner_->submit<uint64_t>([&](session& s) {
    auto request = s.tagd.removeRequest(one_segment_for(keys.data(), keys.size(), table.size()));
    request.setTable(text_of(table));
    set_keys(request.initKeys(static_cast<unsigned>(keys.size())), keys.data());
    return s.send_bounded(request, "a remove").then([](auto reply) { return reply.getRemoved(); });
  });
}

estimate_result connection::estimate(const expression& matching, const query_options& options) {
  return estimate_async(matching, options).get();
}
std::future<estimate_result> connection::estimate_async(const expression& matching,
                                                        const query_options& options) {
  return owner_->submit_owned<estimate_result>([matching, options](session& s) {
    auto request = s.tagd.estimateRequest();
    detail::to_wire(matching, options, s.options.deadline_ms, request.initQuery());
    return request.send().then([](auto reply) {
      return estimate_result{reply.getCount(), detail::from_wire(reply.getSnapshot())};
    });
  });
}

breakdown_result connection::breakdown(const expression& matching, const std::string& tag,
                                       const query_options& options) {
  return breakdown_async(matching, tag, options).get();
}
std::future<breakdown_result> connection::breakdown_async(const expression& matching,
                                                          const std::string& tag,
                                                          const query_options& options) {
  return owner_->submit_owned<breakdown_result>([matching, tag, options](session& s) {
    auto request = s.tagd.breakdownRequest();
    detail::to_wire(matching, options, s.options.deadline_ms, request.initQuery());
    request.setTag(text_of(tag));
    return request.send().then([](auto reply) {
      breakdown_result out;
      for (auto e : reply.getEntries())
        out.entries.push_back({to_string(e.getValue()), e.getCount()});
      out.seen = detail::from_wire(reply.getSnapshot());
      return out;
    });
  });
}

select_result connection::select(const std::string& group, const expression& matching,
                                 const query_options& options) {
  return select_async(group, matching, options).get();
}
std::future<select_result> connection::select_async(const std::string& group,
                                                    const expression& matching,
                                                    const query_options& options) {
  return owner_->submit<select_result>([&](session& s) {
    auto request = s.tagd.selectRequest();
    request.setGroup(text_of(group));
    detail::to_wire(matching, options, s.options.deadline_ms, request.initQuery());
    return request.send().then([](auto reply) {
      return select_result{detail::from_wire(reply.getVersion()),
                           detail::from_wire(reply.getSnapshot())};
    });
  });
}

upload_result connection::upload(const std::string& group, const std::string& entity,
                                 const std::vector<std::string>& keys) {
  if (keys.size() > owner_->options().max_keys_per_request)
    // Waiting here keeps `keys` alive for the whole stream: no copy.
    return owner_
        ->submit<upload_result, false>([&](session& s) {
          auto job = kj::heap<upload_job>();
          job->keys = &keys;
          return upload_on_loop(s, group, entity, kj::mv(job));
        })
        .get();
  return upload_async(group, entity, keys).get();
}
std::future<upload_result> connection::upload_async(const std::string& group,
                                                    const std::string& entity,
                                                    const std::vector<std::string>& keys) {
  if (keys.size() > owner_->options().max_keys_per_request)
    return owner_->submit<upload_result, false>([&](session& s) {
      auto job = kj::heap<upload_job>();
      job->owned_keys = keys; // an asynchronous call: the caller's vector may go before the batches
      job->keys = &job->owned_keys;
      return upload_on_loop(s, group, entity, kj::mv(job));
    });
  return owner_->submit<upload_result>([&](session& s) {
    auto request = s.tagd.uploadRequest(
        one_segment_for(keys.data(), keys.size(), group.size() + entity.size()));
    request.setGroup(text_of(group));
    request.setEntity(text_of(entity));
    set_keys(request.initKeys(static_cast<unsigned>(keys.size())), keys.data());
    return s.send_bounded(request, "an upload").then([](auto reply) {
      return upload_result{detail::from_wire(reply.getVersion()), reply.getUnknownKeys(),
                           detail::from_wire(reply.getUnknownSample())};
    });
  });
}

exporter connection::begin_export(const std::string& group, uint32_t version) {
  auto begun = owner_->submit<export_begun>([&](session& s) {
    auto request = s.tagd.exportRequest();
    request.setGroup(text_of(group));
    request.setVersion(version);
    // Pipelined: parts() goes out before the export capability has come back.
    wire::Export::Client exported = request.send().getExport();
    return exported.partsRequest().send().then([&s, exported](auto reply) mutable {
      export_begun out;
      out.info.version = detail::from_wire(reply.getInfo());
      for (auto p : reply.getParts())
        out.info.parts.push_back(detail::from_wire(p));
      out.handle = s.keep(kj::mv(exported));
      return out;
    });
  });
  export_begun b = begun.get();
  return exporter(detail::remote_handle(owner_, b.handle), std::move(b.info));
}

bool connection::contains(const std::string& group, const std::string& key, uint32_t version) {
  return contains_async(group, key, version).get();
}
std::future<bool> connection::contains_async(const std::string& group, const std::string& key,
                                             uint32_t version) {
  return owner_->submit_owned<bool>([group, key, version](session& s) {
    auto request = s.tagd.containsRequest();
    request.setGroup(text_of(group));
    request.setVersion(version);
    request.setKey(text_of(key));
    return request.send().then([](auto reply) { return reply.getMember(); });
  });
}

std::vector<bool> connection::contains_many(const std::string& group,
                                            const std::vector<std::string>& keys,
                                            uint32_t version) {
  // Waiting here keeps `keys` alive for the whole job: no copy.
  return owner_
      ->submit<std::vector<bool>, false>([&](session& s) {
        auto job = kj::heap<membership_job>();
        job->group = group;
        job->version = version;
        job->keys = &keys;
        return contains_many_on_loop(s, kj::mv(job));
      })
      .get();
}
std::future<std::vector<bool>> connection::contains_many_async(const std::string& group,
                                                               std::vector<std::string> keys,
                                                               uint32_t version) {
  return owner_->submit<std::vector<bool>, false>([&](session& s) {
    auto job = kj::heap<membership_job>();
    job->group = group;
    job->version = version;
    job->owned_keys = std::move(keys);
    job->keys = &job->owned_keys;
    return contains_many_on_loop(s, kj::mv(job));
  });
}

std::vector<std::string> connection::groups_of(const std::string& key, const std::string& entity) {
  return groups_of_async(key, entity).get();
}
std::future<std::vector<std::string>> connection::groups_of_async(const std::string& key,
                                                                  const std::string& entity) {
  return owner_->submit_owned<std::vector<std::string>>([key, entity](session& s) {
    auto request = s.tagd.groupsOfRequest();
    request.setEntity(text_of(entity));
    request.setKey(text_of(key));
    return request.send().then([](auto reply) { return detail::from_wire(reply.getGroups()); });
  });
}

// ---- importer and exporter ----

namespace detail {

remote_handle::remote_handle(std::shared_ptr<session_owner> owner, uint64_t id)
    : owner_(std::move(owner)), id_(id) {}
remote_handle::remote_handle(remote_handle&& other) noexcept
    : owner_(std::move(other.owner_)), id_(std::exchange(other.id_, 0)) {}
remote_handle& remote_handle::operator=(remote_handle&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}
remote_handle::~remote_handle() {
  release();
}

session_owner& remote_handle::owner() const {
  if (!owner_ || id_ == 0)
    throw error("INVALID_ARGUMENT", "the import or export was committed, aborted or moved away");
  return *owner_;
}

void remote_handle::release() noexcept {
  if (!owner_ || id_ == 0)
    return;
  uint64_t id = std::exchange(id_, 0);
  try {
    owner_->run([id](session& s) { s.drop(id); });
  } catch (const error&) {
    // the event loop is gone, and the capability with it
  }
  owner_.reset();
}

} // namespace detail

batch_reply importer::add_rows(std::string_view data) {
  return add_rows_async(data).get();
}
std::future<batch_reply> importer::add_rows_async(std::string_view data) {
  uint64_t id = handle_.id();
  return handle_.owner().submit<batch_reply>([&](session& s) {
    auto request = s.object<wire::Import>(id).addRowsRequest();
    request.setData(bytes_of(data));
    return s.send_bounded(request, "an import batch").then([](auto reply) {
      return batch_reply{reply.getRowsRead(), reply.getRejected()};
    });
  });
}

import_report importer::commit() {
  uint64_t id = handle_.id();
  auto report = handle_.owner().submit<import_report>([id](session& s) {
    return s.object<wire::Import>(id).commitRequest().send().then(
        [](auto reply) { return detail::from_wire(reply.getReport()); });
  });
  detail::remote_handle finished = std::move(handle_); // dropped however commit ends
  return report.get();
}

void importer::abort() {
  uint64_t id = handle_.id();
  auto done = handle_.owner().submit<void>([id](session& s) {
    return s.object<wire::Import>(id).abortRequest().send().then([](auto) {});
  });
  detail::remote_handle finished = std::move(handle_);
  done.get();
}

std::string exporter::read(uint32_t vshard, uint64_t offset, uint32_t max_bytes) {
  return read_async(vshard, offset, max_bytes).get();
}
std::future<std::string> exporter::read_async(uint32_t vshard, uint64_t offset,
                                              uint32_t max_bytes) {
  uint64_t id = handle_.id();
  return handle_.owner().submit<std::string>([&](session& s) {
    auto request = s.object<wire::Export>(id).readRequest();
    request.setVshard(vshard);
    request.setOffset(offset);
    request.setMaxBytes(max_bytes);
    return request.send().then([](auto reply) {
      auto data = reply.getData();
      return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
    });
  });
}

} // namespace tagd::client
