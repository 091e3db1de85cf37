#include "shards/vshard_store.hpp"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>
#include <limits>

namespace tagd {

namespace {

std::string id_key(std::initializer_list<uint32_t> parts) {
  std::string key;
  for (uint32_t part : parts)
    append_be32(key, part);
  return key;
}

std::string_view ordinal_bytes(const uint32_t& ordinal) {
  return std::string_view(reinterpret_cast<const char*>(&ordinal), sizeof ordinal);
}

using cursor_ptr = std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)>;
result<cursor_ptr> open_cursor(const lmdb_txn& txn, MDB_dbi dbi) {
  MDB_cursor* raw = nullptr;
  TAGD_TRY(lmdb_status(mdb_cursor_open(txn.get(), dbi, &raw), "mdb_cursor_open"));
  return cursor_ptr(raw, mdb_cursor_close);
}

} // namespace

std::string encode_key(uint64_t key) {
  return std::string(reinterpret_cast<const char*>(&key), sizeof key);
}
uint64_t decode_u64_key(std::string_view stored) {
  uint64_t key = 0;
  std::memcpy(&key, stored.data(), std::min(stored.size(), sizeof key));
  return key;
}

namespace {
uint64_t string_index_hash(std::string_view key) {
  // Another seed than the partition hash, whose low bits all keys of a vshard share.
  return XXH3_64bits_withSeed(key.data(), key.size(), 0x7461676400000001ull);
}
} // namespace

result<std::unique_ptr<vshard_store>> vshard_store::open(const std::string& directory,
                                                         key_kind keys, const lmdb_options& options,
                                                         const key_index_options& index) {
  std::unique_ptr<vshard_store> store(new vshard_store());
  store->directory_ = directory;
  store->keys_ = keys;
  store->index_keys_ = index.enabled;
  store->string_hash_ = index.string_hash ? index.string_hash : string_index_hash;
  TAGD_TRY_ASSIGN(env, lmdb_env::open(directory, options, true));
  store->env_ = std::move(env);
  TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(store->env_, false));
  unsigned key_flags = MDB_CREATE | (keys == key_kind::u64 ? MDB_INTEGERKEY : 0);
  TAGD_TRY_ASSIGN(keys_dbi, open_dbi(txn, "keys", key_flags));
  TAGD_TRY_ASSIGN(ordinals_dbi, open_dbi(txn, "ordinals", MDB_CREATE | MDB_INTEGERKEY));
  TAGD_TRY_ASSIGN(bitmaps_dbi, open_dbi(txn, "bitmaps", MDB_CREATE));
  TAGD_TRY_ASSIGN(bsi_dbi, open_dbi(txn, "bsi", MDB_CREATE));
  TAGD_TRY_ASSIGN(rows_dbi, open_dbi(txn, "rows", MDB_CREATE));
  TAGD_TRY_ASSIGN(groups_dbi, open_dbi(txn, "groups", MDB_CREATE));
  TAGD_TRY(txn.commit());
  store->keys_dbi_ = keys_dbi;
  store->ordinals_dbi_ = ordinals_dbi;
  store->bitmaps_dbi_ = bitmaps_dbi;
  store->bsi_dbi_ = bsi_dbi;
  store->rows_dbi_ = rows_dbi;
  store->groups_dbi_ = groups_dbi;
  return store;
}

result<vshard_reader> vshard_store::read() {
  // Under the lock, so that a snapshot begun before a commit cannot be published after the
  // writer dropped the old one.
  std::lock_guard lock(snapshot_mutex_);
  if (!snapshot_) {
    auto snapshot = std::make_shared<vshard_snapshot>();
    snapshot->store_ = this;
    {
      std::lock_guard parked_lock(parked_mutex_);
      if (!parked_.empty()) {
        snapshot->txn_ = std::move(parked_.back());
        parked_.pop_back();
      }
    }
    if (snapshot->txn_ && !snapshot->txn_.renew().is_ok())
      snapshot->txn_.abort();
    if (!snapshot->txn_) {
      TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(env_, true));
      snapshot->txn_ = std::move(txn);
    }
    snapshot_ = std::move(snapshot);
  }
  return vshard_reader(snapshot_, *this);
}

void vshard_store::drop_snapshot() {
  std::shared_ptr<vshard_snapshot> old;
  std::lock_guard lock(snapshot_mutex_);
  old.swap(snapshot_); // released after the lock, when its last reader is done
}

void vshard_store::park(lmdb_txn txn) {
  txn.reset();
  std::lock_guard lock(parked_mutex_);
  // As many as snapshots are alive at once; beyond a few, close them (they hold reader slots).
  if (parked_.size() < 8)
    parked_.push_back(std::move(txn));
}

vshard_snapshot::~vshard_snapshot() {
  // Views into the map die with the caches before the transaction is parked.
  packs_.clear();
  groups_.clear();
  if (txn_ && store_)
    store_->park(std::move(txn_));
}

result<vshard_writer> vshard_store::write() {
  vshard_writer writer;
  writer.store_ = this;
  TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(env_, false));
  writer.txn_ = std::move(txn);
  TAGD_TRY_ASSIGN(cursor, open_cursor(writer.txn_, ordinals_dbi_));
  MDB_val k, v;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_LAST);
  if (rc == MDB_SUCCESS) {
    uint32_t last = 0;
    std::memcpy(&last, k.mv_data, sizeof last);
    writer.next_ordinal_ = last + 1;
  } else if (rc != MDB_NOTFOUND) {
    return lmdb_status(rc, "reading the last ordinal");
  }
  return writer;
}

result<std::set<uint32_t>> vshard_store::leading_ids(std::initializer_list<MDB_dbi> dbis) {
  TAGD_TRY_ASSIGN(txn, lmdb_txn::begin(env_, true));
  std::set<uint32_t> ids;
  for (MDB_dbi dbi : dbis) {
    TAGD_TRY_ASSIGN(cursor, open_cursor(txn, dbi));
    std::string seek = id_key({0});
    for (;;) {
      MDB_val k = to_val(seek), v;
      int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
      if (rc == MDB_NOTFOUND)
        break;
      TAGD_TRY(lmdb_status(rc, "listing stored ids"));
      uint32_t id = read_be32(static_cast<const char*>(k.mv_data));
      ids.insert(id);
      if (id == UINT32_MAX)
        break;
      seek = id_key({id + 1});
    }
  }
  return ids;
}

result<std::set<uint32_t>> vshard_store::stored_storage_ids() {
  return leading_ids({bitmaps_dbi_, bsi_dbi_, rows_dbi_});
}

result<std::set<uint32_t>> vshard_store::stored_group_ids() {
  return leading_ids({groups_dbi_});
}

// ---- snapshot ----

result<bitmap_pack_view*> vshard_snapshot::pack(uint32_t storage_id, uint32_t tag_id) {
  auto key = std::make_pair(storage_id, tag_id);
  if (auto it = packs_.find(key); it != packs_.end())
    return it->second.get();
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->bitmaps_dbi_, id_key({storage_id, tag_id})));
  std::unique_ptr<bitmap_pack_view> view;
  if (stored) {
    TAGD_TRY_ASSIGN(opened, bitmap_pack_view::open(*stored));
    view = std::make_unique<bitmap_pack_view>(std::move(opened));
  }
  return packs_.emplace(key, std::move(view)).first->second.get();
}

result<const roaring_bitmap_t*> vshard_snapshot::bitmap_of(uint32_t storage_id, uint32_t tag_id,
                                                           uint32_t slot) {
  std::lock_guard lock(mutex_);
  TAGD_TRY_ASSIGN(found, pack(storage_id, tag_id));
  if (!found)
    return empty_bitmap();
  return found->bitmap(slot);
}

result<bsi_meta> vshard_snapshot::bsi(uint32_t storage_id, uint32_t tag_id) {
  std::lock_guard lock(mutex_);
  auto cache_key = std::make_pair(storage_id, tag_id);
  if (auto it = bsis_.find(cache_key); it != bsis_.end())
    return it->second;
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->bsi_dbi_, id_key({storage_id, tag_id})));
  bsi_meta meta;
  if (stored) {
    if (stored->size() != 16)
      return status(error_code::corruption, "bad bit-sliced index record");
    std::memcpy(&meta.base, stored->data(), 8);
    std::memcpy(&meta.bits, stored->data() + 8, 4);
    std::memcpy(&meta.layers, stored->data() + 12, 4);
  }
  bsis_.emplace(cache_key, meta);
  return meta;
}

result<std::vector<uint32_t>> vshard_snapshot::value_slots(uint32_t storage_id, uint32_t tag_id) {
  std::lock_guard lock(mutex_);
  TAGD_TRY_ASSIGN(found, pack(storage_id, tag_id));
  std::vector<uint32_t> slots;
  if (found)
    for (uint32_t slot : found->slots())
      if (slot != kNotNullSlot)
        slots.push_back(slot);
  return slots;
}

result<const roaring_bitmap_t*> vshard_snapshot::group(uint32_t group_id, uint32_t version) {
  std::lock_guard lock(mutex_);
  auto cache_key = std::make_pair(group_id, version);
  if (auto it = groups_.find(cache_key); it != groups_.end())
    return it->second.get();
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->groups_dbi_, id_key({group_id, version})));
  if (!stored)
    return empty_bitmap();
  TAGD_TRY_ASSIGN(frozen, frozen_bitmap::open(*stored));
  const roaring_bitmap_t* view = frozen.get();
  groups_.emplace(cache_key, std::move(frozen));
  return view;
}

result<std::optional<uint32_t>> vshard_snapshot::ordinal_of(std::string_view stored_key) {
  std::lock_guard lock(mutex_);
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->keys_dbi_, stored_key));
  if (!stored)
    return std::optional<uint32_t>();
  uint32_t ordinal = 0;
  std::memcpy(&ordinal, stored->data(), sizeof ordinal);
  return std::optional<uint32_t>(ordinal);
}

result<uint32_t> vshard_snapshot::key_count() {
  std::lock_guard lock(mutex_);
  if (!key_count_) {
    TAGD_TRY_ASSIGN(cursor, open_cursor(txn_, store_->ordinals_dbi_));
    MDB_val k, v;
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND) {
      key_count_ = 0;
    } else {
      TAGD_TRY(lmdb_status(rc, "reading the last ordinal"));
      uint32_t last = 0;
      std::memcpy(&last, k.mv_data, sizeof last);
      key_count_ = last + 1;
    }
  }
  return *key_count_;
}

result<std::vector<uint32_t>>
vshard_snapshot::ordinals_of(const std::vector<std::string>& stored_keys) {
  std::vector<uint32_t> ordinals(stored_keys.size(), kUnknownOrdinal);
  bool indexed = false;
  if (store_->index_keys_) {
    TAGD_TRY_ASSIGN(covered,
                    store_->extend_key_index(*this, vshard_store::kKeysIndexedByACheck, false));
    indexed = covered;
  }
  if (!indexed) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < stored_keys.size(); ++i) {
      TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->keys_dbi_, stored_keys[i]));
      if (stored)
        std::memcpy(&ordinals[i], stored->data(), sizeof(uint32_t));
    }
    return ordinals;
  }
  TAGD_TRY_ASSIGN(count, key_count());
  bool strings = store_->keys_ == key_kind::string;
  std::vector<uint64_t> index_keys(stored_keys.size());
  for (size_t i = 0; i < stored_keys.size(); ++i)
    index_keys[i] = store_->index_key_of(stored_keys[i]);
  std::vector<size_t> shared; // string keys whose hash another key has: LMDB's key lookup
  {
    std::shared_lock lock(store_->key_index_mutex_);
    const key_index& index = store_->key_index_;
    constexpr size_t kAhead = 8; // probes in flight: each is about one cache miss
    for (size_t i = 0; i < std::min(kAhead, index_keys.size()); ++i)
      index.prefetch(index_keys[i]);
    for (size_t i = 0; i < index_keys.size(); ++i) {
      if (i + kAhead < index_keys.size())
        index.prefetch(index_keys[i + kAhead]);
      if (strings && store_->shared_hashes_.count(index_keys[i]) != 0) {
        shared.push_back(i);
        continue;
      }
      // The index may already hold keys of a later snapshot: not this one's. A string key's
      // hash found: the key indexed under that ordinal must be this one.
      auto ordinal = index.find(index_keys[i]);
      if (ordinal && *ordinal < count &&
          (!strings || store_->indexed_string_key(*ordinal) == stored_keys[i]))
        ordinals[i] = *ordinal;
    }
  }
  if (shared.empty())
    return ordinals;
  std::lock_guard lock(mutex_);
  for (size_t i : shared) {
    TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->keys_dbi_, stored_keys[i]));
    if (stored)
      std::memcpy(&ordinals[i], stored->data(), sizeof(uint32_t));
  }
  return ordinals;
}

uint64_t vshard_store::index_key_of(std::string_view stored) const {
  return keys_ == key_kind::u64 ? decode_u64_key(stored) : string_hash_(stored);
}

status vshard_snapshot::index_keys() {
  if (!store_->index_keys_)
    return status::ok();
  return store_->extend_key_index(*this, std::numeric_limits<uint32_t>::max(), true).take_status();
}

result<bool> vshard_store::extend_key_index(vshard_snapshot& snapshot, uint32_t most, bool wait) {
  TAGD_TRY_ASSIGN(count, snapshot.key_count());
  {
    std::shared_lock lock(key_index_mutex_);
    if (indexed_ >= count)
      return true;
    if (count - indexed_ > most)
      return false;
  }
  std::unique_lock lock(key_index_mutex_, std::defer_lock);
  if (wait)
    lock.lock();
  else if (!lock.try_lock())
    return false;
  if (indexed_ >= count)
    return true;
  if (count - indexed_ > most)
    return false;
  TAGD_TRY(snapshot.with_txn([&](const lmdb_txn& txn) -> status {
    TAGD_TRY_ASSIGN(cursor, open_cursor(txn, ordinals_dbi_));
    uint32_t from = indexed_;
    MDB_val k{sizeof from, &from}, v;
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
      uint32_t ordinal = 0;
      std::memcpy(&ordinal, k.mv_data, sizeof ordinal);
      if (ordinal >= count)
        return status::ok();
      if (ordinal != indexed_) // ordinals are dense; a gap would hide keys
        return status(error_code::corruption,
                      directory_ + ": ordinal " + std::to_string(indexed_) + " is missing");
      uint64_t key = index_key_of(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
      if (keys_ == key_kind::string) {
        string_key_bytes_.append(static_cast<const char*>(v.mv_data), v.mv_size);
        string_key_ends_.push_back(string_key_bytes_.size());
      }
      // u64 keys are distinct; two string keys may share a hash, which then goes to LMDB.
      if (keys_ == key_kind::string && key_index_.find(key))
        shared_hashes_.insert(key);
      else
        key_index_.insert(key, ordinal);
      ++indexed_;
    }
    if (rc != MDB_NOTFOUND)
      return lmdb_status(rc, "reading the ordinals");
    if (indexed_ < count)
      return status(error_code::corruption,
                    directory_ + ": ordinal " + std::to_string(indexed_) + " is missing");
    return status::ok();
  }));
  return true;
}

size_t vshard_store::key_index_bytes() {
  std::shared_lock lock(key_index_mutex_);
  return key_index_.memory_bytes() + string_key_bytes_.size() +
         string_key_ends_.size() * sizeof(uint64_t);
}

std::string_view vshard_store::indexed_string_key(uint32_t ordinal) const {
  uint64_t begin = ordinal == 0 ? 0 : string_key_ends_[ordinal - 1];
  return std::string_view(string_key_bytes_).substr(begin, string_key_ends_[ordinal] - begin);
}

result<std::string> vshard_snapshot::key_of(uint32_t ordinal) {
  std::lock_guard lock(mutex_);
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->ordinals_dbi_, ordinal_bytes(ordinal)));
  if (!stored)
    return status(error_code::corruption, "ordinal " + std::to_string(ordinal) + " has no key");
  return std::string(*stored);
}

result<std::optional<std::string>> vshard_snapshot::row(uint32_t storage_id, uint32_t ordinal) {
  std::lock_guard lock(mutex_);
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->rows_dbi_, id_key({storage_id, ordinal})));
  if (!stored)
    return std::optional<std::string>();
  return std::optional<std::string>(std::string(*stored));
}

status vshard_snapshot::with_txn(const std::function<status(const lmdb_txn&)>& use) {
  std::lock_guard lock(mutex_);
  return use(txn_);
}

// ---- writer ----

status vshard_writer::resolve(const std::vector<std::string>& stored_keys, bool create,
                              std::vector<uint32_t>& ordinals) {
  ordinals.resize(stored_keys.size());
  TAGD_TRY_ASSIGN(cursor, open_cursor(txn_, store_->keys_dbi_));
  // Keys past the largest stored key are new without a lookup, and are appended (MDB_APPEND
  // fills pages instead of splitting them): a first load in key order never searches the tree.
  std::string largest;
  MDB_val lk, lv;
  int last_rc = mdb_cursor_get(cursor.get(), &lk, &lv, MDB_LAST);
  if (last_rc == MDB_SUCCESS)
    largest.assign(from_val(lk));
  else if (last_rc != MDB_NOTFOUND)
    return lmdb_status(last_rc, "reading the largest key");
  bool have_largest = last_rc == MDB_SUCCESS;
  for (size_t i = 0; i < stored_keys.size(); ++i) {
    MDB_val k = to_val(stored_keys[i]), v;
    MDB_val largest_val = to_val(largest);
    bool past_largest =
        !have_largest || mdb_cmp(txn_.get(), store_->keys_dbi_, &k, &largest_val) > 0;
    if (!past_largest) {
      int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_KEY);
      if (rc == MDB_SUCCESS) {
        std::memcpy(&ordinals[i], v.mv_data, sizeof(uint32_t));
        continue;
      }
      if (rc != MDB_NOTFOUND)
        return lmdb_status(rc, "looking up a key");
    }
    if (!create) {
      ordinals[i] = UINT32_MAX;
      continue;
    }
    if (next_ordinal_ == UINT32_MAX)
      return status(error_code::too_large,
                    "vshard " + store_->directory_ + " has 2^32-1 keys; use more vshards");
    uint32_t ordinal = next_ordinal_++;
    MDB_val key = to_val(stored_keys[i]), value = to_val(ordinal_bytes(ordinal));
    TAGD_TRY(lmdb_status(mdb_cursor_put(cursor.get(), &key, &value, past_largest ? MDB_APPEND : 0),
                         "adding a key"));
    TAGD_TRY(
        lmdb_put(txn_, store_->ordinals_dbi_, ordinal_bytes(ordinal), stored_keys[i], MDB_APPEND));
    if (past_largest) {
      largest = stored_keys[i];
      have_largest = true;
    }
    ordinals[i] = ordinal;
  }
  return status::ok();
}

status vshard_writer::put_bitmap(uint32_t storage_id, uint32_t tag_id, uint32_t slot,
                                 const roaring_bitmap_t* bits) {
  auto& value = pending_[{storage_id, tag_id}][slot];
  if (roaring_bitmap_is_empty(bits))
    value.reset();
  else
    value = frozen_bytes(bits);
  return status::ok();
}

status vshard_writer::commit() {
  for (auto& [key, slots] : pending_) {
    std::string db_key = id_key({key.first, key.second});
    std::map<uint32_t, std::string> merged;
    TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->bitmaps_dbi_, db_key));
    if (stored) {
      TAGD_TRY_ASSIGN(existing, bitmap_pack_view::open(*stored));
      for (uint32_t slot : existing.slots())
        if (!slots.count(slot))
          merged.emplace(slot, std::string(existing.frozen(slot)));
    }
    for (auto& [slot, bytes] : slots)
      if (bytes)
        merged.emplace(slot, std::move(*bytes));
    if (merged.empty())
      TAGD_TRY(lmdb_del(txn_, store_->bitmaps_dbi_, db_key));
    else
      TAGD_TRY(lmdb_put(txn_, store_->bitmaps_dbi_, db_key, build_bitmap_pack(merged)));
  }
  pending_.clear();
  TAGD_TRY(txn_.commit());
  store_->drop_snapshot();
  return status::ok();
}

status vshard_writer::put_bsi_meta(uint32_t storage_id, uint32_t tag_id, const bsi_meta& meta) {
  char record[16];
  std::memcpy(record, &meta.base, 8);
  std::memcpy(record + 8, &meta.bits, 4);
  std::memcpy(record + 12, &meta.layers, 4);
  return lmdb_put(txn_, store_->bsi_dbi_, id_key({storage_id, tag_id}),
                  std::string_view(record, sizeof record));
}

result<bitmap> vshard_writer::load_bitmap(uint32_t storage_id, uint32_t tag_id, uint32_t slot) {
  auto thaw = [](std::string_view bytes) -> result<bitmap> {
    // Through a private aligned copy: frozen views need 32-byte alignment.
    aligned_buffer aligned = aligned_alloc_bytes(bytes.size());
    std::memcpy(aligned.get(), bytes.data(), bytes.size());
    frozen_view_ptr view(roaring_bitmap_frozen_view(aligned.get(), bytes.size()));
    if (!view)
      return status(error_code::corruption, "stored bitmap is not a valid frozen roaring bitmap");
    return bitmap::copy_of(view.get());
  };
  if (auto pack = pending_.find({storage_id, tag_id}); pack != pending_.end())
    if (auto it = pack->second.find(slot); it != pack->second.end())
      return it->second ? thaw(*it->second) : result<bitmap>(bitmap());
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->bitmaps_dbi_, id_key({storage_id, tag_id})));
  if (!stored)
    return bitmap();
  TAGD_TRY_ASSIGN(existing, bitmap_pack_view::open(*stored));
  std::string_view bytes = existing.frozen(slot);
  if (bytes.empty())
    return bitmap();
  return thaw(bytes);
}

result<std::optional<std::string>> vshard_writer::row(uint32_t storage_id, uint32_t ordinal) {
  TAGD_TRY_ASSIGN(stored, lmdb_get(txn_, store_->rows_dbi_, id_key({storage_id, ordinal})));
  if (!stored)
    return std::optional<std::string>();
  return std::optional<std::string>(std::string(*stored));
}

status vshard_writer::put_bsi(uint32_t storage_id, uint32_t tag_id, const bsi_built& index) {
  TAGD_TRY(put_bsi_meta(storage_id, tag_id, index.meta));
  for (uint32_t layer = 0; layer < index.meta.layers; ++layer) {
    TAGD_TRY(put_bitmap(storage_id, tag_id, bsi_slot(layer, kExistenceSlice),
                        index.existence[layer].get()));
    for (uint32_t bit = 0; bit < index.meta.bits; ++bit)
      TAGD_TRY(
          put_bitmap(storage_id, tag_id, bsi_slot(layer, bit), index.slices[layer][bit].get()));
  }
  return status::ok();
}

status vshard_writer::put_row(uint32_t storage_id, uint32_t ordinal, std::string_view encoded) {
  return lmdb_put(txn_, store_->rows_dbi_, id_key({storage_id, ordinal}), encoded);
}

status vshard_writer::delete_row(uint32_t storage_id, uint32_t ordinal) {
  return lmdb_del(txn_, store_->rows_dbi_, id_key({storage_id, ordinal}));
}

status vshard_writer::put_group(uint32_t group_id, uint32_t version,
                                const roaring_bitmap_t* members) {
  return lmdb_put(txn_, store_->groups_dbi_, id_key({group_id, version}), freeze(members));
}

status vshard_writer::drop_storage(uint32_t storage_id) {
  for (auto it = pending_.begin(); it != pending_.end();)
    it = it->first.first == storage_id ? pending_.erase(it) : std::next(it);
  std::string prefix = id_key({storage_id});
  TAGD_TRY(lmdb_delete_prefix(txn_, store_->bitmaps_dbi_, prefix));
  TAGD_TRY(lmdb_delete_prefix(txn_, store_->bsi_dbi_, prefix));
  return lmdb_delete_prefix(txn_, store_->rows_dbi_, prefix);
}

status vshard_writer::drop_group_version(uint32_t group_id, uint32_t version) {
  return lmdb_del(txn_, store_->groups_dbi_, id_key({group_id, version}));
}

status vshard_writer::drop_group(uint32_t group_id) {
  return lmdb_delete_prefix(txn_, store_->groups_dbi_, id_key({group_id}));
}

} // namespace tagd
