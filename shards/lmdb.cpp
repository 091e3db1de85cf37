#include "shards/lmdb.hpp"

#include <cerrno>
#include <filesystem>
#include <memory>
#include <system_error>

namespace tagd {

status lmdb_status(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS)
    return status::ok();
  std::string message(what);
  message += ": ";
  message += mdb_strerror(rc);
  error_code code = rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID
                        ? error_code::corruption
                        : error_code::io_error;
  return status(code, std::move(message));
}

lmdb_env& lmdb_env::operator=(lmdb_env&& other) noexcept {
  if (this != &other) {
    if (env_)
      mdb_env_close(env_);
    env_ = std::exchange(other.env_, nullptr);
  }
  return *this;
}

lmdb_env::~lmdb_env() {
  if (env_)
    mdb_env_close(env_);
}

result<lmdb_env> lmdb_env::open(const std::string& directory, const lmdb_options& options,
                                bool create) {
  std::error_code ec;
  if (create) {
    std::filesystem::create_directories(directory, ec);
    if (ec)
      return status(error_code::io_error, "cannot create " + directory + ": " + ec.message());
  } else if (!std::filesystem::is_directory(directory, ec)) {
    return status(error_code::not_found, "no LMDB environment at " + directory);
  }
  lmdb_env env;
  TAGD_TRY(lmdb_status(mdb_env_create(&env.env_), "mdb_env_create"));
  TAGD_TRY(lmdb_status(mdb_env_set_mapsize(env.env_, options.map_size), "mdb_env_set_mapsize"));
  TAGD_TRY(lmdb_status(mdb_env_set_maxdbs(env.env_, options.max_dbs), "mdb_env_set_maxdbs"));
  TAGD_TRY(
      lmdb_status(mdb_env_set_maxreaders(env.env_, options.max_readers), "mdb_env_set_maxreaders"));
  // MDB_NOTLS: read transactions are not tied to a thread, so a pool thread may run any vshard.
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (options.no_sync)
    flags |= MDB_NOSYNC;
  TAGD_TRY(lmdb_status(mdb_env_open(env.env_, directory.c_str(), flags, 0644),
                       "opening LMDB environment " + directory));
  return env;
}

status lmdb_env::sync() {
  return lmdb_status(mdb_env_sync(env_, 1), "mdb_env_sync");
}

lmdb_txn& lmdb_txn::operator=(lmdb_txn&& other) noexcept {
  if (this != &other) {
    abort();
    txn_ = std::exchange(other.txn_, nullptr);
  }
  return *this;
}

result<lmdb_txn> lmdb_txn::begin(const lmdb_env& env, bool read_only) {
  lmdb_txn txn;
  TAGD_TRY(lmdb_status(mdb_txn_begin(env.get(), nullptr, read_only ? MDB_RDONLY : 0, &txn.txn_),
                       "mdb_txn_begin"));
  return txn;
}

status lmdb_txn::commit() {
  MDB_txn* txn = std::exchange(txn_, nullptr);
  if (!txn)
    return status(error_code::internal, "commit of a finished transaction");
  return lmdb_status(mdb_txn_commit(txn), "mdb_txn_commit");
}

void lmdb_txn::abort() {
  if (txn_)
    mdb_txn_abort(std::exchange(txn_, nullptr));
}

result<MDB_dbi> open_dbi(const lmdb_txn& txn, const char* name, unsigned flags) {
  MDB_dbi dbi = 0;
  TAGD_TRY(lmdb_status(mdb_dbi_open(txn.get(), name, flags, &dbi),
                       std::string("opening database ") + name));
  return dbi;
}

result<std::optional<std::string_view>> lmdb_get(const lmdb_txn& txn, MDB_dbi dbi,
                                                 std::string_view key) {
  MDB_val k = to_val(key), v;
  int rc = mdb_get(txn.get(), dbi, &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::optional<std::string_view>();
  TAGD_TRY(lmdb_status(rc, "mdb_get"));
  return std::optional<std::string_view>(from_val(v));
}

status lmdb_put(const lmdb_txn& txn, MDB_dbi dbi, std::string_view key, std::string_view value,
                unsigned flags) {
  MDB_val k = to_val(key), v = to_val(value);
  return lmdb_status(mdb_put(txn.get(), dbi, &k, &v, flags), "mdb_put");
}

status lmdb_del(const lmdb_txn& txn, MDB_dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn.get(), dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return status::ok();
  return lmdb_status(rc, "mdb_del");
}

status lmdb_delete_prefix(const lmdb_txn& txn, MDB_dbi dbi, std::string_view prefix) {
  MDB_cursor* raw = nullptr;
  TAGD_TRY(lmdb_status(mdb_cursor_open(txn.get(), dbi, &raw), "mdb_cursor_open"));
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> cursor(raw, mdb_cursor_close);
  for (;;) {
    // Seek afresh after every delete: a cursor's position after mdb_cursor_del is not portable.
    MDB_val k = to_val(prefix), v;
    int rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
      return status::ok();
    TAGD_TRY(lmdb_status(rc, "seeking a key range"));
    if (from_val(k).substr(0, prefix.size()) != prefix)
      return status::ok();
    TAGD_TRY(lmdb_status(mdb_cursor_del(raw, 0), "mdb_cursor_del"));
  }
}

} // namespace tagd
