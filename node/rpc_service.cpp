#include "node/rpc_service.hpp"

#include "actors/fan_out.hpp"
#include "node/export_session.hpp"
#include "node/group_upload.hpp"
#include "node/import_session.hpp"
#include "node/upload_session.hpp"
#include "node/wire_convert.hpp"

#include <kj/async.h>

namespace tagd::node {

namespace {

template <class T>
kj::Promise<T> failed(const tagd::status& s) {
  return kj::Promise<T>(to_exception(s));
}

} // namespace

template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> rpc_service::ask_until(actors::clock::time_point deadline, const Handle& target,
                                          Ts... request) {
  return node::ask_until<Reply>(timer_, node_.bridge(), deadline, target, std::move(request)...);
}

template <class Reply, class Handle, class... Ts>
kj::Promise<Reply> rpc_service::ask_here_until(actors::clock::time_point deadline,
                                               const Handle& target, Ts... request) {
  return until_deadline(
      timer_, deadline,
      ask_here<Reply>(this_thread_, node_.bridge(), target, deadline, std::move(request)...));
}

kj::Promise<void> rpc_service::counted(kj::Promise<void> work) {
  ++node_.requests_in_flight;
  return work
      .then(
          [this]() -> kj::Promise<void> {
            ++node_.requests_served;
            return kj::READY_NOW;
          },
          [this](kj::Exception&& e) -> kj::Promise<void> {
            ++node_.requests_failed;
            return kj::mv(e);
          })
      .attach(kj::defer([this] { --node_.requests_in_flight; }));
}

template <class Context>
kj::Promise<void> rpc_service::catalog_change(Context context,
                                              std::function<tagd::status()> change) {
  database* db = &node_.db();
  return counted(node_.blocking()
                     .run<uint64_t>([db, change]() -> result<uint64_t> {
                       TAGD_TRY(change());
                       return db->snapshot()->version;
                     })
                     .then([context](uint64_t version) mutable {
                       context.getResults().setCatalogVersion(version);
                     }));
}

kj::Promise<void> rpc_service::ping(PingContext) {
  ++node_.requests_served;
  return kj::READY_NOW;
}

kj::Promise<void> rpc_service::status(StatusContext context) {
  auto s = context.getResults().initStatus();
  s.setVersion(TAGD_VERSION);
  s.setDataDirectory(node_.options().data_dir);
  s.setVshards(node_.db().vshard_count());
  s.setUptimeSeconds(node_.uptime_seconds());
  s.setCatalogVersion(node_.db().snapshot()->version);
  s.setRequestsServed(++node_.requests_served);
  s.setRequestsFailed(node_.requests_failed.load());
  return kj::READY_NOW;
}

kj::Promise<void> rpc_service::defineEntity(DefineEntityContext context) {
  auto def = context.getParams().getDef();
  std::string name = text_of(def.getName());
  key_kind keys = def.getKeys() == wire::KeyKind::STRING ? key_kind::string : key_kind::u64;
  database* db = &node_.db();
  return catalog_change(context, [db, name, keys] { return db->define_entity(name, keys); });
}

kj::Promise<void> rpc_service::defineTable(DefineTableContext context) {
  auto spec = table_spec_of(context.getParams().getDef());
  if (!spec)
    return counted(failed<void>(spec.error()));
  database* db = &node_.db();
  return catalog_change(context, [db, spec = *spec] { return db->define_table(spec); });
}

kj::Promise<void> rpc_service::defineComposite(DefineCompositeContext context) {
  auto def = context.getParams().getDef();
  std::string entity = entity_or_default(text_of(def.getEntity())), name = text_of(def.getName()),
              expression = text_of(def.getExpression());
  bool materialized = def.getMaterialized();
  database* db = &node_.db();
  return catalog_change(
      context, [=] { return db->define_composite(entity, name, expression, materialized); });
}

kj::Promise<void> rpc_service::catalog(CatalogContext context) {
  fill_catalog(context.getResults().initCatalog(), *node_.db().snapshot());
  ++node_.requests_served;
  return kj::READY_NOW;
}

kj::Promise<void> rpc_service::dropTable(DropTableContext context) {
  std::string name = text_of(context.getParams().getName());
  database* db = &node_.db();
  return catalog_change(context, [db, name] { return db->drop_table(name); });
}

kj::Promise<void> rpc_service::dropGroup(DropGroupContext context) {
  std::string name = text_of(context.getParams().getName());
  database* db = &node_.db();
  return catalog_change(context, [db, name] { return db->drop_group(name); });
}

kj::Promise<void> rpc_service::beginImport(BeginImportContext context) {
  auto params = context.getParams();
  auto session = import_session::begin(node_, text_of(params.getTable()),
                                       text_of(params.getLabel()), params.getOptions());
  if (!session)
    return counted(failed<void>(session.error()));
  context.getResults().setImport(kj::mv(*session));
  ++node_.requests_served;
  return kj::READY_NOW;
}

kj::Promise<void> rpc_service::upsert(UpsertContext context) {
  auto params = context.getParams();
  actors::upsert_request r;
  r.table = text_of(params.getTable());
  r.deadline = deadline_after(node_.options().deadline_ms);
  for (auto row : params.getRows()) {
    realtime_row converted;
    converted.key = text_of(row.getKey());
    for (auto field : row.getFields())
      converted.fields.push_back(
          field.isNull() ? std::nullopt : std::optional<std::string>(text_of(field.getValue())));
    r.rows.push_back(std::move(converted));
  }
  if (r.rows.size() > node_.options().limit.max_batch_keys)
    return counted(failed<void>(
        tagd::status(error_code::too_large,
                     "an upsert carries at most " +
                         std::to_string(node_.options().limit.max_batch_keys) + " rows")));
  std::string table = r.table;
  return counted(
      ask_until<uint64_t>(r.deadline, node_.coordinator(), actors::upsert_atom::value, std::move(r))
          .then([this, table](uint64_t) { node_.warm_key_index_of(table); }));
}

kj::Promise<void> rpc_service::remove(RemoveContext context) {
  auto params = context.getParams();
  actors::remove_request r;
  r.table = text_of(params.getTable());
  r.deadline = deadline_after(node_.options().deadline_ms);
  for (auto key : params.getKeys())
    r.keys.push_back(text_of(key));
  if (r.keys.size() > node_.options().limit.max_batch_keys)
    return counted(failed<void>(
        tagd::status(error_code::too_large,
                     "a remove carries at most " +
                         std::to_string(node_.options().limit.max_batch_keys) + " keys")));
  return counted(
      ask_until<uint64_t>(r.deadline, node_.coordinator(), actors::remove_atom::value, r)
          .then([context](uint64_t removed) mutable { context.getResults().setRemoved(removed); }));
}

kj::Promise<void> rpc_service::estimate(EstimateContext context) {
  auto query = query_of(context.getParams().getQuery(), node_.options());
  if (!query)
    return counted(failed<void>(query.error()));
  tagd_node* node = &node_;
  return counted(ask_here_until<actors::estimate_reply>(query->deadline, node_.coordinator(),
                                                        actors::estimate_atom::value, *query)
                     .then([context, node](actors::estimate_reply reply) mutable {
                       auto results = context.getResults();
                       results.setCount(reply.count);
                       fill_snapshot(results.initSnapshot(), reply.snapshot,
                                     *node->db().snapshot());
                     }));
}

kj::Promise<void> rpc_service::breakdown(BreakdownContext context) {
  auto params = context.getParams();
  auto query = query_of(params.getQuery(), node_.options());
  if (!query)
    return counted(failed<void>(query.error()));
  actors::breakdown_request r{*query, text_of(params.getTag())};
  tagd_node* node = &node_;
  return counted(
      ask_here_until<actors::breakdown_reply>(query->deadline, node_.coordinator(),
                                              actors::breakdown_atom::value, r)
          .then([context, node](actors::breakdown_reply reply) mutable {
            auto results = context.getResults();
            auto entries = results.initEntries(static_cast<unsigned>(reply.counts.size()));
            unsigned i = 0;
            for (const auto& [value, count] : reply.counts) {
              entries[i].setValue(value);
              entries[i++].setCount(count);
            }
            fill_snapshot(results.initSnapshot(), reply.snapshot, *node->db().snapshot());
          }));
}

kj::Promise<void> rpc_service::select(SelectContext context) {
  auto params = context.getParams();
  auto query = query_of(params.getQuery(), node_.options());
  if (!query)
    return counted(failed<void>(query.error()));
  actors::select_request r{text_of(params.getGroup()), *query};
  tagd_node* node = &node_;
  return counted(ask_until<actors::select_reply>(query->deadline, node_.coordinator(),
                                                 actors::select_atom::value, r)
                     .then([context, node](actors::select_reply reply) mutable {
                       auto results = context.getResults();
                       auto state = node->db().snapshot();
                       fill_group_version(results.initVersion(), reply.version, *state);
                       fill_snapshot(results.initSnapshot(), reply.snapshot, *state);
                     }));
}

kj::Promise<void> rpc_service::upload(UploadContext context) {
  auto params = context.getParams();
  auto upload = kj::heap<group_upload>(node_, timer_, text_of(params.getGroup()),
                                       text_of(params.getEntity()));
  std::vector<std::string> keys;
  keys.reserve(params.getKeys().size());
  for (auto key : params.getKeys())
    keys.push_back(text_of(key));
  group_upload& one = *upload;
  tagd_node* node = &node_;
  return counted(one.add(std::move(keys))
                     .then([&one](uint64_t) { return one.commit(); })
                     .then([context, node](upload_report report) mutable {
                       fill_upload_results(context.getResults(), report, *node->db().snapshot());
                     })
                     .attach(kj::mv(upload)));
}

kj::Promise<void> rpc_service::beginUpload(BeginUploadContext context) {
  auto params = context.getParams();
  auto session =
      upload_session::begin(node_, timer_, text_of(params.getGroup()), text_of(params.getEntity()));
  if (!session)
    return counted(failed<void>(session.error()));
  context.getResults().setUpload(kj::mv(*session));
  ++node_.requests_served;
  return kj::READY_NOW;
}

result<rpc_service::group_at> rpc_service::resolve_group(const std::string& group,
                                                         uint32_t version) const {
  std::optional<uint32_t> wanted;
  if (version != 0)
    wanted = version;
  auto state = node_.db().snapshot(); // one snapshot: the version and its entity agree
  TAGD_TRY_ASSIGN(found, state->find_group_version(group, wanted));
  return group_at{found.second->version, found.first->entity};
}

kj::Promise<void> rpc_service::export_(ExportContext context) {
  auto params = context.getParams();
  actors::export_request r{text_of(params.getGroup()), params.getVersion(),
                           deadline_after(node_.options().deadline_ms)};
  return counted(ask_until<actors::export_reply>(r.deadline, node_.coordinator(),
                                                 actors::export_atom::value, r)
                     .then([context, this](actors::export_reply reply) mutable {
                       context.getResults().setExport(kj::heap<export_session>(
                           node_, timer_, std::move(reply), node_.db().snapshot()));
                     }));
}

kj::Promise<void> rpc_service::contains(ContainsContext context) {
  auto params = context.getParams();
  actors::contains_request r;
  r.group = text_of(params.getGroup());
  r.deadline = deadline_after(node_.options().deadline_ms);
  auto resolved = resolve_group(r.group, params.getVersion());
  if (!resolved)
    return counted(failed<void>(resolved.error()));
  r.version = resolved->version;
  auto located = node_.db().locate_key(resolved->entity, text_of(params.getKey()));
  if (!located)
    return counted(failed<void>(located.error()));
  r.stored_keys = {std::move(located->second)};
  // Straight to the shard actor that owns the key's vshard, on this thread when it is idle.
  return counted(ask_here_until<std::vector<bool>>(r.deadline, node_.shard(located->first),
                                                   actors::contains_atom::value, r)
                     .then([context](std::vector<bool> members) mutable {
                       context.getResults().setMember(members.at(0));
                     }));
}

kj::Promise<void> rpc_service::containsMany(ContainsManyContext context) {
  auto params = context.getParams();
  auto wire_keys = params.getKeys();
  if (wire_keys.size() > node_.options().limit.max_batch_keys)
    return counted(failed<void>(
        tagd::status(error_code::too_large,
                     "containsMany takes at most " +
                         std::to_string(node_.options().limit.max_batch_keys) + " keys per call")));
  actors::contains_many_request r;
  r.group = text_of(params.getGroup());
  r.deadline = deadline_after(node_.options().deadline_ms);
  auto resolved = resolve_group(r.group, params.getVersion());
  if (!resolved)
    return counted(failed<void>(resolved.error()));
  r.version = resolved->version;
  r.entity = resolved->entity;
  r.keys.reserve(wire_keys.size());
  for (auto key : wire_keys)
    r.keys.push_back(text_of(key));
  return counted(ask_until<std::vector<bool>>(r.deadline, node_.coordinator(),
                                              actors::contains_atom::value, std::move(r))
                     .then([context](std::vector<bool> answers) mutable {
                       auto out =
                           context.getResults().initMembers(static_cast<unsigned>(answers.size()));
                       for (unsigned i = 0; i < answers.size(); ++i)
                         out.set(i, answers[i]);
                     }));
}

kj::Promise<void> rpc_service::groupsOf(GroupsOfContext context) {
  auto params = context.getParams();
  actors::groups_of_request r;
  r.entity = entity_or_default(text_of(params.getEntity()));
  r.key = text_of(params.getKey());
  r.deadline = deadline_after(node_.options().deadline_ms);
  auto located = node_.db().locate_key(r.entity, r.key);
  if (!located)
    return counted(failed<void>(located.error()));
  return counted(ask_until<std::vector<std::string>>(r.deadline, node_.shard(located->first),
                                                     actors::groups_atom::value, r)
                     .then([context](std::vector<std::string> groups) mutable {
                       auto out =
                           context.getResults().initGroups(static_cast<unsigned>(groups.size()));
                       for (unsigned i = 0; i < groups.size(); ++i)
                         out.set(i, groups[i]);
                     }));
}

} // namespace tagd::node
