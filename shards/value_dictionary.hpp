#pragma once
// The values of one enum or set tag, numbered densely from 0 in order of first appearance, shared
// by every vshard so that per-value results merge by number. Append-only and thread-safe: a
// number once given never changes meaning. Numbers become durable when the catalog persists the
// dictionary at a commit; numbers handed out by a load that never commits are simply unused.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tagd {

class value_dictionary {
 public:
  // The number of `value`, adding it if new.
  uint32_t intern(std::string_view value);
  std::optional<uint32_t> find(std::string_view value) const;
  std::string value_of(uint32_t id) const;
  uint32_t size() const;
  // Values [from, size()), for persisting the tail.
  std::vector<std::string> values_from(uint32_t from) const;

 private:
  mutable std::shared_mutex mutex_;
  // Keys view the strings in values_; a deque never moves its elements, so they stay valid and
  // a lookup needs no allocation.
  std::unordered_map<std::string_view, uint32_t> ids_;
  std::deque<std::string> values_;
};

} // namespace tagd
