#pragma once
// The C++ client of a tagd node (docs/client.md). One method per RPC of protocol/tagd.capnp,
// each synchronous (throws tagd::client::error) and asynchronous (`_async`, a std::future that
// throws the same error from get()), plus conveniences for files: import_file(s) and
// export_to_directory.
//
// Threading (connection_options::mode):
// - background_thread (default): the connection owns one thread that runs the Cap'n Proto event
//   loop; every method may be called from any thread, with any number of requests in flight.
// - caller_thread: the creating thread runs the event loop while it waits for a reply (no thread
//   switch, the lowest latency). The connection, its importers, exporters and futures must then
//   be used from that thread only; a future's get() runs the loop until its reply is in.

#include "client/error.hpp"
#include "client/expression.hpp"
#include "client/types.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tagd::client {

namespace detail {
class session_owner;

// An import's or export's capability, kept on the event loop under a number and dropped there
// when this handle goes (which aborts an import that was not committed).
class remote_handle {
 public:
  remote_handle(std::shared_ptr<session_owner> owner, uint64_t id);
  remote_handle(remote_handle&& other) noexcept;
  remote_handle& operator=(remote_handle&& other) noexcept;
  ~remote_handle();

  // Throws error("INVALID_ARGUMENT") once released or moved away.
  session_owner& owner() const;
  uint64_t id() const { return id_; }
  void release() noexcept;

 private:
  std::shared_ptr<session_owner> owner_;
  uint64_t id_ = 0;
};
} // namespace detail

enum class threading { background_thread, caller_thread };

struct connection_options {
  threading mode = threading::background_thread;
  std::chrono::milliseconds connect_timeout{10000};
  // Every RPC (each import batch, each export piece) fails with DEADLINE_EXCEEDED when no reply
  // came within this time; 0: wait as long as the connection lives.
  std::chrono::milliseconds call_timeout{0};
  // The deadline sent with queries whose query_options::deadline_ms is 0; 0: the node's default.
  uint32_t deadline_ms = 0;
  // Replies larger than this many 8-byte words are refused (Cap'n Proto traversal limit).
  uint64_t max_reply_words = uint64_t{1} << 30;
  // A request larger than this (an upload, upsert or remove of many keys, an import batch)
  // fails with TOO_LARGE before it is sent; keep it within the node's --max-message-mb.
  uint64_t max_request_bytes = uint64_t{64} << 20;
  // contains_many sends at most this many keys per request, with up to `requests_in_flight`
  // requests outstanding; export_to_directory reads pieces of `export_piece_bytes` the same way.
  size_t max_keys_per_request = 100000;
  unsigned requests_in_flight = 8;
  uint32_t export_piece_bytes = uint32_t{4} << 20;
};

using import_progress_function = std::function<void(const import_progress&)>;
using export_progress_function = std::function<void(const export_progress&)>;

// One load of a new table version (Tagd.beginImport). Send batches of whole rows in the table's
// file format, the header only in the first; nothing is visible until commit(). Destroying an
// importer that was not committed aborts the load.
class importer {
 public:
  // The data is copied before the call returns; the reply says the batch was queued.
  batch_reply add_rows(std::string_view data);
  std::future<batch_reply> add_rows_async(std::string_view data);
  import_report commit();
  void abort();

 private:
  friend class connection;
  explicit importer(detail::remote_handle handle) : handle_(std::move(handle)) {}
  detail::remote_handle handle_;
};

// A group version being exported (Tagd.export): its parts, one per vshard, read in pieces.
class exporter {
 public:
  const export_info& info() const { return info_; }
  std::string read(uint32_t vshard, uint64_t offset, uint32_t max_bytes);
  std::future<std::string> read_async(uint32_t vshard, uint64_t offset, uint32_t max_bytes);

 private:
  friend class connection;
  exporter(detail::remote_handle handle, export_info info)
      : handle_(std::move(handle)), info_(std::move(info)) {}
  detail::remote_handle handle_;
  export_info info_;
};

class connection {
 public:
  // Connects to "host:port" (a missing port means 7411); throws error("UNAVAILABLE") if that
  // fails within options.connect_timeout.
  explicit connection(const std::string& address, const connection_options& options = {});
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  // Pending calls of a background-thread connection fail with DISCONNECTED.
  ~connection();

  const std::string& address() const;
  const connection_options& options() const;

  // ---- node ----
  void ping();
  std::future<void> ping_async();
  node_status status();
  std::future<node_status> status_async();

  // ---- catalog; each change returns the new catalog version ----
  uint64_t define_entity(const entity_def& def);
  std::future<uint64_t> define_entity_async(const entity_def& def);
  uint64_t define_table(const table_def& def);
  std::future<uint64_t> define_table_async(const table_def& def);
  uint64_t define_composite(const composite_def& def);
  std::future<uint64_t> define_composite_async(const composite_def& def);
  tagd::client::catalog catalog();
  std::future<tagd::client::catalog> catalog_async();
  uint64_t drop_table(const std::string& name);
  std::future<uint64_t> drop_table_async(const std::string& name);
  uint64_t drop_group(const std::string& name);
  std::future<uint64_t> drop_group_async(const std::string& name);

  // ---- loads ----
  importer begin_import(const std::string& table, const std::string& label,
                        const import_options& options = {});
  // Reads the files (gzip is detected; "-" is standard input) and streams them as one new
  // version: batches of whole records (quote-aware), the header only in the first batch (each
  // later file's header must equal the first one's and is skipped), at most options.window
  // batches waiting for a reply. Rejects name the file and its line. Aborts the load on any error.
  import_report import_file(const std::string& path, const std::string& table,
                            const std::string& label, const import_options& options = {},
                            const import_progress_function& progress = {});
  import_report import_files(const std::vector<std::string>& paths, const std::string& table,
                             const std::string& label, const import_options& options = {},
                             const import_progress_function& progress = {});

  // ---- real-time tables ----
  void upsert(const std::string& table, const std::vector<row>& rows);
  std::future<void> upsert_async(const std::string& table, const std::vector<row>& rows);
  uint64_t remove(const std::string& table, const std::vector<std::string>& keys);
  std::future<uint64_t> remove_async(const std::string& table,
                                     const std::vector<std::string>& keys);

  // ---- queries: an expression as text (docs/expressions.md) or built (client/expression.hpp) ----
  estimate_result estimate(const expression& matching, const query_options& options = {});
  std::future<estimate_result> estimate_async(const expression& matching,
                                              const query_options& options = {});
  breakdown_result breakdown(const expression& matching, const std::string& tag,
                             const query_options& options = {});
  std::future<breakdown_result> breakdown_async(const expression& matching, const std::string& tag,
                                                const query_options& options = {});
  select_result select(const std::string& group, const expression& matching,
                       const query_options& options = {});
  std::future<select_result> select_async(const std::string& group, const expression& matching,
                                          const query_options& options = {});
  // One new group version of the known keys. More than options().max_keys_per_request keys go
  // in batches (Tagd.beginUpload); still one version, and none if a batch fails.
  upload_result upload(const std::string& group, const std::string& entity,
                       const std::vector<std::string>& keys);
  std::future<upload_result> upload_async(const std::string& group, const std::string& entity,
                                          const std::vector<std::string>& keys);

  // ---- export; version 0 means the latest ----
  exporter begin_export(const std::string& group, uint32_t version = 0);
  // Writes part-NNNN.csv per vshard (each checked against its PartInfo: bytes, rows, CRC-32)
  // and then manifest.json, every file through a temporary name and a rename. An existing
  // manifest.json is removed first, so a directory with a manifest always matches it.
  export_result export_to_directory(const std::string& group, uint32_t version,
                                    const std::string& directory,
                                    const export_progress_function& progress = {});

  // ---- validation; version 0 means the latest ----
  bool contains(const std::string& group, const std::string& key, uint32_t version = 0);
  std::future<bool> contains_async(const std::string& group, const std::string& key,
                                   uint32_t version = 0);
  // Any number of keys, sent in requests of at most options.max_keys_per_request keys; the
  // answers are in the order of the keys.
  std::vector<bool> contains_many(const std::string& group, const std::vector<std::string>& keys,
                                  uint32_t version = 0);
  std::future<std::vector<bool>> contains_many_async(const std::string& group,
                                                     std::vector<std::string> keys,
                                                     uint32_t version = 0);
  // Every group (at its latest version) holding the key; entity "" means "user".
  std::vector<std::string> groups_of(const std::string& key, const std::string& entity = "");
  std::future<std::vector<std::string>> groups_of_async(const std::string& key,
                                                        const std::string& entity = "");

 private:
  std::shared_ptr<detail::session_owner> owner_;
};

} // namespace tagd::client
