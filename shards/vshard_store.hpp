#pragma once
// One vshard of one entity type: an LMDB environment in its own directory holding
//   keys     key → ordinal            (dense 32-bit ordinals, append-only)
//   ordinals ordinal → key
//   bitmaps  (storage id, tag id) → a bitmap pack: every slot's bitmap (bitmap_pack.hpp)
//   bsi      (storage id, tag id) → bsi_meta of a ranged tag
//   rows     (storage id, ordinal) → a real-time table's current row
//   groups   (group id, version) → frozen roaring bitmap of members
// A storage id names one table version; everything of a version sits under its prefix, so a
// version is dropped by deleting one key range. Readers see only storage ids that the catalog
// names, so a half-written version is invisible. No knowledge of actors or RPC lives here.

#include "shards/bit_sliced_index.hpp"
#include "shards/bitmap.hpp"
#include "shards/bitmap_pack.hpp"
#include "shards/key_index.hpp"
#include "shards/lmdb.hpp"
#include "shards/schema.hpp"
#include "shards/status.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

namespace tagd {

// Slot numbers inside (storage id, tag id).
inline constexpr uint32_t kNotNullSlot = 0xFFFFFFFF; // value tags: entities with any value
inline constexpr uint32_t kPresentTag = 0xFFFFFFFF;  // tag id of a version's keys (slot 0)
inline uint32_t bsi_slot(uint32_t layer, uint32_t bit) {
  return (layer << 8) | bit;
}

inline constexpr uint32_t kUnknownOrdinal = UINT32_MAX; // a key the vshard does not have

// A key as LMDB stores it: 8 native bytes for u64 keys (MDB_INTEGERKEY), the bytes of a string.
std::string encode_key(uint64_t key);
uint64_t decode_u64_key(std::string_view stored);

class vshard_store;

// A read transaction shared by every reader of a vshard until its next write commits, with the
// packs, group views and bit-sliced index records opened under it: data that did not change is
// looked up and viewed once, not once per query per vshard. Thread-safe; pointers it hands out stay
// valid while it lives.
class vshard_snapshot {
 public:
  ~vshard_snapshot(); // parks the transaction for the next snapshot
  result<const roaring_bitmap_t*> bitmap_of(uint32_t storage_id, uint32_t tag_id, uint32_t slot);
  result<bsi_meta> bsi(uint32_t storage_id, uint32_t tag_id);
  result<std::vector<uint32_t>> value_slots(uint32_t storage_id, uint32_t tag_id);
  result<const roaring_bitmap_t*> group(uint32_t group_id, uint32_t version);
  result<std::optional<uint32_t>> ordinal_of(std::string_view stored_key);
  // The ordinal of each key (stored form), kUnknownOrdinal for a key this snapshot does not
  // have; from the store's key index when it keeps one and it is (nearly) up to date.
  result<std::vector<uint32_t>> ordinals_of(const std::vector<std::string>& stored_keys);
  // Brings the store's key index (if it keeps one) up to this snapshot's keys.
  status index_keys();
  result<std::string> key_of(uint32_t ordinal);
  result<std::optional<std::string>> row(uint32_t storage_id, uint32_t ordinal);
  // Runs `use` on the transaction, with no other thread using it meanwhile.
  status with_txn(const std::function<status(const lmdb_txn&)>& use);

 private:
  friend class vshard_store;
  // How many keys this snapshot has (ordinals are dense: 0 to count - 1).
  result<uint32_t> key_count();
  std::optional<uint32_t> key_count_; // under mutex_
  // The pack of (storage id, tag id); null when nothing is stored. Needs mutex_ held.
  result<bitmap_pack_view*> pack(uint32_t storage_id, uint32_t tag_id);
  vshard_store* store_ = nullptr;
  std::mutex mutex_; // LMDB forbids using one transaction from two threads at once
  lmdb_txn txn_;
  std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<bitmap_pack_view>> packs_;
  std::map<std::pair<uint32_t, uint32_t>, frozen_bitmap> groups_;
  std::map<std::pair<uint32_t, uint32_t>, bsi_meta> bsis_;
};

// A consistent read of one vshard: what it returns stays valid while the reader lives. Cheap
// to create; one per query per vshard, or shared by the threads of one query.
class vshard_reader {
 public:
  vshard_reader() = default;
  explicit vshard_reader(std::shared_ptr<vshard_snapshot> snapshot, vshard_store& store)
      : snapshot_(std::move(snapshot)), store_(&store) {}
  // The stored bitmap, or the empty bitmap when nothing is stored.
  result<const roaring_bitmap_t*> bitmap_of(uint32_t storage_id, uint32_t tag_id, uint32_t slot) {
    return snapshot_->bitmap_of(storage_id, tag_id, slot);
  }
  result<bsi_meta> bsi(uint32_t storage_id, uint32_t tag_id) {
    return snapshot_->bsi(storage_id, tag_id);
  }
  // Every value slot stored for a value tag (not kNotNullSlot).
  result<std::vector<uint32_t>> value_slots(uint32_t storage_id, uint32_t tag_id) {
    return snapshot_->value_slots(storage_id, tag_id);
  }
  result<const roaring_bitmap_t*> group(uint32_t group_id, uint32_t version) {
    return snapshot_->group(group_id, version);
  }
  result<std::optional<uint32_t>> ordinal_of(std::string_view stored_key) {
    return snapshot_->ordinal_of(stored_key);
  }
  result<std::vector<uint32_t>> ordinals_of(const std::vector<std::string>& stored_keys) {
    return snapshot_->ordinals_of(stored_keys);
  }
  status index_keys() { return snapshot_->index_keys(); }
  result<std::string> key_of(uint32_t ordinal) { return snapshot_->key_of(ordinal); }
  result<std::optional<std::string>> row(uint32_t storage_id, uint32_t ordinal) {
    return snapshot_->row(storage_id, ordinal);
  }
  status with_txn(const std::function<status(const lmdb_txn&)>& use) {
    return snapshot_->with_txn(use);
  }
  vshard_store& store() const { return *store_; }

 private:
  std::shared_ptr<vshard_snapshot> snapshot_;
  vshard_store* store_ = nullptr;
};

// One write transaction on a vshard; aborted unless committed.
class vshard_writer {
 public:
  // Ordinals of keys (stored form), adding unknown keys when `create`; an unknown key is
  // UINT32_MAX otherwise. Faster when the keys come sorted.
  status resolve(const std::vector<std::string>& stored_keys, bool create,
                 std::vector<uint32_t>& ordinals);
  status put_bitmap(uint32_t storage_id, uint32_t tag_id, uint32_t slot,
                    const roaring_bitmap_t* bits);
  status put_bsi(uint32_t storage_id, uint32_t tag_id, const bsi_built& index);
  status put_bsi_meta(uint32_t storage_id, uint32_t tag_id, const bsi_meta& meta);
  // A mutable copy of a stored bitmap (empty when absent), for read-modify-write.
  result<bitmap> load_bitmap(uint32_t storage_id, uint32_t tag_id, uint32_t slot);
  result<std::optional<std::string>> row(uint32_t storage_id, uint32_t ordinal);
  status put_row(uint32_t storage_id, uint32_t ordinal, std::string_view encoded);
  status delete_row(uint32_t storage_id, uint32_t ordinal);
  status put_group(uint32_t group_id, uint32_t version, const roaring_bitmap_t* members);
  status drop_storage(uint32_t storage_id);
  status drop_group_version(uint32_t group_id, uint32_t version);
  status drop_group(uint32_t group_id); // every version
  // Writes the packs of every bitmap put, then commits.
  status commit();
  const lmdb_txn& txn() const { return txn_; }

 private:
  friend class vshard_store;
  vshard_store* store_ = nullptr;
  lmdb_txn txn_;
  uint32_t next_ordinal_ = 0;
  // Bitmaps put in this transaction, by (storage id, tag id) and slot: frozen bytes, or
  // nullopt for an emptied slot. Packs are rewritten once, at commit.
  std::map<std::pair<uint32_t, uint32_t>, std::map<uint32_t, std::optional<std::string>>> pending_;
};

// Whether a vshard keeps its keys → ordinals in memory (shards/key_index.hpp), built by
// index_keys() and extended by ordinals_of with the few keys later snapshots add: 18–36 bytes of
// memory per key. String keys are indexed by a 64-bit hash of their bytes, and the index keeps
// the keys themselves too (their bytes and 8 more per key): a hash found is checked against the
// key with that ordinal, and a hash two keys share sends their checks to LMDB's key lookup, so an
// answer never rests on the hash alone.
struct key_index_options {
  bool enabled = true;
  // The hash of string keys (XXH3-64, seeded apart from the partition hash, when null). A test
  // seam: a weak one forces the collisions the index must survive.
  uint64_t (*string_hash)(std::string_view key) = nullptr;
};

class vshard_store {
 public:
  static result<std::unique_ptr<vshard_store>> open(const std::string& directory, key_kind keys,
                                                    const lmdb_options& options,
                                                    const key_index_options& index);
  result<vshard_reader> read();
  result<vshard_writer> write();
  // Storage ids that have data here, for dropping those the catalog no longer names.
  result<std::set<uint32_t>> stored_storage_ids();
  // Group ids with members stored here, likewise.
  result<std::set<uint32_t>> stored_group_ids();
  key_kind keys() const { return keys_; }
  size_t key_index_bytes();
  const std::string& directory() const { return directory_; }
  // The most keys a membership check adds to the index itself (≈1 ms of work). A check that
  // finds more missing, or the index being built by another thread, reads LMDB instead of
  // waiting: it may be running on the RPC thread (node/rpc_thread_unit.hpp).
  static constexpr uint32_t kKeysIndexedByACheck = 8192;

 private:
  friend class vshard_snapshot;
  friend class vshard_writer;
  vshard_store() = default;
  // The distinct first 32-bit parts of the keys of these databases.
  result<std::set<uint32_t>> leading_ids(std::initializer_list<MDB_dbi> dbis);
  void park(lmdb_txn txn);
  // After a write commits: the next read() starts a new snapshot.
  void drop_snapshot();
  // Adds to the key index the keys `snapshot` has beyond it; true when the index then covers
  // the snapshot. Gives up (false) when more than `most` keys are missing, or when `wait` is
  // false and another thread holds the index.
  result<bool> extend_key_index(vshard_snapshot& snapshot, uint32_t most, bool wait);
  std::string directory_;
  key_kind keys_ = key_kind::u64;
  lmdb_env env_;
  std::mutex parked_mutex_;
  std::vector<lmdb_txn> parked_; // reset read transactions, renewed by the next read()
  // What key_index_ holds for a key in stored form: a u64 key itself, a string key's hash.
  uint64_t index_key_of(std::string_view stored) const;
  bool index_keys_ = false;
  uint64_t (*string_hash_)(std::string_view) = nullptr;
  std::shared_mutex key_index_mutex_;
  key_index key_index_; // the keys of ordinals 0 to indexed_ - 1
  // String-key hashes that more than one key has: the index holds the first such key only.
  std::unordered_set<uint64_t> shared_hashes_;
  // The indexed string keys end to end, and where each ordinal's ends: a hash found is checked
  // against its key here, in memory.
  std::string string_key_bytes_;
  std::vector<uint64_t> string_key_ends_;
  // An indexed string key (ordinal < indexed_); needs key_index_mutex_ held.
  std::string_view indexed_string_key(uint32_t ordinal) const;
  uint32_t indexed_ = 0;
  MDB_dbi keys_dbi_ = 0, ordinals_dbi_ = 0, bitmaps_dbi_ = 0, bsi_dbi_ = 0, rows_dbi_ = 0,
          groups_dbi_ = 0;
  // Last, so that it is released (and parks its transaction) before the environment closes.
  std::mutex snapshot_mutex_;
  std::shared_ptr<vshard_snapshot> snapshot_;
};

} // namespace tagd
