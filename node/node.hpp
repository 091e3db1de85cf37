#pragma once
// One tagd node as an object: the database, the actor system with its shard actors, node
// manager and coordinator, and a thread for blocking work. No globals: a test can start two.

#include "actors/interfaces.hpp"
#include "node/blocking_runner.hpp"
#include "node/bridge.hpp"
#include "node/key_index_warmer.hpp"
#include "node/options.hpp"
#include "shards/database.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

namespace tagd::node {

class tagd_node {
 public:
  // Opens (or creates) the data directory and starts the actors. Fails when the directory is
  // in use by another process or has another vshard count than options.vshards asks for.
  static result<std::unique_ptr<tagd_node>> start(const node_options& options);
  ~tagd_node(); // stops the actors, then closes the database

  database& db() { return *db_; }
  caf::actor_system& actor_system() { return *system_; }
  const actors::coordinator_actor& coordinator() const { return coordinator_; }
  // Where requests from the RPC thread enter the actors (node/bridge.hpp).
  const caf::actor& bridge() const { return bridge_; }
  const actors::shard_actor& shard(uint32_t vshard) const { return shards_.at(vshard); }
  blocking_runner& blocking() { return *blocking_; }
  // Brings the key indexes of the table's entity type up to date in the background, after a
  // load or real-time upserts added keys (a check only adds a few itself: shards/vshard_store).
  void warm_key_index_of(const std::string& table);
  const node_options& options() const { return options_; }
  double uptime_seconds() const;
  std::atomic<uint64_t> requests_served{0}, requests_failed{0};
  std::atomic<int64_t> requests_in_flight{0}; // answered asynchronously, not yet settled

 private:
  tagd_node() = default;
  node_options options_;
  std::unique_ptr<database> db_;
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  std::vector<actors::shard_actor> shards_;
  actors::node_manager_actor manager_;
  actors::coordinator_actor coordinator_;
  caf::actor bridge_;
  std::unique_ptr<blocking_runner> blocking_;
  std::unique_ptr<key_index_warmer> warmer_; // none with --no-key-index
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

} // namespace tagd::node
