#pragma once
// Turns one row as text (a key and a field per tag) into what a vshard stores: the key's vshard
// and stored form, and (tag index, value) pairs — value ids for bool/enum/set tags, scaled
// integers for int/decimal/time. Bulk loads and real-time upserts share it, so both accept and
// reject exactly the same rows.

#include "shards/schema.hpp"
#include "shards/value_dictionary.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tagd {

struct converted_row {
  uint32_t vshard = 0;
  std::string stored_key;
  std::vector<std::pair<uint32_t, int64_t>> values; // (tag index, value), several for a set
};

class row_converter {
 public:
  // dictionaries: per tag, the value dictionary of enum and set tags (null for other kinds).
  row_converter(key_kind keys, std::vector<tag_def> tags,
                std::vector<value_dictionary*> dictionaries, std::string set_separator,
                uint32_t vshards);

  // fields[i] is tag i's text, nullopt for NULL. Returns an empty string when the row is good,
  // otherwise why it is rejected; `out` is overwritten.
  std::string convert(std::string_view key,
                      const std::vector<std::optional<std::string_view>>& fields,
                      converted_row& out) const;

  const std::vector<tag_def>& tags() const { return tags_; }

 private:
  key_kind keys_;
  std::vector<tag_def> tags_;
  std::vector<value_dictionary*> dictionaries_;
  std::string set_separator_;
  uint32_t vshards_;
};

// The stored form and vshard of a key written as text; an error message for a bad key.
std::string parse_key(key_kind keys, std::string_view text, uint32_t vshards, uint32_t& vshard,
                      std::string& stored);

} // namespace tagd
