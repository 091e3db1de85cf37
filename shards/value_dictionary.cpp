#include "shards/value_dictionary.hpp"

#include <mutex>

namespace tagd {

uint32_t value_dictionary::intern(std::string_view value) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = ids_.find(value); it != ids_.end())
      return it->second;
  }
  std::unique_lock lock(mutex_);
  if (auto it = ids_.find(value); it != ids_.end())
    return it->second;
  uint32_t id = static_cast<uint32_t>(values_.size());
  ids_.emplace(values_.emplace_back(value), id);
  return id;
}

std::optional<uint32_t> value_dictionary::find(std::string_view value) const {
  std::shared_lock lock(mutex_);
  if (auto it = ids_.find(value); it != ids_.end())
    return it->second;
  return std::nullopt;
}

std::string value_dictionary::value_of(uint32_t id) const {
  std::shared_lock lock(mutex_);
  return id < values_.size() ? values_[id] : std::string();
}

uint32_t value_dictionary::size() const {
  std::shared_lock lock(mutex_);
  return static_cast<uint32_t>(values_.size());
}

std::vector<std::string> value_dictionary::values_from(uint32_t from) const {
  std::shared_lock lock(mutex_);
  if (from >= values_.size())
    return {};
  return std::vector<std::string>(values_.begin() + from, values_.end());
}

} // namespace tagd
