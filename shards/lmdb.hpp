#pragma once
// Owning wrappers over LMDB handles: an environment closes itself, a transaction aborts unless
// committed. Every LMDB return code becomes a status naming what was being done.

#include "shards/status.hpp"

#include <lmdb.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tagd {

status lmdb_status(int rc, std::string_view what);

struct lmdb_options {
  // LMDB reserves this much address space up front; the file grows only as data is written.
  size_t map_size = size_t{64} << 30;
  unsigned max_dbs = 16;
  unsigned max_readers = 256;
  // Off: every commit is fsynced (acknowledged writes survive a crash). On: commits are not
  // synced, for throwaway data such as benchmarks (MDB_NOSYNC), documented in docs/storage.md.
  bool no_sync = false;
};

class lmdb_env {
 public:
  lmdb_env() = default;
  lmdb_env(lmdb_env&& other) noexcept : env_(std::exchange(other.env_, nullptr)) {}
  lmdb_env& operator=(lmdb_env&& other) noexcept;
  lmdb_env(const lmdb_env&) = delete;
  lmdb_env& operator=(const lmdb_env&) = delete;
  ~lmdb_env();

  // Opens (creating the directory if asked) an environment in `directory`.
  static result<lmdb_env> open(const std::string& directory, const lmdb_options& options,
                               bool create);
  MDB_env* get() const { return env_; }
  status sync();

 private:
  MDB_env* env_ = nullptr;
};

class lmdb_txn {
 public:
  lmdb_txn() = default;
  lmdb_txn(lmdb_txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  lmdb_txn& operator=(lmdb_txn&& other) noexcept;
  lmdb_txn(const lmdb_txn&) = delete;
  lmdb_txn& operator=(const lmdb_txn&) = delete;
  ~lmdb_txn() { abort(); }

  static result<lmdb_txn> begin(const lmdb_env& env, bool read_only);
  status commit();
  void abort();
  // A read-only transaction can be parked (reset) and reused (renew), which skips the
  // reader-slot setup of a fresh begin.
  void reset() { mdb_txn_reset(txn_); }
  status renew() { return lmdb_status(mdb_txn_renew(txn_), "mdb_txn_renew"); }
  MDB_txn* get() const { return txn_; }
  explicit operator bool() const { return txn_ != nullptr; }

 private:
  MDB_txn* txn_ = nullptr;
};

inline MDB_val to_val(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
inline std::string_view from_val(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// Opens (or creates) a named database inside a write transaction.
result<MDB_dbi> open_dbi(const lmdb_txn& txn, const char* name, unsigned flags);

// The value under `key`, or nullopt; the view lives as long as the transaction.
result<std::optional<std::string_view>> lmdb_get(const lmdb_txn& txn, MDB_dbi dbi,
                                                 std::string_view key);
status lmdb_put(const lmdb_txn& txn, MDB_dbi dbi, std::string_view key, std::string_view value,
                unsigned flags = 0);
// Deletes `key`; a missing key is not an error.
status lmdb_del(const lmdb_txn& txn, MDB_dbi dbi, std::string_view key);

// Deletes every key that starts with `prefix`.
status lmdb_delete_prefix(const lmdb_txn& txn, MDB_dbi dbi, std::string_view prefix);

// Big-endian fixed-width integers make LMDB's byte order the numeric order of composite keys.
inline void append_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(v >> shift));
}
inline uint32_t read_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

} // namespace tagd
