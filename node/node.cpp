#include "node/node.hpp"

#include "shards/partition.hpp"

#include <caf/send.hpp>

namespace tagd::node {

result<std::unique_ptr<tagd_node>> tagd_node::start(const node_options& options) {
  std::unique_ptr<tagd_node> node(new tagd_node());
  node->options_ = options;
  database_options db_options;
  db_options.vshards =
      options.vshards ? options.vshards : vshard_count_for_keys(options.expected_keys);
  db_options.no_sync = options.no_sync;
  db_options.threads = 1;
  db_options.key_index = !options.no_key_index;
  TAGD_TRY_ASSIGN(db, database::open(options.data_dir, db_options));
  if (options.vshards != 0 && db->vshard_count() != options.vshards)
    return status(error_code::invalid_argument,
                  "data directory " + options.data_dir + " has " +
                      std::to_string(db->vshard_count()) + " vshards; --vshards asks for " +
                      std::to_string(options.vshards) + " (the count is fixed at creation)");
  node->db_ = std::move(db);

  // Work sharing by default: with work stealing, jobs an actor creates stay in its worker's
  // queue while an idle worker sleeps (up to 10 ms between steal attempts), so a fan-out to the
  // shard actors often ran on one core (docs/performance.md, "Over RPC").
  node->config_.set("scheduler.policy",
                    options.scheduler == "stealing" ? caf::atom("stealing") : caf::atom("sharing"));
  // Few workers that never sleep in long polls: a message from the RPC thread then reaches a
  // worker at once (MEASURED.md: CAF's defaults add ≈100 µs per request).
  node->config_.set("scheduler.max-threads", static_cast<size_t>(options.threads));
  node->config_.set("work-stealing.moderate-poll-attempts", size_t{0});
  node->system_ = std::make_unique<caf::actor_system>(node->config_);
  for (uint32_t v = 0; v < node->db_->vshard_count(); ++v)
    node->shards_.push_back(
        node->system_->spawn(actors::shard, node->db_.get(), v,
                             std::chrono::milliseconds(options.inject_shard_delay_ms)));
  node->manager_ = node->system_->spawn(actors::node_manager, node->shards_);
  node->coordinator_ =
      node->system_->spawn(actors::coordinator, node->db_.get(),
                           std::vector<actors::node_manager_actor>{node->manager_});
  node->bridge_ = spawn_bridge(*node->system_);
  node->blocking_ = std::make_unique<blocking_runner>();
  if (!options.no_key_index) {
    node->warmer_ = std::make_unique<key_index_warmer>(*node->db_);
    for (const auto& [name, entity] : node->db_->snapshot()->entities)
      node->warmer_->warm(name);
  }
  return node;
}

tagd_node::~tagd_node() {
  warmer_.reset();   // stops building key indexes
  blocking_.reset(); // finishes queued blocking work first
  if (system_) {
    caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(coordinator_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(manager_, caf::exit_reason::user_shutdown);
    for (auto& s : shards_)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    bridge_ = nullptr;
    coordinator_ = nullptr;
    manager_ = nullptr;
    shards_.clear();
    system_.reset(); // waits for every actor
  }
  db_.reset();
}

void tagd_node::warm_key_index_of(const std::string& table) {
  if (!warmer_)
    return;
  if (const table_def* found = db_->snapshot()->find_table(table))
    warmer_->warm(found->entity);
}

double tagd_node::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

} // namespace tagd::node
